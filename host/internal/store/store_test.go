// The store's behaviour is tested once for both backends by the shared
// conformance suite (storetest, run here by conformance_test.go); this file
// keeps what only the bbolt file has: its lock, schema, plaintext and
// backup checks.

package store

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/globalautomation/gahost/host/internal/secrets"
	bolt "go.etcd.io/bbolt"
)

// clock is a settable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type fixture struct {
	st    *Store
	key   *secrets.Key
	clock *clock
	dir   string
	ctx   context.Context
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	dir := t.TempDir()
	c := &clock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	st, err := Open(context.Background(), Path(dir), Options{Now: c.now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	k, err := secrets.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	if err := st.InitKey(context.Background(), k); err != nil {
		t.Fatal(err)
	}
	return &fixture{st: st, key: k, clock: c, dir: dir, ctx: context.Background()}
}

func (f *fixture) user(t *testing.T, name string) User {
	t.Helper()
	u, _ := f.userWithToken(t, name)
	return u
}

// userWithToken stores a user with an API token made here: the store only
// keeps what it is given.
func (f *fixture) userWithToken(t *testing.T, name string) (User, string) {
	t.Helper()
	token, hash, err := secrets.NewToken()
	if err != nil {
		t.Fatal(err)
	}
	u, err := f.st.CreateUser(f.ctx, NewUser{Username: name, Role: RoleUser, Token: hash})
	if err != nil {
		t.Fatal(err)
	}
	return u, token
}

func (f *fixture) account(t *testing.T, userID, name string, isMain bool) Account {
	t.Helper()
	a, err := f.putAccount(userID, name, isMain, secrets.Credentials{APIKey: "apikey-" + name + "-0123456789",
		SecretKey: "secret-" + name, Passphrase: "pass-" + name})
	if err != nil {
		t.Fatal(err)
	}
	f.clock.add(time.Millisecond)
	return a
}

// putAccount stores a new account with its credentials sealed here, as the
// accounts service hands it over.
func (f *fixture) putAccount(userID, name string, isMain bool, c secrets.Credentials) (Account, error) {
	id := NewID()
	sealed, err := f.key.SealCredentials(id, c)
	if err != nil {
		return Account{}, err
	}
	now := f.clock.now()
	a := Account{ID: id, UserID: userID, Name: name, Exchange: "fake", IsActive: true, IsMain: isMain,
		APIKeyHint: "hint", Secrets: sealed, KeysRev: 1, CreatedAt: now, UpdatedAt: now, Sync: SyncState{Status: SyncPending}}
	err = f.st.EditAccounts(f.ctx, userID, func([]Account) (AccountChange, error) {
		return AccountChange{Put: []Account{a}}, nil
	})
	return a, err
}

// deleteAccount deletes an account through EditAccounts.
func (f *fixture) deleteAccount(userID, id string) error {
	return f.st.EditAccounts(f.ctx, userID, func([]Account) (AccountChange, error) {
		return AccountChange{Delete: []string{id}}, nil
	})
}

func TestSecondOpenFailsFast(t *testing.T) {
	f := newFixture(t)
	start := time.Now()
	_, err := Open(context.Background(), f.st.Path(), Options{LockTimeout: 200 * time.Millisecond})
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("second open: %v, want ErrLocked", err)
	}
	if !strings.Contains(err.Error(), "another gahost") {
		t.Fatalf("message %q does not say why", err)
	}
	if time.Since(start) > 10*time.Second {
		t.Fatal("second open hung")
	}
}

func TestReopenOfCurrentSchemaDoesNotWrite(t *testing.T) {
	f := newFixture(t)
	f.account(t, f.user(t, "u").ID, "a", false)
	path := f.st.Path()
	f.st.Close()
	before, _ := os.ReadFile(path)
	st, err := Open(context.Background(), path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.CheckKey(context.Background(), f.key); err != nil {
		t.Fatal(err)
	}
	st.Close()
	after, _ := os.ReadFile(path)
	if !bytes.Equal(before, after) {
		t.Fatal("opening an up-to-date store changed the file")
	}
}

func TestNewerSchemaIsRefused(t *testing.T) {
	f := newFixture(t)
	if err := f.st.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketMeta).Put(keySchemaVersion, []byte{0, 0, 0, 0, 0, 0, 0, 99})
	}); err != nil {
		t.Fatal(err)
	}
	path := f.st.Path()
	f.st.Close()
	if _, err := Open(context.Background(), path, Options{}); err == nil || !strings.Contains(err.Error(), "newer") {
		t.Fatalf("err = %v", err)
	}
}

func TestFileHoldsNoPlaintext(t *testing.T) {
	f := newFixture(t)
	u := f.user(t, "u")
	plain := []string{}
	for i := range 5 {
		c := secrets.Credentials{
			APIKey:     fmt.Sprintf("PLAINAPIKEY%dxxxxxxxxxxxxxxxxxxxx", i),
			SecretKey:  fmt.Sprintf("PLAINSECRET%dyyyyyyyyyyyyyyyyyyyy", i),
			Passphrase: fmt.Sprintf("PLAINPASS%dzzzz", i),
		}
		if _, err := f.putAccount(u.ID, "n", false, c); err != nil {
			t.Fatal(err)
		}
		plain = append(plain, c.SecretKey, c.Passphrase, c.APIKey[:20])
	}
	_, token := f.userWithToken(t, "v")
	plain = append(plain, token)
	f.st.Close()
	raw, err := os.ReadFile(Path(f.dir))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range plain {
		for _, form := range []string{p, base64.StdEncoding.EncodeToString([]byte(p))} {
			if bytes.Contains(raw, []byte(form)) {
				t.Fatalf("database file contains a secret (%d bytes)", len(p))
			}
		}
	}
}

func TestWriteBackup(t *testing.T) {
	f := newFixture(t)
	a := f.account(t, f.user(t, "u").ID, "a", false)
	var buf bytes.Buffer
	if err := f.st.WriteBackup(f.ctx, &buf); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "backup.db")
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	restored, err := Open(context.Background(), path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer restored.Close()
	got, err := restored.Account(f.ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if c, err := f.key.OpenCredentials(got.ID, got.Secrets); err != nil || c.SecretKey != "secret-a" {
		t.Fatalf("backup does not open: %v", err)
	}
	if err := restored.CheckKey(f.ctx, f.key); err != nil {
		t.Fatal(err)
	}
}
