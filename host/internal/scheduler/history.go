package scheduler

import (
	"context"
	"time"
)

// pruneLoop applies the history retention now and then: every point is
// kept for HistoryKeepAll, then one an hour until HistoryHourlyFor.
func (s *Scheduler) pruneLoop(ctx context.Context) {
	if s.cfg.HistoryHourlyFor <= 0 {
		return
	}
	t := time.NewTicker(s.cfg.PruneEvery)
	defer t.Stop()
	for {
		n, err := s.st.PruneHistory(ctx, time.Now(), s.cfg.HistoryKeepAll, s.cfg.HistoryHourlyFor)
		switch {
		case err != nil && ctx.Err() == nil:
			s.log.Error("pruning history failed", "error", err)
		case n > 0:
			s.log.Debug("history pruned", "points_deleted", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
