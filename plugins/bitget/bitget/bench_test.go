package bitget_test

import (
	"testing"

	"github.com/globalautomation/gahost/plugins/bitget/bitget"
	"github.com/globalautomation/gahost/plugins/bitget/fake"
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
	fx := fake.New(fake.WithRouteLimit(fake.PathSpotAssets, 1<<40), fake.WithIPLimit(1<<40))
	defer fx.Close()
	fx.AddKey(fake.FullKey(apiKey, secret, passphrase))
	fx.Update(apiKey, func(a *fake.Account) {
		a.Spot = []fake.Balance{{Coin: "BTC", Available: "1.5"}, {Coin: "USDT", Available: "100", Frozen: "5"}}
	})
	e := &env{fx: fx, c: bitget.New()}
	e.acct.APIKey, e.acct.SecretKey, e.acct.Passphrase = apiKey, secret, passphrase
	e.acct.Endpoints = map[string]string{"rest": fx.URL()}
	ctx := b.Context()
	for b.Loop() {
		if _, err := e.c.SpotBalances(ctx, e.acct); err != nil {
			b.Fatal(err)
		}
	}
}
