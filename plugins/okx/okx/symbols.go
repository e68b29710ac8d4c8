package okx

import (
	"strings"

	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/symbol"
)

// resolve reads an order's market and unified symbol. "BTC/USDT" is spot
// and "BTC/USDT:USDT" the USDT-margined perpetual; with the futures market
// named, the spot form means the perpetual on the same pair, as trading
// alerts usually write it.
func resolve(mkt sdk.Market, unified string) (sdk.Market, symbol.Symbol, error) {
	// BTC-USD-SWAP settles in BTC: a coin-margined (inverse) swap.
	return symbol.ResolveLinear("okx", mkt, unified, sdk.KindUnsupported, "only quote-settled (USDT-margined) perpetuals are supported")
}

// instID is OKX's instrument id: "BTC-USDT" for spot, "BTC-USDT-SWAP"
// for the linear perpetual.
func instID(mkt sdk.Market, s symbol.Symbol) string {
	if mkt == sdk.MarketFutures {
		return s.Join("-") + "-SWAP"
	}
	return s.Join("-")
}

// pairOf splits an instrument family such as "BTC-USDT" (or a swap id
// "BTC-USDT-SWAP") into base and quote.
func pairOf(family string) (base, quote string, ok bool) {
	family = strings.TrimSuffix(family, "-SWAP")
	base, quote, ok = strings.Cut(family, "-")
	if !ok || base == "" || quote == "" || strings.Contains(quote, "-") {
		return "", "", false
	}
	return base, quote, true
}
