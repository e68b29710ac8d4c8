package bitget

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"regexp"
	"strings"

	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/num"
	"github.com/globalautomation/gahost/sdk/orderreq"
	"github.com/globalautomation/gahost/sdk/rest"
	"github.com/globalautomation/gahost/sdk/symbol"
)

// Paths of placing and cancelling.
const (
	pathSpotPlace     = "/api/v2/spot/trade/place-order"
	pathSpotCancel    = "/api/v2/spot/trade/cancel-order"
	pathFuturesPlace  = "/api/v2/mix/order/place-order"
	pathFuturesCancel = "/api/v2/mix/order/cancel-order"
)

var (
	// clientOidRule keeps client order ids within Bitget's 50 characters
	// and to characters that need no escaping anywhere.
	clientOidRule = regexp.MustCompile(`^[A-Za-z0-9_.:/#@-]{1,50}$`)
	orderIDRule   = regexp.MustCompile(`^[0-9]{1,40}$`)
)

// spotOrderBody is POST spot place-order; the field order is the JSON
// order, which is what is signed.
type spotOrderBody struct {
	Symbol    string `json:"symbol"`
	Side      string `json:"side"`
	OrderType string `json:"orderType"`
	Force     string `json:"force"`
	Price     string `json:"price,omitempty"`
	Size      string `json:"size"`
	ClientOid string `json:"clientOid,omitempty"`
}

// futuresOrderBody is POST mix place-order.
type futuresOrderBody struct {
	Symbol      string `json:"symbol"`
	ProductType string `json:"productType"`
	MarginMode  string `json:"marginMode"`
	MarginCoin  string `json:"marginCoin"`
	Size        string `json:"size"`
	Price       string `json:"price,omitempty"`
	Side        string `json:"side"`
	TradeSide   string `json:"tradeSide,omitempty"`
	OrderType   string `json:"orderType"`
	Force       string `json:"force,omitempty"`
	ClientOid   string `json:"clientOid,omitempty"`
	ReduceOnly  string `json:"reduceOnly,omitempty"`
}

// cancelBody is POST spot and mix cancel-order.
type cancelBody struct {
	Symbol      string `json:"symbol"`
	ProductType string `json:"productType,omitempty"`
	MarginCoin  string `json:"marginCoin,omitempty"`
	OrderID     string `json:"orderId,omitempty"`
	ClientOid   string `json:"clientOid,omitempty"`
}

// orderAck is the data of every place and cancel answer: only the ids.
type orderAck struct {
	OrderID   numText `json:"orderId"`
	ClientOid string  `json:"clientOid"`
}

// PlaceOrder places a market or limit order on spot or on the USDT-FUTURES
// perpetual.
//
// Every order carries a client order id, made up when the caller gave
// none: Bitget keeps it idempotent for hours, it names the order in an
// unknown-outcome error, and it is the only handle on a one-way reduce-only
// order whose answer carries no order id.
//
// Bitget answers with the ids only, so the order returned is the request
// as accepted, with status new.
func (c *Connector) PlaceOrder(ctx context.Context, acct sdk.Account, req sdk.OrderRequest) (sdk.Order, error) {
	mkt, sym, o, err := orderreq.Prepare(req, market, checkOrder)
	if err != nil {
		return sdk.Order{}, err
	}
	if o.clientOid == "" {
		o.clientOid = c.newClientOid()
	}
	ord, err := c.placeRouted(ctx, acct, mkt, sym, o)
	if sdk.KindOf(err) == sdk.KindUnknownOutcome {
		var e *sdk.Error
		if errors.As(err, &e) {
			e.Message += "; its client order id is " + o.clientOid
		}
	}
	return ord, err
}

// order is a checked request.
type order struct {
	req       sdk.OrderRequest
	side      sdk.Side         // buy or sell: the trade's direction
	typ       sdk.OrderType    // limit or market
	pos       sdk.PositionSide // futures: the position side the order acts on
	closing   bool             // futures: it reduces pos
	clientOid string
}

var orderRules = orderreq.Rules{Exchange: "bitget", Futures: "futures"}

func checkOrder(mkt sdk.Market, req sdk.OrderRequest) (order, error) {
	c, err := orderRules.Check(mkt, req)
	if err != nil {
		return order{}, err
	}
	o := order{req: req, side: c.Side, typ: c.Type, clientOid: req.ClientOrderID}
	spotMarket := mkt == sdk.MarketSpot && o.typ == sdk.OrderMarket
	switch {
	case spotMarket && o.side == sdk.Buy && !c.ByQuote:
		// a spot market buy's size is the quote amount to spend.
		return order{}, orderRules.Invalid("a spot market buy on Bitget is sized in the quote asset: give a quote quantity")
	case spotMarket && o.side == sdk.Sell && c.ByQuote:
		return order{}, orderRules.Invalid("a spot market sell on Bitget is sized in the base asset: give a quantity")
	}
	if req.ClientOrderID != "" && !clientOidRule.MatchString(req.ClientOrderID) {
		return order{}, orderRules.Invalid("client order id must be 1 to 50 letters, digits or _ . : / # @ -")
	}
	if mkt == sdk.MarketSpot {
		return o, nil
	}
	switch ps := c.PositionSide; {
	case ps != "":
		o.pos = ps
		o.closing = orderreq.Closes(o.side, ps)
		if req.ReduceOnly && !o.closing {
			return order{}, orderRules.Invalid("a reduce-only %s order cannot reduce a %s position", o.side, ps)
		}
	case req.ReduceOnly:
		// Selling reduces a long, buying a short.
		o.closing = true
		o.pos = sdk.SideShort
		if o.side == sdk.Sell {
			o.pos = sdk.SideLong
		}
	default:
		o.pos = sdk.SideShort
		if o.side == sdk.Buy {
			o.pos = sdk.SideLong
		}
	}
	return o, nil
}

func (c *Connector) placeSpot(ctx context.Context, acct sdk.Account, sym symbol.Symbol, o order) (sdk.Order, error) {
	b := spotOrderBody{
		Symbol: rawSymbol(sym), Side: string(o.side), OrderType: string(o.typ),
		// force is required; market orders ignore it.
		Force: "gtc", ClientOid: o.clientOid,
	}
	if o.typ == sdk.OrderLimit {
		b.Price = num.Format(o.req.Price)
	}
	b.Size = num.Format(o.req.Quantity)
	if o.req.QuoteQuantity.IsPositive() {
		b.Size = num.Format(o.req.QuoteQuantity)
	}
	return c.place(ctx, acct, pathSpotPlace, b, o, sdk.MarketSpot, sym)
}

// placeFutures reads the symbol's margin mode and the account's position
// mode first: place-order must name the margin mode the symbol is set to,
// and the two position modes spell a close differently. One-way:
// the trade's direction plus reduceOnly YES. Hedge: side names the
// position (closing a long is buy + close) and tradeSide says open or
// close; reduceOnly does not apply.
func (c *Connector) placeFutures(ctx context.Context, acct sdk.Account, sym symbol.Symbol, o order) (sdk.Order, error) {
	raw := rawSymbol(sym)
	s, err := c.futuresSettings(ctx, acct, raw)
	if err != nil {
		return sdk.Order{}, err
	}
	b := futuresOrderBody{
		Symbol: raw, ProductType: productType, MarginMode: strings.ToLower(s.MarginMode), MarginCoin: marginCoin,
		Size: num.Format(o.req.Quantity), OrderType: string(o.typ), ClientOid: o.clientOid,
	}
	if b.MarginMode == "" {
		b.MarginMode = "crossed"
	}
	if o.typ == sdk.OrderLimit {
		b.Price, b.Force = num.Format(o.req.Price), "gtc"
	}
	if s.hedge() {
		b.Side, b.TradeSide = string(sdk.Sell), "open"
		if o.pos == sdk.SideLong {
			b.Side = string(sdk.Buy)
		}
		if o.closing {
			b.TradeSide = "close"
		}
	} else {
		b.Side = string(o.side)
		if o.closing {
			b.ReduceOnly = "YES"
		}
	}
	return c.place(ctx, acct, pathFuturesPlace, b, o, sdk.MarketFutures, sym)
}

func (c *Connector) place(ctx context.Context, acct sdk.Account, path string, body any, o order, mkt sdk.Market, sym symbol.Symbol) (sdk.Order, error) {
	data, err := json.Marshal(body)
	if err != nil {
		return sdk.Order{}, sdk.Errorf(sdk.KindInvalidRequest, "bitget: the order cannot be encoded")
	}
	var ack orderAck
	env, err := c.call(ctx, acct, rest.Request{
		Method: "POST", Endpoint: EndpointREST, Path: path, Body: data,
		ContentType: "application/json", Signed: true, Order: true,
	}, &ack)
	if err != nil {
		return sdk.Order{}, err
	}
	answer := orderreq.Ack{OrderID: string(ack.OrderID), ClientID: ack.ClientOid, At: env.at()}
	return orderreq.Accepted(mkt, sym, o.req, answer, o.clientOid, o.closing), nil
}

// CancelOrder cancels by exchange order id or client order id; the
// order id wins when both are given. It is not in order mode: cancelling
// again answers "order does not exist", so a lost answer is a plain,
// retryable failure.
func (c *Connector) CancelOrder(ctx context.Context, acct sdk.Account, req sdk.CancelRequest) (sdk.Order, error) {
	mkt, sym, err := market(req.Market, req.Symbol)
	if err != nil {
		return sdk.Order{}, err
	}
	t, err := orderRules.Cancel(req, orderIDRule.MatchString, clientOidRule.MatchString)
	if err != nil {
		return sdk.Order{}, err
	}
	return c.cancelRouted(ctx, acct, mkt, sym, t)
}

// classicCancel is V2's spot or mix cancel-order.
func (c *Connector) classicCancel(ctx context.Context, acct sdk.Account, mkt sdk.Market, sym symbol.Symbol, t orderreq.Target) (sdk.Order, error) {
	b := cancelBody{Symbol: rawSymbol(sym), OrderID: t.OrderID, ClientOid: t.ClientID}
	path := pathSpotCancel
	if mkt == sdk.MarketFutures {
		path, b.ProductType, b.MarginCoin = pathFuturesCancel, productType, marginCoin
	}
	return c.cancel(ctx, acct, path, b, mkt, sym, t)
}

// cancel posts body, a cancel-order request, to path and returns the
// order the answer describes.
func (c *Connector) cancel(ctx context.Context, acct sdk.Account, path string, body any, mkt sdk.Market, sym symbol.Symbol, t orderreq.Target) (sdk.Order, error) {
	data, err := json.Marshal(body)
	if err != nil {
		return sdk.Order{}, sdk.Errorf(sdk.KindInvalidRequest, "bitget: the cancel request cannot be encoded")
	}
	var ack orderAck
	if _, err := c.call(ctx, acct, rest.Request{
		Method: "POST", Endpoint: EndpointREST, Path: path, Body: data, ContentType: "application/json", Signed: true,
	}, &ack); err != nil {
		return sdk.Order{}, err
	}
	// An id the answer leaves out is the one the cancel named.
	return orderreq.Canceled(mkt, sym, orderreq.Target{OrderID: string(ack.OrderID), ClientID: ack.ClientOid}, t), nil
}

// randomClientOid names an order the caller left unnamed.
func randomClientOid() string { return "gah-" + strings.ToLower(rand.Text()) }
