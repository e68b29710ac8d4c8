package orderreq

import (
	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/symbol"
)

// Prepare is how every PlaceOrder starts: resolve reads req's market and
// symbol by the connector's rule (symbol.ResolveLinear with its own
// wording), then check applies the shared rules and the exchange's own to
// the resolved market, giving the order in the connector's terms, O. The
// first refusal is returned as it is.
func Prepare[O any](req sdk.OrderRequest,
	resolve func(sdk.Market, string) (sdk.Market, symbol.Symbol, error),
	check func(sdk.Market, sdk.OrderRequest) (O, error),
) (sdk.Market, symbol.Symbol, O, error) {
	var none O
	mkt, sym, err := resolve(req.Market, req.Symbol)
	if err != nil {
		return "", sym, none, err
	}
	o, err := check(mkt, req)
	if err != nil {
		return "", sym, none, err
	}
	return mkt, sym, o, nil
}
