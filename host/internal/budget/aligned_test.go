package budget

import (
	"fmt"
	"testing"
	"time"

	"github.com/globalautomation/gahost/sdk"
)

// alignedPools is twoPools with both limits counted per clock minute, as
// Binance counts its request weight.
func alignedPools() sdk.Info {
	info := twoPools()
	for i := range info.RateLimits {
		info.RateLimits[i].Aligned = true
	}
	return info
}

// perWindow counts takes of cost each in the exchange's fixed windows of
// length w on the clock, with every take counted late by delay.
func perWindow(at []time.Time, w, delay time.Duration, cost int64) map[int64]int64 {
	out := map[int64]int64{}
	for _, t := range at {
		out[t.Add(delay).UnixNano()/int64(w)] += cost
	}
	return out
}

// Under overload an aligned pool fills each of the exchange's windows to
// at least 95 % and never over the limit, even when its calls reach the
// exchange up to the spread late, however wide the scheduler's grid step.
func TestAlignedPoolFillsEachWindow(t *testing.T) {
	cases := []struct {
		name  string
		calls []string
		cost  int64
		limit int64
	}{
		{"spot: 6000 per minute, 20 a call", []string{sdk.CapSpotBalances}, 20, 6000},
		{"futures: 2400 per minute, 15 a sync", []string{sdk.CapFuturesAccount, sdk.CapPositions}, 15, 2400},
	}
	for _, tc := range cases {
		for _, group := range []time.Duration{0, 2 * time.Second, 5 * time.Second, 10 * time.Second} {
			t.Run(fmt.Sprintf("%s, group %s", tc.name, group), func(t *testing.T) {
				s := NewSet(alignedPools(), Options{Now: func() time.Time { return start }, Group: group})
				at := greedy(s, start, 10*time.Minute, 10*time.Millisecond, tc.calls)
				first, last := start.UnixNano()/int64(time.Minute), start.Add(10*time.Minute).UnixNano()/int64(time.Minute)
				for _, delay := range []time.Duration{0, time.Second} {
					counts := perWindow(at, time.Minute, delay, tc.cost)
					for i, n := range counts {
						if n > tc.limit {
							t.Errorf("window %d counted %d (calls %s late), limit %d", i-first, n, delay, tc.limit)
						}
					}
					// The whole windows inside the run.
					for i := first + 1; i < last; i++ {
						if util := float64(counts[i]) / float64(tc.limit); util < 0.95 {
							t.Errorf("window %d counted %d (calls %s late): %.1f %% of the limit, want >= 95 %%",
								i-first, counts[i], delay, 100*util)
						}
					}
				}
			})
		}
	}
}

// On an aligned pool a whole grid step of syncs goes at once: the burst
// costs no rate there.
func TestAlignedGroupGoesAtOnce(t *testing.T) {
	calls := []string{sdk.CapFuturesAccount, sdk.CapPositions}
	for _, tc := range []struct {
		group time.Duration
		want  int
	}{
		// futures plans 2352 a minute: 5 s of it is 196, plus the
		// largest take (15): 14 syncs of 15.
		{5 * time.Second, 14},
		{time.Minute, 27}, // capped at a sixth of the window: 392 + 15
		{0, 2},
	} {
		s := NewSet(alignedPools(), Options{Now: func() time.Time { return start }, Group: tc.group})
		if n := atOnce(s, calls); n != tc.want {
			t.Errorf("group %s: %d syncs at once, want %d", tc.group, n, tc.want)
		}
	}
}

// A burst paid just before a window ends may reach the exchange after its
// count restarted: it counts in the next window too, so the next window
// cannot be filled on top of it.
func TestAlignedBurstAtTheEndCountsInTheNext(t *testing.T) {
	calls := []string{sdk.CapSpotBalances}
	s := NewSet(alignedPools(), Options{Now: func() time.Time { return start }, Group: 5 * time.Second})
	end := time.Unix(0, (start.UnixNano()/int64(time.Minute)+1)*int64(time.Minute))
	late := greedy(s, end.Add(-500*time.Millisecond), 10*time.Millisecond, time.Millisecond, calls)
	if len(late) < 2 {
		t.Fatalf("only %d takes in the burst", len(late))
	}
	next := greedy(s, end, time.Minute, 10*time.Millisecond, calls)
	// Every one of the late burst counted in the next window.
	if got := int64(len(late)+len(next)) * 20; got > 6000 {
		t.Errorf("the next window counts %d with the late burst, limit 6000", got)
	}
	if got := int64(len(late)+len(next)) * 20; got < 5700 {
		t.Errorf("the next window counts only %d with the late burst", got)
	}
}

// Another client's weight on the IP, as the exchange reports it, fills the
// window it was counted in and no other: the debt ends when the exchange's
// count restarts. A report just after a window began may count the window
// before and is not taken for this one.
func TestAlignedOtherTrafficEndsWithTheWindow(t *testing.T) {
	calls := []string{sdk.CapSpotBalances}
	s := NewSet(alignedPools(), Options{Now: func() time.Time { return start }})
	w0 := time.Unix(0, (start.UnixNano()/int64(time.Minute)+1)*int64(time.Minute))
	// Just after the count restarted: maybe the last window's count.
	s.Observe(w0.Add(100*time.Millisecond), []sdk.RateUsage{{Name: "spot", Used: 5990, Interval: time.Minute}})
	s.Observe(w0.Add(10*time.Second), []sdk.RateUsage{{Name: "spot", Used: 5000, Interval: time.Minute}})
	if st := s.Stats(w0.Add(10 * time.Second))[0]; st.Used != 5000 || st.External != 5000 || !st.Aligned {
		t.Errorf("stats after the report: %+v", st)
	}
	rest := greedy(s, w0.Add(10*time.Second), 50*time.Second, 10*time.Millisecond, calls)
	if got := int64(len(rest)) * 20; got > 880 || got < 800 {
		t.Errorf("sent %d in the rest of the window, want 800..880 (5880 planned, 5000 used by others)", got)
	}
	next := greedy(s, w0.Add(time.Minute), time.Minute, 10*time.Millisecond, calls)
	if got := int64(len(next)) * 20; got < 5700 {
		t.Errorf("sent %d in the next window, want a full window once the count restarted", got)
	}
}

// A pool declared aligned again (or no longer) starts afresh: its counts
// mean something else.
func TestAlignedConfigureReplacesThePool(t *testing.T) {
	s := NewSet(twoPools(), Options{Now: func() time.Time { return start }})
	greedy(s, start, time.Second, time.Millisecond, []string{sdk.CapSpotBalances})
	s.Configure(alignedPools())
	if st := s.Stats(start)[0]; st.Used != 0 || !st.Aligned || st.Allowed != 5880 {
		t.Errorf("after the upgrade: %+v", st)
	}
}
