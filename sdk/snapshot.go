package sdk

import (
	"context"
	"sync"
)

// Snapshot is what one sync reads of an account: each part asked for, and
// for each part that failed, its error (keyed by capability name). A part
// that failed keeps its zero value.
type Snapshot struct {
	Spot      []Balance
	Futures   FuturesAccount
	Positions []Position
	Errs      map[string]error
}

// Snapshotter is an Exchange that reads several parts in one call. The
// host's plugin client is one: a sync then costs one round trip to the
// plugin instead of one per part. Connectors need not implement it; Serve
// answers the snapshot call from their single methods.
type Snapshotter interface {
	Snapshot(ctx context.Context, acct Account, parts []string) Snapshot
}

// FetchSnapshot reads parts (capability names) of an account: in one call
// when x is a Snapshotter, else with one call per part, side by side.
func FetchSnapshot(ctx context.Context, x Exchange, acct Account, parts []string) Snapshot {
	if s, ok := x.(Snapshotter); ok {
		return s.Snapshot(ctx, acct, parts)
	}
	return fetchParts(ctx, x, acct, parts)
}

// fetchParts calls x once per part, concurrently.
func fetchParts(ctx context.Context, x Exchange, acct Account, parts []string) Snapshot {
	var (
		snap Snapshot
		mu   sync.Mutex
		wg   sync.WaitGroup
	)
	fail := func(part string, err error) {
		mu.Lock()
		defer mu.Unlock()
		if snap.Errs == nil {
			snap.Errs = map[string]error{}
		}
		snap.Errs[part] = err
	}
	for _, p := range parts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var err error
			switch p {
			case CapSpotBalances:
				var v []Balance
				if v, err = x.SpotBalances(ctx, acct); err == nil {
					snap.Spot = v
				}
			case CapFuturesAccount:
				var v FuturesAccount
				if v, err = x.FuturesAccount(ctx, acct); err == nil {
					snap.Futures = v
				}
			case CapPositions:
				var v []Position
				if v, err = x.Positions(ctx, acct); err == nil {
					snap.Positions = v
				}
			default:
				err = Errorf(KindInvalidRequest, "no snapshot part %q", p)
			}
			if err != nil {
				fail(p, err)
			}
		}()
	}
	wg.Wait()
	return snap
}
