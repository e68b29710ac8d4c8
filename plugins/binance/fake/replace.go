package fake

import "github.com/globalautomation/gahost/sdk/fakews"

// Replace registers k with a as its account, as Seed does, and pushes to
// the account's live streams what Binance sends for what changed (see
// fakews.Replace): outboundAccountPosition with the spot balances that
// changed or vanished, and one ACCOUNT_UPDATE with the USDⓈ-M wallet rows
// and the positions that changed, a closed position at amount 0.
func (s *Server) Replace(k Key, a Account) {
	fakews.Replace(s.Store, k.APIKey, k, a, func(before Account) {
		spot := fakews.Rows(before.Spot, a.Spot, func(b Balance) string { return b.Asset }, func(b Balance, gone bool) Balance {
			if gone {
				b.Free, b.Locked = "0", "0"
			}
			return b
		})
		if len(spot) > 0 {
			s.pushSpot(k.APIKey, spot...)
		}
		wallet := fakews.Rows(before.Futures, a.Futures, func(f FuturesAsset) string { return f.Asset }, func(f FuturesAsset, gone bool) any {
			if gone {
				f.WalletBalance = "0"
			}
			return walletRow(f)
		})
		positions := fakews.Rows(before.Positions, a.Positions, func(p Position) [2]string { return [2]string{p.Symbol, p.PositionSide} },
			func(p Position, closed bool) any {
				if closed {
					p.PositionAmt, p.UnRealizedProfit = "0", "0"
				}
				return positionRow(p)
			})
		// The event's reason: positions move with an order, a wallet
		// alone with a transfer.
		switch {
		case len(positions) > 0:
			s.pushFutures(k.APIKey, map[string]any{"m": "ORDER", "B": wallet, "P": positions})
		case len(wallet) > 0:
			s.pushFutures(k.APIKey, map[string]any{"m": "DEPOSIT", "B": wallet, "P": positions})
		}
	})
}
