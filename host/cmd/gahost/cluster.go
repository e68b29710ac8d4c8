package main

import (
	"fmt"
	"os"
	"time"

	"github.com/globalautomation/gahost/host/internal/cluster"
	"github.com/globalautomation/gahost/host/internal/config"
	"github.com/globalautomation/gahost/host/internal/plugins"
	"github.com/globalautomation/gahost/host/internal/store"
	"github.com/globalautomation/gahost/host/internal/store/pgstore"
	"github.com/globalautomation/gahost/sdk"
	"github.com/hashicorp/go-hclog"
	"github.com/prometheus/client_golang/prometheus"
)

// syncCalls are the capabilities one sync fetches, where the plugin has
// them (as the scheduler plans a sync).
var syncCalls = []string{sdk.CapSpotBalances, sdk.CapFuturesAccount, sdk.CapPositions}

// newKeeper builds the lease keeper of a host sharing a PostgreSQL store;
// nil for a bbolt store, whose one host syncs everything. changed is told
// of each account gained or lost, syncSoon of each account another host
// asked a sync of.
func newKeeper(cfg *config.Config, log hclog.Logger, reg prometheus.Registerer, st store.Backend, cat *plugins.Catalog,
	interval time.Duration, changed, syncSoon func(string)) (*cluster.Keeper, error) {
	pg, ok := st.(*pgstore.Store)
	if !ok {
		return nil, nil
	}
	host := cfg.Cluster.HostID
	if host == "" {
		name, err := os.Hostname()
		if err != nil || name == "" {
			return nil, fmt.Errorf("cluster.host_id is not set and the host name is unknown: %v", err)
		}
		host = name
	}
	return cluster.New(cluster.Config{
		Store:      pg,
		HostID:     host,
		TTL:        cfg.Cluster.LeaseTTL,
		Capacity:   budgetCapacity(cat, interval),
		Changed:    changed,
		SyncSoon:   syncSoon,
		Registerer: reg,
		Logger:     log.Named("cluster"),
	})
}

// budgetCapacity is how many accounts of an exchange this host's budget
// syncs once per interval.
func budgetCapacity(cat *plugins.Catalog, interval time.Duration) func(string) int {
	return func(exchange string) int {
		b := cat.Budget(exchange)
		_, info, ok := cat.Exchange(exchange)
		if b == nil || !ok {
			return cluster.Unlimited
		}
		var calls []string
		for _, c := range syncCalls {
			if info.Has(c) {
				calls = append(calls, c)
			}
		}
		return cluster.Capacity(func(n int) time.Duration { return b.Cycle(calls, n) }, interval)
	}
}
