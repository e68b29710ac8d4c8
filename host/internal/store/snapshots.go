package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"maps"
	"time"

	"github.com/globalautomation/gahost/sdk"
	"github.com/shopspring/decimal"
	bolt "go.etcd.io/bbolt"
)

// Snapshot parts, named like the capabilities that fetch them.
const (
	PartSpot      = sdk.CapSpotBalances
	PartFutures   = sdk.CapFuturesAccount
	PartPositions = sdk.CapPositions
)

// Balance is one spot asset.
type Balance struct {
	Asset  string          `json:"asset"`
	Free   decimal.Decimal `json:"free"`
	Locked decimal.Decimal `json:"locked"`
	Total  decimal.Decimal `json:"total"`
}

// FuturesAccount is the USDT-margined futures wallet.
type FuturesAccount struct {
	Asset            string          `json:"asset"`
	WalletBalance    decimal.Decimal `json:"wallet_balance"`
	UnrealizedPnL    decimal.Decimal `json:"unrealized_pnl"`
	MarginBalance    decimal.Decimal `json:"margin_balance"`
	AvailableBalance decimal.Decimal `json:"available_balance"`
}

// Position is one open futures position.
type Position struct {
	Symbol           string          `json:"symbol"`
	Side             string          `json:"side"`
	Size             decimal.Decimal `json:"size"`
	EntryPrice       decimal.Decimal `json:"entry_price"`
	MarkPrice        decimal.Decimal `json:"mark_price"`
	UnrealizedPnL    decimal.Decimal `json:"unrealized_pnl"`
	Leverage         decimal.Decimal `json:"leverage"`
	LiquidationPrice decimal.Decimal `json:"liquidation_price"`
	MarginMode       string          `json:"margin_mode"`
}

// Snapshot is the latest known state of an account. Each part carries the
// time it was fetched: a part that failed in the last sync keeps the data of
// the sync before, so its time is older than SyncedAt.
type Snapshot struct {
	AccountID   string          `json:"account_id"`
	SyncedAt    time.Time       `json:"synced_at"`
	Spot        []Balance       `json:"spot"`
	SpotAt      time.Time       `json:"spot_at,omitzero"`
	Futures     *FuturesAccount `json:"futures,omitempty"`
	FuturesAt   time.Time       `json:"futures_at,omitzero"`
	Positions   []Position      `json:"positions"`
	PositionsAt time.Time       `json:"positions_at,omitzero"`
	// Errors maps each part that failed in the last sync to why.
	Errors map[string]string `json:"errors,omitempty"`

	// Started is when the sync that wrote SyncedAt and Errors started, and
	// PartsStarted when the sync that fetched each part did: the order of
	// the syncs, by which PutSyncResult keeps the newest data.
	Started      time.Time            `json:"started,omitzero"`
	PartsStarted map[string]time.Time `json:"parts_started,omitempty"`
}

// HistoryPoint is one point of an account's value over time.
type HistoryPoint struct {
	At                   time.Time        `json:"at"`
	SpotTotalUSDT        *decimal.Decimal `json:"spot_total_usdt,omitempty"`
	FuturesMarginBalance decimal.Decimal  `json:"futures_margin_balance"`
	UnrealizedPnL        decimal.Decimal  `json:"unrealized_pnl"`
	// EquityUSDT is the account's equity in USDT (spot value plus futures
	// margin balance) at the prices known when the point was taken, read
	// at PricesAt (zero when it held nothing but USDT). Nil when it could
	// not be valued, with the reason in EquityMissing, and in points
	// written before the host valued accounts, which have neither.
	EquityUSDT    *decimal.Decimal `json:"equity_usdt,omitempty"`
	EquityMissing string           `json:"equity_missing,omitempty"`
	PricesAt      time.Time        `json:"prices_at,omitzero"`
}

// BalancesFromSDK converts spot balances.
func BalancesFromSDK(in []sdk.Balance) []Balance {
	out := make([]Balance, 0, len(in))
	for _, b := range in {
		out = append(out, Balance{Asset: b.Asset, Free: b.Free, Locked: b.Locked, Total: b.Total()})
	}
	return out
}

// FuturesFromSDK converts a futures account.
func FuturesFromSDK(f sdk.FuturesAccount) *FuturesAccount {
	return &FuturesAccount{Asset: f.Asset, WalletBalance: f.WalletBalance, UnrealizedPnL: f.UnrealizedPnL,
		MarginBalance: f.MarginBalance, AvailableBalance: f.AvailableBalance}
}

// PositionsFromSDK converts positions.
func PositionsFromSDK(in []sdk.Position) []Position {
	out := make([]Position, 0, len(in))
	for _, p := range in {
		out = append(out, Position{Symbol: p.Symbol, Side: string(p.Side), Size: p.Size, EntryPrice: p.EntryPrice,
			MarkPrice: p.MarkPrice, UnrealizedPnL: p.UnrealizedPnL, Leverage: p.Leverage,
			LiquidationPrice: p.LiquidationPrice, MarginMode: string(p.MarginMode)})
	}
	return out
}

// historyKey is the account id followed by the big-endian unix nanos, so
// byte order is time order within an account.
func historyKey(accountID string, at time.Time) []byte {
	return binary.BigEndian.AppendUint64([]byte(accountID), uint64(at.UnixNano()))
}

// SyncResult is one sync of an account as the scheduler hands it over: the
// parts it fetched, the parts that failed, and the account's sync state as
// the scheduler decided it.
type SyncResult struct {
	// Started orders the syncs of an account: the start of this one. Data
	// never gives way to data from a sync that started earlier, whatever
	// order the writes commit in. Zero means the store's now.
	Started time.Time
	// Fresh holds the parts this sync fetched, each with the time it was
	// fetched (a part with a zero time was not fetched), its SyncedAt, and
	// in Errors the parts that failed with why. Nil: the sync fetched
	// nothing and the stored snapshot stays as it is.
	Fresh *Snapshot
	// Point makes the history point of the snapshot as merged (the fresh
	// parts over the stored ones); ok false or a nil Point adds none.
	Point func(merged Snapshot) (p HistoryPoint, ok bool)
	// State is written as given. Its KeysRev, when set, is the account's
	// KeysRev the sync used.
	State SyncState
	// Wait says the result must be readable once PutSyncResult returns
	// (a manual sync's caller reads it back; a stream's change is shown
	// at once): a store that writes results behind (Options.SyncFlush)
	// commits it at once all the same.
	Wait bool
}

// ErrStale is returned by PutSyncResult for a result obtained with
// credentials that have changed since: it describes keys that are gone, so
// nothing of it is written.
var ErrStale = errors.New("the account's keys changed during the sync")

// PutSyncResult records one sync in one transaction: it merges the fresh
// parts with the stored snapshot (the only merge of snapshot data), adds
// the history point of the merged view and writes the sync state.
//
// Each part is replaced only by a part from a sync that started no earlier
// than the one that fetched the stored part. The state, the part errors
// and the history point of a sync that started before the stored snapshot's
// last sync are not written: a newer sync already said where the account
// stands. Its history point is, at its own time.
//
// Calls from many goroutines are coalesced with db.Batch. A deleted account
// answers ErrNotFound and nothing is written.
//
// With Options.SyncFlush set, a result without Wait is written behind
// instead (writebehind.go): PutSyncResult returns at once and the result
// is committed with the others of the last SyncFlush; a deleted account or
// changed keys then drop it at the commit, unreported. Results commit in
// any order all the same: each is laid over the stored data by its start.
func (s *Store) PutSyncResult(ctx context.Context, accountID string, r SyncResult) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if r.Started.IsZero() {
		r.Started = s.now()
	}
	r.Started = r.Started.UTC()
	if s.behind != nil {
		return s.behind.put(accountID, r)
	}
	return s.putNow(accountID, r)
}

// putNow commits one sync result before it returns.
func (s *Store) putNow(accountID string, r SyncResult) error {
	// The account record's sync state changes: its cached copy goes.
	defer s.cache.accountSynced(accountID)
	// Batch may run fn more than once: it reads its inputs and never
	// changes them.
	return s.db.Batch(func(tx *bolt.Tx) error { return s.applySyncResult(tx, accountID, r) })
}

// applySyncResult is PutSyncResult's write, inside tx. It reads its
// inputs and never changes them, and writes nothing before its last
// check: a result it refuses leaves tx as it was.
func (s *Store) applySyncResult(tx *bolt.Tx, accountID string, r SyncResult) error {
	accounts := tx.Bucket(bucketAccounts)
	var a Account
	if err := getJSON(accounts, []byte(accountID), &a); err != nil {
		return err
	}
	if r.State.KeysRev != 0 && r.State.KeysRev != a.KeysRev {
		return ErrStale
	}
	snaps := tx.Bucket(bucketSnapshots)
	var prev Snapshot
	if err := getJSON(snaps, []byte(accountID), &prev); err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	newest := !r.Started.Before(prev.Started)
	merged := prev
	if r.Fresh != nil {
		merged = mergeSnapshot(prev, *r.Fresh, r.Started, newest, s.now())
		merged.AccountID = accountID
		if err := putJSON(snaps, []byte(accountID), merged); err != nil {
			return err
		}
	}
	// Points are keyed by their time, so a late one still lands in
	// its place.
	if r.Point != nil {
		if p, ok := r.Point(merged); ok {
			if err := putPoint(tx, accountID, p, s.now()); err != nil {
				return err
			}
		}
	}
	if !newest {
		return nil
	}
	a.Sync = r.State
	return putJSON(accounts, []byte(accountID), a)
}

// snapshotParts are the parts of a snapshot: the capability that fetches
// each, when it was fetched, and how it moves from one snapshot to another.
var snapshotParts = []struct {
	name string
	at   func(*Snapshot) time.Time
	take func(dst, src *Snapshot)
}{
	{PartSpot, func(s *Snapshot) time.Time { return s.SpotAt },
		func(d, s *Snapshot) { d.Spot, d.SpotAt = s.Spot, s.SpotAt }},
	{PartFutures, func(s *Snapshot) time.Time { return s.FuturesAt },
		func(d, s *Snapshot) { d.Futures, d.FuturesAt = s.Futures, s.FuturesAt }},
	{PartPositions, func(s *Snapshot) time.Time { return s.PositionsAt },
		func(d, s *Snapshot) { d.Positions, d.PositionsAt = s.Positions, s.PositionsAt }},
}

// mergeSnapshot lays the parts fresh fetched, in a sync started at
// started, over the stored snapshot prev: each part goes to the sync that
// started last. newest says this sync is the account's latest, whose time
// and part errors the snapshot then shows.
func mergeSnapshot(prev, fresh Snapshot, started time.Time, newest bool, now time.Time) Snapshot {
	m := prev
	m.PartsStarted = maps.Clone(prev.PartsStarted)
	if m.PartsStarted == nil {
		m.PartsStarted = make(map[string]time.Time, len(snapshotParts))
	}
	for _, p := range snapshotParts {
		if p.at(&fresh).IsZero() || started.Before(m.PartsStarted[p.name]) {
			continue
		}
		p.take(&m, &fresh)
		m.PartsStarted[p.name] = started
	}
	if newest {
		m.Started = started
		m.SyncedAt = fresh.SyncedAt
		if m.SyncedAt.IsZero() {
			m.SyncedAt = now
		}
		m.SyncedAt = m.SyncedAt.UTC()
		m.Errors = nil
		if len(fresh.Errors) > 0 {
			m.Errors = fresh.Errors
		}
	}
	return m
}

// putPoint adds a history point; a zero time is now.
func putPoint(tx *bolt.Tx, accountID string, p HistoryPoint, now time.Time) error {
	if p.At.IsZero() {
		p.At = now
	}
	p.At = p.At.UTC()
	h := tx.Bucket(bucketHistory)
	h.FillPercent = 0.9 // points arrive in time order: appends
	return putJSON(h, historyKey(accountID, p.At), p)
}

// LatestSnapshot returns an account's snapshot; ok is false before its first
// sync.
func (s *Store) LatestSnapshot(ctx context.Context, accountID string) (Snapshot, bool, error) {
	var snap Snapshot
	err := s.view(ctx, func(tx *bolt.Tx) error { return getJSON(tx.Bucket(bucketSnapshots), []byte(accountID), &snap) })
	if errors.Is(err, ErrNotFound) {
		return Snapshot{}, false, nil
	}
	if err != nil {
		return Snapshot{}, false, err
	}
	return snap, true, nil
}

// History returns an account's points with from <= at <= to, oldest first.
// A zero from or to leaves that end open.
func (s *Store) History(ctx context.Context, accountID string, from, to time.Time) ([]HistoryPoint, error) {
	prefix := []byte(accountID)
	start := prefix
	if !from.IsZero() && from.UnixNano() > 0 {
		start = historyKey(accountID, from)
	}
	var end []byte
	if !to.IsZero() {
		if to.UnixNano() < 0 {
			return nil, nil
		}
		end = historyKey(accountID, to)
	}
	var out []HistoryPoint
	err := s.view(ctx, func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketHistory).Cursor()
		for k, v := c.Seek(start); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			if end != nil && bytes.Compare(k, end) > 0 {
				break
			}
			var p HistoryPoint
			if err := unmarshal(v, &p); err != nil {
				return err
			}
			out = append(out, p)
		}
		return nil
	})
	return out, err
}

func deleteHistory(tx *bolt.Tx, accountID string) error {
	prefix := []byte(accountID)
	b := tx.Bucket(bucketHistory)
	var keys [][]byte
	c := b.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		keys = append(keys, append([]byte(nil), k...))
	}
	// Deleting while a cursor walks can skip keys, so delete afterwards.
	for _, k := range keys {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// PruneHistory thins out history: every point younger than keepAll stays,
// then the first point of each clock hour up to hourlyFor, and nothing
// older. It returns how many points it deleted.
func (s *Store) PruneHistory(ctx context.Context, now time.Time, keepAll, hourlyFor time.Duration) (int, error) {
	deleted := 0
	var resume []byte // first key of the account the next transaction starts at
	for {
		if err := ctx.Err(); err != nil {
			return deleted, err
		}
		var n int
		var next []byte
		err := s.update(ctx, func(tx *bolt.Tx) error {
			var err error
			n, next, err = pruneSome(tx.Bucket(bucketHistory), resume, now, keepAll, hourlyFor)
			return err
		})
		if err != nil {
			return deleted, err
		}
		deleted += n
		if next == nil {
			return deleted, nil
		}
		resume = next
	}
}

// pruneBatch bounds the keys one pruning transaction looks at. History
// grows with accounts × syncs: a sweep of all of it in one transaction
// would hold the write lock, and so every sync's write, for as long as it
// takes. Whole accounts go in one transaction, since the hourly thinning
// of an account needs all of its points.
var pruneBatch = 20000

// pruneSome thins the history from the account at key from (nil: the
// first) on, stopping at the first account boundary after pruneBatch keys.
// It returns the deleted count and the key to resume at (nil when done).
func pruneSome(b *bolt.Bucket, from []byte, now time.Time, keepAll, hourlyFor time.Duration) (int, []byte, error) {
	var drop [][]byte
	var account, next []byte
	var lastHour time.Time
	examined := 0
	c := b.Cursor()
	k, _ := c.First()
	if from != nil {
		k, _ = c.Seek(from)
	}
	for ; k != nil; k, _ = c.Next() {
		if len(k) < 8 {
			continue
		}
		id := k[:len(k)-8]
		if !bytes.Equal(id, account) {
			if examined >= pruneBatch {
				next = append([]byte(nil), k...)
				break
			}
			account = append(account[:0], id...)
			lastHour = time.Time{}
		}
		examined++
		at := time.Unix(0, int64(binary.BigEndian.Uint64(k[len(k)-8:])))
		age := now.Sub(at)
		switch {
		case age < keepAll:
			continue
		case age < hourlyFor:
			hour := at.Truncate(time.Hour)
			if !hour.Equal(lastHour) {
				lastHour = hour
				continue
			}
		}
		drop = append(drop, append([]byte(nil), k...))
	}
	for _, k := range drop {
		if err := b.Delete(k); err != nil {
			return 0, nil, err
		}
	}
	return len(drop), next, nil
}
