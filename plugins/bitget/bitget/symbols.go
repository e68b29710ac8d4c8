package bitget

import (
	"strings"

	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/symbol"
)

// The connector's futures are the USDT-margined perpetuals: product type
// USDT-FUTURES, margin coin USDT, in upper case.
const (
	productType = "USDT-FUTURES"
	marginCoin  = "USDT"
)

// market resolves an order's market and symbol from the unified symbol.
// "BTC/USDT:USDT" is the perpetual and "BTC/USDT" spot; a futures request
// that names the spot form means the perpetual on the same pair, which is
// how trading alerts usually write it. Both are "BTCUSDT" at Bitget.
func market(mkt sdk.Market, unified string) (sdk.Market, symbol.Symbol, error) {
	mkt, s, err := symbol.ResolveLinear("bitget", mkt, unified, sdk.KindUnknownSymbol, "USDT-FUTURES contracts settle in USDT, their quote asset")
	if err == nil && mkt == sdk.MarketFutures && s.Settle != marginCoin {
		return "", s, sdk.Errorf(sdk.KindUnsupported, "bitget: %s: only USDT-margined perpetuals (USDT-FUTURES) are supported", s)
	}
	return mkt, s, err
}

// rawSymbol is Bitget's V2 form of s: no separator, no suffix.
func rawSymbol(s symbol.Symbol) string { return s.Join("") }

// unifiedFutures turns a contract symbol into the unified perpetual form,
// splitting it by the margin coin the answer names.
func unifiedFutures(raw, coin string) string {
	coin = strings.ToUpper(coin)
	if coin == "" {
		coin = marginCoin
	}
	b, q, ok := symbol.SplitQuote(strings.ToUpper(raw), coin, marginCoin)
	if !ok {
		return raw
	}
	return symbol.Perp(b, q, q).String()
}
