package api

import (
	"context"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/globalautomation/gahost/host/internal/cluster"
)

// Cluster is what GET /cluster reads (*cluster.Keeper); nil on a host with
// its own bbolt store.
type Cluster interface {
	State(ctx context.Context) (cluster.State, error)
}

// clusterAnswer is GET /cluster.
type clusterAnswer struct {
	// Clustered is false for a host with its own bbolt store: it syncs
	// every account and has no peers.
	Clustered       bool   `json:"clustered"`
	HostID          string `json:"host_id" doc:"this host's id; empty when not clustered"`
	LeaseTTLSeconds int64  `json:"lease_ttl_seconds"`
	// Hosts are the hosts that sent a heartbeat, live or not.
	Hosts []clusterHost `json:"hosts"`
	// Accounts and Unowned count, per exchange, the active accounts and
	// those no live host holds (beyond every host's budget, or waiting
	// for a takeover).
	Accounts map[string]int `json:"accounts"`
	Unowned  map[string]int `json:"unowned"`
}

type clusterHost struct {
	HostID    string    `json:"host_id"`
	Live      bool      `json:"live" doc:"its heartbeat is younger than the lease time"`
	SeenAt    time.Time `json:"seen_at"`
	StartedAt time.Time `json:"started_at"`
	// Budgets is, per exchange, how many accounts the host's own rate
	// budget syncs once per interval; -1 means the exchange sets no limit.
	Budgets map[string]int `json:"budgets"`
	// Leases counts the accounts it holds, per exchange.
	Leases map[string]int `json:"leases"`
	// Stats are the host's lease counters since it started, as its last
	// heartbeat left them.
	Stats clusterStats `json:"stats"`
}

type clusterStats struct {
	Claims        int64 `json:"claims" doc:"accounts the host claimed"`
	RenewFailures int64 `json:"renew_failures" doc:"bulk lease renewals that failed"`
	LeasesLost    int64 `json:"leases_lost" doc:"leases found gone at a renewal or lapsed on the host's own clock"`
	FencedWrites  int64 `json:"fenced_writes" doc:"sync results refused because their lease was lost"`
}

func registerCluster(h *handler, r routes) {
	r.admin.handle(http.MethodGet, "/cluster", op{id: "get-cluster", tag: "operations",
		summary: "The hosts sharing the store, their leases and budgets (admin)",
		desc: "With a PostgreSQL store, every active account is synced by the one live host holding its lease. " +
			"A host with its own bbolt store answers clustered false and no hosts.",
		res: []res{{http.StatusOK, "The cluster.", clusterAnswer{}}},
	}, h.getCluster)
}

func (h *handler) getCluster(c *gin.Context) {
	ans := clusterAnswer{Hosts: []clusterHost{}, Accounts: map[string]int{}, Unowned: map[string]int{}}
	if h.d.Cluster == nil {
		c.JSON(http.StatusOK, ans)
		return
	}
	st, err := h.d.Cluster.State(c.Request.Context())
	if err != nil {
		h.internalError(c, "read the cluster", err)
		return
	}
	ans.Clustered, ans.HostID, ans.LeaseTTLSeconds = true, st.HostID, int64(st.LeaseTTL/time.Second)
	for _, x := range st.Hosts {
		hb := clusterHost{HostID: x.HostID, Live: x.Live, SeenAt: x.SeenAt.UTC(), StartedAt: x.Started.UTC(),
			Budgets: x.Capacity, Leases: x.Leases, Stats: clusterStats{Claims: x.Stats.Claims,
				RenewFailures: x.Stats.RenewFailures, LeasesLost: x.Stats.LeasesLost, FencedWrites: x.Stats.FencedWrites}}
		if hb.Budgets == nil {
			hb.Budgets = map[string]int{}
		}
		if hb.Leases == nil {
			hb.Leases = map[string]int{}
		}
		ans.Hosts = append(ans.Hosts, hb)
	}
	if st.Accounts != nil {
		ans.Accounts = st.Accounts
	}
	if st.Unowned != nil {
		ans.Unowned = st.Unowned
	}
	c.JSON(http.StatusOK, ans)
}
