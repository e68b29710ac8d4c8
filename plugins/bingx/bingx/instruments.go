package bingx

import (
	"context"
	"errors"

	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/marketdata"
	"github.com/globalautomation/gahost/sdk/rest"
	"github.com/globalautomation/gahost/sdk/symbol"
)

// listedSpot is a row of GET /openApi/spot/v1/common/symbols with what the
// trading rules need beyond the steps the order check reads; minNotional
// is in the quote asset.
type listedSpot struct {
	spotSymbol
	MinQty       number `json:"minQty"`
	MinNotional  number `json:"minNotional"`
	Status       int    `json:"status"` // 1 online
	APIStateBuy  bool   `json:"apiStateBuy"`
	APIStateSell bool   `json:"apiStateSell"`
}

// listedContract is a row of GET /openApi/swap/v2/quote/contracts with
// the minimums and status; tradeMinUSDT is in USDT, the quote of the
// contracts listed.
type listedContract struct {
	contract
	Asset            string `json:"asset"`
	Currency         string `json:"currency"`
	TradeMinQuantity number `json:"tradeMinQuantity"`
	TradeMinUSDT     number `json:"tradeMinUSDT"`
	Status           int    `json:"status"` // 1 trading
	APIStateOpen     string `json:"apiStateOpen"`
}

// Instruments reads the symbol list of one market. Perpetuals have no
// steps, only decimals: the tick is 10^-pricePrecision and the step
// 10^-quantityPrecision.
func (c *Connector) Instruments(ctx context.Context, acct sdk.Account, m sdk.Market) ([]sdk.Instrument, error) {
	read, err := marketdata.ByMarket("bingx", m, c.spotInstruments, c.swapInstruments)
	if err != nil {
		return nil, err
	}
	return read(ctx, acct)
}

func (c *Connector) spotInstruments(ctx context.Context, acct sdk.Account) ([]sdk.Instrument, error) {
	ans, err := call[struct {
		Symbols []listedSpot `json:"symbols"`
	}](ctx, c, marketdata.Public(acct), rest.Request{Method: "GET", Endpoint: EndpointREST, Path: pathSpotSymbols})
	if err != nil {
		return nil, err
	}
	return marketdata.Collect("bingx", ans.Symbols, func(r listedSpot) (sdk.Instrument, bool, error) {
		u, ok := splitPair(r.Symbol)
		if !ok {
			return sdk.Instrument{}, false, nil
		}
		var f fields
		i := marketdata.Instrument(u, r.Symbol, r.Status == 1 && r.APIStateBuy && r.APIStateSell)
		i.LotStep, i.TickSize = f.dec("stepSize", r.StepSize), f.dec("tickSize", r.TickSize)
		i.MinQuantity, i.MinNotional = f.decOrZero("minQty", r.MinQty), f.decOrZero("minNotional", r.MinNotional)
		return i, true, f.err
	})
}

func (c *Connector) swapInstruments(ctx context.Context, acct sdk.Account) ([]sdk.Instrument, error) {
	rows, err := call[[]listedContract](ctx, c, marketdata.Public(acct), rest.Request{Method: "GET", Endpoint: EndpointREST, Path: pathContracts})
	if err != nil {
		return nil, err
	}
	return marketdata.Collect("bingx", rows, func(r listedContract) (sdk.Instrument, bool, error) {
		pair, ok := splitPair(r.Symbol)
		if !ok || r.Currency != "" && r.Currency != pair.Quote {
			return sdk.Instrument{}, false, nil
		}
		i := marketdata.Instrument(symbol.Perp(pair.Base, pair.Quote, pair.Quote), r.Symbol, r.Status == 1 && r.APIStateOpen != "false")
		step, err1 := precisionStep(r.QuantityPrecision)
		tick, err2 := precisionStep(r.PricePrecision)
		var f fields
		i.LotStep, i.TickSize = step, tick
		i.MinQuantity = f.decOrZero("tradeMinQuantity", r.TradeMinQuantity)
		i.MinNotional = f.decOrZero("tradeMinUSDT", r.TradeMinUSDT)
		return i, true, errors.Join(f.err, err1, err2)
	})
}
