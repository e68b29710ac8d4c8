// Package symbol parses and formats gahost's unified market symbols and
// converts them to and from the forms exchanges use.
//
// Unified symbols follow the ccxt convention: "BTC/USDT" is a spot market,
// "BTC/USDT:USDT" a perpetual swap settled in USDT. Exchanges write them as
// "BTCUSDT", "BTC-USDT", "BTC-USDT-SWAP" and so on; each connector supplies
// its small conversion on top of Join and SplitQuote here.
//
// The package does not know which markets exist on any exchange: a symbol
// that parses here may still be unknown to the exchange, which the
// connector reports as sdk.KindUnknownSymbol from the exchange's answer.
package symbol

import (
	"strings"

	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/redact"
)

// Symbol is a parsed unified symbol. Settle is empty for spot markets.
type Symbol struct {
	Base   string
	Quote  string
	Settle string
}

// Spot returns the spot symbol base/quote.
func Spot(base, quote string) Symbol { return Symbol{Base: base, Quote: quote} }

// Perp returns the perpetual base/quote settled in settle.
func Perp(base, quote, settle string) Symbol {
	return Symbol{Base: base, Quote: quote, Settle: settle}
}

// Parse reads "BASE/QUOTE" or "BASE/QUOTE:SETTLE". Assets are upper-cased,
// since every supported exchange writes them in upper case. A malformed
// symbol is an *sdk.Error of KindInvalidRequest: the caller sent something
// that is not a symbol, which is different from a symbol the exchange does
// not list.
func Parse(s string) (Symbol, error) {
	rest, settle, perp := strings.Cut(s, ":")
	base, quote, ok := strings.Cut(rest, "/")
	if !ok || !asset(base) || !asset(quote) || (perp && !asset(settle)) {
		return Symbol{}, sdk.Errorf(sdk.KindInvalidRequest,
			"symbol %q is not a unified symbol like BTC/USDT or BTC/USDT:USDT", redact.Clip(s, 40))
	}
	return Symbol{
		Base:   strings.ToUpper(base),
		Quote:  strings.ToUpper(quote),
		Settle: strings.ToUpper(settle),
	}, nil
}

// String formats the unified form.
func (s Symbol) String() string {
	if s.Settle == "" {
		return s.Base + "/" + s.Quote
	}
	return s.Base + "/" + s.Quote + ":" + s.Settle
}

// IsSpot reports whether s names a spot market.
func (s Symbol) IsSpot() bool { return s.Settle == "" }

// SpotOf returns the spot market with the same base and quote.
func (s Symbol) SpotOf() Symbol { return Symbol{Base: s.Base, Quote: s.Quote} }

// Join writes base and quote with sep between them: Join("") gives
// "BTCUSDT", Join("-") gives "BTC-USDT".
func (s Symbol) Join(sep string) string { return s.Base + sep + s.Quote }

// SplitQuote splits an exchange symbol without a separator ("BTCUSDT") by
// the first of quotes that is a proper suffix of it. Give longer quotes
// before their own suffixes ("FDUSD" before "USD") when both are listed.
func SplitQuote(raw string, quotes ...string) (base, quote string, ok bool) {
	for _, q := range quotes {
		if q != "" && len(raw) > len(q) && strings.HasSuffix(raw, q) {
			return raw[:len(raw)-len(q)], q, true
		}
	}
	return "", "", false
}

func asset(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for _, c := range s {
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// Market is the sdk market s trades on: sdk.MarketSpot for a spot symbol,
// sdk.MarketFutures for a perpetual.
func (s Symbol) Market() sdk.Market {
	if s.IsSpot() {
		return sdk.MarketSpot
	}
	return sdk.MarketFutures
}

// Resolve reads an order's market and unified symbol together, the way
// every connector takes them: an empty market follows the symbol, a spot
// market refuses a perpetual symbol, and a futures market given the spot
// form ("BTC/USDT") means the perpetual on that pair settled in its quote
// ("BTC/USDT:USDT"), which is how trading alerts usually write it. The
// result's Market() is the resolved market.
//
// Which settle assets an exchange lists is its own business: the
// connector checks that on the result. exchange names the connector at the
// start of error messages, as its other errors do. Every error is an
// *sdk.Error of KindInvalidRequest.
func Resolve(exchange string, market sdk.Market, unified string) (Symbol, error) {
	s, err := Parse(unified)
	if err != nil {
		return s, err
	}
	switch market {
	case "":
	case sdk.MarketSpot:
		if !s.IsSpot() {
			return s, sdk.Errorf(sdk.KindInvalidRequest, "%s: %s is a perpetual, not a spot market", exchange, s)
		}
	case sdk.MarketFutures:
		if s.IsSpot() {
			s.Settle = s.Quote
		}
	default:
		return s, sdk.Errorf(sdk.KindInvalidRequest, "%s: unknown market %q (want spot or futures)", exchange, redact.Clip(string(market), 300))
	}
	return s, nil
}
