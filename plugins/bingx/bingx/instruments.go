package bingx

import (
	"context"
	"errors"

	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/redact"
	"github.com/globalautomation/gahost/sdk/rest"
	"github.com/globalautomation/gahost/sdk/symbol"
)

var _ sdk.InstrumentLister = (*Connector)(nil)

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
	switch m {
	case sdk.MarketSpot:
		return c.spotInstruments(ctx, acct)
	case sdk.MarketFutures:
		return c.swapInstruments(ctx, acct)
	}
	return nil, sdk.Errorf(sdk.KindInvalidRequest, "bingx: market %q is neither spot nor futures", redact.Clip(string(m), 20))
}

func (c *Connector) spotInstruments(ctx context.Context, acct sdk.Account) ([]sdk.Instrument, error) {
	ans, err := call[struct {
		Symbols []listedSpot `json:"symbols"`
	}](ctx, c, public(acct), rest.Request{Method: "GET", Endpoint: EndpointREST, Path: pathSpotSymbols})
	if err != nil {
		return nil, err
	}
	out := make([]sdk.Instrument, 0, len(ans.Symbols))
	for _, r := range ans.Symbols {
		u, ok := splitPair(r.Symbol)
		if !ok {
			continue
		}
		var f fields
		i := sdk.Instrument{
			Symbol: u.String(), NativeSymbols: []string{r.Symbol}, Market: sdk.MarketSpot, Base: u.Base, Quote: u.Quote,
			LotStep: f.dec("stepSize", r.StepSize), TickSize: f.dec("tickSize", r.TickSize),
			MinQuantity: f.decOrZero("minQty", r.MinQty), MinNotional: f.decOrZero("minNotional", r.MinNotional),
			Status: sdk.InstrumentHalted,
		}
		if f.err != nil {
			return nil, rest.Malformed("bingx", "spot symbol "+redact.Clip(r.Symbol, rest.MaxText), f.err)
		}
		if r.Status == 1 && r.APIStateBuy && r.APIStateSell {
			i.Status = sdk.InstrumentTrading
		}
		out = append(out, i)
	}
	return out, nil
}

func (c *Connector) swapInstruments(ctx context.Context, acct sdk.Account) ([]sdk.Instrument, error) {
	rows, err := call[[]listedContract](ctx, c, public(acct), rest.Request{Method: "GET", Endpoint: EndpointREST, Path: pathContracts})
	if err != nil {
		return nil, err
	}
	out := make([]sdk.Instrument, 0, len(rows))
	for _, r := range rows {
		pair, ok := splitPair(r.Symbol)
		if !ok || r.Currency != "" && r.Currency != pair.Quote {
			continue
		}
		u := symbol.Perp(pair.Base, pair.Quote, pair.Quote)
		step, err1 := precisionStep(r.QuantityPrecision)
		tick, err2 := precisionStep(r.PricePrecision)
		var f fields
		i := sdk.Instrument{
			Symbol: u.String(), NativeSymbols: []string{r.Symbol}, Market: sdk.MarketFutures,
			Base: u.Base, Quote: u.Quote, Settle: u.Settle, LotStep: step, TickSize: tick,
			MinQuantity: f.decOrZero("tradeMinQuantity", r.TradeMinQuantity),
			MinNotional: f.decOrZero("tradeMinUSDT", r.TradeMinUSDT),
			Status:      sdk.InstrumentHalted,
		}
		if err := errors.Join(f.err, err1, err2); err != nil {
			return nil, rest.Malformed("bingx", "contract "+redact.Clip(r.Symbol, rest.MaxText), err)
		}
		if r.Status == 1 && r.APIStateOpen != "false" {
			i.Status = sdk.InstrumentTrading
		}
		out = append(out, i)
	}
	return out, nil
}
