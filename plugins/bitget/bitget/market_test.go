package bitget_test

import (
	"testing"

	"github.com/globalautomation/gahost/sdk/plugintest"
)

func TestInstruments(t *testing.T) {
	e := newEnv(t)
	plugintest.RunInstruments(t, e.C, e.Acct, e.Fake, "testdata/instruments.txt")
}
