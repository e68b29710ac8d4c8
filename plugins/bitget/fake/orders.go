package fake

import (
	"slices"
	"strconv"

	"github.com/globalautomation/gahost/sdk/fakex"
	"github.com/shopspring/decimal"
)

// forces are the timeInForce values the docs list.
var forces = map[string]bool{"gtc": true, "post_only": true, "fok": true, "ioc": true}

// readOrder checks what spot and futures orders share and answers the
// error itself. The caller holds s.mu.
func (s *Server) readOrder(c *call, listed map[string]Market, required ...string) (Market, bool) {
	p := c.params
	if k, ok := fakex.Missing(c.param, required...); ok {
		c.missing(k)
		return Market{}, false
	}
	m, ok := listed[p["symbol"]]
	if !ok {
		c.bad("40034", "Parameter "+p["symbol"]+" does not exist")
		return Market{}, false
	}
	switch {
	case p["side"] != "buy" && p["side"] != "sell":
		c.invalid("side")
		return Market{}, false
	case p["orderType"] != "limit" && p["orderType"] != "market":
		c.invalid("orderType")
		return Market{}, false
	case p["force"] != "" && !forces[p["force"]]:
		c.invalid("force")
		return Market{}, false
	case p["orderType"] == "limit" && p["price"] == "":
		c.missing("price")
		return Market{}, false
	case len(p["clientOid"]) > 50:
		c.invalid("clientOid")
		return Market{}, false
	}
	if !c.amounts("size", "price") {
		return Market{}, false
	}
	return m, true
}

// amounts checks that those of names the body carries are positive
// decimals, Bitget's 40020 naming the first that is not; the caller
// returns when it reports false.
func (c *call) amounts(names ...string) bool {
	for _, k := range names {
		if v, ok := c.params[k]; ok && (!fakex.IsDecimal(v, 20) || !dec(v).IsPositive()) {
			c.invalid(k)
			return false
		}
	}
	return true
}

// repeat answers an order whose client order id names a live order again:
// clientOid is idempotent while the order is unfilled.
func (s *Server) repeat(c *call, a *Account, market string) bool {
	cid := c.params["clientOid"]
	if cid == "" {
		return false
	}
	for _, o := range a.Orders {
		if o.Market == market && o.ClientOid == cid && o.Status == "live" {
			c.ok(map[string]string{"orderId": o.OrderID, "clientOid": o.ClientOid})
			return true
		}
	}
	return false
}

func (s *Server) spotPlace(c *call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.readOrder(c, s.spot, "symbol", "side", "orderType", "size")
	if !ok {
		return
	}
	p := c.params
	if p["orderType"] == "limit" && p["force"] == "" {
		c.missing("force")
		return
	}
	a := s.Store.AccountLocked(c.key.APIKey)
	if s.repeat(c, a, "spot") {
		return
	}
	price, size := dec(m.Price), dec(p["size"])
	if p["orderType"] == "limit" {
		price = dec(p["price"])
	}
	// A market buy's size is the quote amount.
	base, quote := size, size.Mul(price)
	if p["orderType"] == "market" && p["side"] == "buy" {
		base, quote = size.DivRound(price, 8), size
	}
	if m.MinUSDT != "" && quote.LessThan(dec(m.MinUSDT)) {
		c.bad("45110", "less than the minimum amount "+m.MinUSDT+" USDT")
		return
	}
	if p["side"] == "buy" && available(a, m.Quote).LessThan(quote) || p["side"] == "sell" && available(a, m.Base).LessThan(base) {
		c.bad("43012", "Insufficient balance")
		return
	}
	o := s.newOrder(c, "spot")
	if p["orderType"] == "market" {
		o.Status = "filled"
		baseDelta, quoteDelta := fakex.Trade(p["side"], base, quote)
		addSpot(a, m.Base, baseDelta, decimal.Zero)
		addSpot(a, m.Quote, quoteDelta, decimal.Zero)
	} else {
		freeze(a, m, o, 1)
	}
	a.Orders = append(a.Orders, o)
	c.ok(map[string]string{"orderId": o.OrderID, "clientOid": o.ClientOid})
}

func (s *Server) futuresPlace(c *call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.readOrder(c, s.futures, "symbol", "productType", "marginMode", "marginCoin", "size", "side", "orderType")
	if !ok {
		return
	}
	p := c.params
	if usdt, ok := c.productType(p["productType"]); !ok {
		return
	} else if !usdt {
		c.invalid("productType")
		return
	}
	// marginCoin must be upper case.
	if p["marginCoin"] != "USDT" {
		c.invalid("marginCoin")
		return
	}
	if p["marginMode"] != "crossed" && p["marginMode"] != "isolated" {
		c.invalid("marginMode")
		return
	}
	a := s.Store.AccountLocked(c.key.APIKey)
	ts, ro := p["tradeSide"], p["reduceOnly"]
	if ro != "" && ro != "YES" && ro != "NO" {
		c.invalid("reduceOnly")
		return
	}
	if a.HedgeMode {
		// tradeSide is required in hedge mode; reduceOnly does not apply.
		if ts == "" {
			c.missing("tradeSide")
			return
		}
		if ts != "open" && ts != "close" {
			c.invalid("tradeSide")
			return
		}
	} else {
		// One-way mode ignores tradeSide.
		ts = ""
	}
	if s.repeat(c, a, "futures") {
		return
	}
	sym, side := p["symbol"], p["side"]
	price, size := dec(m.Price), dec(p["size"])
	if p["orderType"] == "limit" {
		price = dec(p["price"])
	}
	// hold is the position the order acts on: in hedge mode side names
	// it; in one-way mode the direction opens it and the other side
	// closes it.
	hold := "long"
	closing := false
	if a.HedgeMode {
		if side == "sell" {
			hold = "short"
		}
		closing = ts == "close"
	} else {
		closing = ro == "YES"
		if side == "sell" && !closing || side == "buy" && closing {
			hold = "short"
		}
	}
	held := heldSize(a, sym, hold)
	if closing && !held.IsPositive() {
		c.bad("22002", "No position to close")
		return
	}
	if !closing && !c.affordable(a, m, sym, size, price, futuresAvailable(a)) {
		return
	}
	o := s.newOrder(c, "futures")
	o.TradeSide, o.MarginMode, o.ReduceOnly = ts, p["marginMode"], ro == "YES"
	withID := true
	switch {
	case p["orderType"] == "market":
		o.Status = "filled"
		fillFutures(a, m, sym, hold, closing, held, size, price)
	case closing && !a.HedgeMode:
		// a one-way reduce-only order that takes the reduce-only
		// total over the position cancels the older ones, and its answer
		// has no orderId.
		total := size
		for _, x := range a.Orders {
			if x.Market == "futures" && x.Symbol == sym && x.ReduceOnly && x.Status == "live" {
				total = total.Add(dec(x.Size))
			}
		}
		if total.GreaterThan(held) {
			for i := range a.Orders {
				x := &a.Orders[i]
				if x.Market == "futures" && x.Symbol == sym && x.ReduceOnly && x.Status == "live" {
					x.Status = "cancelled"
				}
			}
			withID = false
		}
	}
	a.Orders = append(a.Orders, o)
	ack := map[string]string{"clientOid": o.ClientOid}
	if withID {
		ack["orderId"] = o.OrderID
	}
	c.ok(ack)
}

func (s *Server) newOrder(c *call, market string) Order {
	p := c.params
	s.nextID++
	o := Order{
		Market: market, Symbol: p["symbol"], OrderID: strconv.FormatInt(s.nextID, 10), ClientOid: p["clientOid"],
		Side: p["side"], OrderType: p["orderType"], Force: p["force"], Price: p["price"], Size: p["size"],
		Status: "live", Body: string(c.body),
	}
	if o.ClientOid == "" {
		o.ClientOid = strconv.FormatInt(s.nextID, 10)
	}
	return o
}

func (s *Server) cancel(c *call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := c.params
	market, listed, notFound := "spot", s.spot, func() { c.bad("43001", "The order does not exist") }
	if c.r.URL.Path == PathFuturesCancel {
		market, listed, notFound = "futures", s.futures, func() { c.bad("40768", "Order does not exist") }
		if usdt, ok := c.productType(p["productType"]); !ok {
			return
		} else if !usdt {
			c.invalid("productType")
			return
		}
		if mc, ok := p["marginCoin"]; ok && mc != "USDT" {
			c.invalid("marginCoin")
			return
		}
	}
	if p["symbol"] == "" {
		c.missing("symbol")
		return
	}
	m, ok := listed[p["symbol"]]
	if !ok {
		c.bad("40034", "Parameter "+p["symbol"]+" does not exist")
		return
	}
	a := s.Store.AccountLocked(c.key.APIKey)
	in := func(o Order) bool { return o.Market == market && o.Symbol == p["symbol"] }
	if !cancelLive(c, in, a, func(o Order) { freeze(a, m, o, -1) }) {
		notFound()
	}
}

// cancelLive cancels the order of a, among those in holds for, that the
// request names by orderId or else clientOid (orderId wins when both are
// given), and answers with its ids; a spot order's hold goes back with
// release. With neither id it answers 40019. It answers nothing and
// reports false when there is no such order or it is no longer live,
// which each API answers with its own code.
func cancelLive(c *call, in func(Order) bool, a *Account, release func(Order)) bool {
	id, cid := c.params["orderId"], c.params["clientOid"]
	if id == "" && cid == "" {
		c.missing("orderId")
		return true
	}
	i := slices.IndexFunc(a.Orders, func(o Order) bool {
		return in(o) && (id != "" && o.OrderID == id || id == "" && o.ClientOid == cid)
	})
	if i < 0 || a.Orders[i].Status != "live" {
		return false
	}
	o := &a.Orders[i]
	o.Status = "cancelled"
	if o.Market == "spot" {
		release(*o)
	}
	c.ok(map[string]string{"orderId": o.OrderID, "clientOid": o.ClientOid})
	return true
}

// --- state helpers; the caller holds s.mu ---

func coinIs(coin string) func(Balance) bool { return func(b Balance) bool { return b.Coin == coin } }

func available(a *Account, coin string) decimal.Decimal {
	b, _ := fakex.Find(a.Spot, coinIs(coin))
	return dec(b.Available)
}

// addSpot moves a coin's available and frozen amounts.
func addSpot(a *Account, coin string, avail, frozen decimal.Decimal) {
	b := fakex.Upsert(&a.Spot, coinIs(coin), func() Balance { return Balance{Coin: coin, Available: "0", Frozen: "0", Locked: "0"} })
	fakex.Add(&b.Available, avail)
	fakex.Add(&b.Frozen, frozen)
}

// orderHold is what a live spot limit order holds: the quote for a buy,
// the base for a sell, as a positive amount with sign 1 (holding it) and
// a negative one with sign -1 (releasing it).
func orderHold(m Market, o Order, sign int64) (coin string, amount decimal.Decimal) {
	amount, coin = dec(o.Size), m.Base
	if o.Side == "buy" {
		amount, coin = dec(o.Size).Mul(dec(o.Price)), m.Quote
	}
	return coin, amount.Mul(decimal.NewFromInt(sign))
}

// freeze holds (sign 1) or releases (sign -1) what a live limit order
// needs on the spot account.
func freeze(a *Account, m Market, o Order, sign int64) {
	coin, amount := orderHold(m, o, sign)
	addSpot(a, coin, amount.Neg(), amount)
}

func futuresAvailable(a *Account) decimal.Decimal {
	r, ok := fakex.Find(a.Futures, func(r FuturesRow) bool { return r.MarginCoin == "USDT" })
	if ok && r.CrossedMaxAvailable != "" {
		return dec(r.CrossedMaxAvailable)
	}
	return dec(r.Available)
}

func holding(sym, hold string) func(Position) bool {
	return func(p Position) bool { return p.Symbol == sym && p.HoldSide == hold }
}

func heldSize(a *Account, sym, hold string) decimal.Decimal {
	p, _ := fakex.Find(a.Positions, holding(sym, hold))
	return dec(p.Total)
}

// affordable checks an opening futures order of qty at price against the
// symbol's minimum order value and, at its leverage, the margin available
// (the futures account's or the unified wallet's), answering 45110 or
// 40762 itself.
func (c *call) affordable(a *Account, m Market, sym string, qty, price, available decimal.Decimal) bool {
	if m.MinUSDT != "" && qty.Mul(price).LessThan(dec(m.MinUSDT)) {
		c.bad("45110", "less than the minimum amount "+m.MinUSDT+" USDT")
		return false
	}
	need := qty.Mul(price).Div(decimal.NewFromInt(settings(a, sym).Leverage))
	if available.LessThan(need) {
		c.bad("40762", "The order amount exceeds the balance")
		return false
	}
	return true
}

// fillFutures moves the positions of sym for a filled market order of qty
// on the hold side at price: a closing order takes at most held off that
// side, a hedge-mode order adds to it, and a one-way order first eats
// into the opposite side.
func fillFutures(a *Account, m Market, sym, hold string, closing bool, held, qty, price decimal.Decimal) {
	switch {
	case closing:
		move(a, m, sym, hold, decimal.Min(qty, held).Neg(), price)
	case a.HedgeMode:
		move(a, m, sym, hold, qty, price)
	default:
		other := "short"
		if hold == "short" {
			other = "long"
		}
		cut := decimal.Min(qty, heldSize(a, sym, other))
		move(a, m, sym, other, cut.Neg(), price)
		move(a, m, sym, hold, qty.Sub(cut), price)
	}
}

// move changes the hold side of sym by delta at price: adding averages the
// entry, a position that reaches zero is gone.
func move(a *Account, m Market, sym, hold string, delta, price decimal.Decimal) {
	if delta.IsZero() {
		return
	}
	i := slices.IndexFunc(a.Positions, holding(sym, hold))
	if i < 0 {
		if !delta.IsPositive() {
			return
		}
		st := settings(a, sym)
		a.Positions = append(a.Positions, Position{
			Symbol: sym, MarginCoin: m.Quote, HoldSide: hold, Total: "0", OpenPriceAvg: "0",
			Leverage: strconv.FormatInt(st.Leverage, 10), MarginMode: st.MarginMode, LiquidationPrice: "0",
		})
		i = len(a.Positions) - 1
	}
	p := &a.Positions[i]
	total, entry := fakex.Fill(dec(p.Total), dec(p.OpenPriceAvg), delta, price)
	if !total.IsPositive() {
		a.Positions = append(a.Positions[:i], a.Positions[i+1:]...)
		return
	}
	pnl := price.Sub(entry).Mul(total)
	if hold == "short" {
		pnl = pnl.Neg()
	}
	p.Total, p.OpenPriceAvg, p.MarkPrice, p.UnrealizedPL = total.String(), entry.String(), price.String(), pnl.String()
}
