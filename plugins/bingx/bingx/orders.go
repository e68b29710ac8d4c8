package bingx

import (
	"context"
	"regexp"
	"strings"
	"time"

	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/num"
	"github.com/globalautomation/gahost/sdk/orderreq"
	"github.com/globalautomation/gahost/sdk/redact"
	"github.com/globalautomation/gahost/sdk/rest"
	"github.com/globalautomation/gahost/sdk/symbol"
	"github.com/shopspring/decimal"
)

// Client order id rules: spot takes letters, digits and _; the swap
// documents only the length, and lowercases what it gets, so the
// connector sends it lowercased and reports it that way.
var (
	spotClientID = regexp.MustCompile(`^[A-Za-z0-9_]{1,40}$`)
	swapClientID = regexp.MustCompile(`^[A-Za-z0-9_-]{1,40}$`)
)

// PlaceOrder places a market or limit order on spot
// (POST /openApi/spot/v1/trade/order) or the USDT-M perpetual
// (POST /openApi/swap/v2/trade/order).
//
// Quantity and price are checked against the symbol's steps first,
// because BingX truncates finer values without a word.
//
// The swap's position mode is account-wide and a wrong positionSide is
// refused with 109400 before anything is placed; an empty one would
// silently mean LONG, so one is always sent. A request without a
// position side goes one-way style (BOTH, reduceOnly to close); if BingX
// answers that the account is in hedge mode, it is sent once more with
// LONG or SHORT derived from side and reduce-only. A request with a
// position side goes hedge style and, on a one-way account, is sent again
// as BOTH with reduceOnly when it closes.
func (c *Connector) PlaceOrder(ctx context.Context, acct sdk.Account, req sdk.OrderRequest) (sdk.Order, error) {
	if err := needKeys(acct); err != nil {
		return sdk.Order{}, err
	}
	mkt, sym, o, err := orderreq.Prepare(req, market, checkOrder)
	if err != nil {
		return sdk.Order{}, err
	}
	if mkt == sdk.MarketSpot && acct.Testnet {
		return sdk.Order{}, errDemoSpot()
	}
	r, err := c.symbolRule(ctx, acct, mkt, sym)
	if err != nil {
		return sdk.Order{}, err
	}
	if err := r.check(rawSymbol(sym), req.Quantity, req.Price); err != nil {
		return sdk.Order{}, err
	}
	if mkt == sdk.MarketSpot {
		return c.placeSpot(ctx, acct, sym, o)
	}
	first := o.positionSideIn(o.positionSide != "")
	ord, err := c.placeSwap(ctx, acct, sym, o, first)
	hedge, mismatch := modeMismatch(err)
	if !mismatch {
		return ord, err
	}
	again := o.positionSideIn(hedge)
	if again == first {
		return ord, err
	}
	return c.placeSwap(ctx, acct, sym, o, again)
}

func errDemoSpot() error {
	return sdk.Errorf(sdk.KindUnsupported, "bingx: the demo (VST) environment has no spot market, only the perpetual swap")
}

// order is a checked request in BingX's terms.
type order struct {
	req          sdk.OrderRequest
	side, typ    string // BUY/SELL, MARKET/LIMIT
	positionSide string // "", LONG or SHORT as requested
	clientID     string // as sent
}

var orderRules = orderreq.Rules{Exchange: "bingx", Futures: "perpetual"}

func checkOrder(mkt sdk.Market, req sdk.OrderRequest) (order, error) {
	c, err := orderRules.Check(mkt, req)
	if err != nil {
		return order{}, err
	}
	o := order{
		req: req, side: strings.ToUpper(string(c.Side)), typ: strings.ToUpper(string(c.Type)),
		positionSide: strings.ToUpper(string(c.PositionSide)), clientID: req.ClientOrderID,
	}
	spotMarket := mkt == sdk.MarketSpot && c.Type == sdk.OrderMarket
	switch {
	case spotMarket && c.Side == sdk.Buy && !c.ByQuote:
		// BingX spot market buys are sized in the quote asset.
		return order{}, orderRules.Invalid("a spot market buy on BingX takes a quote quantity (the amount to spend), not a base quantity")
	case spotMarket && c.Side == sdk.Sell && c.ByQuote:
		return order{}, orderRules.Invalid("a spot market sell on BingX takes a base quantity, not a quote quantity")
	}
	if mkt == sdk.MarketSpot {
		if o.clientID != "" && !spotClientID.MatchString(o.clientID) {
			return order{}, orderRules.Invalid("a spot client order id must be 1 to 40 letters, digits or _")
		}
		return o, nil
	}
	if req.ReduceOnly && c.PositionSide != "" && !orderreq.Closes(c.Side, c.PositionSide) {
		return order{}, orderRules.Invalid("a reduce-only %s on the %s side would open a position, not reduce one", c.Side, c.PositionSide)
	}
	if o.clientID != "" {
		if !swapClientID.MatchString(o.clientID) {
			return order{}, orderRules.Invalid("a perpetual client order id must be 1 to 40 letters, digits, _ or -")
		}
		o.clientID = strings.ToLower(o.clientID)
	}
	return o, nil
}

// swapSide is the positionSide and reduceOnly of one attempt.
type swapSide struct {
	positionSide string // BOTH, LONG or SHORT
	reduceOnly   bool
}

// positionSideIn is the order as the given position mode wants it:
// hedge mode names the side of the position and takes no reduceOnly
// (closing is selling a long or buying back a short); one-way mode sends
// BOTH and closes with reduceOnly.
func (o order) positionSideIn(hedge bool) swapSide {
	closing := o.req.ReduceOnly ||
		o.side == "SELL" && o.positionSide == "LONG" || o.side == "BUY" && o.positionSide == "SHORT"
	if !hedge {
		return swapSide{positionSide: "BOTH", reduceOnly: closing}
	}
	if o.positionSide != "" {
		return swapSide{positionSide: o.positionSide}
	}
	if o.side == "BUY" && !closing || o.side == "SELL" && closing {
		return swapSide{positionSide: "LONG"}
	}
	return swapSide{positionSide: "SHORT"}
}

// modeMismatch reads a 109400 refusal of the position side: its text
// says which mode the account is in.
func modeMismatch(err error) (hedge, ok bool) {
	code, msg := exchangeError(err)
	if code != codeSymbolOrMode {
		return false, false
	}
	msg = strings.ToLower(msg)
	switch {
	case strings.Contains(msg, "hedge mode"):
		return true, true
	case strings.Contains(msg, "one-way mode"):
		return false, true
	}
	return false, false
}

func (c *Connector) placeSwap(ctx context.Context, acct sdk.Account, sym symbol.Symbol, o order, ps swapSide) (sdk.Order, error) {
	q := rest.Params{}.Add("symbol", rawSymbol(sym)).Add("side", o.side).
		Add("positionSide", ps.positionSide).Add("type", o.typ).
		Add("quantity", num.Format(o.req.Quantity))
	if o.typ == "LIMIT" {
		q = q.Add("price", num.Format(o.req.Price)).Add("timeInForce", "GTC")
	}
	if ps.reduceOnly {
		q = q.Add("reduceOnly", "true")
	}
	if o.clientID != "" {
		q = q.Add("clientOrderId", o.clientID)
	}
	ans, err := call[struct {
		Order swapOrder `json:"order"`
	}](ctx, c, acct, rest.Request{
		Method: "POST", Endpoint: EndpointREST, Path: pathSwapOrder, Query: q, Signed: true, Order: true,
	})
	if err != nil {
		return sdk.Order{}, err
	}
	a := ans.Order
	// The place answer is short: what it leaves out is what was sent.
	if a.ClientOrderID == "" {
		a.ClientOrderID = o.clientID
	}
	if a.ReduceOnly == nil {
		a.ReduceOnly = ps.reduceOnly
	}
	out, err := a.toOrder(sym, o.req.Quantity, o.req.Price)
	if err != nil {
		return out, placedUnreadable(a.OrderID.text, err)
	}
	return out, nil
}

func (c *Connector) placeSpot(ctx context.Context, acct sdk.Account, sym symbol.Symbol, o order) (sdk.Order, error) {
	q := rest.Params{}.Add("symbol", rawSymbol(sym)).Add("side", o.side).Add("type", o.typ)
	if o.req.Quantity.IsPositive() {
		q = q.Add("quantity", num.Format(o.req.Quantity))
	} else {
		q = q.Add("quoteOrderQty", num.Format(o.req.QuoteQuantity))
	}
	if o.typ == "LIMIT" {
		q = q.Add("price", num.Format(o.req.Price)).Add("timeInForce", "GTC")
	}
	if o.clientID != "" {
		q = q.Add("newClientOrderId", o.clientID)
	}
	a, err := call[spotOrder](ctx, c, acct, rest.Request{
		Method: "POST", Endpoint: EndpointREST, Path: pathSpotOrder, Query: q, Signed: true, Order: true,
	})
	if err != nil {
		return sdk.Order{}, err
	}
	out, err := a.toOrder(sym, o.clientID)
	if err != nil {
		return out, placedUnreadable(a.OrderID.text, err)
	}
	return out, nil
}

// placedUnreadable: an answer that cannot be read still means the order
// exists, so it is an unknown outcome, not a failure.
func placedUnreadable(id string, err error) error {
	return &sdk.Error{Kind: sdk.KindUnknownOutcome,
		Message: "bingx: order " + redact.Clip(id, rest.MaxText) + " was placed but its answer is unreadable: " + err.Error()}
}

// CancelOrder cancels by exchange order id or client order id: the
// swap with DELETE, spot with POST .../trade/cancel, whose client id
// parameter is spelled clientOrderID. It is not in order mode: a repeat
// of a cancel that went through answers "order does not exist", so a lost
// answer is a plain, retryable failure.
func (c *Connector) CancelOrder(ctx context.Context, acct sdk.Account, req sdk.CancelRequest) (sdk.Order, error) {
	if err := needKeys(acct); err != nil {
		return sdk.Order{}, err
	}
	mkt, sym, err := market(req.Market, req.Symbol)
	if err != nil {
		return sdk.Order{}, err
	}
	if mkt == sdk.MarketSpot && acct.Testnet {
		return sdk.Order{}, errDemoSpot()
	}
	t, err := orderRules.Cancel(req, isOrderID, nil)
	if err != nil {
		return sdk.Order{}, err
	}
	q := rest.Params{}.Add("symbol", rawSymbol(sym))
	switch {
	case t.OrderID != "":
		q = q.Add("orderId", t.OrderID)
	case mkt == sdk.MarketFutures:
		q = q.Add("clientOrderId", strings.ToLower(t.ClientID))
	default:
		q = q.Add("clientOrderID", t.ClientID)
	}
	if mkt == sdk.MarketSpot {
		a, err := call[spotOrder](ctx, c, acct, rest.Request{
			Method: "POST", Endpoint: EndpointREST, Path: pathSpotCancel, Query: q, Signed: true,
		})
		if err != nil {
			return sdk.Order{}, err
		}
		o, err := a.toOrder(sym, req.ClientOrderID)
		if err != nil {
			return o, rest.Malformed("bingx", "cancel answer", err)
		}
		return o, nil
	}
	ans, err := call[struct {
		Order swapOrder `json:"order"`
	}](ctx, c, acct, rest.Request{
		Method: "DELETE", Endpoint: EndpointREST, Path: pathSwapOrder, Query: q, Signed: true,
	})
	if err != nil {
		return sdk.Order{}, err
	}
	o, err := ans.Order.toOrder(sym, decimal.Zero, decimal.Zero)
	if err != nil {
		return o, rest.Malformed("bingx", "cancel answer", err)
	}
	return o, nil
}

// statuses are BingX's status words beyond the sdk's own
// (orderreq.Status): the swap's spelling CANCELLED (spot writes CANCELED),
// spot's PENDING for a resting order, and FAILED.
var statuses = map[string]sdk.OrderStatus{
	"PENDING":   sdk.StatusNew,
	"CANCELLED": sdk.StatusCanceled,
	"FAILED":    sdk.StatusRejected,
}

// isOrderID says whether id can be a BingX order id.
func isOrderID(id string) bool {
	_, err := (number{text: id, set: true}).id()
	return err == nil
}

// swapOrder is data.order of the swap place and cancel answers.
// encoding/json matches keys case-insensitively, so orderId also
// reads the field table's orderID spelling.
type swapOrder struct {
	Symbol        string `json:"symbol"`
	OrderID       number `json:"orderId"`
	ClientOrderID string `json:"clientOrderId"`
	Side          string `json:"side"`
	Type          string `json:"type"`
	Status        string `json:"status"`
	OrigQty       number `json:"origQty"`
	Price         number `json:"price"`
	ExecutedQty   number `json:"executedQty"`
	AvgPrice      number `json:"avgPrice"`
	ReduceOnly    any    `json:"reduceOnly"` // bool, or "true"/"false"
	Time          number `json:"time"`
	UpdateTime    number `json:"updateTime"`
}

// toOrder maps the answer; qty and price stand in for fields the place
// answer leaves out.
func (a swapOrder) toOrder(sym symbol.Symbol, qty, price decimal.Decimal) (sdk.Order, error) {
	var f fields
	o := sdk.Order{
		ClientOrderID:  a.ClientOrderID,
		Market:         sdk.MarketFutures,
		Symbol:         sym.String(),
		Side:           sdk.Side(strings.ToLower(a.Side)),
		Type:           sdk.OrderType(strings.ToLower(a.Type)),
		Status:         sdk.StatusNew,
		Quantity:       qty,
		Price:          price,
		FilledQuantity: f.decOrZero("executedQty", a.ExecutedQty),
		AveragePrice:   f.decOrZero("avgPrice", a.AvgPrice),
		ReduceOnly:     a.ReduceOnly == true || a.ReduceOnly == "true",
	}
	id, err := a.OrderID.id()
	f.keep("orderId", err)
	o.ID = id
	if a.Status != "" {
		o.Status = orderreq.Status(a.Status, statuses)
	}
	if a.OrigQty.set {
		o.Quantity = f.dec("origQty", a.OrigQty)
	}
	if p := f.decOrZero("price", a.Price); !p.IsZero() || a.Price.set {
		o.Price = p
	}
	o.CreatedAt = f.millis("time", a.Time, a.UpdateTime)
	return o, f.err
}

// spotOrder is data of the spot place and cancel answers.
type spotOrder struct {
	Symbol              string `json:"symbol"`
	OrderID             number `json:"orderId"`
	ClientOrderID       string `json:"clientOrderID"`
	TransactTime        number `json:"transactTime"`
	Price               number `json:"price"`
	OrigQty             number `json:"origQty"`
	ExecutedQty         number `json:"executedQty"`
	CummulativeQuoteQty number `json:"cummulativeQuoteQty"` // sic
	Status              string `json:"status"`
	Type                string `json:"type"`
	Side                string `json:"side"`
}

// toOrder maps the answer; sentClientID, the client order id the request
// named, stands in when the answer leaves its own out.
func (a spotOrder) toOrder(sym symbol.Symbol, sentClientID string) (sdk.Order, error) {
	if a.ClientOrderID == "" {
		a.ClientOrderID = sentClientID
	}
	var f fields
	o := sdk.Order{
		ClientOrderID:  a.ClientOrderID,
		Market:         sdk.MarketSpot,
		Symbol:         sym.String(),
		Side:           sdk.Side(strings.ToLower(a.Side)),
		Type:           sdk.OrderType(strings.ToLower(a.Type)),
		Status:         orderreq.Status(a.Status, statuses),
		Quantity:       f.decOrZero("origQty", a.OrigQty),
		FilledQuantity: f.decOrZero("executedQty", a.ExecutedQty),
		Price:          f.decOrZero("price", a.Price),
	}
	id, err := a.OrderID.id()
	f.keep("orderId", err)
	o.ID = id
	// Spot reports the quote spent, not an average price.
	if quote := f.decOrZero("cummulativeQuoteQty", a.CummulativeQuoteQty); o.FilledQuantity.IsPositive() {
		o.AveragePrice = quote.DivRound(o.FilledQuantity, 16)
	}
	o.CreatedAt = f.millis("transactTime", a.TransactTime)
	return o, f.err
}

// millis reads the first of ms that is set as a time in milliseconds.
func (f *fields) millis(name string, ms ...number) time.Time {
	for _, n := range ms {
		if !n.set || n.text == "" {
			continue
		}
		d := f.dec(name, n)
		if d.IsPositive() {
			return time.UnixMilli(d.IntPart()).UTC()
		}
	}
	return time.Time{}
}
