package secrets

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/hashicorp/go-hclog"
)

// Retired keys. A rotation with a key file does not forget the old key: it
// keeps a copy in the directory <key_file>.retired (mode 0700), one file per
// key named by its key id and holding the 32 key bytes (mode 0600). Unlock
// loads them read-only and attaches them to the master key, so a value
// sealed under an old key id still opens; such is every value of a database
// restored from a backup taken before the rotation. New values are always
// sealed under the current key, and the next rotation reseals everything
// that any known key opens. Retired keys live next to the key file and never
// in the database, so a stolen backup alone opens nothing.
//
// A retired key is dropped with DropRetired, which refuses while the
// database still holds a value sealed under it.

// retiredSuffix names the directory of retired keys beside the key file.
const retiredSuffix = ".retired"

// ErrKeyInUse: the database still holds values sealed under a key that was
// asked to be dropped.
var ErrKeyInUse = errors.New("the database still holds values sealed under this key")

// RetiredDir returns the directory holding the retired keys of keyFile.
func RetiredDir(keyFile string) string { return keyFile + retiredSuffix }

// ParseKeyID reads a key id in its printed form (16 hex digits).
func ParseKeyID(s string) (KeyID, error) {
	var id KeyID
	b, err := hex.DecodeString(strings.TrimSpace(s))
	if err != nil || len(b) != keyIDSize {
		return id, fmt.Errorf("%q is not a key id: want %d hexadecimal digits", s, 2*keyIDSize)
	}
	copy(id[:], b)
	return id, nil
}

// retireKey keeps raw (a key that is about to stop being the current one)
// in the retired directory of keyFile. Writing the same key twice is
// harmless: the file is replaced atomically by identical bytes.
func retireKey(keyFile string, raw []byte) error {
	k, err := NewKey(raw)
	if err != nil {
		return err
	}
	dir := RetiredDir(keyFile)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("retire key %s: %w", k.ID(), err)
	}
	if err := WriteFile(filepath.Join(dir, k.ID().String()), raw); err != nil {
		return fmt.Errorf("retire key %s: %w", k.ID(), err)
	}
	return nil
}

// RetiredKey is one file of the retired directory.
type RetiredKey struct {
	ID   KeyID
	File string
}

// loadRetired reads every retired key of keyFile. An absent directory means
// none. A file whose name is not the id of the key it holds is an error
// rather than skipped, because its owner expects it to open something.
// Temporary files of an interrupted write (leading dot) are ignored.
func loadRetired(keyFile string) ([]*Key, []RetiredKey, error) {
	if keyFile == "" {
		return nil, nil, nil
	}
	dir := RetiredDir(keyFile)
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("retired keys: %w", err)
	}
	var keys []*Key
	var files []RetiredKey
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			continue
		}
		path := filepath.Join(dir, e.Name())
		k, err := readKeyFile(path)
		if err != nil {
			return nil, nil, fmt.Errorf("retired key: %w", err)
		}
		if e.Name() != k.ID().String() {
			return nil, nil, fmt.Errorf("retired key file %s holds key id %s; a retired key file must be named by its key id (rename it to %s)",
				path, k.ID(), filepath.Join(dir, k.ID().String()))
		}
		keys = append(keys, k)
		files = append(files, RetiredKey{ID: k.ID(), File: path})
	}
	return keys, files, nil
}

// attachRetired returns k carrying the retired keys of keyFile.
func attachRetired(keyFile string, k *Key) (*Key, error) {
	keys, _, err := loadRetired(keyFile)
	if err != nil {
		return nil, err
	}
	return k.withRetired(keys), nil
}

// Inventory is a Vault that can also say which keys its sealed values are
// under. The store implements it.
type Inventory interface {
	Vault
	// CountSealed returns, per key id, how many sealed values the
	// database holds under it (account fields, webhook secrets and the
	// key check).
	CountSealed(ctx context.Context) (map[KeyID]int, error)
}

// KeyState is one line of ListKeys.
type KeyState struct {
	ID KeyID
	// Current is true for the master key in use.
	Current bool
	// File holds the key; empty for a key from the environment or for a
	// key id found in the database that no known key matches.
	File string
	// Known is false for a key id the database holds values under but no
	// current or retired key matches: those values cannot be opened.
	Known bool
	// Sealed counts the database's values under this key id.
	Sealed int
}

// ListKeys unlocks the store as a start would and reports the current key,
// every retired key and any unknown key id the database uses, each with the
// number of values sealed under it. Current first, then by key id.
func ListKeys(ctx context.Context, src Source, inv Inventory, log hclog.Logger) ([]KeyState, error) {
	k, err := Unlock(ctx, src, inv, log)
	if err != nil {
		return nil, err
	}
	counts, err := inv.CountSealed(ctx)
	if err != nil {
		return nil, err
	}
	_, files, err := loadRetired(src.KeyFile)
	if err != nil {
		return nil, err
	}
	cur := KeyState{ID: k.ID(), Current: true, Known: true, Sealed: counts[k.ID()]}
	if env, _ := src.envName(); env == "" {
		cur.File = src.KeyFile
	}
	out := []KeyState{cur}
	seen := map[KeyID]bool{k.ID(): true}
	for _, f := range files {
		if seen[f.ID] {
			continue // a copy of the current key left by a rotation that did not commit
		}
		seen[f.ID] = true
		out = append(out, KeyState{ID: f.ID, File: f.File, Known: true, Sealed: counts[f.ID]})
	}
	var unknown []KeyState
	for id, n := range counts {
		if !seen[id] {
			unknown = append(unknown, KeyState{ID: id, Sealed: n})
		}
	}
	sortStates(out[1:])
	sortStates(unknown)
	return append(out, unknown...), nil
}

func sortStates(s []KeyState) {
	slices.SortFunc(s, func(a, b KeyState) int { return bytes.Compare(a.ID[:], b.ID[:]) })
}

// DropRetired deletes the retired key with the given id. It refuses the
// current key, an id with no retired file, and a key the database still
// holds values under (ErrKeyInUse): rotating first reseals those under a new
// key. Backups taken while the key was current can no longer be opened once
// it is dropped; that is the operator's decision to make.
func DropRetired(ctx context.Context, src Source, inv Inventory, id KeyID, log hclog.Logger) error {
	if log == nil {
		log = hclog.NewNullLogger()
	}
	k, err := Unlock(ctx, src, inv, log)
	if err != nil {
		return err
	}
	if id == k.ID() {
		return fmt.Errorf("key %s is the current master key, not a retired one", id)
	}
	_, files, err := loadRetired(src.KeyFile)
	if err != nil {
		return err
	}
	file := ""
	for _, f := range files {
		if f.ID == id {
			file = f.File
		}
	}
	if file == "" {
		return fmt.Errorf("no retired key with id %s in %s", id, RetiredDir(src.KeyFile))
	}
	counts, err := inv.CountSealed(ctx)
	if err != nil {
		return err
	}
	if n := counts[id]; n > 0 {
		return fmt.Errorf("key %s: %w (%d values); run `gahost keys rotate` to reseal them under a new key, then drop it", id, ErrKeyInUse, n)
	}
	if err := removeDurable(file); err != nil {
		return fmt.Errorf("drop retired key %s: %w", id, err)
	}
	log.Info("retired key dropped", "key_id", id.String())
	return nil
}
