package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"slices"
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
}

// HistoryPoint is one point of an account's value over time.
type HistoryPoint struct {
	At                   time.Time        `json:"at"`
	SpotTotalUSDT        *decimal.Decimal `json:"spot_total_usdt,omitempty"`
	FuturesMarginBalance decimal.Decimal  `json:"futures_margin_balance"`
	UnrealizedPnL        decimal.Decimal  `json:"unrealized_pnl"`
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

// PutSyncResult records the outcome of one sync in one write: the snapshot
// (nil keeps the previous one), a history point (nil adds none) and the
// sync state. Parts listed in snap.Errors keep the previous snapshot's data
// for that part, and state.FailedParts is set from them when empty.
//
// state.KeysRev, when set, is the account's KeysRev the sync used: if the
// credentials changed meanwhile an auth_failed verdict is about keys that
// are gone, so the account stays pending instead of being parked.
//
// Calls from many goroutines are coalesced with db.Batch. A deleted account
// answers ErrNotFound and nothing is written.
func (s *Store) PutSyncResult(ctx context.Context, accountID string, snap *Snapshot, point *HistoryPoint, state SyncState) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	now := s.now().UTC()
	// Batch may run fn more than once: it reads its inputs and never
	// changes them.
	return s.db.Batch(func(tx *bolt.Tx) error {
		accounts := tx.Bucket(bucketAccounts)
		var a Account
		if err := getJSON(accounts, []byte(accountID), &a); err != nil {
			return err
		}
		st := state
		if snap != nil {
			merged, err := mergeSnapshot(tx, accountID, *snap, now)
			if err != nil {
				return err
			}
			if err := putJSON(tx.Bucket(bucketSnapshots), []byte(accountID), merged); err != nil {
				return err
			}
			if len(st.FailedParts) == 0 && len(snap.Errors) > 0 {
				st.FailedParts = make([]string, 0, len(snap.Errors))
				for part := range snap.Errors {
					st.FailedParts = append(st.FailedParts, part)
				}
				slices.Sort(st.FailedParts)
			}
		}
		if point != nil {
			p := *point
			if p.At.IsZero() {
				p.At = now
			}
			p.At = p.At.UTC()
			h := tx.Bucket(bucketHistory)
			h.FillPercent = 0.9 // points arrive in time order: appends
			if err := putJSON(h, historyKey(accountID, p.At), p); err != nil {
				return err
			}
		}
		if st.KeysRev != 0 && st.KeysRev != a.KeysRev && st.Status == SyncAuthFailed {
			st.Status = SyncPending
			st.NextSyncAt = time.Time{}
		}
		a.Sync = st
		return putJSON(accounts, []byte(accountID), a)
	})
}

// mergeSnapshot fills the failed parts of snap from the stored snapshot.
func mergeSnapshot(tx *bolt.Tx, accountID string, snap Snapshot, now time.Time) (Snapshot, error) {
	snap.AccountID = accountID
	if snap.SyncedAt.IsZero() {
		snap.SyncedAt = now
	}
	snap.SyncedAt = snap.SyncedAt.UTC()
	if len(snap.Errors) == 0 {
		snap.Errors = nil
		return snap, nil
	}
	var prev Snapshot
	if err := getJSON(tx.Bucket(bucketSnapshots), []byte(accountID), &prev); err != nil && !errors.Is(err, ErrNotFound) {
		return Snapshot{}, err
	}
	for part := range snap.Errors {
		switch part {
		case PartSpot:
			snap.Spot, snap.SpotAt = prev.Spot, prev.SpotAt
		case PartFutures:
			snap.Futures, snap.FuturesAt = prev.Futures, prev.FuturesAt
		case PartPositions:
			snap.Positions, snap.PositionsAt = prev.Positions, prev.PositionsAt
		}
	}
	return snap, nil
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
