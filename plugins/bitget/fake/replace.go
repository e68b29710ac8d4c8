package fake

import "github.com/globalautomation/gahost/sdk/fakews"

// Replace registers k with a as its account, as Seed does, and pushes to
// the account's live stream what Bitget sends for what changed from the
// account it replaces: on the spot account channel the coins that changed
// or vanished (a vanished one at zero), on the USDT-FUTURES account
// channel the margin coin rows that changed, and when a position opened,
// changed or closed the open positions on positions, each closed one also
// on positions-history. An unchanged part pushes nothing, and neither
// does a key new to the fake. It is the command's Add: what POST
// /accounts calls, so that a demo that replaces whole accounts is
// streamed as a live exchange would be.
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
	s.change(k.APIKey, func(now *Account) {
		t := s.Now()
		var spot, futures []map[string]any
		changed, gone := fakews.Changes(before.Spot, now.Spot, func(b Balance) string { return b.Coin })
		for _, b := range changed {
			spot = append(spot, spotPush(b, t))
		}
		for _, b := range gone {
			spot = append(spot, spotPush(Balance{Coin: b.Coin}, t))
		}
		if len(spot) > 0 {
			s.pushLocked(k.APIKey, "SPOT", "account", spot)
		}
		rows, goneRows := fakews.Changes(before.Futures, now.Futures, func(r FuturesRow) string { return r.MarginCoin })
		for _, r := range rows {
			futures = append(futures, futuresPush(r))
		}
		for _, r := range goneRows {
			futures = append(futures, futuresPush(FuturesRow{MarginCoin: r.MarginCoin}))
		}
		if len(futures) > 0 {
			s.pushLocked(k.APIKey, "USDT-FUTURES", "account", futures)
		}
		moved, closed := fakews.Changes(before.Positions, now.Positions, func(p Position) [2]string { return [2]string{p.Symbol, p.HoldSide} })
		if len(moved)+len(closed) > 0 {
			s.pushLocked(k.APIKey, "USDT-FUTURES", "positions", positionsPush(now, t))
		}
		var history []map[string]any
		for _, p := range closed {
			history = append(history, historyPush(p, t))
		}
		if len(history) > 0 {
			s.pushLocked(k.APIKey, "USDT-FUTURES", "positions-history", history)
		}
	})
}
