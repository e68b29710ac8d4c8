package main

import (
	"context"
	"time"

	"github.com/globalautomation/gahost/host/internal/config"
	"github.com/globalautomation/gahost/host/internal/plugins"
	"github.com/globalautomation/gahost/host/internal/scheduler"
	"github.com/globalautomation/gahost/host/internal/secrets"
	"github.com/globalautomation/gahost/host/internal/streams"
	"github.com/hashicorp/go-hclog"
	"github.com/prometheus/client_golang/prometheus"
)

// newStreams builds the streams manager when the streams block enables it
// (nil otherwise) and hooks it into the scheduler's config: a streamed
// account is polled every reconcile interval. sched is read when a stream
// stops, to poll its account at once; it is set once the scheduler exists.
func newStreams(cfg *config.Config, log hclog.Logger, reg prometheus.Registerer, st streams.Store,
	cat *plugins.Catalog, key *secrets.Key, sc *scheduler.Config, sched **scheduler.Scheduler) (*streams.Manager, error) {
	if !cfg.Streams.Enabled {
		return nil, nil
	}
	m, err := streams.New(streams.Config{
		Reconcile:    cfg.Streams.ReconcileInterval,
		HistoryEvery: cfg.Sync.Interval,
		Point:        scheduler.HistoryPoint,
		Poll: func(ctx context.Context, id string) {
			if *sched == nil {
				return
			}
			ctx, cancel := context.WithTimeout(ctx, time.Minute)
			defer cancel()
			_ = (*sched).SyncNow(ctx, id)
		},
		Logger:     log.Named("streams"),
		Registerer: reg,
	}, st, cat, key)
	if err != nil {
		return nil, err
	}
	sc.AccountInterval = m.Interval
	return m, nil
}
