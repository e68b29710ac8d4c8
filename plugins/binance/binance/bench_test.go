package binance_test

import (
	"context"
	"testing"

	"github.com/globalautomation/gahost/plugins/binance/binance"
	"github.com/globalautomation/gahost/plugins/binance/fake"
	"github.com/globalautomation/gahost/sdk/plugintest"
)

func BenchmarkSignature(b *testing.B) {
	q := "symbol=BTCUSDT&side=BUY&type=LIMIT&quantity=1&price=9000&timeInForce=GTC&recvWindow=5000&timestamp=1591702613943"
	for b.Loop() {
		binance.Signature(secret, q, "")
	}
}

// BenchmarkSpotBalances is one signed call end to end against the loopback
// fake: building, signing, HTTP, the fake's verification, decoding.
func BenchmarkSpotBalances(b *testing.B) {
	e := newEnv(b, fake.WithWeightLimits(1<<40, 1<<40))
	e.Fake.Update(apiKey, func(a *fake.Account) {
		a.Spot = []fake.Balance{{Asset: "BTC", Free: "1.5", Locked: "0"}, {Asset: "USDT", Free: "100", Locked: "5"}}
	})
	plugintest.Bench(b, func(c context.Context) error { _, err := e.C.SpotBalances(c, e.Acct); return err })
}
