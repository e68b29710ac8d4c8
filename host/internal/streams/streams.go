// Package streams keeps the snapshots of accounts fresh through the
// exchanges' private WebSocket streams, where the exchange's plugin serves
// them: it opens one stream per exchange, hands it the exchange's active
// accounts with their credentials, and writes every change it pushes
// through the store's one-way sync write (store.PutSyncResult), as the
// scheduler writes a poll.
//
// It does not replace the scheduler: a streamed account is still polled,
// only every reconcile interval instead of every sync interval (the
// scheduler asks Interval). That poll is the reconciliation: before it is
// written (Reconcile, on the scheduler's write path) its REST parts are
// compared with what the stream had written, every part that differs is
// counted as a mismatch, the poll's write repairs it, and the account's
// stream is subscribed and seeded again, since a stream that lost one
// event may have lost more. An account whose stream fails, or a plugin
// without streams, is polled as before; the manager asks for a sync at
// once (Config.Poll) so the account does not wait out the long interval.
//
// It streams no more accounts than the exchange's per-IP limits carry (the
// plugin's sdk.StreamLimits, lowered by Config.MaxAccounts): the rest are
// polled within the exchange's rate budget, oldest accounts streamed
// first so the same ones stay streamed. It hands accounts to the plugin no
// faster than the exchange lets one IP open connections, so that the
// reconnect storm after an outage or a plugin crash queues here, its
// accounts polled meanwhile, instead of earning a ban.
//
// It owns no schedule and no budget: what the plugin spends on seeding
// comes back with its events and is fed to the exchange's budget at the
// plugin boundary.
package streams

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/globalautomation/gahost/host/internal/secrets"
	"github.com/globalautomation/gahost/host/internal/store"
	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/pluginhost"
	"github.com/globalautomation/gahost/sdk/redact"
	"github.com/hashicorp/go-hclog"
	"github.com/prometheus/client_golang/prometheus"
)

// Config tunes a Manager.
type Config struct {
	// Reconcile is how often a streamed account is still polled; default
	// 10 minutes.
	Reconcile time.Duration
	// HistoryEvery is the least time between two history points of an
	// account written from its stream (the sync interval); default 30s.
	HistoryEvery time.Duration
	// Rescan is how often the accounts to watch are read again from the
	// store, and a stream that could not be opened is tried again; default
	// 1 minute.
	Rescan time.Duration
	// Point makes the history point of a merged snapshot, as the scheduler
	// does (scheduler.HistoryPoint); nil writes no points.
	Point func(merged store.Snapshot, calls []string, now time.Time) (store.HistoryPoint, bool)
	// Poll asks for a sync of the account soon (the scheduler's SyncNow),
	// when its stream stops; nil: it waits for its next due time.
	Poll func(ctx context.Context, accountID string)
	// MaxAccounts caps, per exchange, how many accounts are streamed,
	// below what the plugin's stream limits allow: for a cap the exchange
	// does not document, or an IP shared with other programs. Absent or
	// zero: the plugin's limits alone.
	MaxAccounts map[string]int
	// Grace is how long reconciliation waits for the stream's own report
	// of a change a poll saw first, before it counts the difference as a
	// mismatch; default 2 seconds, the promised freshness of a streamed
	// account.
	Grace time.Duration

	Logger     hclog.Logger
	Registerer prometheus.Registerer
}

func (c Config) withDefaults() Config {
	if c.Reconcile <= 0 {
		c.Reconcile = 10 * time.Minute
	}
	if c.HistoryEvery <= 0 {
		c.HistoryEvery = 30 * time.Second
	}
	if c.Rescan <= 0 {
		c.Rescan = time.Minute
	}
	if c.Grace <= 0 {
		c.Grace = 2 * time.Second
	}
	if c.Logger == nil {
		c.Logger = hclog.NewNullLogger()
	}
	return c
}

// Store is what the manager needs of the database (*store.Store).
type Store interface {
	AllAccounts(ctx context.Context) ([]store.Account, error)
	PutSyncResult(ctx context.Context, accountID string, r store.SyncResult) error
	LatestSnapshot(ctx context.Context, accountID string) (store.Snapshot, bool, error)
}

// Catalog hands out an exchange's plugin (*plugins.Catalog); the exchange
// it hands out is a pluginhost.Streamer.
type Catalog interface {
	Exchange(name string) (sdk.Exchange, sdk.Info, bool)
}

// Keyring opens sealed credentials (*secrets.Key).
type Keyring interface {
	OpenCredentials(accountID string, s secrets.SealedCredentials) (secrets.Credentials, error)
}

// parts are what a stream keeps, where the plugin has them.
var parts = []string{sdk.CapSpotBalances, sdk.CapFuturesAccount, sdk.CapPositions}

// account is one account the manager watches or has watched.
type account struct {
	id, exchange string
	keysRev      uint64
	sync         store.SyncState // the state last read, kept when a push is written
	calls        []string
	state        sdk.StreamState // StreamData: not heard of yet
	failedAt     time.Time       // when its stream last failed
	failures     int             // failures in a row, for the retry's backoff
	lastPoint    time.Time
	// held: not handed to the stream (over the cap, or waiting for the
	// connection rate); it is polled.
	held bool
	// resync: reconciliation found the stream wrong; watch it again.
	resync bool
}

// Manager runs the streams. Its methods are safe for concurrent use.
type Manager struct {
	cfg  Config
	st   Store
	cat  Catalog
	keys Keyring
	log  hclog.Logger
	m    *metrics

	mu       sync.Mutex
	accounts map[string]*account
	kick     map[string]chan struct{} // per exchange: read the accounts again now
	wake     chan struct{}            // Run: look for exchanges with accounts now
	exch     map[string]*exchangeState

	checks  sync.WaitGroup // reconciliation checks waiting out their grace
	running chan struct{}  // closed when Run ends, so checks stop waiting
}

// New returns a manager; Run drives it.
func New(cfg Config, st Store, cat Catalog, keys Keyring) (*Manager, error) {
	cfg = cfg.withDefaults()
	m := &Manager{cfg: cfg, st: st, cat: cat, keys: keys, log: cfg.Logger,
		accounts: map[string]*account{}, kick: map[string]chan struct{}{}, exch: map[string]*exchangeState{},
		wake: make(chan struct{}, 1), running: make(chan struct{})}
	var err error
	if m.m, err = newMetrics(cfg.Registerer, m); err != nil {
		return nil, err
	}
	return m, nil
}

// Interval is the scheduler's hook: a connected account is polled every
// reconcile interval, any other (and one reconciliation found wrong, until
// it is subscribed again) at its regular one (zero here).
func (m *Manager) Interval(_, accountID string) time.Duration {
	m.mu.Lock()
	defer m.mu.Unlock()
	if a := m.accounts[accountID]; a != nil && a.state == sdk.StreamConnected && !a.resync {
		return m.cfg.Reconcile
	}
	return 0
}

// Streamed reports whether the account's stream is connected.
func (m *Manager) Streamed(accountID string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	a := m.accounts[accountID]
	return a != nil && a.state == sdk.StreamConnected
}

// AccountChanged tells the manager an account was added, changed or
// removed, so that the streams are brought in line now rather than at the
// next rescan. It does not block.
func (m *Manager) AccountChanged(string) {
	m.mu.Lock()
	chs := make([]chan struct{}, 0, len(m.kick))
	for _, ch := range m.kick {
		chs = append(chs, ch)
	}
	m.mu.Unlock()
	for _, ch := range chs {
		poke(ch)
	}
	poke(m.wake) // the first account of an exchange starts its stream
}

func (m *Manager) kickExchange(name string) {
	m.mu.Lock()
	ch := m.kick[name]
	m.mu.Unlock()
	if ch != nil {
		poke(ch)
	}
}

func poke(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// Run runs a stream per exchange that has active accounts until ctx ends.
func (m *Manager) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	defer wg.Wait()
	defer m.checks.Wait()
	defer close(m.running)
	running := map[string]bool{}
	t := time.NewTicker(m.cfg.Rescan)
	defer t.Stop()
	for {
		all, err := m.st.AllAccounts(ctx)
		if err != nil && ctx.Err() == nil {
			m.log.Error("cannot read the accounts to stream", "error", err)
		}
		for _, a := range all {
			if running[a.Exchange] {
				continue
			}
			running[a.Exchange] = true
			kick := make(chan struct{}, 1)
			m.mu.Lock()
			m.kick[a.Exchange] = kick
			m.mu.Unlock()
			wg.Add(1)
			go func(name string) {
				defer wg.Done()
				m.exchange(ctx, name, kick)
			}(a.Exchange)
		}
		read := time.Now()
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		case <-m.wake:
			if !settleAfter(ctx, read) {
				return nil
			}
		}
	}
}

// settle is the least time between two reads of every account that
// account changes prompt: adding thousands of accounts one by one then
// costs a read every settle instead of one per account (each reads and
// decodes every account in the store), and a change still reaches the
// streams within it.
const settle = 500 * time.Millisecond

// settleAfter waits until settle has passed since last, or ctx ends
// (false).
func settleAfter(ctx context.Context, last time.Time) bool {
	d := settle - time.Since(last)
	if d <= 0 {
		return true
	}
	return sleep(ctx, d)
}

// exchange keeps one exchange's stream open: opened again after the plugin
// restarts (which re-watches every account), retried at each rescan when
// the plugin serves no streams yet.
func (m *Manager) exchange(ctx context.Context, name string, kick chan struct{}) {
	backoff := time.Second
	for ctx.Err() == nil {
		x, info, ok := m.cat.Exchange(name)
		sm, streams := x.(pluginhost.Streamer)
		if !ok || !info.Has(sdk.CapStreams) || !streams {
			m.stopAll(ctx, name, "")
			if !sleep(ctx, m.cfg.Rescan) {
				return
			}
			continue
		}
		var calls []string
		for _, p := range parts {
			if info.Has(p) {
				calls = append(calls, p)
			}
		}
		es := m.exchangeState(name)
		m.mu.Lock()
		es.limits = info.StreamLimits
		es.pace.setLimits(info.StreamLimits)
		m.mu.Unlock()
		start := time.Now()
		err := m.session(ctx, name, sm, calls, kick, es)
		if ctx.Err() != nil {
			return
		}
		m.stopAll(ctx, name, "the plugin's stream ended")
		if sdk.KindOf(err) == sdk.KindUnsupported {
			if !sleep(ctx, m.cfg.Rescan) {
				return
			}
			continue
		}
		m.log.Warn("exchange stream ended; opening it again", "exchange", name, "error", err)
		if time.Since(start) > time.Minute {
			backoff = time.Second
		}
		if !sleep(ctx, backoff) {
			return
		}
		backoff = min(backoff*2, 30*time.Second)
	}
}

// session is one open stream of an exchange.
func (m *Manager) session(ctx context.Context, name string, sm pluginhost.Streamer, calls []string, kick chan struct{}, es *exchangeState) error {
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	st, err := sm.OpenStream(sctx)
	if err != nil {
		return err
	}
	defer st.Close()
	recvErr := make(chan error, 1)
	go func() {
		for {
			ev, err := st.Recv()
			if err != nil {
				recvErr <- err
				return
			}
			m.apply(sctx, name, ev)
		}
	}()
	watched := map[string]uint64{} // id -> the keys revision it was watched with
	t := time.NewTicker(m.cfg.Rescan)
	defer t.Stop()
	for {
		aligned := time.Now()
		wake, err := m.align(sctx, name, st, calls, watched, es)
		if err != nil {
			return err
		}
		// Accounts held back by the connection rate are handed over as
		// soon as it allows, not at the next rescan.
		pt := time.NewTimer(wake)
		if wake <= 0 {
			pt.Stop()
		}
		select {
		case <-ctx.Done():
			pt.Stop()
			return ctx.Err()
		case err := <-recvErr:
			pt.Stop()
			return err
		case <-t.C:
		case <-kick:
			if !settleAfter(ctx, aligned) {
				pt.Stop()
				return ctx.Err()
			}
		case <-pt.C:
		}
		pt.Stop()
	}
}

// align brings the stream's watched accounts in line with the store's
// active ones: new accounts and changed keys are watched, removed,
// deactivated and refused ones are not, accounts over the exchange's cap
// are held back (polled), an account whose stream failed is tried again
// after a backoff, and one that reconciliation found wrong is watched
// again (subscribed and seeded anew). New watches are paced to the
// exchange's connection rate; wake is when the pace allows more.
func (m *Manager) align(ctx context.Context, name string, st pluginhost.Stream, calls []string, watched map[string]uint64, es *exchangeState) (wake time.Duration, err error) {
	all, err := m.st.AllAccounts(ctx)
	if err != nil {
		return 0, nil // the next rescan reads again
	}
	var want []store.Account
	for _, a := range all {
		if a.Exchange == name && a.IsActive && a.Sync.Status != store.SyncAuthFailed {
			want = append(want, a)
		}
	}
	// Ids are ULIDs: the oldest accounts keep their streams when the
	// cap is reached, so adding one does not move another to polling.
	slices.SortFunc(want, func(a, b store.Account) int { return strings.Compare(a.ID, b.ID) })
	limit := m.capOf(name, es)
	now := time.Now()
	var drop []string
	var open []store.Account
	m.mu.Lock()
	wanted := make(map[string]bool, len(want))
	for i, a := range want {
		over := limit > 0 && i >= limit
		wanted[a.ID] = !over
	}
	for id := range watched {
		if !wanted[id] {
			drop = append(drop, id)
			delete(watched, id)
			if a := m.accounts[id]; a != nil && a.state == sdk.StreamConnected && m.cfg.Poll != nil {
				go m.cfg.Poll(ctx, id) // over the cap now: polled from now
			}
			delete(m.accounts, id)
		}
	}
	for _, a := range want {
		cur := m.accounts[a.ID]
		if !wanted[a.ID] {
			if cur == nil || !cur.held {
				m.accounts[a.ID] = &account{id: a.ID, exchange: name, keysRev: a.KeysRev, sync: a.Sync, calls: calls, held: true}
			}
			continue
		}
		if cur != nil {
			cur.sync = a.Sync
		}
		rev, ok := watched[a.ID]
		retry := cur != nil && cur.state == sdk.StreamFailed && now.Sub(cur.failedAt) >= m.retryAfter(cur.failures)
		if ok && rev == a.KeysRev && !retry && !(cur != nil && cur.resync) {
			continue
		}
		open = append(open, a)
	}
	n := es.pace.take(len(open), now)
	for _, a := range open[n:] {
		if _, ok := watched[a.ID]; !ok && m.accounts[a.ID] == nil {
			m.accounts[a.ID] = &account{id: a.ID, exchange: name, keysRev: a.KeysRev, sync: a.Sync, calls: calls, held: true}
		}
	}
	if n < len(open) {
		wake = es.pace.wait(now)
	}
	open = open[:n]
	m.mu.Unlock()

	var add []sdk.StreamAccount
	for _, a := range open {
		creds, err := m.keys.OpenCredentials(a.ID, a.Secrets)
		if err != nil {
			m.log.Error("cannot open account credentials for its stream", "account_id", a.ID, "error", err)
			continue
		}
		add = append(add, sdk.StreamAccount{ID: a.ID, Parts: calls, Account: sdk.Account{
			APIKey: creds.APIKey, SecretKey: creds.SecretKey, Passphrase: creds.Passphrase, Testnet: a.Testnet}})
		m.mu.Lock()
		failures := 0
		if cur := m.accounts[a.ID]; cur != nil && cur.state == sdk.StreamFailed {
			failures = cur.failures
		}
		watched[a.ID] = a.KeysRev
		m.accounts[a.ID] = &account{id: a.ID, exchange: name, keysRev: a.KeysRev, sync: a.Sync, calls: calls, failures: failures}
		m.mu.Unlock()
	}
	if len(drop) > 0 {
		if err := st.Unwatch(drop...); err != nil {
			return 0, err
		}
	}
	// In batches: one message per thousand accounts keeps each well under
	// gRPC's message limit.
	for b := range slices.Chunk(add, 1000) {
		if err := st.Watch(b...); err != nil {
			return 0, err
		}
	}
	return wake, nil
}

// capOf is how many accounts of the exchange may be streamed: the
// plugin's declared cap, lowered by config; zero is no cap.
func (m *Manager) capOf(name string, es *exchangeState) int {
	m.mu.Lock()
	limit := es.limits.MaxAccounts()
	m.mu.Unlock()
	if c := m.cfg.MaxAccounts[name]; c > 0 && (limit == 0 || c < limit) {
		limit = c
	}
	m.mu.Lock()
	es.cap = limit
	m.mu.Unlock()
	return limit
}

// retryAfter is how long an account whose stream failed is polled before
// its stream is tried again: a rescan after the first failure, doubling
// with each failure in a row up to the reconcile interval, so a stream
// refused for a passing reason comes back soon and one refused for good
// costs little.
func (m *Manager) retryAfter(failures int) time.Duration {
	d := m.cfg.Rescan
	for i := 1; i < failures && d < m.cfg.Reconcile; i++ {
		d *= 2
	}
	return min(d, m.cfg.Reconcile)
}

// apply takes one event of the stream.
func (m *Manager) apply(ctx context.Context, name string, ev sdk.StreamEvent) {
	now := time.Now()
	m.mu.Lock()
	a := m.accounts[ev.AccountID]
	if a == nil || a.exchange != name {
		m.mu.Unlock()
		return // an account no longer watched
	}
	before := a.state
	switch ev.State {
	case sdk.StreamConnected, sdk.StreamResyncing:
		a.state = ev.State
	case sdk.StreamFailed:
		a.state, a.failedAt = sdk.StreamFailed, now
		a.failures++
	}
	if ev.State == sdk.StreamConnected {
		a.failures = 0
	}
	if ev.State == sdk.StreamResyncing && before != sdk.StreamResyncing {
		m.exchangeStateLocked(name).resyncs++
	}
	if ev.HasData() && ev.State == sdk.StreamData && !ev.At.IsZero() {
		m.exchangeStateLocked(name).lag(max(now.Sub(ev.At), 0))
	}
	rev, st, calls := a.keysRev, a.sync, a.calls
	point := false
	if ev.HasData() && now.Sub(a.lastPoint) >= m.cfg.HistoryEvery {
		point, a.lastPoint = true, now
	}
	m.mu.Unlock()
	m.m.event(name, before, ev, now)

	if ev.State == sdk.StreamFailed {
		m.log.Info("account stream failed; polling it", "account_id", ev.AccountID, "exchange", name,
			"kind", ev.Kind.String(), "reason", redact.Clip(ev.Reason, 300))
	}
	if ev.State == sdk.StreamFailed || (before == sdk.StreamConnected && ev.State == sdk.StreamResyncing) {
		// Polled again at the regular interval from now, and at once.
		if m.cfg.Poll != nil {
			go m.cfg.Poll(ctx, ev.AccountID)
		}
	}
	if !ev.HasData() {
		return
	}
	fresh := &store.Snapshot{SyncedAt: now}
	if ev.HasSpot {
		fresh.Spot, fresh.SpotAt = store.BalancesFromSDK(ev.Spot), now
	}
	if ev.Futures != nil {
		fresh.Futures, fresh.FuturesAt = store.FuturesFromSDK(*ev.Futures), now
	}
	if ev.HasPositions {
		fresh.Positions, fresh.PositionsAt = store.PositionsFromSDK(ev.Positions), now
	}
	st.Status, st.LastSyncAt, st.LastError, st.FailedParts, st.KeysRev = store.SyncOK, now, "", nil, rev
	// A pushed change is shown at once: never held behind.
	r := store.SyncResult{Started: now, Fresh: fresh, State: st, Wait: true}
	if point && m.cfg.Point != nil {
		r.Point = func(merged store.Snapshot) (store.HistoryPoint, bool) { return m.cfg.Point(merged, calls, now) }
	}
	err := m.st.PutSyncResult(ctx, ev.AccountID, r)
	switch {
	case err == nil:
		m.m.written(name, ev, now)
		m.mu.Lock()
		m.exchangeStateLocked(name).events++
		m.mu.Unlock()
	case store.IsNotFound(err), errors.Is(err, store.ErrStale), ctx.Err() != nil:
		// Deleted, or keys changed under the push: the next align re-watches.
	default:
		m.log.Error("cannot write a streamed change", "account_id", ev.AccountID, "error", err)
	}
}

// stopAll marks every account of the exchange not streamed, so that the
// scheduler polls them, and asks for a poll of those that were.
func (m *Manager) stopAll(ctx context.Context, name, why string) {
	var was []string
	m.mu.Lock()
	for id, a := range m.accounts {
		if a.exchange != name {
			continue
		}
		if a.state == sdk.StreamConnected {
			was = append(was, id)
		}
		delete(m.accounts, id)
	}
	m.mu.Unlock()
	if len(was) > 0 && why != "" {
		m.log.Info("exchange stream stopped; polling its accounts", "exchange", name, "accounts", len(was), "why", why)
	}
	if m.cfg.Poll != nil {
		for _, id := range was {
			go m.cfg.Poll(ctx, id)
		}
	}
}

// counts is the number of accounts per exchange in each state.
func (m *Manager) counts() map[string]map[string]int {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[string]map[string]int{}
	for _, a := range m.accounts {
		if out[a.exchange] == nil {
			out[a.exchange] = map[string]int{}
		}
		name := a.state.String()
		switch {
		case a.held:
			name = "polled"
		case a.state == sdk.StreamData:
			name = "subscribing"
		}
		out[a.exchange][name]++
	}
	return out
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
