package secrets

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/hashicorp/go-hclog"
)

// RotateResult says what a rotation did.
type RotateResult struct {
	OldKeyID KeyID
	NewKeyID KeyID
	ResealReport
	// KeyFile is the file that now holds the new key; empty when the keys
	// come from the environment.
	KeyFile string
	// KeyEnv is the variable the operator must now set to the value of
	// NewKeyEnv; empty with a key file.
	KeyEnv string
	// RetiredFile keeps the old key, so backups taken before the rotation
	// still open; empty when the keys come from the environment (the
	// operator keeps the old key).
	RetiredFile string
}

// Rotation steps, in order; each is a point where a crash may happen.
const (
	stepOldKeyRetired = "old_key_retired" // a copy of the old key is in the retired directory
	stepNewKeyWritten = "new_key_written" // master.key.new is on disk, the store is under the old key
	stepResealed      = "resealed"        // the store is under the new key, master.key still holds the old
	stepRenamed       = "renamed"         // master.key holds the new key
)

// crashHook lets tests stop a rotation after a step as a crash would: no
// cleanup runs after it returns an error.
var crashHook = func(step string) error { return nil }

// Rotate re-encrypts every stored secret under a new master key. The daemon
// must be stopped (the store lock guarantees it).
//
// With a key file the new key is generated here and ends up in the key
// file, and the old key is kept as a retired key (master.key.retired/<id>)
// so a backup taken before the rotation still opens after a restore. The
// order is what makes a crash harmless: (0) retire a copy of the old key,
// (1) write master.key.new atomically, (2) reseal the store in one
// transaction, (3) rename master.key.new over master.key. Unlock at the next
// start sorts out a crash after (1) or (2); a crash after (0) leaves only a
// copy of the current key among the retired ones, which is ignored.
//
// With a key from the environment, the new key is read from
// GAHOST_NEW_MASTER_KEY; after the rotation the operator puts it into the
// main variable. Until then Unlock accepts the new variable too.
func Rotate(ctx context.Context, src Source, v Vault, log hclog.Logger) (RotateResult, error) {
	if log == nil {
		log = hclog.NewNullLogger()
	}
	old, err := Unlock(ctx, src, v, log)
	if err != nil {
		return RotateResult{}, err
	}
	env, err := src.envName()
	if err != nil {
		return RotateResult{}, err
	}
	res := RotateResult{OldKeyID: old.ID()}

	var nk *Key
	if env != "" {
		nv := src.getenv(NewKeyEnv)
		if nv == "" {
			return res, fmt.Errorf("the master key comes from %s: set %s to the new key (base64 of %d random bytes, "+
				"e.g. from `openssl rand -base64 32`) and run the rotation again", env, NewKeyEnv, KeySize)
		}
		if nk, err = keyFromEnv(NewKeyEnv, nv); err != nil {
			return res, err
		}
		if nk.ID() == old.ID() {
			return res, fmt.Errorf("the store is already sealed under the key in %s; put that key into %s and, "+
				"for another rotation, a different new key into %s", NewKeyEnv, env, NewKeyEnv)
		}
		res.KeyEnv = env
	} else {
		oldRaw, err := readKeyFileRaw(src.KeyFile)
		if err != nil {
			return res, fmt.Errorf("read the current key to retire it: %w", err)
		}
		if fk, _ := NewKey(oldRaw); fk == nil || fk.ID() != old.ID() {
			return res, fmt.Errorf("the key file %s does not hold the key that opens the store; nothing was changed", src.KeyFile)
		}
		if err := retireKey(src.KeyFile, oldRaw); err != nil {
			return res, err
		}
		clear(oldRaw)
		res.RetiredFile = filepath.Join(RetiredDir(src.KeyFile), old.ID().String())
		if err := crashHook(stepOldKeyRetired); err != nil {
			return res, err
		}
		raw, err := generateRaw()
		if err != nil {
			return res, err
		}
		if nk, err = NewKey(raw); err != nil {
			return res, err
		}
		if err := WriteFile(src.KeyFile+newSuffix, raw); err != nil {
			return res, err
		}
		res.KeyFile = src.KeyFile
	}
	res.NewKeyID = nk.ID()
	if err := crashHook(stepNewKeyWritten); err != nil {
		return res, err
	}

	rep, err := v.Reseal(ctx, old, nk)
	if err != nil {
		// The new key file stays: if the commit reached the disk despite
		// the error, it is the only key that opens the store. Unlock will
		// keep or discard it by trying it.
		return res, fmt.Errorf("reseal the store: %w", err)
	}
	res.ResealReport = rep
	if err := crashHook(stepResealed); err != nil {
		return res, err
	}

	if env == "" {
		if err := renameDurable(src.KeyFile+newSuffix, src.KeyFile); err != nil {
			return res, fmt.Errorf("the store is now sealed under the new key but %s%s could not replace %s (the next start "+
				"finishes this): %w", src.KeyFile, newSuffix, src.KeyFile, err)
		}
	}
	if err := crashHook(stepRenamed); err != nil {
		return res, err
	}
	log.Info("master key rotated", "old_key_id", old.ID().String(), "new_key_id", nk.ID().String(),
		"accounts", rep.Accounts, "unreadable", len(rep.Unreadable))
	return res, nil
}
