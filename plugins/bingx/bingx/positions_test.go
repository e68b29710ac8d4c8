package bingx_test

import (
	"strings"
	"testing"

	"github.com/globalautomation/gahost/plugins/bingx/fake"
	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/fakex"
)

type wantPos struct {
	symbol                            string
	side                              sdk.PositionSide
	size, entry, mark, upnl, lev, liq string
	mode                              sdk.MarginMode
}

func checkPositions(t *testing.T, got []sdk.Position, want []wantPos) {
	t.Helper()
	if got == nil || len(got) != len(want) {
		t.Fatalf("positions %+v, want %d", got, len(want))
	}
	for i, w := range want {
		p := got[i]
		if p.Symbol != w.symbol || p.Side != w.side || p.MarginMode != w.mode {
			t.Errorf("position %d: %s %s %s, want %s %s %s", i, p.Symbol, p.Side, p.MarginMode, w.symbol, w.side, w.mode)
		}
		eq(t, "size", p.Size, w.size)
		eq(t, "entry", p.EntryPrice, w.entry)
		eq(t, "mark", p.MarkPrice, w.mark)
		eq(t, "upnl", p.UnrealizedPnL, w.upnl)
		eq(t, "leverage", p.Leverage, w.lev)
		eq(t, "liquidation", p.LiquidationPrice, w.liq)
	}
}

func TestPositions(t *testing.T) {
	tests := []struct {
		name string
		rows []fake.Position
		want []wantPos
	}{
		{
			name: "one-way long and short, zero row left out",
			rows: []fake.Position{
				{Symbol: "BTC-USDT", PositionSide: "LONG", PositionAmt: "0.2500", AvgPrice: "60000.1", MarkPrice: "61000", UnrealizedProfit: "224.975", LiquidationPrice: "40000.5", Leverage: 10},
				{Symbol: "ETH-USDT", PositionSide: "SHORT", PositionAmt: "3", AvgPrice: "3000", MarkPrice: "2900", UnrealizedProfit: "300", LiquidationPrice: "294.16914617776246", Leverage: 5, Isolated: true},
				{Symbol: "ETH-USDT", PositionSide: "LONG", PositionAmt: "0", AvgPrice: "0", MarkPrice: "2900", UnrealizedProfit: "0"},
			},
			want: []wantPos{
				{"BTC/USDT:USDT", sdk.SideLong, "0.25", "60000.1", "61000", "224.975", "10", "40000.5", sdk.MarginCross},
				{"ETH/USDT:USDT", sdk.SideShort, "3", "3000", "2900", "300", "5", "294.16914617776246", sdk.MarginIsolate},
			},
		},
		{
			name: "hedge mode: both sides of one symbol",
			rows: []fake.Position{
				{Symbol: "BTC-USDT", PositionSide: "LONG", PositionAmt: "1.000", AvgPrice: "50000", MarkPrice: "60000", UnrealizedProfit: "10000", Leverage: 125},
				{Symbol: "BTC-USDT", PositionSide: "SHORT", PositionAmt: "0.500", AvgPrice: "65000", MarkPrice: "60000", UnrealizedProfit: "2500", Leverage: 125},
			},
			want: []wantPos{
				{"BTC/USDT:USDT", sdk.SideLong, "1", "50000", "60000", "10000", "125", "0", sdk.MarginCross},
				{"BTC/USDT:USDT", sdk.SideShort, "0.5", "65000", "60000", "2500", "125", "0", sdk.MarginCross},
			},
		},
		{
			name: "BOTH rows take the side from the sign",
			rows: []fake.Position{
				{Symbol: "BTC-USDT", PositionSide: "BOTH", PositionAmt: "-0.01", AvgPrice: "60000", MarkPrice: "59000", UnrealizedProfit: "10"},
				{Symbol: "ETH-USDT", PositionSide: "BOTH", PositionAmt: "2", AvgPrice: "3000", MarkPrice: "3100", UnrealizedProfit: "200"},
			},
			want: []wantPos{
				{"BTC/USDT:USDT", sdk.SideShort, "0.01", "60000", "59000", "10", "20", "0", sdk.MarginCross},
				{"ETH/USDT:USDT", sdk.SideLong, "2", "3000", "3100", "200", "20", "0", sdk.MarginCross},
			},
		},
		{name: "only zero rows", rows: []fake.Position{{Symbol: "BTC-USDT", PositionSide: "LONG", PositionAmt: "0.0000", AvgPrice: "0", MarkPrice: "1", UnrealizedProfit: "0"}}},
		{name: "empty account"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.fx.Update(apiKey, func(a *fake.Account) { a.Positions = tt.rows })
			got, err := e.c.Positions(ctx(t), e.acct)
			if err != nil {
				t.Fatal(err)
			}
			checkPositions(t, got, tt.want)
		})
	}
}

// TestPositionsAnswerShapes feeds the mixed types §5c and §8 warn of.
func TestPositionsAnswerShapes(t *testing.T) {
	tests := []struct {
		name, row string
		want      []wantPos
		malformed bool
	}{
		{"the doc example", `{"positionId":"1735*****52","symbol":"BNB-USDT","currency":"USDT","positionAmt":"0.20","availableAmt":"0.20","positionSide":"SHORT","isolated":true,"avgPrice":"246.43","initialMargin":"9.7914","leverage":5,"unrealizedProfit":"-0.0653","realisedProfit":"-0.0251","liquidationPrice":294.16914617776246}`,
			[]wantPos{{"BNB/USDT:USDT", sdk.SideShort, "0.2", "246.43", "0", "-0.0653", "5", "294.16914617776246", sdk.MarginIsolate}}, false},
		{"strings where numbers were, exponent liquidation price", `{"symbol":"PEPE-USDT","positionAmt":"1000000","positionSide":"LONG","isolated":false,"avgPrice":"0.00001","markPrice":"0.000012","leverage":"3","unrealizedProfit":"2","liquidationPrice":7.5e-06}`,
			[]wantPos{{"PEPE/USDT:USDT", sdk.SideLong, "1000000", "0.00001", "0.000012", "2", "3", "0.0000075", sdk.MarginCross}}, false},
		{"null liquidation price", `{"symbol":"BTC-USDT","positionAmt":"1","positionSide":"LONG","avgPrice":"1","unrealizedProfit":"0","leverage":2,"liquidationPrice":null}`,
			[]wantPos{{"BTC/USDT:USDT", sdk.SideLong, "1", "1", "0", "0", "2", "0", sdk.MarginCross}}, false},
		{"garbage size", `{"symbol":"BTC-USDT","positionAmt":"lots","positionSide":"LONG","avgPrice":"1","unrealizedProfit":"0"}`, nil, true},
		{"no entry price", `{"symbol":"BTC-USDT","positionAmt":"1","positionSide":"LONG","unrealizedProfit":"0"}`, nil, true},
		{"a bool as amount", `{"symbol":"BTC-USDT","positionAmt":true,"positionSide":"LONG","avgPrice":"1","unrealizedProfit":"0"}`, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.fx.Inject(fakex.Fault{Path: "/openApi/swap/v2/user/positions", Status: 200, Body: envelope("[" + tt.row + "]")})
			got, err := e.c.Positions(ctx(t), e.acct)
			if tt.malformed {
				if err == nil || !strings.Contains(err.Error(), "malformed") {
					t.Fatalf("err = %v, want a malformed answer", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			checkPositions(t, got, tt.want)
		})
	}
}
