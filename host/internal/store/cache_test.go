package store

import (
	"errors"
	"testing"

	"github.com/globalautomation/gahost/host/internal/secrets"
)

// Every write a session or an account depends on is seen by the next
// lookup, although the lookups before it were served from the cache.
func TestReadCacheSeesEveryWrite(t *testing.T) {
	f := newFixture(t)
	u, token := f.userWithToken(t, "alice")
	hash := secrets.HashToken(token)
	session := func() (User, error) {
		t.Helper()
		got, _, err := f.st.Session(f.ctx, hash)
		return got, err
	}
	for range 2 { // the second from the cache
		if got, err := session(); err != nil || got.ID != u.ID || got.Disabled {
			t.Fatalf("session = %+v, %v", got, err)
		}
	}
	if _, err := f.st.UpdateUser(f.ctx, u.ID, func(u *User, _ []User) error { u.Disabled = true; return nil }); err != nil {
		t.Fatal(err)
	}
	if got, err := session(); err != nil || !got.Disabled {
		t.Fatalf("after disabling: session = %+v, %v", got, err)
	}
	if _, err := f.st.DeleteTokens(f.ctx, u.ID, func(Token) bool { return true }); err != nil {
		t.Fatal(err)
	}
	if _, err := session(); !errors.Is(err, ErrInvalidToken) {
		t.Fatalf("after revoking: %v, want ErrInvalidToken", err)
	}

	other := f.user(t, "bob")
	a := f.account(t, u.ID, "main", true)
	for range 2 {
		got, err := f.st.UserAccount(f.ctx, u.ID, a.ID)
		if err != nil || got.Name != "main" || got.Sync.Status != SyncPending {
			t.Fatalf("account = %+v, %v", got, err)
		}
	}
	if _, err := f.st.UserAccount(f.ctx, other.ID, a.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("another user's account from the cache: %v, want ErrNotFound", err)
	}
	// A caller changing what it got changes nothing cached.
	got, _ := f.st.Account(f.ctx, a.ID)
	got.Secrets.APIKey[0] ^= 0xff
	got.Sync.FailedParts = append(got.Sync.FailedParts, "x")
	if again, _ := f.st.Account(f.ctx, a.ID); again.Secrets.APIKey[0] != a.Secrets.APIKey[0] || len(again.Sync.FailedParts) != 0 {
		t.Fatal("a change to a returned account reached the cache")
	}

	now := f.clock.now()
	if err := f.st.PutSyncResult(f.ctx, a.ID, SyncResult{Started: now, State: SyncState{Status: SyncOK, LastSyncAt: now}}); err != nil {
		t.Fatal(err)
	}
	if got, err := f.st.UserAccount(f.ctx, u.ID, a.ID); err != nil || got.Sync.Status != SyncOK {
		t.Fatalf("after a sync: %+v, %v", got.Sync, err)
	}
	err := f.st.EditAccounts(f.ctx, u.ID, func(mine []Account) (AccountChange, error) {
		mine[0].Name = "renamed"
		return AccountChange{Put: mine}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := f.st.Account(f.ctx, a.ID); err != nil || got.Name != "renamed" || got.Sync.Status != SyncOK {
		t.Fatalf("after a rename: %+v, %v", got, err)
	}
	if err := f.deleteAccount(u.ID, a.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.UserAccount(f.ctx, u.ID, a.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("after deleting: %v, want ErrNotFound", err)
	}
}

// A read that began before a commit is not kept once the commit is done,
// although it is handed to the cache after it.
func TestReadCacheDropsReadsOlderThanAWrite(t *testing.T) {
	c := newReadCache()
	a := Account{ID: "A", Name: "old"}
	gen := c.accountGen("A")
	c.accountSynced("A")
	c.keepAccount(gen, a)
	if _, ok := c.accountRecord("A"); ok {
		t.Fatal("an account read before a sync was kept after it")
	}
	gen = c.accountGen("A")
	c.recordsChanged()
	c.keepAccount(gen, a)
	if _, ok := c.accountRecord("A"); ok {
		t.Fatal("an account read before a write was kept after it")
	}
	sg := c.sessionGen()
	c.recordsChanged()
	c.keepSession(sg, secrets.TokenHash{1}, User{ID: "U"}, Token{})
	if _, _, ok := c.session(secrets.TokenHash{1}); ok {
		t.Fatal("a session read before a write was kept after it")
	}
	// And one read after every write is kept.
	gen = c.accountGen("A")
	c.keepAccount(gen, a)
	if got, ok := c.accountRecord("A"); !ok || got.Name != "old" {
		t.Fatalf("a current read was not kept: %+v %v", got, ok)
	}
	c.accountSynced("B")
	if _, ok := c.accountRecord("A"); !ok {
		t.Fatal("a sync of another account dropped this one")
	}
}
