package sdk

import (
	"context"
	"sync"
)

// Rate-limit usage flows beside the answers rather than inside them: a
// connector reports what the exchange's headers said with ReportUsage (the
// signed HTTP client of package rest does so on every response), Serve sends
// it back to the host with the answer or the error, and on the host the
// observer set with WithUsageObserver receives it. Keeping it out of the
// method signatures keeps the Exchange interface about the exchange.

type usageKey struct{}

// UsageRecorder collects rate-limit usage reported during one call.
type UsageRecorder struct {
	mu    sync.Mutex
	usage []RateUsage
}

// Usage returns the latest usage per limit name, in the order first seen.
func (r *UsageRecorder) Usage() []RateUsage {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]RateUsage(nil), r.usage...)
}

func (r *UsageRecorder) add(us []RateUsage) {
	r.mu.Lock()
	defer r.mu.Unlock()
next:
	for _, u := range us {
		for i := range r.usage {
			if r.usage[i].Name == u.Name {
				r.usage[i] = u
				continue next
			}
		}
		r.usage = append(r.usage, u)
	}
}

// WithUsageRecorder returns a context whose ReportUsage calls land in rec.
func WithUsageRecorder(ctx context.Context, rec *UsageRecorder) context.Context {
	return context.WithValue(ctx, usageKey{}, rec)
}

// ReportUsage records usage the exchange reported while serving the call
// that ctx belongs to. It does nothing outside such a call.
func ReportUsage(ctx context.Context, us ...RateUsage) {
	if len(us) == 0 {
		return
	}
	if rec, ok := ctx.Value(usageKey{}).(*UsageRecorder); ok {
		rec.add(us)
	}
}

type observerKey struct{}

// WithUsageObserver returns a context for a host-side call whose reported
// rate-limit usage is passed to fn when the call returns, successful or not.
// An observer already on ctx still receives it too, after fn: the host's
// plugin boundary and the caller above it may both be listening.
func WithUsageObserver(ctx context.Context, fn func([]RateUsage)) context.Context {
	if outer, ok := ctx.Value(observerKey{}).(func([]RateUsage)); ok {
		inner := fn
		fn = func(us []RateUsage) { inner(us); outer(us) }
	}
	return context.WithValue(ctx, observerKey{}, fn)
}

func observeUsage(ctx context.Context, us []RateUsage) {
	if len(us) == 0 {
		return
	}
	if fn, ok := ctx.Value(observerKey{}).(func([]RateUsage)); ok {
		fn(us)
	}
}
