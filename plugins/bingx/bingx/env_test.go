package bingx_test

import (
	"strconv"
	"testing"

	"github.com/globalautomation/gahost/plugins/bingx/bingx"
	"github.com/globalautomation/gahost/plugins/bingx/fake"
	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/plugintest"
	"github.com/shopspring/decimal"
)

const (
	apiKey = "Qw3eRt5yUi7oPa9sDf1gHj3kLz5xCv7bNm9qWe1rTy3uIo5pAs7dFg9hJk1lZx3cVb5nMq7wEr9tYu1iOp3aSd5fGh7jK"
	secret = "Lk9jHg7fDs5aPo3iUy1tRe9wQm7nBv5cXz3lKj1hGf9dSa7pOi5uYt3rEw1qMn9bVc7xZl5kJh3gFd1sAp9oIu7yTr5e"
)

type env = plugintest.Env[*fake.Server, *bingx.Connector]

// newEnv starts a fake with one full key and a connector pointed at it
// through the rest endpoint override, as the host does.
func newEnv(t testing.TB, opts ...fake.Option) *env {
	fx := fake.New(opts...)
	fx.AddKey(fake.FullKey(apiKey, secret))
	return plugintest.NewEnv(t, fx, bingx.New(sdk.WithVersion("1.2.3")), sdk.Account{APIKey: apiKey, SecretKey: secret})
}

// funded is newEnv with money on spot and in the swap wallet.
func funded(t *testing.T, hedge bool, opts ...fake.Option) *env {
	t.Helper()
	e := newEnv(t, opts...)
	e.Fake.Update(apiKey, func(a *fake.Account) {
		a.Spot = []fake.Balance{{Asset: "USDT", Free: "1000", Locked: "0"}, {Asset: "BTC", Free: "0.5", Locked: "0"}}
		a.Swap = []fake.SwapAsset{{Asset: "USDT", Balance: "1000", Equity: "1000", UnrealizedProfit: "0", AvailableMargin: "1000"}}
		a.HedgeMode = hedge
	})
	return e
}

var ctx = plugintest.Context

func d(s string) decimal.Decimal { return decimal.RequireFromString(s) }

var eq = plugintest.EqualDecimal

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// envelope wraps data as BingX's success answer, for injected bodies.
func envelope(data string) string { return `{"code":0,"msg":"","data":` + data + `}` }

// bingxErr is BingX's error body.
func bingxErr(code int, msg string) string {
	return `{"code":` + strconv.Itoa(code) + `,"msg":` + strconv.Quote(msg) + `,"data":{}}`
}
