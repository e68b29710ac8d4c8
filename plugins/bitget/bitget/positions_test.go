package bitget_test

import (
	"strings"
	"testing"

	"github.com/globalautomation/gahost/plugins/bitget/fake"
	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/plugintest"
)

// positionMode is a fake's position rows and whether it keeps hedge mode.
type positionMode struct {
	hedge bool
	rows  []fake.Position
}

func TestPositions(t *testing.T) {
	plugintest.RunPositions(t, "testdata/positions.txt", []plugintest.Holding[positionMode]{
		{Name: "one-way long and short, zero row left out", Setup: positionMode{rows: []fake.Position{
			{Symbol: "BTCUSDT", HoldSide: "long", Total: "0.250", OpenPriceAvg: "60000.1", MarkPrice: "61000", UnrealizedPL: "249.975", Leverage: "20", LiquidationPrice: "40000.5", MarginMode: "crossed"},
			{Symbol: "ETHUSDT", HoldSide: "short", Total: "3", OpenPriceAvg: "3000", MarkPrice: "2900", UnrealizedPL: "300", Leverage: "5", LiquidationPrice: "0", MarginMode: "isolated"},
			{Symbol: "ADAUSDT", HoldSide: "long", Total: "0", OpenPriceAvg: "0", MarkPrice: "0.4", UnrealizedPL: "0", Leverage: "10"},
		}}},
		{Name: "hedge mode: both sides of one symbol, leverage as a number, the documented huge liquidation price", Setup: positionMode{hedge: true, rows: []fake.Position{
			{Symbol: "BTCUSDT", HoldSide: "long", Total: "1", OpenPriceAvg: "50000", MarkPrice: "60000", UnrealizedPL: "10000", Leverage: "125", LeverageAsNumber: true},
			{Symbol: "BTCUSDT", HoldSide: "short", Total: "0.0155", OpenPriceAvg: "88505.233333333333", MarkPrice: "93203.4", UnrealizedPL: "-72.8215833333333385", Leverage: "14", LiquidationPrice: "5737867.8639926850760812"},
			{Symbol: "ETHUSDT", HoldSide: "long", Total: "0", OpenPriceAvg: "0", MarkPrice: "3000"},
		}}},
	}, func(t *testing.T, s positionMode) plugintest.Arranged {
		e := newEnv(t)
		e.Fake.Update(apiKey, func(a *fake.Account) { a.Positions, a.HedgeMode = s.rows, s.hedge })
		return e.Arranged(func(t *testing.T) {
			plugintest.SentLast(t, e.Fake, "GET "+fake.PathPositions+"?marginCoin=USDT&productType=USDT-FUTURES")
		})
	})
}

// TestPositionsOddRows covers answers the fake does not produce itself:
// empty fields, a one-way row without a direction, a bad margin mode.
func TestPositionsOddRows(t *testing.T) {
	row := func(fields string) string {
		return `{"code":"00000","msg":"success","requestTime":1,"data":[{"symbol":"ETHUSDT","marginCoin":"USDT",` + fields + `}]}`
	}
	tests := []struct {
		name, fields string
		side         sdk.PositionSide
		err          string
	}{
		{"empty PnL and liquidation price", `"holdSide":"long","total":"2","openPriceAvg":"1","markPrice":"1","unrealizedPL":"","liquidationPrice":"","leverage":"3","marginMode":"crossed"`, sdk.SideLong, ""},
		{"no holdSide, negative size", `"holdSide":"","total":"-2","openPriceAvg":"1","markPrice":"1","unrealizedPL":"0","leverage":3,"marginMode":"isolated"`, sdk.SideShort, ""},
		{"unknown margin mode", `"holdSide":"long","total":"2","marginMode":"portfolio"`, "", "marginMode"},
		{"size not a number", `"holdSide":"long","total":"two","marginMode":"crossed"`, "", "total"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.Fake.Inject(fakeFault(fake.PathPositions, 200, row(tt.fields)))
			got, err := e.C.Positions(ctx(t), e.Acct)
			if tt.err != "" {
				if sdk.KindOf(err) != sdk.KindUnknown || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v", err)
				}
				return
			}
			if err != nil || len(got) != 1 || got[0].Side != tt.side || !got[0].Size.Equal(d("2")) {
				t.Fatalf("positions %+v, %v", got, err)
			}
		})
	}
}
