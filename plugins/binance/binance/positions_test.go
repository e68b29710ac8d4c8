package binance_test

import (
	"testing"

	"github.com/globalautomation/gahost/plugins/binance/fake"
	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/plugintest"
)

// positionRows are a fake's position rows with the leverage and margin
// settings it keeps per symbol, and how many symbolConfig reads the
// connector must make of them.
type positionRows struct {
	rows      []fake.Position
	configs   map[string]fake.SymbolConfig
	cfgCalled int
}

func TestPositions(t *testing.T) {
	plugintest.RunPositions(t, "testdata/positions.txt", []plugintest.Holding[positionRows]{
		{Name: "one-way long and short, zero row left out", Setup: positionRows{
			rows: []fake.Position{
				{Symbol: "BTCUSDT", PositionSide: "BOTH", PositionAmt: "0.250", EntryPrice: "60000.1", MarkPrice: "61000", UnRealizedProfit: "249.975", LiquidationPrice: "40000.5", MarginAsset: "USDT"},
				{Symbol: "ETHUSDT", PositionSide: "BOTH", PositionAmt: "-3", EntryPrice: "3000", MarkPrice: "2900", UnRealizedProfit: "300", LiquidationPrice: "0", MarginAsset: "USDT", IsolatedWallet: "150"},
				{Symbol: "ADAUSDT", PositionSide: "BOTH", PositionAmt: "0", EntryPrice: "0", MarkPrice: "0.4", UnRealizedProfit: "0"},
			},
			configs:   map[string]fake.SymbolConfig{"ETHUSDT": {Leverage: 5, MarginType: "ISOLATED"}},
			cfgCalled: 1,
		}},
		{Name: "hedge mode: both sides of one symbol", Setup: positionRows{
			rows: []fake.Position{
				{Symbol: "BTCUSDT", PositionSide: "LONG", PositionAmt: "1.000", EntryPrice: "50000", MarkPrice: "60000", UnRealizedProfit: "10000", MarginAsset: "USDT"},
				{Symbol: "BTCUSDT", PositionSide: "SHORT", PositionAmt: "-0.500", EntryPrice: "65000", MarkPrice: "60000", UnRealizedProfit: "2500", MarginAsset: "USDT"},
				{Symbol: "ETHUSDT", PositionSide: "LONG", PositionAmt: "0.000", EntryPrice: "0", MarkPrice: "3000", UnRealizedProfit: "0"},
				{Symbol: "ETHUSDT", PositionSide: "SHORT", PositionAmt: "0.000", EntryPrice: "0", MarkPrice: "3000", UnRealizedProfit: "0"},
			},
			configs:   map[string]fake.SymbolConfig{"BTCUSDT": {Leverage: 125, MarginType: "CROSSED"}},
			cfgCalled: 1,
		}},
		{Name: "no positions: no config call", Setup: positionRows{
			rows: []fake.Position{{Symbol: "BTCUSDT", PositionSide: "BOTH", PositionAmt: "0", EntryPrice: "0", MarkPrice: "1", UnRealizedProfit: "0"}},
		}},
	}, func(t *testing.T, s positionRows) plugintest.Arranged {
		e := newEnv(t)
		e.Fake.ListFutures("ADAUSDT", fake.Market{Base: "ADA", Quote: "USDT", Price: "0.4"})
		e.Fake.Update(apiKey, func(a *fake.Account) { a.Positions, a.SymbolConfig = s.rows, s.configs })
		return e.Arranged(func(t *testing.T) {
			if n := e.Fake.Calls("/fapi/v1/symbolConfig"); n != s.cfgCalled {
				t.Errorf("symbolConfig calls = %d, want %d", n, s.cfgCalled)
			}
		})
	})
}

func TestPositionsAskConfigForOneSymbol(t *testing.T) {
	e := newEnv(t)
	e.Fake.Update(apiKey, func(a *fake.Account) {
		a.Positions = []fake.Position{{Symbol: "ETHUSDT", PositionSide: "BOTH", PositionAmt: "1", EntryPrice: "1", MarkPrice: "1", UnRealizedProfit: "0"}}
	})
	if _, err := e.C.Positions(ctx(t), e.Acct); err != nil {
		t.Fatal(err)
	}
	for _, r := range e.Fake.Requests() {
		if r.Path == "/fapi/v1/symbolConfig" && r.Query[:15] != "symbol=ETHUSDT&" {
			t.Fatalf("symbolConfig query %q", r.Query)
		}
	}
}

// Leverage is read once for a set of open positions: the next syncs reuse
// it until a position changes, which reads it again (and shows the new
// leverage at once).
func TestPositionsReuseLeverageUntilPositionsChange(t *testing.T) {
	e := newEnv(t)
	row := fake.Position{Symbol: "ETHUSDT", PositionSide: "BOTH", PositionAmt: "1", EntryPrice: "1", MarkPrice: "1", UnRealizedProfit: "0"}
	e.Fake.Update(apiKey, func(a *fake.Account) {
		a.Positions = []fake.Position{row}
		a.SymbolConfig = map[string]fake.SymbolConfig{"ETHUSDT": {Leverage: 5, MarginType: "CROSSED"}}
	})
	plugintest.RunCachedDetail(t, plugintest.CachedDetail{Exchange: e.C, Account: e.Acct, What: "leverage",
		Of:     func(p sdk.Position) string { return p.Leverage.String() },
		Before: "5", After: "10",
		Reads: func() int { return e.Fake.Calls("/fapi/v1/symbolConfig") },
		Change: func() {
			row.PositionAmt = "2"
			e.Fake.Update(apiKey, func(a *fake.Account) {
				a.Positions = []fake.Position{row}
				a.SymbolConfig = map[string]fake.SymbolConfig{"ETHUSDT": {Leverage: 10, MarginType: "CROSSED"}}
			})
		},
	})
}
