package okx

import (
	"context"

	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/marketdata"
	"github.com/globalautomation/gahost/sdk/num"
	"github.com/globalautomation/gahost/sdk/rest"
	"github.com/globalautomation/gahost/sdk/symbol"
)

// listedInstrument is a row of GET /api/v5/public/instruments with what
// the trading rules need beyond the contract fields the order path reads.
type listedInstrument struct {
	instrument
	BaseCcy  string `json:"baseCcy"`  // SPOT
	QuoteCcy string `json:"quoteCcy"` // SPOT
	TickSz   string `json:"tickSz"`
}

// Instruments reads the instrument list of one market: SPOT, or SWAP
// keeping the linear swaps settled in their quote (the ones the connector
// trades). OKX counts swap sizes in contracts; the lot step and minimum
// are turned into base units with the contract size (ctVal × ctMult), as
// orders are. OKX sets no minimum notional.
func (c *Connector) Instruments(ctx context.Context, acct sdk.Account, m sdk.Market) ([]sdk.Instrument, error) {
	instType, err := marketdata.ByMarket("okx", m, "SPOT", "SWAP")
	if err != nil {
		return nil, err
	}
	var a struct {
		Data []listedInstrument `json:"data"`
	}
	err = c.http.Do(ctx, marketdata.Public(acct), rest.Request{
		Method: "GET", Endpoint: EndpointREST, Path: "/api/v5/public/instruments",
		Query: rest.Params{}.Add("instType", instType),
	}, &a)
	if err != nil {
		return nil, err
	}
	return marketdata.Collect("okx", a.Data, func(in listedInstrument) (sdk.Instrument, bool, error) {
		var f num.Fields
		var i sdk.Instrument
		if m == sdk.MarketSpot {
			i = marketdata.Instrument(symbol.Spot(in.BaseCcy, in.QuoteCcy), in.InstID, in.State == "live")
			i.LotStep, i.MinQuantity = f.Parse("lotSz", in.LotSz), f.ParseOrZero("minSz", in.MinSz)
		} else {
			k, ok := toContract(in.instrument)
			if !ok || !k.linear || k.symbol.Settle != k.symbol.Quote {
				return sdk.Instrument{}, false, nil
			}
			i = marketdata.Instrument(k.symbol, in.InstID, in.State == "live")
			i.LotStep, i.MinQuantity = k.lot.Mul(k.size), k.min.Mul(k.size)
		}
		i.TickSize = f.Parse("tickSz", in.TickSz)
		return i, true, f.Err()
	})
}
