package bitget_test

import (
	"slices"
	"testing"

	"github.com/globalautomation/gahost/plugins/bitget/fake"
	"github.com/globalautomation/gahost/sdk/plugintest"
)

// Prices come from the classic public ticker lists, one request each,
// without the key: they serve Classic and UTA accounts alike. An asset
// without a USDT market is missing, not priced through another.
func TestPrices(t *testing.T) {
	e := newEnv(t)
	e.Fake.SetMark("BTCUSDT", "60012.34")
	c := plugintest.ReferencePrices("bitget", "BGB")
	c.Calls = map[string]int{fake.PathSpotTickers: 1, fake.PathFuturesTickers: 1}
	plugintest.RunPrices(t, e.C, e.Acct, e.Fake, c)
	if q := plugintest.QueryValues(e.Fake.Requests(), "productType"); !slices.Equal(q, []string{"USDT-FUTURES"}) {
		t.Errorf("product types read: %q", q)
	}
}

func TestInstruments(t *testing.T) {
	e := newEnv(t)
	plugintest.RunInstruments(t, e.C, e.Acct, e.Fake, "testdata/instruments.txt")
}
