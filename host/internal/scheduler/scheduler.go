package scheduler

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/globalautomation/gahost/host/internal/store"
	"github.com/globalautomation/gahost/sdk"
	"github.com/hashicorp/go-hclog"
)

// Errors of SyncNow.
var (
	// ErrInactive: the account is deactivated; activate it to sync it.
	ErrInactive = errors.New("account is not active")
	// ErrStopped: the scheduler is shutting down or not running.
	ErrStopped = errors.New("sync scheduler is not running")
)

// Why an exchange is on hold.
const (
	holdRateLimited = "rate_limited"
	holdPluginDown  = "plugin_unavailable"
)

// entry is one account in the schedule.
type entry struct {
	id       string
	exchange string
	due      time.Time
	idx      int // position in its exchange's queue; -1 when not queued

	keysRev  uint64 // the credentials' revision the schedule knows
	parked   bool   // auth_failed: waits for new keys, not for time
	failures int    // transient failures in a row
	lastOK   time.Time
	known    time.Time // since when the schedule knows it (lag before its first sync)
	touched  time.Time // last time the store's view of it was applied

	running bool
	cancel  context.CancelFunc
	gone    bool // deleted or deactivated while running
	urgent  bool // waits in its exchange's urgent list (SyncNow)
	rerun   bool // a SyncNow came while it ran: run again once it is done
	waiters []chan result
}

// result is what a SyncNow caller waiting on an entry is told.
type result struct {
	err  error
	held time.Time // not zero: the exchange is paused for rate limits until then
}

// exch is the schedule of one exchange.
type exch struct {
	name    string
	queue   dueQueue
	urgent  []*entry
	active  int // entries not parked
	running int

	present bool // a plugin serves it
	info    sdk.Info
	caps    []string // the capabilities one sync fetches
	cost    int64    // budget units of one sync
	budget  *budget  // nil: the plugin declares no per-IP limit

	holdUntil time.Time
	holdWhy   string
	probing   bool // the plugin was down: one sync at a time until one answers
	blocked   uint64
}

// Scheduler syncs every active account. Its methods are safe for concurrent
// use; Run drives it.
type Scheduler struct {
	cfg  Config
	st   Store
	cat  Catalog
	keys Keyring
	log  hclog.Logger
	m    *metrics

	mu        sync.Mutex
	accounts  map[string]*entry
	exchanges map[string]*exch
	notes     map[string]struct{} // ids announced by AccountChanged, not yet applied
	inFlight  int
	round     uint64
	state     int // notStarted, running, stopped
	wake      chan struct{}
	workers   sync.WaitGroup // syncs in flight

	// Long-lived goroutines run the syncs: a goroutine per sync would grow
	// a fresh stack through gRPC every time.
	syncTasks chan func()
}

const (
	notStarted = iota
	running
	stopped
)

// New returns a scheduler; Run starts it.
func New(cfg Config, st Store, cat Catalog, keys Keyring) (*Scheduler, error) {
	cfg = cfg.withDefaults()
	s := &Scheduler{
		cfg: cfg, st: st, cat: cat, keys: keys, log: cfg.Logger.Named("sync"),
		accounts:  map[string]*entry{},
		exchanges: map[string]*exch{},
		notes:     map[string]struct{}{},
		wake:      make(chan struct{}, 1),
		syncTasks: make(chan func(), cfg.MaxConcurrency),
	}
	m, err := newMetrics(cfg.Registerer, s)
	if err != nil {
		return nil, err
	}
	s.m = m
	return s, nil
}

// AccountChanged tells the scheduler that an account was created, changed
// or deleted. It does not block; the change is read from the store.
func (s *Scheduler) AccountChanged(accountID string) {
	s.mu.Lock()
	s.notes[accountID] = struct{}{}
	s.mu.Unlock()
	s.kick()
}

func (s *Scheduler) kick() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Run loads the accounts and syncs them until ctx ends. Then it starts
// nothing new, lets syncs in flight finish for ShutdownGrace, cancels the
// rest (a cancelled sync writes nothing) and returns once all have stopped.
func (s *Scheduler) Run(ctx context.Context) error {
	s.mu.Lock()
	if s.state != notStarted {
		s.mu.Unlock()
		return errors.New("sync scheduler already ran")
	}
	s.state = running
	s.mu.Unlock()

	// Syncs outlive ctx by up to the grace period, then are cancelled.
	workCtx, cancelWork := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelWork()

	err := s.load(ctx)
	if err != nil && ctx.Err() == nil {
		s.stop()
		return fmt.Errorf("load accounts: %w", err)
	}

	var pool sync.WaitGroup
	for range s.cfg.MaxConcurrency {
		pool.Go(func() { runTasks(s.syncTasks) })
	}
	defer func() {
		close(s.syncTasks)
		pool.Wait()
	}()

	var bg sync.WaitGroup
	bg.Add(2)
	go func() { defer bg.Done(); s.rescanLoop(ctx) }()
	go func() { defer bg.Done(); s.pruneLoop(ctx) }()

	s.loop(ctx, workCtx)

	s.stop()
	idle := make(chan struct{})
	go func() { s.workers.Wait(); close(idle) }()
	select {
	case <-idle:
	case <-time.After(s.cfg.ShutdownGrace):
		s.log.Warn("cancelling syncs still running at shutdown")
		cancelWork()
		<-idle
	}
	bg.Wait()
	return nil
}

// stop marks the scheduler stopped and releases every SyncNow waiter whose
// sync will not run.
func (s *Scheduler) stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.state = stopped
	for _, e := range s.accounts {
		if !e.running {
			e.release(result{err: ErrStopped})
		}
	}
}

func (e *entry) release(r result) {
	for _, w := range e.waiters {
		w <- r
	}
	e.waiters = nil
}

// loop starts due syncs until ctx ends.
func (s *Scheduler) loop(ctx, workCtx context.Context) {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		s.applyNotes(ctx)
		s.mu.Lock()
		wait := s.dispatchLocked(workCtx, time.Now())
		s.mu.Unlock()
		timer.Reset(wait)
		select {
		case <-ctx.Done():
			return
		case <-s.wake:
		case <-timer.C:
		}
	}
}

// applyNotes reads the accounts AccountChanged announced and brings the
// schedule in line with them.
func (s *Scheduler) applyNotes(ctx context.Context) {
	s.mu.Lock()
	if len(s.notes) == 0 {
		s.mu.Unlock()
		return
	}
	ids := make([]string, 0, len(s.notes))
	for id := range s.notes {
		ids = append(ids, id)
	}
	clear(s.notes)
	s.mu.Unlock()
	for _, id := range ids {
		if err := s.refresh(ctx, id); err != nil && ctx.Err() == nil {
			s.log.Error("cannot read a changed account; the rescan will retry", "account_id", id, "error", err)
		}
	}
}

// refresh reads one account from the store and applies it.
func (s *Scheduler) refresh(ctx context.Context, id string) error {
	read := time.Now()
	a, err := s.st.Account(ctx, id)
	found := err == nil
	if err != nil && !store.IsNotFound(err) {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !found {
		a.ID = id
	}
	s.reconcileLocked(a, found, read, true)
	return nil
}

// load puts every active account of the store into the schedule, spreading
// those that are due over the first interval.
func (s *Scheduler) load(ctx context.Context) error {
	read := time.Now()
	all, err := s.st.AllAccounts(ctx)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	var spread []*entry
	for _, a := range all {
		if !a.IsActive || s.accounts[a.ID] != nil {
			continue
		}
		e := s.addLocked(a, read)
		if e.parked {
			continue
		}
		if next := a.Sync.NextSyncAt; next.After(now) && next.Before(now.Add(s.cfg.Interval+s.cfg.Jitter)) {
			s.setDueLocked(e, next)
		} else {
			spread = append(spread, e)
		}
	}
	// Stratified: the i-th of n lands somewhere in the i-th n-th of the
	// interval, so there are no clumps and no gaps.
	rand.Shuffle(len(spread), func(i, j int) { spread[i], spread[j] = spread[j], spread[i] })
	n := time.Duration(len(spread))
	for i, e := range spread {
		slot := s.cfg.Interval / n
		s.setDueLocked(e, now.Add(slot*time.Duration(i)+randDur(slot)))
	}
	s.kick()
	return nil
}

// rescanLoop brings the schedule in line with the store now and then, in
// case a change was made without AccountChanged.
func (s *Scheduler) rescanLoop(ctx context.Context) {
	t := time.NewTicker(s.cfg.Rescan)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := s.rescan(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("rescan of accounts failed", "error", err)
		}
	}
}

func (s *Scheduler) rescan(ctx context.Context) error {
	read := time.Now()
	all, err := s.st.AllAccounts(ctx)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	seen := make(map[string]bool, len(all))
	for _, a := range all {
		seen[a.ID] = true
		s.reconcileLocked(a, true, read, false)
	}
	for id, e := range s.accounts {
		if !seen[id] && e.touched.Before(read) {
			s.reconcileLocked(store.Account{ID: id}, false, read, false)
		}
	}
	s.kick()
	return nil
}

// reconcileLocked applies the store's view of an account, read at time
// read. A view older than what the schedule already applied is ignored, so
// a slow rescan cannot undo a newer AccountChanged.
func (s *Scheduler) reconcileLocked(a store.Account, found bool, read time.Time, announced bool) {
	e := s.accounts[a.ID]
	if e != nil && read.Before(e.touched) {
		return
	}
	if !found || !a.IsActive {
		if e != nil {
			s.removeLocked(e)
		}
		return
	}
	now := time.Now()
	if e != nil && e.gone {
		// Deactivated and re-enabled while its cancelled sync winds down:
		// it stays, and runs again once that sync is over.
		e.gone = false
		e.touched = read
		if a.Sync.Status != store.SyncAuthFailed {
			s.unparkLocked(e)
		}
		e.due = now
		return
	}
	if e == nil {
		e = s.addLocked(a, read)
		if !e.parked {
			s.setDueLocked(e, now) // new or re-enabled: sync it promptly
		}
		s.kick()
		return
	}
	e.touched = read
	if a.KeysRev != e.keysRev {
		// New keys: whatever was wrong with the old ones no longer holds.
		e.keysRev = a.KeysRev
		e.failures = 0
		s.unparkLocked(e)
		if !e.running {
			s.setDueLocked(e, now)
		}
		s.kick()
		return
	}
	if a.Sync.Status == store.SyncAuthFailed && !e.parked && !e.running && !announced {
		s.parkLocked(e)
	}
}

// addLocked creates the entry of an account.
func (s *Scheduler) addLocked(a store.Account, read time.Time) *entry {
	e := &entry{id: a.ID, exchange: a.Exchange, idx: -1, keysRev: a.KeysRev, known: read, touched: read,
		lastOK: a.Sync.LastSyncAt}
	s.accounts[a.ID] = e
	ex := s.exchLocked(a.Exchange)
	if a.Sync.Status == store.SyncAuthFailed {
		e.parked = true
	} else {
		ex.active++
	}
	return e
}

func (s *Scheduler) exchLocked(name string) *exch {
	ex := s.exchanges[name]
	if ex == nil {
		ex = &exch{name: name}
		s.exchanges[name] = ex
	}
	return ex
}

// removeLocked takes an account out of the schedule; a sync in flight is
// cancelled and writes nothing.
func (s *Scheduler) removeLocked(e *entry) {
	ex := s.exchanges[e.exchange]
	s.dequeueLocked(e)
	if !e.parked {
		ex.active--
		e.parked = true // so that nothing counts it again
	}
	if e.running {
		e.gone = true
		e.cancel()
		return
	}
	delete(s.accounts, e.id)
	e.release(result{err: store.ErrNotFound})
}

func (s *Scheduler) parkLocked(e *entry) {
	if e.parked {
		return
	}
	s.dequeueLocked(e)
	e.parked = true
	s.exchanges[e.exchange].active--
}

func (s *Scheduler) unparkLocked(e *entry) {
	if !e.parked || e.gone {
		return
	}
	e.parked = false
	s.exchanges[e.exchange].active++
}

// setDueLocked (re)queues an entry that is not running.
func (s *Scheduler) setDueLocked(e *entry, due time.Time) {
	e.due = due
	if e.urgent || e.parked || e.running {
		return
	}
	q := &s.exchanges[e.exchange].queue
	if e.idx >= 0 {
		heap.Fix(q, e.idx)
	} else {
		heap.Push(q, e)
	}
}

func (s *Scheduler) dequeueLocked(e *entry) {
	ex := s.exchanges[e.exchange]
	if e.idx >= 0 {
		heap.Remove(&ex.queue, e.idx)
	}
	if e.urgent {
		e.urgent = false
		if i := slices.Index(ex.urgent, e); i >= 0 {
			ex.urgent = slices.Delete(ex.urgent, i, i+1)
		}
	}
}

// refreshInfoLocked takes in the exchange's current plugin info: a new
// plugin version may declare other limits or capabilities.
func (s *Scheduler) refreshInfoLocked(ex *exch) {
	_, info, ok := s.cat.Exchange(ex.name)
	ex.present = ok
	if !ok || sameInfo(info, ex.info) {
		return
	}
	ex.info = info
	ex.caps = ex.caps[:0]
	ex.cost = 0
	for _, c := range []string{sdk.CapSpotBalances, sdk.CapFuturesAccount, sdk.CapPositions} {
		if info.Has(c) {
			ex.caps = append(ex.caps, c)
			ex.cost += callCost(info, c)
		}
	}
	rl, limited := ipLimit(info)
	switch {
	case !limited:
		ex.budget = nil
	case ex.budget == nil:
		ex.budget = newBudget(info, s.cfg.Safety, ex.cost)
	default:
		ex.budget.configure(rl, s.cfg.Safety, ex.cost)
	}
}

// callCost is what one call of capability c costs; an undeclared cost
// counts as one unit, so an exchange with a limit is never unlimited.
func callCost(info sdk.Info, c string) int64 {
	if v, ok := info.CallCosts[c]; ok && v >= 0 {
		return v
	}
	return 1
}

func sameInfo(a, b sdk.Info) bool {
	if a.Name != b.Name || a.Version != b.Version || !slices.Equal(a.Capabilities, b.Capabilities) ||
		!slices.Equal(a.RateLimits, b.RateLimits) || len(a.CallCosts) != len(b.CallCosts) {
		return false
	}
	for k, v := range a.CallCosts {
		if w, ok := b.CallCosts[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// every is the exchange's effective interval: the configured one, or
// longer when its accounts need more weight per interval than the budget
// gives.
func (s *Scheduler) everyLocked(ex *exch) time.Duration {
	if ex.budget == nil || ex.active == 0 {
		return s.cfg.Interval
	}
	return max(s.cfg.Interval, ex.budget.cycle(int64(ex.active)*ex.cost))
}

// dispatchLocked starts the syncs that are due and allowed, and says how
// long the loop may sleep before something else becomes due.
func (s *Scheduler) dispatchLocked(workCtx context.Context, now time.Time) time.Duration {
	wait := s.cfg.Rescan
	if s.state != running {
		return wait
	}
	s.round++
	for _, ex := range s.exchanges {
		s.refreshInfoLocked(ex)
		if ex.holdWhy != "" && !now.Before(ex.holdUntil) {
			if ex.holdWhy == holdPluginDown {
				ex.probing = true
			}
			ex.holdWhy, ex.holdUntil = "", time.Time{}
		}
	}
	for s.inFlight < s.cfg.MaxConcurrency {
		// Among the exchanges with a sync ready, the most overdue goes
		// first, so that a busy exchange cannot starve a quiet one.
		var best *exch
		var bestDue time.Time
		for _, ex := range s.exchanges {
			e := s.candidateLocked(ex, now)
			if e == nil {
				continue
			}
			due := e.due
			if e.urgent {
				due = time.Time{}
			}
			if best == nil || due.Before(bestDue) {
				best, bestDue = ex, due
			}
		}
		if best == nil {
			break
		}
		e := s.candidateLocked(best, now)
		if e.urgent && best.holdWhy == holdRateLimited {
			// A manual sync respects the pause: it answers at once with it.
			s.dequeueLocked(e)
			s.setDueLocked(e, best.holdUntil)
			e.release(result{held: best.holdUntil})
			continue
		}
		if best.budget != nil && best.present {
			if ok, w := best.budget.take(now, best.cost); !ok {
				best.blocked = s.round
				wait = min(wait, w)
				continue
			}
		}
		s.startLocked(workCtx, best, e, now)
	}
	// Entries already due that did not start wait for a finishing sync
	// (all slots taken, or a probe out), which kicks the loop.
	for _, ex := range s.exchanges {
		switch {
		case ex.holdWhy != "":
			wait = min(wait, ex.holdUntil.Sub(now))
		case ex.queue.Len() > 0 && ex.blocked != s.round && ex.queue[0].due.After(now):
			wait = min(wait, ex.queue[0].due.Sub(now))
		}
	}
	return max(wait, time.Millisecond)
}

// candidateLocked is the entry the exchange would start next, if any may
// start now.
func (s *Scheduler) candidateLocked(ex *exch, now time.Time) *entry {
	if ex.blocked == s.round || (ex.probing && ex.running > 0) {
		return nil
	}
	if len(ex.urgent) > 0 {
		return ex.urgent[0]
	}
	if ex.holdWhy != "" || ex.queue.Len() == 0 || ex.queue[0].due.After(now) {
		return nil
	}
	return ex.queue[0]
}

// job is one sync as planned at its start.
type job struct {
	id       string
	exchange string
	start    time.Time
	every    time.Duration
	failures int
	caps     []string
	cost     int64 // taken from the budget (0 when there is none)
	budget   *budget
}

func (s *Scheduler) startLocked(workCtx context.Context, ex *exch, e *entry, now time.Time) {
	s.dequeueLocked(e)
	ctx, cancel := context.WithCancel(workCtx)
	e.running, e.cancel = true, cancel
	ex.running++
	s.inFlight++
	j := job{id: e.id, exchange: ex.name, start: now, every: s.everyLocked(ex), failures: e.failures,
		caps: slices.Clone(ex.caps), budget: ex.budget}
	if ex.budget != nil && ex.present {
		j.cost = ex.cost
	}
	s.workers.Add(1)
	s.syncTasks <- func() {
		defer s.workers.Done()
		defer cancel()
		out := s.syncAccount(ctx, j)
		s.finish(e, j, out)
	}
}

func runTasks(tasks <-chan func()) {
	for f := range tasks {
		f()
	}
}

// finish applies the outcome of a sync to the schedule.
func (s *Scheduler) finish(e *entry, j job, out outcome) {
	s.m.observe(j.exchange, out, time.Since(j.start))
	s.mu.Lock()
	defer s.mu.Unlock()
	defer s.kick()
	ex := s.exchanges[j.exchange]
	e.running, e.cancel = false, nil
	ex.running--
	s.inFlight--
	now := time.Now()

	if out.kind != outPluginDown {
		ex.probing = false
	}
	switch out.kind {
	case outRateLimited:
		if out.next.After(ex.holdUntil) {
			ex.holdUntil, ex.holdWhy = out.next, holdRateLimited
			s.log.Warn("exchange answered rate limited; pausing its syncs", "exchange", ex.name, "until", out.next)
		}
		if ex.budget != nil {
			ex.budget.drain(out.next)
		}
	case outPluginDown:
		if ex.holdWhy == "" {
			ex.holdUntil, ex.holdWhy = out.next, holdPluginDown
		}
	}

	if e.gone {
		delete(s.accounts, e.id)
		e.release(result{err: store.ErrNotFound})
		return
	}
	if out.kind == outCancelled {
		if s.state == running {
			// Cancelled by a removal that was taken back: run it again.
			e.rerun = false
			s.setDueLocked(e, now)
			return
		}
		// Shutting down: nothing was written and the next start picks up
		// the account from the store.
		e.release(result{err: ErrStopped})
		return
	}
	if out.kind == outGone {
		s.removeLocked(e)
		return
	}
	e.failures = out.failures
	if !out.lastOK.IsZero() {
		e.lastOK = out.lastOK
	}
	next := out.next
	switch {
	case e.keysRev != out.keysRev && out.keysRev != 0:
		// The keys changed while this sync ran with the old ones.
		e.failures = 0
		s.unparkLocked(e)
		next = now
	case out.kind == outAuthFailed:
		s.parkLocked(e)
	default:
		s.unparkLocked(e)
	}
	if e.rerun && s.state == running {
		// The sync that just ended began before SyncNow was asked: its
		// callers wait for one that begins after.
		e.rerun = false
		s.dequeueLocked(e)
		e.urgent = true
		ex.urgent = append(ex.urgent, e)
		return
	}
	s.setDueLocked(e, next)
	e.release(result{})
}

// SyncNow syncs an account now, ahead of the schedule but within its
// exchange's budget, and returns once the result is in the store. If a sync
// of the account is already running, another one follows it. While
// the exchange is paused for rate limits nothing is sent: the account is
// marked rate_limited with the pause's end as its next sync.
//
// It fails with store.ErrNotFound for an unknown or deleted account,
// ErrInactive for a deactivated one and ErrStopped once Run has returned
// (or is returning).
func (s *Scheduler) SyncNow(ctx context.Context, accountID string) error {
	a, err := s.st.Account(ctx, accountID)
	if err != nil {
		return err
	}
	if !a.IsActive {
		return ErrInactive
	}
	read := time.Now()
	ch := make(chan result, 1)
	s.mu.Lock()
	if s.state == stopped {
		// Before Run starts, the request waits for it.
		s.mu.Unlock()
		return ErrStopped
	}
	e := s.accounts[a.ID]
	if e == nil {
		s.reconcileLocked(a, true, read, true)
		e = s.accounts[a.ID]
	}
	if e == nil {
		s.mu.Unlock()
		return ErrInactive
	}
	e.waiters = append(e.waiters, ch)
	switch {
	case e.running:
		// What it fetched may predate this request: run again after it.
		e.rerun = true
	case !e.urgent:
		s.dequeueLocked(e)
		e.urgent = true
		ex := s.exchanges[e.exchange]
		ex.urgent = append(ex.urgent, e)
	}
	s.mu.Unlock()
	s.kick()

	var r result
	select {
	case r = <-ch:
	case <-ctx.Done():
		return ctx.Err()
	}
	if r.err != nil {
		return r.err
	}
	if !r.held.IsZero() {
		return s.markHeld(ctx, a, r.held)
	}
	return nil
}

// markHeld records that an account's manual sync could not run because its
// exchange is paused for rate limits.
func (s *Scheduler) markHeld(ctx context.Context, a store.Account, until time.Time) error {
	st := a.Sync
	st.Status = store.SyncRateLimited
	st.LastError = fmt.Sprintf("%s is paused after a rate-limited answer; syncs resume at %s",
		a.Exchange, until.UTC().Format(time.RFC3339))
	st.NextSyncAt = until
	st.KeysRev = a.KeysRev
	return s.st.PutSyncResult(ctx, a.ID, nil, nil, st)
}

// randDur is a uniform random duration in [0, d).
func randDur(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	return rand.N(d)
}

// dueQueue is a min-heap of entries by due time.
type dueQueue []*entry

func (q dueQueue) Len() int           { return len(q) }
func (q dueQueue) Less(i, j int) bool { return q[i].due.Before(q[j].due) }
func (q dueQueue) Swap(i, j int) {
	q[i], q[j] = q[j], q[i]
	q[i].idx, q[j].idx = i, j
}
func (q *dueQueue) Push(x any) {
	e := x.(*entry)
	e.idx = len(*q)
	*q = append(*q, e)
}
func (q *dueQueue) Pop() any {
	old := *q
	e := old[len(old)-1]
	old[len(old)-1] = nil
	e.idx = -1
	*q = old[:len(old)-1]
	return e
}
