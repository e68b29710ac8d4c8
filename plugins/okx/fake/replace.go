package fake

import (
	"slices"

	"github.com/globalautomation/gahost/sdk/fakews"
)

// Replace registers k with a as its account, as Seed does, and pushes to
// the account's live stream what OKX sends for what changed (see
// fakews.Replace): an account event_update with the currencies that
// changed or vanished (a vanished one at zero), a positions event_update
// with the positions that opened, changed or closed (a closed one at pos
// 0), and balance_and_position pushes with both.
func (s *Server) Replace(k Key, a Account) {
	fakews.Replace(s.Store, k.APIKey, k, a, func(before Account) {
		bs := fakews.Rows(before.Balances, a.Balances, func(b Balance) string { return b.Ccy }, func(b Balance, gone bool) Balance {
			if gone {
				b = Balance{Ccy: b.Ccy, Eq: "0", CashBal: "0", AvailBal: "0", AvailEq: "0", FrozenBal: "0", Upl: "0"}
			}
			return b
		})
		ps := fakews.Rows(before.Positions, a.Positions, func(p Position) [3]string { return [3]string{p.InstID, p.PosSide, p.MgnMode} },
			func(p Position, closed bool) Position {
				if closed {
					p.Pos, p.Upl = "0", "0"
				}
				return p
			})
		s.mu.Lock()
		var out []push
		if now := s.Store.AccountLocked(k.APIKey); now != nil && len(bs) > 0 {
			out = s.balancePushesLocked(k.APIKey, now, bs)
		}
		if len(ps) > 0 {
			out = slices.Concat(out, s.positionPushesLocked(k.APIKey, ps))
		}
		s.mu.Unlock()
		s.send(out)
	})
}
