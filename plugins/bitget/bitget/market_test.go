package bitget_test

import (
	"slices"
	"testing"

	"github.com/globalautomation/gahost/sdk/plugintest"
)

// The reference prices are checked by TestConformance. They come from the
// classic public ticker lists, which serve Classic and UTA accounts
// alike; the futures one is read for USDT-margined contracts only.
func TestPriceProductType(t *testing.T) {
	e := newEnv(t)
	if _, err := e.C.Prices(ctx(t), e.Acct, plugintest.ReferencePrices("bitget", "BGB").Req); err != nil {
		t.Fatal(err)
	}
	if q := plugintest.QueryValues(e.Fake.Requests(), "productType"); !slices.Equal(q, []string{"USDT-FUTURES"}) {
		t.Errorf("product types read: %q", q)
	}
}

func TestInstruments(t *testing.T) {
	e := newEnv(t)
	plugintest.RunInstruments(t, e.C, e.Acct, e.Fake, "testdata/instruments.txt")
}
