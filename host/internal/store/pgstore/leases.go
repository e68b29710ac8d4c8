package pgstore

import (
	"context"
	"encoding/json"
	"time"

	"github.com/globalautomation/gahost/host/internal/store"
	"github.com/jackc/pgx/v5"
)

// Sync leases. Every active account has a row in sync_leases (written with
// the account, see putAccount); a host owns the account while owner is its
// id and lease_until, by the database's clock, is in the future. Each claim
// raises the row's epoch, and a sync result is written only under the
// epoch it was claimed with (PutSyncResultFenced). Rows are claimed with
// FOR UPDATE SKIP LOCKED, so hosts claiming at once never wait on each
// other or take the same row.

// Lease is one account a host holds.
type Lease struct {
	AccountID string
	Exchange  string
	Epoch     int64
	// Until is the lease's end by the database's clock.
	Until time.Time
}

// HostInfo is a host of the cluster as its heartbeat left it.
type HostInfo struct {
	HostID  string
	SeenAt  time.Time
	Started time.Time
	Live    bool
	// Capacity is, per exchange, how many accounts the host's budget can
	// sync once per interval; -1 means no limit.
	Capacity map[string]int
	// Leases counts the live leases it holds, per exchange.
	Leases map[string]int
	// Stats are the host's lease counters as its last heartbeat left them.
	Stats HostStats
}

// HostStats count, since a host started, what its lease keeper did.
type HostStats struct {
	// Claims is how many accounts it claimed.
	Claims int64 `json:"claims"`
	// RenewFailures is how many bulk renewals failed (the database did
	// not answer); LeasesLost how many leases it found gone at a renewal
	// or dropped when its own clock said they had ended.
	RenewFailures int64 `json:"renew_failures"`
	LeasesLost    int64 `json:"leases_lost"`
	// FencedWrites is how many sync results the lease fence refused.
	FencedWrites int64 `json:"fenced_writes"`
}

func millis(d time.Duration) int64 { return d.Milliseconds() }

func scanLeases(rows pgx.Rows) ([]Lease, error) {
	defer rows.Close()
	var out []Lease
	for rows.Next() {
		var l Lease
		if err := rows.Scan(&l.AccountID, &l.Exchange, &l.Epoch, &l.Until); err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

// Heartbeat records that host is alive, with its capacity per exchange
// and its counters.
func (s *Store) Heartbeat(ctx context.Context, host string, capacity map[string]int, stats HostStats) error {
	raw, err := json.Marshal(capacity)
	if err != nil {
		return err
	}
	rawStats, err := json.Marshal(stats)
	if err != nil {
		return err
	}
	_, err = s.pool.Exec(ctx, `INSERT INTO cluster_hosts (host_id, seen_at, started, budgets, stats) VALUES ($1, now(), now(), $2, $3)
ON CONFLICT (host_id) DO UPDATE SET seen_at = now(), budgets = excluded.budgets, stats = excluded.stats`,
		host, string(raw), string(rawStats))
	return s.wrap(err)
}

// RequestSync asks the host holding the account to sync it soon: a manual
// sync asked of a host that does not hold it. The owner takes the request
// with TakeSyncRequests; one not holding any lease yet is synced at once
// by whichever host claims it, which also clears the request.
func (s *Store) RequestSync(ctx context.Context, accountID string) error {
	tag, err := s.pool.Exec(ctx, `UPDATE sync_leases SET sync_requested = now() WHERE account_id = $1`, accountID)
	if err != nil {
		return s.wrap(err)
	}
	if tag.RowsAffected() == 0 {
		return store.ErrNotFound
	}
	return nil
}

// TakeSyncRequests clears and returns the sync requests of the accounts
// host holds a live lease on.
func (s *Store) TakeSyncRequests(ctx context.Context, host string) ([]string, error) {
	rows, err := s.pool.Query(ctx, `UPDATE sync_leases SET sync_requested = NULL
 WHERE owner = $1 AND sync_requested IS NOT NULL AND lease_until > now()
RETURNING account_id`, host)
	if err != nil {
		return nil, s.wrap(err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	return ids, s.wrap(err)
}

// Leave removes host's heartbeat and frees its leases, for a clean stop:
// the others take its accounts at once instead of after the lease time.
func (s *Store) Leave(ctx context.Context, host string) error {
	return s.update(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE sync_leases SET owner = NULL, lease_until = NULL WHERE owner = $1`, host); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `DELETE FROM cluster_hosts WHERE host_id = $1`, host)
		return err
	})
}

// Claim gives host up to n accounts of exchange that no live lease holds,
// those whose lease ended longest ago (or never existed) first, each for
// ttl from now by the database's clock. A pending sync request is
// cleared: the new owner syncs an account it gains at once.
func (s *Store) Claim(ctx context.Context, host, exchange string, n int, ttl time.Duration) ([]Lease, error) {
	if n <= 0 {
		return nil, nil
	}
	rows, err := s.pool.Query(ctx, `WITH free AS (
  SELECT account_id FROM sync_leases
   WHERE exchange = $1 AND (lease_until IS NULL OR lease_until < now())
   ORDER BY lease_until NULLS FIRST, account_id
   LIMIT $2
   FOR UPDATE SKIP LOCKED)
UPDATE sync_leases l
   SET owner = $3, lease_until = now() + $4 * interval '1 millisecond', claimed_at = now(), epoch = l.epoch + 1,
       sync_requested = NULL
  FROM free WHERE l.account_id = free.account_id
RETURNING l.account_id, l.exchange, l.epoch, l.lease_until`, exchange, n, host, millis(ttl))
	if err != nil {
		return nil, s.wrap(err)
	}
	out, err := scanLeases(rows)
	return out, s.wrap(err)
}

// Renew extends, in one statement, every lease host still holds, and
// returns them: a lease host had and that is not in the answer is lost.
func (s *Store) Renew(ctx context.Context, host string, ttl time.Duration) ([]Lease, error) {
	rows, err := s.pool.Query(ctx, `UPDATE sync_leases SET lease_until = now() + $2 * interval '1 millisecond'
 WHERE owner = $1 AND lease_until > now()
RETURNING account_id, exchange, epoch, lease_until`, host, millis(ttl))
	if err != nil {
		return nil, s.wrap(err)
	}
	out, err := scanLeases(rows)
	return out, s.wrap(err)
}

// Release frees leases of host so that other hosts may claim them.
func (s *Store) Release(ctx context.Context, host string, accountIDs []string) error {
	_, err := s.pool.Exec(ctx, `UPDATE sync_leases SET owner = NULL, lease_until = NULL
 WHERE owner = $1 AND account_id = ANY($2)`, host, accountIDs)
	return s.wrap(err)
}

// ExpireForTest ends host's leases now, as if it had stopped renewing
// them a lease time ago.
func (s *Store) ExpireForTest(ctx context.Context, host string) error {
	_, err := s.pool.Exec(ctx, `UPDATE sync_leases SET lease_until = now() - interval '1 millisecond' WHERE owner = $1`, host)
	return s.wrap(err)
}

// Cluster is what the cluster looks like: the hosts seen within ttl and
// before, and per exchange how many active accounts there are and how many
// no live lease holds.
func (s *Store) Cluster(ctx context.Context, ttl time.Duration) (hosts []HostInfo, accounts, unowned map[string]int, err error) {
	accounts, unowned = map[string]int{}, map[string]int{}
	err = s.view(ctx, func(tx pgx.Tx) error {
		hosts = nil
		rows, err := tx.Query(ctx, `SELECT host_id, seen_at, started, seen_at > now() - $1 * interval '1 millisecond', budgets, stats
  FROM cluster_hosts ORDER BY host_id`, millis(ttl))
		if err != nil {
			return err
		}
		byID := map[string]int{}
		for rows.Next() {
			var h HostInfo
			var raw, rawStats []byte
			if err := rows.Scan(&h.HostID, &h.SeenAt, &h.Started, &h.Live, &raw, &rawStats); err != nil {
				rows.Close()
				return err
			}
			if err := json.Unmarshal(raw, &h.Capacity); err != nil {
				rows.Close()
				return err
			}
			if err := json.Unmarshal(rawStats, &h.Stats); err != nil {
				rows.Close()
				return err
			}
			h.Leases = map[string]int{}
			byID[h.HostID] = len(hosts)
			hosts = append(hosts, h)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		rows, err = tx.Query(ctx, `SELECT exchange, coalesce(owner, ''), lease_until IS NOT NULL AND lease_until > now(), count(*)
  FROM sync_leases GROUP BY 1, 2, 3`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var ex, owner string
			var live bool
			var n int
			if err := rows.Scan(&ex, &owner, &live, &n); err != nil {
				return err
			}
			accounts[ex] += n
			if !live || owner == "" {
				unowned[ex] += n
				continue
			}
			if i, ok := byID[owner]; ok {
				hosts[i].Leases[ex] += n
			}
		}
		return rows.Err()
	})
	return hosts, accounts, unowned, err
}
