package main

// The demo's market and accounts, in fixed-point integers: every amount is
// a count of micro units (1e-6), so prices, balances and P&L stay exact and
// leave as plain decimal strings, as the fakes take them.

import (
	"math/rand/v2"
	"strconv"
	"strings"
)

// unit is 1 in micro units.
const unit = 1_000_000

// amt is an amount in micro units.
type amt int64

// d parses a plain decimal literal of the demo's own data; it panics on a
// malformed one, which is a bug in this file.
func d(s string) amt {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	whole, frac, _ := strings.Cut(s, ".")
	if len(frac) > 6 {
		panic("demo: more than 6 decimals in " + s)
	}
	frac += strings.Repeat("0", 6-len(frac))
	w, err1 := strconv.ParseInt(whole, 10, 64)
	f, err2 := strconv.ParseInt(frac, 10, 64)
	if err1 != nil || err2 != nil {
		panic("demo: bad amount " + s)
	}
	v := amt(w*unit + f)
	if neg {
		v = -v
	}
	return v
}

// mul is a*b, truncated to micro units.
func mul(a, b amt) amt { return amt(int64(a) * int64(b) / unit) }

// String writes a plain decimal with at most 6 decimals, no trailing zeros.
func (a amt) String() string { return a.fixed(6) }

// fixed writes a with exactly places decimals (places <= 6), truncated.
func (a amt) fixed(places int) string {
	neg := a < 0
	if neg {
		a = -a
	}
	s := strconv.FormatInt(int64(a/unit), 10)
	frac := strconv.FormatInt(int64(a%unit)+unit, 10)[1:] // 6 digits
	frac = frac[:places]
	if places == 6 {
		frac = strings.TrimRight(frac, "0")
	}
	if frac != "" {
		s += "." + frac
	}
	if neg && strings.Trim(s, "0.") != "" {
		s = "-" + s
	}
	return s
}

// market holds the demo prices, which walk a little on every tick.
type market struct {
	rng    *rand.Rand
	prices map[string]amt // base asset -> price in USDT
}

func newMarket(seed uint64) *market {
	return &market{rng: rand.New(rand.NewPCG(seed, 0x6761686f7374)), prices: map[string]amt{
		"BTC": d("61250.5"), "ETH": d("3012.25"), "SOL": d("148.62"), "BNB": d("589.1"), "DOGE": d("0.1523"),
	}}
}

// tick moves every price by up to 0.4% either way, in whole 0.01%.
func (m *market) tick() {
	for base, p := range m.prices {
		bp := int64(m.rng.IntN(81) - 40) // -40..40 basis points of a percent
		step := amt(int64(p) * bp / 10_000)
		if p+step > 0 {
			m.prices[base] = p + step
		}
	}
}

// holding is a spot balance.
type holding struct {
	asset        string
	free, locked amt
}

// position is a perpetual position against USDT.
type position struct {
	base     string
	long     bool
	size     amt // in base units, positive
	entry    amt
	leverage int
}

// account is one demo exchange account in exchange-neutral terms; each
// exchange's file turns it into its fake's own shapes.
type account struct {
	spot      []holding
	wallet    amt // USDT in the futures wallet
	positions []position
}

// upnl is a position's unrealized P&L at the market price.
func (p position) upnl(m *market) amt {
	diff := m.prices[p.base] - p.entry
	if !p.long {
		diff = -diff
	}
	return mul(diff, p.size)
}

// margin is the initial margin a position holds.
func (p position) margin() amt { return mul(p.entry, p.size) / amt(p.leverage) }

// liquidation is a rough liquidation price, for display only.
func (p position) liquidation() amt {
	move := p.entry / amt(p.leverage)
	if p.long {
		return p.entry - move + move/10
	}
	return p.entry + move - move/10
}

// totals are the futures figures derived from the wallet and positions.
func (a *account) totals(m *market) (upnl, marginBalance, used, available amt) {
	for _, p := range a.positions {
		upnl += p.upnl(m)
		used += p.margin()
	}
	marginBalance = a.wallet + upnl
	available = marginBalance - used
	if available < 0 {
		available = 0
	}
	return
}

// drift changes balances a little, as fees, funding and fills would.
func (a *account) drift(rng *rand.Rand) {
	a.wallet += amt(rng.IntN(2001)-1000) * unit / 100 // -10..10 USDT
	if len(a.spot) > 0 {
		h := &a.spot[rng.IntN(len(a.spot))]
		delta := h.free / 200 * amt(rng.IntN(3)-1) // -0.5%, 0 or +0.5%
		if h.free+delta > 0 {
			h.free += delta
		}
	}
}
