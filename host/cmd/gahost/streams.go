package main

import (
	"context"
	"time"

	"github.com/globalautomation/gahost/host/internal/api"
	"github.com/globalautomation/gahost/host/internal/config"
	"github.com/globalautomation/gahost/host/internal/plugins"
	"github.com/globalautomation/gahost/host/internal/scheduler"
	"github.com/globalautomation/gahost/host/internal/secrets"
	"github.com/globalautomation/gahost/host/internal/store"
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
	caps := map[string]int{}
	for name, ex := range cfg.Exchanges {
		if ex.MaxStreamedAccounts > 0 {
			caps[name] = ex.MaxStreamedAccounts
		}
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
		MaxAccounts: caps,
		Logger:      log.Named("streams"),
		Registerer:  reg,
	}, st, cat, key)
	if err != nil {
		return nil, err
	}
	sc.AccountInterval = m.Interval
	return m, nil
}

// schedulerStore is the store the scheduler writes polls through: with
// streams, each poll of a streamed account is its reconciliation, checked
// against what the stream wrote before the poll's write repairs it.
func schedulerStore(st scheduler.Store, m *streams.Manager) scheduler.Store {
	if m == nil {
		return st
	}
	return reconcilingStore{Store: st, m: m}
}

type reconcilingStore struct {
	scheduler.Store
	m *streams.Manager
}

func (r reconcilingStore) PutSyncResult(ctx context.Context, accountID string, res store.SyncResult) error {
	r.m.Reconcile(ctx, accountID, res)
	return r.Store.PutSyncResult(ctx, accountID, res)
}

// syncers announces account changes to the scheduler and to the streams.
type syncers struct {
	*scheduler.Scheduler
	m *streams.Manager
}

func (s syncers) AccountChanged(accountID string) {
	s.Scheduler.AccountChanged(accountID)
	s.m.AccountChanged(accountID)
}

// apiSyncer is what the API announces account changes to.
func apiSyncer(sched *scheduler.Scheduler, m *streams.Manager) api.Syncer {
	if m == nil {
		return sched
	}
	return syncers{Scheduler: sched, m: m}
}

// apiStreams is what GET /exchanges reads the streams from; nil without
// streams.
func apiStreams(m *streams.Manager) api.Streams {
	if m == nil {
		return nil
	}
	return m
}
