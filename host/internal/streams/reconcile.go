package streams

import (
	"context"

	"github.com/globalautomation/gahost/host/internal/store"
	"github.com/globalautomation/gahost/sdk"
	"github.com/shopspring/decimal"
)

// Reconcile checks a poll of an account against what its stream wrote,
// before the poll is written (the scheduler's write path calls it; the
// write that follows repairs whatever differs). It compares only while the
// account is streamed, and only the parts the stream has not rewritten
// since the poll started: those are the stream's claim about the same
// moment the poll read. Each part that differs is counted as a mismatch,
// and the account's stream is subscribed and seeded again, because a
// stream that lost one event cannot tell whether it lost others.
//
// A change that reached the exchange just before the poll read it, and
// whose event is still on its way, also counts: the stream was behind for
// that moment, and the resync costs one seed.
func (m *Manager) Reconcile(ctx context.Context, accountID string, r store.SyncResult) {
	if r.Fresh == nil {
		return
	}
	m.mu.Lock()
	a := m.accounts[accountID]
	streamed := a != nil && a.state == sdk.StreamConnected && !a.held
	var name string
	if a != nil {
		name = a.exchange
	}
	m.mu.Unlock()
	if !streamed {
		return
	}
	old, ok, err := m.st.LatestSnapshot(ctx, accountID)
	if err != nil || !ok {
		return
	}
	comparable := func(part string) bool {
		return r.Started.IsZero() || old.PartsStarted[part].Before(r.Started)
	}
	var wrong []string
	f := r.Fresh
	if !f.SpotAt.IsZero() && !old.SpotAt.IsZero() && comparable(store.PartSpot) && !sameSpot(old.Spot, f.Spot) {
		wrong = append(wrong, store.PartSpot)
	}
	if !f.FuturesAt.IsZero() && !old.FuturesAt.IsZero() && comparable(store.PartFutures) && !sameFutures(old.Futures, f.Futures) {
		wrong = append(wrong, store.PartFutures)
	}
	if !f.PositionsAt.IsZero() && !old.PositionsAt.IsZero() && comparable(store.PartPositions) && !samePositions(old.Positions, f.Positions) {
		wrong = append(wrong, store.PartPositions)
	}
	if len(wrong) == 0 {
		return
	}
	m.mu.Lock()
	es := m.exchangeStateLocked(name)
	for _, p := range wrong {
		es.mismatches[p]++
	}
	if a := m.accounts[accountID]; a != nil {
		a.resync = true
	}
	m.mu.Unlock()
	for _, p := range wrong {
		m.m.mismatches.WithLabelValues(name, p).Inc()
	}
	m.log.Info("reconciliation found the stream behind REST; repaired from REST, resubscribing",
		"account_id", accountID, "exchange", name, "parts", wrong)
	m.kickExchange(name)
}

// sameSpot compares the balances that hold anything, by asset.
func sameSpot(a, b []store.Balance) bool {
	type fl struct{ free, locked decimal.Decimal }
	index := func(bs []store.Balance) map[string]fl {
		out := map[string]fl{}
		for _, x := range bs {
			if !x.Free.IsZero() || !x.Locked.IsZero() {
				out[x.Asset] = fl{x.Free, x.Locked}
			}
		}
		return out
	}
	x, y := index(a), index(b)
	if len(x) != len(y) {
		return false
	}
	for k, v := range x {
		w, ok := y[k]
		if !ok || !v.free.Equal(w.free) || !v.locked.Equal(w.locked) {
			return false
		}
	}
	return true
}

// sameFutures compares the wallet balance: what streams report as an
// absolute value. Unrealized P&L and what derives from it move with the
// mark price between any two reads.
func sameFutures(a, b *store.FuturesAccount) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Asset == b.Asset && a.WalletBalance.Equal(b.WalletBalance)
}

// samePositions compares the open positions by symbol and side: size and
// entry price (mark price and P&L move on their own).
func samePositions(a, b []store.Position) bool {
	type key struct{ symbol, side string }
	type se struct{ size, entry decimal.Decimal }
	index := func(ps []store.Position) map[key]se {
		out := map[key]se{}
		for _, p := range ps {
			if !p.Size.IsZero() {
				out[key{p.Symbol, p.Side}] = se{p.Size, p.EntryPrice}
			}
		}
		return out
	}
	x, y := index(a), index(b)
	if len(x) != len(y) {
		return false
	}
	for k, v := range x {
		w, ok := y[k]
		if !ok || !v.size.Equal(w.size) || !v.entry.Equal(w.entry) {
			return false
		}
	}
	return true
}
