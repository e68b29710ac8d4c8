package scheduler

// Reconciling the schedule with the store: the accounts announced by
// AccountChanged, the full load at start and the periodic rescan, and the
// moves between the entry states they cause (added, removed, parked,
// unparked).

import (
	"context"
	"math/rand/v2"
	"time"

	"github.com/globalautomation/gahost/host/internal/store"
)

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
	read := s.clock.Now()
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
	read := s.clock.Now()
	all, err := s.st.AllAccounts(ctx)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock.Now()
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
	for sleep(ctx, s.clock, s.cfg.Rescan) {
		if err := s.rescan(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("rescan of accounts failed", "error", err)
		}
	}
}

func (s *Scheduler) rescan(ctx context.Context) error {
	read := s.clock.Now()
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
	now := s.clock.Now()
	if e != nil && e.gone {
		// Deactivated and re-enabled while its cancelled sync winds down:
		// it stays, and runs again once that sync is over.
		e.gone = false
		e.touched = read
		e.take(a)
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
		e.take(a)
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

// take keeps what a sync needs of the account.
func (e *entry) take(a store.Account) {
	e.sealed, e.testnet, e.keysRev = a.Secrets, a.Testnet, a.KeysRev
}

// addLocked creates the entry of an account.
func (s *Scheduler) addLocked(a store.Account, read time.Time) *entry {
	e := &entry{id: a.ID, exchange: a.Exchange, user: a.UserID, idx: -1, known: read, touched: read, lastOK: a.Sync.LastSyncAt}
	e.take(a)
	s.accounts[a.ID] = e
	s.exchLocked(a.Exchange)
	if a.Sync.Status == store.SyncAuthFailed {
		e.parked = true
	} else {
		s.countLocked(e, 1)
	}
	return e
}

func (s *Scheduler) exchLocked(name string) *exch {
	ex := s.exchanges[name]
	if ex == nil {
		ex = &exch{name: name, users: map[string]*userQ{}}
		s.exchanges[name] = ex
	}
	return ex
}

// removeLocked takes an account out of the schedule; a sync in flight is
// cancelled and writes nothing.
func (s *Scheduler) removeLocked(e *entry) {
	s.dequeueLocked(e)
	if !e.parked {
		s.countLocked(e, -1)
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
	s.countLocked(e, -1)
}

func (s *Scheduler) unparkLocked(e *entry) {
	if !e.parked || e.gone {
		return
	}
	e.parked = false
	s.countLocked(e, 1)
}

// randDur is a uniform random duration in [0, d).
func randDur(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	return rand.N(d)
}
