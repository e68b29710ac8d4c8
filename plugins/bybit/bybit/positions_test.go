package bybit_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/globalautomation/gahost/plugins/bybit/fake"
	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/fakex"
	"github.com/globalautomation/gahost/sdk/plugintest"
)

// positionsOf is a fake account holding positions, and how many
// account/info reads (for the margin mode) the connector must make of it.
type positionsOf struct {
	account   fake.Account
	infoCalls int
}

func TestPositions(t *testing.T) {
	plugintest.RunPositions(t, "testdata/positions.txt", []plugintest.Holding[positionsOf]{
		{Name: "one-way long and short, flat row left out", Setup: positionsOf{infoCalls: 1, account: fake.Account{Positions: []fake.Position{
			{Symbol: "BTCUSDT", PositionIdx: 0, Side: "Buy", Size: "0.250", AvgPrice: "60000.1", MarkPrice: "61000", UnrealisedPnl: "249.975", Leverage: "10", LiqPrice: "40000.5"},
			{Symbol: "ETHUSDT", PositionIdx: 0, Side: "Sell", Size: "3", AvgPrice: "3000", MarkPrice: "2900", UnrealisedPnl: "300", Leverage: "5", LiqPrice: ""},
			{Symbol: "XRPUSDT", PositionIdx: 0, Side: "", Size: "0", AvgPrice: "0", MarkPrice: "0.3432", UnrealisedPnl: "0", Leverage: "10"},
		}}}},
		{Name: "hedge mode: both sides of one symbol, isolated margin", Setup: positionsOf{infoCalls: 1, account: fake.Account{MarginMode: "ISOLATED_MARGIN", HedgeMode: true, Positions: []fake.Position{
			{Symbol: "BTCUSDT", PositionIdx: 1, Side: "Buy", Size: "1.000", AvgPrice: "50000", MarkPrice: "60000", UnrealisedPnl: "10000", Leverage: "25", LiqPrice: "41000"},
			{Symbol: "BTCUSDT", PositionIdx: 2, Side: "Sell", Size: "0.500", AvgPrice: "65000", MarkPrice: "60000", UnrealisedPnl: "2500", Leverage: "25", LiqPrice: "90000"},
			{Symbol: "ETHUSDT", PositionIdx: 1, Side: "", Size: "0", AvgPrice: "0", MarkPrice: "3000", UnrealisedPnl: "0", Leverage: "10"},
		}}}},
		{Name: "portfolio margin: no leverage, cross", Setup: positionsOf{infoCalls: 1, account: fake.Account{MarginMode: "PORTFOLIO_MARGIN", Positions: []fake.Position{
			{Symbol: "BTCUSDT-26DEC25", PositionIdx: 0, Side: "Buy", Size: "0.1", AvgPrice: "70000", MarkPrice: "71000", UnrealisedPnl: "100", Leverage: ""},
		}}}},
		{Name: "nothing open: no account/info call", Setup: positionsOf{account: fake.Account{Positions: []fake.Position{{Symbol: "BTCUSDT", Size: "0", Side: ""}}}}},
	}, func(t *testing.T, s positionsOf) plugintest.Arranged {
		e := newEnv(t)
		e.Fake.Update(apiKey, func(a *fake.Account) { *a = s.account })
		return e.Arranged(func(t *testing.T) {
			if n := e.Fake.Calls("/v5/account/info"); n != s.infoCalls {
				t.Errorf("account/info calls = %d, want %d", n, s.infoCalls)
			}
			plugintest.QueriedAs(t, e.Fake, "/v5/position/list", "category=linear&limit=200&settleCoin=USDT")
		})
	})
}

// TestPositionsPages reads 450 positions over three pages: the cursor the
// fake hands out percent-encoded must come back meaning the same, and the
// query stays signed exactly as sent.
func TestPositionsPages(t *testing.T) {
	e := newEnv(t)
	e.Fake.Update(apiKey, func(a *fake.Account) {
		for i := range 450 {
			a.Positions = append(a.Positions, fake.Position{Symbol: fmt.Sprintf("C%03dUSDT", i), Side: "Buy", Size: "1", AvgPrice: "1", MarkPrice: "1", UnrealisedPnl: "0", Leverage: "1"})
		}
	})
	got, err := e.C.Positions(ctx(t), e.Acct)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 450 || got[0].Symbol != "C000/USDT:USDT" || got[449].Symbol != "C449/USDT:USDT" {
		t.Fatalf("%d positions, first %+v", len(got), got[0])
	}
	var queries []string
	for _, r := range e.Fake.Requests() {
		if r.Path == "/v5/position/list" {
			queries = append(queries, r.Query)
		}
	}
	want := []string{
		"category=linear&limit=200&settleCoin=USDT",
		"category=linear&cursor=offset%3D200&limit=200&settleCoin=USDT",
		"category=linear&cursor=offset%3D400&limit=200&settleCoin=USDT",
	}
	if strings.Join(queries, "\n") != strings.Join(want, "\n") {
		t.Fatalf("queries\n%s\nwant\n%s", strings.Join(queries, "\n"), strings.Join(want, "\n"))
	}
}

// TestPositionsOddAnswers feeds answers the fake would not send itself.
func TestPositionsOddAnswers(t *testing.T) {
	page := func(cursor string, rows ...string) string {
		return `{"retCode":0,"retMsg":"OK","result":{"nextPageCursor":"` + cursor + `","category":"linear","list":[` + strings.Join(rows, ",") + `]},"retExtInfo":{},"time":1672280219169}`
	}
	row := func(size, side string, idx int) string {
		return fmt.Sprintf(`{"symbol":"XRPUSDT","positionIdx":%d,"side":%q,"size":%q,"avgPrice":"0.3615","markPrice":"0.3432","unrealisedPnl":"-1.83","leverage":"10","liqPrice":"0.0001"}`, idx, side, size)
	}
	tests := []struct {
		name  string
		pages []string
		n     int
		fails bool // with a KindUnknown "malformed" error
	}{
		{"zero row in a settleCoin answer is left out", []string{page("", row("100", "Buy", 0), row("0", "", 0))}, 1, false},
		{"the documented example cursor", []string{page(url.QueryEscape("updateAt=1672279322668"), row("100", "Buy", 0)), page("", row("5", "Sell", 0))}, 2, false},
		{"a cursor that repeats", []string{page("abc", row("1", "Buy", 0)), page("abc", row("1", "Buy", 0))}, 0, true},
		{"open row without a side", []string{page("", row("1", "", 0))}, 0, true},
		{"size not a number", []string{page("", row("1e3", "Buy", 0))}, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			for _, p := range tt.pages {
				e.Fake.Inject(fakex.Fault{Path: "/v5/position/list", Status: 200, Body: p})
			}
			got, err := e.C.Positions(ctx(t), e.Acct)
			if tt.fails {
				if err == nil || sdk.KindOf(err) != sdk.KindUnknown || !strings.Contains(err.Error(), "malformed") {
					t.Fatalf("err = %v, want a malformed-answer error", err)
				}
				return
			}
			if err != nil || len(got) != tt.n {
				t.Fatalf("positions %+v, %v; want %d", got, err, tt.n)
			}
			reqs := e.Fake.Requests()
			if len(tt.pages) == 2 && !strings.Contains(reqs[len(reqs)-2].Query, "cursor=updateAt%3D1672279322668&") {
				t.Errorf("cursor not sent back as received: %q", reqs[len(reqs)-2].Query)
			}
		})
	}
}

// The margin mode is read once for a set of open positions: the next
// syncs reuse it until a position changes, which reads it again (and
// shows a mode changed in the meantime at once).
func TestPositionsReuseMarginModeUntilPositionsChange(t *testing.T) {
	e := newEnv(t)
	row := fake.Position{Symbol: "BTCUSDT", PositionIdx: 0, Side: "Buy", Size: "0.250", AvgPrice: "60000", MarkPrice: "61000", UnrealisedPnl: "250", Leverage: "10", LiqPrice: "40000"}
	e.Fake.Update(apiKey, func(a *fake.Account) { a.Positions = []fake.Position{row} })
	plugintest.RunCachedDetail(t, plugintest.CachedDetail{Exchange: e.C, Account: e.Acct, What: "margin mode",
		Of:     func(p sdk.Position) string { return string(p.MarginMode) },
		Before: string(sdk.MarginCross), After: string(sdk.MarginIsolate),
		Reads: func() int { return e.Fake.Calls("/v5/account/info") },
		Change: func() {
			row.Size = "0.500"
			e.Fake.Update(apiKey, func(a *fake.Account) {
				a.Positions = []fake.Position{row}
				a.MarginMode = "ISOLATED_MARGIN"
			})
		},
	})
}
