package bitget_test

import (
	"errors"
	"testing"

	"github.com/globalautomation/gahost/plugins/bitget/bitget"
	"github.com/globalautomation/gahost/plugins/bitget/fake"
	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/plugintest"
	"github.com/shopspring/decimal"
)

const (
	apiKey     = "bg_6f1c0d9e4b7a2385c1e0f4d6a9b8c7e2"
	secret     = "3e9a1f7c5b2d8e04a6c3b9f1d7e2a5c8b0f4e6d2a9c1b7e3f5d8a0c2e4b6f9a1"
	passphrase = "Tr0ub4dor-and-3"
)

type env struct {
	*plugintest.Env[*fake.Server, *bitget.Connector]
	oids int
}

// newEnv starts a fake with one full key and a connector pointed at it
// through the rest override, as the host does. Client order ids the
// connector makes up are "auto-1", "auto-2", … so that bodies are known.
func newEnv(t testing.TB, opts ...fake.Option) *env {
	fx := fake.New(opts...)
	fx.AddKey(fake.FullKey(apiKey, secret, passphrase))
	e := &env{Env: plugintest.NewEnv(t, fx, bitget.New(sdk.WithVersion("1.2.3")), sdk.Account{APIKey: apiKey, SecretKey: secret, Passphrase: passphrase})}
	bitget.SetClientOids(e.C, func() string { e.oids++; return "auto-" + itoa(int64(e.oids)) })
	return e
}

// funded gives the fake account money on spot and futures.
func funded(t *testing.T, hedge bool, opts ...fake.Option) *env {
	t.Helper()
	e := newEnv(t, opts...)
	e.Fake.Update(apiKey, func(a *fake.Account) {
		a.Spot = []fake.Balance{{Coin: "USDT", Available: "1000", Frozen: "0", Locked: "0"}, {Coin: "BTC", Available: "0.5", Frozen: "0", Locked: "0"}}
		a.Futures = []fake.FuturesRow{{MarginCoin: "USDT", Available: "1000", CrossedMaxAvailable: "1000", AccountEquity: "1000", UnrealizedPL: "0"}}
		a.HedgeMode = hedge
	})
	return e
}

var ctx = plugintest.Context

func d(s string) decimal.Decimal { return decimal.RequireFromString(s) }

var eq = plugintest.EqualDecimal

func itoa(n int64) string { return decimal.NewFromInt(n).String() }

func asErr(err error, target **sdk.Error) bool { return errors.As(err, target) }

// code is the exchange code of err, or "".
func code(err error) string {
	var se *sdk.Error
	if asErr(err, &se) {
		return se.ExchangeCode
	}
	return ""
}
