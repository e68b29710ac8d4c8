package scheduler

import (
	"testing"
	"time"

	"github.com/globalautomation/gahost/sdk"
)

func infoWith(limit int64, window time.Duration) sdk.Info {
	return sdk.Info{RateLimits: []sdk.RateLimit{
		{Name: "orders", Limit: 10, Interval: time.Second, Scope: sdk.ScopeAccount},
		{Name: "request_weight", Limit: limit, Interval: window, Scope: sdk.ScopeIP},
	}}
}

// greedy takes cost as often as the budget lets it, stepping a simulated
// clock, and returns when each take happened.
func greedy(b *budget, start time.Time, d, step time.Duration, cost int64) []time.Time {
	var at []time.Time
	for now := start; now.Before(start.Add(d)); now = now.Add(step) {
		for {
			ok, _ := b.take(now, cost)
			if !ok {
				break
			}
			at = append(at, now)
		}
	}
	return at
}

// maxInSpan is the most weight any span of length span received, for
// takes of cost each, with every take delivered late by up to spread (the
// latency spread between the host's clock and the exchange's count).
func maxInSpan(at []time.Time, span, spread time.Duration, cost int64) int64 {
	var best int64
	j := 0
	for i := range at {
		for at[i].Sub(at[j]) >= span+spread {
			j++
		}
		best = max(best, int64(i-j+1)*cost)
	}
	return best
}

func TestBudgetNeverExceedsTheLimit(t *testing.T) {
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	cases := []struct {
		name   string
		limit  int64
		window time.Duration
		cost   int64
		spread time.Duration
	}{
		{"binance spot: 6000 per minute, 20 a sync", 6000, time.Minute, 20, 2 * time.Second},
		{"small limit, big sync", 100, time.Second, 20, 0},
		{"one second window", 400, time.Second, 20, 50 * time.Millisecond},
		{"bybit-like: 600 per 5s, 2 a sync", 600, 5 * time.Second, 2, 200 * time.Millisecond},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := newBudget(infoWith(tc.limit, tc.window), 0.8, tc.cost)
			at := greedy(b, start, 10*tc.window, tc.window/1000, tc.cost)
			if got := maxInSpan(at, tc.window, tc.spread, tc.cost); got > tc.limit {
				t.Errorf("%d weight in one window (with %s latency spread), limit %d", got, tc.spread, tc.limit)
			}
			// And it does not starve: the steady rate is the allowed one.
			v := b.view(start)
			sent := int64(len(at)) * tc.cost
			if want := v.Allowed * 10; sent < want*9/10 {
				t.Errorf("sent %d over 10 windows, want about %d", sent, want)
			}
		})
	}
}

func TestBudgetCorrections(t *testing.T) {
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	w := time.Minute
	cases := []struct {
		name string
		do   func(b *budget, now time.Time)
		// after do, a greedy minute sends within [min, max] weight
		min, max int64
	}{
		{"untouched", func(*budget, time.Time) {}, 4800, 4800 + 300},
		{"other traffic on the IP", func(b *budget, now time.Time) {
			b.observe(now, []sdk.RateUsage{{Name: "request_weight", Used: 3000, Limit: 6000, Interval: w}})
		}, 1800, 1800 + 300},
		{"usage of another limit is ignored", func(b *budget, now time.Time) {
			b.observe(now, []sdk.RateUsage{{Name: "orders", Used: 3000}})
		}, 4800, 4800 + 300},
		{"usage over another window is ignored", func(b *budget, now time.Time) {
			b.observe(now, []sdk.RateUsage{{Name: "request_weight", Used: 3000, Interval: time.Second}})
		}, 4800, 4800 + 300},
		{"a lower limit reported by the exchange wins", func(b *budget, now time.Time) {
			b.observe(now, []sdk.RateUsage{{Name: "request_weight", Used: 0, Limit: 1200, Interval: w}})
		}, 960, 960 + 60},
		{"a rate-limited answer drains it", func(b *budget, now time.Time) {
			b.drain(now.Add(30 * time.Second))
		}, 2300, 2500},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := newBudget(infoWith(6000, w), 0.8, 20)
			tc.do(b, start)
			at := greedy(b, start, w, 10*time.Millisecond, 20)
			if sent := int64(len(at)) * 20; sent < tc.min || sent > tc.max {
				t.Errorf("sent %d in the minute after, want %d..%d", sent, tc.min, tc.max)
			}
		})
	}
}

func TestBudgetRefundAndRepeatedReports(t *testing.T) {
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	b := newBudget(infoWith(1000, time.Second), 0.8, 20)
	// Spend the burst, then get it back: the calls never left the host.
	for b.take(start, 20); ; {
		if ok, _ := b.take(start, 20); !ok {
			break
		}
	}
	if ok, _ := b.take(start, 20); ok {
		t.Fatal("burst not spent")
	}
	b.refund(start, 20)
	if ok, _ := b.take(start, 20); !ok {
		t.Fatal("refunded units not usable")
	}
	// The exchange reporting the same count again charges nothing new.
	used := b.view(start).Used
	b.observe(start, []sdk.RateUsage{{Name: "request_weight", Used: used + 100, Interval: time.Second}})
	b.observe(start, []sdk.RateUsage{{Name: "request_weight", Used: used + 100, Interval: time.Second}})
	if got := b.view(start).External; got != 100 {
		t.Fatalf("external = %d, want 100", got)
	}
}

func TestBudgetCycle(t *testing.T) {
	b := newBudget(infoWith(6000, time.Minute), 0.8, 20)
	// 4800 a minute allowed: 480 accounts of 20 need two minutes.
	if got := b.cycle(480 * 20); got != 2*time.Minute {
		t.Fatalf("cycle = %s", got)
	}
	if newBudget(sdk.Info{}, 0.8, 20) != nil {
		t.Fatal("a budget without a per-IP limit")
	}
}
