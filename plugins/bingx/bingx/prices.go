package bingx

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/marketdata"
	"github.com/globalautomation/gahost/sdk/rest"
	"github.com/globalautomation/gahost/sdk/symbol"
)

// The public market-data paths (IP group 1).
const (
	pathSpotTicker   = "/openApi/spot/v1/ticker/24hr"
	pathSwapTicker   = "/openApi/swap/v2/quote/ticker"
	pathPremiumIndex = "/openApi/swap/v2/quote/premiumIndex"
)

// tickerRow is a row of the spot 24-hour ticker (numbers as JSON numbers)
// or the swap ticker and premium index (numbers as strings).
type tickerRow struct {
	Symbol    string `json:"symbol"`
	LastPrice number `json:"lastPrice"`
	MarkPrice number `json:"markPrice"`
	CloseTime int64  `json:"closeTime"`
	Time      int64  `json:"time"`
}

// priceRow is a symbol's ticker row, and for a swap its premium-index
// row.
type priceRow = marketdata.Pair[tickerRow, tickerRow]

// tickerRows reads one whole list, keyed by BingX symbol. A stamped list
// is asked with a timestamp of when it is read.
func (c *Connector) tickerRows(acct sdk.Account, path string, stamped bool) marketdata.List[tickerRow] {
	return func(ctx context.Context) (map[string]tickerRow, error) {
		var q rest.Params
		if stamped {
			q = q.Add("timestamp", strconv.FormatInt(time.Now().UnixMilli(), 10))
		}
		rows, err := call[[]tickerRow](ctx, c, marketdata.Public(acct), rest.Request{Method: "GET", Endpoint: EndpointREST, Path: path, Query: q})
		return marketdata.Index(rows, func(r tickerRow) string { return r.Symbol }), err
	}
}

// Prices reads whole lists, one request each whatever the number of
// symbols: the spot 24-hour tickers for spot symbols and assets, the swap
// tickers and premium index (mark prices) for perpetuals; a perpetual is
// priced only when it has a mark price. The spot list wants a timestamp
// although it is not signed.
func (c *Connector) Prices(ctx context.Context, acct sdk.Account, req sdk.PriceRequest) (sdk.Prices, error) {
	return marketdata.Lists[priceRow]{
		Exchange: "bingx",
		Resolve:  market,
		Native:   func(_ sdk.Market, s symbol.Symbol) string { return rawSymbol(s) },
		Read: marketdata.Apart(
			c.tickerRows(acct, pathSpotTicker, true),
			c.tickerRows(acct, pathSwapTicker, false),
			c.tickerRows(acct, pathPremiumIndex, false),
		),
		Price: bingxPrice,
	}.Answer(ctx, req)
}

// bingxPrice reads a ticker row and, for a swap, its premium-index row.
func bingxPrice(r priceRow) (sdk.Price, error) {
	var f fields
	p := sdk.Price{Last: f.decOrZero("lastPrice", r.Last.LastPrice), Mark: f.decOrZero("markPrice", r.Mark.MarkPrice)}
	if f.err != nil {
		return p, f.err
	}
	if ms := max(r.Mark.Time, r.Last.CloseTime); ms > 0 {
		p.Time = time.UnixMilli(ms).UTC()
	}
	return p, nil
}

// splitPair reads BingX's hyphenated "BASE-QUOTE".
func splitPair(raw string) (symbol.Symbol, bool) {
	b, q, ok := strings.Cut(raw, "-")
	if !ok || b == "" || q == "" || strings.Contains(q, "-") {
		return symbol.Symbol{}, false
	}
	return symbol.Spot(b, q), true
}
