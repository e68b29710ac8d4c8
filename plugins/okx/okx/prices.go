package okx

import (
	"context"

	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/marketdata"
	"github.com/globalautomation/gahost/sdk/rest"
)

// tick is a row of GET /api/v5/market/tickers (last) or GET
// /api/v5/public/mark-price (markPx); ts is milliseconds as a string.
type tick struct {
	InstID string `json:"instId"`
	Last   string `json:"last"`
	MarkPx string `json:"markPx"`
	Ts     string `json:"ts"`
}

// priceRow is an instrument's ticker row, and for a swap its mark-price
// row.
type priceRow = marketdata.Pair[tick, tick]

// ticks reads one whole list of an instrument type, keyed by instrument id.
func (c *Connector) ticks(acct sdk.Account, path, instType string) marketdata.List[tick] {
	return func(ctx context.Context) (map[string]tick, error) {
		var a struct {
			Data []tick `json:"data"`
		}
		err := c.http.Do(ctx, marketdata.Public(acct), rest.Request{
			Method: "GET", Endpoint: EndpointREST, Path: path, Query: rest.Params{}.Add("instType", instType),
		}, &a)
		return marketdata.Index(a.Data, func(t tick) string { return t.InstID }), err
	}
}

// Prices reads whole lists, one request each whatever the number of
// symbols: the spot tickers for spot symbols and assets, the swap tickers
// and the swap mark prices for perpetuals; a swap is priced only when it
// has a mark price.
func (c *Connector) Prices(ctx context.Context, acct sdk.Account, req sdk.PriceRequest) (sdk.Prices, error) {
	return marketdata.Lists[priceRow]{
		Exchange: "okx",
		Resolve:  resolve,
		Native:   instID,
		Read: marketdata.Apart(
			c.ticks(acct, "/api/v5/market/tickers", "SPOT"),
			c.ticks(acct, "/api/v5/market/tickers", "SWAP"),
			c.ticks(acct, "/api/v5/public/mark-price", "SWAP"),
		),
		Price: priceOf,
	}.Answer(ctx, req)
}

// priceOf reads a ticker row and, for a swap, its mark-price row.
func priceOf(r priceRow) (sdk.Price, error) {
	ts := r.Mark.Ts
	if ts == "" {
		ts = r.Last.Ts
	}
	return marketdata.Quote(r.Last.Last, r.Mark.MarkPx, marketdata.Millis(ts))
}
