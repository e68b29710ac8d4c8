package e2e

// Private streams through the real daemon, each real connector and its
// fake exchange, three processes per exchange: a change at the fake
// reaches the dashboard through the stream; an event the fake drops is
// repaired by the reconciling poll and counted as a mismatch; a plugin
// crash re-subscribes every account; accounts over the per-IP cap are
// polled. Every test runs once per exchange that streams.

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/globalautomation/gahost/host/internal/hosttest"
	"github.com/shopspring/decimal"
)

// streamVenue is a connector that streams, with what the tests need to
// know of it and its fake beyond the venue.
type streamVenue struct {
	venue
	// ws is the exchange block's endpoint lines for the streams, %[1]q
	// standing for the fake's stream base.
	ws string
	// fakeArgs are the fake command's flags.
	fakeArgs []string
	// subs names the fake's counter (GET /streams) that grows by one for
	// each account the connector subscribes.
	subs string
	// spotRead is the REST path a poll reads the spot balances from.
	spotRead string
	// The stream limits the plugin declares, as GET /exchanges shows them.
	newConns    int
	window      time.Duration
	maxAccounts int
}

func streamVenues(t *testing.T) []streamVenue {
	byName := map[string]venue{}
	for _, v := range venues("streamSecret"+randHex(t), "streamPass"+randHex(t)[:8]) {
		byName[v.name] = v
	}
	return []streamVenue{
		{venue: byName["binance"], ws: "spot_ws = %[1]q\n    futures_ws = %[1]q", subs: "Subscriptions",
			spotRead: "/api/v3/account", newConns: 300, window: 5 * time.Minute},
		{venue: byName["bybit"], ws: "private_ws = %[1]q", subs: "Auths",
			spotRead: "/v5/account/wallet-balance", newConns: 500, window: 5 * time.Minute},
		// The account channel's regular snapshot would heal a dropped
		// event on its own; an hour apart, only reconciliation can.
		{venue: byName["okx"], ws: "ws = %[1]q", fakeArgs: []string{"-ws-account-every=1h"}, subs: "Logins",
			spotRead: "/api/v5/account/balance", newConns: 3, window: time.Second},
		{venue: byName["bitget"], ws: "ws = %[1]q", subs: "Logins",
			spotRead: "/api/v2/spot/account/assets", newConns: 300, window: 5 * time.Minute, maxAccounts: 100},
		{venue: byName["bingx"], ws: "spot_ws = %[1]q\n    swap_ws = %[1]q", subs: "ListenKeys",
			spotRead: "/openApi/spot/v1/account/balance", newConns: 10, window: time.Second, maxAccounts: 30},
	}
}

// eachStreamVenue runs test once per exchange that streams, each with its
// own fake, daemon and plugin.
func eachStreamVenue(t *testing.T, test func(t *testing.T, v streamVenue)) {
	if testing.Short() {
		t.Skip("starts a daemon, a connector and a fake per exchange")
	}
	buildConnectors(t)
	for _, v := range streamVenues(t) {
		t.Run(v.name, func(t *testing.T) { test(t, v) })
	}
}

type streamStack struct {
	name   string // the exchange
	d      *hosttest.Daemon
	fake   *hosttest.Fake
	plugin string   // the plugin binary's path in the plugin dir
	keys   []string // the accounts' API keys at the fake
	ids    []string // account ids, oldest first
}

type streamsJSON struct {
	Streamed            int    `json:"streamed"`
	Subscribing         int    `json:"subscribing"`
	Resyncing           int    `json:"resyncing"`
	Polled              int    `json:"polled"`
	MaxAccounts         int    `json:"max_accounts"`
	NewConnections      int    `json:"new_connections"`
	Resyncs             uint64 `json:"resyncs"`
	Mismatches          uint64 `json:"mismatches"`
	MismatchesSpot      uint64 `json:"mismatches_spot_balances"`
	MismatchesFutures   uint64 `json:"mismatches_futures_account"`
	MismatchesPositions uint64 `json:"mismatches_positions"`
	Changes             uint64 `json:"changes"`
	LagP99MS            int64  `json:"lag_p99_ms"`
	AccountsPerConn     int    `json:"accounts_per_connection"`
	NewConnectionsWinMS int64  `json:"new_connections_window_ms"`
}

// setupStreams starts v's fake, the daemon with streams on (reconciling
// every reconcile), and n accounts added through the API. exchange is
// added to the exchange's block of the daemon's config.
func setupStreams(t *testing.T, v streamVenue, n int, reconcile, exchange string) *streamStack {
	t.Helper()
	f := hosttest.StartFake(t, connectorBins.fake[v.name], v.fakeArgs...)
	if f.WS == "" {
		t.Fatal("the fake announced no stream address")
	}
	dir := t.TempDir()
	pdir := filepath.Join(dir, "plugins")
	if err := os.MkdirAll(pdir, 0o755); err != nil {
		t.Fatal(err)
	}
	plugin := hosttest.InstallPlugin(t, connectorBins.plugin[v.name], pdir, "gahost-plugin-"+v.name)
	endpoints := fmt.Sprintf(v.endpoints, v.name, f.URL) + "\n    " + fmt.Sprintf(v.ws, f.WS)
	d := hosttest.Start(t, bins.daemon, dir, hosttest.Options{
		PluginDir: pdir,
		Env:       []string{"GAHOST_MASTER_KEY="},
		ConfigBody: fmt.Sprintf(`exchange %q {
  endpoints = {
    %s
  }
%s
}
streams {
  enabled            = true
  reconcile_interval = %q
}
sync {
  interval = "3s"
  jitter   = "500ms"
}
`, v.name, endpoints, exchange, reconcile),
	})
	d.WaitExchange(v.name, 15*time.Second, func(e hosttest.Exchange, ok bool) bool { return ok && e.Status == "ready" })
	s := &streamStack{name: v.name, d: d, fake: f, plugin: plugin}
	for i := range n {
		key := map[string]any{}
		for k, x := range v.key {
			key[k] = x
		}
		key["APIKey"] = fmt.Sprintf("streamKey%d%s", i, randHex(t))
		f.AddAccount(key, v.account)
		body := map[string]any{"name": fmt.Sprintf("%s %d", v.name, i), "exchange": v.name,
			"api_key": key["APIKey"], "secret_key": key["Secret"]}
		if v.passphrase != "" {
			body["passphrase"] = v.passphrase
		}
		var a syncedAccount
		if code := d.Do("POST", "/api/v1/exchange-accounts", body, &a); code != http.StatusCreated {
			t.Fatalf("add account %d: %d", i, code)
		}
		s.keys = append(s.keys, key["APIKey"].(string))
		s.ids = append(s.ids, a.ID)
		time.Sleep(2 * time.Millisecond) // ids of distinct milliseconds: creation order
	}
	return s
}

// streams is the exchange's streams field of GET /exchanges.
func (s *streamStack) streams(t testing.TB) streamsJSON {
	t.Helper()
	var list []struct {
		Name     string       `json:"name"`
		Restarts int          `json:"restarts"`
		Status   string       `json:"status"`
		Streams  *streamsJSON `json:"streams"`
	}
	if code := s.d.Do("GET", "/api/v1/exchanges", nil, &list); code != http.StatusOK {
		t.Fatalf("GET /exchanges: %d", code)
	}
	for _, e := range list {
		if e.Name == s.name && e.Streams != nil {
			return *e.Streams
		}
	}
	return streamsJSON{}
}

func (s *streamStack) waitStreams(t testing.TB, what string, within time.Duration, ok func(streamsJSON) bool) streamsJSON {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		st := s.streams(t)
		if ok(st) {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("streams: %s not within %s; last %+v\n%s", what, within, st, s.d.Log())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// usdt is the account's USDT free balance on the dashboard ("" before any).
func (s *streamStack) usdt(t testing.TB, id string) string {
	t.Helper()
	var spot struct {
		Balances []spotRow `json:"balances"`
	}
	if code := s.d.Do("GET", "/api/v1/dashboard/spot-balances/"+id, nil, &spot); code != http.StatusOK {
		return ""
	}
	for _, b := range spot.Balances {
		if b.Asset == "USDT" {
			return b.Free.text
		}
	}
	return ""
}

// waitUSDT waits until the dashboard shows free USDT of want and returns
// how long that took.
func (s *streamStack) waitUSDT(t testing.TB, id, want string, within time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	w := decimal.RequireFromString(want)
	for {
		if g, err := decimal.NewFromString(s.usdt(t, id)); err == nil && g.Equal(w) {
			return time.Since(start)
		}
		if time.Since(start) > within {
			t.Fatalf("the dashboard shows USDT %q for %s, not %s, after %s", s.usdt(t, id), id, want, within)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// setUSDT sets account i's free USDT at the fake, which pushes the event.
func (s *streamStack) setUSDT(t testing.TB, i int, free string) {
	t.Helper()
	s.fake.Control("/spot", map[string]string{"api_key": s.keys[i], "asset": "USDT", "free": free, "locked": "0"})
}

// fakeStats are the fake's stream counters by name.
func (s *streamStack) fakeStats(t testing.TB) map[string]int {
	t.Helper()
	st := map[string]int{}
	s.fake.Get("/streams", &st)
	return st
}

func TestStreamChangeReachesTheDashboard(t *testing.T) {
	eachStreamVenue(t, func(t *testing.T, v streamVenue) {
		// Reconciliation once an hour: only the stream can show a change
		// within seconds.
		s := setupStreams(t, v, 1, "1h", "")
		st := s.waitStreams(t, "the account streamed", 30*time.Second, func(x streamsJSON) bool { return x.Streamed == 1 })
		if st.NewConnections != v.newConns || st.NewConnectionsWinMS != v.window.Milliseconds() ||
			st.MaxAccounts != v.maxAccounts || st.Polled != 0 {
			t.Errorf("%s's stream limits as GET /exchanges shows them: %+v", v.name, st)
		}
		for i, x := range []string{"777.5", "12.25", "0.5"} {
			s.setUSDT(t, 0, x)
			took := s.waitUSDT(t, s.ids[0], x, 2*time.Second)
			t.Logf("change %d shown after %s", i, took)
			if took > 2*time.Second {
				t.Errorf("change %d took %s", i, took)
			}
		}
		st = s.streams(t)
		t.Logf("the host's lag p99: %d ms", st.LagP99MS)
		if st.Changes < 3 || st.Mismatches != 0 {
			t.Errorf("after three changes: %+v", st)
		}
	})
}

func TestStreamDroppedEventRepairedByReconciliation(t *testing.T) {
	eachStreamVenue(t, func(t *testing.T, v streamVenue) {
		s := setupStreams(t, v, 1, "4s", "")
		s.waitStreams(t, "the account streamed", 30*time.Second, func(x streamsJSON) bool { return x.Streamed == 1 })
		s.setUSDT(t, 0, "200")
		s.waitUSDT(t, s.ids[0], "200", 2*time.Second)
		subs := s.fakeStats(t)[v.subs]

		// The fake loses every event from now on: the change is not
		// pushed, and only the reconciling poll can show it.
		s.fake.Control("/drop", map[string]float64{"share": 1})
		s.setUSDT(t, 0, "150")
		if st := s.fakeStats(t); st["Dropped"] == 0 {
			t.Fatalf("the fake dropped nothing: %+v", st)
		}
		s.waitUSDT(t, s.ids[0], "150", 15*time.Second)
		st := s.waitStreams(t, "the mismatch counted", 5*time.Second, func(x streamsJSON) bool { return x.MismatchesSpot >= 1 })
		if st.Mismatches < st.MismatchesSpot {
			t.Errorf("mismatches %d below the spot ones %d", st.Mismatches, st.MismatchesSpot)
		}
		// The stream that lost an event is subscribed and seeded again.
		s.fake.Control("/drop", map[string]float64{"share": 0})
		deadline := time.Now().Add(15 * time.Second)
		for s.fakeStats(t)[v.subs] <= subs {
			if time.Now().After(deadline) {
				t.Fatalf("not resubscribed after the mismatch: %+v\n%s", s.fakeStats(t), s.d.Log())
			}
			time.Sleep(50 * time.Millisecond)
		}
		s.waitStreams(t, "streamed again", 30*time.Second, func(x streamsJSON) bool { return x.Streamed == 1 })
		s.setUSDT(t, 0, "151")
		s.waitUSDT(t, s.ids[0], "151", 2*time.Second)
		if m := s.metric(t, fmt.Sprintf(`gahost_stream_mismatches_total{exchange=%q,part="spot_balances"}`, v.name)); m < 1 {
			t.Errorf("gahost_stream_mismatches_total for spot = %v", m)
		}
	})
}

func TestStreamPluginCrashResubscribesEveryAccount(t *testing.T) {
	eachStreamVenue(t, func(t *testing.T, v streamVenue) {
		const n = 3
		s := setupStreams(t, v, n, "1h", "")
		s.waitStreams(t, "every account streamed", 45*time.Second, func(x streamsJSON) bool { return x.Streamed == n })
		subs := s.fakeStats(t)[v.subs]
		pids := hosttest.ProcessesRunning(s.plugin)
		if len(pids) != 1 {
			t.Fatalf("%d plugin processes", len(pids))
		}
		if err := syscall.Kill(pids[0], syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		s.d.WaitExchange(v.name, 30*time.Second, func(e hosttest.Exchange, ok bool) bool {
			return ok && e.Status == "ready" && e.Restarts >= 1
		})
		s.waitStreams(t, "every account streamed again", 60*time.Second, func(x streamsJSON) bool { return x.Streamed == n })
		if got := s.fakeStats(t)[v.subs]; got < subs+n {
			t.Errorf("%s %d after the crash, want at least %d", v.subs, got, subs+n)
		}
		for i := range n {
			x := fmt.Sprintf("%d.5", 300+i)
			s.setUSDT(t, i, x)
			s.waitUSDT(t, s.ids[i], x, 2*time.Second)
		}
	})
}

func TestStreamAccountsOverTheCapArePolled(t *testing.T) {
	eachStreamVenue(t, func(t *testing.T, v streamVenue) {
		const n = 3
		s := setupStreams(t, v, n, "1h", "  max_streamed_accounts = 2")
		st := s.waitStreams(t, "two streamed, one polled", 45*time.Second, func(x streamsJSON) bool { return x.Streamed == 2 && x.Polled == 1 })
		if st.MaxAccounts != 2 {
			t.Errorf("max_accounts %d, want 2", st.MaxAccounts)
		}
		if got := s.fakeStats(t)[v.subs]; got != 2 {
			t.Errorf("%s %d at the fake, want 2", v.subs, got)
		}
		// The two oldest stream: changes show within 2 s.
		for i := range 2 {
			s.setUSDT(t, i, "42")
			s.waitUSDT(t, s.ids[i], "42", 2*time.Second)
		}
		// The third is polled every sync interval (3 s) from REST.
		calls := s.fake.Calls(v.spotRead)
		s.setUSDT(t, 2, "43")
		s.waitUSDT(t, s.ids[2], "43", 10*time.Second)
		if s.fake.Calls(v.spotRead) <= calls {
			t.Error("the account over the cap changed without a REST read")
		}
		time.Sleep(time.Second)
		if st := s.streams(t); st.Streamed != 2 || st.Polled != 1 {
			t.Errorf("later: %+v", st)
		}
	})
}

// metric reads one sample of the daemon's /metrics.
func (s *streamStack) metric(t testing.TB, name string) float64 {
	t.Helper()
	req, _ := http.NewRequest("GET", "http://"+s.d.Addr+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+s.d.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, name+" "); ok {
			var v float64
			fmt.Sscan(rest, &v)
			return v
		}
	}
	return 0
}

type budgetPool struct {
	Pool  string `json:"pool"`
	Limit int64  `json:"limit"`
	Used  int64  `json:"used"`
}

// budget is the exchange's budget field of GET /exchanges.
func (s *streamStack) budget(t testing.TB) []budgetPool {
	t.Helper()
	var list []struct {
		Name   string       `json:"name"`
		Budget []budgetPool `json:"budget"`
	}
	if code := s.d.Do("GET", "/api/v1/exchanges", nil, &list); code != http.StatusOK {
		t.Fatalf("GET /exchanges: %d", code)
	}
	for _, e := range list {
		if e.Name == s.name {
			return e.Budget
		}
	}
	return nil
}
