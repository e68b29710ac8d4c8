package fake

import (
	"github.com/globalautomation/gahost/sdk/fakews"
	"github.com/globalautomation/gahost/sdk/fakex"
)

// Replace registers k with a as its account, as Seed does, and pushes to
// the account's live listenKeys what BingX sends for what changed from
// the account it replaces: a spot ACCOUNT_UPDATE with the balances that
// changed or vanished (a vanished one at zero), and a swap ACCOUNT_UPDATE
// with the wallet rows and the positions that changed, a closed position
// at amount 0. An unchanged part pushes nothing, and neither does a key
// new to the fake. It is the command's Add: what POST /accounts calls,
// so that a demo that replaces whole accounts is streamed as a live
// exchange would be.
//
// The old account is read before the new one is stored, not in the same
// step: a change made in between (an order filled) is left out of the
// events, as a dropped event would be, and reconciliation repairs it.
func (s *Server) Replace(k Key, a Account) {
	_, had := s.Store.Key(k.APIKey)
	before := s.Account(k.APIKey)
	s.Seed(k, a)
	if !had {
		return
	}
	now := s.Now().UnixMilli()
	var spot []any
	changed, gone := fakews.Changes(before.Spot, a.Spot, func(b Balance) string { return b.Asset })
	for _, b := range changed {
		old, _ := fakex.Find(before.Spot, func(x Balance) bool { return x.Asset == b.Asset })
		spot = append(spot, spotRow(b, dec(b.Free).Sub(dec(old.Free)).String()))
	}
	for _, b := range gone {
		spot = append(spot, spotRow(Balance{Asset: b.Asset, Free: "0", Locked: "0"}, dec(b.Free).Neg().String()))
	}
	if len(spot) > 0 {
		s.push(s.targets(k.APIKey, true), map[string]any{"e": "ACCOUNT_UPDATE", "E": now, "a": map[string]any{"m": "ORDER", "B": spot}})
	}

	bs, ps := []any{}, []any{}
	wallet, goneW := fakews.Changes(before.Swap, a.Swap, func(x SwapAsset) string { return x.Asset })
	for _, w := range wallet {
		old, _ := fakex.Find(before.Swap, func(x SwapAsset) bool { return x.Asset == w.Asset })
		bs = append(bs, swapRow(w.Asset, w.Balance, dec(w.Balance).Sub(dec(old.Balance)).String()))
	}
	for _, w := range goneW {
		bs = append(bs, swapRow(w.Asset, "0", dec(w.Balance).Neg().String()))
	}
	pos, closed := fakews.Changes(before.Positions, a.Positions, func(p Position) [2]string { return [2]string{p.Symbol, p.PositionSide} })
	for _, p := range pos {
		ps = append(ps, positionRow(p))
	}
	for _, p := range closed {
		p.PositionAmt, p.UnrealizedProfit = "0", "0"
		ps = append(ps, positionRow(p))
	}
	if len(bs)+len(ps) == 0 {
		return
	}
	reason := "DEPOSIT"
	if len(ps) > 0 {
		reason = "ORDER"
	}
	s.push(s.targets(k.APIKey, false), map[string]any{"e": "ACCOUNT_UPDATE", "E": now, "a": map[string]any{"m": reason, "B": bs, "P": ps}})
}
