package bitget_test

import (
	"context"
	"testing"

	"github.com/globalautomation/gahost/plugins/bitget/bitget"
	"github.com/globalautomation/gahost/plugins/bitget/fake"
	"github.com/globalautomation/gahost/sdk/plugintest"
)

func BenchmarkSignature(b *testing.B) {
	pre := bitget.PreHash("1700000000000", "POST", "/api/v2/spot/trade/place-order", "",
		`{"symbol":"BTCUSDT","side":"buy","orderType":"limit","force":"gtc","price":"30000","size":"0.001","clientOid":"t-1"}`)
	for b.Loop() {
		bitget.Signature(secret, pre)
	}
}

// BenchmarkSpotBalances is one signed call end to end against the loopback
// fake: building, signing, HTTP, the fake's verification, decoding.
func BenchmarkSpotBalances(b *testing.B) {
	e := newEnv(b, fake.WithRouteLimit(fake.PathSpotAssets, 1<<40), fake.WithIPLimit(1<<40))
	e.Fake.Update(apiKey, func(a *fake.Account) {
		a.Spot = []fake.Balance{{Coin: "BTC", Available: "1.5"}, {Coin: "USDT", Available: "100", Frozen: "5"}}
	})
	plugintest.Bench(b, func(c context.Context) error { _, err := e.C.SpotBalances(c, e.Acct); return err })
}
