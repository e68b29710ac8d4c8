package bybit_test

import (
	"strconv"
	"testing"

	"github.com/globalautomation/gahost/plugins/bybit/fake"
	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/plugintest"
)

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
