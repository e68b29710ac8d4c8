// Package orderreq checks an sdk.OrderRequest against the rules every
// connector applies before it speaks to its exchange: a known side and
// type, no negative amounts, a limit order with a quantity and a price, a
// market order sized one way only, perpetual orders sized in the base
// asset, and reduce-only and position side kept to perpetuals. It also
// checks which order a cancel names (Rules.Cancel), reads the status
// words most exchanges share (Status), and words the order an exchange
// acknowledged without reporting on it (Accepted, Canceled).
//
// It owns only those shared rules. What one exchange adds (client order id
// alphabets, spot market orders it sizes in the quote asset, how a
// position side maps to its own words) stays in the connector, which
// reports it with Rules.Invalid so that every refusal reads alike. It
// makes no calls and knows no exchange.
package orderreq

import (
	"strings"

	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/redact"
)

// Rules says how a connector words its refusals.
type Rules struct {
	// Exchange starts every message ("binance: ..."), as the connector's
	// other errors do.
	Exchange string
	// Futures is what the exchange calls its perpetual orders in messages:
	// "futures", "perpetual", "swap".
	Futures string
}

// Checked is a request that passed Check, in the sdk's lower-case words.
type Checked struct {
	Side         sdk.Side         // sdk.Buy or sdk.Sell
	Type         sdk.OrderType    // sdk.OrderMarket or sdk.OrderLimit
	PositionSide sdk.PositionSide // "", sdk.SideLong or sdk.SideShort
	// ByQuote says the order is sized by QuoteQuantity (a spot market
	// order by value) rather than by Quantity.
	ByQuote bool
}

// Check applies the shared rules to req on market (sdk.MarketSpot or
// sdk.MarketFutures, as symbol.Resolve gives it). A refusal is an
// *sdk.Error of KindInvalidRequest.
func (r Rules) Check(market sdk.Market, req sdk.OrderRequest) (Checked, error) {
	c := Checked{
		Side:         sdk.Side(strings.ToLower(string(req.Side))),
		Type:         sdk.OrderType(strings.ToLower(string(req.Type))),
		PositionSide: sdk.PositionSide(strings.ToLower(string(req.PositionSide))),
	}
	if c.Side != sdk.Buy && c.Side != sdk.Sell {
		return Checked{}, r.Invalid("order side %q is not buy or sell", redact.Clip(string(req.Side), 300))
	}
	if c.Type != sdk.OrderMarket && c.Type != sdk.OrderLimit {
		return Checked{}, r.Invalid("order type %q is not market or limit", redact.Clip(string(req.Type), 300))
	}
	if req.Quantity.IsNegative() || req.QuoteQuantity.IsNegative() || req.Price.IsNegative() {
		return Checked{}, r.Invalid("quantities and prices must not be negative")
	}
	hasQty, hasQuote := req.Quantity.IsPositive(), req.QuoteQuantity.IsPositive()
	switch {
	case c.Type == sdk.OrderLimit && (!hasQty || !req.Price.IsPositive() || hasQuote):
		return Checked{}, r.Invalid("a limit order needs a quantity and a price, and no quote quantity")
	case c.Type == sdk.OrderMarket && req.Price.IsPositive():
		return Checked{}, r.Invalid("a market order takes no price")
	case c.Type == sdk.OrderMarket && hasQty == hasQuote:
		return Checked{}, r.Invalid("a market order needs either a quantity or a quote quantity")
	case market == sdk.MarketFutures && hasQuote:
		return Checked{}, r.Invalid("%s orders take a base quantity, not a quote quantity", r.Futures)
	}
	switch c.PositionSide {
	case "", sdk.SideLong, sdk.SideShort:
	default:
		return Checked{}, r.Invalid("position side %q is not long or short", redact.Clip(string(req.PositionSide), 300))
	}
	if market == sdk.MarketSpot && (req.ReduceOnly || c.PositionSide != "") {
		return Checked{}, r.Invalid("reduce-only and position side apply to %s orders only", r.Futures)
	}
	c.ByQuote = hasQuote
	return c, nil
}

// Invalid is a KindInvalidRequest refusal worded like Check's own.
func (r Rules) Invalid(format string, args ...any) *sdk.Error {
	return sdk.Errorf(sdk.KindInvalidRequest, r.Exchange+": "+format, args...)
}

// Closes reports whether an order on side (sdk.Buy or sdk.Sell) reduces a
// position on positionSide (sdk.SideLong or sdk.SideShort): selling
// reduces a long, buying back reduces a short.
func Closes(side sdk.Side, positionSide sdk.PositionSide) bool {
	return side == sdk.Sell && positionSide == sdk.SideLong || side == sdk.Buy && positionSide == sdk.SideShort
}
