package bitget

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

// public is acct without its credentials: the market endpoints are
// unsigned, and nothing of the keys needs to travel to them.
func public(acct sdk.Account) sdk.Account {
	return sdk.Account{Testnet: acct.Testnet, Endpoints: acct.Endpoints}
}

// tickers reads one whole ticker list, keyed by Bitget symbol.
func (c *Connector) tickers(ctx context.Context, acct sdk.Account, path string, q rest.Params) (map[string]ticker, error) {
	var rows []ticker
	if _, err := c.call(ctx, public(acct), rest.Request{Method: "GET", Endpoint: EndpointREST, Path: path, Query: q}, &rows); err != nil {
		return nil, err
	}
	out := make(map[string]ticker, len(rows))
	for _, r := range rows {
		out[r.Symbol] = r
	}
	return out, nil
}

// Prices reads whole ticker lists, one request each whatever the number of
// symbols: spot for spot symbols and assets, USDT-FUTURES (last and mark
// in one row) for perpetuals.
func (c *Connector) Prices(ctx context.Context, acct sdk.Account, req sdk.PriceRequest) (sdk.Prices, error) {
	book := map[string]sdk.Price{}
	fill := func(rows map[string]ticker, unified []string, resolve func(string) (symbol.Symbol, bool)) error {
		for _, u := range unified {
			s, ok := resolve(u)
			if !ok {
				continue // missing: not a symbol Bitget can list
			}
			r, ok := rows[rawSymbol(s)]
			if !ok {
				continue
			}
			var f num.Fields
			p := sdk.Price{Symbol: u, Last: f.ParseOrZero("lastPr", r.LastPr), Mark: f.ParseOrZero("markPrice", r.MarkPrice)}
			if err := f.Err(); err != nil {
				return rest.Malformed("bitget", "ticker of "+redact.Clip(r.Symbol, rest.MaxText), err)
			}
			if ms, err := strconv.ParseInt(string(r.Ts), 10, 64); err == nil && ms > 0 {
				p.Time = time.UnixMilli(ms).UTC()
			}
			book[u] = p
		}
		return nil
	}
	if req.NeedsSpot() {
		rows, err := c.tickers(ctx, acct, pathSpotTickers, nil)
		if err != nil {
			return sdk.Prices{}, err
		}
		err = fill(rows, req.SpotSymbols(), func(u string) (symbol.Symbol, bool) {
			s, err := symbol.Parse(u)
			return s, err == nil && s.IsSpot()
		})
		if err != nil {
			return sdk.Prices{}, err
		}
	}
	if req.NeedsFutures() {
		rows, err := c.tickers(ctx, acct, pathFuturesTickers, rest.Params{}.Add("productType", productType))
		if err != nil {
			return sdk.Prices{}, err
		}
		err = fill(rows, req.FuturesSymbols(), func(u string) (symbol.Symbol, bool) {
			_, s, err := market(sdk.MarketFutures, u)
			return s, err == nil && !s.IsSpot()
		})
		if err != nil {
			return sdk.Prices{}, err
		}
	}
	return sdk.AnswerPrices("bitget", req, book), nil
}
