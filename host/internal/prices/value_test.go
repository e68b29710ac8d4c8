package prices

import (
	"strings"
	"testing"
	"time"

	"github.com/globalautomation/gahost/host/internal/store"
	"github.com/globalautomation/gahost/sdk"
	"github.com/shopspring/decimal"
)

func d(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func str(p *decimal.Decimal) string {
	if p == nil {
		return "null"
	}
	return p.String()
}

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// book is a book read at t0 by an exchange that lists BTC/USDT and ETH/USDT
// and was asked for BTC, ETH and XYZ.
func book() Book {
	return Book{Exchange: "ex", At: t0, Asked: []string{"BTC", "ETH", "XYZ"},
		Prices: sdk.AnswerPrices("ex", sdk.PriceRequest{Assets: []string{"BTC", "ETH", "XYZ"}}, map[string]sdk.Price{
			"BTC/USDT": {Symbol: "BTC/USDT", Last: d("60000.5")},
			"ETH/USDT": {Symbol: "ETH/USDT", Last: d("3000.25")},
		})}
}

func TestValue(t *testing.T) {
	futures := &store.FuturesAccount{Asset: "USDT", WalletBalance: d("1000"), UnrealizedPnL: d("-12.5"),
		MarginBalance: d("987.5"), AvailableBalance: d("900")}
	spot := []store.Balance{
		{Asset: "BTC", Free: d("0.12345678"), Locked: d("0.00000001")},
		{Asset: "USDT", Free: d("100.1"), Locked: d("0")},
		{Asset: "ETH", Free: d("0"), Locked: d("2")},
		{Asset: "DUST", Free: d("0"), Locked: d("0")}, // no value needed
	}
	cases := []struct {
		name   string
		snap   store.Snapshot
		book   Book
		now    time.Time
		equity string
		spot   string
		upnl   string
		// missing must be contained in the equity's reason ("" : none).
		missing string
		values  []string // asset=value or asset:reason-part
	}{
		{
			name: "every asset priced", snap: store.Snapshot{Spot: spot, SpotAt: t0, Futures: futures, FuturesAt: t0},
			book: book(), now: t0.Add(time.Minute),
			// 0.12345679 × 60000.5 = 7407.469128395; 2 × 3000.25 = 6000.5;
			// + 100.1 USDT = 13508.069128395; + 987.5 margin.
			equity: "14495.569128395", spot: "13508.069128395", upnl: "-12.5",
			values: []string{"BTC=7407.469128395", "USDT=100.1", "ETH=6000.5"},
		},
		{
			name: "an asset without a USDT market",
			snap: store.Snapshot{Spot: append([]store.Balance{{Asset: "XYZ", Free: d("5")}}, spot...), SpotAt: t0},
			book: book(), now: t0, equity: "null", spot: "null", upnl: "0",
			missing: "XYZ has no value: ex lists no XYZ/USDT spot market to value XYZ by",
			values:  []string{"XYZ:lists no XYZ/USDT", "BTC=7407.469128395", "USDT=100.1", "ETH=6000.5"},
		},
		{
			name: "an asset held since the last read",
			snap: store.Snapshot{Spot: []store.Balance{{Asset: "SOL", Free: d("1")}}, SpotAt: t0},
			book: book(), now: t0, equity: "null", spot: "null", upnl: "0",
			missing: "SOL was not held when the prices of ex were last read", values: []string{"SOL:not held"},
		},
		{
			name: "prices too old", snap: store.Snapshot{Spot: spot, SpotAt: t0, Futures: futures, FuturesAt: t0},
			book: book(), now: t0.Add(time.Hour), equity: "null", spot: "null", upnl: "-12.5",
			missing: "the prices of ex were last read at 2026-03-01T12:00:00Z, more than 5m0s ago",
			values:  []string{"BTC:more than 5m0s ago", "USDT=100.1", "ETH:more than 5m0s ago"},
		},
		{
			name: "prices never read, USDT only",
			snap: store.Snapshot{Spot: []store.Balance{{Asset: "USDT", Free: d("10.5"), Locked: d("1")}}, SpotAt: t0,
				Futures: futures, FuturesAt: t0},
			book: Book{Exchange: "ex"}, now: t0, equity: "999", spot: "11.5", upnl: "-12.5", values: []string{"USDT=11.5"},
		},
		{
			name: "a plugin without prices",
			snap: store.Snapshot{Spot: spot[:1], SpotAt: t0},
			book: Book{Exchange: "ex", Testnet: true, Unsupported: true, At: t0}, now: t0,
			equity: "null", spot: "null", upnl: "0", missing: "the ex (testnet) plugin serves no prices",
			values: []string{"BTC:serves no prices"},
		},
		{
			name: "a failed first read",
			snap: store.Snapshot{Spot: spot[:1], SpotAt: t0},
			book: Book{Exchange: "ex", Err: "exchange unavailable", ErrAt: t0}, now: t0,
			equity: "null", spot: "null", upnl: "0",
			missing: "the prices of ex have not been read yet (the last read, at 2026-03-01T12:00:00Z, failed: exchange unavailable)",
			values:  []string{"BTC:not been read yet"},
		},
		{
			name: "the futures part never read",
			snap: store.Snapshot{Spot: spot[1:2], SpotAt: t0, Errors: map[string]string{store.PartFutures: "no futures rights"}},
			book: book(), now: t0, equity: "null", spot: "100.1", upnl: "null",
			missing: "the futures account was never read: no futures rights", values: []string{"USDT=100.1"},
		},
		{
			name: "the spot part never read",
			snap: store.Snapshot{Futures: futures, FuturesAt: t0, Errors: map[string]string{store.PartSpot: "timeout"}},
			book: book(), now: t0, equity: "null", spot: "null", upnl: "-12.5",
			missing: "the spot balances were never read: timeout",
		},
		{
			name: "a futures wallet in another asset",
			snap: store.Snapshot{Futures: &store.FuturesAccount{Asset: "BTC", MarginBalance: d("0.5"), UnrealizedPnL: d("0.01")},
				FuturesAt: t0},
			book: book(), now: t0, equity: "30000.25", spot: "0", upnl: "600.005",
		},
		{
			name: "positions without a futures wallet",
			snap: store.Snapshot{Positions: []store.Position{{Symbol: "BTC/USDT:USDT", UnrealizedPnL: d("1.5")},
				{Symbol: "ETH/USDT:USDT", UnrealizedPnL: d("-0.25")}}, PositionsAt: t0},
			book: book(), now: t0, equity: "0", spot: "0", upnl: "1.25",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := Value(tc.snap, tc.book, tc.now, 5*time.Minute)
			if str(v.Equity) != tc.equity || str(v.SpotValue) != tc.spot || str(v.UnrealizedPnL) != tc.upnl {
				t.Errorf("equity %s spot %s upnl %s, want %s %s %s", str(v.Equity), str(v.SpotValue), str(v.UnrealizedPnL),
					tc.equity, tc.spot, tc.upnl)
			}
			if (tc.missing == "") != (v.Missing == "") || !strings.Contains(v.Missing, tc.missing) {
				t.Errorf("missing %q, want it to hold %q", v.Missing, tc.missing)
			}
			if len(v.Assets) != len(tc.values) {
				t.Fatalf("assets %+v, want %v", v.Assets, tc.values)
			}
			for i, want := range tc.values {
				a := v.Assets[i]
				if asset, val, ok := strings.Cut(want, "="); ok {
					if a.Asset != asset || str(a.Value) != val || a.Missing != "" || a.Value == nil ||
						!a.Value.Equal(a.Total.Mul(*a.Price)) {
						t.Errorf("asset %d = %+v, want %s", i, a, want)
					}
					continue
				}
				asset, why, _ := strings.Cut(want, ":")
				if a.Asset != asset || a.Value != nil || a.Price != nil || !strings.Contains(a.Missing, why) {
					t.Errorf("asset %d = %+v, want %s", i, a, want)
				}
			}
			if v.Equity != nil && v.Missing != "" {
				t.Errorf("an equity with a reason it is missing: %q", v.Missing)
			}
		})
	}
}

// TestValuePricesAt: the valuation says when its prices were read, and
// only when it used any.
func TestValuePricesAt(t *testing.T) {
	b := book()
	usdt := store.Snapshot{Spot: []store.Balance{{Asset: "USDT", Free: d("1")}}, SpotAt: t0}
	if v := Value(usdt, b, t0, 0); !v.PricesAt.IsZero() {
		t.Errorf("USDT only: prices at %s, want none", v.PricesAt)
	}
	btc := store.Snapshot{Spot: []store.Balance{{Asset: "btc", Free: d("1")}}, SpotAt: t0}
	v := Value(btc, b, t0.Add(1000*time.Hour), 0)
	if !v.PricesAt.Equal(t0) || str(v.Equity) != "60000.5" {
		t.Errorf("a zero max age takes prices at any age, by asset in any case: %+v", v)
	}
}
