package cluster

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/globalautomation/gahost/host/internal/scheduler"
	"github.com/globalautomation/gahost/host/internal/secrets"
	"github.com/globalautomation/gahost/host/internal/store"
	"github.com/globalautomation/gahost/host/internal/store/pgstore"
	"github.com/globalautomation/gahost/host/internal/store/pgstore/pgtest"
	"github.com/hashicorp/go-hclog"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// env is one database with accounts, and the hosts that share it.
type env struct {
	dsn   string
	admin *pgstore.Store
	user  string
	ids   []string
}

func newEnv(t *testing.T, accounts int) *env {
	t.Helper()
	e := &env{dsn: pgtest.NewDB(t)}
	e.admin = openStore(t, e.dsn)
	ctx := context.Background()
	_, h, _ := secrets.NewToken()
	u, err := e.admin.CreateUser(ctx, store.NewUser{Username: "u", Role: store.RoleUser, Token: h})
	if err != nil {
		t.Fatal(err)
	}
	e.user = u.ID
	var put []store.Account
	for i := range accounts {
		a := store.Account{ID: store.NewID(), UserID: u.ID, Name: fmt.Sprint("a", i), Exchange: "fake", IsActive: true, KeysRev: 1}
		put = append(put, a)
		e.ids = append(e.ids, a.ID)
	}
	if err := e.admin.EditAccounts(ctx, u.ID, func([]store.Account) (store.AccountChange, error) {
		return store.AccountChange{Put: put}, nil
	}); err != nil {
		t.Fatal(err)
	}
	return e
}

func openStore(t *testing.T, dsn string) *pgstore.Store {
	t.Helper()
	st, err := pgstore.Open(context.Background(), dsn, pgstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// host is one gahost host: its own pool, its keeper, and what the keeper
// told its scheduler.
type host struct {
	k       *Keeper
	mu      sync.Mutex
	changed map[string]int
}

func (e *env) host(t *testing.T, id string, ttl time.Duration, capacity int) *host {
	t.Helper()
	h := &host{changed: map[string]int{}}
	k, err := New(Config{Store: openStore(t, e.dsn), HostID: id, TTL: ttl,
		Capacity: func(string) int { return capacity },
		Changed: func(a string) {
			h.mu.Lock()
			h.changed[a]++
			h.mu.Unlock()
		},
		Logger: hclog.NewNullLogger()})
	if err != nil {
		t.Fatal(err)
	}
	h.k = k
	return h
}

func (h *host) step(t *testing.T) {
	t.Helper()
	if err := h.k.Step(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func (h *host) owned(ids []string) map[string]bool {
	out := map[string]bool{}
	for _, id := range ids {
		if _, _, ok := h.k.Owns(id); ok {
			out[id] = true
		}
	}
	return out
}

// Two hosts divide the accounts evenly, each account held by exactly one.
func TestTwoHostsDivideTheAccounts(t *testing.T) {
	e := newEnv(t, 100)
	a, b := e.host(t, "a", 10*time.Second, Unlimited), e.host(t, "b", 10*time.Second, Unlimited)
	for range 3 {
		a.step(t)
		b.step(t)
	}
	oa, ob := a.owned(e.ids), b.owned(e.ids)
	if len(oa) != 50 || len(ob) != 50 {
		t.Fatalf("a holds %d, b holds %d; want 50 each", len(oa), len(ob))
	}
	for id := range oa {
		if ob[id] {
			t.Fatalf("account %s held by both", id)
		}
	}
	// The scheduler view shows each host its own accounts only.
	list, err := a.k.Store().AllAccounts(context.Background())
	if err != nil || len(list) != 50 {
		t.Fatalf("a's scheduler sees %d accounts, %v", len(list), err)
	}
	for _, x := range list {
		if !oa[x.ID] {
			t.Fatalf("a's scheduler sees %s, which b holds", x.ID)
		}
	}
	acc, err := a.k.Store().Account(context.Background(), list[0].ID)
	if err != nil || !acc.IsActive {
		t.Fatalf("own account: %+v %v", acc, err)
	}
	for id := range ob {
		acc, err := a.k.Store().Account(context.Background(), id)
		if err != nil || acc.IsActive {
			t.Fatalf("b's account reads active on a: %v", err)
		}
		break
	}
}

// A host takes no more than its budget carries; the others take the rest.
func TestClaimsFollowCapacity(t *testing.T) {
	e := newEnv(t, 100)
	small, big := e.host(t, "small", 10*time.Second, 10), e.host(t, "big", 10*time.Second, Unlimited)
	for range 3 {
		small.step(t)
		big.step(t)
	}
	if n, m := len(small.owned(e.ids)), len(big.owned(e.ids)); n != 10 || m != 90 {
		t.Fatalf("small holds %d, big %d; want 10 and 90", n, m)
	}
	// Alone and short of budget, a host leaves the rest unowned.
	e2 := newEnv(t, 30)
	lone := e2.host(t, "lone", 10*time.Second, 12)
	lone.step(t)
	lone.step(t)
	if n := len(lone.owned(e2.ids)); n != 12 {
		t.Fatalf("lone host holds %d of 30 with capacity 12", n)
	}
	_, _, unowned, err := e2.admin.Cluster(context.Background(), 10*time.Second)
	if err != nil || unowned["fake"] != 18 {
		t.Fatalf("unowned %v, %v", unowned, err)
	}
}

// A host that stops renewing loses its accounts to the others once its
// leases end; the takeover, measured, is within the lease time plus one
// round of the survivor.
func TestDeadHostIsTakenOver(t *testing.T) {
	e := newEnv(t, 60)
	ttl := 1500 * time.Millisecond
	a, b := e.host(t, "a", ttl, Unlimited), e.host(t, "b", ttl, Unlimited)
	for range 3 { // a claims all, drops half, frees it; b claims it
		a.step(t)
		b.step(t)
	}
	if len(a.owned(e.ids)) != 30 || len(b.owned(e.ids)) != 30 {
		t.Fatalf("split %d/%d", len(a.owned(e.ids)), len(b.owned(e.ids)))
	}
	// a dies: no more steps, no Leave.
	died := time.Now()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = b.k.Run(ctx) }()
	bound := ttl + ttl/3 + time.Second // lease time, one round, and slack for the machine
	for len(b.owned(e.ids)) < 60 {
		if time.Since(died) > 2*bound {
			t.Fatalf("after %v b holds %d of 60", time.Since(died), len(b.owned(e.ids)))
		}
		time.Sleep(20 * time.Millisecond)
	}
	took := time.Since(died)
	t.Logf("takeover of 30 accounts after a host died: %v (lease time %v)", took, ttl)
	if took > bound {
		t.Fatalf("takeover took %v, bound %v", took, bound)
	}
	// a's own clock has stopped it too: it holds nothing any more.
	if n := len(a.owned(e.ids)); n != 0 {
		t.Fatalf("the dead host still believes it holds %d", n)
	}
}

// A write under a lost lease is refused, and the new owner's data stays.
func TestStaleWriteIsFenced(t *testing.T) {
	e := newEnv(t, 1)
	ctx := context.Background()
	ttl := 10 * time.Second
	a := e.host(t, "a", ttl, Unlimited)
	a.step(t)
	id := e.ids[0]
	oldFence, since, ok := a.k.Owns(id)
	if !ok {
		t.Fatal("a holds nothing")
	}
	write := func(v string) store.SyncResult {
		at := time.Now()
		return store.SyncResult{Started: at, Fresh: &store.Snapshot{SyncedAt: at,
			Spot: []store.Balance{{Asset: v}}, SpotAt: at}, State: store.SyncState{Status: store.SyncOK}}
	}
	if err := a.k.Store().PutSyncResult(ctx, id, write("a1")); err != nil {
		t.Fatal(err)
	}
	// A sync that started before the lease was claimed is refused.
	early := write("early")
	early.Started = since.Add(-time.Second)
	if err := a.k.Store().PutSyncResult(ctx, id, early); !errors.Is(err, pgstore.ErrFenced) {
		t.Fatalf("a sync older than the lease: %v", err)
	}
	// a pauses; its lease ends; b claims the account and writes.
	if err := e.admin.ExpireForTest(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	b := e.host(t, "b", ttl, Unlimited)
	b.step(t)
	newFence, _, ok := b.k.Owns(id)
	if !ok || newFence.Epoch <= oldFence.Epoch {
		t.Fatalf("b: %v %+v after %+v", ok, newFence, oldFence)
	}
	if err := b.k.Store().PutSyncResult(ctx, id, write("b1")); err != nil {
		t.Fatal(err)
	}
	// a wakes up with a sync in hand, before its keeper notices: the
	// database refuses the old epoch.
	if err := e.admin.PutSyncResultFenced(ctx, id, write("a2"), oldFence); !errors.Is(err, pgstore.ErrFenced) || !store.IsNotFound(err) {
		t.Fatalf("stale write: %v", err)
	}
	snap, _, _ := e.admin.LatestSnapshot(ctx, id)
	if len(snap.Spot) != 1 || snap.Spot[0].Asset != "b1" {
		t.Fatalf("the snapshot is %+v, want b's", snap.Spot)
	}
	// a's next round learns it lost the account and tells its scheduler.
	a.step(t)
	if _, _, ok := a.k.Owns(id); ok {
		t.Fatal("a still holds the account")
	}
	if err := a.k.Store().PutSyncResult(ctx, id, write("a3")); !errors.Is(err, pgstore.ErrFenced) {
		t.Fatalf("write after the loss: %v", err)
	}
	a.mu.Lock()
	told := a.changed[id]
	a.mu.Unlock()
	if told < 2 { // gained, then lost
		t.Fatalf("a's scheduler was told %d times", told)
	}
}

// A host that joins takes a share from one that held everything, and a
// host that leaves cleanly hands its accounts over at once.
func TestJoinAndLeaveRebalance(t *testing.T) {
	e := newEnv(t, 40)
	a := e.host(t, "a", 10*time.Second, Unlimited)
	a.step(t)
	if n := len(a.owned(e.ids)); n != 40 {
		t.Fatalf("alone, a holds %d", n)
	}
	b := e.host(t, "b", 10*time.Second, Unlimited)
	b.step(t) // b sees a live: its share is 20, but a holds everything
	a.step(t) // a drops down to its share: its scheduler stops syncing them
	b.step(t) // but their leases stay a's for one more round
	if na, nb := len(a.owned(e.ids)), len(b.owned(e.ids)); na != 20 || nb != 0 {
		t.Fatalf("a round after a dropped: a %d, b %d; want 20 and 0", na, nb)
	}
	a.step(t) // a frees them, and claims none back
	b.step(t) // b claims what was freed
	if na, nb := len(a.owned(e.ids)), len(b.owned(e.ids)); na != 20 || nb != 20 {
		t.Fatalf("after b joined: a %d, b %d", na, nb)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = b.k.Run(ctx) }()
	time.Sleep(50 * time.Millisecond)
	cancel()
	<-done
	a.step(t)
	a.step(t)
	if n := len(a.owned(e.ids)); n != 40 {
		t.Fatalf("after b left, a holds %d", n)
	}
}

func TestCapacity(t *testing.T) {
	perSync := 250 * time.Millisecond
	cycle := func(n int) time.Duration { return time.Duration(n) * perSync }
	if got := Capacity(cycle, 30*time.Second); got != 120 {
		t.Fatalf("capacity %d, want 120", got)
	}
	if got := Capacity(func(int) time.Duration { return 0 }, time.Second); got != Unlimited {
		t.Fatalf("no pace: %d", got)
	}
}

func TestShare(t *testing.T) {
	hosts := []pgstore.HostInfo{
		{HostID: "a", Live: true, Capacity: map[string]int{"x": Unlimited}},
		{HostID: "b", Live: true, Capacity: map[string]int{"x": 5}},
		{HostID: "c", Live: false, Capacity: map[string]int{"x": Unlimited}},
	}
	tests := []struct {
		self string
		n    int
		own  int
		want int
	}{
		{"a", 100, Unlimited, 95}, // b carries 5, the dead c nothing
		{"b", 100, 5, 5},
		{"a", 3, Unlimited, 2}, // rounding up: every account finds a host
		{"a", 0, Unlimited, 0},
	}
	for _, tt := range tests {
		if got := share(tt.self, "x", tt.n, tt.own, hosts); got != tt.want {
			t.Errorf("share(%s, %d) = %d, want %d", tt.self, tt.n, got, tt.want)
		}
	}
}

// localSyncer stands for a host's scheduler.
type localSyncer struct {
	mu      sync.Mutex
	synced  []string
	changed []string
}

func (l *localSyncer) AccountChanged(id string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.changed = append(l.changed, id)
}

func (l *localSyncer) SyncNow(_ context.Context, id string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.synced = append(l.synced, id)
	return nil
}

// A manual sync asked of a host that does not hold the account is synced
// by the owner, and the asking host answers once the owner's outcome is
// stored; one no host holds ends in ErrNotSynced, an inactive one in
// scheduler.ErrInactive, and one held here is synced here.
func TestSyncNowGoesToTheOwner(t *testing.T) {
	e := newEnv(t, 2)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ttl := 3 * time.Second
	ownerSyncs := make(chan string, 4)
	a := e.host(t, "a", ttl, 1)
	a.k.cfg.Poll = 50 * time.Millisecond
	a.k.cfg.SyncSoon = func(id string) { ownerSyncs <- id }
	a.step(t)
	var held, free string
	for _, id := range e.ids {
		if _, _, ok := a.k.Owns(id); ok {
			held = id
		} else {
			free = id
		}
	}
	if held == "" || free == "" {
		t.Fatal("a should hold exactly one of the two accounts")
	}
	done := make(chan struct{})
	go func() { defer close(done); a.k.pollRequests(ctx) }()
	defer func() { cancel(); <-done }()

	// The owner plays its scheduler: a sync request is answered with a
	// sync result under its lease.
	told := make(chan string, 4)
	go func() {
		for id := range ownerSyncs {
			at := time.Now()
			_ = a.k.Store().PutSyncResult(ctx, id, store.SyncResult{Started: at, Fresh: &store.Snapshot{SyncedAt: at},
				State: store.SyncState{Status: store.SyncOK, LastSyncAt: at, NextSyncAt: at.Add(time.Minute)}})
			told <- id
		}
	}()
	b := e.host(t, "b", ttl, 0) // b has no budget: it holds nothing
	local := &localSyncer{}
	router := b.k.Syncer(ctx, local)
	router.Wait = 2 * time.Second
	if err := router.SyncNow(ctx, held); err != nil {
		t.Fatalf("sync through the owner: %v", err)
	}
	acc, err := e.admin.Account(ctx, held)
	if err != nil || acc.Sync.Status != store.SyncOK || acc.Sync.LastSyncAt.IsZero() {
		t.Fatalf("after the routed sync: %+v %v", acc.Sync, err)
	}
	if len(local.synced) != 0 {
		t.Fatalf("b synced %v itself", local.synced)
	}
	<-told
	// Nobody holds the other account: the request waits, unanswered.
	if err := router.SyncNow(ctx, free); !errors.Is(err, ErrNotSynced) {
		t.Fatalf("unowned account: %v", err)
	}
	// An inactive account is refused as on a single host.
	if err := e.admin.EditAccounts(ctx, e.user, func(all []store.Account) (store.AccountChange, error) {
		for _, x := range all {
			if x.ID == free {
				x.IsActive = false
				return store.AccountChange{Put: []store.Account{x}}, nil
			}
		}
		return store.AccountChange{}, errors.New("account gone")
	}); err != nil {
		t.Fatal(err)
	}
	if err := router.SyncNow(ctx, free); !errors.Is(err, scheduler.ErrInactive) {
		t.Fatalf("inactive account: %v", err)
	}
	// On the owner, the router syncs locally.
	ownLocal := &localSyncer{}
	if err := a.k.Syncer(ctx, ownLocal).SyncNow(ctx, held); err != nil || len(ownLocal.synced) != 1 {
		t.Fatalf("owner's own sync: %v %v", err, ownLocal.synced)
	}
	// An edit on b reaches the owner too, which re-reads and syncs.
	router.AccountChanged(held)
	select {
	case id := <-told:
		if id != held {
			t.Fatalf("owner told of %s", id)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("the owner was not told of the edit")
	}
}

// The counters: claims, lost leases and fenced writes are counted, sent
// with the heartbeat and shown for every host.
func TestStatsReachTheCluster(t *testing.T) {
	e := newEnv(t, 10)
	ctx := context.Background()
	a := e.host(t, "a", 10*time.Second, Unlimited)
	a.step(t)
	if got := a.k.Stats(); got.Claims != 10 {
		t.Fatalf("stats after claiming: %+v", got)
	}
	if err := e.admin.ExpireForTest(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	b := e.host(t, "b", 10*time.Second, Unlimited)
	b.step(t) // b takes its share and a little more of the 10
	took := len(b.owned(e.ids))
	at := time.Now()
	err := a.k.Store().PutSyncResult(ctx, e.ids[0], store.SyncResult{Started: at, Fresh: &store.Snapshot{SyncedAt: at}})
	if !errors.Is(err, pgstore.ErrFenced) {
		t.Fatalf("stale write: %v", err)
	}
	a.step(t) // learns the loss, claims the rest back
	got := a.k.Stats()
	if got.Claims != int64(10+10-took) || got.LeasesLost != 10 || got.FencedWrites != 1 || got.RenewFailures != 0 {
		t.Fatalf("a's stats: %+v", got)
	}
	a.step(t) // each heartbeat carries the counters of the rounds before it
	b.step(t)
	hosts, _, _, err := e.admin.Cluster(ctx, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range hosts {
		if h.HostID == "a" && h.Stats != got {
			t.Fatalf("a's heartbeat stats %+v, want %+v", h.Stats, got)
		}
		if h.HostID == "b" && (h.Stats.Claims != int64(took) || h.Leases["fake"] != took) {
			t.Fatalf("b: %+v", h)
		}
	}
}
