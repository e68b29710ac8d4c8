package bybit_test

import (
	"testing"

	"github.com/globalautomation/gahost/plugins/bybit/bybit"
	"github.com/globalautomation/gahost/plugins/bybit/fake"
	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/plugintest"
	"github.com/shopspring/decimal"
)

const (
	apiKey = "Xk4wLr8mQpZ2vXn7Ty"
	secret = "Zx9cVb8nMl7kJh6gFd5sAq4wEr3tYu2iOp1a"
)

type env = plugintest.Env[*fake.Server, *bybit.Connector]

// newEnv starts a fake with one full key and a connector pointed at it
// through the rest override, as the host does.
func newEnv(t testing.TB, opts ...fake.Option) *env {
	fx := fake.New(opts...)
	fx.AddKey(fake.FullKey(apiKey, secret))
	return plugintest.NewEnv(t, fx, bybit.New(sdk.WithVersion("1.2.3")), sdk.Account{APIKey: apiKey, SecretKey: secret})
}

// funded is newEnv with USDT and BTC in the wallet and the linear symbols
// in one-way or hedge mode.
func funded(t *testing.T, hedge bool) *env {
	t.Helper()
	e := newEnv(t)
	e.Fake.Update(apiKey, func(a *fake.Account) {
		a.Coins = []fake.Coin{{Coin: "USDT", WalletBalance: "1000"}, {Coin: "BTC", WalletBalance: "0.5"}}
		a.TotalAvailableBalance = "1000"
		a.HedgeMode = hedge
	})
	return e
}

var ctx = plugintest.Context

func d(s string) decimal.Decimal { return decimal.RequireFromString(s) }
