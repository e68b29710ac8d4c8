package plugins

import (
	"context"
	"sort"
	"testing"
	"time"

	"github.com/globalautomation/gahost/sdk"
)

// reportLatency adds p50 and p99 of the samples to the benchmark's output.
func reportLatency(b *testing.B, samples []time.Duration) {
	if len(samples) == 0 {
		return
	}
	sort.Slice(samples, func(i, j int) bool { return samples[i] < samples[j] })
	b.ReportMetric(float64(samples[len(samples)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(samples[len(samples)*99/100].Microseconds()), "p99-µs")
}

func benchInfo(b *testing.B, x sdk.Exchange) {
	ctx := context.Background()
	samples := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		if _, err := x.Info(ctx); err != nil {
			b.Fatal(err)
		}
		samples = append(samples, time.Since(start))
	}
	b.StopTimer()
	reportLatency(b, samples)
}

// BenchmarkRoundTrip is one host→plugin Info call through the catalog to a
// real plugin process (gRPC over a unix socket with mTLS).
func BenchmarkRoundTrip(b *testing.B) {
	dir := b.TempDir()
	install(b, dir, "alpha-1.0.0", "gahost-plugin-alpha")
	c := newCatalog(b, Config{Dir: dir})
	if err := c.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	x, _, _ := c.Exchange("alpha")
	benchInfo(b, x)
}

// BenchmarkDirectCall is the same call as a plain Go method call.
func BenchmarkDirectCall(b *testing.B) {
	benchInfo(b, staticExchange{})
}

type staticExchange struct{ sdk.Exchange }

func (staticExchange) Info(context.Context) (sdk.Info, error) {
	return sdk.Info{Name: "static", Version: "1.0.0", Capabilities: []string{sdk.CapSpotBalances}}, nil
}
