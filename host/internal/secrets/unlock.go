package secrets

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/hashicorp/go-hclog"
)

// Environment variables for keys.
const (
	// DefaultKeyEnv is consulted when the config names no key variable.
	DefaultKeyEnv = "GAHOST_MASTER_KEY"
	// NewKeyEnv holds the new key during a rotation when keys come from the
	// environment.
	NewKeyEnv = "GAHOST_NEW_MASTER_KEY"
)

// newSuffix names the file that holds the next key during a rotation.
const newSuffix = ".new"

// ErrNoKeyCheck is what a Vault answers when it holds nothing sealed yet.
var ErrNoKeyCheck = errors.New("store has no key check record")

// Vault is the store's side of key management. The store implements it; this
// package never reads or writes the database itself.
type Vault interface {
	// CheckKey returns nil when k opens the store's sealed data,
	// ErrNoKeyCheck when the store holds nothing sealed yet, or an error
	// wrapping ErrWrongKey. It must not write.
	CheckKey(ctx context.Context, k *Key) error
	// InitKey records, in a store that has no key check yet, that its
	// secrets are sealed under k.
	InitKey(ctx context.Context, k *Key) error
	// Reseal re-encrypts every secret and the key check from old to new in
	// one transaction: after it either all of them open with new or all
	// with old.
	Reseal(ctx context.Context, old, new *Key) (ResealReport, error)
}

// ResealReport says what a Reseal did.
type ResealReport struct {
	Accounts int
	// Unreadable lists accounts whose secrets did not open with the old
	// key; they were left as they were (they were unreadable already).
	Unreadable []string
	// Webhooks counts re-encrypted webhook secrets; UnreadableWebhooks
	// lists those that did not open with the old key.
	Webhooks           int
	UnreadableWebhooks []string
}

// Source says where the master key comes from (config block encryption).
type Source struct {
	// KeyFile is the key file's path.
	KeyFile string
	// KeyEnv names the environment variable holding the key. When it is
	// set the variable must be present and wins over KeyFile; when empty,
	// DefaultKeyEnv is used if present, else KeyFile.
	KeyEnv string
	// Getenv reads the environment; nil means os.Getenv.
	Getenv func(string) string
}

func (s Source) getenv(name string) string {
	if s.Getenv != nil {
		return s.Getenv(name)
	}
	return os.Getenv(name)
}

// envName returns the variable that holds the key, or "" when the key file
// is to be used.
func (s Source) envName() (string, error) {
	if s.KeyEnv != "" {
		if s.getenv(s.KeyEnv) == "" {
			return "", fmt.Errorf("encryption.key_env names %s but it is not set", s.KeyEnv)
		}
		return s.KeyEnv, nil
	}
	if s.getenv(DefaultKeyEnv) != "" {
		return DefaultKeyEnv, nil
	}
	if s.KeyFile == "" {
		return "", fmt.Errorf("no master key: set %s or encryption.key_file", DefaultKeyEnv)
	}
	return "", nil
}

// keyFromEnv parses base64 (standard or URL alphabet, padded or not) of 32
// bytes. The error never quotes the value.
func keyFromEnv(name, value string) (*Key, error) {
	raw, ok := decodeKeyText([]byte(value))
	if !ok {
		return nil, fmt.Errorf("%s must be base64 of %d bytes", name, KeySize)
	}
	return NewKey(raw)
}

func decodeKeyText(b []byte) ([]byte, bool) {
	s := string(bytes.TrimSpace(b))
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if raw, err := enc.DecodeString(s); err == nil && len(raw) == KeySize {
			return raw, true
		}
	}
	return nil, false
}

// readKeyFile loads a key file, refusing one that group or other may access.
// It returns an error matching fs.ErrNotExist when the file is absent.
func readKeyFile(path string) (*Key, error) {
	raw, err := readKeyFileRaw(path)
	if err != nil {
		return nil, err
	}
	return NewKey(raw)
}

// readKeyFileRaw is readKeyFile returning the 32 key bytes, for the one
// caller that must copy a key elsewhere (retiring it).
func readKeyFileRaw(path string) ([]byte, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("key file %s is not a regular file", path)
	}
	if perm := st.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("key file %s has mode %04o, so other users may read the master key; refusing to use it. "+
			"Fix it with: chmod 600 %s", path, perm, path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(b) == KeySize {
		return b, nil
	}
	raw, ok := decodeKeyText(b)
	if !ok {
		return nil, fmt.Errorf("key file %s holds %d bytes; want %d raw bytes or their base64", path, len(b), KeySize)
	}
	return raw, nil
}

func exists(path string) (bool, error) {
	_, err := os.Lstat(path)
	if err == nil {
		return true, nil
	}
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return false, err
}

// Unlock finds the master key, proves it opens the store and returns it. It
// is called once at every start, before anything reads a secret.
//
// On a store that holds nothing sealed it creates the key file when absent
// and records the key. When the key cannot open the store it returns an
// error wrapping ErrWrongKey and changes nothing, unless the key file left by
// an interrupted rotation opens it, in which case it finishes that rotation
// (renames master.key.new over master.key). A leftover new key that the store
// was never sealed under is removed.
func Unlock(ctx context.Context, src Source, v Vault, log hclog.Logger) (*Key, error) {
	if log == nil {
		log = hclog.NewNullLogger()
	}
	env, err := src.envName()
	if err != nil {
		return nil, err
	}
	if env != "" {
		return unlockEnv(ctx, src, env, v, log)
	}
	return unlockFile(ctx, src.KeyFile, v, log)
}

func unlockEnv(ctx context.Context, src Source, env string, v Vault, log hclog.Logger) (*Key, error) {
	k, err := keyFromEnv(env, src.getenv(env))
	if err != nil {
		return nil, err
	}
	if k, err = attachRetired(src.KeyFile, k); err != nil {
		return nil, err
	}
	err = v.CheckKey(ctx, k)
	switch {
	case err == nil:
		return k, nil
	case errors.Is(err, ErrNoKeyCheck):
		if err := v.InitKey(ctx, k); err != nil {
			return nil, err
		}
		log.Info("master key recorded in a new store", "key_id", k.ID().String(), "source", env)
		return k, nil
	case !errors.Is(err, ErrWrongKey):
		return nil, err
	}
	if nv := src.getenv(NewKeyEnv); nv != "" && env != NewKeyEnv {
		nk, perr := keyFromEnv(NewKeyEnv, nv)
		if perr == nil && v.CheckKey(ctx, nk) == nil {
			if nk, perr = attachRetired(src.KeyFile, nk); perr != nil {
				return nil, perr
			}
			log.Warn("the store is sealed under the key in "+NewKeyEnv+" (a rotation finished); move that key to "+env+
				" and unset "+NewKeyEnv, "key_id", nk.ID().String())
			return nk, nil
		}
	}
	return nil, wrongKey(env, k, err)
}

func wrongKey(source string, k *Key, err error) error {
	return fmt.Errorf("master key from %s (key id %s) cannot open the store: %w. Refusing to start; nothing was changed. "+
		"Supply the key the store was sealed with", source, k.ID(), err)
}

func unlockFile(ctx context.Context, path string, v Vault, log hclog.Logger) (*Key, error) {
	newPath := path + newSuffix
	k, err := readKeyFile(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	if err == nil {
		// Retired keys are attached before the check, so a database
		// restored from a backup taken before a rotation opens.
		if k, err = attachRetired(path, k); err != nil {
			return nil, err
		}
		cerr := v.CheckKey(ctx, k)
		switch {
		case cerr == nil:
			return k, discardNewKey(newPath, log)
		case errors.Is(cerr, ErrNoKeyCheck):
			if err := v.InitKey(ctx, k); err != nil {
				return nil, err
			}
			log.Info("master key recorded in a new store", "key_id", k.ID().String(), "key_file", path)
			return k, discardNewKey(newPath, log)
		case !errors.Is(cerr, ErrWrongKey):
			return nil, cerr
		}
		if nk, ok := finishRotation(ctx, path, newPath, v, log); ok {
			return nk, nil
		}
		return nil, wrongKey("key file "+path, k, cerr)
	}

	// No key file. The key of an interrupted rotation may be all there is.
	if nk, ok := finishRotation(ctx, path, newPath, v, log); ok {
		return nk, nil
	}
	probe, err := GenerateKey()
	if err != nil {
		return nil, err
	}
	if cerr := v.CheckKey(ctx, probe); !errors.Is(cerr, ErrNoKeyCheck) {
		if cerr == nil || errors.Is(cerr, ErrWrongKey) {
			return nil, fmt.Errorf("key file %s is missing but the store holds secrets sealed under another key (%v); "+
				"restore the key file. Nothing was changed", path, cerr)
		}
		return nil, cerr
	}
	raw, err := generateRaw()
	if err != nil {
		return nil, err
	}
	if k, err = NewKey(raw); err != nil {
		return nil, err
	}
	if err := WriteFile(path, raw); err != nil {
		return nil, err
	}
	if err := v.InitKey(ctx, k); err != nil {
		return nil, err
	}
	if k, err = attachRetired(path, k); err != nil {
		return nil, err
	}
	log.Info("created a new master key file", "key_file", path, "key_id", k.ID().String())
	return k, discardNewKey(newPath, log)
}

// finishRotation completes a rotation that committed the store under the
// key in newPath but did not rename it over path. The key still in path is
// retired first, so nothing sealed under it (a backup) is orphaned.
func finishRotation(ctx context.Context, path, newPath string, v Vault, log hclog.Logger) (*Key, bool) {
	nk, err := readKeyFile(newPath)
	// The bare new key decides: with retired keys attached it could also
	// open a store that is still under the old one.
	if err != nil || v.CheckKey(ctx, nk) != nil {
		return nil, false
	}
	if raw, err := readKeyFileRaw(path); err == nil {
		if err := retireKey(path, raw); err != nil {
			log.Error("the old key of an interrupted rotation could not be retired; not finishing the rotation", "key_file", path, "error", err)
			return nil, false
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		log.Error("the old key of an interrupted rotation could not be read; not finishing the rotation", "key_file", path, "error", err)
		return nil, false
	}
	if err := renameDurable(newPath, path); err != nil {
		log.Error("the store is sealed under the new key but it could not be moved into place", "from", newPath, "to", path, "error", err)
		return nil, false
	}
	if withOld, err := attachRetired(path, nk); err != nil {
		// The store was just resealed under nk, so the bare key opens it;
		// the next start reports the broken retired directory again.
		log.Error("the rotation is finished but the retired keys could not be loaded", "error", err)
	} else {
		nk = withOld
	}
	log.Warn("finished an interrupted key rotation", "key_file", path, "key_id", nk.ID().String())
	return nk, true
}

// discardNewKey removes the new key of a rotation that never committed.
func discardNewKey(newPath string, log hclog.Logger) error {
	ok, err := exists(newPath)
	if err != nil || !ok {
		return err
	}
	if err := removeDurable(newPath); err != nil {
		return fmt.Errorf("remove unused key of an interrupted rotation: %w", err)
	}
	log.Warn("removed the unused key of an interrupted rotation; the store keeps its current key", "file", newPath)
	return nil
}
