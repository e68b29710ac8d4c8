package binance

import (
	"strings"

	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/symbol"
)

// market resolves an order's market and Binance symbol from the unified
// symbol (no separator, "BTCUSDT"). "BTC/USDT:USDT" is a USDⓈ-M
// perpetual and "BTC/USDT" spot; a futures request that names the spot
// form means the perpetual on the same pair, which is how trading alerts
// usually write it.
func market(mkt sdk.Market, unified string) (sdk.Market, symbol.Symbol, error) {
	return symbol.ResolveLinear("binance", mkt, unified, sdk.KindUnknownSymbol, "USDⓈ-M futures settle in the quote asset")
}

// rawSymbol is Binance's form of s.
func rawSymbol(s symbol.Symbol) string { return s.Join("") }

// quotes Binance futures settle in, longest first.
var futuresQuotes = []string{"USDT", "USDC", "BUSD"}

// unifiedFutures turns a USDⓈ-M symbol into the unified form, using the
// margin asset the answer names when it has one. Delivery contracts
// ("BTCUSDT_250926") keep their date as ccxt writes it ("…:USDT-250926").
func unifiedFutures(raw, marginAsset string) string {
	base, date, _ := strings.Cut(raw, "_")
	quotes := futuresQuotes
	if marginAsset != "" {
		quotes = append([]string{marginAsset}, futuresQuotes...)
	}
	b, q, ok := symbol.SplitQuote(base, quotes...)
	if !ok {
		return raw
	}
	out := symbol.Perp(b, q, q).String()
	if date != "" {
		out += "-" + date
	}
	return out
}
