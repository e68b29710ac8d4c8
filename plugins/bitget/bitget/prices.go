package bitget

import (
	"context"

	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/marketdata"
	"github.com/globalautomation/gahost/sdk/rest"
	"github.com/globalautomation/gahost/sdk/symbol"
)

// The classic (V2) public market endpoints serve Classic and UTA accounts
// alike: market data does not depend on the account mode.
const (
	pathSpotTickers    = "/api/v2/spot/market/tickers"
	pathFuturesTickers = "/api/v2/mix/market/tickers"
	pathSpotSymbols    = "/api/v2/spot/public/symbols"
	pathContracts      = "/api/v2/mix/market/contracts"
)

// ticker is a row of the spot or USDT-FUTURES ticker list; only futures
// rows carry markPrice.
type ticker struct {
	Symbol    string  `json:"symbol"`
	LastPr    string  `json:"lastPr"`
	MarkPrice string  `json:"markPrice"`
	Ts        numText `json:"ts"`
}

// tickers reads one whole ticker list, keyed by Bitget symbol.
func (c *Connector) tickers(ctx context.Context, acct sdk.Account, path string, q rest.Params) (map[string]ticker, error) {
	var rows []ticker
	_, err := c.call(ctx, marketdata.Public(acct), rest.Request{Method: "GET", Endpoint: EndpointREST, Path: path, Query: q}, &rows)
	return marketdata.Index(rows, func(r ticker) string { return r.Symbol }), err
}

// Prices reads whole ticker lists, one request each whatever the number of
// symbols: spot for spot symbols and assets, USDT-FUTURES (last and mark
// in one row) for perpetuals.
func (c *Connector) Prices(ctx context.Context, acct sdk.Account, req sdk.PriceRequest) (sdk.Prices, error) {
	return marketdata.Lists[ticker]{
		Exchange: "bitget",
		Resolve:  market,
		Native:   func(_ sdk.Market, s symbol.Symbol) string { return rawSymbol(s) },
		Read: func(ctx context.Context, m sdk.Market) (map[string]ticker, error) {
			if m == sdk.MarketSpot {
				return c.tickers(ctx, acct, pathSpotTickers, nil)
			}
			return c.tickers(ctx, acct, pathFuturesTickers, rest.Params{}.Add("productType", productType))
		},
		Price: func(r ticker) (sdk.Price, error) {
			return marketdata.Quote(r.LastPr, r.MarkPrice, marketdata.Millis(string(r.Ts)))
		},
	}.Answer(ctx, req)
}
