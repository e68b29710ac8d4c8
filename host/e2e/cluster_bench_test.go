package e2e

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/globalautomation/gahost/host/internal/scheduler/schedtest"
)

// BenchmarkCluster measures how the sync work grows with hosts on one
// PostgreSQL database, each host with its own budget against a fake
// exchange port of its own (its own source IP): the accounts synced per
// interval with one, two and three hosts, when there are three hosts'
// worth of accounts (the target is at least 2.7 times one host's with
// three); then, with a fourth host so the others have room, the takeover
// time after that host is killed: until every account it synced last was
// synced by another host. It runs once whatever b.N is, and skips without
// PostgreSQL.
func BenchmarkCluster(b *testing.B) {
	// Each host's budget carries about 440 accounts a 10 s interval:
	// three carry the 1,300 accounts, as they must for the takeover.
	o := rigOptions{accounts: 1300, hosts: 4, limit: 9000, window: 10 * time.Second,
		interval: 10 * time.Second, jitter: time.Second, ttl: 4 * time.Second}
	r := newClusterRig(b, o)
	b.StopTimer()
	window := o.interval
	// synced counts the accounts synced in one interval, one interval
	// after the hosts settled (the first syncs of what they claimed are
	// over by then).
	synced := func(ids []string) int {
		r.waitCapacity(ids, 60*time.Second)
		time.Sleep(o.interval + o.jitter)
		from := time.Now()
		time.Sleep(window)
		return len(r.keys) - len(r.notSyncedIn(r.logs(), from, from.Add(window)))
	}
	var hosts []string
	per := map[int]int{}
	for n := 1; n <= 3; n++ {
		id := fmt.Sprintf("h%d", n)
		r.start(id)
		hosts = append(hosts, id)
		per[n] = synced(hosts)
		b.Logf("%d hosts (budgets %v): %d of %d accounts synced in one %s interval", n,
			r.cluster(r.hosts["h1"]).Hosts[0].Budgets, per[n], len(r.keys), o.interval)
	}
	b.ReportMetric(float64(per[1]), "synced/interval-1host")
	b.ReportMetric(float64(per[2]), "synced/interval-2hosts")
	b.ReportMetric(float64(per[3]), "synced/interval-3hosts")
	b.ReportMetric(float64(per[3])/float64(max(per[1], 1)), "scale-3hosts")

	// A fourth host; then it dies.
	h4 := r.start("h4")
	r.waitSettled(r.hosts["h1"], []string{"h1", "h2", "h3", "h4"}, 60*time.Second)
	time.Sleep(o.interval + o.jitter)
	var last []string
	seen := map[string]bool{}
	for _, l := range r.logs()["h4"] {
		if l.Path == schedtest.PathSpot && l.Status == http.StatusOK && l.Start.After(time.Now().Add(-window)) && !seen[l.Key] {
			seen[l.Key] = true
			last = append(last, l.Key)
		}
	}
	killHost(b, h4)
	killed := time.Now()
	var took time.Duration
	for left := len(last); left > 0; {
		if time.Since(killed) > 2*(o.ttl+o.interval) {
			b.Fatalf("%d of the dead host's %d accounts not synced after %s; the cluster: %+v", left, len(last),
				time.Since(killed), r.cluster(r.hosts["h1"]))
		}
		time.Sleep(250 * time.Millisecond)
		first := map[string]time.Time{}
		for host, log := range r.logs() {
			if host == "h4" {
				continue
			}
			for _, l := range log {
				if seen[l.Key] && l.Path == schedtest.PathSpot && l.Start.After(killed) {
					if f, ok := first[l.Key]; !ok || l.Start.Before(f) {
						first[l.Key] = l.Start
					}
				}
			}
		}
		left = len(last) - len(first)
		took = 0
		for _, at := range first {
			took = max(took, at.Sub(killed))
		}
	}
	b.Logf("takeover of %d accounts after kill -9: %s (lease time %s, interval %s)", len(last), took.Round(time.Millisecond), o.ttl, o.interval)
	b.ReportMetric(took.Seconds(), "takeover-s")
	b.ReportMetric((o.ttl + o.interval).Seconds(), "takeover-bound-s")
	if found := overlaps(r.logs()); len(found) > 0 {
		b.Fatalf("%d overlapping requests from two hosts for one account, e.g. %s", len(found), found[0])
	}
}

// waitCapacity waits until the live hosts are exactly ids and each holds
// as many accounts as its budget carries, or an even share of all when
// that is less.
func (r *clusterRig) waitCapacity(ids []string, within time.Duration) {
	r.t.Helper()
	deadline := time.Now().Add(within)
	for {
		v := r.cluster(r.hosts[ids[0]])
		full, live := true, 0
		for _, h := range v.Hosts {
			if !h.Live {
				continue
			}
			live++
			want := min(h.Budgets["alpha"], len(r.keys)/len(ids))
			if h.Leases["alpha"] < want*95/100 {
				full = false
			}
		}
		if full && live == len(ids) {
			return
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("the hosts %v did not fill their budgets within %s: %+v", ids, within, v.Hosts)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
