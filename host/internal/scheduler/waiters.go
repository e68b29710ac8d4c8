package scheduler

// SyncNow and its waiters: a caller waits on the account's entry until a
// sync that began after its request has been written, or until the
// scheduler can say why none will run.

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/globalautomation/gahost/host/internal/store"
)

// result is what a SyncNow caller waiting on an entry is told.
type result struct {
	err  error
	held time.Time // not zero: the exchange is paused for rate limits until then
}

// release answers every waiter of the entry. Each waiter's channel holds
// one result and gets only this one, so the sends never block.
func (e *entry) release(r result) {
	for _, w := range e.waiters {
		w <- r
	}
	e.waiters = nil
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
	read := s.clock.Now()
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
	if e.running {
		// What it fetched may predate this request: run again after it.
		e.rerun = true
	} else {
		s.urgeLocked(e)
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
	err := s.st.PutSyncResult(ctx, a.ID, store.SyncResult{Started: s.clock.Now(), State: st, Wait: true})
	if errors.Is(err, store.ErrStale) {
		// New keys since the request: the account is due at once anyway.
		return nil
	}
	return err
}
