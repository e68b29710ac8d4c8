package bingx

import (
	"context"

	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/holdings"
	"github.com/globalautomation/gahost/sdk/redact"
	"github.com/globalautomation/gahost/sdk/rest"
)

// positionRow is one row of GET /openApi/swap/v2/user/positions.
// Amounts are strings, liquidationPrice a number and leverage an int;
// number takes each either way.
type positionRow struct {
	Symbol           string `json:"symbol"`
	Currency         string `json:"currency"`
	PositionSide     string `json:"positionSide"`
	PositionAmt      number `json:"positionAmt"`
	AvgPrice         number `json:"avgPrice"`
	MarkPrice        number `json:"markPrice"`
	UnrealizedProfit number `json:"unrealizedProfit"`
	Leverage         number `json:"leverage"`
	LiquidationPrice number `json:"liquidationPrice"`
	Isolated         bool   `json:"isolated"`
}

// Positions lists open perpetual positions. positionAmt is unsigned and
// the side is positionSide (unlike Binance); a BOTH row, which the
// page allows in one-way mode, takes its side from the amount's sign.
// Rows of size zero are left out.
func (c *Connector) Positions(ctx context.Context, acct sdk.Account) ([]sdk.Position, error) {
	rows, err := call[[]positionRow](ctx, c, acct, rest.Request{
		Method: "GET", Endpoint: EndpointREST, Path: pathPositions, Signed: true,
	})
	if err != nil {
		return nil, err
	}
	return holdings.Positions(rows, toPosition)
}

func toPosition(r positionRow) (sdk.Position, bool, error) {
	var f fields
	amt := f.dec("positionAmt", r.PositionAmt)
	if err := f.err; err != nil {
		return sdk.Position{}, false, rest.Malformed("bingx", "position size of "+redact.Clip(r.Symbol, rest.MaxText), err)
	}
	if amt.IsZero() {
		return sdk.Position{}, false, nil
	}
	p := sdk.Position{
		Symbol:           unifiedSwap(r.Symbol, r.Currency),
		Size:             amt.Abs(),
		EntryPrice:       f.dec("avgPrice", r.AvgPrice),
		MarkPrice:        f.decOrZero("markPrice", r.MarkPrice),
		UnrealizedPnL:    f.dec("unrealizedProfit", r.UnrealizedProfit),
		Leverage:         f.decOrZero("leverage", r.Leverage),
		LiquidationPrice: f.decOrZero("liquidationPrice", r.LiquidationPrice),
		MarginMode:       sdk.MarginCross,
	}
	if err := f.err; err != nil {
		return sdk.Position{}, false, rest.Malformed("bingx", "position "+redact.Clip(r.Symbol, rest.MaxText), err)
	}
	p.Side = sdk.PositionSideOf(r.PositionSide, amt)
	if r.Isolated {
		p.MarginMode = sdk.MarginIsolate
	}
	return p, true, nil
}
