package pluginhost

import (
	"context"

	"github.com/globalautomation/gahost/sdk"
)

type observerKey struct{}

// WithUsageObserver returns a context for a call to a plugin whose reported
// rate-limit usage is passed to fn when the call returns, successful or not.
// fn is not called when the connector reported nothing.
//
// An observer already on ctx still receives the usage too, after fn: the
// host's plugin boundary and the caller above it may both be listening.
func WithUsageObserver(ctx context.Context, fn func([]sdk.RateUsage)) context.Context {
	if outer, ok := ctx.Value(observerKey{}).(func([]sdk.RateUsage)); ok {
		inner := fn
		fn = func(us []sdk.RateUsage) { inner(us); outer(us) }
	}
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
