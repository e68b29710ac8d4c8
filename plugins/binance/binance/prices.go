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

// symbol keys a ticker row by its Binance symbol.
func (t tickerPrice) symbol() string { return t.Symbol }

// symbol keys a premium-index row by its Binance symbol.
func (m premiumIndex) symbol() string { return m.Symbol }

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
		Read: marketdata.Apart(
			publicList(c, acct, EndpointSpot, "/api/v3/ticker/price", tickerPrice.symbol),
			publicList(c, acct, EndpointFutures, "/fapi/v1/ticker/price", tickerPrice.symbol),
			publicList(c, acct, EndpointFutures, "/fapi/v1/premiumIndex", premiumIndex.symbol),
		),
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

// publicList reads a whole public list of rows R from path, keyed by the
// Binance symbol key gives each.
func publicList[R any](c *Connector, acct sdk.Account, endpoint, path string, key func(R) string) marketdata.List[R] {
	return func(ctx context.Context) (map[string]R, error) {
		var rows []R
		err := c.http.Do(ctx, acct, rest.Request{Method: "GET", Endpoint: endpoint, Path: path}, &rows)
		return marketdata.Index(rows, key), err
	}
}
