package bybit_test

import (
	"slices"
	"strconv"
	"testing"

	"github.com/globalautomation/gahost/plugins/bybit/fake"
	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/plugintest"
)

// Prices come from one ticker list per category, without the key; assets
// are valued by their USDT market and an asset without one is missing,
// not priced through BTC.
func TestPrices(t *testing.T) {
	e := newEnv(t)
	e.Fake.SetMark("BTCUSDT", "60012.34")
	c := plugintest.ReferencePrices("bybit", "MNT")
	// One list per category.
	c.Calls = map[string]int{"/v5/market/tickers": 2}
	plugintest.RunPrices(t, e.C, e.Acct, e.Fake, c)
	if q := plugintest.QueryValues(e.Fake.Requests(), "category"); !slices.Equal(q, []string{"spot", "linear"}) {
		t.Errorf("categories read: %q", q)
	}
}

func TestInstruments(t *testing.T) {
	e := newEnv(t)
	plugintest.RunInstruments(t, e.C, e.Acct, e.Fake, "testdata/instruments.txt")
}

// More linear symbols than one page holds are read page by page.
func TestInstrumentPages(t *testing.T) {
	e := newEnv(t)
	for _, b := range []string{"A", "B", "C"} {
		for i := range 400 {
			e.Fake.ListLinear(b+strconv.Itoa(i)+"XUSDT", fake.Market{Base: b + strconv.Itoa(i) + "X", Quote: "USDT", Price: "1"})
		}
	}
	is, err := e.C.Instruments(ctx(t), e.Acct, sdk.MarketFutures)
	if err != nil {
		t.Fatal(err)
	}
	if len(is) != 1202 || e.Fake.Calls("/v5/market/instruments-info") != 2 {
		t.Errorf("%d instruments in %d pages, want 1202 in 2", len(is), e.Fake.Calls("/v5/market/instruments-info"))
	}
}
