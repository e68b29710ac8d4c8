package fake

import (
	"slices"

	"github.com/globalautomation/gahost/sdk/fakews"
)

// Replace registers k with a as its account, as Seed does, and pushes to
// the account's live stream what OKX sends for what changed from the
// account it replaces: an account event_update with the currencies that
// changed or vanished (a vanished one at zero), a positions event_update
// with the positions that opened, changed or closed (a closed one at pos
// 0), and balance_and_position pushes with both. An unchanged part pushes
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
	bs, gone := fakews.Changes(before.Balances, a.Balances, func(b Balance) string { return b.Ccy })
	for _, b := range gone {
		bs = append(bs, Balance{Ccy: b.Ccy, Eq: "0", CashBal: "0", AvailBal: "0", AvailEq: "0", FrozenBal: "0", Upl: "0"})
	}
	ps, closed := fakews.Changes(before.Positions, a.Positions, func(p Position) [3]string { return [3]string{p.InstID, p.PosSide, p.MgnMode} })
	for _, p := range closed {
		p.Pos, p.Upl = "0", "0"
		ps = append(ps, p)
	}
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
}
