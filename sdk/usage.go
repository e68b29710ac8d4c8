package sdk

import (
	"context"
	"sync"
)

// Rate-limit usage flows beside the answers rather than inside them: a
// connector reports what the exchange's headers said with ReportUsage (the
// signed HTTP client of package rest does so on every response), and Serve
// sends it back to the host with the answer or the error. Keeping it out of
// the method signatures keeps the Exchange interface about the exchange.

type usageKey struct{}

// UsageRecorder collects rate-limit usage reported during one call. Serve
// installs one per call; a connector's own tests install one with
// WithUsageRecorder to see what the connector reported.
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
