package okx

import (
	"context"
	"encoding/json"
	"errors"
	"regexp"
	"strconv"
	"time"

	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/num"
	"github.com/globalautomation/gahost/sdk/orderreq"
	"github.com/globalautomation/gahost/sdk/rest"
	"github.com/globalautomation/gahost/sdk/symbol"
	"github.com/shopspring/decimal"
)

// clOrdId is 1–32 letters and digits: no '-' or '_', so a
// UUID is rejected. ordId is a numeric string.
var (
	clientIDRule = regexp.MustCompile(`^[a-zA-Z0-9]{1,32}$`)
	orderIDRule  = regexp.MustCompile(`^[0-9]{1,32}$`)
)

// orderBody is POST /api/v5/trade/order. Numbers are decimal
// strings and reduceOnly a JSON boolean; the field order is fixed
// by the struct, and the bytes marshalled once are the bytes signed and
// sent.
type orderBody struct {
	InstID     string `json:"instId"`
	TdMode     string `json:"tdMode"`
	Side       string `json:"side"`
	OrdType    string `json:"ordType"`
	Px         string `json:"px,omitempty"`
	Sz         string `json:"sz"`
	TgtCcy     string `json:"tgtCcy,omitempty"`
	PosSide    string `json:"posSide,omitempty"`
	ReduceOnly bool   `json:"reduceOnly,omitempty"`
	ClOrdID    string `json:"clOrdId,omitempty"`
}

// orderResult is data[0] of the order and cancel answers.
type orderResult struct {
	OrdID   string `json:"ordId"`
	ClOrdID string `json:"clOrdId"`
	TS      string `json:"ts"`
	SCode   string `json:"sCode"`
	SMsg    string `json:"sMsg"`
}

// PlaceOrder places a market or limit order on spot or the USDT-margined
// perpetual (POST /api/v5/trade/order).
//
// The body depends on the account's modes, which are read from the
// account config (and kept a while, modes.go): spot trades in tdMode cash
// in Spot and Futures mode but cross in the margin modes, and a
// swap needs posSide in hedge mode and must not have it in one-way mode.
// A closing swap order also takes the margin mode of the
// position it closes, since OKX keeps cross and isolated apart. Swap quantities are converted from base
// units to contracts with the instrument's contract value and must come
// out as a whole number of lots: the connector never rounds an order.
//
// OKX acknowledges an order before it trades, so the answer is the
// accepted order (status new) with the quantity and price asked for; the
// fill is confirmed later.
func (c *Connector) PlaceOrder(ctx context.Context, acct sdk.Account, req sdk.OrderRequest) (sdk.Order, error) {
	mkt, sym, o, err := orderreq.Prepare(req, resolve, checkOrder)
	if err != nil {
		return sdk.Order{}, err
	}
	cfg, cached, err := c.accountModes(ctx, acct)
	if err != nil {
		return sdk.Order{}, err
	}
	body, r, err := c.place(ctx, acct, mkt, sym, o, cfg)
	if cached && modeRejection(rest.ExchangeCode(err)) {
		// The modes may have changed since they were read: read them
		// again, and if they did, the order is built anew and sent once
		// more. OKX rejected the first before placing it, so this is safe.
		c.modes.forget(c.http, acct)
		fresh, ferr := c.config(ctx, acct)
		if ferr == nil && (fresh.AcctLv != cfg.AcctLv || fresh.PosMode != cfg.PosMode) {
			body, r, err = c.place(ctx, acct, mkt, sym, o, fresh)
		}
	}
	if err != nil {
		return sdk.Order{}, err
	}
	ack := orderreq.Ack{OrderID: r.OrdID, ClientID: r.ClOrdID, At: msTime(r.TS)}
	return orderreq.Accepted(mkt, sym, req, ack, req.ClientOrderID, body.ReduceOnly), nil
}

// modeRejection says an order rejection may come from modes read before
// the user changed them: a parameter error (tdMode, posSide) or an
// account-mode refusal.
func modeRejection(code string) bool { return code == "51000" || code == "51010" }

// place builds the body for the account's modes and sends it.
func (c *Connector) place(ctx context.Context, acct sdk.Account, mkt sdk.Market, sym symbol.Symbol, o order, cfg accountConfig) (orderBody, orderResult, error) {
	var (
		body orderBody
		err  error
	)
	if mkt == sdk.MarketSpot {
		body = spotBody(o, sym, cfg)
	} else if body, err = c.swapBody(ctx, acct, o, sym, cfg); err != nil {
		return body, orderResult{}, err
	}
	raw, err := json.Marshal(body)
	if err != nil {
		return body, orderResult{}, sdk.Errorf(sdk.KindInvalidRequest, "okx: cannot encode the order")
	}
	var a struct {
		Data []orderResult `json:"data"`
	}
	err = c.http.Do(ctx, acct, rest.Request{
		Method: "POST", Endpoint: EndpointREST, Path: "/api/v5/trade/order",
		Body: raw, ContentType: "application/json", Signed: true, Order: true,
	}, &a)
	if err != nil {
		return body, orderResult{}, err
	}
	if len(a.Data) == 0 || a.Data[0].OrdID == "" {
		// code "0" said it was accepted, but there is no id to follow.
		return body, orderResult{}, &sdk.Error{Kind: sdk.KindUnknownOutcome,
			Message: "okx: the order was accepted but the answer names no order id; check before sending it again"}
	}
	return body, a.Data[0], nil
}

// order is a checked request in OKX's terms.
type order struct {
	req     sdk.OrderRequest
	side    sdk.Side         // buy or sell: OKX's words are the sdk's
	typ     sdk.OrderType    // market or limit, likewise
	posSide sdk.PositionSide // "", long or short, as asked
}

var orderRules = orderreq.Rules{Exchange: "okx", Futures: "swap"}

func checkOrder(mkt sdk.Market, req sdk.OrderRequest) (order, error) {
	c, err := orderRules.Check(mkt, req)
	if err != nil {
		return order{}, err
	}
	if req.ClientOrderID != "" && !clientIDRule.MatchString(req.ClientOrderID) {
		return order{}, orderRules.Invalid("client order id must be 1 to 32 letters and digits (OKX allows no '-' or '_')")
	}
	return order{req: req, side: c.Side, typ: c.Type, posSide: c.PositionSide}, nil
}

func spotBody(o order, sym symbol.Symbol, cfg accountConfig) orderBody {
	b := orderBody{InstID: instID(sdk.MarketSpot, sym), TdMode: "cash", Side: string(o.side), OrdType: string(o.typ), ClOrdID: o.req.ClientOrderID}
	if cfg.AcctLv != acctSpot && cfg.AcctLv != acctFutures {
		// Multi-currency and portfolio margin trade spot on cross.
		b.TdMode = "cross"
	}
	if o.typ == sdk.OrderLimit {
		b.Px = num.Format(o.req.Price)
	}
	switch {
	case o.req.QuoteQuantity.IsPositive():
		b.Sz, b.TgtCcy = num.Format(o.req.QuoteQuantity), "quote_ccy"
	case o.typ == sdk.OrderMarket:
		// A market buy's sz is quote by default: say base.
		b.Sz, b.TgtCcy = num.Format(o.req.Quantity), "base_ccy"
	default:
		b.Sz = num.Format(o.req.Quantity)
	}
	return b
}

func (c *Connector) swapBody(ctx context.Context, acct sdk.Account, o order, sym symbol.Symbol, cfg accountConfig) (orderBody, error) {
	// Spot mode cannot trade swaps; OKX says so with 51010, which also
	// tells PlaceOrder to re-read modes that may be stale.
	id := instID(sdk.MarketFutures, sym)
	k, listed, err := c.insts.swap(ctx, acct, id)
	if err != nil {
		return orderBody{}, err
	}
	if !listed {
		return orderBody{}, sdk.Errorf(sdk.KindUnknownSymbol, "okx: %s (%s) is not listed", sym, id)
	}
	if !k.linear {
		return orderBody{}, sdk.Errorf(sdk.KindUnsupported, "okx: %s is not a linear swap", id)
	}
	sz, err := contracts(o.req.Quantity, k)
	if err != nil {
		return orderBody{}, err
	}
	b := orderBody{InstID: id, TdMode: "cross", Side: string(o.side), OrdType: string(o.typ), Sz: num.Format(sz), ClOrdID: o.req.ClientOrderID}
	if o.typ == sdk.OrderLimit {
		b.Px = num.Format(o.req.Price)
	}
	held := "" // the posSide of the position this order closes, if it closes one
	if cfg.PosMode == hedgeMode {
		// posSide is mandatory; reduceOnly is not used.
		b.PosSide = string(o.posSide)
		if b.PosSide == "" {
			// Opening buys go long and opening sells short; a reduce-only
			// order closes the other side.
			b.PosSide = posLong
			if (o.side == sdk.Sell) != o.req.ReduceOnly {
				b.PosSide = posShort
			}
		}
		if (o.side == sdk.Sell) == (b.PosSide == posLong) {
			held = b.PosSide
		}
	} else {
		// One-way: a named position side only says whether it closes.
		b.ReduceOnly = o.req.ReduceOnly ||
			(o.posSide == sdk.SideLong && o.side == sdk.Sell) || (o.posSide == sdk.SideShort && o.side == sdk.Buy)
		if b.ReduceOnly {
			held = posNet
		}
	}
	if held != "" {
		// A cross and an isolated position on one swap are different
		// positions at OKX: close the one that exists in its own mode.
		if b.TdMode, err = c.marginModeOf(ctx, acct, id, held); err != nil {
			return orderBody{}, err
		}
	}
	return b, nil
}

// contracts converts a base quantity into a whole number of lots.
func contracts(qty decimal.Decimal, k contract) (decimal.Decimal, error) {
	sz := qty.DivRound(k.size, 16)
	whole := sz.Mul(k.size).Equal(qty) && (!k.lot.IsPositive() || sz.Mod(k.lot).IsZero())
	if !whole {
		return decimal.Zero, sdk.Errorf(sdk.KindInvalidRequest,
			"okx: %s: quantity %s is not a whole number of lots (one contract is %s %s, one lot %s contracts)",
			k.symbol, qty, k.size, k.symbol.Base, k.lot)
	}
	if sz.LessThan(k.min) {
		return decimal.Zero, sdk.Errorf(sdk.KindInvalidRequest,
			"okx: %s: quantity %s is below the minimum of %s %s", k.symbol, qty, k.min.Mul(k.size), k.symbol.Base)
	}
	return sz, nil
}

// marginModeOf returns the margin mode of the open position on id with
// posSide side, or cross when there is none (OKX will then say there is
// nothing to reduce).
func (c *Connector) marginModeOf(ctx context.Context, acct sdk.Account, id, side string) (string, error) {
	rows, err := c.positionRows(ctx, acct, id)
	if err != nil {
		return "", err
	}
	for _, r := range rows {
		pos, err := num.Parse(r.Pos)
		if err != nil || pos.IsZero() || r.InstID != id || r.PosSide != side {
			continue
		}
		if r.MgnMode == "isolated" {
			return "isolated", nil
		}
		return "cross", nil
	}
	return "cross", nil
}

// CancelOrder cancels by exchange order id or client order id. It
// is not in order mode: cancelling is idempotent (a repeat answers
// 51400), so a lost answer is a plain, retryable failure. OKX's success
// means the cancel was accepted, reported as status canceled.
func (c *Connector) CancelOrder(ctx context.Context, acct sdk.Account, req sdk.CancelRequest) (sdk.Order, error) {
	mkt, sym, err := resolve(req.Market, req.Symbol)
	if err != nil {
		return sdk.Order{}, err
	}
	t, err := orderRules.Cancel(req, orderIDRule.MatchString, clientIDRule.MatchString)
	if err != nil {
		return sdk.Order{}, err
	}
	body := struct {
		InstID  string `json:"instId"`
		OrdID   string `json:"ordId,omitempty"`
		ClOrdID string `json:"clOrdId,omitempty"`
	}{InstID: instID(mkt, sym), OrdID: t.OrderID, ClOrdID: t.ClientID}
	raw, err := json.Marshal(body)
	if err != nil {
		return sdk.Order{}, sdk.Errorf(sdk.KindInvalidRequest, "okx: cannot encode the cancel request")
	}
	var a struct {
		Data []orderResult `json:"data"`
	}
	err = c.http.Do(ctx, acct, rest.Request{
		Method: "POST", Endpoint: EndpointREST, Path: "/api/v5/trade/cancel-order",
		Body: raw, ContentType: "application/json", Signed: true,
	}, &a)
	if err != nil {
		return sdk.Order{}, err
	}
	if len(a.Data) == 0 {
		return sdk.Order{}, rest.Malformed("okx", "cancel answer", errors.New("empty data"))
	}
	r := a.Data[0]
	answer := orderreq.Target{OrderID: r.OrdID, ClientID: r.ClOrdID}
	return orderreq.Canceled(mkt, sym, answer, orderreq.Target{OrderID: req.OrderID, ClientID: req.ClientOrderID}), nil
}

// msTime reads a string of Unix milliseconds; zero when absent.
func msTime(s string) time.Time {
	ms, err := strconv.ParseInt(s, 10, 64)
	if err != nil || ms <= 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}
