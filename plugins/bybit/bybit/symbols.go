package bybit

import (
	"strings"
	"time"

	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/symbol"
)

// Categories: the connector trades spot and USDT-settled linear
// contracts.
const (
	categorySpot   = "spot"
	categoryLinear = "linear"
)

// settleUSDT is the one settle coin this connector reads and trades.
const settleUSDT = "USDT"

// market resolves an order's market and symbol from the unified symbol.
// "BTC/USDT:USDT" is the linear perpetual and "BTC/USDT" spot; a futures
// request that names the spot form means the perpetual on the same pair,
// which is how trading alerts usually write it.
func market(mkt sdk.Market, unified string) (sdk.Market, symbol.Symbol, error) {
	mkt, s, err := symbol.ResolveLinear("bybit", mkt, unified, sdk.KindUnknownSymbol, "linear contracts settle in the quote coin")
	if err == nil && mkt == sdk.MarketFutures && s.Settle != settleUSDT {
		return "", s, sdk.Errorf(sdk.KindUnsupported, "bybit: %s: only USDT-settled perpetuals are supported", s)
	}
	return mkt, s, err
}

// categoryOf is Bybit's category of a market.
func categoryOf(mkt sdk.Market) string {
	if mkt == sdk.MarketFutures {
		return categoryLinear
	}
	return categorySpot
}

// rawSymbol is Bybit's form of s (upper case, no separator).
func rawSymbol(s symbol.Symbol) string { return s.Join("") }

// unifiedLinear turns a USDT-settled linear symbol into the unified form.
// Dated USDT futures ("BTCUSDT-26DEC25") keep their expiry as ccxt writes
// it ("BTC/USDT:USDT-251226"). A symbol that does not end in the settle
// coin is returned as Bybit wrote it.
func unifiedLinear(raw string) string {
	pair, expiry, dated := strings.Cut(raw, "-")
	base, quote, ok := symbol.SplitQuote(pair, settleUSDT)
	if !ok {
		return raw
	}
	out := symbol.Perp(base, quote, quote).String()
	if dated {
		if t, err := time.Parse("02Jan06", expiry); err == nil {
			expiry = t.Format("060102")
		}
		out += "-" + expiry
	}
	return out
}
