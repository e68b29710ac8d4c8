package binance

import (
	"context"

	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/holdings"
	"github.com/globalautomation/gahost/sdk/num"
	"github.com/globalautomation/gahost/sdk/redact"
	"github.com/globalautomation/gahost/sdk/rest"
	"github.com/globalautomation/gahost/sdk/settings"
	"github.com/shopspring/decimal"
)

// positionRisk is one row of GET /fapi/v3/positionRisk. Note the
// capital R of unRealizedProfit here, unlike the account endpoint.
type positionRisk struct {
	Symbol           string `json:"symbol"`
	PositionSide     string `json:"positionSide"`
	PositionAmt      string `json:"positionAmt"`
	EntryPrice       string `json:"entryPrice"`
	MarkPrice        string `json:"markPrice"`
	UnRealizedProfit string `json:"unRealizedProfit"`
	LiquidationPrice string `json:"liquidationPrice"`
	IsolatedWallet   string `json:"isolatedWallet"`
	MarginAsset      string `json:"marginAsset"`
}

// symbolConfig is one row of GET /fapi/v1/symbolConfig, where v3 moved
// leverage and margin type to.
type symbolConfig struct {
	Symbol     string `json:"symbol"`
	MarginType string `json:"marginType"` // CROSSED or ISOLATED
	Leverage   int64  `json:"leverage"`
}

// Positions lists open USDⓈ-M positions. In hedge mode a symbol has a LONG
// and a SHORT row, in one-way mode one BOTH row whose sign is the side;
// rows of size zero (a symbol with only open orders) are left out.
// Leverage and margin type come from /fapi/v1/symbolConfig, read again
// only when the open positions change or the last read is settings.TTL
// old, so a leverage changed by hand on an unchanged position shows within
// five minutes.
func (c *Connector) Positions(ctx context.Context, acct sdk.Account) ([]sdk.Position, error) {
	var rows []positionRisk
	err := c.http.Do(ctx, acct, rest.Request{
		Method: "GET", Endpoint: EndpointFutures, Path: "/fapi/v3/positionRisk", Signed: true,
	}, &rows)
	if err != nil {
		return nil, err
	}
	live, err := holdings.Open("binance", rows, func(r positionRisk) (string, string) { return r.Symbol, r.PositionAmt })
	if err != nil {
		return nil, err
	}
	if len(live) == 0 {
		return []sdk.Position{}, nil
	}
	symbols := map[string]bool{}
	openRows := make([][]string, 0, len(live))
	for _, o := range live {
		symbols[o.Row.Symbol] = true
		openRows = append(openRows, []string{o.Row.Symbol, o.Row.PositionSide, o.Row.PositionAmt})
	}
	configs, err := c.leverage.Read(acct.APIKey, settings.Positions(openRows...), func() (map[string]symbolConfig, error) {
		return c.symbolConfigs(ctx, acct, symbols)
	})
	if err != nil {
		return nil, err
	}
	return holdings.Positions(live, func(o holdings.Sized[positionRisk]) (sdk.Position, bool, error) {
		p, err := toPosition(o.Row, o.Size, configs[o.Row.Symbol])
		return p, true, err
	})
}

// symbolConfigs fetches leverage and margin type, for one symbol when only
// one has a position (a smaller answer), else for all.
func (c *Connector) symbolConfigs(ctx context.Context, acct sdk.Account, symbols map[string]bool) (map[string]symbolConfig, error) {
	var q rest.Params
	if len(symbols) == 1 {
		for s := range symbols {
			q = q.Add("symbol", s)
		}
	}
	var rows []symbolConfig
	err := c.http.Do(ctx, acct, rest.Request{
		Method: "GET", Endpoint: EndpointFutures, Path: "/fapi/v1/symbolConfig", Query: q, Signed: true,
	}, &rows)
	if err != nil {
		return nil, err
	}
	out := make(map[string]symbolConfig, len(rows))
	for _, r := range rows {
		out[r.Symbol] = r
	}
	return out, nil
}

func toPosition(r positionRisk, amt decimal.Decimal, cfg symbolConfig) (sdk.Position, error) {
	var f num.Fields
	p := sdk.Position{
		Symbol:           unifiedFutures(r.Symbol, r.MarginAsset),
		Size:             amt.Abs(),
		EntryPrice:       f.Parse("entryPrice", r.EntryPrice),
		MarkPrice:        f.Parse("markPrice", r.MarkPrice),
		UnrealizedPnL:    f.Parse("unRealizedProfit", r.UnRealizedProfit),
		LiquidationPrice: f.ParseOrZero("liquidationPrice", r.LiquidationPrice),
		Leverage:         decimal.NewFromInt(cfg.Leverage),
	}
	isolatedWallet := f.ParseOrZero("isolatedWallet", r.IsolatedWallet)
	if err := f.Err(); err != nil {
		return sdk.Position{}, rest.Malformed("binance", "position "+redact.Clip(r.Symbol, rest.MaxText), err)
	}
	// One-way mode's BOTH leaves the side to the sign of the amount.
	p.Side = sdk.PositionSideOf(r.PositionSide, amt)
	mode, ok := sdk.MarginModeOf(cfg.MarginType) // CROSSED or ISOLATED
	if !ok {
		// No config row: an isolated position has its own wallet.
		mode = sdk.MarginCross
		if !isolatedWallet.IsZero() {
			mode = sdk.MarginIsolate
		}
	}
	p.MarginMode = mode
	return p, nil
}
