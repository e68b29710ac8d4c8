package binance_test

import (
	"testing"

	"github.com/globalautomation/gahost/plugins/binance/fake"
	"github.com/globalautomation/gahost/sdk"
)

func TestPositions(t *testing.T) {
	type want struct {
		symbol                            string
		side                              sdk.PositionSide
		size, entry, mark, upnl, lev, liq string
		mode                              sdk.MarginMode
	}
	tests := []struct {
		name      string
		rows      []fake.Position
		configs   map[string]fake.SymbolConfig
		want      []want
		cfgCalled int
	}{
		{
			name: "one-way long and short, zero row left out",
			rows: []fake.Position{
				{Symbol: "BTCUSDT", PositionSide: "BOTH", PositionAmt: "0.250", EntryPrice: "60000.1", MarkPrice: "61000", UnRealizedProfit: "249.975", LiquidationPrice: "40000.5", MarginAsset: "USDT"},
				{Symbol: "ETHUSDT", PositionSide: "BOTH", PositionAmt: "-3", EntryPrice: "3000", MarkPrice: "2900", UnRealizedProfit: "300", LiquidationPrice: "0", MarginAsset: "USDT", IsolatedWallet: "150"},
				{Symbol: "ADAUSDT", PositionSide: "BOTH", PositionAmt: "0", EntryPrice: "0", MarkPrice: "0.4", UnRealizedProfit: "0"},
			},
			configs: map[string]fake.SymbolConfig{"ETHUSDT": {Leverage: 5, MarginType: "ISOLATED"}},
			want: []want{
				{"BTC/USDT:USDT", sdk.SideLong, "0.25", "60000.1", "61000", "249.975", "20", "40000.5", sdk.MarginCross},
				{"ETH/USDT:USDT", sdk.SideShort, "3", "3000", "2900", "300", "5", "0", sdk.MarginIsolate},
			},
			cfgCalled: 1,
		},
		{
			name: "hedge mode: both sides of one symbol",
			rows: []fake.Position{
				{Symbol: "BTCUSDT", PositionSide: "LONG", PositionAmt: "1.000", EntryPrice: "50000", MarkPrice: "60000", UnRealizedProfit: "10000", MarginAsset: "USDT"},
				{Symbol: "BTCUSDT", PositionSide: "SHORT", PositionAmt: "-0.500", EntryPrice: "65000", MarkPrice: "60000", UnRealizedProfit: "2500", MarginAsset: "USDT"},
				{Symbol: "ETHUSDT", PositionSide: "LONG", PositionAmt: "0.000", EntryPrice: "0", MarkPrice: "3000", UnRealizedProfit: "0"},
				{Symbol: "ETHUSDT", PositionSide: "SHORT", PositionAmt: "0.000", EntryPrice: "0", MarkPrice: "3000", UnRealizedProfit: "0"},
			},
			configs: map[string]fake.SymbolConfig{"BTCUSDT": {Leverage: 125, MarginType: "CROSSED"}},
			want: []want{
				{"BTC/USDT:USDT", sdk.SideLong, "1", "50000", "60000", "10000", "125", "0", sdk.MarginCross},
				{"BTC/USDT:USDT", sdk.SideShort, "0.5", "65000", "60000", "2500", "125", "0", sdk.MarginCross},
			},
			cfgCalled: 1,
		},
		{
			name:      "no positions: no config call",
			rows:      []fake.Position{{Symbol: "BTCUSDT", PositionSide: "BOTH", PositionAmt: "0", EntryPrice: "0", MarkPrice: "1", UnRealizedProfit: "0"}},
			cfgCalled: 0,
		},
		{
			name: "empty account",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.fx.ListFutures("ADAUSDT", fake.Market{Base: "ADA", Quote: "USDT", Price: "0.4"})
			e.fx.Update(apiKey, func(a *fake.Account) { a.Positions, a.SymbolConfig = tt.rows, tt.configs })
			got, err := e.c.Positions(ctx(t), e.acct)
			if err != nil {
				t.Fatal(err)
			}
			if got == nil || len(got) != len(tt.want) {
				t.Fatalf("positions %+v, want %d", got, len(tt.want))
			}
			for i, w := range tt.want {
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
			if n := e.fx.Calls("/fapi/v1/symbolConfig"); n != tt.cfgCalled {
				t.Errorf("symbolConfig calls = %d, want %d", n, tt.cfgCalled)
			}
		})
	}
}

func TestPositionsAskConfigForOneSymbol(t *testing.T) {
	e := newEnv(t)
	e.fx.Update(apiKey, func(a *fake.Account) {
		a.Positions = []fake.Position{{Symbol: "ETHUSDT", PositionSide: "BOTH", PositionAmt: "1", EntryPrice: "1", MarkPrice: "1", UnRealizedProfit: "0"}}
	})
	if _, err := e.c.Positions(ctx(t), e.acct); err != nil {
		t.Fatal(err)
	}
	for _, r := range e.fx.Requests() {
		if r.Path == "/fapi/v1/symbolConfig" && r.Query[:15] != "symbol=ETHUSDT&" {
			t.Fatalf("symbolConfig query %q", r.Query)
		}
	}
}
