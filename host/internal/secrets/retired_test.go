package secrets_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/globalautomation/gahost/host/internal/secrets"
)

// copyFile copies the database file as an operator restoring a backup
// would.
func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) rotate(t *testing.T) secrets.RotateResult {
	t.Helper()
	st := openStore(t, f.dbPath)
	defer st.Close()
	res, err := secrets.Rotate(context.Background(), f.src(), st, f.log())
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func (f *fixture) list(t *testing.T) map[secrets.KeyID]secrets.KeyState {
	t.Helper()
	st := openStore(t, f.dbPath)
	defer st.Close()
	keys, err := secrets.ListKeys(context.Background(), f.src(), st, f.log())
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) == 0 || !keys[0].Current {
		t.Fatalf("ListKeys does not start with the current key: %+v", keys)
	}
	out := map[secrets.KeyID]secrets.KeyState{}
	for _, k := range keys {
		out[k.ID] = k
	}
	return out
}

func (f *fixture) drop(t *testing.T, id secrets.KeyID) error {
	t.Helper()
	st := openStore(t, f.dbPath)
	defer st.Close()
	return secrets.DropRetired(context.Background(), f.src(), st, id, f.log())
}

// The trap this guards against: a rotation used to overwrite master.key,
// so a backup taken before it could never be opened again.
func TestBackupFromBeforeARotationStillOpens(t *testing.T) {
	f := newFixture(t)
	first := f.check(t)
	backup := filepath.Join(t.TempDir(), "backup.db")
	copyFile(t, f.dbPath, backup)

	res := f.rotate(t)
	if res.OldKeyID != first.ID() {
		t.Fatalf("rotated from %s, store was under %s", res.OldKeyID, first.ID())
	}
	retired := filepath.Join(secrets.RetiredDir(f.keyFile), first.ID().String())
	if res.RetiredFile != retired {
		t.Fatalf("RetiredFile = %q, want %q", res.RetiredFile, retired)
	}
	for path, want := range map[string]os.FileMode{retired: 0o600, secrets.RetiredDir(f.keyFile): 0o700} {
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != want {
			t.Fatalf("%s has mode %v, want %v", path, st.Mode().Perm(), want)
		}
	}

	// Restore the old backup over the rotated database.
	copyFile(t, backup, f.dbPath)
	k := f.check(t) // every account opens, key file untouched
	if k.ID() != res.NewKeyID {
		t.Fatalf("started under %s, want the current key %s", k.ID(), res.NewKeyID)
	}

	keys := f.list(t)
	old, ok := keys[first.ID()]
	// 2 accounts: 3 + 2 sealed fields (no passphrase on the second), plus the key check.
	if !ok || old.Current || !old.Known || old.Sealed != 6 || old.File != retired {
		t.Fatalf("retired key listed as %+v", old)
	}
	if cur := keys[res.NewKeyID]; !cur.Current || cur.Sealed != 0 || cur.File != f.keyFile {
		t.Fatalf("current key listed as %+v", cur)
	}

	// In use: refused, and the file stays.
	if err := f.drop(t, first.ID()); !errors.Is(err, secrets.ErrKeyInUse) {
		t.Fatalf("drop of a key in use: %v", err)
	}
	if _, err := os.Stat(retired); err != nil {
		t.Fatalf("refused drop removed the file: %v", err)
	}

	// A rotation reseals what only the retired key opened; then it can go.
	second := f.rotate(t)
	if second.Accounts != 2 || len(second.Unreadable) != 0 {
		t.Fatalf("rotation over the restored backup: %+v", second)
	}
	if n := f.list(t)[first.ID()].Sealed; n != 0 {
		t.Fatalf("after the rotation %d values are still under the oldest key", n)
	}
	if err := f.drop(t, first.ID()); err != nil {
		t.Fatalf("drop of an unused retired key: %v", err)
	}
	if _, err := os.Stat(retired); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("dropped key file still there: %v", err)
	}
	if _, ok := f.list(t)[first.ID()]; ok {
		t.Fatal("dropped key still listed")
	}
	f.check(t)

	// With the key dropped the first backup no longer opens: the drop is
	// what the operator must weigh against the backups still kept.
	copyFile(t, backup, f.dbPath)
	st := openStore(t, f.dbPath)
	defer st.Close()
	if _, err := secrets.Unlock(context.Background(), f.src(), st, f.log()); !errors.Is(err, secrets.ErrWrongKey) {
		t.Fatalf("backup under a dropped key: %v", err)
	}
}

func TestDropRefusesTheCurrentAndUnknownKeys(t *testing.T) {
	f := newFixture(t)
	cur := f.check(t)
	if err := f.drop(t, cur.ID()); err == nil || !strings.Contains(err.Error(), "current") {
		t.Fatalf("drop of the current key: %v", err)
	}
	var unknown secrets.KeyID
	unknown[0] = 7
	if err := f.drop(t, unknown); err == nil || !strings.Contains(err.Error(), "no retired key") {
		t.Fatalf("drop of an unknown key: %v", err)
	}
	if _, err := os.Stat(f.keyFile); err != nil {
		t.Fatal(err)
	}
}

func TestListShowsValuesUnderAMissingKey(t *testing.T) {
	f := newFixture(t)
	first := f.check(t)
	backup := filepath.Join(t.TempDir(), "backup.db")
	copyFile(t, f.dbPath, backup)
	f.rotate(t)
	// The operator deletes the retired directory by hand, then restores
	// an old backup: start refuses, naming the key the store needs.
	if err := os.RemoveAll(secrets.RetiredDir(f.keyFile)); err != nil {
		t.Fatal(err)
	}
	copyFile(t, backup, f.dbPath)
	st := openStore(t, f.dbPath)
	_, err := secrets.Unlock(context.Background(), f.src(), st, f.log())
	st.Close()
	if !errors.Is(err, secrets.ErrWrongKey) || !strings.Contains(err.Error(), first.ID().String()) {
		t.Fatalf("start without the retired key: %v", err)
	}
}

func TestMisnamedRetiredKeyIsRefused(t *testing.T) {
	f := newFixture(t)
	f.rotate(t)
	dir := secrets.RetiredDir(f.keyFile)
	entries, err := os.ReadDir(dir)
	if err != nil || len(entries) != 1 {
		t.Fatalf("retired dir: %v %v", entries, err)
	}
	if err := os.Rename(filepath.Join(dir, entries[0].Name()), filepath.Join(dir, "0000000000000000")); err != nil {
		t.Fatal(err)
	}
	st := openStore(t, f.dbPath)
	defer st.Close()
	_, err = secrets.Unlock(context.Background(), f.src(), st, f.log())
	if err == nil || !strings.Contains(err.Error(), "named by its key id") || !strings.Contains(err.Error(), entries[0].Name()) {
		t.Fatalf("misnamed retired key: %v", err)
	}
}

func TestLooseRetiredKeyIsRefused(t *testing.T) {
	f := newFixture(t)
	res := f.rotate(t)
	if err := os.Chmod(res.RetiredFile, 0o644); err != nil {
		t.Fatal(err)
	}
	st := openStore(t, f.dbPath)
	defer st.Close()
	if _, err := secrets.Unlock(context.Background(), f.src(), st, f.log()); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("retired key readable by others: %v", err)
	}
}

func TestParseKeyID(t *testing.T) {
	k, err := secrets.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	if id, err := secrets.ParseKeyID(k.ID().String()); err != nil || id != k.ID() {
		t.Fatalf("round trip: %v %v", id, err)
	}
	for _, bad := range []string{"", "abc", "zzzzzzzzzzzzzzzz", k.ID().String() + "00"} {
		if _, err := secrets.ParseKeyID(bad); err == nil {
			t.Fatalf("ParseKeyID(%q) accepted", bad)
		}
	}
}
