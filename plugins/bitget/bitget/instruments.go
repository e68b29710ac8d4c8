package bitget

import (
	"context"
	"errors"
	"strconv"

	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/marketdata"
	"github.com/globalautomation/gahost/sdk/num"
	"github.com/globalautomation/gahost/sdk/rest"
	"github.com/globalautomation/gahost/sdk/symbol"
	"github.com/shopspring/decimal"
)

// spotSymbol is a row of GET /api/v2/spot/public/symbols.
type spotSymbol struct {
	Symbol            string  `json:"symbol"`
	BaseCoin          string  `json:"baseCoin"`
	QuoteCoin         string  `json:"quoteCoin"`
	MinTradeAmount    string  `json:"minTradeAmount"`
	PricePrecision    numText `json:"pricePrecision"`
	QuantityPrecision numText `json:"quantityPrecision"`
	MinTradeUSDT      string  `json:"minTradeUSDT"`
	Status            string  `json:"status"`
}

// contractRow is a row of GET /api/v2/mix/market/contracts.
type contractRow struct {
	Symbol         string   `json:"symbol"`
	BaseCoin       string   `json:"baseCoin"`
	QuoteCoin      string   `json:"quoteCoin"`
	SupportMargins []string `json:"supportMarginCoins"`
	MinTradeNum    string   `json:"minTradeNum"`
	PriceEndStep   string   `json:"priceEndStep"`
	PricePlace     numText  `json:"pricePlace"`
	SizeMultiplier string   `json:"sizeMultiplier"`
	SymbolType     string   `json:"symbolType"`
	MinTradeUSDT   string   `json:"minTradeUSDT"`
	SymbolStatus   string   `json:"symbolStatus"`
}

// Instruments reads the instrument list of one market: spot, or the
// USDT-FUTURES perpetuals (delivery contracts are left out, since orders
// go to perpetuals).
func (c *Connector) Instruments(ctx context.Context, acct sdk.Account, m sdk.Market) ([]sdk.Instrument, error) {
	read, err := marketdata.ByMarket("bitget", m, c.spotInstruments, c.futuresInstruments)
	if err != nil {
		return nil, err
	}
	return read(ctx, acct)
}

// spotInstruments: the tick is 10^-pricePrecision and the step
// 10^-quantityPrecision. The minimum value minTradeUSDT is in USDT, which
// is the quote's unit only on USDT pairs; elsewhere no minimum notional in
// the quote is known and it is left zero.
func (c *Connector) spotInstruments(ctx context.Context, acct sdk.Account) ([]sdk.Instrument, error) {
	var rows []spotSymbol
	if _, err := c.call(ctx, marketdata.Public(acct), rest.Request{Method: "GET", Endpoint: EndpointREST, Path: pathSpotSymbols}, &rows); err != nil {
		return nil, err
	}
	return marketdata.Collect("bitget", rows, func(r spotSymbol) (sdk.Instrument, bool, error) {
		var f num.Fields
		tick, err1 := places(r.PricePrecision)
		step, err2 := places(r.QuantityPrecision)
		i := marketdata.Instrument(symbol.Spot(r.BaseCoin, r.QuoteCoin), r.Symbol, r.Status == "online")
		i.LotStep, i.TickSize, i.MinQuantity = step, tick, f.ParseOrZero("minTradeAmount", r.MinTradeAmount)
		if i.Quote == "USDT" {
			i.MinNotional = f.ParseOrZero("minTradeUSDT", r.MinTradeUSDT)
		}
		return i, true, errors.Join(f.Err(), err1, err2)
	})
}

// futuresInstruments: the tick is priceEndStep × 10^-pricePlace and the
// step sizeMultiplier; minTradeUSDT is in the USDT the contracts are
// quoted in.
func (c *Connector) futuresInstruments(ctx context.Context, acct sdk.Account) ([]sdk.Instrument, error) {
	var rows []contractRow
	req := rest.Request{Method: "GET", Endpoint: EndpointREST, Path: pathContracts, Query: rest.Params{}.Add("productType", productType)}
	if _, err := c.call(ctx, marketdata.Public(acct), req, &rows); err != nil {
		return nil, err
	}
	return marketdata.Collect("bitget", rows, func(r contractRow) (sdk.Instrument, bool, error) {
		if r.SymbolType != "perpetual" {
			return sdk.Instrument{}, false, nil
		}
		var f num.Fields
		unit, err := places(r.PricePlace)
		i := marketdata.Instrument(symbol.Perp(r.BaseCoin, r.QuoteCoin, r.QuoteCoin), r.Symbol, r.SymbolStatus == "normal")
		i.LotStep, i.MinQuantity = f.Parse("sizeMultiplier", r.SizeMultiplier), f.ParseOrZero("minTradeNum", r.MinTradeNum)
		i.TickSize = f.Parse("priceEndStep", r.PriceEndStep).Mul(unit)
		i.MinNotional = f.ParseOrZero("minTradeUSDT", r.MinTradeUSDT)
		return i, true, errors.Join(f.Err(), err)
	})
}

// places is 10^-n for a count of decimals n.
func places(n numText) (decimal.Decimal, error) {
	v, err := strconv.Atoi(string(n))
	if err != nil || v < 0 || v > 30 {
		return decimal.Zero, errFieldValue("precision", string(n))
	}
	return decimal.New(1, int32(-v)), nil
}
