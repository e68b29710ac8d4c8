package okx

import (
	"context"
	"fmt"

	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/holdings"
	"github.com/globalautomation/gahost/sdk/num"
	"github.com/globalautomation/gahost/sdk/redact"
	"github.com/globalautomation/gahost/sdk/rest"
	"github.com/shopspring/decimal"
)

// positionRow is one row of GET /api/v5/account/positions.
type positionRow struct {
	InstType string `json:"instType"`
	InstID   string `json:"instId"`
	MgnMode  string `json:"mgnMode"`
	PosSide  string `json:"posSide"`
	Pos      string `json:"pos"`
	AvgPx    string `json:"avgPx"`
	MarkPx   string `json:"markPx"`
	Upl      string `json:"upl"`
	Lever    string `json:"lever"`
	LiqPx    string `json:"liqPx"`
}

// Position sides on the wire.
const (
	posNet   = "net"
	posLong  = "long"
	posShort = "short"
)

func (c *Connector) positionRows(ctx context.Context, acct sdk.Account, instID string) ([]positionRow, error) {
	q := rest.Params{}.Add("instType", "SWAP")
	if instID != "" {
		q = q.Add("instId", instID)
	}
	var a struct {
		Data []positionRow `json:"data"`
	}
	err := c.http.Do(ctx, acct, rest.Request{
		Method: "GET", Endpoint: EndpointREST, Path: "/api/v5/account/positions", Query: q, Signed: true,
	}, &a)
	return a.Data, err
}

// Positions lists open USDT-margined (linear) perpetual positions. In
// one-way mode a swap has one net row whose sign is the side; in hedge
// mode separate long and short rows with positive sizes. OKX counts in
// contracts; sizes are turned into base units with the contract value.
// Zero rows are left out, and so are coin-margined swaps, which this
// connector does not cover.
func (c *Connector) Positions(ctx context.Context, acct sdk.Account) ([]sdk.Position, error) {
	rows, err := c.positionRows(ctx, acct, "")
	if err != nil {
		return nil, err
	}
	return holdings.Positions(rows, func(r positionRow) (sdk.Position, bool, error) {
		pos, err := num.Parse(r.Pos)
		if err != nil {
			return sdk.Position{}, false, rest.Malformed("okx", "position size of "+redact.Clip(r.InstID, rest.MaxText), err)
		}
		if pos.IsZero() || (r.InstType != "" && r.InstType != "SWAP") {
			return sdk.Position{}, false, nil
		}
		k, listed, err := c.insts.swap(ctx, acct, r.InstID)
		if err != nil {
			return sdk.Position{}, false, err
		}
		if !listed {
			return sdk.Position{}, false, sdk.Errorf(sdk.KindUnknown, "okx: position on %s, which OKX's instrument list lacks: its contract size is unknown", redact.Clip(r.InstID, rest.MaxText))
		}
		if !k.linear {
			return sdk.Position{}, false, nil
		}
		p, err := toPosition(r, pos, k)
		if err != nil {
			return sdk.Position{}, false, err
		}
		return p, true, nil
	})
}

func toPosition(r positionRow, pos decimal.Decimal, k contract) (sdk.Position, error) {
	var f num.Fields
	p := sdk.Position{
		Symbol:           k.symbol.String(),
		Size:             pos.Abs().Mul(k.size),
		EntryPrice:       f.Parse("avgPx", r.AvgPx),
		MarkPrice:        f.Parse("markPx", r.MarkPx),
		UnrealizedPnL:    f.Parse("upl", r.Upl),
		Leverage:         f.ParseOrZero("lever", r.Lever),
		LiquidationPrice: f.ParseOrZero("liqPx", r.LiqPx), // "" when there is none
	}
	if err := f.Err(); err != nil {
		return sdk.Position{}, rest.Malformed("okx", "position "+redact.Clip(r.InstID, rest.MaxText), err)
	}
	switch r.PosSide {
	case posLong, posShort, posNet, "":
		// net (one-way mode) leaves the side to the sign of pos.
		p.Side = sdk.PositionSideOf(r.PosSide, pos)
	default:
		return sdk.Position{}, rest.Malformed("okx", "position "+redact.Clip(r.InstID, rest.MaxText), fmt.Errorf("posSide %q", redact.Clip(r.PosSide, rest.MaxText)))
	}
	mode, ok := sdk.MarginModeOf(r.MgnMode)
	if !ok {
		return sdk.Position{}, rest.Malformed("okx", "position "+redact.Clip(r.InstID, rest.MaxText), fmt.Errorf("mgnMode %q", redact.Clip(r.MgnMode, rest.MaxText)))
	}
	p.MarginMode = mode
	return p, nil
}
