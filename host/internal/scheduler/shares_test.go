package scheduler

import (
	"testing"
	"time"
)

// perSync is a Pacer whose budget syncs one account per cost.
type perSync time.Duration

func (p perSync) TryTake(time.Time, []string) (bool, time.Duration) { return true, 0 }
func (p perSync) Cycle(_ []string, n int) time.Duration             { return time.Duration(n) * time.Duration(p) }
func (p perSync) HeldUntil(time.Time) time.Time                     { return time.Time{} }

func seconds(f float64) time.Duration { return time.Duration(f * float64(time.Second)) }

// The budget is split evenly between users, and what one leaves is split
// again between the others; each user's interval fits its accounts in its
// share, and the shares add up to the whole budget.
func TestShares(t *testing.T) {
	const interval = 10 * time.Second
	cases := []struct {
		name     string
		accounts map[string]int
		want     map[string]time.Duration
	}{
		{"all fit", map[string]int{"a": 1, "b": 99}, map[string]time.Duration{"a": interval, "b": interval}},
		{"one user alone stretches by its own accounts", map[string]int{"c": 1000},
			map[string]time.Duration{"c": 100 * time.Second}},
		{"a large user gets what the small ones leave", map[string]int{"a": 1, "b": 10, "c": 1000},
			// a and b need 1.1 s of every 10: c's 100 s of syncs fit in 8.9.
			map[string]time.Duration{"a": interval, "b": interval, "c": seconds(100 * 10 / 8.9)}},
		{"large users share what is left evenly", map[string]int{"a": 1, "d": 500, "c": 1000},
			// a needs 0.1 s of every 10: d and c get 4.95 s each.
			map[string]time.Duration{"a": interval, "d": seconds(50 * 10 / 4.95), "c": seconds(100 * 10 / 4.95)}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ex := &exch{users: map[string]*userQ{}, pacer: perSync(100 * time.Millisecond)}
			for id, n := range tc.accounts {
				ex.users[id] = &userQ{id: id, active: n, idx: -1}
			}
			got := shares(ex, interval)
			var used float64
			for id, want := range tc.want {
				if d := got[id] - want; d < -time.Millisecond || d > time.Millisecond {
					t.Errorf("%s: interval %s, want %s", id, got[id], want)
				}
				used += float64(ex.pacer.Cycle(nil, tc.accounts[id])) / float64(got[id])
			}
			if len(got) != len(tc.want) {
				t.Errorf("intervals for %d users, want %d", len(got), len(tc.want))
			}
			if tc.name != "all fit" && (used < 0.999 || used > 1.0001) {
				t.Errorf("the intervals use %.4f of the budget, want all of it", used)
			}
		})
	}
}
