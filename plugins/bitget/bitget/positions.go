package bitget

import (
	"context"

	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/holdings"
	"github.com/globalautomation/gahost/sdk/num"
	"github.com/globalautomation/gahost/sdk/redact"
	"github.com/globalautomation/gahost/sdk/rest"
)

const pathPositions = "/api/v2/mix/position/all-position"

// positionRow is one row of GET all-position. leverage comes as a
// string or a number depending on the answer's age.
type positionRow struct {
	Symbol           string  `json:"symbol"`
	MarginCoin       string  `json:"marginCoin"`
	HoldSide         string  `json:"holdSide"`
	Total            numText `json:"total"`
	OpenPriceAvg     numText `json:"openPriceAvg"`
	MarkPrice        numText `json:"markPrice"`
	UnrealizedPL     numText `json:"unrealizedPL"`
	Leverage         numText `json:"leverage"`
	LiquidationPrice numText `json:"liquidationPrice"`
	MarginMode       string  `json:"marginMode"`
}

// classicPositions lists open USDT-FUTURES positions. Hedge mode answers a row per
// side; one-way mode one row whose holdSide is the direction. Rows of size
// zero are left out.
func (c *Connector) classicPositions(ctx context.Context, acct sdk.Account) ([]sdk.Position, error) {
	var rows []positionRow
	_, err := c.call(ctx, acct, rest.Request{
		Method: "GET", Endpoint: EndpointREST, Path: pathPositions,
		Query:  rest.Params{}.Add("productType", productType).Add("marginCoin", marginCoin).Sorted(),
		Signed: true,
	}, &rows)
	if err != nil {
		return nil, err
	}
	return holdings.Positions(rows, toPosition)
}

func toPosition(r positionRow) (sdk.Position, bool, error) {
	var f num.Fields
	size := f.Parse("total", string(r.Total))
	p := sdk.Position{
		Symbol:           unifiedFutures(r.Symbol, r.MarginCoin),
		Size:             size.Abs(),
		EntryPrice:       f.ParseOrZero("openPriceAvg", string(r.OpenPriceAvg)),
		MarkPrice:        f.ParseOrZero("markPrice", string(r.MarkPrice)),
		UnrealizedPnL:    f.ParseOrZero("unrealizedPL", string(r.UnrealizedPL)),
		Leverage:         f.ParseOrZero("leverage", string(r.Leverage)),
		LiquidationPrice: f.ParseOrZero("liquidationPrice", string(r.LiquidationPrice)),
	}
	if err := f.Err(); err != nil {
		return p, false, rest.Malformed("bitget", "position "+redact.Clip(r.Symbol, rest.MaxText), err)
	}
	if size.IsZero() {
		return p, false, nil
	}
	// One-way rows are expected to name the direction too (the docs could
	// not confirm it); a signed size is the fallback.
	p.Side = sdk.PositionSideOf(r.HoldSide, size)
	// An answer without the mode is cross, Bitget's default.
	mode, ok := sdk.MarginModeOf(r.MarginMode)
	switch {
	case r.MarginMode == "":
		mode = sdk.MarginCross
	case !ok:
		return p, false, rest.Malformed("bitget", "position "+redact.Clip(r.Symbol, rest.MaxText), errFieldValue("marginMode", r.MarginMode))
	}
	p.MarginMode = mode
	return p, true, nil
}
