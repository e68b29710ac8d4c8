package bybit

import (
	"context"

	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/marketdata"
	"github.com/globalautomation/gahost/sdk/num"
	"github.com/globalautomation/gahost/sdk/rest"
	"github.com/globalautomation/gahost/sdk/symbol"
)

// instrumentsPage is the result of GET /v5/market/instruments-info.
type instrumentsPage struct {
	NextPageCursor string           `json:"nextPageCursor"`
	List           []instrumentInfo `json:"list"`
}

// instrumentInfo is one instrument of a page.
type instrumentInfo struct {
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
}

// maxInstrumentPages bounds the linear pages read at 1000 symbols each,
// against a cursor that never ends.
const maxInstrumentPages = 5

// Instruments reads the instrument info of one market: spot (one answer)
// or the linear perpetuals settled in their quote (pages of 1000; dated
// futures are left out, since orders go to perpetuals).
func (c *Connector) Instruments(ctx context.Context, acct sdk.Account, m sdk.Market) ([]sdk.Instrument, error) {
	category, err := marketdata.ByMarket("bybit", m, "spot", "linear")
	if err != nil {
		return nil, err
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
		page, err := marketdata.Collect("bybit", env.Result.List, func(r instrumentInfo) (sdk.Instrument, bool, error) {
			var f num.Fields
			if m == sdk.MarketSpot {
				i := marketdata.Instrument(symbol.Spot(r.BaseCoin, r.QuoteCoin), r.Symbol, r.Status == "Trading")
				i.LotStep = f.Parse("basePrecision", r.LotSizeFilter.BasePrecision)
				i.MinNotional = f.ParseOrZero("minOrderAmt", r.LotSizeFilter.MinOrderAmt)
				return r.common(i, &f), true, f.Err()
			}
			if r.ContractType != "LinearPerpetual" || r.SettleCoin != r.QuoteCoin {
				return sdk.Instrument{}, false, nil
			}
			i := marketdata.Instrument(symbol.Perp(r.BaseCoin, r.QuoteCoin, r.SettleCoin), r.Symbol, r.Status == "Trading")
			i.LotStep = f.Parse("qtyStep", r.LotSizeFilter.QtyStep)
			i.MinNotional = f.ParseOrZero("minNotionalValue", r.LotSizeFilter.MinNotionalValue)
			return r.common(i, &f), true, f.Err()
		})
		if err != nil {
			return nil, err
		}
		out = append(out, page...)
		cursor = env.Result.NextPageCursor
		if m == sdk.MarketSpot || cursor == "" {
			return out, nil
		}
	}
	return out, nil
}

// common fills the rules spot and linear rows state alike.
func (r instrumentInfo) common(i sdk.Instrument, f *num.Fields) sdk.Instrument {
	i.TickSize = f.Parse("tickSize", r.PriceFilter.TickSize)
	i.MinQuantity = f.ParseOrZero("minOrderQty", r.LotSizeFilter.MinOrderQty)
	return i
}
