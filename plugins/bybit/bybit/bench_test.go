package bybit_test

import (
	"context"
	"testing"

	"github.com/globalautomation/gahost/plugins/bybit/bybit"
	"github.com/globalautomation/gahost/plugins/bybit/fake"
	"github.com/globalautomation/gahost/sdk/plugintest"
)

func BenchmarkSignature(b *testing.B) {
	body := `{"category":"linear","symbol":"BTCUSDT","side":"Buy","orderType":"Limit","qty":"0.001","price":"30000","timeInForce":"GTC","positionIdx":0}`
	for b.Loop() {
		bybit.Signature(secret, "1700000000000", apiKey, "5000", body)
	}
}

// BenchmarkSpotBalances is one signed call end to end against the loopback
// fake: building, signing, HTTP, the fake's verification, decoding.
func BenchmarkSpotBalances(b *testing.B) {
	e := newEnv(b, fake.WithIPLimit(1<<40), fake.WithUIDLimit("/v5/account/wallet-balance", 1<<40))
	e.Fake.Update(apiKey, func(a *fake.Account) {
		a.Coins = []fake.Coin{{Coin: "BTC", WalletBalance: "1.5"}, {Coin: "USDT", WalletBalance: "105", Locked: "5"}}
	})
	plugintest.Bench(b, func(c context.Context) error { _, err := e.C.SpotBalances(c, e.Acct); return err })
}
