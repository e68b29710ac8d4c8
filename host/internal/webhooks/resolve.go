package webhooks

// Tickers: an alert names its instrument the way its sender knows it.
// TradingView's {{ticker}} is the chart's symbol ("BTCUSDT"), with ".P" for
// a perpetual ("BTCUSDT.P") and, from {{exchange}}:{{ticker}} or a copied
// chart name, the chart's exchange in front ("BINANCE:BTCUSDT.P"); a script
// may send the exchange's own name ("BTC-USDT-SWAP", "BTC_USDT") or the
// unified symbol ("BTC/USDT:USDT"). Each is matched against the instrument
// list of the webhook's exchange and market, and the match is recorded on
// the delivery. Nothing is guessed: a ticker that matches no instrument, or
// more than one, is refused.

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/globalautomation/gahost/host/internal/store"
	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/redact"
)

// How a ticker was matched (store.SymbolResolution.Method).
const (
	// MatchUnified: the alert sent the unified symbol.
	MatchUnified = "unified"
	// MatchNative: the alert sent one of the exchange's own names of the
	// instrument, exactly.
	MatchNative = "native"
	// MatchBaseQuote: base and quote written together, with or without a
	// separator ("BTCUSDT", "BTC_USDT", "BTC-USDT"), or another exchange's
	// perpetual name ("BTC-USDT-SWAP") on a futures webhook.
	MatchBaseQuote = "base_quote"
	// MatchTradingView: a TradingView ticker; its exchange prefix and ".P"
	// suffix were dropped and the rest matched as a native name or as base
	// and quote.
	MatchTradingView = "tradingview"
	// MatchUnchecked: a unified symbol taken as sent, because the
	// exchange's instrument list could not be read; no lot step or tick
	// was applied, the exchange judges the order.
	MatchUnchecked = "unchecked"
)

// MaxTickerLen bounds the symbol field of an alert.
const MaxTickerLen = 64

// tickerShape is what a symbol field may hold: capitals, digits and the
// separators exchanges and TradingView use.
var tickerShape = regexp.MustCompile(`^[A-Z0-9][A-Z0-9._:/-]*$`)

// checkTicker checks the shape of an alert's symbol for a webhook of
// market. A unified symbol (one with "/") must be one of market; any other
// ticker is matched later, against the exchange's instruments.
func checkTicker(market, s string) *Rejection {
	if len(s) > MaxTickerLen || !tickerShape.MatchString(s) {
		return invalid(CodeInvalidField, "symbol %q must be a ticker in capitals (BTCUSDT, BTCUSDT.P, BINANCE:BTCUSDT.P, "+
			"BTC-USDT-SWAP) or a unified symbol (BTC/USDT, BTC/USDT:USDT), at most %d characters",
			redact.Clip(s, 40), MaxTickerLen)
	}
	t := stripExchange(s)
	if strings.Contains(t, "/") {
		if err := ValidSymbol(market, t); err != nil {
			return invalid(CodeInvalidField, "symbol %q %s", redact.Clip(s, 40), err)
		}
		return nil
	}
	if strings.HasSuffix(t, ".P") && sdk.Market(market) == sdk.MarketSpot {
		return invalid(CodeInvalidField, "symbol %q is TradingView's name of a perpetual contract, and this webhook "+
			"trades spot; send the spot ticker (without .P) or use a futures webhook", redact.Clip(s, 40))
	}
	return nil
}

// stripExchange drops a TradingView exchange prefix ("BINANCE:"): a colon
// before any "/". The colon of a unified futures symbol comes after one.
func stripExchange(s string) string {
	if i := strings.IndexByte(s, ':'); i > 0 && !strings.Contains(s[:i], "/") {
		return s[i+1:]
	}
	return s
}

// compact is a name without separators, to compare "BTC-USDT", "BTC_USDT"
// and "BTCUSDT" alike.
func compact(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			return r
		}
		if r >= 'a' && r <= 'z' {
			return r - 'a' + 'A'
		}
		return -1
	}, s)
}

// ResolveTicker matches an alert's ticker (already checked by checkTicker)
// to one instrument of list, the instruments of the webhook's market. The
// Rejection says why none or several match.
func ResolveTicker(market sdk.Market, ticker string, list []sdk.Instrument) (sdk.Instrument, store.SymbolResolution, *Rejection) {
	res := store.SymbolResolution{Ticker: ticker}
	t := stripExchange(ticker)
	tv := t != ticker
	if strings.HasSuffix(t, ".P") {
		t, tv = strings.TrimSuffix(t, ".P"), true
	}
	var (
		found  []sdk.Instrument
		method string
	)
	if strings.Contains(t, "/") {
		for _, in := range list {
			if in.Symbol == t {
				found = append(found, in)
			}
		}
		method = MatchUnified
	} else {
		for _, in := range list {
			for _, n := range in.NativeSymbols {
				if strings.EqualFold(n, t) {
					found = append(found, in)
					break
				}
			}
		}
		method = MatchNative
		if len(found) == 0 {
			found = byCompact(list, compact(t))
			method = MatchBaseQuote
		}
		if len(found) == 0 && market == sdk.MarketFutures {
			// Another exchange's perpetual name ("BTC-USDT-SWAP", "BTC_USDT_PERP").
			for _, suffix := range []string{"SWAP", "PERP"} {
				if key := compact(t); strings.HasSuffix(key, suffix) && len(key) > len(suffix) {
					found = byCompact(list, strings.TrimSuffix(key, suffix))
				}
			}
		}
	}
	if tv {
		method = MatchTradingView
	}
	switch len(found) {
	case 0:
		return sdk.Instrument{}, res, refused(CodeSymbolUnknown,
			"symbol %q matches no %s instrument of the exchange; send its unified symbol (%s) or the exchange's own name",
			redact.Clip(ticker, 40), market, exampleSymbol(market))
	case 1:
	default:
		var names []string
		for _, in := range found {
			names = append(names, in.Symbol)
		}
		return sdk.Instrument{}, res, refused(CodeSymbolAmbiguous,
			"symbol %q matches several instruments (%s); send the unified symbol of the one meant",
			redact.Clip(ticker, 40), redact.Clip(strings.Join(names, ", "), 200))
	}
	in := found[0]
	res.Symbol, res.Method = in.Symbol, method
	if len(in.NativeSymbols) > 0 {
		res.Native = in.NativeSymbols[0]
	}
	return in, res, nil
}

// byCompact finds the instruments whose base and quote, or a native name,
// read as key once separators go.
func byCompact(list []sdk.Instrument, key string) []sdk.Instrument {
	var found []sdk.Instrument
	for _, in := range list {
		if key == compact(in.Base+in.Quote) || matchesCompact(in.NativeSymbols, key) {
			found = append(found, in)
		}
	}
	return found
}

func matchesCompact(names []string, key string) bool {
	for _, n := range names {
		if compact(n) == key {
			return true
		}
	}
	return false
}

func exampleSymbol(market sdk.Market) string {
	if market == sdk.MarketFutures {
		return "BTC/USDT:USDT"
	}
	return "BTC/USDT"
}

// unresolvedTicker is the resolution of a ticker when the instrument list
// cannot be read: a unified symbol is taken as it is, anything else cannot
// be matched.
func unresolvedTicker(ticker string, why error) (store.SymbolResolution, *Rejection) {
	res := store.SymbolResolution{Ticker: ticker}
	if t := stripExchange(ticker); strings.Contains(t, "/") && t == ticker {
		res.Symbol, res.Method = t, MatchUnchecked
		return res, nil
	}
	msg := fmt.Sprintf("the exchange's instrument list cannot be read right now, so the ticker %q cannot be matched; "+
		"send the unified symbol, or send the alert again later", redact.Clip(ticker, 40))
	if why != nil {
		msg += " (" + redact.Clip(why.Error(), 200) + ")"
	}
	return res, refused(CodeInstrumentsUnavailable, "%s", msg)
}
