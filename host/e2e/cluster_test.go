package e2e

// Several gahost hosts on one PostgreSQL database, as real processes: each
// host has its own rate budget and talks to a fake exchange port of its
// own (its own source IP's limit, as separate machines have), and the
// fakes' request logs tell which host called for which account when.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/globalautomation/gahost/host/internal/config"
	"github.com/globalautomation/gahost/host/internal/hosttest"
	"github.com/globalautomation/gahost/host/internal/scheduler/schedtest"
	"github.com/globalautomation/gahost/host/internal/secrets"
	"github.com/globalautomation/gahost/host/internal/store"
	"github.com/globalautomation/gahost/host/internal/store/pgstore"
	"github.com/globalautomation/gahost/host/internal/store/pgstore/pgtest"
)

// clusterRig is a database with accounts, the fake exchange ports and the
// hosts.
type clusterRig struct {
	t        testing.TB
	dsn      string
	keyFile  string
	token    string
	pdir     string
	interval time.Duration
	jitter   time.Duration
	ttl      time.Duration
	fakes    map[string]string // host id -> its fake exchange port
	hosts    map[string]*hosttest.Daemon
	keys     []string // the accounts' API keys
	// tokens are the API tokens of the accounts' users, by API key.
	tokens map[string]string
	dir    string
}

type rigOptions struct {
	accounts, hosts int
	// limit is the weight each host's budget (and fake port) allows per
	// window; a sync costs 20.
	limit            int64
	window           time.Duration
	interval, jitter time.Duration
	ttl              time.Duration
}

// newClusterRig seeds a new database with o.accounts accounts of the test
// exchange "alpha" (50 to a user) and starts the fake exchange ports; no
// host runs yet.
func newClusterRig(t testing.TB, o rigOptions) *clusterRig {
	t.Helper()
	dsn := pgtest.NewDB(t)
	dir := t.TempDir()
	r := &clusterRig{t: t, dsn: dsn, keyFile: filepath.Join(dir, "master.key"), pdir: filepath.Join(dir, "plugins"),
		interval: o.interval, jitter: o.jitter, ttl: o.ttl, hosts: map[string]*hosttest.Daemon{}, dir: dir,
		tokens: map[string]string{}}
	if err := os.MkdirAll(r.pdir, 0o755); err != nil {
		t.Fatal(err)
	}
	hosttest.Build(t, "host/testdata/testplugin", filepath.Join(r.pdir, "gahost-plugin-alpha"),
		fmt.Sprintf("-X main.name=alpha -X main.limit=%d -X main.window=%s", o.limit, o.window))
	fakeBin := filepath.Join(bins.dir, "fakeexchange")
	if _, err := os.Stat(fakeBin); err != nil {
		hosttest.BuildFakeExchanges(t, bins.dir)
	}
	var names []string
	for i := range o.hosts {
		names = append(names, fmt.Sprintf("h%d", i+1))
	}
	// A little latency, so that each request has a length in which
	// another host's would show as an overlap.
	r.fakes = hosttest.StartFakeExchanges(t, fakeBin, names, "-limit", fmt.Sprint(o.limit), "-window", o.window.String(),
		"-latency", "5ms", "-log")

	ctx := context.Background()
	st, err := pgstore.Open(ctx, dsn, pgstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	key, err := secrets.Unlock(ctx, secrets.Source{KeyFile: r.keyFile, Getenv: func(string) string { return "" }}, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	token, hash, err := secrets.NewToken()
	if err != nil {
		t.Fatal(err)
	}
	r.token = token
	if _, _, err := st.CreateFirstUser(ctx, store.NewUser{Username: "admin", Role: store.RoleAdmin, Token: hash}); err != nil {
		t.Fatal(err)
	}
	const perUser = 50
	for u := 0; u*perUser < o.accounts; u++ {
		userToken, h, _ := secrets.NewToken()
		user, err := st.CreateUser(ctx, store.NewUser{Username: fmt.Sprint("trader", u), Role: store.RoleUser, Token: h})
		if err != nil {
			t.Fatal(err)
		}
		var put []store.Account
		for i := u * perUser; i < min((u+1)*perUser, o.accounts); i++ {
			id := store.NewID()
			apiKey := fmt.Sprintf("acct-%05d", i)
			sealed, err := key.SealCredentials(id, secrets.Credentials{APIKey: apiKey, SecretKey: "s"})
			if err != nil {
				t.Fatal(err)
			}
			put = append(put, store.Account{ID: id, UserID: user.ID, Name: apiKey, Exchange: "alpha", IsActive: true,
				IsMain: i == u*perUser, APIKeyHint: apiKey[len(apiKey)-4:], Secrets: sealed, KeysRev: 1})
			r.keys = append(r.keys, apiKey)
			r.tokens[apiKey] = userToken
		}
		if err := st.EditAccounts(ctx, user.ID, func([]store.Account) (store.AccountChange, error) {
			return store.AccountChange{Put: put}, nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	return r
}

// start runs host id (h1, h2, ...) on the shared database.
func (r *clusterRig) start(id string) *hosttest.Daemon {
	r.t.Helper()
	dir := filepath.Join(r.dir, id)
	if err := os.MkdirAll(filepath.Join(dir, "data"), 0o700); err != nil {
		r.t.Fatal(err)
	}
	// The admin's token, which the first host would have written had it
	// created the admin: every host's data dir has it for hosttest.
	if err := os.WriteFile(filepath.Join(dir, "data", "admin.token"), []byte(r.token+"\n"), 0o600); err != nil {
		r.t.Fatal(err)
	}
	body := fmt.Sprintf(`store {
  backend = "postgres"
}
cluster {
  host_id   = %q
  lease_ttl = %q
}
encryption {
  key_file = %q
  key_env  = ""
}
sync {
  interval        = %q
  jitter          = %q
  max_concurrency = 64
  call_timeout    = "10s"
}
exchange "alpha" {
  endpoints = {
    rest = %q
  }
}
`, id, r.ttl.String(), r.keyFile, r.interval.String(), r.jitter.String(), r.fakes[id])
	d := hosttest.Start(r.t, bins.daemon, dir, hosttest.Options{PluginDir: r.pdir, ConfigBody: body,
		Env: []string{config.DSNEnv + "=" + r.dsn}})
	r.hosts[id] = d
	return d
}

// clusterView is GET /api/v1/cluster.
type clusterView struct {
	HostID string `json:"host_id"`
	Hosts  []struct {
		HostID  string         `json:"host_id"`
		Live    bool           `json:"live"`
		Budgets map[string]int `json:"budgets"`
		Leases  map[string]int `json:"leases"`
		Stats   struct {
			Claims        int64 `json:"claims"`
			RenewFailures int64 `json:"renew_failures"`
			LeasesLost    int64 `json:"leases_lost"`
			FencedWrites  int64 `json:"fenced_writes"`
		} `json:"stats"`
	} `json:"hosts"`
	Accounts map[string]int `json:"accounts"`
	Unowned  map[string]int `json:"unowned"`
}

func (r *clusterRig) cluster(via *hosttest.Daemon) clusterView {
	r.t.Helper()
	var v clusterView
	if code := via.Do("GET", "/api/v1/cluster", nil, &v); code != 200 {
		r.t.Fatalf("GET /api/v1/cluster: %d", code)
	}
	return v
}

// waitSettled waits until the live hosts are exactly want and hold every
// account between them, with no lease unowned.
func (r *clusterRig) waitSettled(via *hosttest.Daemon, want []string, within time.Duration) clusterView {
	r.t.Helper()
	deadline := time.Now().Add(within)
	for {
		v := r.cluster(via)
		var live []string
		held := 0
		for _, h := range v.Hosts {
			if h.Live {
				live = append(live, h.HostID)
				held += h.Leases["alpha"]
			}
		}
		balanced := true
		share := len(r.keys) / len(want)
		for _, h := range v.Hosts {
			// The keepers let a host keep a tenth over its share, so a
			// host that joins last may get that much less per other.
			if h.Live && h.Leases["alpha"] < share-(len(want)-1)*(share/10)-1 {
				balanced = false
			}
		}
		if slices.Equal(live, want) && held == len(r.keys) && v.Unowned["alpha"] == 0 && balanced {
			return v
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("the cluster did not settle on %v within %s: %+v", want, within, v)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// logs reads every fake port's log: the requests each host sent.
func (r *clusterRig) logs() map[string][]schedtest.Logged {
	out := map[string][]schedtest.Logged{}
	for id, url := range r.fakes {
		out[id] = hosttest.ExchangeLog(r.t, url)
	}
	return out
}

// syncedIn returns the keys none of whose balance requests (one per sync)
// started within [from, to).
func (r *clusterRig) notSyncedIn(logs map[string][]schedtest.Logged, from, to time.Time) []string {
	seen := map[string]bool{}
	for _, log := range logs {
		for _, l := range log {
			if l.Path == schedtest.PathSpot && l.Status == http.StatusOK && !l.Start.Before(from) && l.Start.Before(to) {
				seen[l.Key] = true
			}
		}
	}
	var missing []string
	for _, k := range r.keys {
		if !seen[k] {
			missing = append(missing, k)
		}
	}
	return missing
}

// timeline logs when each host asked for key's balances.
func timeline(t testing.TB, logs map[string][]schedtest.Logged, key string) {
	var lines []string
	for host, log := range logs {
		for _, l := range log {
			if l.Key == key && l.Path == schedtest.PathSpot {
				lines = append(lines, fmt.Sprintf("%s %s %d", l.Start.Format(time.StampMilli), host, l.Status))
			}
		}
	}
	sort.Strings(lines)
	t.Logf("%s's balance requests:\n%s", key, strings.Join(lines, "\n"))
}

// describe logs what each host sent, by path and status, for a failure's
// message.
func describe(t testing.TB, logs map[string][]schedtest.Logged) {
	for host, log := range logs {
		statuses := map[string]int{}
		for _, l := range log {
			statuses[fmt.Sprint(l.Path, " ", l.Status)]++
		}
		t.Logf("host %s sent %v", host, statuses)
	}
}

// overlaps finds requests for one account from two hosts that were in
// flight at the same moment.
func overlaps(logs map[string][]schedtest.Logged) []string {
	type req struct {
		host       string
		start, end time.Time
	}
	byKey := map[string][]req{}
	for host, log := range logs {
		for _, l := range log {
			byKey[l.Key] = append(byKey[l.Key], req{host, l.Start, l.End})
		}
	}
	var found []string
	for key, rs := range byKey {
		sort.Slice(rs, func(i, j int) bool { return rs[i].start.Before(rs[j].start) })
		// The latest end of each host's requests so far: a request that
		// starts before another host's latest end overlaps it.
		ends := map[string]time.Time{}
		for _, x := range rs {
			for host, end := range ends {
				if host != x.host && x.start.Before(end) {
					found = append(found, fmt.Sprintf("%s: %s at %s while %s's request ran until %s", key, x.host,
						x.start.Format(time.StampMicro), host, end.Format(time.StampMicro)))
				}
			}
			if x.end.After(ends[x.host]) {
				ends[x.host] = x.end
			}
		}
	}
	return found
}

// killHost ends a host and its plugin processes with SIGKILL, as a
// machine that dies: nothing is released, nothing is flushed.
func killHost(t testing.TB, d *hosttest.Daemon) {
	t.Helper()
	children := hosttest.ChildPIDs(d.PID())
	d.Signal(syscall.SIGKILL)
	for _, pid := range children {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	select {
	case <-d.Exited():
	case <-time.After(10 * time.Second):
		t.Fatal("the killed host did not exit")
	}
}

// Three hosts share 3,000 accounts: every account is synced each interval,
// by one host at a time; a host killed with SIGKILL has its accounts synced
// by the others within the lease time plus one interval; a rolling restart
// of every host loses no write the API acknowledged; and at no moment do
// two hosts call the exchange for one account.
func TestClusterOfThreeHosts(t *testing.T) {
	const accounts = 3000
	// Each host's budget carries about 2,350 accounts a 20 s interval:
	// three share the accounts about 1,000 each, two carry them all with
	// room to take a dead host's over at once, one cannot.
	o := rigOptions{accounts: accounts, hosts: 3, limit: 24000, window: 10 * time.Second,
		interval: 20 * time.Second, jitter: 2 * time.Second, ttl: 6 * time.Second}
	r := newClusterRig(t, o)
	began := time.Now()
	h1, h2, h3 := r.start("h1"), r.start("h2"), r.start("h3")
	v := r.waitSettled(h1, []string{"h1", "h2", "h3"}, 60*time.Second)
	for _, h := range v.Hosts {
		if h.Budgets["alpha"] < accounts/2 || h.Budgets["alpha"] >= accounts {
			t.Fatalf("host %s's budget carries %d accounts an interval; the test needs two hosts to carry %d and one not to",
				h.HostID, h.Budgets["alpha"], accounts)
		}
		if n := h.Leases["alpha"]; n < accounts/3-accounts/30 || n > accounts/3+accounts/30 {
			t.Errorf("host %s holds %d accounts; want about %d", h.HostID, n, accounts/3)
		}
	}
	t.Logf("three hosts settled after %s: %+v", time.Since(began).Round(time.Millisecond), v.Hosts)

	// Every account is synced in each interval, once the first interval
	// after settling has passed. A sync may come later than the interval
	// by its jitter, the scheduler's coalescing grid (half the jitter)
	// and the budget's pacing when a host has just taken accounts over.
	window := o.interval + 2*o.jitter + time.Second
	time.Sleep(o.interval)
	from := time.Now()
	time.Sleep(window)
	if logs := r.logs(); len(r.notSyncedIn(logs, from, from.Add(window))) > 0 {
		describe(t, logs)
		missing := r.notSyncedIn(logs, from, from.Add(window))
		t.Fatalf("%d accounts were not synced within %s with three hosts, e.g. %v", len(missing), window, missing[:min(5, len(missing))])
	}

	// The cluster's view and each host's metrics agree.
	v = r.cluster(h2)
	if v.HostID != "h2" {
		t.Fatalf("GET /cluster on h2 answers for %q", v.HostID)
	}
	var claims int64
	for _, h := range v.Hosts {
		claims += h.Stats.Claims
		// Fenced writes may be: a sync in flight when its host gave the
		// account up at the start is refused.
		if h.Stats.RenewFailures != 0 || h.Stats.LeasesLost != 0 {
			t.Errorf("host %s: %+v", h.HostID, h.Stats)
		}
	}
	if claims < accounts {
		t.Fatalf("the hosts claimed %d accounts in all; want at least %d", claims, accounts)
	}
	metrics := metricsText(t, h2)
	for _, want := range []string{`gahost_cluster_leases{exchange="alpha"}`, "gahost_cluster_claims_total",
		"gahost_cluster_renew_failures_total 0", "gahost_cluster_fenced_writes_total",
		`gahost_cluster_unowned_accounts{exchange="alpha"} 0`} {
		if !bytes.Contains(metrics, []byte(want)) {
			t.Errorf("h2's metrics lack %q", want)
		}
	}

	// A manual sync on a host that does not hold the account is made by
	// the one that does.
	logs := r.logs()
	var onH1 string
	for _, l := range logs["h1"] {
		if l.Path == schedtest.PathSpot {
			onH1 = l.Key
		}
	}
	id := accountIDByKey(t, r.dsn, onH1)
	asked := time.Now()
	var acc struct {
		Sync struct {
			Status     string    `json:"status"`
			LastSyncAt time.Time `json:"last_sync_at"`
		} `json:"sync"`
	}
	if code := h3.DoAs(r.tokens[onH1], "POST", "/api/v1/exchange-accounts/"+id+"/sync", nil, &acc); code != 200 {
		t.Fatalf("manual sync of h1's account on h3: %d", code)
	}
	if acc.Sync.Status != "ok" || acc.Sync.LastSyncAt.Before(asked.Add(-time.Second)) {
		t.Fatalf("after the manual sync on h3: %+v", acc.Sync)
	}
	if n := countFrom(r.logs()["h1"], onH1, asked); n == 0 {
		t.Fatal("the manual sync was not made by h1, which holds the account")
	}
	if n := countFrom(r.logs()["h3"], onH1, asked); n != 0 {
		t.Fatalf("h3 called the exchange %d times for an account it does not hold", n)
	}

	// h3 dies. Its accounts, those it synced last, are synced by h1 and
	// h2 within the lease time plus one interval.
	logs = r.logs()
	var lastOfH3 []string
	seen := map[string]bool{}
	for _, l := range logs["h3"] {
		if l.Path == schedtest.PathSpot && l.Start.After(time.Now().Add(-window)) && !seen[l.Key] {
			seen[l.Key] = true
			lastOfH3 = append(lastOfH3, l.Key)
		}
	}
	killHost(t, h3)
	killed := time.Now()
	bound := o.ttl + o.interval
	var took time.Duration
	for {
		logs = r.logs()
		took = 0
		left := 0
		for _, k := range lastOfH3 {
			first := time.Time{}
			for _, host := range []string{"h1", "h2"} {
				for _, l := range logs[host] {
					if l.Key == k && l.Path == schedtest.PathSpot && l.Start.After(killed) && (first.IsZero() || l.Start.Before(first)) {
						first = l.Start
					}
				}
			}
			if first.IsZero() {
				left++
				continue
			}
			took = max(took, first.Sub(killed))
		}
		if left == 0 {
			break
		}
		if time.Since(killed) > bound+5*time.Second {
			t.Fatalf("%d of the dead host's %d accounts not synced by the others %s after the kill", left, len(lastOfH3), time.Since(killed))
		}
		time.Sleep(500 * time.Millisecond)
	}
	t.Logf("takeover: the dead host's %d accounts were synced by the others within %s of the kill (bound %s)",
		len(lastOfH3), took.Round(time.Millisecond), bound)
	if took > bound {
		t.Fatalf("takeover took %s, more than the lease time plus one interval (%s)", took, bound)
	}
	r.waitSettled(h1, []string{"h1", "h2"}, 2*o.ttl)

	// h3 comes back; then every host restarts in turn while writes go to
	// whichever hosts answer. Every write answered 2xx is there after.
	h3.Restart()
	r.waitSettled(h1, []string{"h1", "h2", "h3"}, 30*time.Second)
	writes := startWriter(t, []*hosttest.Daemon{h1, h2, h3})
	for _, d := range []*hosttest.Daemon{h1, h2, h3} {
		d.Restart()
		time.Sleep(o.ttl / 2)
	}
	acked := writes.stop()
	if len(acked) < 10 {
		t.Fatalf("only %d writes were acknowledged during the rolling restart", len(acked))
	}
	pg, err := pgstore.Open(context.Background(), r.dsn, pgstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	for _, name := range acked {
		var u struct {
			Username string `json:"username"`
		}
		if code := h2.Do("GET", "/api/v1/users/"+userIDByName(pg, name), nil, &u); code != 200 || u.Username != name {
			t.Errorf("user %s was acknowledged during the rolling restart and is gone: %d", name, code)
		}
	}
	t.Logf("rolling restart: %d writes acknowledged, none lost", len(acked))
	r.waitSettled(h3, []string{"h1", "h2", "h3"}, 30*time.Second)
	// As after the start: the accounts that moved are synced at once by
	// their new host, within its budget; then each interval again.
	time.Sleep(o.interval)
	from = time.Now()
	time.Sleep(window)
	if logs := r.logs(); len(r.notSyncedIn(logs, from, from.Add(window))) > 0 {
		describe(t, logs)
		missing := r.notSyncedIn(logs, from, from.Add(window))
		t.Logf("the window: %s to %s", from.Format(time.StampMilli), from.Add(window).Format(time.StampMilli))
		timeline(t, logs, missing[0])
		t.Fatalf("%d accounts not synced within %s after the rolling restart, e.g. %v", len(missing), window, missing[:min(5, len(missing))])
	}

	// Over the whole run: no two hosts at once for one account, and no
	// host over its own source IP's limit.
	logs = r.logs()
	total := 0
	for _, l := range logs {
		total += len(l)
	}
	if found := overlaps(logs); len(found) > 0 {
		t.Fatalf("%d overlapping requests from two hosts for one account, e.g.\n%s", len(found), found[0])
	}
	for id, url := range r.fakes {
		if s := hosttest.ExchangeStats(t, url); s.OverLimit != 0 {
			t.Errorf("host %s sent %d requests over its limit", id, s.OverLimit)
		}
	}
	t.Logf("%d requests checked for overlaps in %s", total, time.Since(began).Round(time.Second))
}

func metricsText(t testing.TB, d *hosttest.Daemon) []byte {
	t.Helper()
	req, _ := http.NewRequest("GET", "http://"+d.Addr+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+d.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	_, _ = b.ReadFrom(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET /metrics: %d %s", resp.StatusCode, b.String())
	}
	return b.Bytes()
}

// userIDByName finds a user in the database ("none" when there is none).
func userIDByName(st *pgstore.Store, name string) string {
	u, err := st.UserByName(context.Background(), name)
	if err != nil {
		return "none"
	}
	return u.ID
}

func countFrom(log []schedtest.Logged, key string, since time.Time) int {
	n := 0
	for _, l := range log {
		if l.Key == key && !l.Start.Before(since) {
			n++
		}
	}
	return n
}

// accountIDByKey finds the account whose API key is key: its name, as
// the rig seeds them.
func accountIDByKey(t testing.TB, dsn, key string) string {
	t.Helper()
	ctx := context.Background()
	st, err := pgstore.Open(ctx, dsn, pgstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	all, err := st.AllAccounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range all {
		if a.Name == key {
			return a.ID
		}
	}
	t.Fatalf("no account named %s", key)
	return ""
}

// writer creates users through whichever host answers, and remembers
// those the API acknowledged.
type writer struct {
	stopC chan struct{}
	done  chan struct{}
	mu    sync.Mutex
	acked []string
}

func startWriter(t testing.TB, hosts []*hosttest.Daemon) *writer {
	w := &writer{stopC: make(chan struct{}), done: make(chan struct{})}
	client := &http.Client{Transport: &http.Transport{}, Timeout: 5 * time.Second}
	go func() {
		defer close(w.done)
		for i := 0; ; i++ {
			select {
			case <-w.stopC:
				return
			case <-time.After(20 * time.Millisecond):
			}
			d := hosts[i%len(hosts)]
			name := fmt.Sprintf("roll-%05d", i)
			body, _ := json.Marshal(map[string]string{"username": name})
			req, _ := http.NewRequest("POST", "http://"+d.Addr+"/api/v1/users", bytes.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+d.Token)
			req.Header.Set("Content-Type", "application/json")
			resp, err := client.Do(req)
			if err != nil {
				continue // the host is restarting: not acknowledged
			}
			resp.Body.Close()
			if resp.StatusCode/100 == 2 {
				w.mu.Lock()
				w.acked = append(w.acked, name)
				w.mu.Unlock()
			}
		}
	}()
	return w
}

func (w *writer) stop() []string {
	close(w.stopC)
	<-w.done
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.acked...)
}
