package scheduler_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/globalautomation/gahost/host/internal/accounts"
	"github.com/globalautomation/gahost/host/internal/scheduler"
	"github.com/globalautomation/gahost/host/internal/scheduler/schedtest"
	"github.com/globalautomation/gahost/host/internal/store"
)

// countBetween is how many of times fall in [from, to).
func countBetween(times []time.Time, from, to time.Time) int {
	n := 0
	for _, t := range times {
		if !t.Before(from) && t.Before(to) {
			n++
		}
	}
	return n
}

// TestRateLimitPausesOnlyThatExchange: a fake answering 429 with a
// retry-after gets no more calls until it has passed, its accounts say
// rate_limited, then recover; the other exchange never pauses.
func TestRateLimitPausesOnlyThatExchange(t *testing.T) {
	bubble(t, func(t *testing.T) {
		const n = 20
		e := newEnv(t, 10*time.Millisecond, "alpha", "beta")
		alpha := e.addAccounts("alpha", "alpha", n)
		e.addAccounts("beta", "beta", n)
		e.start(scheduler.Config{Interval: time.Second, Jitter: 100 * time.Millisecond})
		time.Sleep(1500 * time.Millisecond)

		ban := 2 * time.Second
		banStart := time.Now()
		e.fakes["alpha"].Ban(ban)
		banEnd := banStart.Add(ban)
		waitFor(t, "alpha to be paused", time.Second, func() bool {
			return e.metric("gahost_sync_exchange_paused", "exchange", "alpha", "reason", "rate_limited") == 1
		})
		// The pause comes with the 429 itself; the sync that got it writes
		// its status a moment later (the store batches its writes).
		var limited []store.Account
		waitFor(t, "an alpha account to say rate_limited", 200*time.Millisecond, func() bool {
			limited = limited[:0]
			for _, a := range alpha {
				if got := e.account(a.ID); got.Sync.Status == store.SyncRateLimited {
					limited = append(limited, got)
				}
			}
			return len(limited) > 0
		})
		for _, got := range limited {
			if d := got.Sync.NextSyncAt.Sub(banEnd); d < -200*time.Millisecond || d > 200*time.Millisecond {
				t.Errorf("%s: next sync at %s, the ban ends %s", got.Name, got.Sync.NextSyncAt, banEnd)
			}
		}
		if got := e.metric("gahost_sync_exchange_paused", "exchange", "beta", "reason", "rate_limited"); got != 0 {
			t.Errorf("beta paused: %v", got)
		}
		time.Sleep(time.Until(banEnd) + 1500*time.Millisecond)
		e.stop()

		st := e.fakes["alpha"].Stats()
		if st.Banned == 0 {
			t.Fatal("no call hit the ban; the test proves nothing")
		}
		// Only the calls already under way when the ban began may hit it.
		if spread := st.LastBanHit.Sub(st.FirstBanHit); spread > 500*time.Millisecond {
			t.Errorf("alpha kept calling during the ban: %d calls over %s", st.Banned, spread)
		}
		if st.OverLimit != 0 {
			t.Errorf("%d calls over the limit", st.OverLimit)
		}
		// beta synced at its normal pace throughout.
		var betaDuring int
		for i := range n {
			betaDuring += countBetween(e.fakes["beta"].SpotTimes(keyOf("beta", i)), banStart, banEnd)
		}
		if want := n * int(ban/time.Second) * 7 / 10; betaDuring < want {
			t.Errorf("beta synced %d times during alpha's ban, want at least %d", betaDuring, want)
		}
		// alpha recovered: every account synced after the ban, status ok.
		for i, a := range alpha {
			if countBetween(e.fakes["alpha"].SpotTimes(keyOf("alpha", i)), banEnd, time.Now()) == 0 {
				t.Errorf("%s: not synced after the ban", a.Name)
			}
			if got := e.account(a.ID); got.Sync.Status != store.SyncOK {
				t.Errorf("%s: status %s after the ban", a.Name, got.Sync.Status)
			}
		}
	})
}

// TestBadKeysAreParked: keys the exchange refuses are tried once, the
// account is parked as auth_failed, and only new keys bring it back. The
// fake echoes the key in its error; it must reach neither the account nor
// the log.
func TestBadKeysAreParked(t *testing.T) {
	t.Parallel() // its checks wait for states; none measures a schedule closely
	bubble(t, func(t *testing.T) {
		e := newEnv(t, 5*time.Millisecond, "alpha")
		e.addAccounts("alpha", "good", 3)
		badKey := "bad-Zq81vX0pLkT4"
		secret := "s3cr3t-bad-Wn7Hc2"
		bad, err := putAccount(e.ctx, e.st, e.key, e.user.ID, "bad", "alpha", credentials(badKey, secret))
		if err != nil {
			t.Fatal(err)
		}
		e.start(scheduler.Config{Interval: 300 * time.Millisecond})
		fx := e.fakes["alpha"]
		waitFor(t, "the bad account to be parked", 3*time.Second, func() bool {
			return e.account(bad.ID).Sync.Status == store.SyncAuthFailed
		})
		time.Sleep(time.Second) // three more intervals
		if got := fx.Calls(badKey); got != 3 {
			t.Errorf("the bad key was called %d times; one sync is 3 calls", got)
		}
		if fx.Calls(keyOf("good", 0)) < 3*3 {
			t.Errorf("good accounts called %d times", fx.Calls(keyOf("good", 0)))
		}
		got := e.account(bad.ID)
		if !got.Sync.NextSyncAt.IsZero() || got.Sync.LastError == "" {
			t.Errorf("parked account state %+v", got.Sync)
		}
		for _, where := range []string{got.Sync.LastError, e.logs.String()} {
			if strings.Contains(where, badKey) || strings.Contains(where, secret) {
				t.Errorf("a credential leaked: %q", where)
			}
		}

		newKey := "fresh-key-3"
		if _, err := e.accts.Update(e.ctx, e.user.ID, bad.ID, accounts.Patch{APIKey: &newKey}); err != nil {
			t.Fatal(err)
		}
		e.sched.AccountChanged(bad.ID)
		waitFor(t, "the re-keyed account to sync", time.Second, func() bool {
			return e.account(bad.ID).Sync.Status == store.SyncOK
		})
		if fx.Calls(newKey) < 3 || fx.Calls(badKey) != 3 {
			t.Errorf("calls: new key %d, old key %d", fx.Calls(newKey), fx.Calls(badKey))
		}
	})
}

// TestPartialFailureKeepsTheGoodParts: a failing endpoint keeps its last
// good data and is named; the other parts update; the account is not
// parked for a permission missing on one part.
func TestPartialFailureKeepsTheGoodParts(t *testing.T) {
	t.Parallel() // its checks wait for states; none measures a schedule closely
	bubble(t, func(t *testing.T) {
		e := newEnv(t, 5*time.Millisecond, "alpha")
		acc := e.addAccounts("alpha", "part", 1)[0]
		noFut := e.addAccounts("alpha", "spotonly"+schedtest.KeyNoFutures, 1)[0]
		e.start(scheduler.Config{Interval: 300 * time.Millisecond})
		fx := e.fakes["alpha"]
		key := keyOf("part", 0)
		waitFor(t, "a first sync", 2*time.Second, func() bool { return len(fx.SpotTimes(key)) >= 1 })
		waitFor(t, "the first sync's write", time.Second, func() bool { return e.account(acc.ID).Sync.Status == store.SyncOK })
		before := fx.Account(key)

		// Futures now fail; spot changes.
		fx.Fail(key, schedtest.PathFutures, 500)
		changed := before
		changed.Spot = []schedtest.Balance{{Asset: "ETH", Free: "1.000000000000000001", Locked: "0"}}
		changed.Futures.MarginBalance = "1"
		fx.SetAccount(key, changed)
		n := len(fx.SpotTimes(key))
		waitFor(t, "two more syncs", 2*time.Second, func() bool { return len(fx.SpotTimes(key)) >= n+2 })
		time.Sleep(100 * time.Millisecond)
		e.stop()

		got := e.account(acc.ID)
		if got.Sync.Status != store.SyncOK || !slices.Equal(got.Sync.FailedParts, []string{"futures_account"}) ||
			!strings.Contains(got.Sync.LastError, "futures_account") {
			t.Errorf("sync state %+v", got.Sync)
		}
		snap, _, err := e.st.LatestSnapshot(e.ctx, acc.ID)
		if err != nil {
			t.Fatal(err)
		}
		want := changed
		want.Futures = before.Futures // the last good futures data stays
		checkSnapshot(t, snap, want)
		if !snap.FuturesAt.Before(snap.SyncedAt) || snap.Errors["futures_account"] == "" {
			t.Errorf("futures part not marked stale: at %s, synced %s, errors %v", snap.FuturesAt, snap.SyncedAt, snap.Errors)
		}
		points, err := e.st.History(e.ctx, acc.ID, time.Time{}, time.Time{})
		if err != nil || len(points) < 3 {
			t.Fatalf("%d history points (%v)", len(points), err)
		}
		if last := points[len(points)-1]; last.FuturesMarginBalance.String() != before.Futures.MarginBalance &&
			!last.FuturesMarginBalance.Equal(mustDec(before.Futures.MarginBalance)) {
			t.Errorf("history point margin %s, want the kept %s", last.FuturesMarginBalance, before.Futures.MarginBalance)
		}

		// A key without futures rights: spot and positions work, it is not
		// parked, and no history point is made without futures data.
		nf := e.account(noFut.ID)
		if nf.Sync.Status != store.SyncOK || !slices.Equal(nf.Sync.FailedParts, []string{"futures_account"}) {
			t.Errorf("spot-only key: sync state %+v", nf.Sync)
		}
		if calls := len(fx.SpotTimes(keyOf("spotonly"+schedtest.KeyNoFutures, 0))); calls < 2 {
			t.Errorf("spot-only key synced %d times", calls)
		}
		if points, _ := e.st.History(e.ctx, noFut.ID, time.Time{}, time.Time{}); len(points) != 0 {
			t.Errorf("%d history points without any futures data", len(points))
		}
	})
}

// TestPluginCrashPausesOnlyItsExchange: killing a plugin mid-sync gives its
// accounts a transient error and they resume after the restart; the other
// exchange's syncs carry on meanwhile.
func TestPluginCrashPausesOnlyItsExchange(t *testing.T) {
	bubble(t, func(t *testing.T) {
		const n = 20
		// Slow answers keep several alpha syncs in flight at any moment.
		e := newEnv(t, 300*time.Millisecond, "alpha", "beta")
		alpha := e.addAccounts("alpha", "alpha", n)
		e.addAccounts("beta", "beta", n)
		e.start(scheduler.Config{Interval: time.Second, Jitter: 100 * time.Millisecond, PluginRetry: 200 * time.Millisecond})
		time.Sleep(1500 * time.Millisecond)
		waitFor(t, "alpha syncs in flight", 2*time.Second, func() bool {
			return e.metric("gahost_sync_accounts", "exchange", "alpha", "state", "running") > 0
		})

		// The process dies and its restart takes a moment, as the
		// catalog's would.
		plugin := e.plugins["alpha"]
		pid := plugin.PID()
		killed := time.Now()
		const restart = 300 * time.Millisecond
		plugin.Crash(restart)
		waitFor(t, "alpha's plugin to restart", 5*time.Second, func() bool {
			return plugin.PID() != pid && !time.Now().Before(killed.Add(restart))
		})
		back := time.Now()
		waitFor(t, "every alpha account to sync again", 5*time.Second, func() bool {
			for i := range n {
				if countBetween(e.fakes["alpha"].SpotTimes(keyOf("alpha", i)), back, time.Now()) == 0 {
					return false
				}
			}
			return true
		})
		time.Sleep(300 * time.Millisecond)
		e.stop()

		failed := e.metric("gahost_syncs_total", "exchange", "alpha", "outcome", "error") +
			e.metric("gahost_syncs_total", "exchange", "alpha", "outcome", "plugin_unavailable")
		if failed <= 0 {
			t.Error("no alpha sync failed; the kill did not land mid-sync")
		}
		for _, a := range alpha {
			if got := e.account(a.ID); got.Sync.Status != store.SyncOK {
				t.Errorf("%s: status %s after the restart (%s)", a.Name, got.Sync.Status, got.Sync.LastError)
			}
		}
		var betaDuring int
		for i := range n {
			betaDuring += countBetween(e.fakes["beta"].SpotTimes(keyOf("beta", i)), killed, back.Add(time.Second))
		}
		if want := int(float64(n) * back.Add(time.Second).Sub(killed).Seconds() * 0.7); betaDuring < want {
			t.Errorf("beta synced %d times while alpha was down, want at least %d", betaDuring, want)
		}
	})
}

// TestAccountLifecycle: new and re-enabled accounts sync promptly, deleted
// and deactivated ones stop, SyncNow syncs at once and answers when done.
func TestAccountLifecycle(t *testing.T) {
	t.Parallel() // its checks wait for states; none measures a schedule closely
	bubble(t, func(t *testing.T) {
		e := newEnv(t, 5*time.Millisecond, "alpha")
		first := e.addAccounts("alpha", "old", 1)[0]
		interval := 2 * time.Second
		e.start(scheduler.Config{Interval: interval})
		fx := e.fakes["alpha"]
		waitFor(t, "the first account's sync", interval+time.Second, func() bool {
			return e.account(first.ID).Sync.Status == store.SyncOK
		})

		// New: synced promptly, long before an interval.
		created := time.Now()
		acc := e.addAccounts("alpha", "new", 1)[0]
		key := keyOf("new", 0)
		e.sched.AccountChanged(acc.ID)
		waitFor(t, "the new account's first sync", interval/3, func() bool {
			return e.account(acc.ID).Sync.LastSyncAt.After(created)
		})

		// SyncNow: a sync runs now and is recorded when it returns.
		calls := fx.Calls(key)
		if err := e.sched.SyncNow(e.ctx, acc.ID); err != nil {
			t.Fatal(err)
		}
		if fx.Calls(key) != calls+3 {
			t.Errorf("SyncNow made %d calls, want 3", fx.Calls(key)-calls)
		}
		if got := e.account(acc.ID); time.Since(got.Sync.LastSyncAt) > time.Second || got.Sync.Status != store.SyncOK {
			t.Errorf("after SyncNow: %+v", got.Sync)
		}

		// Deactivated: no more calls; SyncNow refuses.
		off, on := false, true
		if _, err := e.accts.Update(e.ctx, e.user.ID, acc.ID, accounts.Patch{IsActive: &off}); err != nil {
			t.Fatal(err)
		}
		e.sched.AccountChanged(acc.ID)
		if err := e.sched.SyncNow(e.ctx, acc.ID); !errors.Is(err, scheduler.ErrInactive) {
			t.Errorf("SyncNow of an inactive account: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
		calls = fx.Calls(key)
		time.Sleep(interval + 500*time.Millisecond)
		if fx.Calls(key) != calls {
			t.Errorf("a deactivated account was called %d more times", fx.Calls(key)-calls)
		}

		// Re-enabled: synced promptly again.
		if _, err := e.accts.Update(e.ctx, e.user.ID, acc.ID, accounts.Patch{IsActive: &on}); err != nil {
			t.Fatal(err)
		}
		e.sched.AccountChanged(acc.ID)
		reenabled := time.Now()
		waitFor(t, "the re-enabled account's sync", interval/3, func() bool {
			return e.account(acc.ID).Sync.LastSyncAt.After(reenabled)
		})

		// Deleted: no more calls; SyncNow says not found.
		if err := e.accts.Delete(e.ctx, e.user.ID, first.ID); err != nil {
			t.Fatal(err)
		}
		e.sched.AccountChanged(first.ID)
		time.Sleep(100 * time.Millisecond)
		oldCalls := fx.Calls(keyOf("old", 0))
		if err := e.sched.SyncNow(e.ctx, first.ID); !store.IsNotFound(err) {
			t.Errorf("SyncNow of a deleted account: %v", err)
		}
		time.Sleep(interval + 500*time.Millisecond)
		if got := fx.Calls(keyOf("old", 0)); got != oldCalls {
			t.Errorf("a deleted account was called %d more times", got-oldCalls)
		}
	})
}

// TestSyncNowDuringAPause: a manual sync while the exchange is paused for
// rate limits sends nothing and says when syncs resume.
func TestSyncNowDuringAPause(t *testing.T) {
	t.Parallel() // its checks wait for states; none measures a schedule closely
	bubble(t, func(t *testing.T) {
		e := newEnv(t, 5*time.Millisecond, "alpha")
		accs := e.addAccounts("alpha", "p", 2)
		e.start(scheduler.Config{Interval: 200 * time.Millisecond})
		fx := e.fakes["alpha"]
		waitFor(t, "first syncs", 2*time.Second, func() bool { return fx.Calls(keyOf("p", 1)) >= 3 })
		fx.Ban(3 * time.Second)
		waitFor(t, "the pause", 2*time.Second, func() bool {
			return e.metric("gahost_sync_exchange_paused", "exchange", "alpha", "reason", "rate_limited") == 1
		})
		calls := fx.Stats().Calls
		for _, a := range accs {
			if err := e.sched.SyncNow(e.ctx, a.ID); err != nil {
				t.Fatal(err)
			}
			got := e.account(a.ID)
			if got.Sync.Status != store.SyncRateLimited || time.Until(got.Sync.NextSyncAt) < time.Second {
				t.Errorf("%s: %+v", a.Name, got.Sync)
			}
		}
		if got := fx.Stats().Calls; got != calls {
			t.Errorf("%d calls during the pause", got-calls)
		}
	})
}

// TestShutdownIsBounded: syncs still running when Run's context ends get
// the grace period, are then cancelled, and write nothing.
func TestShutdownIsBounded(t *testing.T) {
	t.Parallel() // its checks wait for states; none measures a schedule closely
	bubble(t, func(t *testing.T) {
		e := newEnv(t, 0, "alpha")
		hung, err := putAccount(e.ctx, e.st, e.key, e.user.ID, "hung", "alpha", credentials("hang", "s"))
		if err != nil {
			t.Fatal(err)
		}
		e.start(scheduler.Config{Interval: time.Second, CallTimeout: time.Minute, ShutdownGrace: 300 * time.Millisecond})
		waitFor(t, "the sync to be running", 3*time.Second, func() bool {
			return e.metric("gahost_sync_in_flight") == 1
		})
		start := time.Now()
		e.stop()
		if took := time.Since(start); took > 3*time.Second {
			t.Errorf("shutdown took %s", took)
		}
		got := e.account(hung.ID)
		if got.Sync.Status != store.SyncPending || !got.Sync.LastSyncAt.IsZero() {
			t.Errorf("a cancelled sync wrote %+v", got.Sync)
		}
		if _, ok, _ := e.st.LatestSnapshot(e.ctx, hung.ID); ok {
			t.Error("a cancelled sync wrote a snapshot")
		}
		if err := e.sched.SyncNow(e.ctx, hung.ID); !errors.Is(err, scheduler.ErrStopped) {
			t.Errorf("SyncNow after shutdown: %v", err)
		}
	})
}

// TestSyncNowWhileRunning: a manual sync asked while one is running is not
// answered with that one's older data: another sync follows.
func TestSyncNowWhileRunning(t *testing.T) {
	t.Parallel() // its checks wait for states; none measures a schedule closely
	bubble(t, func(t *testing.T) {
		e := newEnv(t, 300*time.Millisecond, "alpha")
		acc := e.addAccounts("alpha", "now", 1)[0]
		e.start(scheduler.Config{Interval: 24 * time.Hour})
		fx := e.fakes["alpha"]
		first := make(chan error, 1)
		go func() { first <- e.sched.SyncNow(e.ctx, acc.ID) }()
		waitFor(t, "the first sync to be running", 2*time.Second, func() bool {
			return len(fx.SpotTimes(keyOf("now", 0))) == 1
		})
		asked := time.Now()
		if err := e.sched.SyncNow(e.ctx, acc.ID); err != nil {
			t.Fatal(err)
		}
		if err := <-first; err != nil {
			t.Fatal(err)
		}
		times := fx.SpotTimes(keyOf("now", 0))
		if len(times) < 2 || !times[len(times)-1].After(asked) {
			t.Fatalf("syncs at %v; the second SyncNow was asked at %v", times, asked)
		}
		if got := e.account(acc.ID); got.Sync.LastSyncAt.Before(asked) {
			t.Errorf("recorded sync at %s, before the request at %s", got.Sync.LastSyncAt, asked)
		}
	})
}

// TestOutsideBurstEndsAtTheWindowReset: another client on the IP spends
// 20,020 weight at once, more than three windows' worth of the limit. The
// next calls find the exchange's window full and are refused; the
// exchange is then held, and syncs resume when that window ends, not
// after the three and a half minutes it would take to pay the burst off
// at the budget's pace.
func TestOutsideBurstEndsAtTheWindowReset(t *testing.T) {
	bubble(t, func(t *testing.T) {
		const n, burst = 5, 20_020
		e := newEnv(t, 10*time.Millisecond, "minute")
		accts := e.addAccounts("minute", "m", n)
		interval := 2 * time.Second
		e.start(scheduler.Config{Interval: interval, MaxConcurrency: 1})
		// The fake counts fixed minutes; the bubble's clock starts on one.
		time.Sleep(20 * time.Second)
		fx := e.fakes["minute"]
		burstAt := time.Now()
		reset := burstAt.Truncate(time.Minute).Add(time.Minute)
		fx.Spend(burst)
		calls := fx.Stats().Calls
		time.Sleep(time.Until(reset))
		// Only the one sync that found the window full (three calls) went
		// out before it ended.
		if got := fx.Stats().Calls - calls; got > 3 {
			t.Errorf("%d calls between the burst and the window's end", got)
		}
		// The parts of the refused sync answer one by one; each report
		// counts the parts answered so far while the budget paid all of
		// them at once, so the charge may fall short by up to one sync.
		if ext := e.cat.Budget("minute").Stats(time.Now())[0].External; ext < burst-20 || ext > burst {
			t.Errorf("the budget charged %d for outside traffic, the burst was %d", ext, burst)
		}
		time.Sleep(interval + time.Second)
		e.stop()

		if st := fx.Stats(); st.OverLimit > 3 {
			t.Errorf("%d calls over the limit; only one sync's may find the full window", st.OverLimit)
		}
		// Every account synced again within an interval of the reset.
		for i, a := range accts {
			if got := countBetween(fx.SpotTimes(keyOf("m", i)), reset, reset.Add(interval+time.Second)); got == 0 {
				t.Errorf("%s: not synced in the %s after the window reset", a.Name, interval+time.Second)
			}
			if got := e.account(a.ID); got.Sync.Status != store.SyncOK {
				t.Errorf("%s: status %s after the reset", a.Name, got.Sync.Status)
			}
		}
	})
}

// With sync results written behind, the result of a sync that SyncNow
// waits for, and an account's first, is readable when it ends, while a
// later scheduled sync's waits for the store's next commit.
func TestSyncNowResultIsReadableWithWriteBehind(t *testing.T) {
	bubble(t, func(t *testing.T) {
		e := newEnvStore(t, store.Options{NoSync: true, SyncFlush: time.Hour}, 5*time.Millisecond, "alpha")
		acc := e.addAccounts("alpha", "held", 1)[0]
		interval := 2 * time.Second
		e.start(scheduler.Config{Interval: interval})
		fx := e.fakes["alpha"]
		key := keyOf("held", 0)
		waitFor(t, "the account's first scheduled sync", interval+time.Second, func() bool { return fx.Calls(key) >= 3 })
		time.Sleep(100 * time.Millisecond)
		first := e.account(acc.ID).Sync
		if first.Status != store.SyncOK {
			t.Fatalf("an account's first sync is not readable when it ends: %+v", first)
		}
		waitFor(t, "the account's second scheduled sync", interval+time.Second, func() bool { return fx.Calls(key) >= 6 })
		time.Sleep(100 * time.Millisecond)
		if got := e.account(acc.ID).Sync; !got.LastSyncAt.Equal(first.LastSyncAt) {
			t.Fatalf("a later scheduled sync's result is read back before the store's commit: %+v", got)
		}
		before := time.Now()
		if err := e.sched.SyncNow(e.ctx, acc.ID); err != nil {
			t.Fatal(err)
		}
		if got := e.account(acc.ID); got.Sync.Status != store.SyncOK || got.Sync.LastSyncAt.Before(before) {
			t.Errorf("after SyncNow: %+v", got.Sync)
		}
	})
}
