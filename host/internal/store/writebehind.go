package store

// Sync results written behind. A sync result is derived data: the next
// sync of the account fetches it again. Committing each with its own
// fsync costs a paced host more CPU than the sync itself, so with
// Options.SyncFlush set they are held in memory and committed together,
// in one transaction, once the oldest has waited SyncFlush. A crash of
// the process or the machine loses at most the results of that last
// stretch (snapshots, history points and the accounts' sync states, which
// the next syncs restore); every other write (users, tokens, accounts,
// keys, webhooks) commits and fsyncs before it returns, as before. Until
// its commit a held result is not read back: the dashboard shows the
// previous sync for up to SyncFlush more. A result marked Wait (a manual
// sync's, a stream's change) is not held.

import (
	"errors"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

type heldResult struct {
	accountID string
	r         SyncResult
}

type writeBehind struct {
	s     *Store
	every time.Duration

	mu      sync.Mutex
	held    []heldResult
	timer   *time.Timer // armed while held is not empty
	closed  bool
	flushMu sync.Mutex // one commit at a time, so an account's results land in order
}

func newWriteBehind(s *Store, every time.Duration) *writeBehind {
	return &writeBehind{s: s, every: every}
}

// put holds r; a result with Wait, or one put after close, is committed
// at once instead (s.putNow), not waiting for those held: the store
// orders an account's results by their start, whatever order they commit
// in.
func (w *writeBehind) put(accountID string, r SyncResult) error {
	w.mu.Lock()
	if r.Wait || w.closed {
		w.mu.Unlock()
		return w.s.putNow(accountID, r)
	}
	w.held = append(w.held, heldResult{accountID, r})
	if w.timer == nil {
		w.timer = time.AfterFunc(w.every, func() { _ = w.flush() })
	}
	w.mu.Unlock()
	return nil
}

// flush commits everything held in one transaction. A held result whose
// account is gone or whose keys changed is dropped: it describes what no
// longer is.
func (w *writeBehind) flush() error {
	w.flushMu.Lock()
	defer w.flushMu.Unlock()
	w.mu.Lock()
	batch := w.held
	w.held = nil
	if w.timer != nil {
		w.timer.Stop()
		w.timer = nil
	}
	w.mu.Unlock()
	if len(batch) == 0 {
		return nil
	}
	err := w.s.db.Update(func(tx *bolt.Tx) error {
		for _, h := range batch {
			err := w.s.applySyncResult(tx, h.accountID, h.r)
			if err != nil && !errors.Is(err, ErrNotFound) && !errors.Is(err, ErrStale) {
				return err
			}
		}
		return nil
	})
	for _, h := range batch {
		w.s.cache.accountSynced(h.accountID)
	}
	if err != nil {
		// Nobody waits for these: the next syncs write them again.
		w.s.log.Error("cannot commit held sync results; the next syncs write them again",
			"results", len(batch), "error", err)
	}
	return err
}

// close commits what is held; results put after it commit at once.
func (w *writeBehind) close() error {
	w.mu.Lock()
	w.closed = true
	w.mu.Unlock()
	return w.flush()
}

// Flush commits the sync results held in memory (Options.SyncFlush) now.
func (s *Store) Flush() error {
	if s.behind == nil {
		return nil
	}
	return s.behind.flush()
}
