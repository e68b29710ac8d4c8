package bingx_test

import (
	"context"
	"testing"

	"github.com/globalautomation/gahost/plugins/bingx/bingx"
	"github.com/globalautomation/gahost/plugins/bingx/fake"
	"github.com/globalautomation/gahost/sdk/plugintest"
	"github.com/globalautomation/gahost/sdk/rest"
)

func BenchmarkSignedQuery(b *testing.B) {
	p := rest.Params{}.Add("symbol", "BTC-USDT").Add("side", "BUY").Add("positionSide", "LONG").
		Add("type", "LIMIT").Add("quantity", "0.001").Add("price", "60000").Add("timeInForce", "GTC")
	for b.Loop() {
		bingx.SignedQuery(secret, p, 1700000000000)
	}
}

// BenchmarkSpotBalances is one signed call end to end against the loopback
// fake: building, signing, HTTP, the fake's verification, decoding.
func BenchmarkSpotBalances(b *testing.B) {
	e := newEnv(b, fake.WithIPLimits(1<<40, 1<<40), fake.WithoutUIDLimits())
	e.Fake.Update(apiKey, func(a *fake.Account) {
		a.Spot = []fake.Balance{{Asset: "BTC", Free: "1.5", Locked: "0"}, {Asset: "USDT", Free: "100", Locked: "5"}}
	})
	plugintest.Bench(b, func(c context.Context) error { _, err := e.C.SpotBalances(c, e.Acct); return err })
}
