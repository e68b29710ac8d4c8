package pgstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/globalautomation/gahost/host/internal/store"
	"github.com/jackc/pgx/v5"
)

// ErrFenced is PutSyncResultFenced's answer to a host whose lease on the
// account is gone (expired, or taken by another host with a newer epoch):
// nothing of its sync is written. It matches store.ErrNotFound, so a
// scheduler drops the account as it would a deleted one.
var ErrFenced = fmt.Errorf("the sync lease on the account is lost: %w", store.ErrNotFound)

// Fence is the lease a sync ran under: its host and the epoch of the claim.
type Fence struct {
	Host  string
	Epoch int64
}

// PutSyncResult implements store.Backend, unfenced: for a database one
// host uses on its own, and for the writes of tests.
func (s *Store) PutSyncResult(ctx context.Context, accountID string, r store.SyncResult) error {
	return s.putSyncResult(ctx, accountID, r, nil)
}

// PutSyncResultFenced is PutSyncResult for a host of a cluster: it writes
// only while f is the account's live lease (same owner, same epoch, not
// expired by the database's clock), else ErrFenced. The lease row is read
// FOR SHARE, so a host claiming the account waits for this write to commit
// and never sees older data after its claim.
func (s *Store) PutSyncResultFenced(ctx context.Context, accountID string, r store.SyncResult, f Fence) error {
	return s.putSyncResult(ctx, accountID, r, &f)
}

func (s *Store) putSyncResult(ctx context.Context, accountID string, r store.SyncResult, f *Fence) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if r.Started.IsZero() {
		r.Started = s.now()
	}
	r.Started = r.Started.UTC()
	return s.update(ctx, func(tx pgx.Tx) error {
		if f != nil {
			var one int
			err := tx.QueryRow(ctx, `SELECT 1 FROM sync_leases
WHERE account_id = $1 AND owner = $2 AND epoch = $3 AND lease_until > now() FOR SHARE`,
				accountID, f.Host, f.Epoch).Scan(&one)
			if errors.Is(err, pgx.ErrNoRows) {
				return ErrFenced
			}
			if err != nil {
				return err
			}
		}
		a, err := getAccount(ctx, tx, accountID, true)
		if err != nil {
			return err
		}
		if r.State.KeysRev != 0 && r.State.KeysRev != a.KeysRev {
			return store.ErrStale
		}
		var prev store.Snapshot
		var raw []byte
		err = tx.QueryRow(ctx, `SELECT data FROM snapshots WHERE account_id = $1`, accountID).Scan(&raw)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
		case err != nil:
			return err
		default:
			if err := decode(raw, &prev); err != nil {
				return err
			}
		}
		newest := !r.Started.Before(prev.Started)
		merged := prev
		if r.Fresh != nil {
			merged = store.MergeSnapshot(prev, *r.Fresh, r.Started, newest, s.now())
			merged.AccountID = accountID
			if err := putSnapshot(ctx, tx, merged); err != nil {
				return err
			}
		}
		if r.Point != nil {
			if p, ok := r.Point(merged); ok {
				if err := putPoint(ctx, tx, accountID, p, s.now()); err != nil {
					return err
				}
			}
		}
		if !newest {
			return nil
		}
		a.Sync = r.State
		data, err := encode(a)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE accounts SET data = $2 WHERE id = $1`, accountID, data)
		return err
	})
}

func putSnapshot(ctx context.Context, tx pgx.Tx, sn store.Snapshot) error {
	data, err := encode(sn)
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `INSERT INTO snapshots (account_id, data) VALUES ($1, $2)
ON CONFLICT (account_id) DO UPDATE SET data = excluded.data`, sn.AccountID, data)
	return err
}

// putPoint adds a history point; a zero time is now. A point at the same
// nanosecond replaces the one there, as a bbolt Put of the same key does.
func putPoint(ctx context.Context, tx pgx.Tx, accountID string, p store.HistoryPoint, now time.Time) error {
	if p.At.IsZero() {
		p.At = now
	}
	p.At = p.At.UTC()
	data, err := encode(p)
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `INSERT INTO history (account_id, at_ns, data) VALUES ($1, $2, $3)
ON CONFLICT (account_id, at_ns) DO UPDATE SET data = excluded.data`, accountID, nanos(p.At), data)
	return err
}

// LatestSnapshot implements store.Backend.
func (s *Store) LatestSnapshot(ctx context.Context, accountID string) (store.Snapshot, bool, error) {
	var sn store.Snapshot
	found := false
	err := s.view(ctx, func(tx pgx.Tx) error {
		var raw []byte
		err := tx.QueryRow(ctx, `SELECT data FROM snapshots WHERE account_id = $1`, accountID).Scan(&raw)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		found = true
		return decode(raw, &sn)
	})
	if err != nil || !found {
		return store.Snapshot{}, false, err
	}
	return sn, true, nil
}

// History implements store.Backend.
func (s *Store) History(ctx context.Context, accountID string, from, to time.Time) ([]store.HistoryPoint, error) {
	var lo, hi *int64
	if !from.IsZero() && from.UnixNano() > 0 {
		v := nanos(from)
		lo = &v
	}
	if !to.IsZero() {
		if to.UnixNano() < 0 {
			return nil, nil
		}
		v := nanos(to)
		hi = &v
	}
	var out []store.HistoryPoint
	err := s.view(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT data FROM history WHERE account_id = $1
AND ($2::bigint IS NULL OR at_ns >= $2) AND ($3::bigint IS NULL OR at_ns <= $3) ORDER BY at_ns`, accountID, lo, hi)
		if err != nil {
			return err
		}
		out, err = scanAll[store.HistoryPoint](rows)
		return err
	})
	return out, err
}

// PruneHistory implements store.Backend: the same thinning as bbolt's
// (every point younger than keepAll, then the first point of each clock
// hour up to hourlyFor, nothing older), in one statement.
func (s *Store) PruneHistory(ctx context.Context, now time.Time, keepAll, hourlyFor time.Duration) (int, error) {
	n := 0
	err := s.update(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `WITH cand AS (
  SELECT account_id, at_ns, at_ns <= $2 AS too_old,
         row_number() OVER (PARTITION BY account_id, at_ns <= $2, div(at_ns, $3) ORDER BY at_ns) AS rn
    FROM history WHERE at_ns <= $1)
DELETE FROM history h USING cand c
 WHERE h.account_id = c.account_id AND h.at_ns = c.at_ns AND (c.too_old OR c.rn > 1)`,
			nanos(now.Add(-keepAll)), nanos(now.Add(-hourlyFor)), int64(time.Hour))
		n = int(tag.RowsAffected())
		return err
	})
	return n, err
}
