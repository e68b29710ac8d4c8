package bybit

import (
	"context"

	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/marketdata"
	"github.com/globalautomation/gahost/sdk/rest"
	"github.com/globalautomation/gahost/sdk/symbol"
)

// tickers is the result of GET /v5/market/tickers: linear rows carry the
// mark price beside the last one, spot rows only the last.
type tickers struct {
	List []ticker `json:"list"`
}

// ticker is one row of tickers, with the time of the whole answer.
type ticker struct {
	Symbol    string `json:"symbol"`
	LastPrice string `json:"lastPrice"`
	MarkPrice string `json:"markPrice"`
	at        int64
}

// publicGet sends an unsigned GET and decodes the result.
func publicGet[T any](ctx context.Context, c *Connector, acct sdk.Account, path string, q rest.Params) (envelope[T], error) {
	var env envelope[T]
	err := c.http.Do(ctx, marketdata.Public(acct), rest.Request{Method: "GET", Endpoint: EndpointREST, Path: path, Query: q}, &env)
	return env, err
}

// Prices reads the whole ticker list of each category it needs, one
// request each: spot for spot symbols and assets, linear for perpetuals.
func (c *Connector) Prices(ctx context.Context, acct sdk.Account, req sdk.PriceRequest) (sdk.Prices, error) {
	return marketdata.Lists[ticker]{
		Exchange: "bybit",
		Resolve:  market,
		Native:   func(_ sdk.Market, s symbol.Symbol) string { return rawSymbol(s) },
		Read: func(ctx context.Context, m sdk.Market) (map[string]ticker, error) {
			env, err := publicGet[tickers](ctx, c, acct, "/v5/market/tickers", rest.Params{}.Add("category", categoryOf(m)))
			for i := range env.Result.List {
				env.Result.List[i].at = env.Time
			}
			return marketdata.Index(env.Result.List, func(r ticker) string { return r.Symbol }), err
		},
		Price: func(r ticker) (sdk.Price, error) { return marketdata.Quote(r.LastPrice, r.MarkPrice, r.at) },
	}.Answer(ctx, req)
}
