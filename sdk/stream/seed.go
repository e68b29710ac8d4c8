package stream

import (
	"context"
	"fmt"
	"slices"

	"github.com/globalautomation/gahost/sdk"
	"github.com/shopspring/decimal"
)

// Reader reads an account's parts over REST, as a poll does; a
// connector's sdk.Exchange methods are one.
type Reader interface {
	SpotBalances(ctx context.Context, acct sdk.Account) ([]sdk.Balance, error)
	FuturesAccount(ctx context.Context, acct sdk.Account) (sdk.FuturesAccount, error)
	Positions(ctx context.Context, acct sdk.Account) ([]sdk.Position, error)
}

// ReadSeed reads parts (sdk.CapSpotBalances, sdk.CapFuturesAccount,
// sdk.CapPositions) over REST into s, in the order given, for exchanges
// whose socket sends no snapshot; the first error ends it.
func ReadSeed(ctx context.Context, r Reader, acct sdk.Account, s Seed, parts ...string) (Seed, error) {
	for _, part := range parts {
		var err error
		switch part {
		case sdk.CapSpotBalances:
			s.Spot, err = r.SpotBalances(ctx, acct)
		case sdk.CapFuturesAccount:
			var f sdk.FuturesAccount
			if f, err = r.FuturesAccount(ctx, acct); err == nil {
				s.Futures = &f
			}
		case sdk.CapPositions:
			s.Positions, err = r.Positions(ctx, acct)
		default:
			err = fmt.Errorf("stream: no REST read for the part %q", part)
		}
		if err != nil {
			return s, err
		}
	}
	return s, nil
}

// Wanted are those of parts the account streams, in the order of parts.
func Wanted(acct sdk.StreamAccount, parts ...string) []string {
	return slices.DeleteFunc(slices.Clone(parts), func(p string) bool { return !acct.Wants(p) })
}

// DeriveFutures keeps a futures wallet's totals in line with its
// positions, as a Book's Derive, for exchanges whose account event
// carries the wallet balance and each position's unrealized P&L but not
// the totals: the unrealized P&L is the positions' sum and the margin
// balance the wallet plus it.
func DeriveFutures(f *sdk.FuturesAccount, ps []sdk.Position) {
	upnl := decimal.Zero
	for _, p := range ps {
		upnl = upnl.Add(p.UnrealizedPnL)
	}
	f.UnrealizedPnL = upnl
	f.MarginBalance = f.WalletBalance.Add(upnl)
}
