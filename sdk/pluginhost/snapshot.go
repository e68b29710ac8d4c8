package pluginhost

import (
	"context"

	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/internal/wire"
)

// Snapshot is what one sync reads of an account: each part asked for, and
// for each part that failed, its error (keyed by capability name). A part
// that failed keeps its zero value.
type Snapshot struct {
	Spot      []sdk.Balance
	Futures   sdk.FuturesAccount
	Positions []sdk.Position
	Errs      map[string]error
}

// Snapshotter is an Exchange that reads several parts in one call. [Client]
// is one: a sync then costs one round trip to the plugin instead of one per
// part. Connectors need not implement it; sdk.Serve answers the snapshot
// call from their single methods.
type Snapshotter interface {
	Snapshot(ctx context.Context, acct sdk.Account, parts []string) Snapshot
}

// FetchSnapshot reads parts (capability names such as sdk.CapSpotBalances)
// of an account: in one call when x is a Snapshotter, else with one call per
// part, side by side.
func FetchSnapshot(ctx context.Context, x sdk.Exchange, acct sdk.Account, parts []string) Snapshot {
	if s, ok := x.(Snapshotter); ok {
		return s.Snapshot(ctx, acct, parts)
	}
	return fetchParts(ctx, x, acct, parts)
}

// fetchParts calls x once per part, concurrently.
func fetchParts(ctx context.Context, x sdk.Exchange, acct sdk.Account, parts []string) Snapshot {
	var snap Snapshot
	// Each part writes only its own field, and only when it succeeded: a
	// failed part keeps its zero value.
	snap.Errs = wire.EachPart(parts, func(part string) error {
		switch part {
		case sdk.CapSpotBalances:
			v, err := x.SpotBalances(ctx, acct)
			if err == nil {
				snap.Spot = v
			}
			return err
		case sdk.CapFuturesAccount:
			v, err := x.FuturesAccount(ctx, acct)
			if err == nil {
				snap.Futures = v
			}
			return err
		case sdk.CapPositions:
			v, err := x.Positions(ctx, acct)
			if err == nil {
				snap.Positions = v
			}
			return err
		}
		return noPart(part)
	})
	return snap
}

func noPart(p string) error { return sdk.Errorf(sdk.KindInvalidRequest, "no snapshot part %q", p) }
