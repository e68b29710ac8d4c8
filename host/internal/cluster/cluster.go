// Package cluster divides the accounts of a shared PostgreSQL store between
// the gahost hosts that use it. Each host runs a Keeper: it claims accounts
// through sync leases (pgstore), as many as its own rate budgets can sync
// once per interval and no more than its fair share among the live hosts;
// renews them together three times per lease time; releases what it holds
// beyond its share; and tells the scheduler when it gains or loses an
// account. The scheduler sees the store through Keeper.Store, which shows
// it only the accounts this host holds and fences every sync result with
// the epoch of the lease the sync ran under, so a host that lost an
// account (paused, partitioned, slow) cannot overwrite the new owner's
// data.
//
// A host gives an account back only a round after it told its scheduler
// to drop it, so that a sync of it still in flight ends before another
// host may claim it: two hosts never call an exchange for one account at
// once. A manual sync asked of a host that does not hold the account is
// passed to the one that does through the database (Keeper.Syncer).
//
// A host also stops on its own: it measures each lease from before the
// statement that claimed or renewed it, on its monotonic clock, and drops
// every account when that deadline passes without a renewal, even if it
// cannot reach the database to learn that it lost them.
package cluster

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/globalautomation/gahost/host/internal/store"
	"github.com/globalautomation/gahost/host/internal/store/pgstore"
	"github.com/hashicorp/go-hclog"
	"github.com/prometheus/client_golang/prometheus"
)

// Unlimited is a capacity without bound: an exchange without a per-IP budget.
const Unlimited = -1

// Config tunes a Keeper.
type Config struct {
	Store  *pgstore.Store
	HostID string
	// TTL is the lease time; default 30s.
	TTL time.Duration
	// Capacity is how many accounts of an exchange this host's budget
	// can sync once per interval (Unlimited for no bound); nil is
	// Unlimited for every exchange.
	Capacity func(exchange string) int
	// Changed is told each account this host gained or lost (the
	// scheduler's AccountChanged); nil tells no one.
	Changed func(accountID string)
	// SyncSoon is told each account whose sync another host asked for
	// (a manual sync there): it should re-read the account and sync it
	// now, without blocking. nil drops such requests.
	SyncSoon func(accountID string)
	// Poll is how often the sync requests of other hosts are read;
	// default 1s.
	Poll   time.Duration
	Logger hclog.Logger
	// Registerer gets the keeper's metrics; nil registers none.
	Registerer prometheus.Registerer
	// Now is the monotonic clock the local lease deadlines run on; nil
	// is time.Now.
	Now func() time.Time
}

type held struct {
	lease pgstore.Lease
	// since is when this host's claim with this epoch was sent: a sync
	// that started before it did not run under this lease.
	since time.Time
}

// Keeper holds this host's leases.
type Keeper struct {
	cfg Config
	log hclog.Logger
	m   *metrics

	mu       sync.Mutex
	owned    map[string]held
	deadline time.Time // local end of every lease held, from the last renewal
	// releasing are accounts dropped here whose leases are freed in the
	// database at the next round, once a sync of them in flight has
	// ended.
	releasing map[string]string // account id -> exchange
}

// metrics are the keeper's counters, kept as numbers for the heartbeat
// (GET /cluster shows every host's) and as Prometheus metrics of this
// host.
type metrics struct {
	claims, renewFailures, lost, fenced atomic.Int64

	leases         *prometheus.GaugeVec
	unowned        *prometheus.GaugeVec
	claimsC        prometheus.Counter
	renewFailuresC prometheus.Counter
	lostC          prometheus.Counter
	fencedC        prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		leases: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "gahost_cluster_leases",
			Help: "Sync leases this host holds, per exchange."}, []string{"exchange"}),
		unowned: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "gahost_cluster_unowned_accounts",
			Help: "Active accounts no live host holds, per exchange, as this host last read them."}, []string{"exchange"}),
		claimsC: prometheus.NewCounter(prometheus.CounterOpts{Name: "gahost_cluster_claims_total",
			Help: "Accounts this host claimed."}),
		renewFailuresC: prometheus.NewCounter(prometheus.CounterOpts{Name: "gahost_cluster_renew_failures_total",
			Help: "Bulk lease renewals that failed."}),
		lostC: prometheus.NewCounter(prometheus.CounterOpts{Name: "gahost_cluster_leases_lost_total",
			Help: "Leases this host found gone at a renewal or let lapse on its own clock."}),
		fencedC: prometheus.NewCounter(prometheus.CounterOpts{Name: "gahost_cluster_fenced_writes_total",
			Help: "Sync results refused because their lease was lost."}),
	}
	if reg != nil {
		reg.MustRegister(m.leases, m.unowned, m.claimsC, m.renewFailuresC, m.lostC, m.fencedC)
	}
	return m
}

func (m *metrics) stats() pgstore.HostStats {
	return pgstore.HostStats{Claims: m.claims.Load(), RenewFailures: m.renewFailures.Load(),
		LeasesLost: m.lost.Load(), FencedWrites: m.fenced.Load()}
}

func (m *metrics) claimed(n int) {
	m.claims.Add(int64(n))
	m.claimsC.Add(float64(n))
}

func (m *metrics) lostLeases(n int) {
	m.lost.Add(int64(n))
	m.lostC.Add(float64(n))
}

// Stats are this host's counters.
func (k *Keeper) Stats() pgstore.HostStats { return k.m.stats() }

// New returns a Keeper; Run starts it.
func New(cfg Config) (*Keeper, error) {
	if cfg.Store == nil || cfg.HostID == "" {
		return nil, errors.New("cluster: a store and a host id are required")
	}
	if cfg.TTL <= 0 {
		cfg.TTL = 30 * time.Second
	}
	if cfg.Capacity == nil {
		cfg.Capacity = func(string) int { return Unlimited }
	}
	if cfg.Changed == nil {
		cfg.Changed = func(string) {}
	}
	if cfg.Logger == nil {
		cfg.Logger = hclog.NewNullLogger()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.SyncSoon == nil {
		cfg.SyncSoon = func(string) {}
	}
	if cfg.Poll <= 0 {
		cfg.Poll = time.Second
	}
	return &Keeper{cfg: cfg, log: cfg.Logger, m: newMetrics(cfg.Registerer), owned: map[string]held{},
		releasing: map[string]string{}}, nil
}

// HostID is this host's id.
func (k *Keeper) HostID() string { return k.cfg.HostID }

// TTL is the lease time.
func (k *Keeper) TTL() time.Duration { return k.cfg.TTL }

// Run keeps the leases until ctx ends, then frees them so the other hosts
// take the accounts over at once.
func (k *Keeper) Run(ctx context.Context) error {
	every := k.cfg.TTL / 3
	polled := make(chan struct{})
	go func() { defer close(polled); k.pollRequests(ctx) }()
	defer func() { <-polled }()
	for {
		if err := k.Step(ctx); err != nil && ctx.Err() == nil {
			k.log.Warn("cannot keep the sync leases; retrying", "error", err)
		}
		select {
		case <-ctx.Done():
			k.dropAll()
			leave, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer cancel()
			if err := k.cfg.Store.Leave(leave, k.cfg.HostID); err != nil {
				k.log.Warn("cannot free the sync leases at stop; the other hosts take them after the lease time", "error", err)
			}
			return nil
		case <-time.After(every):
		}
	}
}

// Step runs one round: expire what the local clock says is gone, send the
// heartbeat, renew, release the excess and claim up to the share.
func (k *Keeper) Step(ctx context.Context) error {
	k.expireLocal()
	freed, err := k.releaseDropped(ctx)
	if err != nil {
		return err
	}
	capacity := map[string]int{}
	hosts, totals, unowned, err := k.cfg.Store.Cluster(ctx, k.cfg.TTL)
	if err != nil {
		return err
	}
	for ex := range totals {
		capacity[ex] = k.cfg.Capacity(ex)
	}
	k.m.unowned.Reset()
	for ex := range totals {
		k.m.unowned.WithLabelValues(ex).Set(float64(unowned[ex]))
	}
	if err := k.cfg.Store.Heartbeat(ctx, k.cfg.HostID, capacity, k.m.stats()); err != nil {
		return err
	}
	if err := k.renew(ctx); err != nil {
		k.m.renewFailures.Add(1)
		k.m.renewFailuresC.Inc()
		return err
	}
	defer k.countLeases()
	for _, ex := range slices.Sorted(maps.Keys(totals)) {
		target := share(k.cfg.HostID, ex, totals[ex], capacity[ex], hosts)
		if err := k.balance(ctx, ex, target, capacity[ex], !freed[ex]); err != nil {
			return err
		}
	}
	return nil
}

// share is this host's fair part of an exchange's n accounts: a max-min
// fair split over the live hosts' capacities (a host that can carry less
// than an even part takes what it can, the others split the rest), never
// more than this host's capacity.
func share(self, exchange string, n, own int, hosts []pgstore.HostInfo) int {
	caps := map[string]int{self: own}
	for _, h := range hosts {
		if h.Live && h.HostID != self {
			c, ok := h.Capacity[exchange]
			if !ok {
				c = Unlimited
			}
			caps[h.HostID] = c
		}
	}
	ids := slices.Collect(maps.Keys(caps))
	bound := func(c int) int {
		if c == Unlimited {
			return n
		}
		return c
	}
	sort.Slice(ids, func(i, j int) bool {
		ci, cj := bound(caps[ids[i]]), bound(caps[ids[j]])
		if ci != cj {
			return ci < cj
		}
		return ids[i] < ids[j]
	})
	left, hostsLeft := n, len(ids)
	for _, id := range ids {
		level := (left + hostsLeft - 1) / hostsLeft // round up: every account finds a host
		c := bound(caps[id])
		got := min(c, level)
		if id == self {
			return got
		}
		left -= got
		hostsLeft--
	}
	return 0
}

func (k *Keeper) expireLocal() {
	k.mu.Lock()
	expired := len(k.owned) > 0 && !k.cfg.Now().Before(k.deadline)
	k.mu.Unlock()
	if expired {
		k.log.Warn("sync leases were not renewed in time; dropping every account until the database answers again")
		k.m.lostLeases(k.dropAll())
		k.countLeases()
	}
}

// dropAll forgets every lease held here (their database rows have ended or
// are freed by the caller) and returns how many there were.
func (k *Keeper) dropAll() int {
	k.mu.Lock()
	ids := slices.Collect(maps.Keys(k.owned))
	k.owned = map[string]held{}
	clear(k.releasing)
	k.mu.Unlock()
	for _, id := range ids {
		k.cfg.Changed(id)
	}
	return len(ids)
}

// countLeases sets the leases gauge from what is held now.
func (k *Keeper) countLeases() {
	k.mu.Lock()
	per := map[string]int{}
	for _, h := range k.owned {
		per[h.lease.Exchange]++
	}
	k.mu.Unlock()
	k.m.leases.Reset()
	for ex, n := range per {
		k.m.leases.WithLabelValues(ex).Set(float64(n))
	}
}

// releaseDropped frees in the database the leases dropped here a round
// ago: their scheduler has had that long to see them go and to let a sync
// in flight end, so the host that claims them next never overlaps one.
// It returns the exchanges it freed accounts of: this host claims none of
// them in the same round, or it would take back what it just gave.
func (k *Keeper) releaseDropped(ctx context.Context) (map[string]bool, error) {
	k.mu.Lock()
	ids := slices.Collect(maps.Keys(k.releasing))
	k.mu.Unlock()
	if len(ids) == 0 {
		return nil, nil
	}
	if err := k.cfg.Store.Release(ctx, k.cfg.HostID, ids); err != nil {
		return nil, err
	}
	freed := map[string]bool{}
	k.mu.Lock()
	for _, id := range ids {
		freed[k.releasing[id]] = true
		delete(k.releasing, id)
	}
	k.mu.Unlock()
	return freed, nil
}

// pollRequests passes the sync requests other hosts left for the accounts
// held here to SyncSoon, every Poll, until ctx ends.
func (k *Keeper) pollRequests(ctx context.Context) {
	t := time.NewTicker(k.cfg.Poll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if k.Owned() == 0 {
			continue
		}
		ids, err := k.cfg.Store.TakeSyncRequests(ctx, k.cfg.HostID)
		if err != nil {
			if ctx.Err() == nil {
				k.log.Warn("cannot read the sync requests of other hosts", "error", err)
			}
			continue
		}
		for _, id := range ids {
			if _, _, ok := k.Owns(id); ok {
				k.cfg.SyncSoon(id)
			}
		}
	}
}

func (k *Keeper) renew(ctx context.Context) error {
	sent := k.cfg.Now()
	leases, err := k.cfg.Store.Renew(ctx, k.cfg.HostID, k.cfg.TTL)
	if err != nil {
		return err
	}
	kept := make(map[string]pgstore.Lease, len(leases))
	for _, l := range leases {
		kept[l.AccountID] = l
	}
	var lost, stray []string
	k.mu.Lock()
	for id := range k.releasing {
		delete(kept, id) // still renewed until freed next round
	}
	for id, h := range k.owned {
		l, ok := kept[id]
		if !ok || l.Epoch != h.lease.Epoch {
			delete(k.owned, id)
			lost = append(lost, id)
			continue
		}
		h.lease = l
		k.owned[id] = h
	}
	for id := range kept {
		if _, ok := k.owned[id]; !ok {
			// Held in the database but not here (a claim whose answer
			// was lost): give it back rather than hold it unused.
			stray = append(stray, id)
		}
	}
	k.deadline = sent.Add(k.cfg.TTL)
	k.mu.Unlock()
	k.m.lostLeases(len(lost))
	for _, id := range lost {
		k.log.Info("lost the sync lease of an account", "account_id", id)
		k.cfg.Changed(id)
	}
	if len(stray) > 0 {
		return k.cfg.Store.Release(ctx, k.cfg.HostID, stray)
	}
	return nil
}

// balance keeps the accounts of exchange this host holds between target
// and target plus a little slack: it drops beyond the slack (freed next
// round, see releaseDropped), and claims free accounts up to it (never
// beyond capacity) when mayClaim. The slack keeps shares
// that move by one as hosts come and go from bouncing accounts back and
// forth, and lets a host take free accounts its share does not cover (a
// host whose heartbeat is live but that has stopped claiming).
func (k *Keeper) balance(ctx context.Context, exchange string, target, capacity int, mayClaim bool) error {
	k.mu.Lock()
	var mine []held
	for _, h := range k.owned {
		if h.lease.Exchange == exchange {
			mine = append(mine, h)
		}
	}
	k.mu.Unlock()
	slack := max(1, target/10)
	limit := target + slack
	if capacity != Unlimited {
		limit = min(limit, capacity)
	}
	switch {
	case len(mine) > target+slack:
		// Longest held first: they have been synced the most here.
		sort.Slice(mine, func(i, j int) bool { return mine[i].since.Before(mine[j].since) })
		var ids []string
		for _, h := range mine[:len(mine)-target] {
			ids = append(ids, h.lease.AccountID)
		}
		k.mu.Lock()
		for _, id := range ids {
			delete(k.owned, id)
			k.releasing[id] = exchange
		}
		k.mu.Unlock()
		for _, id := range ids {
			k.cfg.Changed(id)
		}
		return nil
	case len(mine) < limit && mayClaim:
		sent := k.cfg.Now()
		leases, err := k.cfg.Store.Claim(ctx, k.cfg.HostID, exchange, limit-len(mine), k.cfg.TTL)
		if err != nil {
			return err
		}
		k.m.claimed(len(leases))
		k.mu.Lock()
		for _, l := range leases {
			k.owned[l.AccountID] = held{lease: l, since: sent}
		}
		if len(k.owned) == len(leases) {
			k.deadline = sent.Add(k.cfg.TTL)
		}
		k.mu.Unlock()
		for _, l := range leases {
			k.cfg.Changed(l.AccountID)
		}
	}
	return nil
}

// Owns reports whether this host holds the account now, and under which
// fence.
func (k *Keeper) Owns(accountID string) (pgstore.Fence, time.Time, bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	h, ok := k.owned[accountID]
	if !ok || !k.cfg.Now().Before(k.deadline) {
		return pgstore.Fence{}, time.Time{}, false
	}
	return pgstore.Fence{Host: k.cfg.HostID, Epoch: h.lease.Epoch}, h.since, true
}

// Owned is the number of accounts held now.
func (k *Keeper) Owned() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return len(k.owned)
}

// Store is the store as this host's scheduler and streams must see it.
func (k *Keeper) Store() *Leased { return &Leased{k: k} }

// Leased is the store seen through this host's leases: only the accounts
// it holds are active, and sync results are fenced. It has the methods the
// scheduler's and the stream manager's Store interfaces ask for.
type Leased struct{ k *Keeper }

// Account reads an account; one this host does not hold reads as
// inactive, so the scheduler drops it.
func (l *Leased) Account(ctx context.Context, id string) (store.Account, error) {
	a, err := l.k.cfg.Store.Account(ctx, id)
	if err != nil {
		return a, err
	}
	if _, _, ok := l.k.Owns(id); !ok {
		a.IsActive = false
	}
	return a, nil
}

// AllAccounts lists the accounts this host holds.
func (l *Leased) AllAccounts(ctx context.Context) ([]store.Account, error) {
	all, err := l.k.cfg.Store.AllAccounts(ctx)
	if err != nil {
		return nil, err
	}
	out := all[:0]
	for _, a := range all {
		if _, _, ok := l.k.Owns(a.ID); ok {
			out = append(out, a)
		}
	}
	return out, nil
}

// PutSyncResult writes a sync of an account this host holds, under the
// lease's epoch; a sync that started before the lease was claimed, or an
// account no longer held, is refused with pgstore.ErrFenced.
func (l *Leased) PutSyncResult(ctx context.Context, accountID string, r store.SyncResult) error {
	err := l.putSyncResult(ctx, accountID, r)
	if errors.Is(err, pgstore.ErrFenced) {
		l.k.m.fenced.Add(1)
		l.k.m.fencedC.Inc()
	}
	return err
}

func (l *Leased) putSyncResult(ctx context.Context, accountID string, r store.SyncResult) error {
	f, since, ok := l.k.Owns(accountID)
	if !ok {
		return pgstore.ErrFenced
	}
	if !r.Started.IsZero() && r.Started.Before(since) {
		return fmt.Errorf("the sync started before this host's lease on the account: %w", pgstore.ErrFenced)
	}
	return l.k.cfg.Store.PutSyncResultFenced(ctx, accountID, r, f)
}

// PruneHistory passes through: pruning is idempotent, so every host may
// run it.
func (l *Leased) PruneHistory(ctx context.Context, now time.Time, keepAll, hourlyFor time.Duration) (int, error) {
	return l.k.cfg.Store.PruneHistory(ctx, now, keepAll, hourlyFor)
}

// LatestSnapshot passes through (the price source reads it).
func (l *Leased) LatestSnapshot(ctx context.Context, accountID string) (store.Snapshot, bool, error) {
	return l.k.cfg.Store.LatestSnapshot(ctx, accountID)
}

// Capacity is how many accounts fit in one interval at a budget's pace,
// given cycle(n), the time n syncs take (budget.Set.Cycle for the calls of
// one sync): the largest n with cycle(n) <= interval, or Unlimited when the
// budget sets no pace.
func Capacity(cycle func(n int) time.Duration, interval time.Duration) int {
	const most = 1 << 24
	if cycle(most) <= interval {
		return Unlimited
	}
	lo, hi := 0, most // cycle(lo) <= interval < cycle(hi)
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		if cycle(mid) <= interval {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo
}

// State is the cluster as GET /api/v1/cluster shows it.
type State struct {
	HostID   string
	LeaseTTL time.Duration
	Hosts    []pgstore.HostInfo
	// Accounts and Unowned count, per exchange, the active accounts and
	// those no live lease holds.
	Accounts, Unowned map[string]int
}

// State reads the hosts, their leases and budgets.
func (k *Keeper) State(ctx context.Context) (State, error) {
	hosts, accounts, unowned, err := k.cfg.Store.Cluster(ctx, k.cfg.TTL)
	if err != nil {
		return State{}, err
	}
	return State{HostID: k.cfg.HostID, LeaseTTL: k.cfg.TTL, Hosts: hosts, Accounts: accounts, Unowned: unowned}, nil
}
