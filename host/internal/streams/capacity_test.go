package streams_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/globalautomation/gahost/host/internal/secrets"
	"github.com/globalautomation/gahost/host/internal/store"
	"github.com/globalautomation/gahost/host/internal/streams"
	"github.com/globalautomation/gahost/sdk"
)

// fleet is a store with n active accounts of exchange acme, oldest first.
type fleet struct {
	ctx context.Context
	st  *store.Store
	key *secrets.Key
	ids []string
}

func newFleet(t *testing.T, n int) *fleet {
	t.Helper()
	ctx := context.Background()
	st, key, u := newStoreUser(t)
	f := &fleet{ctx: ctx, st: st, key: key}
	var accts []store.Account
	for i := range n {
		a := newAccount(t, key, u, fmt.Sprintf("a%d", i), fmt.Sprintf("k%d", i), i == 0)
		accts = append(accts, a)
		f.ids = append(f.ids, a.ID)
		time.Sleep(time.Millisecond) // ULIDs of distinct milliseconds sort in creation order
	}
	if err := st.EditAccounts(ctx, u.ID, func([]store.Account) (store.AccountChange, error) {
		return store.AccountChange{Put: accts}, nil
	}); err != nil {
		t.Fatal(err)
	}
	return f
}

func (p *plugin) watchedIDs() map[string]bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := map[string]bool{}
	for id := range p.watched {
		out[id] = true
	}
	return out
}

func run(t *testing.T, m *streams.Manager) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = m.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
}

func TestCapHoldsTheRestForPolling(t *testing.T) {
	f := newFleet(t, 5)
	p := &plugin{info: sdk.Info{Name: "acme", Capabilities: []string{sdk.CapSpotBalances, sdk.CapStreams},
		StreamLimits: sdk.StreamLimits{MaxConnections: 3}}, events: make(chan sdk.StreamEvent), end: make(chan error)}
	m, err := streams.New(streams.Config{Rescan: 50 * time.Millisecond, MaxAccounts: map[string]int{"acme": 2}}, f.st, catalog{p}, f.key)
	if err != nil {
		t.Fatal(err)
	}
	run(t, m)
	eventually(t, "the two oldest accounts watched", func() bool {
		w := p.watchedIDs()
		return len(w) == 2 && w[f.ids[0]] && w[f.ids[1]]
	})
	for _, id := range f.ids[:2] {
		p.events <- sdk.StreamEvent{AccountID: id, State: sdk.StreamConnected}
	}
	eventually(t, "two streamed, three polled", func() bool {
		s, ok := m.ExchangeStats("acme")
		return ok && s.Streamed == 2 && s.Polled == 3 && s.Cap == 2
	})
	for _, id := range f.ids[2:] {
		if m.Interval("acme", id) != 0 || m.Streamed(id) {
			t.Errorf("account %s over the cap is not polled at the regular interval", id)
		}
	}
	// Stay there: rescans do not hand over more.
	time.Sleep(200 * time.Millisecond)
	if w := p.watchedIDs(); len(w) != 2 {
		t.Fatalf("%d accounts watched over a cap of 2", len(w))
	}
}

func TestConnectionRatePacesWatches(t *testing.T) {
	f := newFleet(t, 5)
	p := &plugin{info: sdk.Info{Name: "acme", Capabilities: []string{sdk.CapSpotBalances, sdk.CapStreams},
		StreamLimits: sdk.StreamLimits{NewConnections: 2, NewConnectionsWindow: 400 * time.Millisecond}},
		events: make(chan sdk.StreamEvent), end: make(chan error)}
	m, err := streams.New(streams.Config{Rescan: time.Hour}, f.st, catalog{p}, f.key)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	run(t, m)
	eventually(t, "two watched at once", func() bool { return len(p.watchedIDs()) == 2 })
	if s, _ := m.ExchangeStats("acme"); s.Polled != 3 {
		t.Errorf("%d polled while waiting for the connection rate, want 3", s.Polled)
	}
	if len(p.watchedIDs()) != 2 {
		t.Fatal("more than the rate allows in the first window")
	}
	eventually(t, "all five watched", func() bool { return len(p.watchedIDs()) == 5 })
	// Five at two per window: the fifth waits for the third window.
	if d := time.Since(start); d < 800*time.Millisecond {
		t.Errorf("five accounts handed over in %s at two per 400ms", d)
	}
}

func TestReconcileCountsAndResyncs(t *testing.T) {
	f := newFleet(t, 1)
	id := f.ids[0]
	p := &plugin{info: sdk.Info{Name: "acme", Capabilities: []string{sdk.CapSpotBalances, sdk.CapStreams}},
		events: make(chan sdk.StreamEvent), end: make(chan error)}
	m, err := streams.New(streams.Config{Rescan: time.Hour, Grace: 300 * time.Millisecond}, f.st, catalog{p}, f.key)
	if err != nil {
		t.Fatal(err)
	}
	run(t, m)
	eventually(t, "watched", func() bool { return p.watchedIDs()[id] })
	p.events <- sdk.StreamEvent{AccountID: id, State: sdk.StreamConnected, HasSpot: true, Spot: []sdk.Balance{{Asset: "USDT", Free: d("10")}}}
	eventually(t, "the seed written", func() bool { _, ok, _ := f.st.LatestSnapshot(f.ctx, id); return ok && m.Streamed(id) })

	poll := func(free string) store.SyncResult {
		now := time.Now()
		return store.SyncResult{Started: now, Fresh: &store.Snapshot{SyncedAt: now, SpotAt: now,
			Spot: store.BalancesFromSDK([]sdk.Balance{{Asset: "USDT", Free: d(free)}})}}
	}
	p.mu.Lock()
	opened := p.opened
	p.mu.Unlock()
	reconcile := func(r store.SyncResult) {
		m.Reconcile(f.ctx, id, r)
		if err := f.st.PutSyncResult(f.ctx, id, r); err != nil {
			t.Fatal(err)
		}
	}
	reconcile(poll("10"))
	// The poll read a change a moment before the stream reported it: no
	// mismatch once the stream catches up within the grace.
	reconcile(poll("11"))
	p.events <- sdk.StreamEvent{AccountID: id, HasSpot: true, Spot: []sdk.Balance{{Asset: "USDT", Free: d("11")}}, At: time.Now()}
	time.Sleep(600 * time.Millisecond)
	if s, _ := m.ExchangeStats("acme"); s.Mismatches[store.PartSpot] != 0 || !m.Streamed(id) {
		t.Fatalf("a poll that agrees, or that the stream caught up with, counted %d mismatches", s.Mismatches[store.PartSpot])
	}
	// The stream missed a change: the poll sees 7, and it stays unreported.
	reconcile(poll("7"))
	eventually(t, "one spot mismatch", func() bool { s, _ := m.ExchangeStats("acme"); return s.Mismatches[store.PartSpot] == 1 })
	if s, _ := m.ExchangeStats("acme"); s.Mismatches[store.PartFutures] != 0 || s.Mismatches[store.PartPositions] != 0 {
		t.Fatalf("mismatches %v, want one of spot", s.Mismatches)
	}
	if snap, _, _ := f.st.LatestSnapshot(f.ctx, id); !snap.Spot[0].Free.Equal(d("7")) {
		t.Fatalf("not repaired from REST: %v", snap.Spot)
	}
	// The account is watched again on the same stream: subscribed and
	// seeded anew, polled until it is.
	eventually(t, "resubscribed", func() bool { return !m.Streamed(id) })
	p.mu.Lock()
	if p.opened != opened {
		t.Error("a mismatch reopened the whole stream")
	}
	p.mu.Unlock()
	eventually(t, "watched again", func() bool { return p.watchedIDs()[id] })
	p.events <- sdk.StreamEvent{AccountID: id, State: sdk.StreamConnected}
	eventually(t, "connected again", func() bool { return m.Streamed(id) })

	// A part the stream rewrote after the poll started is not compared.
	r := poll("3")
	p.events <- sdk.StreamEvent{AccountID: id, HasSpot: true, Spot: []sdk.Balance{{Asset: "USDT", Free: d("4")}}, At: time.Now()}
	eventually(t, "the push written", func() bool {
		snap, _, _ := f.st.LatestSnapshot(f.ctx, id)
		return len(snap.Spot) == 1 && snap.Spot[0].Free.Equal(d("4"))
	})
	m.Reconcile(f.ctx, id, r)
	time.Sleep(600 * time.Millisecond)
	if s, _ := m.ExchangeStats("acme"); s.Mismatches[store.PartSpot] != 1 {
		t.Fatalf("a poll older than the stream's write counted as a mismatch: %v", s.Mismatches)
	}

	// The stream moves on after the poll, with a newer value of what the
	// poll saw change: it saw the change itself.
	push := func(bs ...sdk.Balance) {
		p.events <- sdk.StreamEvent{AccountID: id, HasSpot: true, Spot: bs, At: time.Now()}
	}
	r = poll("6")
	m.Reconcile(f.ctx, id, r)
	push(sdk.Balance{Asset: "USDT", Free: d("6.5")})
	time.Sleep(600 * time.Millisecond)
	if s, _ := m.ExchangeStats("acme"); s.Mismatches[store.PartSpot] != 1 {
		t.Fatalf("a stream that reported a newer change counted as behind: %v", s.Mismatches)
	}
	// The poll finds BTC the stream never reported; the stream's next event
	// carries its stale view without it: a mismatch.
	now := time.Now()
	r = store.SyncResult{Started: now, Fresh: &store.Snapshot{SyncedAt: now, SpotAt: now,
		Spot: store.BalancesFromSDK([]sdk.Balance{{Asset: "USDT", Free: d("6.5")}, {Asset: "BTC", Free: d("1")}})}}
	m.Reconcile(f.ctx, id, r)
	push(sdk.Balance{Asset: "USDT", Free: d("8")})
	eventually(t, "a second spot mismatch", func() bool { s, _ := m.ExchangeStats("acme"); return s.Mismatches[store.PartSpot] == 2 })
}
