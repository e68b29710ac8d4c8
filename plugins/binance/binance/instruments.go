package binance

import (
	"context"

	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/marketdata"
	"github.com/globalautomation/gahost/sdk/num"
	"github.com/globalautomation/gahost/sdk/rest"
	"github.com/globalautomation/gahost/sdk/symbol"
)

// exchangeInfo is GET /api/v3/exchangeInfo and GET /fapi/v1/exchangeInfo,
// the parts both share.
type exchangeInfo struct {
	Symbols []exchangeSymbol `json:"symbols"`
}

// exchangeSymbol is one symbol of the exchange info.
type exchangeSymbol struct {
	Symbol       string   `json:"symbol"`
	Status       string   `json:"status"`
	BaseAsset    string   `json:"baseAsset"`
	QuoteAsset   string   `json:"quoteAsset"`
	MarginAsset  string   `json:"marginAsset"`  // futures
	ContractType string   `json:"contractType"` // futures
	Filters      []filter `json:"filters"`
}

// filter is one entry of a symbol's filters; each type fills its own
// fields. Spot's minimum notional is NOTIONAL (or the older MIN_NOTIONAL)
// minNotional, futures' is MIN_NOTIONAL notional.
type filter struct {
	FilterType  string `json:"filterType"`
	TickSize    string `json:"tickSize"`
	StepSize    string `json:"stepSize"`
	MinQty      string `json:"minQty"`
	MinNotional string `json:"minNotional"`
	Notional    string `json:"notional"`
}

// Instruments reads the exchange info of one market: spot (weight 20,
// without the permission sets that make the answer many megabytes) or the
// USDⓈ-M perpetuals settled in their quote asset (weight 1; delivery
// contracts are left out, since orders go to perpetuals).
func (c *Connector) Instruments(ctx context.Context, acct sdk.Account, m sdk.Market) ([]sdk.Instrument, error) {
	req, err := marketdata.ByMarket("binance", m,
		rest.Request{Method: "GET", Endpoint: EndpointSpot, Path: "/api/v3/exchangeInfo",
			Query: rest.Params{}.Add("showPermissionSets", "false")},
		rest.Request{Method: "GET", Endpoint: EndpointFutures, Path: "/fapi/v1/exchangeInfo"})
	if err != nil {
		return nil, err
	}
	var info exchangeInfo
	if err := c.http.Do(ctx, marketdata.Public(acct), req, &info); err != nil {
		return nil, err
	}
	return marketdata.Collect("binance", info.Symbols, func(s exchangeSymbol) (sdk.Instrument, bool, error) {
		u := symbol.Spot(s.BaseAsset, s.QuoteAsset)
		if m == sdk.MarketFutures {
			if s.ContractType != "PERPETUAL" || s.MarginAsset != s.QuoteAsset {
				return sdk.Instrument{}, false, nil
			}
			u = symbol.Perp(s.BaseAsset, s.QuoteAsset, s.MarginAsset)
		}
		i := marketdata.Instrument(u, s.Symbol, s.Status == "TRADING")
		var f num.Fields
		for _, x := range s.Filters {
			switch x.FilterType {
			case "PRICE_FILTER":
				i.TickSize = f.Parse("tickSize", x.TickSize)
			case "LOT_SIZE":
				i.LotStep, i.MinQuantity = f.Parse("stepSize", x.StepSize), f.Parse("minQty", x.MinQty)
			case "NOTIONAL":
				i.MinNotional = f.Parse("minNotional", x.MinNotional)
			case "MIN_NOTIONAL":
				if x.Notional != "" {
					i.MinNotional = f.Parse("notional", x.Notional)
				} else if i.MinNotional.IsZero() {
					i.MinNotional = f.Parse("minNotional", x.MinNotional)
				}
			}
		}
		return i, true, f.Err()
	})
}
