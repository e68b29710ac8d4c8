package bingx_test

import (
	"testing"

	"github.com/globalautomation/gahost/plugins/bingx/bingx"
	"github.com/globalautomation/gahost/plugins/bingx/fake"
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
	fx := fake.New(fake.WithIPLimits(1<<40, 1<<40), fake.WithoutUIDLimits())
	defer fx.Close()
	fx.AddKey(fake.FullKey(apiKey, secret))
	fx.Update(apiKey, func(a *fake.Account) {
		a.Spot = []fake.Balance{{Asset: "BTC", Free: "1.5", Locked: "0"}, {Asset: "USDT", Free: "100", Locked: "5"}}
	})
	e := &env{fx: fx, c: bingx.New()}
	e.acct.APIKey, e.acct.SecretKey = apiKey, secret
	e.acct.Endpoints = map[string]string{"rest": fx.URL()}
	ctx := b.Context()
	for b.Loop() {
		if _, err := e.c.SpotBalances(ctx, e.acct); err != nil {
			b.Fatal(err)
		}
	}
}
