package binance_test

import (
	"testing"

	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/plugintest"
)

// The reference prices are checked by TestConformance. Only what is
// asked for is read: assets alone need no futures mark prices.
func TestPricesReadOnlyWhatIsAsked(t *testing.T) {
	e := newEnv(t)
	if _, err := e.C.Prices(ctx(t), e.Acct, sdk.PriceRequest{Assets: []string{"BTC"}}); err != nil {
		t.Fatal(err)
	}
	if n := e.Fake.Calls("/fapi/v1/premiumIndex"); n != 0 {
		t.Errorf("valuing an asset read the futures mark prices %d times", n)
	}
}

func TestInstruments(t *testing.T) {
	e := newEnv(t)
	plugintest.RunInstruments(t, e.C, e.Acct, e.Fake, "testdata/instruments.txt")
	if q := plugintest.QueryValues(e.Fake.Requests(), "showPermissionSets"); len(q) != 1 || q[0] != "false" {
		t.Errorf("showPermissionSets sent as %q: the spot list would carry megabytes of permission sets", q)
	}
}
