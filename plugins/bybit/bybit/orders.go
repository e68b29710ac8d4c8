package bybit

import (
	"context"
	"regexp"
	"strings"
	"time"

	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/num"
	"github.com/globalautomation/gahost/sdk/orderreq"
	"github.com/globalautomation/gahost/sdk/rest"
	"github.com/globalautomation/gahost/sdk/symbol"
)

const (
	pathOrderCreate = "/v5/order/create"
	pathOrderCancel = "/v5/order/cancel"
)

var (
	// clientOrderID is orderLinkId's rule.
	clientOrderID = regexp.MustCompile(`^[A-Za-z0-9_-]{1,36}$`)
	// orderID covers both forms Bybit hands out: digits on spot, a UUID
	// on linear.
	orderID = regexp.MustCompile(`^[A-Za-z0-9-]{1,64}$`)
)

// Position indexes: 0 in one-way mode, 1 and 2 for the long and
// short side in hedge mode.
const (
	idxOneWay = 0
	idxLong   = 1
	idxShort  = 2
)

// createBody is POST /v5/order/create. Fields are in the order of the
// page's examples, so that a body reads like them byte for byte; numbers
// are strings, positionIdx an integer and reduceOnly a boolean.
type createBody struct {
	Category    string `json:"category"`
	Symbol      string `json:"symbol"`
	Side        string `json:"side"`
	OrderType   string `json:"orderType"`
	Qty         string `json:"qty"`
	MarketUnit  string `json:"marketUnit,omitempty"`
	Price       string `json:"price,omitempty"`
	TimeInForce string `json:"timeInForce,omitempty"`
	PositionIdx *int   `json:"positionIdx,omitempty"`
	ReduceOnly  bool   `json:"reduceOnly,omitempty"`
	OrderLinkID string `json:"orderLinkId,omitempty"`
}

// cancelBody is POST /v5/order/cancel.
type cancelBody struct {
	Category    string `json:"category"`
	Symbol      string `json:"symbol"`
	OrderID     string `json:"orderId,omitempty"`
	OrderLinkID string `json:"orderLinkId,omitempty"`
}

// orderAck is the result of both: an acknowledgement only, since Bybit
// processes orders asynchronously.
type orderAck struct {
	OrderID     string `json:"orderId"`
	OrderLinkID string `json:"orderLinkId"`
}

// PlaceOrder places a market or limit order on spot or the USDT
// perpetual. Bybit acknowledges before it matches, so a placed order is
// reported as new with what was asked for; its fills are not known yet.
//
// A linear order must carry the position index of the symbol's position
// mode, which Bybit keeps per symbol and does not put in the request. The
// connector reads it first: with symbol= the position list returns the
// symbol's rows even when flat, two of them (index 1 and 2) in hedge mode.
// That read happens before anything is sent, so a failure there
// is a plain failure.
func (c *Connector) PlaceOrder(ctx context.Context, acct sdk.Account, req sdk.OrderRequest) (sdk.Order, error) {
	mkt, sym, o, err := orderreq.Prepare(req, market, checkOrder)
	if err != nil {
		return sdk.Order{}, err
	}
	hedge := false
	if mkt == sdk.MarketFutures {
		if hedge, err = c.hedgeMode(ctx, acct, sym); err != nil {
			return sdk.Order{}, err
		}
	}
	body := o.body(sym, hedge)
	env, err := post[orderAck](ctx, c, acct, pathOrderCreate, body, true)
	if err != nil {
		return sdk.Order{}, err
	}
	if env.Result.OrderID == "" {
		return sdk.Order{}, sdk.Errorf(sdk.KindUnknownOutcome,
			"bybit: the order was accepted without an order id; it may have been placed, check before sending it again")
	}
	ack := orderreq.Ack{OrderID: env.Result.OrderID, ClientID: env.Result.OrderLinkID}
	if env.Time > 0 {
		ack.At = time.UnixMilli(env.Time).UTC()
	}
	return orderreq.Accepted(mkt, sym, req, ack, req.ClientOrderID, body.ReduceOnly), nil
}

// hedgeMode reports whether sym's position is in hedge mode.
func (c *Connector) hedgeMode(ctx context.Context, acct sdk.Account, sym symbol.Symbol) (bool, error) {
	rows, err := c.positionRows(ctx, acct, rest.Params{}.Add("symbol", rawSymbol(sym)))
	if err != nil {
		return false, err
	}
	for _, r := range rows {
		if r.PositionIdx != idxOneWay {
			return true, nil
		}
	}
	return false, nil
}

// order is a checked request in Bybit's terms.
type order struct {
	req          sdk.OrderRequest
	mkt          sdk.Market
	side, typ    string           // Buy/Sell, Market/Limit
	positionSide sdk.PositionSide // "", sdk.SideLong or sdk.SideShort
}

var orderRules = orderreq.Rules{Exchange: "bybit", Futures: "perpetual"}

// sideWords and typeWords are Bybit's spelling of the sdk's words.
var (
	sideWords = map[sdk.Side]string{sdk.Buy: "Buy", sdk.Sell: "Sell"}
	typeWords = map[sdk.OrderType]string{sdk.OrderMarket: "Market", sdk.OrderLimit: "Limit"}
)

func checkOrder(mkt sdk.Market, req sdk.OrderRequest) (order, error) {
	c, err := orderRules.Check(mkt, req)
	if err != nil {
		return order{}, err
	}
	o := order{req: req, mkt: mkt, side: sideWords[c.Side], typ: typeWords[c.Type], positionSide: c.PositionSide}
	if req.ReduceOnly && o.positionSide != "" && !o.closes(o.positionSide) {
		return order{}, orderRules.Invalid("a reduce-only %s order cannot reduce a %s position", c.Side, o.positionSide)
	}
	if req.ClientOrderID != "" && !clientOrderID.MatchString(req.ClientOrderID) {
		return order{}, orderRules.Invalid("client order id must be 1 to 36 letters, digits, _ or -")
	}
	return o, nil
}

// closes reports whether the order reduces a position on side.
func (o order) closes(side sdk.PositionSide) bool {
	return orderreq.Closes(sdk.Side(strings.ToLower(o.side)), side)
}

// body builds the request. On spot a market order's qty is in the quote
// coin for a buy and the base coin for a sell unless marketUnit says
// otherwise, so marketUnit is sent whenever the default would be
// wrong, and for a buy by value to make it plain. On linear the position
// index follows the symbol's mode; reduceOnly is set whenever the order
// closes, which Bybit requires for closing.
func (o order) body(sym symbol.Symbol, hedge bool) createBody {
	b := createBody{
		Category:    categoryOf(o.mkt),
		Symbol:      rawSymbol(sym),
		Side:        o.side,
		OrderType:   o.typ,
		Qty:         num.Format(o.req.Quantity),
		OrderLinkID: o.req.ClientOrderID,
	}
	if o.typ == "Limit" {
		b.Price = num.Format(o.req.Price)
		b.TimeInForce = "GTC"
	}
	if o.mkt == sdk.MarketSpot {
		if o.typ == "Market" {
			switch byQuote := o.req.QuoteQuantity.IsPositive(); {
			case byQuote:
				b.Qty, b.MarketUnit = num.Format(o.req.QuoteQuantity), "quoteCoin"
			case o.side == "Buy":
				b.MarketUnit = "baseCoin"
			}
		}
		return b
	}
	idx := idxOneWay
	reduce := o.req.ReduceOnly || o.positionSide != "" && o.closes(o.positionSide)
	if hedge {
		side := o.positionSide
		if side == "" {
			// Without a position side: a plain order opens the side it
			// trades, a reduce-only one closes the opposite side.
			side = sdk.SideLong
			if (o.side == "Sell") != o.req.ReduceOnly {
				side = sdk.SideShort
			}
		}
		idx = idxLong
		if side == sdk.SideShort {
			idx = idxShort
		}
		reduce = o.closes(side)
	}
	b.PositionIdx, b.ReduceOnly = &idx, reduce
	return b
}

// CancelOrder cancels by exchange order id (which wins when both are
// given, as on Bybit) or client order id. Bybit acknowledges the
// cancel before processing it, so the answer carries ids and the
// requested state only. It is not in order mode: cancelling twice is
// harmless (the second answers "order does not exist"), so a lost answer
// is a plain, retryable failure.
func (c *Connector) CancelOrder(ctx context.Context, acct sdk.Account, req sdk.CancelRequest) (sdk.Order, error) {
	mkt, sym, err := market(req.Market, req.Symbol)
	if err != nil {
		return sdk.Order{}, err
	}
	t, err := orderRules.Cancel(req, orderID.MatchString, clientOrderID.MatchString)
	if err != nil {
		return sdk.Order{}, err
	}
	b := cancelBody{Category: categoryOf(mkt), Symbol: rawSymbol(sym), OrderID: t.OrderID, OrderLinkID: t.ClientID}
	env, err := post[orderAck](ctx, c, acct, pathOrderCancel, b, false)
	if err != nil {
		return sdk.Order{}, err
	}
	answer := orderreq.Target{OrderID: env.Result.OrderID, ClientID: env.Result.OrderLinkID}
	return orderreq.Canceled(mkt, sym, answer, orderreq.Target{OrderID: req.OrderID, ClientID: req.ClientOrderID}), nil
}
