package stream

// The book of one account: state = seed + ordered deltas. None of the
// exchanges' private streams lets a client detect a lost message, so a
// stream session starts by buffering from the moment it subscribed, takes a
// seed (a REST snapshot, or the exchange's own snapshot push), applies the
// buffered deltas the seed does not already hold, and only then goes live.

import (
	"cmp"
	"slices"
	"sync"
	"time"

	"github.com/globalautomation/gahost/sdk"
)

// Delta is one change an exchange pushed. Every value in it is absolute
// (the new free and locked of an asset, the new row of a position), never
// an increment: exchanges that also send increments (Binance
// balanceUpdate.d, bc) send the absolute value beside them, and only that
// is applied.
type Delta struct {
	At time.Time // the exchange's event time; zero when it gives none
	// Balances are the assets that changed; an asset whose free and locked
	// are both zero is gone.
	Balances []sdk.Balance
	// Futures changes the futures account in place (events often carry
	// only some of its fields).
	Futures func(f *sdk.FuturesAccount)
	// Positions are the rows that changed, keyed by symbol and side; a row
	// of size zero is closed. A zero mark price, leverage or liquidation
	// price, or an empty margin mode, keeps the previous value: the events
	// that move a position rarely repeat them.
	Positions []sdk.Position
}

// Seed is a whole account as a snapshot gave it.
type Seed struct {
	At        time.Time // when the exchange took it; zero: every buffered delta is newer
	Spot      []sdk.Balance
	Futures   *sdk.FuturesAccount
	Positions []sdk.Position
}

// Book is one account's state. Its methods are safe for concurrent use.
type Book struct {
	// Parts are the parts the host asked for; the others are not emitted.
	Parts []string
	// Derive, when set, recomputes fields of the futures account from the
	// positions after every change (e.g. the unrealized P&L as their sum,
	// where the exchange's events carry it per position only).
	Derive func(f *sdk.FuturesAccount, positions []sdk.Position)

	mu        sync.Mutex
	live      bool
	buffered  []Delta
	spot      map[string]sdk.Balance
	futures   *sdk.FuturesAccount
	positions map[posKey]sdk.Position
}

type posKey struct {
	symbol string
	side   sdk.PositionSide
}

// Begin starts a stream session: deltas are buffered until Seed.
func (b *Book) Begin() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.live = false
	b.buffered = b.buffered[:0]
}

// maxBuffered bounds the deltas kept while seeding; an account that moves
// faster than its seed arrives is seeded again.
const maxBuffered = 10000

// Apply takes a delta. While seeding it is buffered and Apply returns
// false; live, it is applied and Apply returns the event of the parts it
// changed.
func (b *Book) Apply(d Delta) (sdk.StreamEvent, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.live {
		if len(b.buffered) < maxBuffered {
			b.buffered = append(b.buffered, d)
		}
		return sdk.StreamEvent{}, false
	}
	b.applyLocked(d)
	return b.eventLocked(d.At, len(d.Balances) > 0, d.Futures != nil || (len(d.Positions) > 0 && b.Derive != nil), len(d.Positions) > 0), true
}

// Seed replaces the state with s, applies the buffered deltas that are not
// older than it (absolute values make one the seed already holds harmless
// to apply again), goes live, and returns the whole account.
func (b *Book) Seed(s Seed) sdk.StreamEvent {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.spot = make(map[string]sdk.Balance, len(s.Spot))
	for _, x := range s.Spot {
		b.spot[x.Asset] = x
	}
	b.futures = nil
	if s.Futures != nil {
		f := *s.Futures
		b.futures = &f
	}
	b.positions = make(map[posKey]sdk.Position, len(s.Positions))
	for _, p := range s.Positions {
		if !p.Size.IsZero() {
			b.positions[posKey{p.Symbol, p.Side}] = p
		}
	}
	for _, d := range b.buffered {
		if s.At.IsZero() || d.At.IsZero() || !d.At.Before(s.At) {
			b.applyLocked(d)
		}
	}
	b.buffered = b.buffered[:0]
	b.live = true
	ev := b.eventLocked(s.At, true, true, true)
	ev.State = sdk.StreamConnected
	return ev
}

// Snapshot is the whole account as the book holds it.
func (b *Book) Snapshot() sdk.StreamEvent {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.eventLocked(time.Time{}, true, true, true)
}

func (b *Book) applyLocked(d Delta) {
	if b.spot == nil {
		b.spot = map[string]sdk.Balance{}
	}
	for _, x := range d.Balances {
		if x.Free.IsZero() && x.Locked.IsZero() {
			delete(b.spot, x.Asset)
		} else {
			b.spot[x.Asset] = x
		}
	}
	if b.positions == nil {
		b.positions = map[posKey]sdk.Position{}
	}
	for _, p := range d.Positions {
		k := posKey{p.Symbol, p.Side}
		if p.Size.IsZero() {
			delete(b.positions, k)
			continue
		}
		if prev, ok := b.positions[k]; ok {
			if p.MarkPrice.IsZero() {
				p.MarkPrice = prev.MarkPrice
			}
			if p.Leverage.IsZero() {
				p.Leverage = prev.Leverage
			}
			if p.LiquidationPrice.IsZero() {
				p.LiquidationPrice = prev.LiquidationPrice
			}
			if p.MarginMode == "" {
				p.MarginMode = prev.MarginMode
			}
		}
		b.positions[k] = p
	}
	if d.Futures != nil {
		if b.futures == nil {
			b.futures = &sdk.FuturesAccount{Asset: "USDT"}
		}
		d.Futures(b.futures)
	}
	if b.Derive != nil && b.futures != nil && (d.Futures != nil || len(d.Positions) > 0) {
		b.Derive(b.futures, b.positionsLocked())
	}
}

func (b *Book) positionsLocked() []sdk.Position {
	ps := make([]sdk.Position, 0, len(b.positions))
	for _, p := range b.positions {
		ps = append(ps, p)
	}
	slices.SortFunc(ps, func(x, y sdk.Position) int {
		return cmp.Or(cmp.Compare(x.Symbol, y.Symbol), cmp.Compare(x.Side, y.Side))
	})
	return ps
}

func (b *Book) wants(part string) bool {
	return len(b.Parts) == 0 || slices.Contains(b.Parts, part)
}

// eventLocked is the event of the parts named, whole, restricted to the
// parts the host asked for.
func (b *Book) eventLocked(at time.Time, spot, futures, positions bool) sdk.StreamEvent {
	ev := sdk.StreamEvent{At: at}
	if spot && b.wants(sdk.CapSpotBalances) && b.spot != nil {
		ev.HasSpot = true
		ev.Spot = make([]sdk.Balance, 0, len(b.spot))
		for _, x := range b.spot {
			ev.Spot = append(ev.Spot, x)
		}
		slices.SortFunc(ev.Spot, func(x, y sdk.Balance) int { return cmp.Compare(x.Asset, y.Asset) })
	}
	if futures && b.wants(sdk.CapFuturesAccount) && b.futures != nil {
		f := *b.futures
		ev.Futures = &f
	}
	if positions && b.wants(sdk.CapPositions) && b.positions != nil {
		ev.HasPositions = true
		ev.Positions = b.positionsLocked()
	}
	return ev
}
