package sdk

// The serving side's converters for the public market-data calls.

import (
	pb "github.com/globalautomation/gahost/proto/exchange/v1"
	"github.com/globalautomation/gahost/sdk/internal/wire"
)

func pricesToProto(p Prices) *pb.GetPricesResponse {
	out := &pb.GetPricesResponse{
		Prices:  make([]*pb.Price, 0, len(p.Prices)),
		Missing: make([]*pb.MissingPrice, 0, len(p.Missing)),
	}
	for _, x := range p.Prices {
		var ms int64
		if !x.Time.IsZero() {
			ms = x.Time.UnixMilli()
		}
		out.Prices = append(out.Prices, &pb.Price{
			Symbol: x.Symbol, Asset: x.Asset, Last: wire.Dec(x.Last), Mark: wire.OptDec(x.Mark), TimeMs: ms,
		})
	}
	for _, m := range p.Missing {
		out.Missing = append(out.Missing, &pb.MissingPrice{Symbol: m.Symbol, Asset: m.Asset, Reason: m.Reason})
	}
	return out
}

func instrumentsToProto(is []Instrument) *pb.GetInstrumentsResponse {
	out := &pb.GetInstrumentsResponse{Instruments: make([]*pb.Instrument, 0, len(is))}
	for _, i := range is {
		out.Instruments = append(out.Instruments, &pb.Instrument{
			Symbol: i.Symbol, NativeSymbols: i.NativeSymbols, Market: string(i.Market),
			Base: i.Base, Quote: i.Quote, Settle: i.Settle,
			LotStep: wire.Dec(i.LotStep), MinQuantity: wire.Dec(i.MinQuantity),
			TickSize: wire.Dec(i.TickSize), MinNotional: wire.Dec(i.MinNotional),
			Status: string(i.Status),
		})
	}
	return out
}
