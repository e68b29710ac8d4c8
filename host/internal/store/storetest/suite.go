package storetest

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/globalautomation/gahost/host/internal/secrets"
	"github.com/globalautomation/gahost/host/internal/store"
	"github.com/shopspring/decimal"
)

func (f *fixture) user(t *testing.T, name string) store.User {
	t.Helper()
	u, _ := f.userWithToken(t, name)
	return u
}

// userWithToken stores a user with an API token made here: the store only
// keeps what it is given.
func (f *fixture) userWithToken(t *testing.T, name string) (store.User, string) {
	t.Helper()
	token, hash, err := secrets.NewToken()
	if err != nil {
		t.Fatal(err)
	}
	u, err := f.st.CreateUser(f.ctx, store.NewUser{Username: name, Role: store.RoleUser, Token: hash})
	if err != nil {
		t.Fatal(err)
	}
	return u, token
}

func (f *fixture) account(t *testing.T, userID, name string, isMain bool) store.Account {
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
func (f *fixture) putAccount(userID, name string, isMain bool, c secrets.Credentials) (store.Account, error) {
	id := store.NewID()
	sealed, err := f.key.SealCredentials(id, c)
	if err != nil {
		return store.Account{}, err
	}
	now := f.clock.now()
	a := store.Account{ID: id, UserID: userID, Name: name, Exchange: "fake", IsActive: true, IsMain: isMain,
		APIKeyHint: "hint", Secrets: sealed, KeysRev: 1, CreatedAt: now, UpdatedAt: now, Sync: store.SyncState{Status: store.SyncPending}}
	err = f.st.EditAccounts(f.ctx, userID, func([]store.Account) (store.AccountChange, error) {
		return store.AccountChange{Put: []store.Account{a}}, nil
	})
	return a, err
}

// deleteAccount deletes an account through EditAccounts.
func (f *fixture) deleteAccount(userID, id string) error {
	return f.st.EditAccounts(f.ctx, userID, func([]store.Account) (store.AccountChange, error) {
		return store.AccountChange{Delete: []string{id}}, nil
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

func testSwappedCiphertextsDoNotOpen(t *testing.T, hs Harness) {
	tests := []struct {
		name string
		swap func(a, b *store.Account)
	}{
		{"api keys between accounts", func(a, b *store.Account) { a.Secrets.APIKey, b.Secrets.APIKey = b.Secrets.APIKey, a.Secrets.APIKey }},
		{"whole secrets between accounts", func(a, b *store.Account) { a.Secrets, b.Secrets = b.Secrets, a.Secrets }},
		{"api key and secret of one account", func(a, _ *store.Account) {
			a.Secrets.APIKey, a.Secrets.SecretKey = a.Secrets.SecretKey, a.Secrets.APIKey
		}},
		{"passphrase into secret", func(a, _ *store.Account) { a.Secrets.SecretKey = a.Secrets.Passphrase }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, hs)
			u := f.user(t, "u")
			a, b := f.account(t, u.ID, "a", false), f.account(t, u.ID, "b", false)
			tt.swap(&a, &b)
			f.rewrite(t, a.ID, func(x *store.Account) { x.Secrets = a.Secrets })
			f.rewrite(t, b.ID, func(x *store.Account) { x.Secrets = b.Secrets })
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

func testKeyCheck(t *testing.T, hs Harness) {
	f := newFixture(t, hs)
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
	empty := hs.Open(t, f.clock.now)
	if err := empty.CheckKey(f.ctx, other); !errors.Is(err, secrets.ErrNoKeyCheck) {
		t.Fatalf("empty store: %v", err)
	}
}

func testResealSkipsUnreadableAccounts(t *testing.T, hs Harness) {
	f := newFixture(t, hs)
	u := f.user(t, "u")
	good, bad := f.account(t, u.ID, "good", false), f.account(t, u.ID, "bad", false)
	f.rewrite(t, bad.ID, func(a *store.Account) { a.Secrets.APIKey = good.Secrets.APIKey })
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
	if !bytes.Equal(a.KeyFingerprint, nk.Fingerprint(store.FingerprintAPIKey, c.APIKey)) {
		t.Fatal("the fingerprint did not move to the new key")
	}
	if _, err := f.st.Reseal(f.ctx, f.key, nk); !errors.Is(err, secrets.ErrWrongKey) {
		t.Fatalf("reseal with a stale old key: %v", err)
	}
}

func testUsersAndTokens(t *testing.T, hs Harness) {
	f := newFixture(t, hs)
	apiToken, apiHash, _ := secrets.NewToken()
	u, err := f.st.CreateUser(f.ctx, store.NewUser{Username: "Alice", Role: store.RoleUser, PasswordHash: "h", Token: apiHash})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.CreateUser(f.ctx, store.NewUser{Username: "alice", Role: store.RoleAdmin}); !errors.Is(err, store.ErrUsernameTaken) {
		t.Fatalf("duplicate username: %v", err)
	}
	if _, err := f.st.CreateUser(f.ctx, store.NewUser{Username: "bob", Role: "root"}); err == nil {
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
	if err := f.st.AddLoginToken(f.ctx, "nobody", loginHash, exp); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("token for a missing user: %v", err)
	}
	check := func(token string, wantExp time.Time, wantOK bool) {
		t.Helper()
		got, gotExp, err := f.st.TokenUser(f.ctx, secrets.HashToken(token))
		if wantOK && (err != nil || got.ID != u.ID || !gotExp.Equal(wantExp)) {
			t.Fatalf("TokenUser: %v %v", gotExp, err)
		}
		if !wantOK && !errors.Is(err, store.ErrInvalidToken) {
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

func testCreateFirstUser(t *testing.T, hs Harness) {
	f := newFixture(t, hs)
	if has, err := f.st.HasUsers(f.ctx); err != nil || has {
		t.Fatalf("HasUsers on a new store = %v, %v", has, err)
	}
	_, h1, _ := secrets.NewToken()
	created, u, err := f.st.CreateFirstUser(f.ctx, store.NewUser{Username: "admin", Role: store.RoleAdmin, Token: h1})
	if err != nil || !created || u.Username != "admin" {
		t.Fatalf("CreateFirstUser = %v, %+v, %v", created, u, err)
	}
	if has, err := f.st.HasUsers(f.ctx); err != nil || !has {
		t.Fatalf("HasUsers = %v, %v", has, err)
	}
	_, h2, _ := secrets.NewToken()
	created, _, err = f.st.CreateFirstUser(f.ctx, store.NewUser{Username: "other", Role: store.RoleAdmin, Token: h2})
	if err != nil || created {
		t.Fatalf("second CreateFirstUser = %v, %v", created, err)
	}
	if _, err := f.st.UserByName(f.ctx, "other"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("second first user was stored: %v", err)
	}
}

// EditAccounts writes what its function returns in one transaction, or
// nothing when the function fails.
func testEditAccounts(t *testing.T, hs Harness) {
	f := newFixture(t, hs)
	u := f.user(t, "u")
	a, b := f.account(t, u.ID, "a", true), f.account(t, u.ID, "b", false)
	var seen []string
	err := f.st.EditAccounts(f.ctx, u.ID, func(mine []store.Account) (store.AccountChange, error) {
		for _, x := range mine {
			seen = append(seen, x.Name)
		}
		x, y := mine[0], mine[1]
		x.IsMain, y.IsMain = false, true
		return store.AccountChange{Put: []store.Account{x, y}}, nil
	})
	if err != nil || fmt.Sprint(seen) != "[a b]" || fmt.Sprint(f.mains(t, u.ID)) != "[b]" {
		t.Fatalf("edit: %v, saw %v, mains %v", err, seen, f.mains(t, u.ID))
	}
	boom := errors.New("boom")
	err = f.st.EditAccounts(f.ctx, u.ID, func(mine []store.Account) (store.AccountChange, error) {
		return store.AccountChange{}, boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("failing edit: %v", err)
	}
	// A change that fails half-way leaves nothing behind.
	err = f.st.EditAccounts(f.ctx, u.ID, func(mine []store.Account) (store.AccountChange, error) {
		x := mine[0]
		x.Name = "renamed"
		return store.AccountChange{Put: []store.Account{x}, Delete: []string{"no-such-id"}}, nil
	})
	if !errors.Is(err, store.ErrNotFound) {
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
	if err := f.st.EditAccounts(f.ctx, u.ID, func([]store.Account) (store.AccountChange, error) {
		return store.AccountChange{Put: []store.Account{stray}}, nil
	}); err == nil {
		t.Fatal("an account of another user was written")
	}
}

func testOwnership(t *testing.T, hs Harness) {
	f := newFixture(t, hs)
	u, v := f.user(t, "u"), f.user(t, "v")
	a := f.account(t, u.ID, "a", false)
	if _, err := f.st.UserAccount(f.ctx, v.ID, a.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("read: %v", err)
	}
	if err := f.deleteAccount(v.ID, a.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("delete: %v", err)
	}
	if list, _ := f.st.ListAccounts(f.ctx, v.ID); len(list) != 0 {
		t.Fatalf("v lists %d accounts", len(list))
	}
	if _, err := f.putAccount("nobody", "n", false, secrets.Credentials{APIKey: "k", SecretKey: "s"}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("account for a missing user: %v", err)
	}
}

func d(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func testPutSyncResultKeepsLastGoodParts(t *testing.T, hs Harness) {
	f := newFixture(t, hs)
	a := f.account(t, f.user(t, "u").ID, "a", false)
	t1 := f.clock.now()
	full := store.Snapshot{
		SyncedAt: t1, Spot: []store.Balance{{Asset: "BTC", Free: d("0.10000000"), Locked: d("0"), Total: d("0.1")}}, SpotAt: t1,
		Futures: &store.FuturesAccount{Asset: "USDT", WalletBalance: d("100.5"), MarginBalance: d("101")}, FuturesAt: t1,
		Positions: []store.Position{{Symbol: "BTC/USDT:USDT", Side: "long", Size: d("0.01")}}, PositionsAt: t1,
	}
	if err := f.st.PutSyncResult(f.ctx, a.ID, store.SyncResult{Started: t1, Fresh: &full, State: store.SyncState{Status: store.SyncOK, LastSyncAt: t1}}); err != nil {
		t.Fatal(err)
	}
	t2 := t1.Add(time.Minute)
	partial := store.Snapshot{
		SyncedAt: t2, Spot: []store.Balance{{Asset: "ETH", Free: d("2"), Total: d("2")}}, SpotAt: t2,
		Errors: map[string]string{store.PartFutures: "exchange unavailable", store.PartPositions: "timeout"},
	}
	if err := f.st.PutSyncResult(f.ctx, a.ID, store.SyncResult{Started: t2, Fresh: &partial,
		State: store.SyncState{Status: store.SyncError, LastSyncAt: t2, FailedParts: []string{store.PartFutures, store.PartPositions}}}); err != nil {
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
	if got.Errors[store.PartFutures] == "" || !got.SyncedAt.Equal(t2) {
		t.Fatalf("errors/synced_at: %+v", got)
	}
	acct, _ := f.st.Account(f.ctx, a.ID)
	if fmt.Sprint(acct.Sync.FailedParts) != "[futures_account positions]" || acct.Sync.Status != store.SyncError {
		t.Fatalf("sync state %+v", acct.Sync)
	}
	// Amounts are stored as decimal strings, exactly as given.
	raw := f.h.RawSnapshot(t, f.st, a.ID)
	for _, want := range []string{`"wallet_balance":"100.5"`, `"free":"2"`} {
		if !bytes.Contains(raw, []byte(want)) {
			t.Fatalf("stored JSON lacks %s: %s", want, raw)
		}
	}
	if _, ok, _ := f.st.LatestSnapshot(f.ctx, "nothing"); ok {
		t.Fatal("snapshot for a missing account")
	}
}

func testPutSyncResultConcurrentAndDeleted(t *testing.T, hs Harness) {
	f := newFixture(t, hs)
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
				errs <- f.st.PutSyncResult(f.ctx, id, store.SyncResult{Started: at, Fresh: &store.Snapshot{SyncedAt: at},
					Point: fixedPoint(store.HistoryPoint{At: at, FuturesMarginBalance: d(fmt.Sprint(j))}),
					State: store.SyncState{Status: store.SyncOK, LastSyncAt: at}})
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
	err := f.st.PutSyncResult(f.ctx, ids[0], store.SyncResult{Fresh: &store.Snapshot{}, Point: fixedPoint(store.HistoryPoint{At: base}),
		State: store.SyncState{Status: store.SyncOK}})
	if !errors.Is(err, store.ErrNotFound) {
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

func testHistoryRange(t *testing.T, hs Harness) {
	f := newFixture(t, hs)
	u := f.user(t, "u")
	a, b := f.account(t, u.ID, "a", false), f.account(t, u.ID, "b", false)
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	for i := range 10 {
		at := t0.Add(time.Duration(i) * time.Minute)
		for _, id := range []string{a.ID, b.ID} {
			if err := f.st.PutSyncResult(f.ctx, id, store.SyncResult{Started: at, Point: fixedPoint(store.HistoryPoint{At: at, UnrealizedPnL: d(fmt.Sprint(i))}),
				State: store.SyncState{Status: store.SyncOK}}); err != nil {
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

// fixedPoint is a history point that does not depend on the merged view.
func fixedPoint(p store.HistoryPoint) func(store.Snapshot) (store.HistoryPoint, bool) {
	return func(store.Snapshot) (store.HistoryPoint, bool) { return p, true }
}

// syncOf is a sync started at started that fetched every part with the
// value v, except the parts in failed.
func syncOf(started time.Time, v string, failed ...string) store.SyncResult {
	at := started.Add(time.Second) // the answers come in after the start
	snap := &store.Snapshot{SyncedAt: at}
	if !slices.Contains(failed, store.PartSpot) {
		snap.Spot, snap.SpotAt = []store.Balance{{Asset: "USDT", Free: d(v), Total: d(v)}}, at
	}
	if !slices.Contains(failed, store.PartFutures) {
		snap.Futures, snap.FuturesAt = &store.FuturesAccount{Asset: "USDT", MarginBalance: d(v)}, at
	}
	if !slices.Contains(failed, store.PartPositions) {
		snap.Positions, snap.PositionsAt = []store.Position{{Symbol: "BTC/USDT:USDT", Side: "long", Size: d(v)}}, at
	}
	st := store.SyncState{Status: store.SyncOK, LastSyncAt: at, FailedParts: failed}
	if len(failed) > 0 {
		snap.Errors = map[string]string{}
		for _, p := range failed {
			snap.Errors[p] = "failed in sync " + v
		}
		st.LastError = "failed in sync " + v
	}
	return store.SyncResult{Started: started, Fresh: snap, State: st,
		Point: func(m store.Snapshot) (store.HistoryPoint, bool) {
			if m.Futures == nil {
				return store.HistoryPoint{}, false
			}
			return store.HistoryPoint{At: at, FuturesMarginBalance: m.Futures.MarginBalance}, true
		}}
}

// TestNewerPartAlwaysWins races a sync with a failed part against a
// successful sync of the same account, in both orders of start and with
// the writes committing in any order: every part, the state and the part
// errors come from the sync that started last and has them.
func testNewerPartAlwaysWins(t *testing.T, hs Harness) {
	f := newFixture(t, hs)
	u := f.user(t, "u")
	base := f.clock.now()
	type want struct{ spot, futures, positions, status string }
	cases := []struct {
		name         string
		older, newer store.SyncResult
		want         want
		wantErrors   bool
		newerPoint   bool // the newer sync has every part its point needs
	}{
		{
			name:  "partial failure started first",
			older: syncOf(base, "1", store.PartFutures), newer: syncOf(base.Add(time.Millisecond), "2"),
			want: want{"2", "2", "2", "[]"}, newerPoint: true,
		},
		{
			name:  "partial failure started last",
			older: syncOf(base, "1"), newer: syncOf(base.Add(time.Millisecond), "2", store.PartFutures),
			want: want{"2", "1", "2", "[futures_account]"}, wantErrors: true,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			orders := map[bool]int{}
			for i := range 100 {
				a := f.account(t, u.ID, fmt.Sprint(tc.name, i), false)
				// Both writes wait at the gate, then go at once; which of
				// them commits first is up to the scheduler and the batch.
				gate := make(chan struct{})
				var wg sync.WaitGroup
				var mu sync.Mutex
				var commits []string
				for _, r := range []store.SyncResult{tc.older, tc.newer} {
					wg.Go(func() {
						<-gate
						if mrand.N(2) == 0 {
							time.Sleep(time.Duration(mrand.N(200)) * time.Microsecond)
						}
						if err := f.st.PutSyncResult(f.ctx, a.ID, r); err != nil {
							t.Error(err)
						}
						mu.Lock()
						commits = append(commits, r.Fresh.SyncedAt.String())
						mu.Unlock()
					})
				}
				close(gate)
				wg.Wait()
				orders[commits[0] == tc.older.Fresh.SyncedAt.String()]++

				snap, ok, err := f.st.LatestSnapshot(f.ctx, a.ID)
				if err != nil || !ok {
					t.Fatalf("no snapshot: %v", err)
				}
				got := want{snap.Spot[0].Free.String(), snap.Futures.MarginBalance.String(),
					snap.Positions[0].Size.String(), ""}
				acct, err := f.st.Account(f.ctx, a.ID)
				if err != nil {
					t.Fatal(err)
				}
				got.status = fmt.Sprint(acct.Sync.FailedParts)
				if got != tc.want {
					t.Fatalf("iteration %d: got %+v, want %+v", i, got, tc.want)
				}
				if !snap.SyncedAt.Equal(tc.newer.Fresh.SyncedAt) || !acct.Sync.LastSyncAt.Equal(tc.newer.State.LastSyncAt) {
					t.Fatalf("iteration %d: synced at %s, last sync %s: not the newer sync's", i, snap.SyncedAt, acct.Sync.LastSyncAt)
				}
				if (len(snap.Errors) > 0) != tc.wantErrors || (acct.Sync.LastError != "") != tc.wantErrors {
					t.Fatalf("iteration %d: errors %v, last error %q", i, snap.Errors, acct.Sync.LastError)
				}
				// A complete newer sync leaves its point, at its own time,
				// whatever the order.
				at := tc.newer.Fresh.SyncedAt
				pts, err := f.st.History(f.ctx, a.ID, at, at)
				if tc.newerPoint && (err != nil || len(pts) != 1 || pts[0].FuturesMarginBalance.String() != tc.want.futures) {
					t.Fatalf("iteration %d: points at the newer sync's time %+v (%v)", i, pts, err)
				}
			}
			t.Logf("older sync committed first %d times, last %d times", orders[true], orders[false])
		})
	}
}

// TestStaleKeysWriteNothing: a result about keys that changed during the
// sync is refused whole.
func testStaleKeysWriteNothing(t *testing.T, hs Harness) {
	f := newFixture(t, hs)
	a := f.account(t, f.user(t, "u").ID, "a", false)
	// New keys, as the accounts service writes them: the key revision moves on.
	f.rewrite(t, a.ID, func(a *store.Account) { a.KeysRev++ })
	r := syncOf(f.clock.now(), "1")
	r.State.KeysRev = a.KeysRev
	if err := f.st.PutSyncResult(f.ctx, a.ID, r); err != store.ErrStale {
		t.Fatalf("a result about the old keys: %v", err)
	}
	if _, ok, _ := f.st.LatestSnapshot(f.ctx, a.ID); ok {
		t.Fatal("a result about the old keys wrote a snapshot")
	}
	if pts, _ := f.st.History(f.ctx, a.ID, time.Time{}, time.Time{}); len(pts) != 0 {
		t.Fatalf("a result about the old keys wrote %d points", len(pts))
	}
	if got, _ := f.st.Account(f.ctx, a.ID); got.Sync.Status != store.SyncPending {
		t.Fatalf("status %s", got.Sync.Status)
	}
}

// Deleting a user takes its accounts (sealed keys, snapshots), webhooks,
// tokens and username with it, and leaves other users alone.
func testDeleteUserTakesEverything(t *testing.T, hs Harness) {
	f := newFixture(t, hs)
	u, v := f.user(t, "u"), f.user(t, "v")
	a := f.account(t, u.ID, "a", false)
	b := f.account(t, v.ID, "b", false)
	_, h, _ := secrets.NewToken()
	if err := f.st.AddLoginToken(f.ctx, u.ID, h, f.clock.now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	refuse := errors.New("no")
	if _, err := f.st.DeleteUser(f.ctx, u.ID, func(store.User, []store.User) error { return refuse }); !errors.Is(err, refuse) {
		t.Fatalf("a refused delete: %v", err)
	}
	gone, err := f.st.DeleteUser(f.ctx, u.ID, func(got store.User, others []store.User) error {
		if got.ID != u.ID || len(others) != 1 || others[0].ID != v.ID {
			t.Errorf("check saw %s and %d others", got.ID, len(others))
		}
		return nil
	})
	if err != nil || len(gone) != 1 || gone[0] != a.ID {
		t.Fatalf("DeleteUser = %v, %v", gone, err)
	}
	if _, err := f.st.Account(f.ctx, a.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the account stayed: %v", err)
	}
	if _, err := f.st.UserByName(f.ctx, "u"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the username stayed: %v", err)
	}
	if _, _, err := f.st.Session(f.ctx, h); !errors.Is(err, store.ErrInvalidToken) {
		t.Fatalf("the token stayed: %v", err)
	}
	if _, err := f.st.Account(f.ctx, b.ID); err != nil {
		t.Fatalf("another user's account: %v", err)
	}
	if _, err := f.st.DeleteUser(f.ctx, u.ID, func(store.User, []store.User) error { return nil }); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("delete twice: %v", err)
	}
}

func testAccountPages(t *testing.T, hs Harness) {
	f := newFixture(t, hs)
	u, v := f.user(t, "u"), f.user(t, "v")
	var want []string
	for _, n := range []string{"a", "b", "c"} {
		want = append(want, f.account(t, u.ID, n, false).ID)
	}
	f.account(t, v.ID, "other", false)
	p1, next, err := f.st.ListAccountsPage(f.ctx, u.ID, "", 2)
	if err != nil || len(p1) != 2 || p1[0].ID != want[0] || next != want[1] {
		t.Fatalf("page 1: %d %q %v", len(p1), next, err)
	}
	p2, next, err := f.st.ListAccountsPage(f.ctx, u.ID, next, 2)
	if err != nil || len(p2) != 1 || p2[0].ID != want[2] || next != "" {
		t.Fatalf("page 2: %d %q %v", len(p2), next, err)
	}
	exact, next, _ := f.st.ListAccountsPage(f.ctx, u.ID, "", 3)
	if len(exact) != 3 || next != "" {
		t.Fatalf("a full last page has a next cursor %q", next)
	}
}

// hookCreds are a test webhook's token and secret in plaintext.
type hookCreds struct{ Token, Secret string }

func randomText(t *testing.T, prefix string) string {
	t.Helper()
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	return prefix + base64.RawURLEncoding.EncodeToString(b[:])
}

// webhook stores a webhook made whole here, as the webhooks service hands
// it over: the store is given the token's hash and the sealed secret.
func (f *fixture) webhook(t *testing.T, userID, accountID string) (store.Webhook, hookCreds) {
	t.Helper()
	w, c := f.webhookValue(t, userID, accountID)
	if err := f.st.CreateWebhook(f.ctx, w); err != nil {
		t.Fatal(err)
	}
	return w, c
}

// webhookValue makes a webhook whole without storing it.
func (f *fixture) webhookValue(t *testing.T, userID, accountID string) (store.Webhook, hookCreds) {
	t.Helper()
	limit := decimal.RequireFromString("100.5")
	c := hookCreds{Token: randomText(t, "gahwh_"), Secret: randomText(t, "gahws_")}
	id := store.NewID()
	sealed, err := f.key.Seal(id, store.FieldWebhookSecret, []byte(c.Secret))
	if err != nil {
		t.Fatal(err)
	}
	hash := secrets.HashToken(c.Token)
	now := f.clock.now()
	w := store.Webhook{ID: id, UserID: userID, Name: "tv", AccountID: accountID, Market: "futures",
		AllowedSymbols: []string{"BTC/USDT:USDT"}, MaxNotional: &limit, TokenHash: hash[:], TokenHint: "gahwh_…",
		Secret: sealed, SecretHint: "gahws_…", CreatedAt: now, UpdatedAt: now}
	return w, c
}

// byToken looks a webhook up by its token's hash.
func (f *fixture) byToken(token string) (store.Webhook, error) {
	return f.st.WebhookByTokenHash(f.ctx, secrets.HashToken(token))
}

func testWebhookCreateAndLookup(t *testing.T, hs Harness) {
	f := newFixture(t, hs)
	u := f.user(t, "u")
	a := f.account(t, u.ID, "a", false)
	w, c := f.webhook(t, u.ID, a.ID)

	got, err := f.byToken(c.Token)
	if err != nil || got.ID != w.ID || got.MaxNotional.String() != "100.5" || got.TokenHint != w.TokenHint {
		t.Fatalf("by token: %+v %v", got, err)
	}
	pt, err := f.key.Open(w.ID, store.FieldWebhookSecret, got.Secret)
	if err != nil || string(pt) != c.Secret {
		t.Fatalf("secret does not open to what was stored: %v", err)
	}
	changed := c.Token[:len(c.Token)-1] + "x"
	if strings.HasSuffix(c.Token, "x") {
		changed = c.Token[:len(c.Token)-1] + "y"
	}
	for _, bad := range []string{"", "nope", changed, c.Secret} {
		if _, err := f.byToken(bad); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("token %q: %v", bad, err)
		}
	}
}

func testWebhookOwnership(t *testing.T, hs Harness) {
	f := newFixture(t, hs)
	alice, bob := f.user(t, "alice"), f.user(t, "bob")
	aliceAcct, bobAcct := f.account(t, alice.ID, "a", false), f.account(t, bob.ID, "b", false)
	w, _ := f.webhook(t, alice.ID, aliceAcct.ID)

	stray := w
	stray.ID, stray.AccountID, stray.TokenHash = store.NewID(), bobAcct.ID, []byte("another-token-hash-of-32-bytes!!")
	if err := f.st.CreateWebhook(f.ctx, stray); !errors.Is(err, store.ErrAccountNotFound) {
		t.Fatalf("bound to another user's account: %v", err)
	}
	if _, err := f.st.UserWebhook(f.ctx, bob.ID, w.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("bob reads alice's webhook: %v", err)
	}
	if _, err := f.st.ListDeliveries(f.ctx, bob.ID, w.ID, 0); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("bob lists alice's deliveries: %v", err)
	}
	rename := func(w *store.Webhook) error { w.Name = "stolen"; return nil }
	if _, err := f.st.UpdateWebhook(f.ctx, bob.ID, w.ID, rename); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("bob renames alice's webhook: %v", err)
	}
	rebind := func(w *store.Webhook) error { w.AccountID = bobAcct.ID; return nil }
	if _, err := f.st.UpdateWebhook(f.ctx, alice.ID, w.ID, rebind); !errors.Is(err, store.ErrAccountNotFound) {
		t.Fatalf("alice rebinds to bob's account: %v", err)
	}
	// Neither the id nor the owner can be changed by an edit.
	steal := func(w *store.Webhook) error { w.UserID, w.ID = bob.ID, "other"; return nil }
	if got, err := f.st.UpdateWebhook(f.ctx, alice.ID, w.ID, steal); err != nil || got.UserID != alice.ID || got.ID != w.ID {
		t.Fatalf("edit changed identity: %+v %v", got, err)
	}
	if err := f.st.DeleteWebhook(f.ctx, bob.ID, w.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("bob deletes alice's webhook: %v", err)
	}
	if list, _ := f.st.ListWebhooks(f.ctx, bob.ID); len(list) != 0 {
		t.Fatalf("bob lists %d webhooks", len(list))
	}
	if list, _ := f.st.ListWebhooks(f.ctx, alice.ID); len(list) != 1 {
		t.Fatalf("alice lists %d webhooks", len(list))
	}
}

func testWebhookUpdateSwapsTokenAndAborts(t *testing.T, hs Harness) {
	f := newFixture(t, hs)
	u := f.user(t, "u")
	a, b := f.account(t, u.ID, "a", false), f.account(t, u.ID, "b", false)
	w, c := f.webhook(t, u.ID, a.ID)

	newToken := randomText(t, "gahwh_")
	newHash := secrets.HashToken(newToken)
	f.clock.add(time.Minute)
	w2, err := f.st.UpdateWebhook(f.ctx, u.ID, w.ID, func(x *store.Webhook) error {
		x.AccountID, x.MaxNotional, x.TokenHash = b.ID, nil, newHash[:]
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if w2.AccountID != b.ID || w2.MaxNotional != nil || !w2.UpdatedAt.Equal(f.clock.now()) || !w2.CreatedAt.Equal(w.CreatedAt) {
		t.Fatalf("edit not applied: %+v", w2)
	}
	if _, err := f.byToken(c.Token); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("old token still works: %v", err)
	}
	if got, err := f.byToken(newToken); err != nil || got.ID != w.ID {
		t.Fatalf("new token: %v", err)
	}

	// An edit that fails leaves everything as it was.
	_, err = f.st.UpdateWebhook(f.ctx, u.ID, w.ID, func(x *store.Webhook) error {
		x.Name = "renamed"
		x.TokenHash = []byte("yet-another-token-hash-32-bytes!")
		return errors.New("no")
	})
	if err == nil || err.Error() != "no" {
		t.Fatalf("failed edit: %v", err)
	}
	if got, _ := f.st.UserWebhook(f.ctx, u.ID, w.ID); got.Name != "tv" {
		t.Fatal("failed edit changed the name")
	}
	if _, err := f.byToken(newToken); err != nil {
		t.Fatal("failed edit dropped the token")
	}
}

func delivery(w store.Webhook, alertID string, at time.Time) store.Delivery {
	return store.Delivery{WebhookID: w.ID, ReceivedAt: at, Status: store.DeliveryPending, AlertID: alertID, Action: "buy",
		Symbol: "BTC/USDT:USDT", Order: &store.DeliveryOrder{ClientOrderID: "c-" + alertID}}
}

func testRecordDeliveryClaimsAlertIDOnceUnderConcurrency(t *testing.T, hs Harness) {
	f := newFixture(t, hs)
	u := f.user(t, "u")
	w, _ := f.webhook(t, u.ID, f.account(t, u.ID, "a", false).ID)

	const n = 20
	var wg sync.WaitGroup
	results := make([]store.Delivery, n)
	firsts := make([]*store.Delivery, n)
	errs := make([]error, n)
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			results[i], firsts[i], errs[i] = f.st.RecordDelivery(f.ctx, delivery(w, "same-alert", time.Time{}))
		}()
	}
	close(start)
	wg.Wait()
	var claimer string
	for i := range n {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if firsts[i] == nil {
			if claimer != "" {
				t.Fatal("two deliveries claimed one alert id")
			}
			claimer = results[i].ID
		}
	}
	if claimer == "" {
		t.Fatal("nobody claimed the alert id")
	}
	for i := range n {
		if firsts[i] == nil {
			continue
		}
		if results[i].Status != store.DeliveryDuplicate || results[i].DuplicateOf != claimer || firsts[i].ID != claimer ||
			results[i].Order != nil {
			t.Fatalf("duplicate %d: %+v", i, results[i])
		}
	}
	list, err := f.st.ListDeliveries(f.ctx, u.ID, w.ID, 0)
	if err != nil || len(list) != n {
		t.Fatalf("%d deliveries, %v", len(list), err)
	}
	// Another alert id, and no alert id at all, are not duplicates.
	for _, id := range []string{"other", "", ""} {
		_, first, err := f.st.RecordDelivery(f.ctx, delivery(w, id, time.Time{}))
		if err != nil || first != nil {
			t.Fatalf("alert id %q: first=%v err=%v", id, first, err)
		}
	}
}

func testFinishDelivery(t *testing.T, hs Harness) {
	f := newFixture(t, hs)
	u := f.user(t, "u")
	w, _ := f.webhook(t, u.ID, f.account(t, u.ID, "a", false).ID)
	d, _, err := f.st.RecordDelivery(f.ctx, delivery(w, "a1", time.Time{}))
	if err != nil {
		t.Fatal(err)
	}
	d.Status, d.Order.ExchangeOrderID = store.DeliveryExecuted, "X1"
	if err := f.st.FinishDelivery(f.ctx, d); err != nil {
		t.Fatal(err)
	}
	// The duplicate answer shows the finished first delivery.
	_, first, err := f.st.RecordDelivery(f.ctx, delivery(w, "a1", time.Time{}))
	if err != nil || first == nil || first.Status != store.DeliveryExecuted || first.Order.ExchangeOrderID != "X1" {
		t.Fatalf("first = %+v, %v", first, err)
	}
	if err := f.st.DeleteWebhook(f.ctx, u.ID, w.ID); err != nil {
		t.Fatal(err)
	}
	if err := f.st.FinishDelivery(f.ctx, d); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("finish after delete: %v", err)
	}
	if _, _, err := f.st.RecordDelivery(f.ctx, delivery(w, "a2", time.Time{})); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("record after delete: %v", err)
	}
}

func testDeliveriesArePrunedAndListedNewestFirst(t *testing.T, hs Harness) {
	f := newFixture(t, hs)
	u := f.user(t, "u")
	acct := f.account(t, u.ID, "a", false)
	w, _ := f.webhook(t, u.ID, acct.ID)
	other, _ := f.webhook(t, u.ID, acct.ID)
	t0 := f.clock.now()
	if _, _, err := f.st.RecordDelivery(f.ctx, delivery(other, "o1", t0)); err != nil {
		t.Fatal(err)
	}
	// A delivery left pending an hour ago (a daemon that stopped) may go;
	// one pending just now must stay, however old it is in the order.
	stale := delivery(w, "stale-pending", t0.Add(-2*time.Hour))
	if _, _, err := f.st.RecordDelivery(f.ctx, stale); err != nil {
		t.Fatal(err)
	}
	young := delivery(w, "young-pending", t0.Add(-time.Minute))
	young, _, err := f.st.RecordDelivery(f.ctx, young)
	if err != nil {
		t.Fatal(err)
	}
	const extra = 12
	for i := range store.MaxDeliveries + extra {
		d := delivery(w, fmt.Sprintf("a%03d", i), t0.Add(time.Duration(i)*time.Millisecond))
		d.Status = store.DeliveryExecuted
		if _, _, err := f.st.RecordDelivery(f.ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	list, err := f.st.ListDeliveries(f.ctx, u.ID, w.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != store.MaxDeliveries {
		t.Fatalf("%d deliveries kept", len(list))
	}
	for i := 1; i < len(list); i++ {
		if list[i].ReceivedAt.After(list[i-1].ReceivedAt) {
			t.Fatal("not newest first")
		}
	}
	if list[0].AlertID != fmt.Sprintf("a%03d", store.MaxDeliveries+extra-1) || list[len(list)-1].ID != young.ID {
		t.Fatalf("ends: %s … %s", list[0].AlertID, list[len(list)-1].AlertID)
	}
	if got, _ := f.st.ListDeliveries(f.ctx, u.ID, w.ID, 3); len(got) != 3 || got[0].ID != list[0].ID {
		t.Fatal("limit")
	}
	if got, _ := f.st.ListDeliveries(f.ctx, u.ID, other.ID, 0); len(got) != 1 || got[0].AlertID != "o1" {
		t.Fatalf("the other webhook's deliveries: %+v", got)
	}
	// A pruned delivery's claim went with it; a kept one's is still there.
	for id, dup := range map[string]bool{"a000": false, "stale-pending": false, "a100": true, "young-pending": true} {
		_, first, err := f.st.RecordDelivery(f.ctx, delivery(w, id, time.Time{}))
		if err != nil || (first != nil) != dup {
			t.Fatalf("alert %s after pruning: duplicate=%v, want %v (%v)", id, first != nil, dup, err)
		}
	}
}

func testDeleteWebhookRemovesEverything(t *testing.T, hs Harness) {
	f := newFixture(t, hs)
	u := f.user(t, "u")
	acct := f.account(t, u.ID, "a", false)
	w, c := f.webhook(t, u.ID, acct.ID)
	keep, keepCreds := f.webhook(t, u.ID, acct.ID)
	for i := range 3 {
		for _, x := range []store.Webhook{w, keep} {
			if _, _, err := f.st.RecordDelivery(f.ctx, delivery(x, fmt.Sprint(i), time.Time{})); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := f.st.DeleteWebhook(f.ctx, u.ID, w.ID); err != nil {
		t.Fatal(err)
	}
	f.assertGone(t, w, c)
	if got, _ := f.st.ListDeliveries(f.ctx, u.ID, keep.ID, 0); len(got) != 3 {
		t.Fatal("the other webhook lost deliveries")
	}
	if _, err := f.byToken(keepCreds.Token); err != nil {
		t.Fatal("the other webhook lost its token")
	}
}

func testDeleteAccountDeletesItsWebhooks(t *testing.T, hs Harness) {
	f := newFixture(t, hs)
	u := f.user(t, "u")
	a, b := f.account(t, u.ID, "a", false), f.account(t, u.ID, "b", false)
	wa, ca := f.webhook(t, u.ID, a.ID)
	wb, _ := f.webhook(t, u.ID, b.ID)
	if _, _, err := f.st.RecordDelivery(f.ctx, delivery(wa, "x", time.Time{})); err != nil {
		t.Fatal(err)
	}
	if err := f.deleteAccount(u.ID, a.ID); err != nil {
		t.Fatal(err)
	}
	f.assertGone(t, wa, ca)
	list, err := f.st.ListWebhooks(f.ctx, u.ID)
	if err != nil || len(list) != 1 || list[0].ID != wb.ID {
		t.Fatalf("left: %+v %v", list, err)
	}
}

// A master key rotation re-seals webhook secrets in the same transaction as
// the accounts', so every webhook still opens afterwards, with the new key only.
func testResealCoversWebhooks(t *testing.T, hs Harness) {
	f := newFixture(t, hs)
	u := f.user(t, "u")
	a := f.account(t, u.ID, "a", false)
	w, c := f.webhook(t, u.ID, a.ID)
	nk, err := secrets.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	rep, err := f.st.Reseal(f.ctx, f.key, nk)
	if err != nil || rep.Webhooks != 1 || len(rep.UnreadableWebhooks) != 0 {
		t.Fatalf("reseal: %+v %v", rep, err)
	}
	got, err := f.byToken(c.Token)
	if err != nil {
		t.Fatal(err)
	}
	if pt, err := nk.Open(w.ID, store.FieldWebhookSecret, got.Secret); err != nil || string(pt) != c.Secret {
		t.Fatalf("webhook secret under the new key: %v", err)
	}
	if _, err := f.key.Open(w.ID, store.FieldWebhookSecret, got.Secret); err == nil {
		t.Fatal("webhook secret still opens with the old key")
	}
}
