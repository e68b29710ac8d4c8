package okx

import (
	"context"
	"strconv"
	"time"

	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/num"
	"github.com/globalautomation/gahost/sdk/redact"
	"github.com/globalautomation/gahost/sdk/rest"
	"github.com/globalautomation/gahost/sdk/symbol"
)

var _ sdk.PriceReader = (*Connector)(nil)

// tick is a row of GET /api/v5/market/tickers (last) or GET
// /api/v5/public/mark-price (markPx); ts is milliseconds as a string.
type tick struct {
	InstID string `json:"instId"`
	Last   string `json:"last"`
	MarkPx string `json:"markPx"`
	Ts     string `json:"ts"`
}

// public is acct without its credentials: the market endpoints are
// unsigned, and nothing of the keys needs to travel to them.
func public(acct sdk.Account) sdk.Account {
	return sdk.Account{Testnet: acct.Testnet, Endpoints: acct.Endpoints}
}

// ticks reads one whole list of an instrument type, keyed by instrument id.
func (c *Connector) ticks(ctx context.Context, acct sdk.Account, path, instType string) (map[string]tick, error) {
	var a struct {
		Data []tick `json:"data"`
	}
	err := c.http.Do(ctx, public(acct), rest.Request{
		Method: "GET", Endpoint: EndpointREST, Path: path, Query: rest.Params{}.Add("instType", instType),
	}, &a)
	if err != nil {
		return nil, err
	}
	out := make(map[string]tick, len(a.Data))
	for _, t := range a.Data {
		out[t.InstID] = t
	}
	return out, nil
}

// Prices reads whole lists, one request each whatever the number of
// symbols: the spot tickers for spot symbols and assets, the swap tickers
// and the swap mark prices for perpetuals.
func (c *Connector) Prices(ctx context.Context, acct sdk.Account, req sdk.PriceRequest) (sdk.Prices, error) {
	book := map[string]sdk.Price{}
	if req.NeedsSpot() {
		last, err := c.ticks(ctx, acct, "/api/v5/market/tickers", "SPOT")
		if err != nil {
			return sdk.Prices{}, err
		}
		for _, u := range req.SpotSymbols() {
			s, err := symbol.Parse(u)
			if err != nil {
				continue // missing: not a symbol OKX can list
			}
			if t, ok := last[instID(sdk.MarketSpot, s)]; ok {
				p, err := priceOf(u, t, tick{})
				if err != nil {
					return sdk.Prices{}, err
				}
				book[u] = p
			}
		}
	}
	if req.NeedsFutures() {
		last, err := c.ticks(ctx, acct, "/api/v5/market/tickers", "SWAP")
		if err != nil {
			return sdk.Prices{}, err
		}
		marks, err := c.ticks(ctx, acct, "/api/v5/public/mark-price", "SWAP")
		if err != nil {
			return sdk.Prices{}, err
		}
		for _, u := range req.FuturesSymbols() {
			_, s, err := resolve(sdk.MarketFutures, u)
			if err != nil || s.IsSpot() {
				continue // missing: not a perpetual the connector trades
			}
			id := instID(sdk.MarketFutures, s)
			m, ok := marks[id]
			if !ok {
				continue
			}
			p, err := priceOf(u, last[id], m)
			if err != nil {
				return sdk.Prices{}, err
			}
			book[u] = p
		}
	}
	return sdk.AnswerPrices("okx", req, book), nil
}

// priceOf reads a ticker row and, for a swap, its mark-price row.
func priceOf(unified string, last, mark tick) (sdk.Price, error) {
	var f num.Fields
	p := sdk.Price{Symbol: unified, Last: f.ParseOrZero("last", last.Last), Mark: f.ParseOrZero("markPx", mark.MarkPx)}
	if err := f.Err(); err != nil {
		return p, rest.Malformed("okx", "price of "+redact.Clip(unified, rest.MaxText), err)
	}
	ts := mark.Ts
	if ts == "" {
		ts = last.Ts
	}
	if n, err := strconv.ParseInt(ts, 10, 64); err == nil && n > 0 {
		p.Time = time.UnixMilli(n).UTC()
	}
	return p, nil
}
