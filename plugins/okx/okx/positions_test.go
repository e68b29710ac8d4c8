package okx_test

import (
	"strings"
	"testing"

	"github.com/globalautomation/gahost/plugins/okx/fake"
	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/plugintest"
)

// swapRows are a fake's position rows and how many instrument lists the
// connector must fetch for their contract sizes.
type swapRows struct {
	rows  []fake.Position
	insts int
}

func TestPositions(t *testing.T) {
	plugintest.RunPositions(t, "testdata/positions.txt", []plugintest.Holding[swapRows]{
		{Name: "one-way: signed net rows, contracts to coins, zero row left out", Setup: swapRows{insts: 1, rows: []fake.Position{
			// BTC-USDT-SWAP: 0.01 BTC a contract, so 5 contracts are 0.05 BTC.
			{InstID: "BTC-USDT-SWAP", MgnMode: "cross", PosSide: "net", Pos: "5", AvgPx: "62961.4", MarkPx: "62891.9", Upl: "-3.475", Lever: "10", LiqPx: ""},
			// ETH-USDT-SWAP: 0.1 ETH a contract.
			{InstID: "ETH-USDT-SWAP", MgnMode: "isolated", PosSide: "net", Pos: "-3.5", AvgPx: "3000", MarkPx: "2900", Upl: "35", Lever: "5", LiqPx: "3500.5"},
			{InstID: "BTC-USDT-SWAP", MgnMode: "isolated", PosSide: "net", Pos: "0", AvgPx: "", MarkPx: "62891.9", Upl: "0", Lever: "3", LiqPx: ""},
		}}},
		{Name: "hedge: long and short rows of one swap, both positive", Setup: swapRows{insts: 1, rows: []fake.Position{
			{InstID: "BTC-USDT-SWAP", MgnMode: "isolated", PosSide: "long", Pos: "5.00", AvgPx: "30000", MarkPx: "30500", Upl: "25", Lever: "10.0", LiqPx: "25000"},
			{InstID: "BTC-USDT-SWAP", MgnMode: "isolated", PosSide: "short", Pos: "2.00", AvgPx: "31000", MarkPx: "30500", Upl: "10", Lever: "10.0", LiqPx: "36000"},
			{InstID: "ETH-USDT-SWAP", MgnMode: "cross", PosSide: "long", Pos: "0", AvgPx: "", MarkPx: "3000", Upl: "0", Lever: "10", LiqPx: ""},
		}}},
		{Name: "coin-margined swap left out", Setup: swapRows{insts: 1, rows: []fake.Position{
			{InstID: "BTC-USD-SWAP", MgnMode: "cross", PosSide: "net", Pos: "10", AvgPx: "60000", MarkPx: "60000", Upl: "0", Lever: "10"},
		}}},
		{Name: "only zero rows: no instrument list needed", Setup: swapRows{rows: []fake.Position{
			{InstID: "BTC-USDT-SWAP", MgnMode: "cross", PosSide: "net", Pos: "0", AvgPx: "", MarkPx: "1", Upl: "0", Lever: "10"},
		}}},
	}, func(t *testing.T, s swapRows) plugintest.Arranged {
		e := newEnv(t)
		e.Fake.Update(apiKey, func(a *fake.Account) { a.Positions = s.rows })
		return e.Arranged(func(t *testing.T) {
			if n := e.Fake.Calls("/api/v5/public/instruments"); n != s.insts {
				t.Errorf("instrument fetches %d, want %d", n, s.insts)
			}
			plugintest.QueriedAs(t, e.Fake, "/api/v5/account/positions", "instType=SWAP")
			for _, r := range e.Fake.Requests() {
				if r.Path == "/api/v5/public/instruments" && (r.Query != "instType=SWAP" || r.Header.Get("OK-ACCESS-KEY") != "") {
					t.Errorf("instruments request %q signed=%v: public and unsigned", r.Query, r.Header.Get("OK-ACCESS-KEY") != "")
				}
			}
		})
	})
}

// TestInstrumentsCached: contract sizes are fetched once and shared by
// every account on the same environment.
func TestInstrumentsCached(t *testing.T) {
	e := newEnv(t)
	const other = "1d2c3b4a-0000-4000-8000-abcdefabcdef"
	e.Fake.AddKey(fake.FullKey(other, secret, passphrase))
	rows := []fake.Position{{InstID: "BTC-USDT-SWAP", MgnMode: "cross", PosSide: "net", Pos: "1", AvgPx: "1", MarkPx: "1", Upl: "0", Lever: "1"}}
	e.Fake.Update(apiKey, func(a *fake.Account) { a.Positions = rows })
	e.Fake.Update(other, func(a *fake.Account) { a.Positions = rows })
	second := e.Acct
	second.APIKey = other
	for _, a := range []sdk.Account{e.Acct, second, e.Acct} {
		if _, err := e.C.Positions(ctx(t), a); err != nil {
			t.Fatal(err)
		}
	}
	if n := e.Fake.Calls("/api/v5/public/instruments"); n != 1 {
		t.Fatalf("instrument fetches %d, want 1", n)
	}
}

func TestPositionsMalformed(t *testing.T) {
	tests := []struct {
		name, substr string
		row          fake.Position
	}{
		{"size", "malformed", fake.Position{InstID: "BTC-USDT-SWAP", MgnMode: "cross", PosSide: "net", Pos: "lots", AvgPx: "1", MarkPx: "1", Upl: "0"}},
		{"margin mode", "malformed", fake.Position{InstID: "BTC-USDT-SWAP", MgnMode: "portfolio", PosSide: "net", Pos: "1", AvgPx: "1", MarkPx: "1", Upl: "0"}},
		{"side", "malformed", fake.Position{InstID: "BTC-USDT-SWAP", MgnMode: "cross", PosSide: "both", Pos: "1", AvgPx: "1", MarkPx: "1", Upl: "0"}},
		{"entry price", "malformed", fake.Position{InstID: "BTC-USDT-SWAP", MgnMode: "cross", PosSide: "net", Pos: "1", AvgPx: "", MarkPx: "1", Upl: "0"}},
		{"unlisted swap", "contract size is unknown", fake.Position{InstID: "GONE-USDT-SWAP", MgnMode: "cross", PosSide: "net", Pos: "1", AvgPx: "1", MarkPx: "1", Upl: "0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.Fake.Update(apiKey, func(a *fake.Account) { a.Positions = []fake.Position{tt.row} })
			_, err := e.C.Positions(ctx(t), e.Acct)
			if sdk.KindOf(err) != sdk.KindUnknown || !strings.Contains(err.Error(), tt.substr) {
				t.Fatalf("err = %v, want unknown containing %q", err, tt.substr)
			}
		})
	}
}
