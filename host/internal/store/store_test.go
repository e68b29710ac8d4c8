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
	"github.com/shopspring/decimal"
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

func (f *fixture) mains(t *testing.T, userID string) []string {
	t.Helper()
	list, err := f.st.ListAccounts(f.ctx, userID)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, a := range list {
		if a.IsMain {
			out = append(out, a.Name)
		}
	}
	return out
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

// swapField exchanges a sealed field between two records, as someone with
// write access to the file might.
func (f *fixture) rewrite(t *testing.T, id string, fn func(a *Account)) {
	t.Helper()
	err := f.st.db.Update(func(tx *bolt.Tx) error {
		var a Account
		if err := getJSON(tx.Bucket(bucketAccounts), []byte(id), &a); err != nil {
			return err
		}
		fn(&a)
		return putJSON(tx.Bucket(bucketAccounts), []byte(id), a)
	})
	if err != nil {
		t.Fatal(err)
	}
	// An edit of the file behind the store's back, as by another program
	// while gahost is stopped: nothing read before it is served after it.
	f.st.cache.recordsChanged()
}

func TestSwappedCiphertextsDoNotOpen(t *testing.T) {
	tests := []struct {
		name string
		swap func(a, b *Account)
	}{
		{"api keys between accounts", func(a, b *Account) { a.Secrets.APIKey, b.Secrets.APIKey = b.Secrets.APIKey, a.Secrets.APIKey }},
		{"whole secrets between accounts", func(a, b *Account) { a.Secrets, b.Secrets = b.Secrets, a.Secrets }},
		{"api key and secret of one account", func(a, _ *Account) {
			a.Secrets.APIKey, a.Secrets.SecretKey = a.Secrets.SecretKey, a.Secrets.APIKey
		}},
		{"passphrase into secret", func(a, _ *Account) { a.Secrets.SecretKey = a.Secrets.Passphrase }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			u := f.user(t, "u")
			a, b := f.account(t, u.ID, "a", false), f.account(t, u.ID, "b", false)
			tt.swap(&a, &b)
			f.rewrite(t, a.ID, func(x *Account) { x.Secrets = a.Secrets })
			f.rewrite(t, b.ID, func(x *Account) { x.Secrets = b.Secrets })
			got, err := f.st.Account(f.ctx, a.ID)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := f.key.OpenCredentials(got.ID, got.Secrets); !errors.Is(err, secrets.ErrCorrupt) {
				t.Fatalf("swapped secrets open: %v", err)
			}
		})
	}
}

func TestKeyCheck(t *testing.T) {
	f := newFixture(t)
	other, _ := secrets.GenerateKey()
	if err := f.st.CheckKey(f.ctx, f.key); err != nil {
		t.Fatalf("right key: %v", err)
	}
	err := f.st.CheckKey(f.ctx, other)
	if !errors.Is(err, secrets.ErrWrongKey) || !strings.Contains(err.Error(), f.key.ID().String()) {
		t.Fatalf("wrong key: %v", err)
	}
	if err := f.st.InitKey(f.ctx, other); !errors.Is(err, secrets.ErrWrongKey) {
		t.Fatalf("InitKey over an existing check: %v", err)
	}
	empty, err := Open(context.Background(), filepath.Join(t.TempDir(), "x.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer empty.Close()
	if err := empty.CheckKey(f.ctx, other); !errors.Is(err, secrets.ErrNoKeyCheck) {
		t.Fatalf("empty store: %v", err)
	}
}

func TestResealSkipsUnreadableAccounts(t *testing.T) {
	f := newFixture(t)
	u := f.user(t, "u")
	good, bad := f.account(t, u.ID, "good", false), f.account(t, u.ID, "bad", false)
	f.rewrite(t, bad.ID, func(a *Account) { a.Secrets.APIKey = good.Secrets.APIKey })
	nk, _ := secrets.GenerateKey()
	rep, err := f.st.Reseal(f.ctx, f.key, nk)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Accounts != 1 || len(rep.Unreadable) != 1 || rep.Unreadable[0] != bad.ID {
		t.Fatalf("report %+v", rep)
	}
	if err := f.st.CheckKey(f.ctx, nk); err != nil {
		t.Fatal(err)
	}
	a, _ := f.st.Account(f.ctx, good.ID)
	c, err := nk.OpenCredentials(a.ID, a.Secrets)
	if err != nil || c.SecretKey != "secret-good" {
		t.Fatalf("good account after reseal: %v", err)
	}
	// The API key's fingerprint is keyed by the master key: it moves too.
	if !bytes.Equal(a.KeyFingerprint, nk.Fingerprint(FingerprintAPIKey, c.APIKey)) {
		t.Fatal("the fingerprint did not move to the new key")
	}
	if _, err := f.st.Reseal(f.ctx, f.key, nk); !errors.Is(err, secrets.ErrWrongKey) {
		t.Fatalf("reseal with a stale old key: %v", err)
	}
}

func TestUsersAndTokens(t *testing.T) {
	f := newFixture(t)
	apiToken, apiHash, _ := secrets.NewToken()
	u, err := f.st.CreateUser(f.ctx, NewUser{Username: "Alice", Role: RoleUser, PasswordHash: "h", Token: apiHash})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.CreateUser(f.ctx, NewUser{Username: "alice", Role: RoleAdmin}); !errors.Is(err, ErrUsernameTaken) {
		t.Fatalf("duplicate username: %v", err)
	}
	if _, err := f.st.CreateUser(f.ctx, NewUser{Username: "bob", Role: "root"}); err == nil {
		t.Fatal("unknown role accepted")
	}
	if got, err := f.st.UserByName(f.ctx, "ALICE"); err != nil || got.ID != u.ID {
		t.Fatalf("UserByName: %v", err)
	}
	login, loginHash, _ := secrets.NewToken()
	exp := f.clock.now().Add(time.Hour)
	if err := f.st.AddLoginToken(f.ctx, u.ID, loginHash, exp); err != nil {
		t.Fatal(err)
	}
	if err := f.st.AddLoginToken(f.ctx, "nobody", loginHash, exp); !errors.Is(err, ErrNotFound) {
		t.Fatalf("token for a missing user: %v", err)
	}
	check := func(token string, wantExp time.Time, wantOK bool) {
		t.Helper()
		got, gotExp, err := f.st.TokenUser(f.ctx, secrets.HashToken(token))
		if wantOK && (err != nil || got.ID != u.ID || !gotExp.Equal(wantExp)) {
			t.Fatalf("TokenUser: %v %v", gotExp, err)
		}
		if !wantOK && !errors.Is(err, ErrInvalidToken) {
			t.Fatalf("TokenUser of a bad token: %v", err)
		}
	}
	check(apiToken, time.Time{}, true)
	check(login, exp, true)
	// Change the last character; "A" would be no change one time in 64.
	last := "A"
	if strings.HasSuffix(apiToken, "A") {
		last = "B"
	}
	check(apiToken[:len(apiToken)-1]+last, time.Time{}, false)
	check("", time.Time{}, false)
	if n, err := f.st.PruneTokens(f.ctx, exp.Add(-time.Second)); err != nil || n != 0 {
		t.Fatalf("PruneTokens before expiry = %d, %v", n, err)
	}
	if n, err := f.st.PruneTokens(f.ctx, exp); err != nil || n != 1 {
		t.Fatalf("PruneTokens = %d, %v", n, err)
	}
	check(login, exp, false)
	check(apiToken, time.Time{}, true)
}

func TestCreateFirstUser(t *testing.T) {
	f := newFixture(t)
	if has, err := f.st.HasUsers(f.ctx); err != nil || has {
		t.Fatalf("HasUsers on a new store = %v, %v", has, err)
	}
	_, h1, _ := secrets.NewToken()
	created, u, err := f.st.CreateFirstUser(f.ctx, NewUser{Username: "admin", Role: RoleAdmin, Token: h1})
	if err != nil || !created || u.Username != "admin" {
		t.Fatalf("CreateFirstUser = %v, %+v, %v", created, u, err)
	}
	if has, err := f.st.HasUsers(f.ctx); err != nil || !has {
		t.Fatalf("HasUsers = %v, %v", has, err)
	}
	_, h2, _ := secrets.NewToken()
	created, _, err = f.st.CreateFirstUser(f.ctx, NewUser{Username: "other", Role: RoleAdmin, Token: h2})
	if err != nil || created {
		t.Fatalf("second CreateFirstUser = %v, %v", created, err)
	}
	if _, err := f.st.UserByName(f.ctx, "other"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second first user was stored: %v", err)
	}
}

// EditAccounts writes what its function returns in one transaction, or
// nothing when the function fails.
func TestEditAccounts(t *testing.T) {
	f := newFixture(t)
	u := f.user(t, "u")
	a, b := f.account(t, u.ID, "a", true), f.account(t, u.ID, "b", false)
	var seen []string
	err := f.st.EditAccounts(f.ctx, u.ID, func(mine []Account) (AccountChange, error) {
		for _, x := range mine {
			seen = append(seen, x.Name)
		}
		x, y := mine[0], mine[1]
		x.IsMain, y.IsMain = false, true
		return AccountChange{Put: []Account{x, y}}, nil
	})
	if err != nil || fmt.Sprint(seen) != "[a b]" || fmt.Sprint(f.mains(t, u.ID)) != "[b]" {
		t.Fatalf("edit: %v, saw %v, mains %v", err, seen, f.mains(t, u.ID))
	}
	boom := errors.New("boom")
	err = f.st.EditAccounts(f.ctx, u.ID, func(mine []Account) (AccountChange, error) {
		return AccountChange{}, boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("failing edit: %v", err)
	}
	// A change that fails half-way leaves nothing behind.
	err = f.st.EditAccounts(f.ctx, u.ID, func(mine []Account) (AccountChange, error) {
		x := mine[0]
		x.Name = "renamed"
		return AccountChange{Put: []Account{x}, Delete: []string{"no-such-id"}}, nil
	})
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("delete of a missing account: %v", err)
	}
	if got, _ := f.st.Account(f.ctx, a.ID); got.Name != "a" {
		t.Fatal("an aborted edit was written")
	}
	if err := f.deleteAccount(u.ID, b.ID); err != nil {
		t.Fatal(err)
	}
	if list, _ := f.st.ListAccounts(f.ctx, u.ID); len(list) != 1 || list[0].ID != a.ID {
		t.Fatalf("after delete: %+v", list)
	}
	// An account handed over for another user is refused.
	stray := a
	stray.UserID = "someone-else"
	if err := f.st.EditAccounts(f.ctx, u.ID, func([]Account) (AccountChange, error) {
		return AccountChange{Put: []Account{stray}}, nil
	}); err == nil {
		t.Fatal("an account of another user was written")
	}
}

func TestOwnership(t *testing.T) {
	f := newFixture(t)
	u, v := f.user(t, "u"), f.user(t, "v")
	a := f.account(t, u.ID, "a", false)
	if _, err := f.st.UserAccount(f.ctx, v.ID, a.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("read: %v", err)
	}
	if err := f.deleteAccount(v.ID, a.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("delete: %v", err)
	}
	if list, _ := f.st.ListAccounts(f.ctx, v.ID); len(list) != 0 {
		t.Fatalf("v lists %d accounts", len(list))
	}
	if _, err := f.putAccount("nobody", "n", false, secrets.Credentials{APIKey: "k", SecretKey: "s"}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("account for a missing user: %v", err)
	}
}

func d(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func TestPutSyncResultKeepsLastGoodParts(t *testing.T) {
	f := newFixture(t)
	a := f.account(t, f.user(t, "u").ID, "a", false)
	t1 := f.clock.now()
	full := Snapshot{
		SyncedAt: t1, Spot: []Balance{{Asset: "BTC", Free: d("0.10000000"), Locked: d("0"), Total: d("0.1")}}, SpotAt: t1,
		Futures: &FuturesAccount{Asset: "USDT", WalletBalance: d("100.5"), MarginBalance: d("101")}, FuturesAt: t1,
		Positions: []Position{{Symbol: "BTC/USDT:USDT", Side: "long", Size: d("0.01")}}, PositionsAt: t1,
	}
	if err := f.st.PutSyncResult(f.ctx, a.ID, SyncResult{Started: t1, Fresh: &full, State: SyncState{Status: SyncOK, LastSyncAt: t1}}); err != nil {
		t.Fatal(err)
	}
	t2 := t1.Add(time.Minute)
	partial := Snapshot{
		SyncedAt: t2, Spot: []Balance{{Asset: "ETH", Free: d("2"), Total: d("2")}}, SpotAt: t2,
		Errors: map[string]string{PartFutures: "exchange unavailable", PartPositions: "timeout"},
	}
	if err := f.st.PutSyncResult(f.ctx, a.ID, SyncResult{Started: t2, Fresh: &partial,
		State: SyncState{Status: SyncError, LastSyncAt: t2, FailedParts: []string{PartFutures, PartPositions}}}); err != nil {
		t.Fatal(err)
	}
	got, ok, err := f.st.LatestSnapshot(f.ctx, a.ID)
	if err != nil || !ok {
		t.Fatalf("LatestSnapshot: %v %v", ok, err)
	}
	if got.Spot[0].Asset != "ETH" || !got.SpotAt.Equal(t2) {
		t.Fatalf("spot not updated: %+v", got.Spot)
	}
	if got.Futures == nil || !got.Futures.WalletBalance.Equal(d("100.5")) || !got.FuturesAt.Equal(t1) {
		t.Fatalf("futures not kept: %+v", got.Futures)
	}
	if len(got.Positions) != 1 || !got.PositionsAt.Equal(t1) {
		t.Fatalf("positions not kept: %+v", got.Positions)
	}
	if got.Errors[PartFutures] == "" || !got.SyncedAt.Equal(t2) {
		t.Fatalf("errors/synced_at: %+v", got)
	}
	acct, _ := f.st.Account(f.ctx, a.ID)
	if fmt.Sprint(acct.Sync.FailedParts) != "[futures_account positions]" || acct.Sync.Status != SyncError {
		t.Fatalf("sync state %+v", acct.Sync)
	}
	// Amounts are stored as decimal strings, exactly as given.
	var raw []byte
	_ = f.st.db.View(func(tx *bolt.Tx) error {
		raw = bytes.Clone(tx.Bucket(bucketSnapshots).Get([]byte(a.ID)))
		return nil
	})
	for _, want := range []string{`"wallet_balance":"100.5"`, `"free":"2"`} {
		if !bytes.Contains(raw, []byte(want)) {
			t.Fatalf("stored JSON lacks %s: %s", want, raw)
		}
	}
	if _, ok, _ := f.st.LatestSnapshot(f.ctx, "nothing"); ok {
		t.Fatal("snapshot for a missing account")
	}
}

func TestPutSyncResultConcurrentAndDeleted(t *testing.T) {
	f := newFixture(t)
	u := f.user(t, "u")
	var ids []string
	for i := range 20 {
		ids = append(ids, f.account(t, u.ID, fmt.Sprint("a", i), false).ID)
	}
	base := f.clock.now()
	var wg sync.WaitGroup
	errs := make(chan error, len(ids)*5)
	for _, id := range ids {
		for j := range 5 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				at := base.Add(time.Duration(j) * time.Second)
				errs <- f.st.PutSyncResult(f.ctx, id, SyncResult{Started: at, Fresh: &Snapshot{SyncedAt: at},
					Point: fixedPoint(HistoryPoint{At: at, FuturesMarginBalance: d(fmt.Sprint(j))}),
					State: SyncState{Status: SyncOK, LastSyncAt: at}})
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range ids {
		pts, err := f.st.History(f.ctx, id, time.Time{}, time.Time{})
		if err != nil || len(pts) != 5 {
			t.Fatalf("history of %s: %d points, %v", id, len(pts), err)
		}
	}
	if err := f.deleteAccount(u.ID, ids[0]); err != nil {
		t.Fatal(err)
	}
	err := f.st.PutSyncResult(f.ctx, ids[0], SyncResult{Fresh: &Snapshot{}, Point: fixedPoint(HistoryPoint{At: base}),
		State: SyncState{Status: SyncOK}})
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("sync result for a deleted account: %v", err)
	}
	if _, ok, _ := f.st.LatestSnapshot(f.ctx, ids[0]); ok {
		t.Fatal("deleted account has a snapshot")
	}
	if pts, _ := f.st.History(f.ctx, ids[0], time.Time{}, time.Time{}); len(pts) != 0 {
		t.Fatalf("deleted account has %d points", len(pts))
	}
	if pts, _ := f.st.History(f.ctx, ids[1], time.Time{}, time.Time{}); len(pts) != 5 {
		t.Fatalf("a neighbour lost history: %d", len(pts))
	}
}

func TestHistoryRange(t *testing.T) {
	f := newFixture(t)
	u := f.user(t, "u")
	a, b := f.account(t, u.ID, "a", false), f.account(t, u.ID, "b", false)
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	for i := range 10 {
		at := t0.Add(time.Duration(i) * time.Minute)
		for _, id := range []string{a.ID, b.ID} {
			if err := f.st.PutSyncResult(f.ctx, id, SyncResult{Started: at, Point: fixedPoint(HistoryPoint{At: at, UnrealizedPnL: d(fmt.Sprint(i))}),
				State: SyncState{Status: SyncOK}}); err != nil {
				t.Fatal(err)
			}
		}
	}
	tests := []struct {
		name     string
		from, to time.Time
		want     []string
	}{
		{"all", time.Time{}, time.Time{}, []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}},
		{"inclusive bounds", t0.Add(2 * time.Minute), t0.Add(4 * time.Minute), []string{"2", "3", "4"}},
		{"open start", time.Time{}, t0.Add(time.Minute), []string{"0", "1"}},
		{"open end", t0.Add(8 * time.Minute), time.Time{}, []string{"8", "9"}},
		{"between points", t0.Add(30 * time.Second), t0.Add(90 * time.Second), []string{"1"}},
		{"empty", t0.Add(time.Hour), time.Time{}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pts, err := f.st.History(f.ctx, a.ID, tt.from, tt.to)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range pts {
				got = append(got, p.UnrealizedPnL.String())
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestPruneHistory(t *testing.T) {
	// The same result whether one transaction covers all accounts or each
	// account gets its own.
	for _, batch := range []int{pruneBatch, 1} {
		t.Run(fmt.Sprintf("batch %d", batch), func(t *testing.T) {
			defer func(old int) { pruneBatch = old }(pruneBatch)
			pruneBatch = batch
			testPruneHistory(t)
		})
	}
}

func testPruneHistory(t *testing.T) {
	f := newFixture(t)
	u := f.user(t, "u")
	a, b := f.account(t, u.ID, "a", false), f.account(t, u.ID, "b", false)
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	// One point every 20 minutes for 3 days back, written in one
	// transaction (PutSyncResult waits for a batch each time).
	err := f.st.db.Update(func(tx *bolt.Tx) error {
		for at := now.Add(-72 * time.Hour); !at.After(now); at = at.Add(20 * time.Minute) {
			for _, id := range []string{a.ID, b.ID} {
				if err := putJSON(tx.Bucket(bucketHistory), historyKey(id, at), HistoryPoint{At: at}); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	keepAll, hourlyFor := 6*time.Hour, 48*time.Hour
	n, err := f.st.PruneHistory(f.ctx, now, keepAll, hourlyFor)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{a.ID, b.ID} {
		pts, _ := f.st.History(f.ctx, id, time.Time{}, time.Time{})
		hours := map[time.Time]int{}
		recent := 0
		for _, p := range pts {
			age := now.Sub(p.At)
			switch {
			case age >= hourlyFor:
				t.Fatalf("point %v older than hourlyFor kept", p.At)
			case age < keepAll:
				recent++
			default:
				hours[p.At.Truncate(time.Hour)]++
			}
		}
		if recent != 18 { // 6h at 3 per hour
			t.Fatalf("recent points = %d, want 18", recent)
		}
		for h, c := range hours {
			if c != 1 {
				t.Fatalf("hour %v keeps %d points", h, c)
			}
		}
		// Ages in [6h, 48h): from 12:20 two days ago up to 06:00 today,
		// which touches 12+24+7 clock hours.
		if len(hours) != 43 {
			t.Fatalf("hourly points = %d, want 43", len(hours))
		}
	}
	if again, _ := f.st.PruneHistory(f.ctx, now, keepAll, hourlyFor); again != 0 {
		t.Fatalf("second prune deleted %d", again)
	}
	if n == 0 {
		t.Fatal("nothing pruned")
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
