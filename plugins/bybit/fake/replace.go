package fake

import (
	"slices"

	"github.com/globalautomation/gahost/sdk/fakews"
)

// Replace registers k with a as its account, as Seed does, and pushes to
// the account's live stream what Bybit sends for what changed (see
// fakews.Replace): wallet with the coins that changed or vanished (a
// vanished one at zero), and position with every row of each linear
// symbol whose rows changed or closed, its cross sequence moved when a
// size did.
func (s *Server) Replace(k Key, a Account) {
	fakews.Replace(s.Store, k.APIKey, k, a, func(before Account) {
		coins := fakews.Rows(before.Coins, a.Coins, func(c Coin) string { return c.Coin }, func(c Coin, _ bool) string { return c.Coin })
		if len(coins) > 0 {
			s.pushWallet(k.APIKey, coins...)
		}
		type row struct {
			symbol string
			idx    int
		}
		key := func(p Position) row { return row{p.Symbol, p.PositionIdx} }
		size := func(rows []Position, r row) string {
			if i := slices.IndexFunc(rows, func(p Position) bool { return key(p) == r }); i >= 0 {
				return rows[i].Size
			}
			return "0"
		}
		traded := map[string]bool{}
		var symbols []string
		for _, r := range fakews.Rows(before.Positions, a.Positions, key, func(p Position, _ bool) row { return key(p) }) {
			if !slices.Contains(symbols, r.symbol) {
				symbols = append(symbols, r.symbol)
			}
			traded[r.symbol] = traded[r.symbol] || !dec(size(before.Positions, r)).Equal(dec(size(a.Positions, r)))
		}
		for _, sym := range symbols {
			s.pushPositions(k.APIKey, sym, traded[sym])
		}
	})
}
