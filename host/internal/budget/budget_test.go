package budget

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"testing/synctest"
	"time"

	"github.com/globalautomation/gahost/sdk"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var start = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// A Set is what the scheduler paces an exchange by.
var _ interface {
	TryTake(now time.Time, calls []string) (ok bool, wait time.Duration)
	Cycle(calls []string, n int) time.Duration
	HeldUntil(now time.Time) time.Time
} = (*Set)(nil)

// oneLimit declares an account-scoped limit first, which the budget must
// skip, then the per-IP one, with costs in the older CallCosts form.
func oneLimit(limit int64, window time.Duration, cost int64) sdk.Info {
	return sdk.Info{
		Name:         "x",
		Capabilities: []string{sdk.CapSpotBalances},
		RateLimits: []sdk.RateLimit{
			{Name: "orders", Limit: 10, Interval: time.Second, Scope: sdk.ScopeAccount},
			{Name: "request_weight", Limit: limit, Interval: window, Scope: sdk.ScopeIP},
		},
		CallCosts: map[string]int64{sdk.CapSpotBalances: cost},
	}
}

// twoPools declares two per-IP pools (a spot and a futures host, 6000 and 2400 a minute) with per-pool costs.
func twoPools() sdk.Info {
	return sdk.Info{
		Name:         "twopools",
		Capabilities: []string{sdk.CapSpotBalances, sdk.CapFuturesAccount, sdk.CapPositions, sdk.CapOrders},
		RateLimits: []sdk.RateLimit{
			{Name: "spot", Limit: 6000, Interval: time.Minute, Scope: sdk.ScopeIP},
			{Name: "futures", Limit: 2400, Interval: time.Minute, Scope: sdk.ScopeIP},
		},
		Costs: []sdk.CallCost{
			{Call: sdk.CapSpotBalances, Limit: "spot", Cost: 20},
			{Call: sdk.CapFuturesAccount, Limit: "futures", Cost: 5},
			{Call: sdk.CapPositions, Limit: "futures", Cost: 10},
			{Call: sdk.CapOrders, Limit: "spot", Cost: 1},
			{Call: sdk.CapOrders, Limit: "futures", Cost: 1},
			{Call: sdk.CapValidate, Limit: "spot", Cost: 20},
			{Call: sdk.CapValidate, Limit: "futures", Cost: 5},
		},
		// What an older host would read; a newer one must ignore it.
		CallCosts: map[string]int64{sdk.CapSpotBalances: 20, sdk.CapFuturesAccount: 5, sdk.CapPositions: 10},
	}
}

func newSet(info sdk.Info) *Set {
	return NewSet(info, Options{Now: func() time.Time { return start }})
}

// greedy takes calls as often as the budget lets it, stepping a simulated
// clock, and returns when each take happened.
func greedy(s *Set, from time.Time, d, step time.Duration, calls []string) []time.Time {
	var at []time.Time
	for now := from; now.Before(from.Add(d)); now = now.Add(step) {
		for {
			ok, _ := s.TryTake(now, calls)
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
// latency between paying here and the exchange counting the call). It
// bounds every fixed window of that length, whatever its phase.
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

// Under overload a pool stays under the limit in every window and uses at
// least 95 % of it.
func TestPoolNeverExceedsTheLimitAndUsesMostOfIt(t *testing.T) {
	cases := []struct {
		name   string
		info   sdk.Info
		calls  []string
		cost   int64
		limit  int64
		window time.Duration
		spread time.Duration
	}{
		{"spot: 6000 per minute, 20 a call", twoPools(), []string{sdk.CapSpotBalances}, 20, 6000, time.Minute, time.Second},
		{"futures: 2400 per minute, 15 a sync", twoPools(), []string{sdk.CapFuturesAccount, sdk.CapPositions}, 15, 2400, time.Minute, time.Second},
		{"one second window", oneLimit(4000, time.Second, 20), []string{sdk.CapSpotBalances}, 20, 4000, time.Second, 20 * time.Millisecond},
		{"bybit-like: 600 per 5s, 2 a sync", oneLimit(600, 5*time.Second, 2), []string{sdk.CapSpotBalances}, 2, 600, 5 * time.Second, 100 * time.Millisecond},
	}
	for _, tc := range cases {
		// The scheduler's grid step widens the burst (up to a second of
		// a minute); the limit and the 95 % must hold all the same.
		for _, group := range []time.Duration{0, time.Second, 2 * time.Second} {
			t.Run(fmt.Sprintf("%s, group %s", tc.name, group), func(t *testing.T) {
				s := NewSet(tc.info, Options{Now: func() time.Time { return start }, Group: group})
				at := greedy(s, start, 10*tc.window, tc.window/1000, tc.calls)
				if got := maxInSpan(at, tc.window, tc.spread, tc.cost); got > tc.limit {
					t.Errorf("%d weight in one window (with %s latency spread), limit %d", got, tc.spread, tc.limit)
				}
				sent := int64(len(at)) * tc.cost
				if util := float64(sent) / float64(10*tc.limit); util < 0.95 {
					t.Errorf("sent %d over 10 windows: %.1f %% of the limit, want >= 95 %%", sent, 100*util)
				}
			})
		}
	}
}

// A group of syncs that come due on one step of the scheduler's grid goes
// at once when the budget has room, instead of one per wake-up.
func TestGroupLetsAGridStepGoTogether(t *testing.T) {
	calls := []string{sdk.CapSpotBalances}
	for _, tc := range []struct {
		group time.Duration
		want  int
	}{
		// 6000 plans 5880: a burst of one second of it (98) and the
		// largest take (20) holds five takes of 20.
		{time.Second, 5},
		{5 * time.Second, 5}, // capped at a second of the minute
		{0, 2},               // the take and one more, as without a grid
	} {
		s := NewSet(twoPools(), Options{Now: func() time.Time { return start }, Group: tc.group})
		if n := atOnce(s, calls); n != tc.want {
			t.Errorf("group %s: %d takes at once, want %d", tc.group, n, tc.want)
		}
	}
}

// atOnce is how many takes of calls a fresh set lets through at start.
func atOnce(s *Set, calls []string) int {
	n := 0
	for {
		ok, _ := s.TryTake(start, calls)
		if !ok {
			return n
		}
		n++
	}
}

// A small limit still fits a take that is large against it.
func TestSmallLimitBigTake(t *testing.T) {
	s := newSet(oneLimit(100, time.Second, 20))
	at := greedy(s, start, 10*time.Second, time.Millisecond, []string{sdk.CapSpotBalances})
	if got := maxInSpan(at, time.Second, 0, 20); got > 100 {
		t.Errorf("%d weight in one window, limit 100", got)
	}
	if len(at) < 30 {
		t.Errorf("only %d takes in 10 windows", len(at))
	}
}

func TestCorrections(t *testing.T) {
	w := time.Minute
	calls := []string{sdk.CapSpotBalances}
	cases := []struct {
		name string
		do   func(s *Set, now time.Time)
		// after do, a greedy minute sends within [min, max] weight
		min, max int64
	}{
		// 6000 plans 5880: 5840 steady and a burst of 40.
		{"untouched", func(*Set, time.Time) {}, 5800, 5880},
		{"other traffic on the IP", func(s *Set, now time.Time) {
			s.Observe(now, []sdk.RateUsage{{Name: "request_weight", Used: 3000, Limit: 6000, Interval: w}})
		}, 2800, 2880},
		{"usage of another limit is ignored", func(s *Set, now time.Time) {
			s.Observe(now, []sdk.RateUsage{{Name: "orders", Used: 3000}})
		}, 5800, 5880},
		{"usage over another window is ignored", func(s *Set, now time.Time) {
			s.Observe(now, []sdk.RateUsage{{Name: "request_weight", Used: 3000, Interval: time.Second}})
		}, 5800, 5880},
		{"a lower limit reported by the exchange wins", func(s *Set, now time.Time) {
			s.Observe(now, []sdk.RateUsage{{Name: "request_weight", Used: 0, Limit: 1200, Interval: w}})
		}, 1136, 1176},
		{"a rate-limited answer holds it, then it restarts empty", func(s *Set, now time.Time) {
			s.Hold(now.Add(30 * time.Second))
		}, 2880, 2960},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newSet(oneLimit(6000, w, 20))
			tc.do(s, start)
			at := greedy(s, start, w, 10*time.Millisecond, calls)
			if sent := int64(len(at)) * 20; sent < tc.min || sent > tc.max {
				t.Errorf("sent %d in the minute after, want %d..%d", sent, tc.min, tc.max)
			}
		})
	}
}

func TestHold(t *testing.T) {
	s := newSet(twoPools())
	until := start.Add(5 * time.Second)
	s.Hold(until)
	if got := s.HeldUntil(start); !got.Equal(until) {
		t.Fatalf("HeldUntil = %s, want %s", got, until)
	}
	if ok, wait := s.TryTake(start, []string{sdk.CapOrders}); ok || wait != 5*time.Second {
		t.Fatalf("TryTake while held = %v, %s", ok, wait)
	}
	if got := s.HeldUntil(until); !got.IsZero() {
		t.Fatalf("HeldUntil after the hold = %s", got)
	}
	// An earlier hold does not shorten a later one.
	s.Hold(start.Add(time.Second))
	if got := s.HeldUntil(start); !got.Equal(until) {
		t.Fatalf("HeldUntil = %s after a shorter hold", got)
	}
}

func TestRefundAndRepeatedReports(t *testing.T) {
	s := newSet(oneLimit(1000, time.Second, 20))
	calls := []string{sdk.CapSpotBalances}
	// Spend the burst, then get it back: the calls never left the host.
	for {
		if ok, _ := s.TryTake(start, calls); !ok {
			break
		}
	}
	s.Refund(start, calls)
	if ok, _ := s.TryTake(start, calls); !ok {
		t.Fatal("refunded units not usable")
	}
	// The exchange reporting the same count again charges nothing new.
	used := s.Stats(start)[0].Used
	s.Observe(start, []sdk.RateUsage{{Name: "request_weight", Used: used + 100, Interval: time.Second}})
	s.Observe(start, []sdk.RateUsage{{Name: "request_weight", Used: used + 100, Interval: time.Second}})
	if got := s.Stats(start)[0].External; got != 100 {
		t.Fatalf("external = %d, want 100", got)
	}
}

// A call drawing on two pools takes from both or from neither.
func TestAllPoolsOrNone(t *testing.T) {
	s := newSet(twoPools())
	futuresOnly := []string{sdk.CapFuturesAccount, sdk.CapPositions}
	for {
		if ok, _ := s.TryTake(start, futuresOnly); !ok {
			break
		}
	}
	before := s.Stats(start)
	ok, wait := s.TryTake(start, []string{sdk.CapSpotBalances, sdk.CapFuturesAccount})
	if ok || wait <= 0 {
		t.Fatalf("a sync with futures spent: ok=%v wait=%s", ok, wait)
	}
	if after := s.Stats(start); after[0].Used != before[0].Used {
		t.Fatalf("spot spent %d by a refused take", after[0].Used-before[0].Used)
	}
	// Spot alone still goes: the pools are separate.
	if ok, _ := s.TryTake(start, []string{sdk.CapSpotBalances}); !ok {
		t.Fatal("spot refused because futures is spent")
	}
	if got := s.Stats(start); got[0].Used != 20 || got[1].Used != before[1].Used {
		t.Fatalf("stats after a spot call: %+v", got)
	}
}

func TestCostsAndPools(t *testing.T) {
	t.Run("costs name their pool", func(t *testing.T) {
		s := newSet(twoPools())
		st := s.Stats(start)
		if len(st) != 2 || st[0].Name != "spot" || st[1].Name != "futures" {
			t.Fatalf("pools = %+v", st)
		}
		// The largest take in each pool sets its burst, twice over: a
		// call of 20 in spot, a whole sync (5 + 10) in futures.
		if st[0].Burst != 40 || st[1].Burst != 30 {
			t.Fatalf("bursts = %d, %d", st[0].Burst, st[1].Burst)
		}
		if st[0].Allowed != 5840 || st[1].Allowed != 2322 {
			t.Fatalf("allowed = %d, %d", st[0].Allowed, st[1].Allowed)
		}
		s.TryTake(start, []string{sdk.CapValidate, sdk.CapOrders})
		if st := s.Stats(start); st[0].Used != 21 || st[1].Used != 6 {
			t.Fatalf("validate + order paid %d spot, %d futures", st[0].Used, st[1].Used)
		}
		// A call the plugin lists no cost for is free once it uses Costs.
		s.TryTake(start, []string{"prices"})
		if st := s.Stats(start); st[0].Used != 21 || st[1].Used != 6 {
			t.Fatalf("an undeclared call paid: %+v", st)
		}
	})
	t.Run("older plugins pay CallCosts in the first per-IP pool", func(t *testing.T) {
		info := oneLimit(600, time.Minute, 7)
		info.RateLimits = append(info.RateLimits, sdk.RateLimit{Name: "second", Limit: 50, Interval: time.Second, Scope: sdk.ScopeIP})
		s := newSet(info)
		s.TryTake(start, []string{sdk.CapSpotBalances, "undeclared"})
		st := s.Stats(start)
		if len(st) != 2 || st[0].Name != "request_weight" || st[0].Used != 8 || st[1].Used != 0 {
			t.Fatalf("stats = %+v", st)
		}
	})
	t.Run("costs in an account limit or an unknown one are not paid here", func(t *testing.T) {
		info := oneLimit(600, time.Minute, 7)
		info.Costs = []sdk.CallCost{
			{Call: sdk.CapSpotBalances, Limit: "orders", Cost: 3},
			{Call: sdk.CapSpotBalances, Limit: "nope", Cost: 3},
			{Call: sdk.CapSpotBalances, Limit: "request_weight", Cost: 2},
		}
		s := newSet(info)
		s.TryTake(start, []string{sdk.CapSpotBalances})
		if st := s.Stats(start); len(st) != 1 || st[0].Used != 2 {
			t.Fatalf("stats = %+v", st)
		}
	})
	t.Run("no per-IP limit, no pacing", func(t *testing.T) {
		info := sdk.Info{RateLimits: []sdk.RateLimit{{Name: "a", Limit: 1, Interval: time.Second, Scope: sdk.ScopeAccount}}}
		if Limited(info) {
			t.Fatal("Limited with only an account limit")
		}
		s := newSet(info)
		for range 100 {
			if ok, _ := s.TryTake(start, []string{sdk.CapSpotBalances}); !ok {
				t.Fatal("a Set without pools refused")
			}
		}
		if !Limited(twoPools()) {
			t.Fatal("two pools not Limited")
		}
	})
}

func TestConfigure(t *testing.T) {
	s := newSet(oneLimit(6000, time.Minute, 20))
	s.TryTake(start, []string{sdk.CapSpotBalances})
	s.Observe(start, []sdk.RateUsage{{Name: "request_weight", Used: 20, Limit: 1200, Interval: time.Minute}})
	if got := s.Stats(start)[0].Limit; got != 1200 {
		t.Fatalf("limit after the report = %d", got)
	}
	// The same declaration again (a restart) keeps what was spent and
	// learnt; a new declared limit (an upgrade) replaces the reported one.
	s.Configure(oneLimit(6000, time.Minute, 20))
	if st := s.Stats(start)[0]; st.Used != 20 || st.Limit != 1200 {
		t.Fatalf("after a restart: %+v", st)
	}
	s.Configure(oneLimit(3000, time.Minute, 20))
	if st := s.Stats(start)[0]; st.Used != 20 || st.Limit != 3000 {
		t.Fatalf("after an upgrade: %+v", st)
	}
	// Another window is another limit: it starts afresh.
	s.Configure(oneLimit(3000, time.Second, 20))
	if st := s.Stats(start)[0]; st.Used != 0 || st.Window != time.Second {
		t.Fatalf("after a new window: %+v", st)
	}
	// A plugin that drops its per-IP limits stops the pacing.
	s.Configure(sdk.Info{})
	if st := s.Stats(start); len(st) != 0 {
		t.Fatalf("pools after dropping the limits: %+v", st)
	}
}

func TestCycle(t *testing.T) {
	s := newSet(twoPools())
	sync := []string{sdk.CapSpotBalances, sdk.CapFuturesAccount, sdk.CapPositions}
	// Futures is the tighter pool: 2322 a minute for 15 a sync.
	want := time.Duration(100 * 15 * int64(time.Minute) / 2322)
	if got := s.Cycle(sync, 100); got != want {
		t.Fatalf("Cycle = %s, want %s", got, want)
	}
	if got := s.Cycle([]string{sdk.CapSpotBalances}, 292); got != time.Minute {
		t.Fatalf("Cycle of 292 spot reads = %s, want 1m", got)
	}
}

func TestTake(t *testing.T) {
	calls := []string{sdk.CapSpotBalances}
	// A limit of 1000 a second plans 980 with a burst of 40: 940 steady.
	info := oneLimit(1000, time.Second, 20)
	t.Run("waits for the budget", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			s := NewSet(info, Options{})
			t0 := time.Now()
			for range 10 {
				if err := s.Take(t.Context(), calls); err != nil {
					t.Fatal(err)
				}
			}
			// The burst (two) goes at once, the other eight at the steady pace.
			if got, want := time.Since(t0), 8*20*time.Second/940; got < want-time.Millisecond || got > want+time.Millisecond {
				t.Fatalf("10 takes took %s, want %s", got, want)
			}
		})
	})
	t.Run("a deadline too near fails at once and pays nothing", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			s := NewSet(info, Options{})
			s.Take(t.Context(), calls)
			s.Take(t.Context(), calls)
			ctx, cancel := context.WithTimeout(t.Context(), 5*time.Millisecond)
			defer cancel()
			t0 := time.Now()
			err := s.Take(ctx, calls)
			if !errors.Is(err, sdk.ErrRateLimited) || sdk.RetryAfter(err) <= 5*time.Millisecond {
				t.Fatalf("err = %v (retry after %s)", err, sdk.RetryAfter(err))
			}
			if time.Since(t0) != 0 {
				t.Fatalf("waited %s before failing", time.Since(t0))
			}
			if used := s.Stats(time.Now())[0].Used; used != 40 {
				t.Fatalf("used = %d after a failed take", used)
			}
		})
	})
	t.Run("a cancelled wait fails", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			s := NewSet(info, Options{})
			s.Hold(time.Now().Add(time.Hour))
			ctx, cancel := context.WithCancel(t.Context())
			done := make(chan error)
			go func() { done <- s.Take(ctx, calls) }()
			synctest.Wait()
			cancel()
			if err := <-done; !errors.Is(err, sdk.ErrRateLimited) {
				t.Fatalf("err = %v", err)
			}
		})
	})
	t.Run("a held exchange waits out the hold", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			s := NewSet(info, Options{})
			until := time.Now().Add(3 * time.Second)
			s.Hold(until)
			if err := s.Take(t.Context(), calls); err != nil {
				t.Fatal(err)
			}
			if time.Now().Before(until) {
				t.Fatalf("took at %s, before the hold ends at %s", time.Now(), until)
			}
		})
	})
}

func TestPrepaid(t *testing.T) {
	ctx := context.Background()
	if IsPrepaid(ctx) {
		t.Fatal("a plain context is prepaid")
	}
	if !IsPrepaid(Prepaid(ctx)) {
		t.Fatal("Prepaid lost")
	}
	type other struct{}
	if !IsPrepaid(context.WithValue(Prepaid(ctx), other{}, 1)) {
		t.Fatal("Prepaid lost in a child context")
	}
}
