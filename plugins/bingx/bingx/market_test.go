package bingx_test

import (
	"testing"

	"github.com/globalautomation/gahost/sdk/plugintest"
)

// Perpetuals have decimals instead of steps; spot steps may come in
// exponent form ("1e-05"), and both end as exact steps.
func TestInstruments(t *testing.T) {
	e := newEnv(t)
	plugintest.RunInstruments(t, e.C, e.Acct, e.Fake, "testdata/instruments.txt")
}
