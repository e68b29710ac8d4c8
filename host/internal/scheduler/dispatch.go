package scheduler

// Dispatch: which due account starts next, within the exchange's rate
// budget and max_concurrency, and what its sync's outcome does to the
// schedule.

import (
	"cmp"
	"context"
	"math"
	"math/bits"
	"slices"
	"time"

	"github.com/globalautomation/gahost/host/internal/secrets"
	"github.com/globalautomation/gahost/host/internal/store"
	"github.com/globalautomation/gahost/sdk"
)

// syncParts are the capabilities a sync fetches, where the plugin has them.
var syncParts = []string{sdk.CapSpotBalances, sdk.CapFuturesAccount, sdk.CapPositions}

// refreshInfoLocked takes in the exchange's current plugin and budget: a
// new plugin version may declare other capabilities.
func (s *Scheduler) refreshInfoLocked(ex *exch) {
	_, info, ok := s.cat.Exchange(ex.name)
	ex.present = ok
	ex.pacer = s.cfg.Pacers(ex.name)
	if !ok || sameInfo(info, ex.info) {
		return
	}
	ex.info = info
	ex.calls = ex.calls[:0]
	for _, c := range syncParts {
		if info.Has(c) {
			ex.calls = append(ex.calls, c)
		}
	}
}

func sameInfo(a, b sdk.Info) bool {
	return a.Name == b.Name && a.Version == b.Version && slices.Equal(a.Capabilities, b.Capabilities)
}

// everyLocked is a user's effective interval on the exchange: the
// configured one, or longer when the exchange's accounts need more than
// the budget gives per interval. Then the budget is split evenly between
// the users, and what a user leaves of its share is split again between
// the others (a max-min fair share): a user whose accounts fit in its
// share keeps the configured interval however many accounts the others
// have, and the interval of a user who needs more stretches by its own
// accounts only.
func (s *Scheduler) everyLocked(ex *exch, user string) time.Duration {
	if d, ok := s.stretchedLocked(ex)[user]; ok {
		return d
	}
	return s.cfg.Interval
}

// longestEveryLocked is the longest of the exchange's users' intervals.
func (s *Scheduler) longestEveryLocked(ex *exch) time.Duration {
	d := s.cfg.Interval
	for _, e := range s.stretchedLocked(ex) {
		d = max(d, e)
	}
	return d
}

// stretchedLocked is every active user's interval on the exchange, or nil
// when the budget affords all its accounts at the configured interval.
// It is computed again only when the active accounts or the budget
// change.
func (s *Scheduler) stretchedLocked(ex *exch) map[string]time.Duration {
	if ex.pacer == nil || ex.active == 0 {
		return nil
	}
	all := ex.pacer.Cycle(ex.calls, ex.active)
	if all <= s.cfg.Interval {
		return nil
	}
	if ex.every == nil || ex.everyGen != ex.gen || ex.everyCycle != all {
		ex.every = shares(ex, s.cfg.Interval)
		ex.everyGen, ex.everyCycle = ex.gen, all
	}
	return ex.every
}

// shares computes every active user's interval by water-filling: in the
// order of what they need, each user whose accounts' cycle fits in an even
// split of what is left keeps interval, and the rest share what is then
// left evenly, each stretching its interval so that its accounts fit in
// its share.
func shares(ex *exch, interval time.Duration) map[string]time.Duration {
	type need struct {
		user  string
		cycle time.Duration // time the whole budget takes to sync its accounts once
	}
	needs := make([]need, 0, len(ex.users))
	for id, u := range ex.users {
		if u.active > 0 {
			needs = append(needs, need{id, ex.pacer.Cycle(ex.calls, u.active)})
		}
	}
	slices.SortFunc(needs, func(a, b need) int { return cmp.Or(cmp.Compare(a.cycle, b.cycle), cmp.Compare(a.user, b.user)) })
	out := make(map[string]time.Duration, len(needs))
	left := interval // budget time per interval not yet given out
	for i, n := range needs {
		k := time.Duration(len(needs) - i)
		if n.cycle <= left/k {
			out[n.user] = interval
			left -= n.cycle
			continue
		}
		// Each of the k users left gets left/k of the budget's time per
		// interval: its interval is cycle×interval/(left/k).
		for _, m := range needs[i:] {
			out[m.user] = max(interval, mulDiv(m.cycle, interval*k, max(left, 1)))
		}
		break
	}
	return out
}

// mulDiv is a×b/c without overflowing in between.
func mulDiv(a, b, c time.Duration) time.Duration {
	hi, lo := bits.Mul64(uint64(a), uint64(b))
	if hi >= uint64(c) {
		return math.MaxInt64
	}
	q, _ := bits.Div64(hi, lo, uint64(c))
	return time.Duration(min(q, math.MaxInt64))
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
		if ex.pacer != nil {
			// The budget holds the exchange after a rate-limited answer,
			// whichever call got it.
			if until := ex.pacer.HeldUntil(now); until.After(now) && until.After(ex.holdUntil) {
				ex.holdUntil, ex.holdWhy = until, holdRateLimited
			}
		}
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
		if next, later := s.streamedSinceLocked(best, e, now); later {
			// Queued at the regular interval, streamed since: its changes
			// come over the stream and only its reconciliation is due,
			// later. Without this a backlog of polls built up while the
			// streams connected would still run after they did.
			s.setDueLocked(e, next)
			continue
		}
		if e.urgent && best.holdWhy == holdRateLimited {
			// A manual sync respects the pause: it answers at once with it.
			s.dequeueLocked(e)
			s.setDueLocked(e, best.holdUntil)
			e.release(result{held: best.holdUntil})
			continue
		}
		paid := false
		if best.pacer != nil && best.present {
			ok, w := best.pacer.TryTake(now, best.calls)
			if !ok {
				best.blocked = s.round
				wait = min(wait, w)
				continue
			}
			paid = true
		}
		s.startLocked(workCtx, best, e, now, paid)
	}
	// Entries already due that did not start wait for a finishing sync
	// (all slots taken, or a probe out), which kicks the loop.
	for _, ex := range s.exchanges {
		switch {
		case ex.holdWhy != "":
			wait = min(wait, ex.holdUntil.Sub(now))
		case ex.blocked != s.round:
			if due, ok := ex.nextDue(); ok && due.After(now) {
				wait = min(wait, s.onGrid(due).Sub(now))
			}
		}
	}
	return max(wait, time.Millisecond)
}

// streamedSinceLocked says when e is due by the account interval hook if
// that is after now: a queued (not urgent) account whose hook interval,
// counted from its last poll (or, never polled, from when the schedule
// learned of it: its stream's seed read it whole), runs past now.
func (s *Scheduler) streamedSinceLocked(ex *exch, e *entry, now time.Time) (time.Time, bool) {
	if e.urgent || s.cfg.AccountInterval == nil {
		return time.Time{}, false
	}
	every := s.cfg.AccountInterval(ex.name, e.id)
	if every <= 0 {
		return time.Time{}, false
	}
	from := e.lastOK
	if from.IsZero() {
		from = e.known
	}
	next := from.Add(every)
	return next, next.After(now)
}

// onGrid is the first point of the Coalesce grid at or after due: the
// loop wakes there for every sync due in the step before it.
func (s *Scheduler) onGrid(due time.Time) time.Time {
	q := s.cfg.Coalesce
	if q <= 0 {
		return due
	}
	if r := due.UnixNano() % int64(q); r != 0 {
		due = due.Add(q - time.Duration(r))
	}
	return due
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
	if ex.holdWhy != "" {
		return nil
	}
	return ex.pickLocked(now)
}

// job is one sync as planned at its start: everything it needs, copied,
// so that it runs without the scheduler's lock.
type job struct {
	id       string
	exchange string
	start    time.Time
	due      time.Time // when it was due; the grid may start it up to a step later
	every    time.Duration
	failures int
	calls    []string
	paid     bool // its calls are paid for in the budget
	pacer    Pacer
	waited   bool // a SyncNow waits for it, or it is the account's first: its result must be readable when it ends

	sealed  secrets.SealedCredentials
	testnet bool
	keysRev uint64
	lastOK  time.Time
}

func (s *Scheduler) startLocked(workCtx context.Context, ex *exch, e *entry, now time.Time, paid bool) {
	s.dequeueLocked(e)
	ex.startedLocked(e)
	ctx, cancel := context.WithCancel(workCtx)
	e.running, e.cancel = true, cancel
	ex.running++
	s.inFlight++
	every := s.everyLocked(ex, e.user)
	if s.cfg.AccountInterval != nil {
		every = max(every, s.cfg.AccountInterval(ex.name, e.id))
	}
	j := job{id: e.id, exchange: ex.name, start: now, due: e.due, every: every, failures: e.failures,
		calls: slices.Clone(ex.calls), paid: paid, pacer: ex.pacer, waited: len(e.waiters) > 0 || e.lastOK.IsZero(),
		sealed: e.sealed, testnet: e.testnet, keysRev: e.keysRev, lastOK: e.lastOK}
	s.workers.Add(1)
	// Never blocks: see syncTasks.
	s.syncTasks <- func() {
		defer s.workers.Done()
		defer cancel()
		out := s.syncAccount(ctx, j)
		s.finish(e, j, out)
	}
}

// finish applies the outcome of a sync to the schedule.
func (s *Scheduler) finish(e *entry, j job, out outcome) {
	now := s.clock.Now()
	s.m.observe(j.exchange, out, now.Sub(j.start))
	s.mu.Lock()
	defer s.mu.Unlock()
	defer s.kick()
	ex := s.exchanges[j.exchange]
	e.running, e.cancel = false, nil
	ex.running--
	s.inFlight--

	if out.kind != outPluginDown {
		ex.probing = false
	}
	switch out.kind {
	case outRateLimited:
		if out.next.After(ex.holdUntil) {
			ex.holdUntil, ex.holdWhy = out.next, holdRateLimited
			s.log.Warn("exchange answered rate limited; pausing its syncs", "exchange", ex.name, "until", out.next)
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
	switch out.kind {
	case outCancelled:
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
	case outStale:
		// The keys changed under the sync: read the account again and run
		// with the new ones.
		s.notes[e.id] = struct{}{}
		e.rerun = false
		s.setDueLocked(e, now)
		return
	case outGone:
		s.removeLocked(e)
		return
	}
	e.failures = out.failures
	if !out.lastOK.IsZero() {
		e.lastOK = out.lastOK
	}
	next := out.next
	switch {
	case e.keysRev != j.keysRev:
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
		s.urgeLocked(e)
		return
	}
	s.setDueLocked(e, next)
	e.release(result{})
}
