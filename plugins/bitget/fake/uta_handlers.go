package fake

import (
	"cmp"
	"strconv"

	"github.com/globalautomation/gahost/sdk/fakex"
	"github.com/shopspring/decimal"
)

// V3 placing and cancelling. The fields are the digest's: category,
// symbol, qty, price, side (buy/sell, the trade's direction), orderType,
// timeInForce, posSide (long/short), clientOid, reduceOnly (lower-case
// yes/no, unlike V2's YES/NO) and marginMode (futures, default crossed).

var timesInForce = map[string]bool{"gtc": true, "post_only": true, "fok": true, "ioc": true}

// utaCategory maps a V3 category to the fake's market and its listings;
// the fake trades SPOT and USDT-FUTURES only.
func (s *Server) utaCategory(c *call, cat string) (string, map[string]Market, bool) {
	switch cat {
	case "":
		c.missing("category")
	case "SPOT":
		return "spot", s.spot, true
	case "USDT-FUTURES":
		return "futures", s.futures, true
	default:
		c.invalid("category")
	}
	return "", nil, false
}

// readUTAOrder checks a V3 order's fields and answers the error itself.
// The caller holds s.mu.
func (s *Server) readUTAOrder(c *call) (string, Market, bool) {
	p := c.params
	if k, ok := fakex.Missing(c.param, "category", "symbol", "qty", "side", "orderType"); ok {
		c.missing(k)
		return "", Market{}, false
	}
	market, listed, ok := s.utaCategory(c, p["category"])
	if !ok {
		return "", Market{}, false
	}
	m, ok := listed[p["symbol"]]
	if !ok {
		c.bad("40034", "Parameter "+p["symbol"]+" does not exist")
		return "", Market{}, false
	}
	bad := ""
	switch {
	case p["side"] != "buy" && p["side"] != "sell":
		bad = "side"
	case p["orderType"] != "limit" && p["orderType"] != "market":
		bad = "orderType"
	case p["timeInForce"] != "" && !timesInForce[p["timeInForce"]]:
		bad = "timeInForce"
	case len(p["clientOid"]) > 50:
		bad = "clientOid"
	case p["reduceOnly"] != "" && p["reduceOnly"] != "yes" && p["reduceOnly"] != "no":
		bad = "reduceOnly"
	case p["posSide"] != "" && p["posSide"] != "long" && p["posSide"] != "short":
		bad = "posSide"
	case p["marginMode"] != "" && p["marginMode"] != "crossed" && p["marginMode"] != "isolated":
		bad = "marginMode"
	case market == "spot" && (p["posSide"] != "" || p["reduceOnly"] == "yes" || p["marginMode"] != ""):
		// Spot orders have no position to act on.
		bad = "category"
	}
	if bad != "" {
		c.invalid(bad)
		return "", Market{}, false
	}
	if p["orderType"] == "limit" && p["price"] == "" {
		c.missing("price")
		return "", Market{}, false
	}
	if !c.amounts("qty", "price") {
		return "", Market{}, false
	}
	return market, m, true
}

func (s *Server) utaPlace(c *call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	market, m, ok := s.readUTAOrder(c)
	if !ok {
		return
	}
	a := s.Store.AccountLocked(c.key.APIKey)
	if s.repeat(c, a, market) {
		return
	}
	p := c.params
	price, qty := dec(m.Price), dec(p["qty"])
	if p["orderType"] == "limit" {
		price = dec(p["price"])
	}
	s.nextID++
	o := Order{
		Market: market, Symbol: p["symbol"], OrderID: strconv.FormatInt(s.nextID, 10), ClientOid: p["clientOid"],
		Side: p["side"], OrderType: p["orderType"], Force: p["timeInForce"], Price: p["price"], Size: p["qty"],
		Status: "live", Body: string(c.body),
	}
	if o.ClientOid == "" {
		o.ClientOid = o.OrderID
	}
	var placed bool
	if market == "spot" {
		placed = s.utaSpot(c, a, m, &o, price, qty)
	} else {
		placed = s.utaFutures(c, a, m, &o, price, qty)
	}
	if !placed {
		s.nextID--
		return
	}
	a.Orders = append(a.Orders, o)
	c.ok(map[string]string{"orderId": o.OrderID, "clientOid": o.ClientOid})
}

// utaSpot trades against the unified wallet. A spot market buy's qty is
// taken as the quote amount to spend, as V2's size is; V3's pages were not
// read on this point (unconfirmed).
func (s *Server) utaSpot(c *call, a *Account, m Market, o *Order, price, qty decimal.Decimal) bool {
	buy := o.Side == "buy"
	base, quote := qty, qty.Mul(price)
	if o.OrderType == "market" && buy {
		base, quote = qty.DivRound(price, 8), qty
	}
	if m.MinUSDT != "" && quote.LessThan(dec(m.MinUSDT)) {
		c.bad("45110", "less than the minimum amount "+m.MinUSDT+" USDT")
		return false
	}
	if buy && utaAvailable(a, m.Quote).LessThan(quote) || !buy && utaAvailable(a, m.Base).LessThan(base) {
		c.bad("43012", "Insufficient balance")
		return false
	}
	if o.OrderType == "market" {
		o.Status = "filled"
		baseDelta, quoteDelta := fakex.Trade(o.Side, base, quote)
		utaAdd(a, m.Base, baseDelta, decimal.Zero)
		utaAdd(a, m.Quote, quoteDelta, decimal.Zero)
	} else {
		utaFreeze(a, m, *o, 1)
	}
	return true
}

// utaFutures trades the USDT perpetual on the unified wallet's USDT. Hedge
// mode needs posSide, the position the order acts on, and side is the
// trade's direction, so selling a long closes it (the pairing follows the
// SDKs; unconfirmed). One-way mode ignores posSide and closes with
// reduceOnly yes.
func (s *Server) utaFutures(c *call, a *Account, m Market, o *Order, price, qty decimal.Decimal) bool {
	p := c.params
	o.MarginMode = cmp.Or(p["marginMode"], "crossed")
	hold := "long"
	closing := false
	if a.HedgeMode {
		if p["posSide"] == "" {
			c.missing("posSide")
			return false
		}
		hold = p["posSide"]
		closing = o.Side == "sell" && hold == "long" || o.Side == "buy" && hold == "short"
	} else {
		closing = p["reduceOnly"] == "yes"
		if o.Side == "sell" && !closing || o.Side == "buy" && closing {
			hold = "short"
		}
	}
	o.ReduceOnly = closing
	held := heldSize(a, o.Symbol, hold)
	if closing && !held.IsPositive() {
		c.bad("22002", "No position to close")
		return false
	}
	if !closing && !c.affordable(a, m, o.Symbol, qty, price, utaAvailable(a, "USDT")) {
		return false
	}
	if o.OrderType != "market" {
		return true
	}
	o.Status = "filled"
	fillFutures(a, m, o.Symbol, hold, closing, held, qty, price)
	return true
}

// utaCancel is POST /api/v3/trade/cancel-order: orderId or clientOid
// (orderId wins) and the category. An unknown or finished order is
// answered with 43001, V2's code; V3's own code is not confirmed.
func (s *Server) utaCancel(c *call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := c.params
	market, listed, ok := s.utaCategory(c, p["category"])
	if !ok {
		return
	}
	a := s.Store.AccountLocked(c.key.APIKey)
	in := func(o Order) bool { return o.Market == market }
	if !cancelLive(c, in, a, func(o Order) { utaFreeze(a, listed[o.Symbol], o, -1) }) {
		c.bad("43001", "The order does not exist")
	}
}

// --- the unified wallet; the caller holds s.mu ---

func assetIs(coin string) func(Asset) bool { return func(as Asset) bool { return as.Coin == coin } }

func utaAvailable(a *Account, coin string) decimal.Decimal {
	as, _ := fakex.Find(a.Assets, assetIs(coin))
	return dec(as.Available)
}

// utaAdd changes a coin's free amount by avail and its order-held amount
// by locked; the balance moves by both.
func utaAdd(a *Account, coin string, avail, locked decimal.Decimal) {
	as := fakex.Upsert(&a.Assets, assetIs(coin), func() Asset { return Asset{Coin: coin, Balance: "0", Available: "0", Locked: "0"} })
	fakex.Add(&as.Balance, avail.Add(locked))
	fakex.Add(&as.Available, avail)
	fakex.Add(&as.Locked, locked)
}

// utaFreeze holds (sign 1) or releases (sign -1) what a live spot limit
// order needs in the unified wallet. The balance does not change.
func utaFreeze(a *Account, m Market, o Order, sign int64) {
	coin, amount := orderHold(m, o, sign)
	utaAdd(a, coin, amount.Neg(), amount)
}
