package budget

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/pluginhost"
)

// clock is a settable time for a Set's Options.Now.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func TestCall(t *testing.T) {
	ctx := context.Background()
	calls := []string{sdk.CapSpotBalances}
	c := &clock{start}
	newSet := func() *Set { return NewSet(oneLimit(1000, time.Second, 20), Options{Now: c.now}) }
	used := func(s *Set) int64 { return s.Stats(c.t)[0].Used }

	t.Run("pays before the call, unless prepaid", func(t *testing.T) {
		s := newSet()
		ran := 0
		fn := func(context.Context) (int, error) { ran++; return 1, nil }
		if v, err := Call(ctx, s, calls, fn); v != 1 || err != nil || used(s) != 20 {
			t.Fatalf("Call = %d, %v; used %d", v, err, used(s))
		}
		if _, err := Call(Prepaid(ctx), s, calls, fn); err != nil || used(s) != 20 {
			t.Fatalf("prepaid Call: %v; used %d", err, used(s))
		}
		if _, err := Call(ctx, nil, calls, fn); err != nil || ran != 3 {
			t.Fatalf("Call without a budget: %v, ran %d times", err, ran)
		}
		down := errors.New("down")
		if _, err := Call(ctx, nil, calls, func(context.Context) (int, error) { return 0, NotSent(down) }); err != down {
			t.Fatalf("Call without a budget kept the mark: %#v", err)
		}
	})
	t.Run("a refused payment runs nothing", func(t *testing.T) {
		s := newSet()
		s.Hold(c.t.Add(time.Minute))
		dl, cancel := context.WithDeadline(ctx, c.t.Add(time.Second))
		defer cancel()
		_, err := Call(dl, s, calls, func(context.Context) (int, error) {
			t.Fatal("ran on a held budget")
			return 0, nil
		})
		if !errors.Is(err, sdk.ErrRateLimited) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("a call that never left is refunded, unmarked", func(t *testing.T) {
		s := newSet()
		down := errors.New("no plugin process")
		_, err := Call(ctx, s, calls, func(context.Context) (int, error) {
			return 0, NotSent(fmt.Errorf("alpha: %w", down))
		})
		if _, marked := errors.AsType[notSent](err); !errors.Is(err, down) || marked || err.Error() != "alpha: no plugin process" {
			t.Fatalf("err = %v (%T)", err, err)
		}
		if used(s) != 0 {
			t.Fatalf("used %d after a refund", used(s))
		}
		// Prepaid calls were paid by the caller, who keeps the charge.
		s.TryTake(c.t, calls)
		Call(Prepaid(ctx), s, calls, func(context.Context) (int, error) { return 0, NotSent(down) })
		if used(s) != 20 {
			t.Fatalf("used %d after a prepaid call that never left", used(s))
		}
		if NotSent(nil) != nil {
			t.Fatal("NotSent(nil) is an error")
		}
	})
	t.Run("usage reported in process is observed", func(t *testing.T) {
		s := newSet()
		Call(ctx, s, calls, func(ctx context.Context) (int, error) {
			sdk.ReportUsage(ctx, sdk.RateUsage{Name: "request_weight", Used: 520, Limit: 1000, Interval: time.Second})
			return 0, nil
		})
		if st := s.Stats(c.t)[0]; st.External != 500 || st.Used != 520 {
			t.Fatalf("stats after a report of 520: %+v", st)
		}
	})
	t.Run("a rate-limited answer holds the exchange", func(t *testing.T) {
		s := newSet()
		Call(ctx, s, calls, func(context.Context) (int, error) {
			return 0, sdk.RateLimited(1500*time.Millisecond, "slow down")
		})
		if got := s.HeldUntil(c.t); !got.Equal(c.t.Add(1500 * time.Millisecond)) {
			t.Fatalf("held until %s", got)
		}
		// Without a retry-after: the longest window.
		s = newSet()
		Call(ctx, s, calls, func(context.Context) (int, error) {
			return 0, sdk.Errorf(sdk.KindRateLimited, "slow down")
		})
		if got := s.HeldUntil(c.t); !got.Equal(c.t.Add(time.Second)) {
			t.Fatalf("held until %s without a retry-after", got)
		}
		// Other failures hold nothing.
		s = newSet()
		Call(ctx, s, calls, func(context.Context) (int, error) { return 0, sdk.ErrUnavailable })
		if got := s.HeldUntil(c.t); !got.IsZero() {
			t.Fatalf("held until %s after an unavailable answer", got)
		}
	})
}

// partsExchange answers the spot and positions parts, failing those
// named in errs.
type partsExchange struct {
	sdk.Exchange // nil: only the snapshot parts are called
	errs         map[string]error
	calls        int
}

func (p *partsExchange) SpotBalances(context.Context, sdk.Account) ([]sdk.Balance, error) {
	p.calls++
	return []sdk.Balance{{Asset: "BTC"}}, p.errs[sdk.CapSpotBalances]
}

func (p *partsExchange) Positions(context.Context, sdk.Account) ([]sdk.Position, error) {
	p.calls++
	return nil, p.errs[sdk.CapPositions]
}

func TestWrapSnapshot(t *testing.T) {
	ctx := context.Background()
	s := newSet(twoPools())
	parts := []string{sdk.CapSpotBalances, sdk.CapPositions}
	x := &partsExchange{errs: map[string]error{}}
	w := Wrap(x, s)
	snap := w.Snapshot(ctx, sdk.Account{}, parts)
	if len(snap.Errs) != 0 || len(snap.Spot) != 1 {
		t.Fatalf("snapshot = %+v", snap)
	}
	if st := s.Stats(start); st[0].Used != 20 || st[1].Used != 10 {
		t.Fatalf("a snapshot of spot and positions paid %d and %d", st[0].Used, st[1].Used)
	}
	// A part answered rate limited holds the exchange; the other part's
	// failure does not stand for the snapshot.
	x.errs[sdk.CapSpotBalances] = sdk.ErrUnavailable
	x.errs[sdk.CapPositions] = sdk.RateLimited(time.Second, "slow down")
	snap = w.Snapshot(ctx, sdk.Account{}, parts)
	if err := SnapshotErr(snap, parts); sdk.KindOf(err) != sdk.KindRateLimited {
		t.Fatalf("SnapshotErr = %v", err)
	}
	if got := s.HeldUntil(start); !got.Equal(start.Add(time.Second)) {
		t.Fatalf("held until %s", got)
	}
	// Refused by the budget: every part fails with the refusal, and
	// nothing is called.
	n := x.calls
	dl, cancel := context.WithDeadline(ctx, start.Add(100*time.Millisecond))
	defer cancel()
	snap = w.Snapshot(dl, sdk.Account{}, parts)
	for _, p := range parts {
		if !errors.Is(snap.Errs[p], sdk.ErrRateLimited) {
			t.Errorf("%s: %v", p, snap.Errs[p])
		}
	}
	if x.calls != n {
		t.Fatalf("%d calls on a held budget", x.calls-n)
	}
	if SnapshotErr(pluginhost.Snapshot{}, parts) != nil {
		t.Fatal("SnapshotErr of a good snapshot")
	}
	x.errs = map[string]error{sdk.CapPositions: sdk.ErrUnavailable, sdk.CapSpotBalances: sdk.ErrAuthentication}
	if err := SnapshotErr(w.Snapshot(Prepaid(ctx), sdk.Account{}, parts), parts); !errors.Is(err, sdk.ErrAuthentication) {
		t.Fatalf("SnapshotErr = %v, want the first part's", err)
	}
}

// Debt for other traffic on the IP ends when the exchange's window does:
// another client's one-off burst of 20,020 weight on a limit of 6000 a
// minute stops this host for at most the rest of that window, not for the
// three and a half minutes it would take to pay off at this host's pace.
func TestDebtEndsWithTheWindow(t *testing.T) {
	const burst = 20_020
	w := time.Minute
	calls := []string{sdk.CapSpotBalances}
	// Each case runs the budget at full pace for half a window, then the
	// burst is reported at t0.
	cases := []struct {
		name string
		// do reports the burst at t0; resume is when sends may start again.
		do     func(s *Set, c *clock, t0 time.Time)
		resume time.Duration
	}{
		{"reported by a good answer: ends within a window", func(s *Set, c *clock, t0 time.Time) {
			s.Observe(t0, []sdk.RateUsage{{Name: "request_weight", Used: s.Stats(t0)[0].Used + burst, Limit: 6000, Interval: w}})
		}, w},
		{"reported with a 429 and its retry-after: ends at the reset", func(s *Set, c *clock, t0 time.Time) {
			c.t = t0
			Call(context.Background(), s, calls, func(ctx context.Context) (int, error) {
				sdk.ReportUsage(ctx, sdk.RateUsage{Name: "request_weight", Used: s.Stats(t0)[0].Used + burst, Limit: 6000, Interval: w})
				return 0, sdk.RateLimited(59*time.Second, "too much weight")
			})
		}, 59 * time.Second},
		{"reported after the 429's hold: ends at the reset too", func(s *Set, c *clock, t0 time.Time) {
			s.Hold(t0.Add(59 * time.Second))
			s.Observe(t0, []sdk.RateUsage{{Name: "request_weight", Used: s.Stats(t0)[0].Used + burst, Interval: w}})
		}, 59 * time.Second},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := &clock{start}
			s := NewSet(oneLimit(6000, w, 20), Options{Now: c.now})
			greedy(s, start, 30*time.Second, 10*time.Millisecond, calls)
			t0 := start.Add(30 * time.Second)
			tc.do(s, c, t0)
			if st := s.Stats(t0)[0]; st.External < burst {
				t.Fatalf("external %d after a burst of %d", st.External, burst)
			}
			at := greedy(s, t0, tc.resume+2*w, 10*time.Millisecond, calls)
			if len(at) == 0 {
				t.Fatal("nothing sent for two windows after the debt ended")
			}
			reset := t0.Add(tc.resume)
			// Nothing goes before the reset (the exchange's window is far
			// over its limit), and the pool restarts empty at it: its
			// first take flows in after one take's span.
			if first := at[0]; first.Before(reset) || first.After(reset.Add(time.Second)) {
				t.Fatalf("first send %s after the burst, the window resets after %s", first.Sub(t0), tc.resume)
			}
			// The window after the reset gets the full plan: 5840 steady.
			var sent int64
			for _, a := range at {
				if !a.Before(reset) && a.Before(reset.Add(w)) {
					sent += 20
				}
			}
			if sent < 5800 || sent > 5880 {
				t.Fatalf("sent %d in the window after the reset, want 5800..5880", sent)
			}
		})
	}
}
