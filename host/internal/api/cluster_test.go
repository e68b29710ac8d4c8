package api

import (
	"context"
	"testing"
	"time"

	"github.com/globalautomation/gahost/host/internal/cluster"
	"github.com/globalautomation/gahost/host/internal/store/pgstore"
)

type fakeCluster struct{ st cluster.State }

func (f fakeCluster) State(context.Context) (cluster.State, error) { return f.st, nil }

// GET /cluster shows the hosts with their leases and budgets to an admin,
// says "not clustered" on a host with its own store, and is refused to a
// user.
func TestClusterRoute(t *testing.T) {
	e := newEnv(t)
	var alone clusterAnswer
	r := e.do("GET", "/api/v1/cluster", e.adminToken, nil)
	if r.Code != 200 {
		t.Fatalf("bbolt host: %d %s", r.Code, r.Body)
	}
	r.decode(t, &alone)
	if alone.Clustered || len(alone.Hosts) != 0 {
		t.Fatalf("bbolt host: %+v", alone)
	}
	seen := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	e.deps.Cluster = fakeCluster{cluster.State{HostID: "hub-1", LeaseTTL: 30 * time.Second,
		Hosts: []pgstore.HostInfo{
			{HostID: "hub-1", Live: true, SeenAt: seen, Started: seen.Add(-time.Hour),
				Capacity: map[string]int{"fakex": 120}, Leases: map[string]int{"fakex": 60},
				Stats: pgstore.HostStats{Claims: 75, RenewFailures: 1, LeasesLost: 15, FencedWrites: 2}},
			{HostID: "hub-2", Live: false, SeenAt: seen.Add(-time.Minute), Started: seen.Add(-2 * time.Hour),
				Capacity: map[string]int{"fakex": cluster.Unlimited}},
		},
		Accounts: map[string]int{"fakex": 100}, Unowned: map[string]int{"fakex": 40}}}
	e.build()
	var got clusterAnswer
	r = e.do("GET", "/api/v1/cluster", e.adminToken, nil)
	if r.Code != 200 {
		t.Fatalf("clustered: %d %s", r.Code, r.Body)
	}
	r.decode(t, &got)
	if !got.Clustered || got.HostID != "hub-1" || got.LeaseTTLSeconds != 30 || len(got.Hosts) != 2 ||
		got.Hosts[0].Leases["fakex"] != 60 || got.Hosts[0].Budgets["fakex"] != 120 || got.Hosts[1].Live ||
		got.Hosts[1].Budgets["fakex"] != -1 || got.Hosts[1].Leases == nil || got.Unowned["fakex"] != 40 ||
		got.Hosts[0].Stats != (clusterStats{Claims: 75, RenewFailures: 1, LeasesLost: 15, FencedWrites: 2}) {
		t.Fatalf("answer %+v", got)
	}
	user := e.user("bob", "user")
	if r := e.do("GET", "/api/v1/cluster", user, nil); r.Code != 403 || r.errorCode() != codeForbidden {
		t.Fatalf("as a user: %d", r.Code)
	}
}
