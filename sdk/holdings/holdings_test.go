package holdings

import (
	"errors"
	"strings"
	"testing"

	"github.com/globalautomation/gahost/sdk"
	"github.com/shopspring/decimal"
)

type row struct {
	asset        string
	free, locked string
}

func read(r row) (sdk.Balance, error) {
	free, err1 := decimal.NewFromString(r.free)
	locked, err2 := decimal.NewFromString(r.locked)
	return sdk.Balance{Asset: r.asset, Free: free, Locked: locked}, errors.Join(err1, err2)
}

func TestBalances(t *testing.T) {
	got, err := Balances("ex", "spot balance", []row{{"BTC", "1", "0"}, {"ETH", "0", "0"}, {"USDT", "0", "2.5"}, {"SOL", "-1", "1"}}, read)
	if err != nil || len(got) != 3 || got[0].Asset != "BTC" || got[1].Asset != "USDT" || !got[1].Locked.Equal(decimal.RequireFromString("2.5")) || got[2].Asset != "SOL" {
		t.Fatalf("Balances = %+v, %v; want BTC, USDT and the indebted SOL, the zero ETH left out", got, err)
	}
	if got, err := Balances("ex", "spot balance", nil, read); err != nil || got == nil || len(got) != 0 {
		t.Errorf("no rows: %#v, %v; want an empty list", got, err)
	}
	for _, tc := range []struct {
		r    row
		want string
	}{
		{row{"", "1", "0"}, "ex: malformed spot balance in the answer: no asset name"},
		{row{"BTC", "x", "0"}, "ex: malformed spot balance of BTC in the answer"},
		{row{strings.Repeat("A", 500), "x", "0"}, "…"},
	} {
		_, err := Balances("ex", "spot balance", []row{{"BTC", "1", "0"}, tc.r}, read)
		if sdk.KindOf(err) != sdk.KindUnknown || !strings.Contains(err.Error(), tc.want) || len(err.Error()) > 500 {
			t.Errorf("row %+v: %v; want a malformed answer with %q", tc.r, err, tc.want)
		}
	}
}

func TestPositions(t *testing.T) {
	rows := []string{"BTC", "", "ETH"}
	got, err := Positions(rows, func(s string) (sdk.Position, bool, error) { return sdk.Position{Symbol: s}, s != "", nil })
	if err != nil || len(got) != 2 || got[0].Symbol != "BTC" || got[1].Symbol != "ETH" {
		t.Fatalf("Positions = %+v, %v; want the two open ones in order", got, err)
	}
	bad := errors.New("bad row")
	if _, err := Positions(rows, func(s string) (sdk.Position, bool, error) { return sdk.Position{}, true, bad }); err != bad {
		t.Errorf("a read error: %v, want it as it is", err)
	}
}

// Open keeps the rows of a non-zero size with that size, and a size that
// does not read ends the answer naming the symbol.
func TestOpen(t *testing.T) {
	rows := []row{{"BTCUSDT", "-0.5", ""}, {"ETHUSDT", "0", ""}, {"SOLUSDT", "3", ""}}
	size := func(r row) (string, string) { return r.asset, r.free }
	got, err := Open("ex", rows, size)
	if err != nil || len(got) != 2 || got[0].Row.asset != "BTCUSDT" || !got[0].Size.Equal(decimal.RequireFromString("-0.5")) || got[1].Row.asset != "SOLUSDT" {
		t.Fatalf("Open = %+v, %v; want BTCUSDT with its signed size and SOLUSDT", got, err)
	}
	_, err = Open("ex", []row{{"BTCUSDT", "x", ""}}, size)
	if sdk.KindOf(err) != sdk.KindUnknown || !strings.Contains(err.Error(), "position size of BTCUSDT") {
		t.Errorf("a size that does not read: %v, want a malformed answer naming the symbol", err)
	}
}

func TestFutures(t *testing.T) {
	isUSDT := func(r row) bool { return r.asset == "USDT" }
	readRow := func(r row) (sdk.FuturesAccount, error) {
		b, err := read(r)
		return sdk.FuturesAccount{Asset: "ignored", WalletBalance: b.Free, AvailableBalance: b.Locked}, err
	}
	got, err := Futures("ex", "futures USDT account", "USDT", []row{{"BTC", "9", "9"}, {"USDT", "100", "40"}}, isUSDT, readRow)
	if err != nil || got.Asset != "USDT" || !got.WalletBalance.Equal(decimal.NewFromInt(100)) || !got.AvailableBalance.Equal(decimal.NewFromInt(40)) {
		t.Fatalf("Futures = %+v, %v; want USDT's row", got, err)
	}
	if got, err := Futures("ex", "futures USDT account", "USDT", []row{{"BTC", "9", "9"}}, isUSDT, readRow); err != nil || got != (sdk.FuturesAccount{Asset: "USDT"}) {
		t.Errorf("no USDT row: %+v, %v; want an empty USDT account", got, err)
	}
	_, err = Futures("ex", "futures USDT account", "USDT", []row{{"USDT", "x", "0"}}, isUSDT, readRow)
	if sdk.KindOf(err) != sdk.KindUnknown || !strings.Contains(err.Error(), "ex: malformed futures USDT account in the answer") {
		t.Errorf("a row that does not read: %v, want a malformed answer", err)
	}
}

func TestPositionModeNote(t *testing.T) {
	if h, o := PositionModeNote(true), PositionModeNote(false); !strings.Contains(h, "hedge") || !strings.Contains(o, "one-way") {
		t.Errorf("notes %q and %q; want hedge and one-way named", h, o)
	}
}
