package bybit

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

// tickers is the result of GET /v5/market/tickers: linear rows carry the
// mark price beside the last one, spot rows only the last.
type tickers struct {
	List []struct {
		Symbol    string `json:"symbol"`
		LastPrice string `json:"lastPrice"`
		MarkPrice string `json:"markPrice"`
	} `json:"list"`
}

// public is acct without its credentials: the market endpoints are
// unsigned, and nothing of the keys needs to travel to them.
func public(acct sdk.Account) sdk.Account {
	return sdk.Account{Testnet: acct.Testnet, Endpoints: acct.Endpoints}
}

// publicGet sends an unsigned GET and decodes the result.
func publicGet[T any](ctx context.Context, c *Connector, acct sdk.Account, path string, q rest.Params) (envelope[T], error) {
	var env envelope[T]
	err := c.http.Do(ctx, public(acct), rest.Request{Method: "GET", Endpoint: EndpointREST, Path: path, Query: q}, &env)
	return env, err
}

// Prices reads the whole ticker list of each category it needs, one
// request each: spot for spot symbols and assets, linear for perpetuals.
func (c *Connector) Prices(ctx context.Context, acct sdk.Account, req sdk.PriceRequest) (sdk.Prices, error) {
	book := map[string]sdk.Price{}
	read := func(category string, want []string, resolve func(string) (symbol.Symbol, bool)) error {
		env, err := publicGet[tickers](ctx, c, acct, "/v5/market/tickers", rest.Params{}.Add("category", category))
		if err != nil {
			return err
		}
		at := time.Time{}
		if env.Time != 0 {
			at = time.UnixMilli(env.Time).UTC()
		}
		byRaw := make(map[string]int, len(env.Result.List))
		for i, r := range env.Result.List {
			byRaw[r.Symbol] = i
		}
		for _, u := range want {
			s, ok := resolve(u)
			if !ok {
				continue // missing: not a symbol Bybit can list
			}
			i, ok := byRaw[s.Join("")]
			if !ok {
				continue
			}
			r := env.Result.List[i]
			var f num.Fields
			p := sdk.Price{Symbol: u, Last: f.ParseOrZero("lastPrice", r.LastPrice), Mark: f.ParseOrZero("markPrice", r.MarkPrice), Time: at}
			if err := f.Err(); err != nil {
				return rest.Malformed("bybit", "ticker of "+redact.Clip(r.Symbol, rest.MaxText), err)
			}
			book[u] = p
		}
		return nil
	}
	if req.NeedsSpot() {
		err := read("spot", req.SpotSymbols(), func(u string) (symbol.Symbol, bool) {
			s, err := symbol.Parse(u)
			return s, err == nil && s.IsSpot()
		})
		if err != nil {
			return sdk.Prices{}, err
		}
	}
	if req.NeedsFutures() {
		err := read("linear", req.FuturesSymbols(), func(u string) (symbol.Symbol, bool) {
			_, s, err := market(sdk.MarketFutures, u)
			return s, err == nil && !s.IsSpot()
		})
		if err != nil {
			return sdk.Prices{}, err
		}
	}
	return sdk.AnswerPrices("bybit", req, book), nil
}
