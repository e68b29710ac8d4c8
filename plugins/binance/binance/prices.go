package binance

import (
	"context"
	"time"

	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/marketdata"
	"github.com/globalautomation/gahost/sdk/num"
	"github.com/globalautomation/gahost/sdk/rest"
	"github.com/globalautomation/gahost/sdk/symbol"
)

// tickerPrice is a row of GET /api/v3/ticker/price and GET
// /fapi/v1/ticker/price (the futures rows carry a time).
type tickerPrice struct {
	Symbol string `json:"symbol"`
	Price  string `json:"price"`
	Time   int64  `json:"time"`
}

// premiumIndex is a row of GET /fapi/v1/premiumIndex.
type premiumIndex struct {
	Symbol    string `json:"symbol"`
	MarkPrice string `json:"markPrice"`
	Time      int64  `json:"time"`
}

// priceRow is a symbol's ticker row, and for a perpetual its premium-index
// row (Mark.Symbol is empty on spot).
type priceRow = marketdata.Pair[tickerPrice, premiumIndex]

// Prices reads whole ticker lists, one request per list whatever the
// number of symbols: spot last prices (weight 4), and for perpetuals the
// last prices (2) and the mark prices (10). A perpetual is priced only
// when it has a mark price.
func (c *Connector) Prices(ctx context.Context, acct sdk.Account, req sdk.PriceRequest) (sdk.Prices, error) {
	acct = marketdata.Public(acct)
	return marketdata.Lists[priceRow]{
		Exchange: "binance",
		Resolve:  market,
		Native:   func(_ sdk.Market, s symbol.Symbol) string { return rawSymbol(s) },
		Read: func(ctx context.Context, m sdk.Market) (map[string]priceRow, error) {
			if m == sdk.MarketSpot {
				last, err := c.tickerPrices(ctx, acct, EndpointSpot, "/api/v3/ticker/price")
				return marketdata.Lone[tickerPrice, premiumIndex](last), err
			}
			last, err := c.tickerPrices(ctx, acct, EndpointFutures, "/fapi/v1/ticker/price")
			if err != nil {
				return nil, err
			}
			var marks []premiumIndex
			if err := c.http.Do(ctx, acct, rest.Request{Method: "GET", Endpoint: EndpointFutures, Path: "/fapi/v1/premiumIndex"}, &marks); err != nil {
				return nil, err
			}
			return marketdata.Join(last, marketdata.Index(marks, func(m premiumIndex) string { return m.Symbol })), nil
		},
		Price: func(r priceRow) (sdk.Price, error) {
			var f num.Fields
			var p sdk.Price
			if r.Last.Symbol != "" {
				p.Last = f.Parse("price", r.Last.Price)
			}
			at := r.Last.Time
			if r.Mark.Symbol != "" {
				p.Mark, at = f.Parse("markPrice", r.Mark.MarkPrice), r.Mark.Time
			}
			if at != 0 {
				p.Time = time.UnixMilli(at).UTC()
			}
			return p, f.Err()
		},
	}.Answer(ctx, req)
}

// tickerPrices reads a ticker/price list, keyed by Binance symbol.
func (c *Connector) tickerPrices(ctx context.Context, acct sdk.Account, endpoint, path string) (map[string]tickerPrice, error) {
	var rows []tickerPrice
	err := c.http.Do(ctx, acct, rest.Request{Method: "GET", Endpoint: endpoint, Path: path}, &rows)
	return marketdata.Index(rows, func(r tickerPrice) string { return r.Symbol }), err
}
