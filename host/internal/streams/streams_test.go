package streams_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/globalautomation/gahost/host/internal/scheduler"
	"github.com/globalautomation/gahost/host/internal/secrets"
	"github.com/globalautomation/gahost/host/internal/store"
	"github.com/globalautomation/gahost/host/internal/streams"
	"github.com/globalautomation/gahost/host/internal/users"
	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/pluginhost"
	"github.com/shopspring/decimal"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// plugin is an in-memory exchange whose stream the test drives: it
// records what the host watches and emits what the test sends.
type plugin struct {
	sdk.Exchange
	info sdk.Info

	mu      sync.Mutex
	watched map[string]sdk.StreamAccount
	opened  int
	events  chan sdk.StreamEvent
	end     chan error
}

func (p *plugin) OpenStream(ctx context.Context) (pluginhost.Stream, error) {
	p.mu.Lock()
	p.opened++
	p.watched = map[string]sdk.StreamAccount{}
	p.mu.Unlock()
	return &fakeStream{p: p, ctx: ctx}, nil
}

type fakeStream struct {
	p   *plugin
	ctx context.Context
}

func (s *fakeStream) Watch(accts ...sdk.StreamAccount) error {
	s.p.mu.Lock()
	defer s.p.mu.Unlock()
	for _, a := range accts {
		s.p.watched[a.ID] = a
	}
	return nil
}

func (s *fakeStream) Unwatch(ids ...string) error {
	s.p.mu.Lock()
	defer s.p.mu.Unlock()
	for _, id := range ids {
		delete(s.p.watched, id)
	}
	return nil
}

func (s *fakeStream) Recv() (sdk.StreamEvent, error) {
	select {
	case ev := <-s.p.events:
		return ev, nil
	case err := <-s.p.end:
		return sdk.StreamEvent{}, err
	case <-s.ctx.Done():
		return sdk.StreamEvent{}, s.ctx.Err()
	}
}

func (s *fakeStream) Close() {}

func (p *plugin) watchedKey(id string) (string, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	a, ok := p.watched[id]
	return a.Account.APIKey, ok
}

type catalog struct{ p *plugin }

func (c catalog) Exchange(name string) (sdk.Exchange, sdk.Info, bool) {
	if name != "acme" {
		return nil, sdk.Info{}, false
	}
	return c.p, c.p.info, true
}

func d(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func eventually(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if ok() {
			return
		}
	}
	t.Fatalf("never: %s", what)
}

func TestManagerWritesPushesAndFallsBack(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	st, key, u := newStoreUser(t)
	acct := newAccount(t, key, u, "a", "k1", true)
	id := acct.ID
	if err := st.EditAccounts(ctx, u.ID, func([]store.Account) (store.AccountChange, error) {
		return store.AccountChange{Put: []store.Account{acct}}, nil
	}); err != nil {
		t.Fatal(err)
	}

	p := &plugin{info: sdk.Info{Name: "acme", Capabilities: []string{sdk.CapSpotBalances, sdk.CapStreams}},
		events: make(chan sdk.StreamEvent), end: make(chan error)}
	var polls sync.Map
	m, err := streams.New(streams.Config{Reconcile: 10 * time.Minute, Rescan: 50 * time.Millisecond, HistoryEvery: time.Hour,
		Point: scheduler.HistoryPoint,
		Poll:  func(_ context.Context, id string) { polls.Store(id, true) }}, st, catalog{p}, key)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); _ = m.Run(ctx) }()
	defer func() { cancel(); <-done }()

	eventually(t, "the account is watched with its keys", func() bool { k, ok := p.watchedKey(id); return ok && k == "k1" })
	if m.Interval("acme", id) != 0 {
		t.Fatal("reconcile interval before the stream is connected")
	}
	p.events <- sdk.StreamEvent{AccountID: id, State: sdk.StreamConnected, HasSpot: true, Spot: []sdk.Balance{{Asset: "USDT", Free: d("10")}}}
	eventually(t, "connected", func() bool { return m.Interval("acme", id) == 10*time.Minute })
	p.events <- sdk.StreamEvent{AccountID: id, HasSpot: true, Spot: []sdk.Balance{{Asset: "USDT", Free: d("12.5")}}, At: time.Now()}
	eventually(t, "the push in the snapshot", func() bool {
		snap, ok, _ := st.LatestSnapshot(ctx, id)
		return ok && len(snap.Spot) == 1 && snap.Spot[0].Free.Equal(d("12.5"))
	})
	a, err := st.Account(ctx, id)
	if err != nil || a.Sync.Status != store.SyncOK || a.Sync.KeysRev != 1 {
		t.Fatalf("sync state after a push: %+v %v", a.Sync, err)
	}
	points, _ := st.History(ctx, id, time.Time{}, time.Time{})
	if len(points) != 1 {
		t.Fatalf("%d history points from two pushes within HistoryEvery, want 1", len(points))
	}

	p.events <- sdk.StreamEvent{AccountID: id, State: sdk.StreamFailed, Kind: sdk.KindUnavailable, Reason: "cap reached"}
	eventually(t, "polled after the failure", func() bool { _, ok := polls.Load(id); return ok })
	if m.Interval("acme", id) != 0 {
		t.Fatal("a failed stream keeps the long interval")
	}

	// The plugin restarts: the stream is opened again and every account
	// watched again.
	polls.Delete(id)
	p.events <- sdk.StreamEvent{AccountID: id, State: sdk.StreamConnected}
	eventually(t, "connected again", func() bool { return m.Streamed(id) })
	p.end <- &sdk.Error{Kind: sdk.KindUnavailable, Message: "plugin process exited"}
	eventually(t, "polled when the plugin died", func() bool { _, ok := polls.Load(id); return ok })
	eventually(t, "opened again with the account", func() bool {
		p.mu.Lock()
		defer p.mu.Unlock()
		_, ok := p.watched[id]
		return p.opened >= 2 && ok
	})
}

// countingStore counts the reads of every account.
type countingStore struct {
	*store.Store
	reads atomic.Int64
}

func (c *countingStore) AllAccounts(ctx context.Context) ([]store.Account, error) {
	c.reads.Add(1)
	return c.Store.AllAccounts(ctx)
}

// Accounts added one by one, each announced, are brought to their stream
// with a few reads of every account, not one or two for each.
func TestManyAddsCoalesce(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	bolt, key, u := newStoreUser(t)
	st := &countingStore{Store: bolt}
	p := &plugin{info: sdk.Info{Name: "acme", Capabilities: []string{sdk.CapSpotBalances, sdk.CapStreams}},
		events: make(chan sdk.StreamEvent), end: make(chan error)}
	m, err := streams.New(streams.Config{Rescan: time.Hour}, st, catalog{p}, key)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); _ = m.Run(ctx) }()
	defer func() { cancel(); <-done }()

	const n = 200
	began := time.Now()
	for i := range n {
		a := newAccount(t, key, u, fmt.Sprint("a", i), fmt.Sprint("k", i), i == 0)
		if err := bolt.EditAccounts(ctx, u.ID, func([]store.Account) (store.AccountChange, error) {
			return store.AccountChange{Put: []store.Account{a}}, nil
		}); err != nil {
			t.Fatal(err)
		}
		m.AccountChanged(a.ID)
	}
	eventually(t, "every account watched", func() bool {
		p.mu.Lock()
		defer p.mu.Unlock()
		return len(p.watched) == n
	})
	// How long the adds took bounds the reads: two (the exchanges and
	// the stream's own accounts) per half second, and the first two.
	took := time.Since(began)
	t.Logf("%d reads of every account for %d adds in %v", st.reads.Load(), n, took)
	if r, most := st.reads.Load(), 2*int64(took/(500*time.Millisecond))+4; r > most {
		t.Errorf("%d reads of every account for %d adds in %v, want at most %d", r, n, took, most)
	}
}

// newStoreUser opens a store in a temporary directory, with a master key
// and one user.
func newStoreUser(t *testing.T) (*store.Store, *secrets.Key, store.User) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "gahost.db"), store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	key, err := secrets.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	us, err := users.New(users.Config{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	u, _, err := us.Create(ctx, users.NewUser{Username: "trader"})
	if err != nil {
		t.Fatal(err)
	}
	return st, key, u
}

// newAccount is an active acme account of u named name, its API key
// apiKey sealed under key.
func newAccount(t *testing.T, key *secrets.Key, u store.User, name, apiKey string, main bool) store.Account {
	t.Helper()
	id := store.NewID()
	sealed, err := key.SealCredentials(id, secrets.Credentials{APIKey: apiKey, SecretKey: "s"})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	return store.Account{ID: id, UserID: u.ID, Name: name, Exchange: "acme", IsActive: true, IsMain: main, Secrets: sealed,
		KeysRev: 1, CreatedAt: now, UpdatedAt: now, Sync: store.SyncState{Status: store.SyncPending}}
}
