package bingx

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/redact"
	"github.com/globalautomation/gahost/sdk/rest"
	"github.com/globalautomation/gahost/sdk/symbol"
)

var _ sdk.PriceReader = (*Connector)(nil)

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

// public is acct without its credentials: the market endpoints are
// unsigned, and nothing of the keys needs to travel to them.
func public(acct sdk.Account) sdk.Account {
	return sdk.Account{Testnet: acct.Testnet, Endpoints: acct.Endpoints}
}

// tickerRows reads one whole list, keyed by BingX symbol.
func (c *Connector) tickerRows(ctx context.Context, acct sdk.Account, path string, q rest.Params) (map[string]tickerRow, error) {
	rows, err := call[[]tickerRow](ctx, c, public(acct), rest.Request{Method: "GET", Endpoint: EndpointREST, Path: path, Query: q})
	if err != nil {
		return nil, err
	}
	out := make(map[string]tickerRow, len(rows))
	for _, r := range rows {
		out[r.Symbol] = r
	}
	return out, nil
}

// Prices reads whole lists, one request each whatever the number of
// symbols: the spot 24-hour tickers for spot symbols and assets, the swap
// tickers and premium index (mark prices) for perpetuals. The spot list
// wants a timestamp although it is not signed.
func (c *Connector) Prices(ctx context.Context, acct sdk.Account, req sdk.PriceRequest) (sdk.Prices, error) {
	book := map[string]sdk.Price{}
	if req.NeedsSpot() {
		q := rest.Params{}.Add("timestamp", strconv.FormatInt(time.Now().UnixMilli(), 10))
		rows, err := c.tickerRows(ctx, acct, pathSpotTicker, q)
		if err != nil {
			return sdk.Prices{}, err
		}
		for _, u := range req.SpotSymbols() {
			s, err := symbol.Parse(u)
			if err != nil {
				continue // missing: not a symbol BingX can list
			}
			if r, ok := rows[rawSymbol(s)]; ok {
				p, err := bingxPrice(u, r, tickerRow{})
				if err != nil {
					return sdk.Prices{}, err
				}
				book[u] = p
			}
		}
	}
	if req.NeedsFutures() {
		last, err := c.tickerRows(ctx, acct, pathSwapTicker, nil)
		if err != nil {
			return sdk.Prices{}, err
		}
		marks, err := c.tickerRows(ctx, acct, pathPremiumIndex, nil)
		if err != nil {
			return sdk.Prices{}, err
		}
		for _, u := range req.FuturesSymbols() {
			_, s, err := market(sdk.MarketFutures, u)
			if err != nil || s.IsSpot() {
				continue
			}
			m, ok := marks[rawSymbol(s)]
			if !ok {
				continue
			}
			p, err := bingxPrice(u, last[rawSymbol(s)], m)
			if err != nil {
				return sdk.Prices{}, err
			}
			book[u] = p
		}
	}
	return sdk.AnswerPrices("bingx", req, book), nil
}

// bingxPrice reads a ticker row and, for a swap, its premium-index row.
func bingxPrice(unified string, last, mark tickerRow) (sdk.Price, error) {
	var f fields
	p := sdk.Price{Symbol: unified, Last: f.decOrZero("lastPrice", last.LastPrice), Mark: f.decOrZero("markPrice", mark.MarkPrice)}
	if f.err != nil {
		return p, rest.Malformed("bingx", "price of "+redact.Clip(unified, rest.MaxText), f.err)
	}
	if ms := max(mark.Time, last.CloseTime); ms > 0 {
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
