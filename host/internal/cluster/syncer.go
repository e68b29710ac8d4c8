package cluster

// Manual syncs and account changes on a host that does not hold the
// account: the host that does is told through the database (a sync request
// on the account's lease row, which its keeper polls), and the asking host
// waits for the account's sync state to move.

import (
	"context"
	"errors"
	"time"

	"github.com/globalautomation/gahost/host/internal/scheduler"
	"github.com/globalautomation/gahost/host/internal/store"
)

// ErrNotSynced is SyncNow's answer when the account was passed to the host
// holding it and no sync of it was recorded within the wait (no live host
// holds it, or the owner is overloaded).
var ErrNotSynced = errors.New("the host holding the account did not sync it in time")

// LocalSyncer is this host's scheduler.
type LocalSyncer interface {
	AccountChanged(accountID string)
	SyncNow(ctx context.Context, accountID string) error
}

// Syncer routes manual syncs and account changes: to local for the accounts
// this host holds, through the database to their owner for the others.
type Syncer struct {
	k     *Keeper
	local LocalSyncer
	// Wait bounds how long SyncNow waits for another host's sync; the
	// tests shorten it.
	Wait time.Duration
	// ctx bounds the requests AccountChanged sends in the background.
	ctx context.Context
}

// Syncer returns the router in front of local. ctx bounds the background
// requests of AccountChanged (the daemon's life).
func (k *Keeper) Syncer(ctx context.Context, local LocalSyncer) *Syncer {
	// The owner reads requests every Poll, then syncs: a sync call
	// takes at most the call timeout, which the lease time exceeds.
	return &Syncer{k: k, local: local, Wait: k.cfg.TTL + 2*k.cfg.Poll, ctx: ctx}
}

// AccountChanged tells the local scheduler, and the owner when it is
// another host (it re-reads the account and syncs it: new keys or a
// reactivation take effect at once there too). It never blocks.
func (s *Syncer) AccountChanged(accountID string) {
	s.local.AccountChanged(accountID)
	if _, _, ok := s.k.Owns(accountID); ok {
		return
	}
	go func() {
		ctx, cancel := context.WithTimeout(s.ctx, 10*time.Second)
		defer cancel()
		if err := s.k.cfg.Store.RequestSync(ctx, accountID); err != nil && !store.IsNotFound(err) && ctx.Err() == nil {
			s.k.log.Warn("cannot tell the host holding an account that it changed; its rescan will see it",
				"account_id", accountID, "error", err)
		}
	}()
}

// SyncNow syncs an account held here at once; one held elsewhere is asked
// of its owner, and SyncNow returns once the account's sync state shows a
// new outcome (ErrNotSynced after Wait).
func (s *Syncer) SyncNow(ctx context.Context, accountID string) error {
	if _, _, ok := s.k.Owns(accountID); ok {
		return s.local.SyncNow(ctx, accountID)
	}
	a, err := s.k.cfg.Store.Account(ctx, accountID)
	if err != nil {
		return err
	}
	if !a.IsActive {
		return scheduler.ErrInactive
	}
	before := a.Sync
	if err := s.k.cfg.Store.RequestSync(ctx, accountID); err != nil {
		return err
	}
	deadline := time.NewTimer(s.Wait)
	defer deadline.Stop()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-deadline.C:
			return ErrNotSynced
		case <-tick.C:
		}
		if _, _, ok := s.k.Owns(accountID); ok {
			// Claimed here meanwhile: this host syncs it.
			return s.local.SyncNow(ctx, accountID)
		}
		a, err := s.k.cfg.Store.Account(ctx, accountID)
		if err != nil {
			return err
		}
		if !a.IsActive {
			return scheduler.ErrInactive
		}
		if moved(before, a.Sync) {
			return nil
		}
	}
}

// moved reports whether a sync outcome was recorded between two reads of
// an account's sync state: every outcome sets the next sync time.
func moved(before, after store.SyncState) bool {
	return !before.NextSyncAt.Equal(after.NextSyncAt) || !before.LastSyncAt.Equal(after.LastSyncAt) ||
		before.Status != after.Status || before.LastError != after.LastError
}
