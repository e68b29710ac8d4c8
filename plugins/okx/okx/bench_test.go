package okx_test

import (
	"context"
	"testing"

	"github.com/globalautomation/gahost/plugins/okx/fake"
	"github.com/globalautomation/gahost/plugins/okx/okx"
	"github.com/globalautomation/gahost/sdk/plugintest"
)

func BenchmarkSignature(b *testing.B) {
	body := `{"instId":"BTC-USDT","tdMode":"cash","side":"buy","ordType":"limit","px":"2.15","sz":"2"}`
	for b.Loop() {
		okx.Signature(secret, "2020-12-08T09:08:57.715Z", "POST", "/api/v5/trade/order", body)
	}
}

// BenchmarkSpotBalances is one signed call end to end against the loopback
// fake: building, signing, HTTP, the fake's verification, decoding.
func BenchmarkSpotBalances(b *testing.B) {
	e := newEnv(b, fake.WithLimit("/api/v5/account/balance", 1<<40))
	e.Fake.Update(apiKey, func(a *fake.Account) {
		a.Balances = []fake.Balance{{Ccy: "BTC", Eq: "1.5", AvailBal: "1.5", FrozenBal: "0"}, {Ccy: "USDT", Eq: "105", AvailBal: "100", FrozenBal: "5"}}
	})
	plugintest.Bench(b, func(c context.Context) error { _, err := e.C.SpotBalances(c, e.Acct); return err })
}
