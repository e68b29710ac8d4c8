package bybit

import (
	"context"

	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/num"
	"github.com/globalautomation/gahost/sdk/redact"
	"github.com/globalautomation/gahost/sdk/rest"
	"github.com/globalautomation/gahost/sdk/symbol"
)

var _ sdk.InstrumentLister = (*Connector)(nil)

// instrumentsPage is the result of GET /v5/market/instruments-info.
type instrumentsPage struct {
	NextPageCursor string `json:"nextPageCursor"`
	List           []struct {
		Symbol        string `json:"symbol"`
		ContractType  string `json:"contractType"`
		Status        string `json:"status"`
		BaseCoin      string `json:"baseCoin"`
		QuoteCoin     string `json:"quoteCoin"`
		SettleCoin    string `json:"settleCoin"`
		LotSizeFilter struct {
			BasePrecision    string `json:"basePrecision"` // spot's quantity step
			QtyStep          string `json:"qtyStep"`       // linear's
			MinOrderQty      string `json:"minOrderQty"`
			MinOrderAmt      string `json:"minOrderAmt"`      // spot, in the quote asset
			MinNotionalValue string `json:"minNotionalValue"` // linear, in USDT
		} `json:"lotSizeFilter"`
		PriceFilter struct {
			TickSize string `json:"tickSize"`
		} `json:"priceFilter"`
	} `json:"list"`
}

// maxInstrumentPages bounds the linear pages read at 1000 symbols each,
// against a cursor that never ends.
const maxInstrumentPages = 5

// Instruments reads the instrument info of one market: spot (one answer)
// or the linear perpetuals settled in their quote (pages of 1000; dated
// futures are left out, since orders go to perpetuals).
func (c *Connector) Instruments(ctx context.Context, acct sdk.Account, m sdk.Market) ([]sdk.Instrument, error) {
	category := "spot"
	switch m {
	case sdk.MarketSpot:
	case sdk.MarketFutures:
		category = "linear"
	default:
		return nil, sdk.Errorf(sdk.KindInvalidRequest, "bybit: market %q is neither spot nor futures", redact.Clip(string(m), 20))
	}
	var out []sdk.Instrument
	cursor := ""
	for range maxInstrumentPages {
		q := rest.Params{}.Add("category", category)
		if m == sdk.MarketFutures {
			q = q.Add("limit", "1000")
			if cursor != "" {
				q = q.Add("cursor", cursor)
			}
		}
		env, err := publicGet[instrumentsPage](ctx, c, acct, "/v5/market/instruments-info", q)
		if err != nil {
			return nil, err
		}
		for _, r := range env.Result.List {
			u := symbol.Spot(r.BaseCoin, r.QuoteCoin)
			var f num.Fields
			i := sdk.Instrument{NativeSymbols: []string{r.Symbol}, Market: m, Status: sdk.InstrumentHalted,
				TickSize: f.Parse("tickSize", r.PriceFilter.TickSize)}
			if m == sdk.MarketSpot {
				i.LotStep = f.Parse("basePrecision", r.LotSizeFilter.BasePrecision)
				i.MinQuantity = f.ParseOrZero("minOrderQty", r.LotSizeFilter.MinOrderQty)
				i.MinNotional = f.ParseOrZero("minOrderAmt", r.LotSizeFilter.MinOrderAmt)
			} else {
				if r.ContractType != "LinearPerpetual" || r.SettleCoin != r.QuoteCoin {
					continue
				}
				u = symbol.Perp(r.BaseCoin, r.QuoteCoin, r.SettleCoin)
				i.LotStep = f.Parse("qtyStep", r.LotSizeFilter.QtyStep)
				i.MinQuantity = f.ParseOrZero("minOrderQty", r.LotSizeFilter.MinOrderQty)
				i.MinNotional = f.ParseOrZero("minNotionalValue", r.LotSizeFilter.MinNotionalValue)
			}
			if err := f.Err(); err != nil {
				return nil, rest.Malformed("bybit", "instrument "+redact.Clip(r.Symbol, rest.MaxText), err)
			}
			i.Symbol, i.Base, i.Quote, i.Settle = u.String(), u.Base, u.Quote, u.Settle
			if r.Status == "Trading" {
				i.Status = sdk.InstrumentTrading
			}
			out = append(out, i)
		}
		cursor = env.Result.NextPageCursor
		if m == sdk.MarketSpot || cursor == "" {
			return out, nil
		}
	}
	return out, nil
}
