package okx_test

import (
	"testing"

	"github.com/globalautomation/gahost/plugins/okx/fake"
	"github.com/globalautomation/gahost/plugins/okx/okx"
	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/plugintest"
	"github.com/shopspring/decimal"
)

// Made-up credentials in OKX's shapes.
const (
	apiKey     = "9c1b7a2e-5d4f-4e3a-8b6c-0f1e2d3c4b5a"
	secret     = "7F3A9C2E1B8D4F6A0C5E9B2D7A1F3C8E"
	passphrase = "Correct-Horse-9"
)

type env = plugintest.Env[*fake.Server, *okx.Connector]

// newEnv starts a fake with one full key and a connector pointed at it
// through the rest endpoint override, as the host does.
func newEnv(t testing.TB, opts ...fake.Option) *env {
	fx := fake.New(opts...)
	fx.AddKey(fake.FullKey(apiKey, secret, passphrase))
	return plugintest.NewEnv(t, fx, okx.New(sdk.WithVersion("1.2.3")), sdk.Account{APIKey: apiKey, SecretKey: secret, Passphrase: passphrase})
}

// funded is newEnv with USDT and BTC in the trading account.
func funded(t *testing.T, posMode string) *env {
	t.Helper()
	e := newEnv(t)
	e.Fake.Update(apiKey, func(a *fake.Account) {
		a.PosMode = posMode
		a.Balances = []fake.Balance{
			{Ccy: "USDT", Eq: "1000", CashBal: "1000", AvailBal: "1000", AvailEq: "1000", FrozenBal: "0", Upl: "0"},
			{Ccy: "BTC", Eq: "0.5", CashBal: "0.5", AvailBal: "0.5", AvailEq: "0.5", FrozenBal: "0", Upl: "0"},
		}
	})
	return e
}

var ctx = plugintest.Context

func d(s string) decimal.Decimal { return decimal.RequireFromString(s) }
