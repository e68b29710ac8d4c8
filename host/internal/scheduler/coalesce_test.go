package scheduler_test

import (
	"testing"
	"time"

	"github.com/globalautomation/gahost/host/internal/scheduler"
)

// Syncs that come due between two points of the Coalesce grid start
// together on the next point, not each at its own due time: a paced
// exchange then wakes the process once for several syncs.
func TestDueSyncsStartOnTheCoalesceGrid(t *testing.T) {
	bubble(t, func(t *testing.T) {
		e := newEnv(t, 0, "alpha")
		accts := e.addAccounts("alpha", "alpha", 2)
		const interval, grid = 10300 * time.Millisecond, time.Second
		start := time.Now()
		if start.UnixNano()%int64(grid) != 0 {
			t.Fatalf("the bubble's clock starts at %v, off the grid", start)
		}
		e.start(scheduler.Config{Interval: interval, Coalesce: grid, MaxConcurrency: 4})
		// The first syncs spread over the first interval at random, the
		// next come due 10.3 s after each: none of those times is on the
		// grid, and syncs that answer at once end where they started.
		time.Sleep(2*interval + interval/2)
		for _, a := range accts {
			at := e.account(a.ID).Sync.LastSyncAt.Sub(start)
			if at < interval || at%grid != 0 {
				t.Errorf("%s last synced at +%v, want a later sync on the 1s grid", a.Name, at)
			}
		}
	})
}

// The wait for the grid's next point does not lengthen the interval: an
// account is synced as often as asked however coarse the grid, each sync
// at most one step after it was due.
func TestCoalesceGridKeepsTheInterval(t *testing.T) {
	bubble(t, func(t *testing.T) {
		e := newEnv(t, 0, "alpha")
		e.addAccounts("alpha", "alpha", 1)
		const interval, grid, rounds = 10300 * time.Millisecond, 5 * time.Second, 30
		start := time.Now()
		e.start(scheduler.Config{Interval: interval, Coalesce: grid, MaxConcurrency: 4})
		time.Sleep(rounds * interval)
		at := e.fakes["alpha"].SpotTimes(keyOf("alpha", 0))
		// The first sync falls anywhere in the first interval; 29 more
		// follow at the interval. Counted from each late start instead,
		// the interval would be 2.5 s longer on average: about 24.
		if len(at) < rounds-1 || len(at) > rounds+1 {
			t.Errorf("%d syncs in %d intervals, want about %d", len(at), rounds, rounds)
		}
		for i, a := range at {
			if a.Sub(start)%grid != 0 {
				t.Errorf("sync %d at +%v, off the %v grid", i, a.Sub(start), grid)
			}
			if i > 0 {
				if d := a.Sub(at[i-1]); d < interval-grid || d > interval+grid {
					t.Errorf("syncs %d and %d are %v apart, want %v within a grid step", i-1, i, d, interval)
				}
			}
		}
	})
}
