package scheduler

import (
	"context"
	"slices"
	"time"

	"github.com/globalautomation/gahost/host/internal/store"
	"github.com/globalautomation/gahost/sdk"
	"github.com/shopspring/decimal"
)

// pruneLoop applies the history retention now and then: every point is
// kept for HistoryKeepAll, then one an hour until HistoryHourlyFor.
func (s *Scheduler) pruneLoop(ctx context.Context) {
	if s.cfg.HistoryHourlyFor <= 0 {
		return
	}
	for {
		n, err := s.st.PruneHistory(ctx, s.clock.Now(), s.cfg.HistoryKeepAll, s.cfg.HistoryHourlyFor)
		switch {
		case err != nil && ctx.Err() == nil:
			s.log.Error("pruning history failed", "error", err)
		case n > 0:
			s.log.Debug("history pruned", "points_deleted", n)
		}
		if !sleep(ctx, s.clock, s.cfg.PruneEvery) {
			return
		}
	}
}

// historyPoint is the point of the merged snapshot v of a sync that
// fetched calls, taken at now. It holds what P&L over time needs, and is
// left out while a part it needs has never been fetched. The spot total in
// USDT is only given here when the wallet holds nothing but USDT: the
// value of other assets, and the equity, take prices, which Config.Value
// adds.
func historyPoint(v store.Snapshot, calls []string, now time.Time) (store.HistoryPoint, bool) {
	hasSpot := slices.Contains(calls, sdk.CapSpotBalances)
	if (hasSpot && v.SpotAt.IsZero()) || (slices.Contains(calls, sdk.CapFuturesAccount) && v.Futures == nil) {
		return store.HistoryPoint{}, false
	}
	p := store.HistoryPoint{At: now}
	if hasSpot {
		total, exact := decimal.Zero, true
		for _, b := range v.Spot {
			if b.Total.IsZero() {
				continue
			}
			if b.Asset != "USDT" {
				exact = false
				break
			}
			total = total.Add(b.Total)
		}
		if exact {
			p.SpotTotalUSDT = &total
		}
	}
	if v.Futures != nil {
		p.FuturesMarginBalance = v.Futures.MarginBalance
		p.UnrealizedPnL = v.Futures.UnrealizedPnL
	} else {
		for _, pos := range v.Positions {
			p.UnrealizedPnL = p.UnrealizedPnL.Add(pos.UnrealizedPnL)
		}
	}
	return p, true
}
