package scheduler_test

import (
	"testing"
	"time"

	"github.com/globalautomation/gahost/host/internal/accounts"
	"github.com/globalautomation/gahost/host/internal/scheduler"
	"github.com/globalautomation/gahost/host/internal/store"
	"github.com/shopspring/decimal"
)

// TestHistoryRetention: the scheduler applies the configured retention:
// every point for KeepAll, then one an hour, then none.
func TestHistoryRetention(t *testing.T) {
	t.Parallel() // its checks wait for states; none measures a schedule closely
	bubble(t, func(t *testing.T) {
		e := newEnv(t, 0, "alpha")
		a := e.addAccounts("alpha", "h", 1)[0]
		off := false
		if _, err := e.accts.Update(e.ctx, e.user.ID, a.ID, accounts.Patch{IsActive: &off}); err != nil {
			t.Fatal(err)
		}
		now := time.Now()
		old := now.Add(-8 * 24 * time.Hour).Truncate(time.Hour).Add(5 * time.Minute)
		put := func(at time.Time) {
			point := store.HistoryPoint{At: at, FuturesMarginBalance: decimal.NewFromInt(1)}
			err := e.st.PutSyncResult(e.ctx, a.ID, store.SyncResult{Started: at, State: store.SyncState{Status: store.SyncOK},
				Point: func(store.Snapshot) (store.HistoryPoint, bool) { return point, true }})
			if err != nil {
				t.Fatal(err)
			}
		}
		keep := []time.Time{old, old.Add(time.Hour), now.Add(-time.Hour), now.Add(-time.Hour + time.Minute)}
		for _, at := range []time.Time{now.Add(-100 * 24 * time.Hour), old, old.Add(10 * time.Minute), old.Add(20 * time.Minute),
			old.Add(time.Hour), now.Add(-time.Hour), now.Add(-time.Hour + time.Minute)} {
			put(at)
		}
		e.start(scheduler.Config{Interval: time.Hour, HistoryKeepAll: 7 * 24 * time.Hour, HistoryHourlyFor: 90 * 24 * time.Hour})
		var points []store.HistoryPoint
		waitFor(t, "the history to be pruned", 3*time.Second, func() bool {
			var err error
			points, err = e.st.History(e.ctx, a.ID, time.Time{}, time.Time{})
			return err == nil && len(points) == len(keep)
		})
		for i, p := range points {
			if !p.At.Equal(keep[i]) {
				t.Errorf("point %d at %s, want %s", i, p.At, keep[i])
			}
		}
	})
}
