package fake

import (
	"cmp"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/globalautomation/gahost/sdk/fakex"
	"github.com/shopspring/decimal"
)

// spotClientID is spot's newClientOrderId: letters, digits and _, 1 to 40.
var spotClientID = regexp.MustCompile(`^[A-Za-z0-9_]{1,40}$`)

// amount reads a positive decimal parameter, or answers the error itself.
func (c *call) amount(name string, code int) (decimal.Decimal, bool) {
	v := c.params.Get(name)
	if !fakex.IsDecimal(v, 20) || !dec(v).IsPositive() {
		c.fail(code, fmt.Sprintf("Invalid parameters, %s: must be a positive decimal number", name))
		return decimal.Zero, false
	}
	return dec(v), true
}

// api is how one of BingX's two trading APIs refuses a request: the swap
// and spot pages use their own codes and word their messages apart.
type api struct {
	badParam    int    // a parameter missing or wrong
	prefix      string // what a parameter message starts with
	unlisted    int    // a symbol not listed
	unlistedMsg string
}

var (
	swapAPI = api{codeInvalidParams, "Invalid parameters,", codeNoSymbol, "symbol not exist"}
	spotAPI = api{codeBadParameter, "Invalid parameters, ", codeTimestamp,
		"The symbol you request is not available to place order currently, please try again later"}
)

// orderSymbol checks that the request has each of required (the symbol
// among them) and that the symbol is listed, and returns it and what it is
// listed as; it answers the error in api's words itself.
func orderSymbol[M any](c *call, api api, listed map[string]M, required ...string) (string, M, bool) {
	var m M
	if name, ok := fakex.Missing(c.params.Get, required...); ok {
		c.fail(api.badParam, api.prefix+name+": This field is required.")
		return "", m, false
	}
	sym := c.params.Get("symbol")
	m, ok := listed[sym]
	if !ok {
		c.fail(api.unlisted, api.unlistedMsg)
	}
	return sym, m, ok
}

// swapOrder is POST /openApi/swap/v2/trade/order. Prices and
// quantities beyond the contract's precision are truncated without a
// word, as BingX does.
func (s *Server) swapOrder(c *call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := c.params
	sym, k, listed := orderSymbol(c, swapAPI, s.swap, "symbol", "side", "type")
	if !listed {
		return
	}
	side, typ := p.Get("side"), p.Get("type")
	if side != "BUY" && side != "SELL" {
		c.fail(codeInvalidParams, "Invalid parameters,side: must be BUY or SELL")
		return
	}
	if typ != "MARKET" && typ != "LIMIT" {
		c.fail(codeInvalidParams, "Invalid parameters,type: this fake takes MARKET and LIMIT orders only")
		return
	}
	a := s.Store.AccountLocked(c.key.APIKey)
	ps := p.Get("positionSide")
	if ps == "" {
		ps = "LONG" // an empty positionSide means LONG
	}
	if a.HedgeMode && ps != "LONG" && ps != "SHORT" {
		c.fail(codeMode, "In the Hedge mode, the 'PositionSide' field can only be set to LONG or SHORT.")
		return
	}
	if !a.HedgeMode && ps != "BOTH" {
		c.fail(codeMode, "In the One-way mode, the 'PositionSide' field can only be set to BOTH.")
		return
	}
	reduce := p.Get("reduceOnly") == "true"
	if a.HedgeMode && p.Get("reduceOnly") != "" {
		c.fail(codeInvalidParams, "Invalid parameters,reduceOnly: not accepted in the Hedge mode")
		return
	}
	qty, ok := c.amount("quantity", codeInvalidParams)
	if !ok {
		return
	}
	qty = qty.Truncate(int32(k.QuantityPrecision))
	price := dec(k.Price)
	if typ == "LIMIT" {
		if price, ok = c.amount("price", codeInvalidParams); !ok {
			return
		}
		price = price.Truncate(int32(k.PricePrecision))
	}
	if tif := p.Get("timeInForce"); tif != "" && tif != "GTC" && tif != "IOC" && tif != "FOK" && tif != "PostOnly" {
		c.fail(codeInvalidParams, "Invalid parameters,timeInForce: unknown value")
		return
	}
	cid := strings.ToLower(p.Get("clientOrderId")) // the server lowercases it
	if len(cid) > 40 {
		c.fail(codeInvalidParams, "Invalid parameters,clientOrderId: 1 to 40 characters")
		return
	}
	if s.duplicate(a, cid) {
		c.fail(codeDuplicateID, "clientOrderID cannot be repeated")
		return
	}
	if qty.Mul(price).LessThan(dec(cmp.Or(k.TradeMinUSDT, "2"))) {
		c.fail(codeMinNotional, "Please ensure that the minimum nominal value of the order placed must be greater than "+cmp.Or(k.TradeMinUSDT, "2")+"u")
		return
	}
	delta := qty
	if side == "SELL" {
		delta = qty.Neg()
	}
	held := netPosition(a, sym, ps, a.HedgeMode)
	closing := reduce || ps == "LONG" && side == "SELL" || ps == "SHORT" && side == "BUY"
	if closing && a.HedgeMode && held.Abs().LessThan(qty) || reduce && (held.IsZero() || held.Sign() == delta.Sign()) {
		c.fail(codeNoPosition, "position not exist")
		return
	}
	if reduce && held.Abs().LessThan(qty) {
		qty, delta = held.Abs(), held.Neg()
	}
	if !closing {
		lev := int64(20)
		if l, ok := a.Leverage[sym]; ok && l > 0 {
			lev = int64(l)
		}
		if swapAvailable(a).LessThan(qty.Mul(price).Div(decimal.NewFromInt(lev))) {
			c.fail(codeNoMargin, "Insufficient margin")
			return
		}
	}
	o := Order{
		Market: "swap", Symbol: sym, OrderID: s.id(), ClientOrderID: cid, Side: side, Type: typ,
		PositionSide: ps, Quantity: qty.String(), TimeInForce: p.Get("timeInForce"), ReduceOnly: reduce,
		Status: "NEW", ExecutedQty: "0", CumQuote: "0", AvgPrice: "0", Time: c.now.UnixMilli(), Query: c.r.URL.RawQuery,
	}
	if typ == "LIMIT" {
		o.Price = price.String()
	}
	if typ == "MARKET" {
		o.Status, o.ExecutedQty, o.CumQuote, o.AvgPrice = "FILLED", qty.String(), qty.Mul(price).String(), price.String()
		fill(a, sym, ps, a.HedgeMode, delta, price)
	}
	a.Orders = append(a.Orders, o)
	// The doc example's fields, plus status, avgPrice, executedQty and
	// reduceOnly from the field table; no quantity or price.
	c.ok(map[string]any{"order": map[string]any{
		"symbol": o.Symbol, "orderId": o.OrderID, "side": o.Side, "positionSide": o.PositionSide, "type": o.Type,
		"clientOrderId": o.ClientOrderID, "workingType": "MARK_PRICE", "status": o.Status,
		"avgPrice": o.AvgPrice, "executedQty": o.ExecutedQty, "reduceOnly": o.ReduceOnly, "stopGuaranteed": "false",
	}})
}

// swapCancel is DELETE /openApi/swap/v2/trade/order.
func (s *Server) swapCancel(c *call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := c.params
	sym, _, listed := orderSymbol(c, swapAPI, s.swap, "symbol")
	if !listed {
		return
	}
	id, cid := p.Get("orderId"), strings.ToLower(p.Get("clientOrderId"))
	if id == "" && cid == "" {
		c.fail(codeInvalidParams, "Invalid parameters,orderId: orderId or clientOrderId is required.")
		return
	}
	o := s.findOpen(s.Store.AccountLocked(c.key.APIKey), "swap", sym, id, cid)
	if o == nil {
		c.fail(codeOrderNotFound, "Order does not exist")
		return
	}
	o.Status = "CANCELLED" // two Ls on the swap
	c.ok(map[string]any{"order": map[string]any{
		"symbol": o.Symbol, "orderId": o.OrderID, "side": o.Side, "positionSide": o.PositionSide, "type": o.Type,
		"origQty": o.Quantity, "price": cmp.Or(o.Price, "0"), "executedQty": o.ExecutedQty, "avgPrice": "0.0000",
		"cumQuote": o.CumQuote, "stopPrice": "", "profit": "0.0000", "commission": "0.000000", "status": o.Status,
		"time": o.Time, "updateTime": c.now.UnixMilli(), "clientOrderId": o.ClientOrderID,
	}})
}

// spotOrder is POST /openApi/spot/v1/trade/order: a market buy is
// sized in quote, a market sell in base; finer values are truncated.
func (s *Server) spotOrder(c *call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := c.params
	sym, m, listed := orderSymbol(c, spotAPI, s.spot, "symbol", "side", "type")
	if !listed {
		return
	}
	side, typ := p.Get("side"), p.Get("type")
	if side != "BUY" && side != "SELL" || typ != "MARKET" && typ != "LIMIT" {
		c.fail(codeBadParameter, "Invalid parameters, side or type")
		return
	}
	step, tick := dec(m.StepSize), dec(m.TickSize)
	price := dec(m.Price)
	var qty, quote decimal.Decimal
	var ok bool
	switch {
	case typ == "LIMIT":
		if price, ok = c.amount("price", codeBadParameter); !ok {
			return
		}
		price = truncateStep(price, tick)
		if p.Get("quantity") != "" {
			qty, ok = c.amount("quantity", codeBadParameter)
		} else {
			quote, ok = c.amount("quoteOrderQty", codeBadParameter)
			qty = quote.Div(price)
		}
		if !ok {
			return
		}
	case side == "BUY":
		if quote, ok = c.amount("quoteOrderQty", codeBadParameter); !ok {
			return
		}
		qty = quote.Div(price)
	default:
		if qty, ok = c.amount("quantity", codeBadParameter); !ok {
			return
		}
	}
	qty = truncateStep(qty, step)
	cid := p.Get("newClientOrderId")
	if cid != "" && !spotClientID.MatchString(cid) {
		c.fail(codeBadParameter, "Invalid parameters, newClientOrderId: letters, digits and _ only, 1 to 40 characters")
		return
	}
	a := s.Store.AccountLocked(c.key.APIKey)
	if s.duplicate(a, cid) {
		c.fail(codeDuplicateID, "clientOrderID cannot be repeated")
		return
	}
	cost := qty.Mul(price)
	if side == "BUY" && free(a, m.Quote).LessThan(cost) || side == "SELL" && free(a, m.Base).LessThan(qty) {
		c.fail(codeInsufficient, "Insufficient assets, please verify the assets status")
		return
	}
	o := Order{
		Market: "spot", Symbol: sym, OrderID: s.id(), ClientOrderID: cid, Side: side, Type: typ,
		Quantity: qty.String(), QuoteOrderQty: p.Get("quoteOrderQty"), TimeInForce: p.Get("timeInForce"),
		Status: "PENDING", ExecutedQty: "0", CumQuote: "0", Time: c.now.UnixMilli(), Query: c.r.URL.RawQuery,
	}
	if typ == "LIMIT" {
		o.Price = price.String()
	} else {
		o.Price = "0"
		o.Status, o.ExecutedQty, o.CumQuote = "FILLED", qty.String(), cost.String()
		base, quote := fakex.Trade(side, qty, cost)
		addFree(a, m.Base, base)
		addFree(a, m.Quote, quote)
	}
	a.Orders = append(a.Orders, o)
	c.ok(spotOrderFields(o))
}

func spotOrderFields(o Order) map[string]any {
	return map[string]any{
		"symbol": o.Symbol, "orderId": o.OrderID, "transactTime": o.Time, "price": o.Price, "origQty": o.Quantity,
		"executedQty": o.ExecutedQty, "cummulativeQuoteQty": o.CumQuote, "status": o.Status, "type": o.Type, "side": o.Side,
	}
}

// spotCancel is POST /openApi/spot/v1/trade/cancel: the client id
// parameter is clientOrderID, with a capital ID.
func (s *Server) spotCancel(c *call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := c.params
	sym, _, listed := orderSymbol(c, spotAPI, s.spot, "symbol")
	if !listed {
		return
	}
	id, cid := p.Get("orderId"), p.Get("clientOrderID")
	if id == "" && cid == "" {
		c.fail(codeBadParameter, "Invalid parameters, orderId or clientOrderID is required")
		return
	}
	o := s.findOpen(s.Store.AccountLocked(c.key.APIKey), "spot", sym, id, cid)
	if o == nil {
		// The page documents no spot code for this; 100400 is its
		// generic parameter error.
		c.fail(codeBadParameter, "order not exist")
		return
	}
	o.Status = "CANCELED" // one L on spot
	f := spotOrderFields(*o)
	delete(f, "transactTime")
	f["stopPrice"] = cmp.Or(o.Price, "0")
	c.ok(f)
}

// --- state helpers; the caller holds s.mu ---

func (s *Server) id() int64 {
	s.nextID += 7
	return s.nextID
}

// duplicate reports a client id already in use by an open order. The page
// does not say how long BingX remembers ids (lookups by client id work for
// about 2 hours); the fake counts only open orders.
func (s *Server) duplicate(a *Account, cid string) bool {
	if cid == "" {
		return false
	}
	for _, o := range a.Orders {
		if o.ClientOrderID == cid && (o.Status == "NEW" || o.Status == "PENDING" || o.Status == "PARTIALLY_FILLED") {
			return true
		}
	}
	return false
}

func (s *Server) findOpen(a *Account, mkt, sym, id, cid string) *Order {
	for i := range a.Orders {
		o := &a.Orders[i]
		if o.Market != mkt || o.Symbol != sym || id != "" && strconv.FormatInt(o.OrderID, 10) != id || id == "" && o.ClientOrderID != cid {
			continue
		}
		if o.Status == "NEW" || o.Status == "PENDING" || o.Status == "PARTIALLY_FILLED" {
			return o
		}
	}
	return nil
}

func truncateStep(v, step decimal.Decimal) decimal.Decimal {
	if !step.IsPositive() {
		return v
	}
	return v.Div(step).Floor().Mul(step)
}

func asset(name string) func(Balance) bool { return func(b Balance) bool { return b.Asset == name } }

func free(a *Account, name string) decimal.Decimal {
	b, _ := fakex.Find(a.Spot, asset(name))
	return dec(b.Free)
}

func addFree(a *Account, name string, d decimal.Decimal) {
	b := fakex.Upsert(&a.Spot, asset(name), func() Balance { return Balance{Asset: name, Free: "0", Locked: "0"} })
	fakex.Add(&b.Free, d)
}

// swapAvailable is the available margin of the USDT row (VST in a demo
// account that names it so).
func swapAvailable(a *Account) decimal.Decimal {
	r, _ := fakex.Find(a.Swap, func(r SwapAsset) bool { return r.Asset == "USDT" || r.Asset == "VST" })
	return dec(r.AvailableMargin)
}

// netPosition is the held amount that an order on side ps acts on: in
// hedge mode that side's (unsigned) size, in one-way mode the net signed
// size over the symbol's rows.
func netPosition(a *Account, sym, ps string, hedge bool) decimal.Decimal {
	var net decimal.Decimal
	for _, p := range a.Positions {
		if p.Symbol != sym {
			continue
		}
		amt := dec(p.PositionAmt)
		switch {
		case hedge && p.PositionSide == ps:
			return amt.Abs()
		case hedge:
		case p.PositionSide == "SHORT":
			net = net.Sub(amt.Abs())
		default: // LONG, or BOTH with a signed amount
			net = net.Add(amt)
		}
	}
	return net
}

// fill moves the position by delta (signed, a buy is positive) at price.
// Hedge mode keeps a LONG and a SHORT row; one-way mode keeps one row
// whose side follows the net size. Adding to a position averages its
// entry, reducing keeps it, crossing zero starts a new one at price.
func fill(a *Account, sym, ps string, hedge bool, delta, price decimal.Decimal) {
	var old decimal.Decimal // signed
	entry := price
	idx := -1
	for i, p := range a.Positions {
		if p.Symbol != sym || hedge && p.PositionSide != ps {
			continue
		}
		idx = i
		old = dec(p.PositionAmt)
		if p.PositionSide == "SHORT" {
			old = old.Abs().Neg()
		}
		entry = dec(p.AvgPrice)
		if !hedge {
			break
		}
	}
	amt, entry := fakex.Fill(old, entry, delta, price)
	if idx < 0 {
		a.Positions = append(a.Positions, Position{Symbol: sym})
		idx = len(a.Positions) - 1
	}
	if amt.IsZero() {
		a.Positions = append(a.Positions[:idx], a.Positions[idx+1:]...)
		return
	}
	p := &a.Positions[idx]
	side := ps
	if !hedge {
		side = "LONG"
		if amt.IsNegative() {
			side = "SHORT"
		}
	}
	p.PositionSide, p.PositionAmt, p.AvgPrice, p.MarkPrice = side, amt.Abs().String(), entry.String(), price.String()
	p.UnrealizedProfit = price.Sub(entry).Mul(amt).String()
	if p.LiquidationPrice == "" {
		p.LiquidationPrice = "0"
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
