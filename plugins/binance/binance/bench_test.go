package binance_test

import (
	"testing"

	"github.com/globalautomation/gahost/plugins/binance/binance"
	"github.com/globalautomation/gahost/plugins/binance/fake"
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
	fx := fake.New(fake.WithWeightLimits(1<<40, 1<<40))
	defer fx.Close()
	fx.AddKey(fake.FullKey(apiKey, secret))
	fx.Update(apiKey, func(a *fake.Account) {
		a.Spot = []fake.Balance{{Asset: "BTC", Free: "1.5", Locked: "0"}, {Asset: "USDT", Free: "100", Locked: "5"}}
	})
	e := &env{fx: fx, c: binance.New()}
	e.acct.APIKey, e.acct.SecretKey = apiKey, secret
	e.acct.Endpoints = map[string]string{"spot": fx.URL(), "futures": fx.URL()}
	ctx := b.Context()
	for b.Loop() {
		if _, err := e.c.SpotBalances(ctx, e.acct); err != nil {
			b.Fatal(err)
		}
	}
}
