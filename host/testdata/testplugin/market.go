package main

import (
	"context"

	"github.com/globalautomation/gahost/sdk"
)

// The public market data, canned: BTC/USDT and its perpetual are listed,
// nothing else. The plugin declares no cost for them (CallCosts only), so
// a host charges each call the one unit an undeclared call pays, and the
// weight reported here is that same unit.

var book = map[string]sdk.Price{
	"BTC/USDT":      {Symbol: "BTC/USDT", Last: d("60000.5")},
	"BTC/USDT:USDT": {Symbol: "BTC/USDT:USDT", Last: d("60010"), Mark: d("60005.25")},
}

func (c *connector) Prices(ctx context.Context, a sdk.Account, r sdk.PriceRequest) (sdk.Prices, error) {
	if err := c.behave(ctx, a, 1); err != nil {
		return sdk.Prices{}, err
	}
	return sdk.AnswerPrices(name, r, book), nil
}

func (c *connector) Instruments(ctx context.Context, a sdk.Account, m sdk.Market) ([]sdk.Instrument, error) {
	if err := c.behave(ctx, a, 1); err != nil {
		return nil, err
	}
	i := sdk.Instrument{
		Symbol: "BTC/USDT", NativeSymbols: []string{"BTCUSDT"}, Market: sdk.MarketSpot, Base: "BTC", Quote: "USDT",
		LotStep: d("0.00001"), MinQuantity: d("0.00001"), TickSize: d("0.01"), MinNotional: d("5"), Status: sdk.InstrumentTrading,
	}
	if m == sdk.MarketFutures {
		i.Symbol, i.Market, i.Settle, i.LotStep, i.MinQuantity, i.TickSize = "BTC/USDT:USDT", sdk.MarketFutures, "USDT", d("0.001"), d("0.001"), d("0.1")
	}
	return []sdk.Instrument{i}, nil
}
