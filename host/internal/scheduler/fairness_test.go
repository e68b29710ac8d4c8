package scheduler_test

import (
	"testing"
	"time"

	"github.com/globalautomation/gahost/host/internal/scheduler"
	"github.com/globalautomation/gahost/host/internal/store"
	"github.com/globalautomation/gahost/host/internal/users"
	"github.com/globalautomation/gahost/sdk"
)

// TestFairShareBetweenUsers: one user with 1,000 accounts and one with a
// single account share a tight budget. The large user's accounts stretch
// to what the budget leaves them; the small user's account keeps its
// interval, as an even split of the budget between the two would give it,
// measured at the fake; and between them they use the whole budget.
func TestFairShareBetweenUsers(t *testing.T) {
	bubble(t, func(t *testing.T) {
		e := newEnv(t, 10*time.Millisecond, "slow")
		whaleUser, _, err := e.users.Create(e.ctx, users.NewUser{Username: "whale"})
		if err != nil {
			t.Fatal(err)
		}
		whale := e.addAccountsOf(whaleUser.ID, "slow", "whale", 1000)
		minnow := e.addAccounts("slow", "minnow", 1)[0]
		interval := 2 * time.Second
		start := time.Now()
		e.start(scheduler.Config{Interval: interval, MaxConcurrency: 16})
		const run = 30 * time.Second
		time.Sleep(run)

		// The budget: 352 weight a second steady, so one sync of 20 flows
		// in every 57 ms, and 1,000 accounts need 56.8 s of all of it.
		set := e.cat.Budget("slow")
		sync := []string{sdk.CapSpotBalances, sdk.CapFuturesAccount, sdk.CapPositions}
		pool := set.Stats(time.Now())[0]
		oneSync := set.Cycle(sync, 1)
		whaleCycle := set.Cycle(sync, len(whale))
		// An even split gives each user half of the budget: the small user
		// needs one sync per interval, which fits in half a budget many
		// times over, so its interval stays as configured. Its sync may
		// wait for the next one to flow in, no longer.
		evenSplit := max(interval, 2*oneSync)
		// The large user gets what the small one leaves: its 1,000 accounts
		// in (interval - oneSync) of every interval.
		whaleEvery := time.Duration(float64(whaleCycle) * float64(interval) / float64(interval-oneSync))
		if got := e.metric("gahost_sync_interval_seconds", "exchange", "slow"); time.Duration(got*1e9) < whaleEvery-time.Millisecond ||
			time.Duration(got*1e9) > whaleEvery+time.Millisecond {
			t.Errorf("interval metric (the longest) %.3fs, want the large user's %s", got, whaleEvery)
		}
		e.stop()

		fx := e.fakes["slow"]
		if st := fx.Stats(); st.OverLimit != 0 || st.MaxUsed > pool.Limit {
			t.Fatalf("the fake counted %d calls over its limit, at most %d weight in a window", st.OverLimit, st.MaxUsed)
		}
		times := fx.SpotTimes(keyOf("minnow", 0))
		if len(times) < int(run/(evenSplit+oneSync)) {
			t.Fatalf("the small user's account synced %d times in %s at an interval of %s", len(times), run, interval)
		}
		var longest, sum time.Duration
		for k := 1; k < len(times); k++ {
			gap := times[k].Sub(times[k-1])
			if gap < interval {
				t.Errorf("the small user's syncs %d and %d %s apart, under the interval", k, k+1, gap)
			}
			longest, sum = max(longest, gap), sum+gap
		}
		if longest > evenSplit+oneSync {
			t.Errorf("the small user's longest interval %s, an even split gives %s (and one sync's wait, %s)", longest, evenSplit, oneSync)
		}
		t.Logf("small user: %d syncs, mean interval %s, longest %s (configured %s, one sync flows in every %s); large user: interval %s",
			len(times), sum/time.Duration(len(times)-1), longest, interval, oneSync, whaleEvery)
		if got := e.account(minnow.ID); got.Sync.NextSyncAt.Sub(got.Sync.LastSyncAt) > interval {
			t.Errorf("the small user's next_sync_at is %s after its last sync", got.Sync.NextSyncAt.Sub(got.Sync.LastSyncAt))
		}

		// The large user's accounts: each synced at most once in the run,
		// and told when its next sync comes, at its stretched interval.
		// Together with the small user they spend the whole budget once
		// the first interval's spread is over.
		from := start.Add(5 * time.Second)
		spent := int64(countBetween(times, from, start.Add(run))) * 20
		synced := 0
		for i, a := range whale {
			ts := fx.SpotTimes(keyOf("whale", i))
			if len(ts) > 1 {
				t.Fatalf("%s synced %d times in %s at a stretched interval of %s", a.Name, len(ts), run, whaleEvery)
			}
			spent += int64(countBetween(ts, from, start.Add(run))) * 20
			if len(ts) == 0 {
				continue
			}
			synced++
			if synced%50 != 1 {
				continue // the store holds them all alike: check some
			}
			got := e.account(a.ID)
			if got.Sync.Status != store.SyncOK {
				t.Errorf("%s: %+v", a.Name, got.Sync)
			}
			if next := got.Sync.NextSyncAt.Sub(got.Sync.LastSyncAt); next > whaleEvery || next < whaleEvery-100*time.Millisecond {
				t.Errorf("%s: next sync %s after the last, want %s", a.Name, next, whaleEvery)
			}
		}
		budgetFor := pool.Allowed * int64(start.Add(run).Sub(from)) / int64(pool.Window)
		if spent < budgetFor*95/100 {
			t.Errorf("the two users spent %d weight from %s on, %d%% of the %d budgeted",
				spent, from.Sub(start), 100*spent/budgetFor, budgetFor)
		}
		t.Logf("large user: %d of %d accounts synced; budget used %d%% after the first interval's spread", synced, len(whale), 100*spent/budgetFor)
	})
}
