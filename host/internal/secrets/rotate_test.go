package secrets_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/globalautomation/gahost/host/internal/secrets"
	"github.com/globalautomation/gahost/host/internal/store"
	"github.com/hashicorp/go-hclog"
)

// fixture is a data dir with a store holding accounts sealed under the key
// of its key file.
type fixture struct {
	dir, dbPath, keyFile string
	want                 map[string]secrets.Credentials // account id -> plaintext
	logs                 *bytes.Buffer
}

func (f *fixture) src() secrets.Source {
	return secrets.Source{KeyFile: f.keyFile, Getenv: func(string) string { return "" }}
}

func (f *fixture) log() hclog.Logger {
	return hclog.New(&hclog.LoggerOptions{Output: f.logs, Level: hclog.Trace})
}

func openStore(t *testing.T, path string) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	dir := t.TempDir()
	f := &fixture{dir: dir, dbPath: store.Path(dir), keyFile: filepath.Join(dir, "master.key"),
		want: map[string]secrets.Credentials{}, logs: &bytes.Buffer{}}
	ctx := context.Background()
	st := openStore(t, f.dbPath)
	defer st.Close()
	k, err := secrets.Unlock(ctx, f.src(), st, f.log())
	if err != nil {
		t.Fatal(err)
	}
	u := addUser(t, st)
	for _, c := range []secrets.Credentials{
		{APIKey: "rot-api-1", SecretKey: "rot-secret-1", Passphrase: "rot-pass-1"},
		{APIKey: "rot-api-2", SecretKey: "rot-secret-2"},
	} {
		a, err := addAccount(st, k, u.ID, c)
		if err != nil {
			t.Fatal(err)
		}
		f.want[a.ID] = c
	}
	return f
}

// check starts as the daemon would and proves every secret opens with the
// key it gets, that the key file holds that key and that no rotation file
// is left.
func (f *fixture) check(t *testing.T) *secrets.Key {
	t.Helper()
	ctx := context.Background()
	st := openStore(t, f.dbPath)
	defer st.Close()
	k, err := secrets.Unlock(ctx, f.src(), st, f.log())
	if err != nil {
		t.Fatalf("start after the crash: %v", err)
	}
	for id, want := range f.want {
		a, err := st.Account(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		got, err := k.OpenCredentials(id, a.Secrets)
		if err != nil || got != want {
			t.Fatalf("account %s: secrets lost: %v", id, err)
		}
	}
	raw, err := os.ReadFile(f.keyFile)
	if err != nil {
		t.Fatal(err)
	}
	if fk, _ := secrets.NewKey(raw); fk == nil || fk.ID() != k.ID() {
		t.Fatal("the key file does not hold the key that opens the store")
	}
	if _, err := os.Stat(f.keyFile + ".new"); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("master.key.new left behind: %v", err)
	}
	if st, _ := os.Stat(f.keyFile); st.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v", st.Mode())
	}
	return k
}

// failingVault stands in for a crash inside the store transaction.
type failingVault struct {
	*store.Store
	commit bool // let the transaction commit, then fail (power cut before the answer)
}

func (v failingVault) Reseal(ctx context.Context, old, nk *secrets.Key) (secrets.ResealReport, error) {
	if v.commit {
		if _, err := v.Store.Reseal(ctx, old, nk); err != nil {
			return secrets.ResealReport{}, err
		}
	}
	return secrets.ResealReport{}, errors.New("simulated crash in the transaction")
}

func TestRotateSurvivesACrashAtEveryStep(t *testing.T) {
	errCrash := errors.New("simulated crash")
	tests := []struct {
		name      string
		crashStep string
		vault     func(*store.Store) secrets.Vault
		wantNew   bool // the store ends under the new key
	}{
		{"no crash", "", nil, true},
		{"after retiring the old key", secrets.StepOldKeyRetired, nil, false},
		{"after writing master.key.new", secrets.StepNewKeyWritten, nil, false},
		{"inside the transaction, before commit", "", func(s *store.Store) secrets.Vault { return failingVault{Store: s} }, false},
		{"inside the transaction, after commit", "", func(s *store.Store) secrets.Vault { return failingVault{Store: s, commit: true} }, true},
		{"after the commit, before the rename", secrets.StepResealed, nil, true},
		{"after the rename", secrets.StepRenamed, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			before := f.check(t)
			restore := secrets.SetCrashHook(func(step string) error {
				if step == tt.crashStep {
					return errCrash
				}
				return nil
			})
			st := openStore(t, f.dbPath)
			var v secrets.Vault = st
			if tt.vault != nil {
				v = tt.vault(st)
			}
			res, err := secrets.Rotate(context.Background(), f.src(), v, f.log())
			restore()
			st.Close()
			if crashed := tt.crashStep != "" || tt.vault != nil; crashed != (err != nil) {
				t.Fatalf("Rotate err = %v", err)
			}
			after := f.check(t)
			if gotNew := after.ID() != before.ID(); gotNew != tt.wantNew {
				t.Fatalf("store under new key = %v, want %v", gotNew, tt.wantNew)
			}
			if tt.wantNew && after.ID() != res.NewKeyID {
				t.Fatalf("store under %s, rotation made %s", after.ID(), res.NewKeyID)
			}
			// A later rotation goes through from whatever state is left.
			st = openStore(t, f.dbPath)
			if _, err := secrets.Rotate(context.Background(), f.src(), st, f.log()); err != nil {
				t.Fatalf("rotation after recovery: %v", err)
			}
			st.Close()
			if f.check(t).ID() == after.ID() {
				t.Fatal("second rotation did not change the key")
			}
		})
	}
}

func TestWrongKeyIsRefusedAndChangesNothing(t *testing.T) {
	f := newFixture(t)
	f.check(t)
	wrong := bytes.Repeat([]byte{1}, secrets.KeySize)
	if err := os.WriteFile(f.keyFile, wrong, 0o600); err != nil {
		t.Fatal(err)
	}
	dbBefore, _ := os.ReadFile(f.dbPath)
	tests := []struct {
		name string
		src  secrets.Source
	}{
		{"key file", f.src()},
		{"environment", secrets.Source{KeyFile: f.keyFile, Getenv: func(k string) string {
			if k == secrets.DefaultKeyEnv {
				return base64.StdEncoding.EncodeToString(wrong)
			}
			return ""
		}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := openStore(t, f.dbPath)
			_, err := secrets.Unlock(context.Background(), tt.src, st, f.log())
			st.Close()
			if !errors.Is(err, secrets.ErrWrongKey) {
				t.Fatalf("Unlock err = %v, want ErrWrongKey", err)
			}
			for _, word := range []string{"cannot open the store", "Refusing to start", "nothing was changed"} {
				if !strings.Contains(err.Error(), word) {
					t.Fatalf("message %q lacks %q", err, word)
				}
			}
			dbAfter, _ := os.ReadFile(f.dbPath)
			if !bytes.Equal(dbBefore, dbAfter) {
				t.Fatal("the database file changed")
			}
			if raw, _ := os.ReadFile(f.keyFile); !bytes.Equal(raw, wrong) {
				t.Fatal("the key file changed")
			}
		})
	}
}

func TestMissingKeyFileWithDataIsRefused(t *testing.T) {
	f := newFixture(t)
	if err := os.Remove(f.keyFile); err != nil {
		t.Fatal(err)
	}
	st := openStore(t, f.dbPath)
	defer st.Close()
	_, err := secrets.Unlock(context.Background(), f.src(), st, f.log())
	if err == nil || !strings.Contains(err.Error(), "restore the key file") {
		t.Fatalf("err = %v", err)
	}
	if _, err := os.Stat(f.keyFile); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("a new key file was created over missing data")
	}
}

func TestLooseKeyFileIsRefused(t *testing.T) {
	f := newFixture(t)
	if err := os.Chmod(f.keyFile, 0o644); err != nil {
		t.Fatal(err)
	}
	st := openStore(t, f.dbPath)
	defer st.Close()
	_, err := secrets.Unlock(context.Background(), f.src(), st, f.log())
	if err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("err = %v", err)
	}
}

func TestRotateWithEnvironmentKeys(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	oldRaw := bytes.Repeat([]byte{3}, secrets.KeySize)
	newRaw := bytes.Repeat([]byte{4}, secrets.KeySize)
	env := map[string]string{"K": base64.StdEncoding.EncodeToString(oldRaw)}
	src := secrets.Source{KeyFile: filepath.Join(dir, "unused.key"), KeyEnv: "K", Getenv: func(k string) string { return env[k] }}
	st := openStore(t, store.Path(dir))
	defer st.Close()
	k, err := secrets.Unlock(ctx, src, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	u := addUser(t, st)
	a, err := addAccount(st, k, u.ID, secrets.Credentials{APIKey: "envkey", SecretKey: "envsecret"})
	if err != nil {
		t.Fatal(err)
	}

	if _, err := secrets.Rotate(ctx, src, st, nil); err == nil || !strings.Contains(err.Error(), secrets.NewKeyEnv) {
		t.Fatalf("rotation without a new key: %v", err)
	}
	env[secrets.NewKeyEnv] = base64.StdEncoding.EncodeToString(newRaw)
	res, err := secrets.Rotate(ctx, src, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.KeyEnv != "K" || res.Accounts != 1 {
		t.Fatalf("result %+v", res)
	}
	// Until the operator moves the key, both variables are set: start works.
	k2, err := secrets.Unlock(ctx, src, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	if k2.ID() != res.NewKeyID {
		t.Fatal("start did not pick the new key")
	}
	got, _ := st.Account(ctx, a.ID)
	if c, err := k2.OpenCredentials(a.ID, got.Secrets); err != nil || c.APIKey != "envkey" {
		t.Fatalf("secrets after rotation: %v", err)
	}
	// The old key alone is refused.
	delete(env, secrets.NewKeyEnv)
	if _, err := secrets.Unlock(ctx, src, st, nil); !errors.Is(err, secrets.ErrWrongKey) {
		t.Fatalf("old key alone: %v", err)
	}
	if _, err := os.Stat(src.KeyFile); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("a key file was written although keys come from the environment")
	}
}

func TestUnlockLogsNoKeyMaterial(t *testing.T) {
	f := newFixture(t)
	st := openStore(t, f.dbPath)
	if _, err := secrets.Rotate(context.Background(), f.src(), st, f.log()); err != nil {
		t.Fatal(err)
	}
	st.Close()
	raw, _ := os.ReadFile(f.keyFile)
	logs := f.logs.String()
	for _, leak := range []string{string(raw), base64.StdEncoding.EncodeToString(raw), "rot-api-1", "rot-secret-1", "rot-pass-1"} {
		if strings.Contains(logs, leak) {
			t.Fatalf("log contains key material or a secret")
		}
	}
	if !strings.Contains(logs, "master key rotated") {
		t.Fatalf("expected a rotation log line, got:\n%s", logs)
	}
}

// addUser stores a user, as the users service would.
func addUser(t *testing.T, st *store.Store) store.User {
	t.Helper()
	_, hash, err := secrets.NewToken()
	if err != nil {
		t.Fatal(err)
	}
	u, err := st.CreateUser(context.Background(), store.NewUser{Username: "u", Role: store.RoleUser, Token: hash})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// addAccount stores an account with c sealed under k, as the accounts
// service would.
func addAccount(st *store.Store, k *secrets.Key, userID string, c secrets.Credentials) (store.Account, error) {
	id := store.NewID()
	sealed, err := k.SealCredentials(id, c)
	if err != nil {
		return store.Account{}, err
	}
	a := store.Account{ID: id, UserID: userID, Name: "n", Exchange: "x", IsActive: true, Secrets: sealed, KeysRev: 1,
		Sync: store.SyncState{Status: store.SyncPending}}
	err = st.EditAccounts(context.Background(), userID, func([]store.Account) (store.AccountChange, error) {
		return store.AccountChange{Put: []store.Account{a}}, nil
	})
	return a, err
}
