package pluginhost

import (
	"context"

	"github.com/globalautomation/gahost/sdk"
)

type observerKey struct{}

// WithUsageObserver returns a context for a call to a plugin whose reported
// rate-limit usage is passed to fn when the call returns, successful or not.
// fn is not called when the connector reported nothing.
func WithUsageObserver(ctx context.Context, fn func([]sdk.RateUsage)) context.Context {
	return context.WithValue(ctx, observerKey{}, fn)
}

func observeUsage(ctx context.Context, us []sdk.RateUsage) {
	if len(us) == 0 {
		return
	}
	if fn, ok := ctx.Value(observerKey{}).(func([]sdk.RateUsage)); ok {
		fn(us)
	}
}
