package bingx

import (
	"strings"

	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/symbol"
)

// market resolves an order's market and symbol from the unified symbol.
// "BTC/USDT:USDT" is the USDT-M perpetual and "BTC/USDT" spot; a futures
// request that names the spot form means the perpetual on that pair, as
// trading alerts usually write it.
func market(mkt sdk.Market, unified string) (sdk.Market, symbol.Symbol, error) {
	return symbol.ResolveLinear("bingx", mkt, unified, sdk.KindUnknownSymbol, "BingX perpetuals settle in the quote asset")
}

// rawSymbol is BingX's form of s, hyphenated on spot and swap alike.
func rawSymbol(s symbol.Symbol) string { return s.Join("-") }

// unifiedSwap turns a swap symbol ("BNB-USDT") into the unified form,
// settled in the currency the answer names, else in the quote.
func unifiedSwap(raw, currency string) string {
	base, quote, ok := strings.Cut(raw, "-")
	if !ok || base == "" || quote == "" {
		return raw
	}
	settle := quote
	if currency != "" {
		settle = currency
	}
	return symbol.Perp(base, quote, settle).String()
}
