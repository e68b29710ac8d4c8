package symbol

import "github.com/globalautomation/gahost/sdk"

// ResolveLinear is Resolve for an exchange whose perpetuals settle in
// their quote asset, the one kind every connector trades: it returns the
// resolved market too, and refuses a perpetual settled in another asset
// with an *sdk.Error of kind, its message giving why.
func ResolveLinear(exchange string, market sdk.Market, unified string, kind sdk.Kind, why string) (sdk.Market, Symbol, error) {
	s, err := Resolve(exchange, market, unified)
	if err != nil {
		return "", s, err
	}
	if s.Market() == sdk.MarketFutures && s.Settle != s.Quote {
		return "", s, sdk.Errorf(kind, "%s: %s: %s", exchange, s, why)
	}
	return s.Market(), s, nil
}
