package fake

import (
	"cmp"
	"fmt"
	"regexp"
	"strconv"

	"github.com/globalautomation/gahost/sdk/fakex"
	"github.com/shopspring/decimal"
)

// Client order ids: futures also take ".", ":" and "/".
var (
	spotClientID   = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,36}$`)
	futureClientID = regexp.MustCompile(`^[.A-Z:/a-z0-9_-]{1,36}$`)
)

// readOrder checks what spot and futures orders share and returns the
// symbol's market, or answers the error itself.
func (s *Server) readOrder(c *call, listed map[string]Market) (Market, bool) {
	if p, ok := fakex.Missing(c.params.Get, "symbol", "side", "type"); ok {
		c.mandatory(p)
		return Market{}, false
	}
	m, ok := listed[c.params.Get("symbol")]
	if !ok {
		c.fail(400, -1121, "Invalid symbol.")
		return Market{}, false
	}
	if side := c.params.Get("side"); side != "BUY" && side != "SELL" {
		c.fail(400, -1117, "Invalid side.")
		return Market{}, false
	}
	for _, p := range []string{"quantity", "quoteOrderQty", "price"} {
		if v := c.params.Get(p); v != "" && !fakex.IsDecimal(v, 20) {
			c.fail(400, -1100, fmt.Sprintf("Illegal characters found in parameter '%s'; legal range is '^([0-9]{1,20})(\\.[0-9]{1,20})?$'.", p))
			return Market{}, false
		}
	}
	if c.params.Get("type") == "LIMIT" {
		if p, ok := fakex.Missing(c.params.Get, "timeInForce", "quantity", "price"); ok {
			c.mandatory(p)
			return Market{}, false
		}
	}
	return m, true
}

func (s *Server) spotOrder(c *call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.readOrder(c, s.spot)
	if !ok {
		return
	}
	p := c.params
	typ, side := p.Get("type"), p.Get("side")
	if typ != "LIMIT" && typ != "MARKET" {
		c.fail(400, -1116, "Invalid orderType.")
		return
	}
	qty, quote := dec(p.Get("quantity")), dec(p.Get("quoteOrderQty"))
	if typ == "MARKET" && qty.IsPositive() == quote.IsPositive() {
		c.fail(400, -1102, "Param 'quantity' or 'quoteOrderQty' must be sent, but both were empty/null!")
		return
	}
	if id := p.Get("newClientOrderId"); id != "" && !spotClientID.MatchString(id) {
		c.fail(400, -1100, "Illegal characters found in parameter 'newClientOrderId'; legal range is '^[a-zA-Z0-9-_]{1,36}$'.")
		return
	}
	a := s.Store.AccountLocked(c.key.APIKey)
	if s.duplicate(a, "spot", p.Get("newClientOrderId")) {
		c.fail(400, -2010, "Duplicate order sent.")
		return
	}
	price := dec(m.Price)
	if typ == "LIMIT" {
		price = dec(p.Get("price"))
	}
	if qty.IsZero() {
		qty = quote.DivRound(price, 8)
	}
	cost := qty.Mul(price)
	if side == "BUY" && free(a, m.Quote).LessThan(cost) || side == "SELL" && free(a, m.Base).LessThan(qty) {
		c.fail(400, -2010, "Account has insufficient balance for requested action.")
		return
	}
	o := Order{
		Market: "spot", Symbol: p.Get("symbol"), OrderID: s.id(), ClientOrderID: clientID(p.Get("newClientOrderId"), s.nextID),
		Side: side, Type: typ, TimeInForce: p.Get("timeInForce"), Quantity: qty.String(), QuoteOrderQty: p.Get("quoteOrderQty"),
		Price: p.Get("price"), Status: "NEW", ExecutedQty: "0", CumQuote: "0", Time: c.now.UnixMilli(), Query: c.r.URL.RawQuery,
	}
	if typ == "MARKET" {
		o.Status, o.ExecutedQty, o.CumQuote = "FILLED", qty.String(), cost.String()
		base, quote := fakex.Trade(side, qty, cost)
		addFree(a, m.Base, base)
		addFree(a, m.Quote, quote)
	}
	a.Orders = append(a.Orders, o)
	c.w.Header().Set("X-MBX-ORDER-COUNT-10S", "1")
	c.w.Header().Set("X-MBX-ORDER-COUNT-1D", strconv.Itoa(len(a.Orders)))
	resp := map[string]any{
		"symbol": o.Symbol, "orderId": o.OrderID, "orderListId": -1, "clientOrderId": o.ClientOrderID,
		"transactTime": o.Time,
	}
	respType := p.Get("newOrderRespType")
	if respType == "" {
		respType = "FULL"
	}
	if respType != "ACK" {
		for k, v := range spotOrderFields(o) {
			resp[k] = v
		}
	}
	if respType == "FULL" {
		fills := []map[string]any{}
		if o.Status == "FILLED" {
			fills = append(fills, map[string]any{"price": price.StringFixed(8), "qty": qty.StringFixed(8),
				"commission": "0.00000000", "commissionAsset": m.Quote, "tradeId": o.OrderID})
		}
		resp["fills"] = fills
	}
	c.json(200, resp)
}

func spotOrderFields(o Order) map[string]any {
	return map[string]any{
		"price": dec(o.Price).StringFixed(8), "origQty": dec(o.Quantity).StringFixed(8),
		"executedQty": dec(o.ExecutedQty).StringFixed(8), "origQuoteOrderQty": dec(o.QuoteOrderQty).StringFixed(8),
		"cummulativeQuoteQty": dec(o.CumQuote).StringFixed(8), "status": o.Status, "timeInForce": cmp.Or(o.TimeInForce, "GTC"),
		"type": o.Type, "side": o.Side, "workingTime": o.Time, "selfTradePreventionMode": "NONE",
	}
}

func (s *Server) futuresOrder(c *call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.readOrder(c, s.futures)
	if !ok {
		return
	}
	p := c.params
	typ, side := p.Get("type"), p.Get("side")
	switch typ {
	case "LIMIT", "MARKET":
	case "STOP", "STOP_MARKET", "TAKE_PROFIT", "TAKE_PROFIT_MARKET", "TRAILING_STOP_MARKET":
		c.fail(400, -4120, "Order type not supported for this endpoint. Please use the Algo Order API endpoints instead.")
		return
	default:
		c.fail(400, -1116, "Invalid orderType.")
		return
	}
	if p.Get("quantity") == "" {
		c.mandatory("quantity")
		return
	}
	if id := p.Get("newClientOrderId"); id != "" && !futureClientID.MatchString(id) {
		c.fail(400, -1100, "Illegal characters found in parameter 'newClientOrderId'; legal range is '^[\\.A-Z\\:/a-z0-9_-]{1,36}$'.")
		return
	}
	a := s.Store.AccountLocked(c.key.APIKey)
	ps, reduce := p.Get("positionSide"), p.Get("reduceOnly") == "true"
	if a.HedgeMode {
		if ps != "LONG" && ps != "SHORT" {
			c.fail(400, -4061, "Order's position side does not match user's setting.")
			return
		}
		if p.Get("reduceOnly") != "" {
			c.fail(400, -1106, "Parameter 'reduceOnly' sent when not required.")
			return
		}
	} else if ps != "" && ps != "BOTH" {
		c.fail(400, -4061, "Order's position side does not match user's setting.")
		return
	}
	if ps == "" {
		ps = "BOTH"
	}
	if s.duplicate(a, "futures", p.Get("newClientOrderId")) {
		c.fail(400, -4116, "ClientOrderId is duplicated.")
		return
	}
	qty := dec(p.Get("quantity"))
	price := dec(m.Price)
	if typ == "LIMIT" {
		price = dec(p.Get("price"))
	}
	delta := qty
	if side == "SELL" {
		delta = qty.Neg()
	}
	held := position(a, p.Get("symbol"), ps)
	closing := reduce || ps == "LONG" && side == "SELL" || ps == "SHORT" && side == "BUY"
	if reduce && (held.IsZero() || held.Sign() == delta.Sign()) {
		c.fail(400, -2022, "ReduceOnly Order is rejected.")
		return
	}
	if !closing {
		lev := int64(20)
		if cfg, ok := a.SymbolConfig[p.Get("symbol")]; ok {
			lev = cfg.Leverage
		}
		need := qty.Mul(price).Div(decimal.NewFromInt(lev))
		if futuresAvailable(a).LessThan(need) {
			c.fail(400, -2019, "Margin is insufficient.")
			return
		}
	}
	o := Order{
		Market: "futures", Symbol: p.Get("symbol"), OrderID: s.id(), ClientOrderID: clientID(p.Get("newClientOrderId"), s.nextID),
		Side: side, Type: typ, TimeInForce: p.Get("timeInForce"), PositionSide: ps, Quantity: qty.String(),
		Price: cmp.Or(p.Get("price"), "0"), ReduceOnly: reduce, Status: "NEW", ExecutedQty: "0", CumQuote: "0", AvgPrice: "0",
		Time: c.now.UnixMilli(), Query: c.r.URL.RawQuery,
	}
	if typ == "MARKET" {
		o.Status, o.ExecutedQty, o.CumQuote, o.AvgPrice = "FILLED", qty.String(), qty.Mul(price).String(), price.String()
		fill(a, m, p.Get("symbol"), ps, delta, price)
	}
	a.Orders = append(a.Orders, o)
	c.w.Header().Set("X-MBX-ORDER-COUNT-10S", "1")
	c.w.Header().Set("X-MBX-ORDER-COUNT-1M", "1")
	shown := o
	if p.Get("newOrderRespType") != "RESULT" {
		// ACK reports even a filled market order as NEW.
		shown.Status, shown.ExecutedQty, shown.CumQuote, shown.AvgPrice = "NEW", "0", "0", "0"
	}
	c.json(200, futuresOrderFields(shown, c.now.UnixMilli()))
}

func futuresOrderFields(o Order, now int64) map[string]any {
	return map[string]any{
		"clientOrderId": o.ClientOrderID, "cumQty": o.ExecutedQty, "cumQuote": o.CumQuote, "executedQty": o.ExecutedQty,
		"orderId": o.OrderID, "avgPrice": o.AvgPrice, "origQty": o.Quantity, "price": o.Price, "reduceOnly": o.ReduceOnly,
		"side": o.Side, "positionSide": o.PositionSide, "status": o.Status, "stopPrice": "0", "closePosition": false,
		"symbol": o.Symbol, "timeInForce": cmp.Or(o.TimeInForce, "GTC"), "type": o.Type, "origType": o.Type,
		"updateTime": now, "workingType": "CONTRACT_PRICE", "priceProtect": false, "priceMatch": "NONE",
		"selfTradePreventionMode": "NONE", "goodTillDate": 0,
	}
}

func (s *Server) cancelOrder(c *call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := c.params
	if p.Get("symbol") == "" {
		c.mandatory("symbol")
		return
	}
	market, listed := "spot", s.spot
	if c.futures() {
		market, listed = "futures", s.futures
	}
	if _, ok := listed[p.Get("symbol")]; !ok {
		c.fail(400, -1121, "Invalid symbol.")
		return
	}
	id, cid := p.Get("orderId"), p.Get("origClientOrderId")
	if id == "" && cid == "" {
		c.fail(400, -1102, "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!")
		return
	}
	a := s.Store.AccountLocked(c.key.APIKey)
	for i := range a.Orders {
		o := &a.Orders[i]
		if o.Market != market || o.Symbol != p.Get("symbol") ||
			id != "" && strconv.FormatInt(o.OrderID, 10) != id || id == "" && o.ClientOrderID != cid {
			continue
		}
		if o.Status != "NEW" && o.Status != "PARTIALLY_FILLED" {
			break
		}
		o.Status = "CANCELED"
		if market == "futures" {
			c.json(200, futuresOrderFields(*o, c.now.UnixMilli()))
			return
		}
		resp := spotOrderFields(*o)
		resp["symbol"], resp["orderId"], resp["orderListId"] = o.Symbol, o.OrderID, -1
		resp["origClientOrderId"] = o.ClientOrderID
		resp["clientOrderId"] = clientID("", s.id())
		resp["transactTime"] = c.now.UnixMilli()
		c.json(200, resp)
		return
	}
	c.fail(400, -2011, "Unknown order sent.")
}

// --- state helpers; the caller holds s.mu ---

func (s *Server) id() int64 {
	s.nextID++
	return s.nextID
}

func clientID(given string, n int64) string {
	if given != "" {
		return given
	}
	return fmt.Sprintf("fake%018d", n)
}

func (s *Server) duplicate(a *Account, market, cid string) bool {
	if cid == "" {
		return false
	}
	for _, o := range a.Orders {
		if o.Market == market && o.ClientOrderID == cid && (o.Status == "NEW" || o.Status == "PARTIALLY_FILLED") {
			return true
		}
	}
	return false
}

func asset(name string) func(Balance) bool { return func(b Balance) bool { return b.Asset == name } }

func free(a *Account, name string) decimal.Decimal {
	b, _ := fakex.Find(a.Spot, asset(name))
	return dec(b.Free)
}

func addFree(a *Account, name string, d decimal.Decimal) {
	b := fakex.Upsert(&a.Spot, asset(name), func() Balance { return Balance{Asset: name, Free: "0", Locked: "0.00000000"} })
	b.Free = dec(b.Free).Add(d).StringFixed(8)
}

func futuresAvailable(a *Account) decimal.Decimal {
	f, _ := fakex.Find(a.Futures, func(f FuturesAsset) bool { return f.Asset == "USDT" })
	return dec(f.AvailableBalance)
}

// held matches the position row of symbol on side.
func held(symbol, side string) func(Position) bool {
	return func(p Position) bool { return p.Symbol == symbol && p.PositionSide == side }
}

func position(a *Account, symbol, side string) decimal.Decimal {
	p, _ := fakex.Find(a.Positions, held(symbol, side))
	return dec(p.PositionAmt)
}

// fill moves a position by delta at price (see fakex.Fill).
func fill(a *Account, m Market, symbol, side string, delta, price decimal.Decimal) {
	p := fakex.Upsert(&a.Positions, held(symbol, side), func() Position {
		return Position{Symbol: symbol, PositionSide: side, PositionAmt: "0", EntryPrice: "0", MarginAsset: m.Quote}
	})
	amt, entry := fakex.Fill(dec(p.PositionAmt), dec(p.EntryPrice), delta, price)
	p.PositionAmt, p.EntryPrice, p.MarkPrice = amt.String(), entry.String(), price.String()
	p.UnRealizedProfit = price.Sub(entry).Mul(amt).String()
}
