package sdk_test

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/globalautomation/gahost/sdk"
	"github.com/shopspring/decimal"
)

// market is an echo that also serves prices and instruments.
type market struct {
	echo
	gotReq    sdk.PriceRequest
	gotMarket sdk.Market
	gotAcct   sdk.Account
}

var book = map[string]sdk.Price{
	"BTC/USDT":      {Symbol: "BTC/USDT", Last: decimal.RequireFromString("60000.10")},
	"BTC/USDT:USDT": {Symbol: "BTC/USDT:USDT", Last: decimal.RequireFromString("60010.5"), Mark: decimal.RequireFromString("60008.25"), Time: time.UnixMilli(1700000000123).UTC()},
	"ETH/BTC":       {Symbol: "ETH/BTC", Last: decimal.RequireFromString("0.05")},
	"DEAD/USDT":     {Symbol: "DEAD/USDT"},
}

func (m *market) Prices(_ context.Context, a sdk.Account, r sdk.PriceRequest) (sdk.Prices, error) {
	m.gotReq, m.gotAcct = r, a
	return sdk.AnswerPrices("echo", r, book), m.err
}

func (m *market) Instruments(_ context.Context, a sdk.Account, mk sdk.Market) ([]sdk.Instrument, error) {
	m.gotMarket, m.gotAcct = mk, a
	return []sdk.Instrument{{
		Symbol: "BTC/USDT:USDT", NativeSymbols: []string{"BTCUSDT"}, Market: sdk.MarketFutures,
		Base: "BTC", Quote: "USDT", Settle: "USDT",
		LotStep: decimal.RequireFromString("0.001"), MinQuantity: decimal.RequireFromString("0.002"),
		TickSize: decimal.RequireFromString("0.10"), MinNotional: decimal.RequireFromString("100"),
		Status: sdk.InstrumentTrading,
	}}, m.err
}

func TestPricesCrossTheBoundary(t *testing.T) {
	impl := &market{}
	x := pair(t, impl)
	acct := sdk.Account{Testnet: true, Endpoints: map[string]string{"spot": "http://127.0.0.1:1"}}
	got, err := x.Prices(context.Background(), acct, sdk.PriceRequest{
		Symbols: []string{"BTC/USDT:USDT", "btc/usdt", "NOPE/USDT", "DEAD/USDT"},
		Assets:  []string{"BTC", "USDT", "ETH", "BTC", "DEAD"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if !impl.gotAcct.Testnet || impl.gotAcct.Endpoints["spot"] != "http://127.0.0.1:1" {
		t.Errorf("routing lost on the way: %+v", impl.gotAcct.Endpoints)
	}
	type row struct{ sym, asset, last, mark string }
	var rows []row
	for _, p := range got.Prices {
		rows = append(rows, row{p.Symbol, p.Asset, p.Last.String(), p.Mark.String()})
	}
	want := []row{
		{"BTC/USDT:USDT", "", "60010.5", "60008.25"},
		{"BTC/USDT", "", "60000.1", "0"},
		{"BTC/USDT", "BTC", "60000.1", "0"},
		{"", "USDT", "1", "0"},
	}
	if !reflect.DeepEqual(rows, want) {
		t.Errorf("prices = %v\nwant     %v", rows, want)
	}
	if p, ok := got.Symbol("BTC/USDT:USDT"); !ok || !p.Time.Equal(time.UnixMilli(1700000000123)) || p.Reference().String() != "60008.25" {
		t.Errorf("perp price = %+v", p)
	}
	if p, ok := got.Asset("btc"); !ok || p.Reference().String() != "60000.1" {
		t.Errorf("BTC value = %+v", p)
	}
	wantMissing := []sdk.MissingPrice{
		{Symbol: "NOPE/USDT", Reason: "echo lists no market NOPE/USDT"},
		{Symbol: "DEAD/USDT", Reason: "echo reports no price for DEAD/USDT"},
		{Asset: "ETH", Reason: "echo lists no ETH/USDT spot market to value ETH by"},
		{Asset: "DEAD", Reason: "echo reports no last price for DEAD/USDT"},
	}
	if !reflect.DeepEqual(got.Missing, wantMissing) {
		t.Errorf("missing = %+v\nwant      %+v", got.Missing, wantMissing)
	}

	impl.err = sdk.RateLimited(2*time.Second, "slow down")
	if _, err := x.Prices(context.Background(), acct, sdk.PriceRequest{Assets: []string{"BTC"}}); !errors.Is(err, sdk.ErrRateLimited) || sdk.RetryAfter(err) != 2*time.Second {
		t.Errorf("a rate-limited price read: %v", err)
	}
}

func TestInstrumentsCrossTheBoundary(t *testing.T) {
	impl := &market{}
	x := pair(t, impl)
	got, err := x.Instruments(context.Background(), sdk.Account{}, sdk.MarketFutures)
	if err != nil {
		t.Fatal(err)
	}
	if impl.gotMarket != sdk.MarketFutures || len(got) != 1 {
		t.Fatalf("market %q, %d instruments", impl.gotMarket, len(got))
	}
	i := got[0]
	if i.Symbol != "BTC/USDT:USDT" || !reflect.DeepEqual(i.NativeSymbols, []string{"BTCUSDT"}) || i.Market != sdk.MarketFutures ||
		i.Base != "BTC" || i.Quote != "USDT" || i.Settle != "USDT" || i.LotStep.String() != "0.001" ||
		i.MinQuantity.String() != "0.002" || i.TickSize.String() != "0.1" || i.MinNotional.String() != "100" || i.Status != sdk.InstrumentTrading {
		t.Errorf("instrument = %+v", i)
	}
	if _, err := x.Instruments(context.Background(), sdk.Account{}, "options"); !errors.Is(err, sdk.ErrInvalidRequest) {
		t.Errorf("an unknown market: %v", err)
	}
}

// A connector that implements neither answers unsupported, as a plugin
// built before the calls does.
func TestMarketDataUnsupported(t *testing.T) {
	x := pair(t, &echo{})
	if _, err := x.Prices(context.Background(), sdk.Account{}, sdk.PriceRequest{Assets: []string{"BTC"}}); !errors.Is(err, sdk.ErrUnsupported) {
		t.Errorf("prices: %v", err)
	}
	if _, err := x.Instruments(context.Background(), sdk.Account{}, sdk.MarketSpot); !errors.Is(err, sdk.ErrUnsupported) {
		t.Errorf("instruments: %v", err)
	}
}

func TestInstrumentRounding(t *testing.T) {
	d := decimal.RequireFromString
	i := sdk.Instrument{LotStep: d("0.001"), TickSize: d("0.5")}
	cases := []struct{ got, want string }{
		{i.FloorQuantity(d("1.23456")).String(), "1.234"},
		{i.FloorQuantity(d("0.0009")).String(), "0"},
		{i.FloorPrice(d("100.7")).String(), "100.5"},
		{i.CeilPrice(d("100.2")).String(), "100.5"},
		{i.CeilPrice(d("100.5")).String(), "100.5"},
		{sdk.Instrument{}.FloorQuantity(d("1.23456")).String(), "1.23456"},
	}
	for n, c := range cases {
		if c.got != c.want {
			t.Errorf("case %d: %s, want %s", n, c.got, c.want)
		}
	}
}

func TestPriceRequestNeeds(t *testing.T) {
	cases := []struct {
		r             sdk.PriceRequest
		spot, futures bool
	}{
		{sdk.PriceRequest{Assets: []string{"usdt"}}, false, false},
		{sdk.PriceRequest{Assets: []string{"BTC"}}, true, false},
		{sdk.PriceRequest{Symbols: []string{"BTC/USDT:USDT"}}, false, true},
		{sdk.PriceRequest{Symbols: []string{"BTC/USDT", "ETH/USDT:USDT"}}, true, true},
	}
	for _, c := range cases {
		if c.r.NeedsSpot() != c.spot || c.r.NeedsFutures() != c.futures {
			t.Errorf("%+v: spot %v futures %v", c.r, c.r.NeedsSpot(), c.r.NeedsFutures())
		}
	}
}

func TestPriceRequestSymbols(t *testing.T) {
	r := sdk.PriceRequest{
		Symbols: []string{"btc/usdt", "ETH/USDT:USDT", "BTC/USDT", " eth/usdt:usdt "},
		Assets:  []string{"BTC", "usdt", "sol", "SOL"},
	}
	if got := r.SpotSymbols(); !reflect.DeepEqual(got, []string{"BTC/USDT", "SOL/USDT"}) {
		t.Errorf("spot = %q", got)
	}
	if got := r.FuturesSymbols(); !reflect.DeepEqual(got, []string{"ETH/USDT:USDT"}) {
		t.Errorf("futures = %q", got)
	}
}
