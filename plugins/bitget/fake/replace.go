package fake

import "github.com/globalautomation/gahost/sdk/fakews"

// Replace registers k with a as its account, as Seed does, and pushes to
// the account's live stream what Bitget sends for what changed (see
// fakews.Replace): on the spot account channel the coins that changed or
// vanished (a vanished one at zero), on the USDT-FUTURES account channel
// the margin coin rows that changed, and when a position opened, changed
// or closed the open positions on positions, each closed one also on
// positions-history.
func (s *Server) Replace(k Key, a Account) {
	fakews.Replace(s.Store, k.APIKey, k, a, func(before Account) {
		s.Store.Change(k.APIKey, func(now *Account) {
			t := s.Now()
			spot := fakews.Rows(before.Spot, now.Spot, func(b Balance) string { return b.Coin }, func(b Balance, gone bool) map[string]any {
				if gone {
					b = Balance{Coin: b.Coin}
				}
				return spotPush(b, t)
			})
			if len(spot) > 0 {
				s.pushLocked(k.APIKey, "SPOT", "account", spot)
			}
			futures := fakews.Rows(before.Futures, now.Futures, func(r FuturesRow) string { return r.MarginCoin }, func(r FuturesRow, gone bool) map[string]any {
				if gone {
					r = FuturesRow{MarginCoin: r.MarginCoin}
				}
				return futuresPush(r)
			})
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
	})
}
