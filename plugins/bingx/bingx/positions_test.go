package bingx_test

import (
	"strings"
	"testing"

	"github.com/globalautomation/gahost/plugins/bingx/fake"
	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/fakex"
	"github.com/globalautomation/gahost/sdk/plugintest"
)

func TestPositions(t *testing.T) {
	plugintest.RunPositions(t, "testdata/positions.txt", []plugintest.Holding[[]fake.Position]{
		{Name: "one-way long and short, zero row left out", Setup: []fake.Position{
			{Symbol: "BTC-USDT", PositionSide: "LONG", PositionAmt: "0.2500", AvgPrice: "60000.1", MarkPrice: "61000", UnrealizedProfit: "224.975", LiquidationPrice: "40000.5", Leverage: 10},
			{Symbol: "ETH-USDT", PositionSide: "SHORT", PositionAmt: "3", AvgPrice: "3000", MarkPrice: "2900", UnrealizedProfit: "300", LiquidationPrice: "294.16914617776246", Leverage: 5, Isolated: true},
			{Symbol: "ETH-USDT", PositionSide: "LONG", PositionAmt: "0", AvgPrice: "0", MarkPrice: "2900", UnrealizedProfit: "0"},
		}},
		{Name: "hedge mode: both sides of one symbol", Setup: []fake.Position{
			{Symbol: "BTC-USDT", PositionSide: "LONG", PositionAmt: "1.000", AvgPrice: "50000", MarkPrice: "60000", UnrealizedProfit: "10000", Leverage: 125},
			{Symbol: "BTC-USDT", PositionSide: "SHORT", PositionAmt: "0.500", AvgPrice: "65000", MarkPrice: "60000", UnrealizedProfit: "2500", Leverage: 125},
		}},
		{Name: "BOTH rows take the side from the sign", Setup: []fake.Position{
			{Symbol: "BTC-USDT", PositionSide: "BOTH", PositionAmt: "-0.01", AvgPrice: "60000", MarkPrice: "59000", UnrealizedProfit: "10"},
			{Symbol: "ETH-USDT", PositionSide: "BOTH", PositionAmt: "2", AvgPrice: "3000", MarkPrice: "3100", UnrealizedProfit: "200"},
		}},
		{Name: "only zero rows", Setup: []fake.Position{{Symbol: "BTC-USDT", PositionSide: "LONG", PositionAmt: "0.0000", AvgPrice: "0", MarkPrice: "1", UnrealizedProfit: "0"}}},
	}, func(t *testing.T, rows []fake.Position) plugintest.Arranged {
		e := newEnv(t)
		e.Fake.Update(apiKey, func(a *fake.Account) { a.Positions = rows })
		return e.Arranged(nil)
	})
}

// TestPositionsAnswerShapes feeds the mixed types BingX sends (numbers as strings or JSON numbers).
func TestPositionsAnswerShapes(t *testing.T) {
	tests := []struct {
		name, row string
		want      []sdk.Position
		malformed bool
	}{
		{"the doc example", `{"positionId":"1735*****52","symbol":"BNB-USDT","currency":"USDT","positionAmt":"0.20","availableAmt":"0.20","positionSide":"SHORT","isolated":true,"avgPrice":"246.43","initialMargin":"9.7914","leverage":5,"unrealizedProfit":"-0.0653","realisedProfit":"-0.0251","liquidationPrice":294.16914617776246}`,
			[]sdk.Position{{Symbol: "BNB/USDT:USDT", Side: sdk.SideShort, Size: d("0.2"), EntryPrice: d("246.43"), MarkPrice: d("0"), UnrealizedPnL: d("-0.0653"), Leverage: d("5"), LiquidationPrice: d("294.16914617776246"), MarginMode: sdk.MarginIsolate}}, false},
		{"strings where numbers were, exponent liquidation price", `{"symbol":"PEPE-USDT","positionAmt":"1000000","positionSide":"LONG","isolated":false,"avgPrice":"0.00001","markPrice":"0.000012","leverage":"3","unrealizedProfit":"2","liquidationPrice":7.5e-06}`,
			[]sdk.Position{{Symbol: "PEPE/USDT:USDT", Side: sdk.SideLong, Size: d("1000000"), EntryPrice: d("0.00001"), MarkPrice: d("0.000012"), UnrealizedPnL: d("2"), Leverage: d("3"), LiquidationPrice: d("0.0000075"), MarginMode: sdk.MarginCross}}, false},
		{"null liquidation price", `{"symbol":"BTC-USDT","positionAmt":"1","positionSide":"LONG","avgPrice":"1","unrealizedProfit":"0","leverage":2,"liquidationPrice":null}`,
			[]sdk.Position{{Symbol: "BTC/USDT:USDT", Side: sdk.SideLong, Size: d("1"), EntryPrice: d("1"), MarkPrice: d("0"), UnrealizedPnL: d("0"), Leverage: d("2"), LiquidationPrice: d("0"), MarginMode: sdk.MarginCross}}, false},
		{"garbage size", `{"symbol":"BTC-USDT","positionAmt":"lots","positionSide":"LONG","avgPrice":"1","unrealizedProfit":"0"}`, nil, true},
		{"no entry price", `{"symbol":"BTC-USDT","positionAmt":"1","positionSide":"LONG","unrealizedProfit":"0"}`, nil, true},
		{"a bool as amount", `{"symbol":"BTC-USDT","positionAmt":true,"positionSide":"LONG","avgPrice":"1","unrealizedProfit":"0"}`, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.Fake.Inject(fakex.Fault{Path: "/openApi/swap/v2/user/positions", Status: 200, Body: envelope("[" + tt.row + "]")})
			got, err := e.C.Positions(ctx(t), e.Acct)
			if tt.malformed {
				if err == nil || !strings.Contains(err.Error(), "malformed") {
					t.Fatalf("err = %v, want a malformed answer", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			plugintest.CheckPositions(t, got, tt.want)
		})
	}
}
