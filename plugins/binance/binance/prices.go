package binance

import (
	"context"
	"time"

	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/num"
	"github.com/globalautomation/gahost/sdk/redact"
	"github.com/globalautomation/gahost/sdk/rest"
	"github.com/globalautomation/gahost/sdk/symbol"
)

var _ sdk.PriceReader = (*Connector)(nil)

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

// public is acct without its credentials: the market-data endpoints are
// unsigned, and nothing of the keys needs to travel to them.
func public(acct sdk.Account) sdk.Account {
	return sdk.Account{Testnet: acct.Testnet, Endpoints: acct.Endpoints}
}

// Prices reads whole ticker lists, one request per list whatever the
// number of symbols: spot last prices (weight 4), and for perpetuals the
// last prices (2) and the mark prices (10).
func (c *Connector) Prices(ctx context.Context, acct sdk.Account, req sdk.PriceRequest) (sdk.Prices, error) {
	acct = public(acct)
	book := map[string]sdk.Price{}
	if req.NeedsSpot() {
		last, err := c.tickerPrices(ctx, acct, EndpointSpot, "/api/v3/ticker/price")
		if err != nil {
			return sdk.Prices{}, err
		}
		for _, u := range req.SpotSymbols() {
			s, err := symbol.Parse(u)
			if err != nil {
				continue // missing: not a symbol Binance can list
			}
			if p, ok := last[rawSymbol(s)]; ok {
				p.Symbol = u
				book[u] = p
			}
		}
	}
	if req.NeedsFutures() {
		last, err := c.tickerPrices(ctx, acct, EndpointFutures, "/fapi/v1/ticker/price")
		if err != nil {
			return sdk.Prices{}, err
		}
		var marks []premiumIndex
		if err := c.http.Do(ctx, acct, rest.Request{Method: "GET", Endpoint: EndpointFutures, Path: "/fapi/v1/premiumIndex"}, &marks); err != nil {
			return sdk.Prices{}, err
		}
		byRaw := make(map[string]premiumIndex, len(marks))
		for _, m := range marks {
			byRaw[m.Symbol] = m
		}
		for _, u := range req.FuturesSymbols() {
			_, s, err := market(sdk.MarketFutures, u)
			if err != nil || s.IsSpot() {
				continue // missing: not a perpetual Binance can list
			}
			raw := rawSymbol(s)
			m, ok := byRaw[raw]
			if !ok {
				continue
			}
			var f num.Fields
			p := last[raw]
			p.Symbol, p.Mark = u, f.Parse("markPrice", m.MarkPrice)
			if err := f.Err(); err != nil {
				return sdk.Prices{}, rest.Malformed("binance", "mark price of "+redact.Clip(raw, rest.MaxText), err)
			}
			if m.Time != 0 {
				p.Time = time.UnixMilli(m.Time).UTC()
			}
			book[p.Symbol] = p
		}
	}
	return sdk.AnswerPrices("binance", req, book), nil
}

// tickerPrices reads a ticker/price list, keyed by Binance symbol.
func (c *Connector) tickerPrices(ctx context.Context, acct sdk.Account, endpoint, path string) (map[string]sdk.Price, error) {
	var rows []tickerPrice
	if err := c.http.Do(ctx, acct, rest.Request{Method: "GET", Endpoint: endpoint, Path: path}, &rows); err != nil {
		return nil, err
	}
	out := make(map[string]sdk.Price, len(rows))
	for _, r := range rows {
		last, err := num.Parse(r.Price)
		if err != nil {
			return nil, rest.Malformed("binance", "price of "+redact.Clip(r.Symbol, rest.MaxText), err)
		}
		p := sdk.Price{Last: last}
		if r.Time != 0 {
			p.Time = time.UnixMilli(r.Time).UTC()
		}
		out[r.Symbol] = p
	}
	return out, nil
}
