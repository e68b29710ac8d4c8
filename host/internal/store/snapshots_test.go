package store

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"
)

// fixedPoint is a history point that does not depend on the merged view.
func fixedPoint(p HistoryPoint) func(Snapshot) (HistoryPoint, bool) {
	return func(Snapshot) (HistoryPoint, bool) { return p, true }
}

// syncOf is a sync started at started that fetched every part with the
// value v, except the parts in failed.
func syncOf(started time.Time, v string, failed ...string) SyncResult {
	at := started.Add(time.Second) // the answers come in after the start
	snap := &Snapshot{SyncedAt: at}
	if !slices.Contains(failed, PartSpot) {
		snap.Spot, snap.SpotAt = []Balance{{Asset: "USDT", Free: d(v), Total: d(v)}}, at
	}
	if !slices.Contains(failed, PartFutures) {
		snap.Futures, snap.FuturesAt = &FuturesAccount{Asset: "USDT", MarginBalance: d(v)}, at
	}
	if !slices.Contains(failed, PartPositions) {
		snap.Positions, snap.PositionsAt = []Position{{Symbol: "BTC/USDT:USDT", Side: "long", Size: d(v)}}, at
	}
	st := SyncState{Status: SyncOK, LastSyncAt: at, FailedParts: failed}
	if len(failed) > 0 {
		snap.Errors = map[string]string{}
		for _, p := range failed {
			snap.Errors[p] = "failed in sync " + v
		}
		st.LastError = "failed in sync " + v
	}
	return SyncResult{Started: started, Fresh: snap, State: st,
		Point: func(m Snapshot) (HistoryPoint, bool) {
			if m.Futures == nil {
				return HistoryPoint{}, false
			}
			return HistoryPoint{At: at, FuturesMarginBalance: m.Futures.MarginBalance}, true
		}}
}

// TestNewerPartAlwaysWins races a sync with a failed part against a
// successful sync of the same account, in both orders of start and with
// the writes committing in any order: every part, the state and the part
// errors come from the sync that started last and has them.
func TestNewerPartAlwaysWins(t *testing.T) {
	f := newFixture(t)
	u := f.user(t, "u")
	base := f.clock.now()
	type want struct{ spot, futures, positions, status string }
	cases := []struct {
		name         string
		older, newer SyncResult
		want         want
		wantErrors   bool
		newerPoint   bool // the newer sync has every part its point needs
	}{
		{
			name:  "partial failure started first",
			older: syncOf(base, "1", PartFutures), newer: syncOf(base.Add(time.Millisecond), "2"),
			want: want{"2", "2", "2", "[]"}, newerPoint: true,
		},
		{
			name:  "partial failure started last",
			older: syncOf(base, "1"), newer: syncOf(base.Add(time.Millisecond), "2", PartFutures),
			want: want{"2", "1", "2", "[futures_account]"}, wantErrors: true,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			orders := map[bool]int{}
			for i := range 100 {
				a := f.account(t, u.ID, fmt.Sprint(tc.name, i), false)
				// Both writes wait at the gate, then go at once; which of
				// them commits first is up to the scheduler and the batch.
				gate := make(chan struct{})
				var wg sync.WaitGroup
				var mu sync.Mutex
				var commits []string
				for _, r := range []SyncResult{tc.older, tc.newer} {
					wg.Go(func() {
						<-gate
						if rand.N(2) == 0 {
							time.Sleep(time.Duration(rand.N(200)) * time.Microsecond)
						}
						if err := f.st.PutSyncResult(f.ctx, a.ID, r); err != nil {
							t.Error(err)
						}
						mu.Lock()
						commits = append(commits, r.Fresh.SyncedAt.String())
						mu.Unlock()
					})
				}
				close(gate)
				wg.Wait()
				orders[commits[0] == tc.older.Fresh.SyncedAt.String()]++

				snap, ok, err := f.st.LatestSnapshot(f.ctx, a.ID)
				if err != nil || !ok {
					t.Fatalf("no snapshot: %v", err)
				}
				got := want{snap.Spot[0].Free.String(), snap.Futures.MarginBalance.String(),
					snap.Positions[0].Size.String(), ""}
				acct, err := f.st.Account(f.ctx, a.ID)
				if err != nil {
					t.Fatal(err)
				}
				got.status = fmt.Sprint(acct.Sync.FailedParts)
				if got != tc.want {
					t.Fatalf("iteration %d: got %+v, want %+v", i, got, tc.want)
				}
				if !snap.SyncedAt.Equal(tc.newer.Fresh.SyncedAt) || !acct.Sync.LastSyncAt.Equal(tc.newer.State.LastSyncAt) {
					t.Fatalf("iteration %d: synced at %s, last sync %s: not the newer sync's", i, snap.SyncedAt, acct.Sync.LastSyncAt)
				}
				if (len(snap.Errors) > 0) != tc.wantErrors || (acct.Sync.LastError != "") != tc.wantErrors {
					t.Fatalf("iteration %d: errors %v, last error %q", i, snap.Errors, acct.Sync.LastError)
				}
				// A complete newer sync leaves its point, at its own time,
				// whatever the order.
				at := tc.newer.Fresh.SyncedAt
				pts, err := f.st.History(f.ctx, a.ID, at, at)
				if tc.newerPoint && (err != nil || len(pts) != 1 || pts[0].FuturesMarginBalance.String() != tc.want.futures) {
					t.Fatalf("iteration %d: points at the newer sync's time %+v (%v)", i, pts, err)
				}
			}
			t.Logf("older sync committed first %d times, last %d times", orders[true], orders[false])
		})
	}
}

// TestStaleKeysWriteNothing: a result about keys that changed during the
// sync is refused whole.
func TestStaleKeysWriteNothing(t *testing.T) {
	f := newFixture(t)
	a := f.account(t, f.user(t, "u").ID, "a", false)
	// New keys, as the accounts service writes them: the key revision moves on.
	f.rewrite(t, a.ID, func(a *Account) { a.KeysRev++ })
	r := syncOf(f.clock.now(), "1")
	r.State.KeysRev = a.KeysRev
	if err := f.st.PutSyncResult(f.ctx, a.ID, r); err != ErrStale {
		t.Fatalf("a result about the old keys: %v", err)
	}
	if _, ok, _ := f.st.LatestSnapshot(f.ctx, a.ID); ok {
		t.Fatal("a result about the old keys wrote a snapshot")
	}
	if pts, _ := f.st.History(f.ctx, a.ID, time.Time{}, time.Time{}); len(pts) != 0 {
		t.Fatalf("a result about the old keys wrote %d points", len(pts))
	}
	if got, _ := f.st.Account(f.ctx, a.ID); got.Sync.Status != SyncPending {
		t.Fatalf("status %s", got.Sync.Status)
	}
}
