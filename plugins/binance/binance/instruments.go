package binance

import (
	"context"

	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/num"
	"github.com/globalautomation/gahost/sdk/redact"
	"github.com/globalautomation/gahost/sdk/rest"
	"github.com/globalautomation/gahost/sdk/symbol"
)

var _ sdk.InstrumentLister = (*Connector)(nil)

// exchangeInfo is GET /api/v3/exchangeInfo and GET /fapi/v1/exchangeInfo
// , the parts both share.
type exchangeInfo struct {
	Symbols []struct {
		Symbol       string   `json:"symbol"`
		Status       string   `json:"status"`
		BaseAsset    string   `json:"baseAsset"`
		QuoteAsset   string   `json:"quoteAsset"`
		MarginAsset  string   `json:"marginAsset"`  // futures
		ContractType string   `json:"contractType"` // futures
		Filters      []filter `json:"filters"`
	} `json:"symbols"`
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
	req := rest.Request{Method: "GET", Endpoint: EndpointSpot, Path: "/api/v3/exchangeInfo",
		Query: rest.Params{}.Add("showPermissionSets", "false")}
	switch m {
	case sdk.MarketSpot:
	case sdk.MarketFutures:
		req = rest.Request{Method: "GET", Endpoint: EndpointFutures, Path: "/fapi/v1/exchangeInfo"}
	default:
		return nil, sdk.Errorf(sdk.KindInvalidRequest, "binance: market %q is neither spot nor futures", redact.Clip(string(m), 20))
	}
	var info exchangeInfo
	if err := c.http.Do(ctx, public(acct), req, &info); err != nil {
		return nil, err
	}
	out := make([]sdk.Instrument, 0, len(info.Symbols))
	for _, s := range info.Symbols {
		u := symbol.Spot(s.BaseAsset, s.QuoteAsset)
		if m == sdk.MarketFutures {
			if s.ContractType != "PERPETUAL" || s.MarginAsset != s.QuoteAsset {
				continue
			}
			u = symbol.Perp(s.BaseAsset, s.QuoteAsset, s.MarginAsset)
		}
		i := sdk.Instrument{
			Symbol: u.String(), NativeSymbols: []string{s.Symbol}, Market: m,
			Base: u.Base, Quote: u.Quote, Settle: u.Settle, Status: sdk.InstrumentHalted,
		}
		if s.Status == "TRADING" {
			i.Status = sdk.InstrumentTrading
		}
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
		if err := f.Err(); err != nil {
			return nil, rest.Malformed("binance", "filters of "+redact.Clip(s.Symbol, rest.MaxText), err)
		}
		out = append(out, i)
	}
	return out, nil
}
