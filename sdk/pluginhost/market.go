package pluginhost

// The host's side of the public market-data calls: prices and instruments.

import (
	"context"
	"time"

	pb "github.com/globalautomation/gahost/proto/exchange/v1"
	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/internal/wire"
)

var (
	_ sdk.PriceReader      = (*Client)(nil)
	_ sdk.InstrumentLister = (*Client)(nil)
)

// Prices reads public prices. A plugin built before the call, or whose
// connector serves no prices, answers an error of sdk.KindUnsupported.
func (c *Client) Prices(ctx context.Context, a sdk.Account, req sdk.PriceRequest) (sdk.Prices, error) {
	r, _, err := call(c, ctx, c.rpc.GetPrices, &pb.GetPricesRequest{
		Account: accountToProto(a), Symbols: req.Symbols, Assets: req.Assets,
	})
	if err != nil {
		return sdk.Prices{}, err
	}
	return wireErr(pricesFromProto(r))
}

// Instruments lists a market's instruments. A plugin built before the
// call, or whose connector lists none, answers an error of
// sdk.KindUnsupported.
func (c *Client) Instruments(ctx context.Context, a sdk.Account, m sdk.Market) ([]sdk.Instrument, error) {
	r, _, err := call(c, ctx, c.rpc.GetInstruments, &pb.GetInstrumentsRequest{Account: accountToProto(a), Market: string(m)})
	if err != nil {
		return nil, err
	}
	return wireErr(instrumentsFromProto(r))
}

func pricesFromProto(p *pb.GetPricesResponse) (sdk.Prices, error) {
	var d wire.Decs
	out := sdk.Prices{
		Prices:  make([]sdk.Price, 0, len(p.GetPrices())),
		Missing: make([]sdk.MissingPrice, 0, len(p.GetMissing())),
	}
	for _, x := range p.GetPrices() {
		pr := sdk.Price{
			Symbol: x.GetSymbol(), Asset: x.GetAsset(),
			Last: d.Parse("last", x.GetLast()), Mark: d.Parse("mark", x.GetMark()),
		}
		if ms := x.GetTimeMs(); ms != 0 {
			pr.Time = time.UnixMilli(ms).UTC()
		}
		out.Prices = append(out.Prices, pr)
	}
	for _, m := range p.GetMissing() {
		out.Missing = append(out.Missing, sdk.MissingPrice{Symbol: m.GetSymbol(), Asset: m.GetAsset(), Reason: m.GetReason()})
	}
	return out, d.Err
}

func instrumentsFromProto(p *pb.GetInstrumentsResponse) ([]sdk.Instrument, error) {
	var d wire.Decs
	out := make([]sdk.Instrument, 0, len(p.GetInstruments()))
	for _, x := range p.GetInstruments() {
		out = append(out, sdk.Instrument{
			Symbol: x.GetSymbol(), NativeSymbols: x.GetNativeSymbols(), Market: sdk.Market(x.GetMarket()),
			Base: x.GetBase(), Quote: x.GetQuote(), Settle: x.GetSettle(),
			LotStep:     d.Parse("lot_step", x.GetLotStep()),
			MinQuantity: d.Parse("min_quantity", x.GetMinQuantity()),
			TickSize:    d.Parse("tick_size", x.GetTickSize()),
			MinNotional: d.Parse("min_notional", x.GetMinNotional()),
			Status:      sdk.InstrumentStatus(x.GetStatus()),
		})
	}
	return out, d.Err
}
