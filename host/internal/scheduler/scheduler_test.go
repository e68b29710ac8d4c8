package scheduler_test

import (
	"testing"
	"time"

	"github.com/globalautomation/gahost/host/internal/budget"
	"github.com/globalautomation/gahost/host/internal/scheduler"
	"github.com/globalautomation/gahost/host/internal/scheduler/schedtest"
	"github.com/globalautomation/gahost/host/internal/store"
	"github.com/shopspring/decimal"
)

// checkSnapshot compares a stored snapshot with what the fake served,
// amount by amount and exactly.
func checkSnapshot(t testing.TB, snap store.Snapshot, want schedtest.Account) {
	t.Helper()
	eq := func(what string, got decimal.Decimal, want string) {
		if !got.Equal(decimal.RequireFromString(want)) {
			t.Errorf("%s: %s = %s, fake served %s", snap.AccountID, what, got, want)
		}
	}
	if len(snap.Spot) != len(want.Spot) {
		t.Fatalf("%s: %d spot balances, fake served %d", snap.AccountID, len(snap.Spot), len(want.Spot))
	}
	for i, b := range want.Spot {
		g := snap.Spot[i]
		if g.Asset != b.Asset {
			t.Errorf("%s: asset %s, want %s", snap.AccountID, g.Asset, b.Asset)
		}
		eq(b.Asset+" free", g.Free, b.Free)
		eq(b.Asset+" locked", g.Locked, b.Locked)
		eq(b.Asset+" total", g.Total, decimal.RequireFromString(b.Free).Add(decimal.RequireFromString(b.Locked)).String())
	}
	if snap.Futures == nil {
		t.Fatalf("%s: no futures account", snap.AccountID)
	}
	eq("wallet", snap.Futures.WalletBalance, want.Futures.WalletBalance)
	eq("margin", snap.Futures.MarginBalance, want.Futures.MarginBalance)
	eq("available", snap.Futures.AvailableBalance, want.Futures.AvailableBalance)
	eq("upnl", snap.Futures.UnrealizedPnL, want.Futures.UnrealizedPnL)
	if len(snap.Positions) != len(want.Positions) {
		t.Fatalf("%s: %d positions, fake served %d", snap.AccountID, len(snap.Positions), len(want.Positions))
	}
	for i, p := range want.Positions {
		g := snap.Positions[i]
		if g.Symbol != p.Symbol || g.Side != p.Side || g.MarginMode != p.MarginMode {
			t.Errorf("%s: position %+v, want %+v", snap.AccountID, g, p)
		}
		eq("size", g.Size, p.Size)
		eq("mark", g.MarkPrice, p.MarkPrice)
		eq("entry", g.EntryPrice, p.EntryPrice)
		eq("liq", g.LiquidationPrice, p.LiquidationPrice)
	}
}

// TestEveryAccountEachInterval: 1,000 accounts over four exchanges, each
// synced within one interval plus jitter, none more often than the
// interval allows, the fakes never over their limit, and the stored
// snapshots exactly what the fakes served.
func TestEveryAccountEachInterval(t *testing.T) {
	if testing.Short() {
		t.Skip("1,000 accounts take a few seconds")
	}
	bubble(t, func(t *testing.T) {
		const perExchange = 250
		names := []string{"alpha", "beta", "gamma", "delta"}
		e := newEnv(t, 20*time.Millisecond, names...)
		accounts := map[string][]store.Account{}
		for _, n := range names {
			accounts[n] = e.addAccounts(n, n, perExchange)
		}
		interval, jitter := 4*time.Second, 400*time.Millisecond
		slack := interval / 4 // the sync's own time and a busy CI machine
		start := time.Now()
		e.start(scheduler.Config{Interval: interval, Jitter: jitter, MaxConcurrency: 64})
		time.Sleep(2*(interval+jitter) + slack)
		e.stop()

		for _, n := range names {
			fx := e.fakes[n]
			if st := fx.Stats(); st.OverLimit != 0 {
				t.Errorf("%s: %d calls over the limit (max %d in a window)", n, st.OverLimit, st.MaxUsed)
			}
			for i, a := range accounts[n] {
				times := fx.SpotTimes(keyOf(n, i))
				if len(times) < 2 {
					t.Errorf("%s: synced %d times in two intervals", a.Name, len(times))
					continue
				}
				if first := times[0].Sub(start); first > interval+jitter+slack {
					t.Errorf("%s: first sync after %s", a.Name, first)
				}
				for k := 1; k < len(times); k++ {
					gap := times[k].Sub(times[k-1])
					if gap > interval+jitter+slack || gap < interval-jitter-slack {
						t.Errorf("%s: %s between syncs %d and %d", a.Name, gap, k, k+1)
					}
				}
				got := e.account(a.ID)
				if got.Sync.Status != store.SyncOK || got.Sync.LastError != "" {
					t.Errorf("%s: sync state %+v", a.Name, got.Sync)
				}
				if next := got.Sync.NextSyncAt.Sub(got.Sync.LastSyncAt); next < interval-jitter-slack || next > interval+jitter {
					t.Errorf("%s: next sync %s after the last", a.Name, next)
				}
				snap, ok, err := e.st.LatestSnapshot(e.ctx, a.ID)
				if err != nil || !ok {
					t.Fatalf("%s: no snapshot (%v)", a.Name, err)
				}
				checkSnapshot(t, snap, fx.Account(keyOf(n, i)))
			}
		}
		if t.Failed() {
			t.Logf("log tail: %s", tail(e.logs.String(), 2000))
		}
	})
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// metric reads one series from the env's registry; labels are name, value
// pairs. A missing series reads as 0, as nothing counted yet.
func (e *env) metric(name string, labels ...string) float64 {
	e.t.Helper()
	mfs, err := e.reg.Gather()
	if err != nil {
		e.t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	next:
		for _, m := range mf.Metric {
			for i := 0; i+1 < len(labels); i += 2 {
				found := false
				for _, lp := range m.Label {
					found = found || (lp.GetName() == labels[i] && lp.GetValue() == labels[i+1])
				}
				if !found {
					continue next
				}
			}
			switch {
			case m.Counter != nil:
				return m.Counter.GetValue()
			case m.Gauge != nil:
				return m.Gauge.GetValue()
			case m.Histogram != nil:
				return float64(m.Histogram.GetSampleCount())
			}
		}
	}
	return 0
}

// TestStretchedIntervalsStayInBudget: accounts needing three times the
// budget sync three times as far apart, every one of them, and the fake
// counts no call over its limit.
func TestStretchedIntervalsStayInBudget(t *testing.T) {
	bubble(t, func(t *testing.T) {
		const n = 50
		e := newEnv(t, 10*time.Millisecond, "slow")
		accounts := e.addAccounts("slow", "slow", n)
		interval, jitter := time.Second, 100*time.Millisecond
		// 50 syncs of 20 a second need 1000; the fake allows 400, the budget
		// plans for 98 % of it, 392: a burst of 40 (two syncs) and 352
		// steady. Every account once in 50×20/352 s.
		stretched := time.Duration(n*20) * time.Second / 352
		e.start(scheduler.Config{Interval: interval, Jitter: jitter, MaxConcurrency: 16})
		time.Sleep(2*stretched + 500*time.Millisecond)

		if got := e.metric("gahost_sync_interval_seconds", "exchange", "slow"); got != stretched.Seconds() {
			t.Errorf("effective interval metric %v, want %v", got, stretched.Seconds())
		}
		// What the catalog exports as gahost_sync_budget_*{exchange="slow"}.
		pools := e.cat.Budget("slow").Stats(time.Now())
		if len(pools) != 1 {
			t.Fatalf("budget pools %+v, want the one per-IP limit", pools)
		}
		want := budget.PoolStats{Name: schedtest.WeightName, Limit: 400, Allowed: 352, Burst: 40, Window: time.Second}
		if got := pools[0]; got.Name != want.Name || got.Limit != want.Limit || got.Allowed != want.Allowed ||
			got.Burst != want.Burst || got.Window != want.Window {
			t.Errorf("budget %+v, want %+v", got, want)
		}
		// The accounts need the whole budget: it is spent (over its last
		// window and one slot of 20 ms, give or take the jitter), and the
		// fake's own counts never exceed what this host paid, so nothing
		// is charged as outside traffic.
		if got := pools[0]; got.Used < 352*9/10 || got.Used > 392+352/50 || got.External != 0 {
			t.Errorf("budget used %d in its last window (%d charged for outside traffic), want 316..399 and none",
				got.Used, got.External)
		}
		e.stop()

		fx := e.fakes["slow"]
		st := fx.Stats()
		if st.OverLimit != 0 || st.MaxUsed > 400 {
			t.Fatalf("the fake counted %d calls over its limit, at most %d weight in a window", st.OverLimit, st.MaxUsed)
		}
		slack := 300 * time.Millisecond
		for i, a := range accounts {
			times := fx.SpotTimes(keyOf("slow", i))
			if len(times) == 0 {
				t.Errorf("%s: never synced", a.Name)
				continue
			}
			for k := 1; k < len(times); k++ {
				if gap := times[k].Sub(times[k-1]); gap < stretched-jitter-slack {
					t.Errorf("%s: %s between syncs, stretched interval is %s", a.Name, gap, stretched)
				}
			}
			got := e.account(a.ID)
			// next_sync_at tells the stretched time, not the configured one.
			if next := got.Sync.NextSyncAt.Sub(got.Sync.LastSyncAt); next < stretched-jitter-slack || next > stretched+jitter {
				t.Errorf("%s: next_sync_at %s after the last sync, want about %s", a.Name, next, stretched)
			}
		}
	})
}
