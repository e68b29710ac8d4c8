package fake

import (
	"github.com/globalautomation/gahost/sdk/fakews"
	"github.com/globalautomation/gahost/sdk/fakex"
)

// Replace registers k with a as its account, as Seed does, and pushes to
// the account's live listenKeys what BingX sends for what changed (see
// fakews.Replace): a spot ACCOUNT_UPDATE with the balances that changed
// or vanished, and a swap ACCOUNT_UPDATE with the wallet rows and the
// positions that changed, a closed position at amount 0; bc is each
// balance's change.
func (s *Server) Replace(k Key, a Account) {
	fakews.Replace(s.Store, k.APIKey, k, a, func(before Account) {
		now := s.Now().UnixMilli()
		spot := fakews.Rows(before.Spot, a.Spot, func(b Balance) string { return b.Asset }, func(b Balance, gone bool) any {
			old, _ := fakex.Find(before.Spot, func(x Balance) bool { return x.Asset == b.Asset })
			if gone {
				b.Free, b.Locked = "0", "0"
			}
			return spotRow(b, dec(b.Free).Sub(dec(old.Free)).String())
		})
		if len(spot) > 0 {
			s.push(s.targets(k.APIKey, true), map[string]any{"e": "ACCOUNT_UPDATE", "E": now, "a": map[string]any{"m": "ORDER", "B": spot}})
		}
		swap := fakews.Rows(before.Swap, a.Swap, func(x SwapAsset) string { return x.Asset }, func(w SwapAsset, gone bool) any {
			old, _ := fakex.Find(before.Swap, func(x SwapAsset) bool { return x.Asset == w.Asset })
			if gone {
				w.Balance = "0"
			}
			return swapRow(w.Asset, w.Balance, dec(w.Balance).Sub(dec(old.Balance)).String())
		})
		positions := fakews.Rows(before.Positions, a.Positions, func(p Position) [2]string { return [2]string{p.Symbol, p.PositionSide} },
			func(p Position, closed bool) any {
				if closed {
					p.PositionAmt, p.UnrealizedProfit = "0", "0"
				}
				return positionRow(p)
			})
		if len(swap)+len(positions) == 0 {
			return
		}
		reason := "ORDER" // positions move with an order, a balance alone with a transfer
		if len(positions) == 0 {
			reason = "DEPOSIT"
		}
		s.push(s.targets(k.APIKey, false), map[string]any{"e": "ACCOUNT_UPDATE", "E": now,
			"a": map[string]any{"m": reason, "B": swap, "P": positions}})
	})
}
