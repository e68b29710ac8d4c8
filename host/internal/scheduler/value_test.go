package scheduler_test

import (
	"sync"
	"testing"
	"time"

	"github.com/globalautomation/gahost/host/internal/scheduler"
	"github.com/globalautomation/gahost/host/internal/store"
	"github.com/shopspring/decimal"
)

// TestValueFillsTheHistoryPoint: Config.Value sees each sync's merged
// snapshot with its account, and what it adds to the point is stored with
// the sync.
func TestValueFillsTheHistoryPoint(t *testing.T) {
	t.Parallel() // its checks wait for states; none measures a schedule closely
	bubble(t, func(t *testing.T) {
		e := newEnv(t, 0, "alpha")
		a := e.addAccounts("alpha", "v", 1)[0]
		var mu sync.Mutex
		var seen []string
		e.start(scheduler.Config{Interval: 300 * time.Millisecond,
			Value: func(exchange string, testnet bool, accountID string, merged store.Snapshot, p *store.HistoryPoint) {
				mu.Lock()
				seen = append(seen, exchange+"/"+accountID)
				mu.Unlock()
				// A stand-in for the price source: the spot amounts summed.
				sum := decimal.Zero
				for _, b := range merged.Spot {
					sum = sum.Add(b.Total)
				}
				p.EquityUSDT, p.EquityMissing = &sum, "stand-in"
			}})
		var points []store.HistoryPoint
		waitFor(t, "a history point", 3*time.Second, func() bool {
			var err error
			points, err = e.st.History(e.ctx, a.ID, time.Time{}, time.Time{})
			return err == nil && len(points) > 0
		})
		snap, ok, err := e.st.LatestSnapshot(e.ctx, a.ID)
		if err != nil || !ok || len(snap.Spot) == 0 {
			t.Fatalf("snapshot %+v %v %v", snap, ok, err)
		}
		want := decimal.Zero
		for _, b := range snap.Spot {
			want = want.Add(b.Total)
		}
		p := points[0]
		if p.EquityUSDT == nil || !p.EquityUSDT.Equal(want) || p.EquityMissing != "stand-in" || want.IsZero() {
			t.Errorf("point %+v, want equity %s", p, want)
		}
		mu.Lock()
		defer mu.Unlock()
		if len(seen) == 0 || seen[0] != "alpha/"+a.ID {
			t.Errorf("Value saw %v", seen)
		}
	})
}
