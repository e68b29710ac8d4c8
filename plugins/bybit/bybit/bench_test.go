package bybit_test

import (
	"testing"

	"github.com/globalautomation/gahost/plugins/bybit/bybit"
	"github.com/globalautomation/gahost/plugins/bybit/fake"
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
	fx := fake.New(fake.WithIPLimit(1<<40), fake.WithUIDLimit("/v5/account/wallet-balance", 1<<40))
	defer fx.Close()
	fx.AddKey(fake.FullKey(apiKey, secret))
	fx.Update(apiKey, func(a *fake.Account) {
		a.Coins = []fake.Coin{{Coin: "BTC", WalletBalance: "1.5"}, {Coin: "USDT", WalletBalance: "105", Locked: "5"}}
	})
	e := &env{fx: fx, c: bybit.New()}
	e.acct.APIKey, e.acct.SecretKey = apiKey, secret
	e.acct.Endpoints = map[string]string{"rest": fx.URL()}
	ctx := b.Context()
	for b.Loop() {
		if _, err := e.c.SpotBalances(ctx, e.acct); err != nil {
			b.Fatal(err)
		}
	}
}
