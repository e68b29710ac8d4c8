package okx

import (
	"context"

	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/num"
	"github.com/globalautomation/gahost/sdk/redact"
	"github.com/globalautomation/gahost/sdk/rest"
	"github.com/globalautomation/gahost/sdk/symbol"
)

var _ sdk.InstrumentLister = (*Connector)(nil)

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
	instType := "SPOT"
	switch m {
	case sdk.MarketSpot:
	case sdk.MarketFutures:
		instType = "SWAP"
	default:
		return nil, sdk.Errorf(sdk.KindInvalidRequest, "okx: market %q is neither spot nor futures", redact.Clip(string(m), 20))
	}
	var a struct {
		Data []listedInstrument `json:"data"`
	}
	err := c.http.Do(ctx, public(acct), rest.Request{
		Method: "GET", Endpoint: EndpointREST, Path: "/api/v5/public/instruments",
		Query: rest.Params{}.Add("instType", instType),
	}, &a)
	if err != nil {
		return nil, err
	}
	out := make([]sdk.Instrument, 0, len(a.Data))
	for _, in := range a.Data {
		var f num.Fields
		i := sdk.Instrument{NativeSymbols: []string{in.InstID}, Market: m, Status: sdk.InstrumentHalted,
			TickSize: f.Parse("tickSz", in.TickSz)}
		var u symbol.Symbol
		if m == sdk.MarketSpot {
			u = symbol.Spot(in.BaseCcy, in.QuoteCcy)
			i.LotStep, i.MinQuantity = f.Parse("lotSz", in.LotSz), f.ParseOrZero("minSz", in.MinSz)
		} else {
			k, ok := toContract(in.instrument)
			if !ok || !k.linear || k.symbol.Settle != k.symbol.Quote {
				continue
			}
			u = k.symbol
			i.LotStep, i.MinQuantity = k.lot.Mul(k.size), k.min.Mul(k.size)
		}
		if err := f.Err(); err != nil {
			return nil, rest.Malformed("okx", "instrument "+redact.Clip(in.InstID, rest.MaxText), err)
		}
		i.Symbol, i.Base, i.Quote, i.Settle = u.String(), u.Base, u.Quote, u.Settle
		if in.State == "live" {
			i.Status = sdk.InstrumentTrading
		}
		out = append(out, i)
	}
	return out, nil
}
