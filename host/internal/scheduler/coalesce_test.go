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
