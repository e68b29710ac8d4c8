package fake

import (
	"slices"

	"github.com/globalautomation/gahost/sdk/fakews"
)

// Replace registers k with a as its account, as Seed does, and pushes to
// the account's live stream what Bybit sends for what changed from the
// account it replaces: wallet with the coins that changed or vanished (a
// vanished one at zero), and position with every row of each linear
// symbol whose rows changed or closed, its cross sequence moved when a
// size did. An unchanged part pushes nothing, and neither does a key new
// to the fake. It is the command's Add: what POST /accounts calls, so
// that a demo that replaces whole accounts is streamed as a live exchange
// would be.
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
	var coins []string
	changed, gone := fakews.Changes(before.Coins, a.Coins, func(c Coin) string { return c.Coin })
	for _, c := range slices.Concat(changed, gone) {
		coins = append(coins, c.Coin)
	}
	if len(coins) > 0 {
		s.pushWallet(k.APIKey, coins...)
	}

	type row struct {
		symbol string
		idx    int
	}
	key := func(p Position) row { return row{p.Symbol, p.PositionIdx} }
	moved, closed := fakews.Changes(before.Positions, a.Positions, key)
	traded := map[string]bool{}
	var symbols []string
	for _, p := range slices.Concat(moved, closed) {
		if !slices.Contains(symbols, p.Symbol) {
			symbols = append(symbols, p.Symbol)
		}
		i := slices.IndexFunc(before.Positions, func(x Position) bool { return key(x) == key(p) })
		j := slices.IndexFunc(a.Positions, func(x Position) bool { return key(x) == key(p) })
		if i < 0 || j < 0 || !dec(before.Positions[i].Size).Equal(dec(a.Positions[j].Size)) {
			traded[p.Symbol] = true
		}
	}
	for _, sym := range symbols {
		s.pushPositions(k.APIKey, sym, traded[sym])
	}
}
