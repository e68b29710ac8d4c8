package binance_test

import (
	"strconv"
	"testing"

	"github.com/globalautomation/gahost/plugins/binance/binance"
	"github.com/globalautomation/gahost/plugins/binance/fake"
	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/plugintest"
	"github.com/shopspring/decimal"
)

const (
	apiKey = "Gk4wLr8mQpZ2vXn7Ty1uBc5dEf9hJs3aKm6oPq0rSt2uVw4xYz8bNc1dFg5hJk7l"
	secret = "Zx9cVb8nMl7kJh6gFd5sAq4wEr3tYu2iOp1aSd0fGh9jKl8zXc7vBn6mQw5eRt4y"
)

type env = plugintest.Env[*fake.Server, *binance.Connector]

// newEnv starts a fake with one full key and a connector pointed at it
// through the endpoint overrides, as the host does.
func newEnv(t testing.TB, opts ...fake.Option) *env {
	fx := fake.New(opts...)
	fx.AddKey(fake.FullKey(apiKey, secret))
	return plugintest.NewEnv(t, fx, binance.New(sdk.WithVersion("1.2.3")), sdk.Account{APIKey: apiKey, SecretKey: secret})
}

var ctx = plugintest.Context

func d(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
