package scheduler

// The scheduler's life: New, Run (load, loop, shutdown) and the state it
// keeps per account and per exchange.

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/globalautomation/gahost/host/internal/secrets"
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

// entry is one account in the schedule. Its state is one of: waiting for
// its due time (in its exchange's heap), urgent (a SyncNow waits; in the
// exchange's urgent list), running, parked (auth_failed: waits for new
// keys, not for time) or gone (removed while running; dropped when the
// sync ends).
type entry struct {
	id       string
	exchange string
	user     string // the account's owner: its share of the budget is the user's
	due      time.Time
	idx      int // position in its user's heap; -1 when not queued

	// What a sync needs of the account, as last read from the store: a
	// sync reads nothing else.
	sealed  secrets.SealedCredentials
	testnet bool
	keysRev uint64 // the credentials' revision

	parked   bool
	failures int // transient failures in a row
	lastOK   time.Time
	known    time.Time // since when the schedule knows it (lag before its first sync)
	touched  time.Time // last time the store's view of it was applied

	running bool
	cancel  context.CancelFunc
	gone    bool
	urgent  bool
	rerun   bool // a SyncNow came while it ran: run again once it is done
	waiters []chan result
}

// exch is the schedule of one exchange.
type exch struct {
	name    string
	users   map[string]*userQ // by user id: their waiting accounts and turns
	heads   headQueue         // the users with accounts waiting, by earliest due
	vnow    uint64            // the current turn (see pickLocked)
	urgent  []*entry
	active  int    // entries not parked
	gen     uint64 // bumped when an active count changes
	running int

	// The users' intervals (see everyLocked), valid while gen and the
	// budget's cycle for all active accounts stay what they were.
	every      map[string]time.Duration
	everyGen   uint64
	everyCycle time.Duration

	present bool // a plugin serves it
	info    sdk.Info
	calls   []string // the capabilities one sync fetches
	pacer   Pacer    // nil: no rate budget

	holdUntil time.Time
	holdWhy   string
	probing   bool   // the plugin was down: one sync at a time until one answers
	blocked   uint64 // the dispatch round in which its budget said wait
}

// Scheduler syncs every active account. Its methods are safe for concurrent
// use; Run drives it.
type Scheduler struct {
	cfg   Config
	clock Clock
	st    Store
	cat   Catalog
	keys  Keyring
	log   hclog.Logger
	m     *metrics

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
	// a fresh stack through gRPC every time. The channel holds
	// MaxConcurrency tasks and at most MaxConcurrency syncs are in flight
	// (inFlight, counted under mu, from the send until the task's finish),
	// so a send under mu always finds room and never blocks.
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
		cfg: cfg, clock: cfg.Clock, st: st, cat: cat, keys: keys, log: cfg.Logger.Named("sync"),
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
		pool.Go(func() {
			for f := range s.syncTasks {
				f()
			}
		})
	}
	defer func() {
		close(s.syncTasks)
		pool.Wait()
	}()

	var bg sync.WaitGroup
	bg.Go(func() { s.rescanLoop(ctx) })
	bg.Go(func() { s.pruneLoop(ctx) })

	s.loop(ctx, workCtx)

	s.stop()
	idle := make(chan struct{})
	go func() { s.workers.Wait(); close(idle) }()
	grace := s.clock.NewTimer(s.cfg.ShutdownGrace)
	select {
	case <-idle:
	case <-grace.C():
		s.log.Warn("cancelling syncs still running at shutdown")
		cancelWork()
		<-idle
	}
	grace.Stop()
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

// loop starts due syncs until ctx ends.
func (s *Scheduler) loop(ctx, workCtx context.Context) {
	timer := s.clock.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		s.applyNotes(ctx)
		s.mu.Lock()
		wait := s.dispatchLocked(workCtx, s.clock.Now())
		s.mu.Unlock()
		timer.Reset(wait)
		select {
		case <-ctx.Done():
			return
		case <-s.wake:
		case <-timer.C():
		}
	}
}
