package binance

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/num"
	"github.com/globalautomation/gahost/sdk/orderreq"
	"github.com/globalautomation/gahost/sdk/rest"
	"github.com/globalautomation/gahost/sdk/symbol"
)

// Client order id rules: futures allow ".:/" beyond spot's set.
var (
	spotClientID    = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,36}$`)
	futuresClientID = regexp.MustCompile(`^[.A-Z:/a-z0-9_-]{1,36}$`)
)

// orderAnswer covers the spot RESULT answer and the futures order object;
// each product fills its own fields.
type orderAnswer struct {
	Symbol              string `json:"symbol"`
	OrderID             int64  `json:"orderId"`
	ClientOrderID       string `json:"clientOrderId"`
	OrigClientOrderID   string `json:"origClientOrderId"`
	TransactTime        int64  `json:"transactTime"`
	UpdateTime          int64  `json:"updateTime"`
	Price               string `json:"price"`
	AvgPrice            string `json:"avgPrice"`
	OrigQty             string `json:"origQty"`
	ExecutedQty         string `json:"executedQty"`
	CummulativeQuoteQty string `json:"cummulativeQuoteQty"` // sic, Binance's spelling
	Status              string `json:"status"`
	Type                string `json:"type"`
	Side                string `json:"side"`
	ReduceOnly          bool   `json:"reduceOnly"`
}

// PlaceOrder places a market or limit order on spot (POST /api/v3/order)
// or the USDⓈ-M perpetual (POST /fapi/v1/order).
//
// Binance's position mode is account-wide and not in the request. A
// futures order without a position side is sent one-way style; if Binance
// answers -4061 (the account is in hedge mode) it is sent once more with
// the position side derived from side and reduce-only. A request with a
// position side on a one-way account is retried the other way round. Both
// retries are safe: -4061 is a rejection before anything was placed.
func (c *Connector) PlaceOrder(ctx context.Context, acct sdk.Account, req sdk.OrderRequest) (sdk.Order, error) {
	mkt, sym, o, err := orderreq.Prepare(req, market, checkOrder)
	if err != nil {
		return sdk.Order{}, err
	}
	if mkt == sdk.MarketSpot {
		return c.placeSpot(ctx, acct, sym, o)
	}
	first := o
	ord, err := c.placeFutures(ctx, acct, sym, first)
	if exchangeCode(err) != codePositionSide {
		return ord, err
	}
	return c.placeFutures(ctx, acct, sym, o.otherMode())
}

// order is a checked request in Binance's terms.
type order struct {
	req          sdk.OrderRequest
	side, typ    string // BUY/SELL, MARKET/LIMIT
	positionSide string // "", LONG or SHORT
	reduceOnly   bool
}

var orderRules = orderreq.Rules{Exchange: "binance", Futures: "futures"}

func checkOrder(mkt sdk.Market, req sdk.OrderRequest) (order, error) {
	c, err := orderRules.Check(mkt, req)
	if err != nil {
		return order{}, err
	}
	o := order{
		req: req, reduceOnly: req.ReduceOnly,
		side: strings.ToUpper(string(c.Side)), typ: strings.ToUpper(string(c.Type)), positionSide: strings.ToUpper(string(c.PositionSide)),
	}
	idRule, idChars := futuresClientID, "letters, digits and . : / _ -"
	if mkt == sdk.MarketSpot {
		idRule, idChars = spotClientID, "letters, digits, _ and -"
	}
	if req.ClientOrderID != "" && !idRule.MatchString(req.ClientOrderID) {
		return order{}, orderRules.Invalid("client order id must be 1 to 36 %s", idChars)
	}
	if o.positionSide != "" {
		// Hedge mode rejects reduceOnly; closing is buying back a short
		// or selling a long on that side.
		o.reduceOnly = false
	}
	return o, nil
}

// otherMode is the same order in the other position mode (see PlaceOrder).
func (o order) otherMode() order {
	if o.positionSide == "" {
		closing := o.reduceOnly
		switch {
		case o.side == "BUY" && !closing, o.side == "SELL" && closing:
			o.positionSide = "LONG"
		default:
			o.positionSide = "SHORT"
		}
		o.reduceOnly = false
		return o
	}
	o.reduceOnly = o.req.ReduceOnly ||
		(o.side == "SELL" && o.positionSide == "LONG") || (o.side == "BUY" && o.positionSide == "SHORT")
	o.positionSide = ""
	return o
}

func (c *Connector) placeSpot(ctx context.Context, acct sdk.Account, sym symbol.Symbol, o order) (sdk.Order, error) {
	q := rest.Params{}.Add("symbol", rawSymbol(sym)).Add("side", o.side).Add("type", o.typ)
	if o.typ == "LIMIT" {
		q = q.Add("timeInForce", "GTC")
	}
	if o.req.Quantity.IsPositive() {
		q = q.Add("quantity", num.Format(o.req.Quantity))
	} else {
		q = q.Add("quoteOrderQty", num.Format(o.req.QuoteQuantity))
	}
	if o.typ == "LIMIT" {
		q = q.Add("price", num.Format(o.req.Price))
	}
	return c.send(ctx, acct, sdk.MarketSpot, sym, o, q)
}

func (c *Connector) placeFutures(ctx context.Context, acct sdk.Account, sym symbol.Symbol, o order) (sdk.Order, error) {
	q := rest.Params{}.Add("symbol", rawSymbol(sym)).Add("side", o.side).Add("type", o.typ)
	if o.positionSide != "" {
		q = q.Add("positionSide", o.positionSide)
	}
	if o.typ == "LIMIT" {
		q = q.Add("timeInForce", "GTC")
	}
	q = q.Add("quantity", num.Format(o.req.Quantity))
	if o.typ == "LIMIT" {
		q = q.Add("price", num.Format(o.req.Price))
	}
	if o.reduceOnly {
		q = q.Add("reduceOnly", "true")
	}
	return c.send(ctx, acct, sdk.MarketFutures, sym, o, q)
}

// send posts the order q describes to mkt's order endpoint (POST
// /api/v3/order or /fapi/v1/order), with its client order id, asking for
// the RESULT answer: the final status and fill without the fills list,
// where the default ACK reports even a filled market order as NEW.
func (c *Connector) send(ctx context.Context, acct sdk.Account, mkt sdk.Market, sym symbol.Symbol, o order, q rest.Params) (sdk.Order, error) {
	if o.req.ClientOrderID != "" {
		q = q.Add("newClientOrderId", o.req.ClientOrderID)
	}
	q = q.Add("newOrderRespType", "RESULT")
	endpoint, path := EndpointSpot, "/api/v3/order"
	if mkt == sdk.MarketFutures {
		endpoint, path = EndpointFutures, "/fapi/v1/order"
	}
	var a orderAnswer
	err := c.http.Do(ctx, acct, rest.Request{
		Method: "POST", Endpoint: endpoint, Path: path, Query: q, Signed: true, Order: true,
	}, &a)
	if err != nil {
		return sdk.Order{}, err
	}
	return placed(a, mkt, sym)
}

// placed maps the answer of a placed order. An answer that cannot be read
// still means the order exists, so it is an unknown outcome, not a failure.
func placed(a orderAnswer, mkt sdk.Market, sym symbol.Symbol) (sdk.Order, error) {
	o, err := toOrder(a, mkt, sym)
	if err != nil {
		return o, &sdk.Error{Kind: sdk.KindUnknownOutcome,
			Message: "binance: order " + strconv.FormatInt(a.OrderID, 10) + " was placed but its answer is unreadable: " + err.Error()}
	}
	return o, nil
}

// CancelOrder cancels by exchange order id or client order id. It is
// not in order mode: cancelling is idempotent (a repeat answers -2011), so
// a lost answer is a plain, retryable failure.
func (c *Connector) CancelOrder(ctx context.Context, acct sdk.Account, req sdk.CancelRequest) (sdk.Order, error) {
	mkt, sym, err := market(req.Market, req.Symbol)
	if err != nil {
		return sdk.Order{}, err
	}
	t, err := orderRules.Cancel(req, isOrderID, nil)
	if err != nil {
		return sdk.Order{}, err
	}
	q := rest.Params{}.Add("symbol", rawSymbol(sym))
	if t.OrderID != "" {
		q = q.Add("orderId", t.OrderID)
	} else {
		q = q.Add("origClientOrderId", t.ClientID)
	}
	r := rest.Request{Method: "DELETE", Endpoint: EndpointSpot, Path: "/api/v3/order", Query: q, Signed: true}
	if mkt == sdk.MarketFutures {
		r.Endpoint, r.Path = EndpointFutures, "/fapi/v1/order"
	}
	var a orderAnswer
	if err := c.http.Do(ctx, acct, r, &a); err != nil {
		return sdk.Order{}, err
	}
	if a.OrigClientOrderID != "" {
		// Spot names the cancel request clientOrderId and the order's
		// own id origClientOrderId.
		a.ClientOrderID = a.OrigClientOrderID
	}
	o, err := toOrder(a, mkt, sym)
	if err != nil {
		return o, rest.Malformed("binance", "cancel answer", err)
	}
	return o, nil
}

// isOrderID says whether id can be a Binance order id, a whole number.
func isOrderID(id string) bool {
	_, err := strconv.ParseInt(id, 10, 64)
	return err == nil
}

// statuses are Binance's status words beyond the sdk's own (orderreq.Status).
var statuses = map[string]sdk.OrderStatus{
	"PENDING_NEW":      sdk.StatusNew,
	"PENDING_CANCEL":   sdk.StatusNew,
	"EXPIRED_IN_MATCH": sdk.StatusExpired,
}

func toOrder(a orderAnswer, mkt sdk.Market, sym symbol.Symbol) (sdk.Order, error) {
	var f num.Fields
	o := sdk.Order{
		ID:             strconv.FormatInt(a.OrderID, 10),
		ClientOrderID:  a.ClientOrderID,
		Market:         mkt,
		Symbol:         sym.String(),
		Side:           sdk.Side(strings.ToLower(a.Side)),
		Type:           sdk.OrderType(strings.ToLower(a.Type)),
		Status:         orderreq.Status(a.Status, statuses),
		Quantity:       f.ParseOrZero("origQty", a.OrigQty),
		FilledQuantity: f.ParseOrZero("executedQty", a.ExecutedQty),
		Price:          f.ParseOrZero("price", a.Price),
		ReduceOnly:     a.ReduceOnly,
	}
	if mkt == sdk.MarketFutures {
		o.AveragePrice = f.ParseOrZero("avgPrice", a.AvgPrice)
	} else if quote := f.ParseOrZero("cummulativeQuoteQty", a.CummulativeQuoteQty); o.FilledQuantity.IsPositive() {
		// Spot reports the quote spent, not an average price.
		o.AveragePrice = quote.DivRound(o.FilledQuantity, 16)
	}
	if err := f.Err(); err != nil {
		return o, err
	}
	switch {
	case a.TransactTime > 0:
		o.CreatedAt = time.UnixMilli(a.TransactTime).UTC()
	case a.UpdateTime > 0:
		o.CreatedAt = time.UnixMilli(a.UpdateTime).UTC()
	}
	return o, nil
}
