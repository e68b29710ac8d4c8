package fake

import "github.com/globalautomation/gahost/sdk/fakews"

// Replace registers k with a as its account, as Seed does, and pushes to
// the account's live streams the events Binance sends for what changed
// from the account it replaces: outboundAccountPosition with the spot
// balances that changed or vanished (a vanished one at zero), and one
// ACCOUNT_UPDATE with the USDⓈ-M wallet rows and the positions that
// changed, a closed position at amount 0. An unchanged part pushes
// nothing, and neither does a key new to the fake. It is the command's
// Add: what POST /accounts calls, so that a demo that replaces whole
// accounts is streamed as a live exchange would be.
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
	spot, gone := fakews.Changes(before.Spot, a.Spot, func(b Balance) string { return b.Asset })
	for _, b := range gone {
		spot = append(spot, Balance{Asset: b.Asset, Free: "0", Locked: "0"})
	}
	if len(spot) > 0 {
		s.pushSpot(k.APIKey, spot...)
	}

	bs, ps := []any{}, []any{}
	wallet, goneW := fakews.Changes(before.Futures, a.Futures, func(f FuturesAsset) string { return f.Asset })
	for _, f := range wallet {
		bs = append(bs, walletRow(f))
	}
	for _, f := range goneW {
		bs = append(bs, walletRow(FuturesAsset{Asset: f.Asset, WalletBalance: "0"}))
	}
	pos, closed := fakews.Changes(before.Positions, a.Positions, func(p Position) [2]string { return [2]string{p.Symbol, p.PositionSide} })
	for _, p := range pos {
		ps = append(ps, positionRow(p))
	}
	for _, p := range closed {
		p.PositionAmt, p.UnRealizedProfit = "0", "0"
		ps = append(ps, positionRow(p))
	}
	if len(bs)+len(ps) == 0 {
		return
	}
	// The event's reason: a position moves with an order (or a
	// liquidation); a wallet alone with a transfer or a fee.
	reason := "DEPOSIT"
	if len(ps) > 0 {
		reason = "ORDER"
	}
	s.pushFutures(k.APIKey, map[string]any{"m": reason, "B": bs, "P": ps})
}
