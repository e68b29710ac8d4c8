package store

import (
	"context"
	"testing"
	"time"

	"github.com/shopspring/decimal"
)

// newBehindFixture is newFixture with sync results written behind, every
// flush apart.
func newBehindFixture(t *testing.T, every time.Duration) *fixture {
	t.Helper()
	f := newFixture(t)
	f.st.Close()
	st, err := Open(context.Background(), Path(f.dir), Options{Now: f.clock.now, SyncFlush: every})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f.st = st
	return f
}

// spotResult is a sync that fetched a spot balance of total, with its
// history point.
func spotResult(at time.Time, total string, wait bool) SyncResult {
	d := decimal.RequireFromString(total)
	return SyncResult{Started: at, Wait: wait,
		Fresh: &Snapshot{SyncedAt: at, SpotAt: at, Spot: []Balance{{Asset: "USDT", Free: d, Total: d}}},
		Point: func(Snapshot) (HistoryPoint, bool) { return HistoryPoint{At: at, FuturesMarginBalance: d}, true },
		State: SyncState{Status: SyncOK, LastSyncAt: at, KeysRev: 1}}
}

func (f *fixture) spotTotal(t *testing.T, id string) string {
	t.Helper()
	snap, ok, err := f.st.LatestSnapshot(f.ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if !ok || len(snap.Spot) == 0 {
		return ""
	}
	return snap.Spot[0].Total.String()
}

// A held result is not readable before its commit; a waited one is at
// once, and an older held one committed after it does not undo it.
func TestWriteBehindHoldsAllButWaitedResults(t *testing.T) {
	f := newBehindFixture(t, time.Hour)
	u := f.user(t, "alice")
	a := f.account(t, u.ID, "a", true)
	t0 := f.clock.now()
	if err := f.st.PutSyncResult(f.ctx, a.ID, spotResult(t0, "1", false)); err != nil {
		t.Fatal(err)
	}
	if got := f.spotTotal(t, a.ID); got != "" {
		t.Fatalf("a held result is readable before its commit: spot %s", got)
	}
	if err := f.st.PutSyncResult(f.ctx, a.ID, spotResult(t0.Add(time.Second), "2", true)); err != nil {
		t.Fatal(err)
	}
	if got := f.spotTotal(t, a.ID); got != "2" {
		t.Fatalf("after a waited result: spot %q, want 2", got)
	}
	if err := f.st.Flush(); err != nil {
		t.Fatal(err)
	}
	if got := f.spotTotal(t, a.ID); got != "2" {
		t.Fatalf("the older held result, committed last, replaced the newer: spot %q", got)
	}
	pts, err := f.st.History(f.ctx, a.ID, time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if len(pts) != 2 {
		t.Fatalf("%d history points, want the held one and the waited one", len(pts))
	}
	got, err := f.st.Account(f.ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Sync.LastSyncAt.Equal(t0.Add(time.Second)) {
		t.Fatalf("sync state %+v, want the waited result's", got.Sync)
	}
}

// A held result whose account was deleted, or whose keys changed, is
// dropped at the commit; the others still commit.
func TestWriteBehindDropsResultsOfGoneAccountsAndOldKeys(t *testing.T) {
	f := newBehindFixture(t, time.Hour)
	u := f.user(t, "alice")
	gone := f.account(t, u.ID, "gone", true)
	rekeyed := f.account(t, u.ID, "rekeyed", false)
	kept := f.account(t, u.ID, "kept", false)
	t0 := f.clock.now()
	for _, id := range []string{gone.ID, rekeyed.ID, kept.ID} {
		if err := f.st.PutSyncResult(f.ctx, id, spotResult(t0, "5", false)); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.deleteAccount(u.ID, gone.ID); err != nil {
		t.Fatal(err)
	}
	err := f.st.EditAccounts(f.ctx, u.ID, func(mine []Account) (AccountChange, error) {
		for _, a := range mine {
			if a.ID == rekeyed.ID {
				a.KeysRev++
				return AccountChange{Put: []Account{a}}, nil
			}
		}
		t.Fatal("account rekeyed not found")
		return AccountChange{}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.st.Flush(); err != nil {
		t.Fatal(err)
	}
	if got := f.spotTotal(t, kept.ID); got != "5" {
		t.Errorf("kept: spot %q, want 5", got)
	}
	if got := f.spotTotal(t, rekeyed.ID); got != "" {
		t.Errorf("a result from the old keys was written: spot %s", got)
	}
	if got := f.spotTotal(t, gone.ID); got != "" {
		t.Errorf("a deleted account got a snapshot: spot %s", got)
	}
	// A waited result still says why it was refused.
	if err := f.st.PutSyncResult(f.ctx, gone.ID, spotResult(t0, "6", true)); !IsNotFound(err) {
		t.Errorf("waited result of a deleted account: %v, want not found", err)
	}
}

// Held results commit on their own once the oldest has waited the flush
// interval, and on Close.
func TestWriteBehindCommitsOnTimeAndOnClose(t *testing.T) {
	f := newBehindFixture(t, 20*time.Millisecond)
	u := f.user(t, "alice")
	a := f.account(t, u.ID, "a", true)
	if err := f.st.PutSyncResult(f.ctx, a.ID, spotResult(f.clock.now(), "7", false)); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for f.spotTotal(t, a.ID) != "7" {
		if time.Now().After(deadline) {
			t.Fatal("a held result is not committed 5s after a flush interval of 20ms")
		}
		time.Sleep(5 * time.Millisecond)
	}

	f = newBehindFixture(t, time.Hour)
	u = f.user(t, "bob")
	a = f.account(t, u.ID, "b", true)
	if err := f.st.PutSyncResult(f.ctx, a.ID, spotResult(f.clock.now(), "8", false)); err != nil {
		t.Fatal(err)
	}
	if err := f.st.Close(); err != nil {
		t.Fatal(err)
	}
	st, err := Open(f.ctx, Path(f.dir), Options{Now: f.clock.now})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	f.st = st
	if got := f.spotTotal(t, a.ID); got != "8" {
		t.Fatalf("after Close and reopening: spot %q, want 8", got)
	}
}
