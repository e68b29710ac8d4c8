package e2e

// BenchmarkStreams: N Binance accounts streamed by the real daemon and
// plugin from the fake Binance, as processes, under Binance's documented
// limits on one IP, unscaled: 6,000 spot and 2,400 futures weight a
// minute, 300 new connections per 5 minutes, 1,000 spot accounts per
// WebSocket API connection and 200 listenKeys per USDⓈ-M /private/stream
// connection (the plugin seeds at most 100 accounts a minute per product:
// a third of the spot weight, 62 % of the futures weight). It reports
//
//   - lag-p99-ms: a change at the fake until the dashboard shows it,
//     changes spread over the accounts and read back from the API;
//   - host-lag-p99-ms: the same from the exchange's event time to the
//     store, as the host measures it (the dashboard reuses a rendered
//     answer for up to a second, which lag-p99-ms includes);
//   - rest-spot-%, rest-futures-%: REST weight used in steady state, as a
//     share of the budget (the host's own budget figures, which include
//     what the fake reported), a minute after the last seed;
//   - polls-per-min: REST syncs the scheduler ran in that minute (the
//     reconciliations of streamed accounts);
//   - host-cores, plugin-cores: CPU in steady state with changes flowing;
//   - host-peak-rss-MB, plugin-peak-rss-MB;
//   - connect-s: every account streamed from the start;
//   - recover-s: every account streamed again after the fake cut every
//     connection at once.
//
// GAHOST_BENCH_STREAM_ACCOUNTS sets N (default 10,000; scripts/bench.sh
// uses 100 with BENCH_QUICK=1). The reconcile interval is the shortest
// that keeps reconciliation within a fifth of the tighter budget (futures:
// 15 weight an account against 2,400 a minute), at least 10 minutes.
//
// Nothing is time-scaled, so the time to bring accounts (back) is what
// Binance's limits make it: each account needs a REST seed per product
// after a reconnect (weight 20 spot, 15 futures: 10,000 accounts are
// 150,000 futures weight, over an hour of the whole 2,400 a minute), so
// at the plugin's 100 seeds a minute N accounts take about N/100
// minutes; connections are shared and never the bound (10,000 accounts
// need 60).

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/globalautomation/gahost/host/internal/hosttest"
	"github.com/shopspring/decimal"
)

func BenchmarkStreams(b *testing.B) {
	n := benchStreamAccounts(b, 10_000)
	reconcile := max(10*time.Minute, time.Duration(float64(n)*15/(0.2*2400)*float64(time.Minute)))
	for range b.N {
		benchStreams(b, n, reconcile)
	}
}

func benchStreams(b *testing.B, n int, reconcile time.Duration) {
	s, keys := startStreamBench(b, n, reconcile, false)
	d, f, plugin := s.d, s.fake, s.plugin
	start := time.Now()
	s.addBenchAccounts(b, keys)
	hosttest.ProcessesRunning(plugin) // warm /proc reads
	limit := 4*time.Hour + time.Duration(n)*2*time.Second
	s.waitStreams(b, "every account streamed", limit, func(x streamsJSON) bool { return x.Streamed == n })
	connect := time.Since(start)
	b.Logf("%d accounts streamed %s after the first was added", n, connect.Round(time.Second))

	pids := hosttest.ProcessesRunning(plugin)
	if len(pids) != 1 {
		b.Fatalf("%d plugin processes", len(pids))
	}
	procs := map[string]int{"host": d.PID(), "plugin": pids[0]}

	// Steady state: a change every 100 ms on a random account, with no
	// dashboard reads, for the CPU and the REST weight; it starts once the
	// seeds have left the budget's one-minute window.
	time.Sleep(65 * time.Second)
	window := 60 * time.Second
	cpu0 := map[string]float64{}
	for k, pid := range procs {
		cpu0[k] = cpuSeconds(b, pid)
	}
	stop := make(chan struct{})
	changed := make(chan struct{})
	go func() {
		defer close(changed)
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				i := rand.N(n)
				s.setUSDT(b, i, fmt.Sprintf("%d.%02d", 1000+rand.N(1000), rand.N(100)))
			}
		}
	}()
	var spotPct, futPct []float64
	polls0 := s.syncs(b)
	w0 := time.Now()
	for time.Since(w0) < window {
		time.Sleep(5 * time.Second)
		for _, p := range s.budget(b) {
			pct := float64(p.Used) * 100 / float64(max(p.Limit, 1))
			if strings.Contains(p.Pool, "futures") {
				futPct = append(futPct, pct)
			} else if p.Pool == "request_weight" {
				spotPct = append(spotPct, pct)
			}
		}
	}
	close(stop)
	<-changed
	elapsed := time.Since(w0).Seconds()
	pollsPerMin := (s.syncs(b) - polls0) * 60 / elapsed
	b.Logf("steady state %s to %s", w0.Format("15:04:05.000"), time.Now().Format("15:04:05.000"))
	cores := map[string]float64{}
	for k, pid := range procs {
		cores[k] = (cpuSeconds(b, pid) - cpu0[k]) / elapsed
	}

	// Latency: changes on distinct accounts, each read back from the
	// dashboard until it shows.
	samples := min(n, 200)
	var lags []time.Duration
	var mu sync.Mutex
	perm := rand.Perm(n)[:samples]
	var wg sync.WaitGroup
	sem := make(chan struct{}, 4)
	for k, i := range perm {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			v := fmt.Sprintf("%d.%04d", 5000+k, rand.N(10000))
			t0 := time.Now()
			s.setUSDT(b, i, v)
			want := decimal.RequireFromString(v)
			for time.Since(t0) < 30*time.Second {
				if g, err := decimal.NewFromString(s.usdt(b, s.ids[i])); err == nil && g.Equal(want) {
					break
				}
				time.Sleep(10 * time.Millisecond)
			}
			mu.Lock()
			lags = append(lags, time.Since(t0))
			mu.Unlock()
		}()
	}
	wg.Wait()
	slices.Sort(lags)
	p99 := lags[(len(lags)*99+99)/100-1]

	// Outage: every connection cut at once.
	before := s.streams(b)
	b.Logf("cut at %s", time.Now().Format("15:04:05.000"))
	t0 := time.Now()
	f.Control("/cut", struct{}{})
	s.waitStreams(b, "the cut noticed", time.Minute, func(x streamsJSON) bool { return x.Streamed < n })
	s.waitStreams(b, "every account streamed again", limit, func(x streamsJSON) bool { return x.Streamed == n })
	recover := time.Since(t0)
	after := s.streams(b)

	b.ReportMetric(float64(n), "accounts")
	b.ReportMetric(float64(p99.Milliseconds()), "lag-p99-ms")
	b.ReportMetric(float64(before.LagP99MS), "host-lag-p99-ms")
	b.ReportMetric(mean(spotPct), "rest-spot-%")
	b.ReportMetric(mean(futPct), "rest-futures-%")
	b.ReportMetric(pollsPerMin, "polls-per-min")
	b.ReportMetric(cores["host"], "host-cores")
	b.ReportMetric(cores["plugin"], "plugin-cores")
	b.ReportMetric(peakRSS(b, procs["host"]), "host-peak-rss-MB")
	b.ReportMetric(peakRSS(b, procs["plugin"]), "plugin-peak-rss-MB")
	b.ReportMetric(connect.Seconds(), "connect-s")
	b.ReportMetric(recover.Seconds(), "recover-s")
	b.ReportMetric(float64(after.Resyncs-before.Resyncs), "resyncs")
	b.ReportMetric(float64(after.Mismatches), "mismatches")
	b.Logf("mismatches by part: spot %d, futures %d, positions %d", after.MismatchesSpot, after.MismatchesFutures, after.MismatchesPositions)
	for _, line := range strings.Split(d.Log(), "\n") {
		if strings.Contains(line, "reconciliation found") {
			b.Log(line)
		}
	}
	b.ReportMetric(reconcile.Minutes(), "reconcile-min")
}

// startStreamBench starts the fake Binance seeded with n accounts, the
// daemon and the Binance plugin, and returns them with the accounts' keys,
// none added yet. memory raises the fake's weight budgets and the plugin's
// seed pacing (see BenchmarkStreamsMemory); then s.plugin is the path of
// the plugin's executable, which a wrapper script in the plugin
// directory runs.
func startStreamBench(b *testing.B, n int, reconcile time.Duration, memory bool) (*streamStack, []fakeKey) {
	dir := b.TempDir()
	type seeded struct {
		Key     fakeKey     `json:"key"`
		Account fakeAccount `json:"account"`
	}
	keys := make([]fakeKey, n)
	seeds := make([]seeded, n)
	for i := range n {
		keys[i] = fakeKey{APIKey: fmt.Sprintf("benchKey%06d%s", i, randHex(b)), Secret: "benchSecret" + randHex(b),
			EnableReading: true, EnableFutures: true}
		seeds[i] = seeded{keys[i], fakeAccount{
			Spot:    []fakeBalance{{Asset: "USDT", Free: "1000.00000000", Locked: "0.00000000"}},
			Futures: []fakeFuturesAsset{{Asset: "USDT", WalletBalance: "500", UnrealizedProfit: "0", MarginBalance: "500", AvailableBalance: "500"}},
		}}
	}
	seedFile := filepath.Join(dir, "seed.json")
	sb, _ := json.Marshal(seeds)
	if err := os.WriteFile(seedFile, sb, 0o600); err != nil {
		b.Fatal(err)
	}
	args := []string{"-seed", seedFile}
	if memory {
		args = append(args, "-spot-weight", "1099511627776", "-futures-weight", "1099511627776")
	}
	f := hosttest.StartFake(b, bins.fakeBinance, args...)
	ws := f.WS
	pdir := filepath.Join(dir, "plugins")
	if err := os.MkdirAll(pdir, 0o755); err != nil {
		b.Fatal(err)
	}
	var plugin string
	if memory {
		// The host hands its plugins no variable of its own, so the
		// plugin's seed pacing is raised by a wrapper that execs it: the
		// process is the plugin binary itself.
		plugin = bins.binance
		script := fmt.Sprintf("#!/bin/sh\n%s=1000000 exec '%s' \"$@\"\n", "GAHOST_BINANCE_BENCH_SEEDS_PER_MINUTE", plugin)
		if err := os.WriteFile(filepath.Join(pdir, "gahost-plugin-binance"), []byte(script), 0o755); err != nil {
			b.Fatal(err)
		}
	} else {
		plugin = hosttest.InstallPlugin(b, bins.binance, pdir, "gahost-plugin-binance")
	}
	d := hosttest.Start(b, bins.daemon, dir, hosttest.Options{PluginDir: pdir, Env: []string{"GAHOST_MASTER_KEY="}, LogLevel: "info",
		ConfigBody: fmt.Sprintf(`exchange "binance" {
  endpoints = {
    spot       = %q
    futures    = %q
    spot_ws    = %q
    futures_ws = %q
  }
}
streams {
  enabled            = true
  reconcile_interval = %q
}
limits {
  accounts_per_user = 1000000
}
`, f.URL, f.URL, ws, ws, reconcile.Round(time.Second).String())})
	d.WaitExchange("binance", 30*time.Second, func(e hosttest.Exchange, ok bool) bool { return ok && e.Status == "ready" })
	apiKeys := make([]string, n)
	for i, k := range keys {
		apiKeys[i] = k.APIKey
	}
	return &streamStack{name: "binance", d: d, fake: f, plugin: plugin, keys: apiKeys}, keys
}

// addBenchAccounts adds the accounts of keys through the API, eight at a
// time, and sets s.ids.
func (s *streamStack) addBenchAccounts(b *testing.B, keys []fakeKey) {
	ids := make([]string, len(keys))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for i := range keys {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			var a syncedAccount
			if code := s.d.Do("POST", "/api/v1/exchange-accounts", map[string]any{
				"name": fmt.Sprintf("bench %06d", i), "exchange": "binance", "api_key": keys[i].APIKey, "secret_key": keys[i].Secret,
				"validate": false,
			}, &a); code != http.StatusCreated {
				b.Errorf("add account %d: %d", i, code)
			}
			ids[i] = a.ID
		}()
	}
	wg.Wait()
	if b.Failed() {
		b.FailNow()
	}
	s.ids = ids
}

// BenchmarkStreamsMemory measures the memory a streamed Binance account
// costs the daemon and the plugin, as processes: N accounts
// (GAHOST_BENCH_STREAM_ACCOUNTS, default 1,000) are brought to streamed,
// and it reports per account what they added to each process's resident
// set (host-rss-KB/account, plugin-rss-KB/account), to its peak
// (…-peak-rss-KB/account), the part of the resident set that is mapped
// files (…-rss-file-KB/account: the daemon's bbolt database is mapped),
// and to the daemon's Go heap in use and goroutines (from its /metrics).
//
// It measures memory, not the time to connect at Binance's real limits
// (BenchmarkStreams does): the fake's weight budgets are raised and the
// plugin seeds without its 100-a-minute pacing, so that N accounts come
// up in minutes instead of N/100 minutes. What an account holds once
// streamed does not depend on that pace; the peaks here are higher than
// at the real pace, since every account seeds at once.
func BenchmarkStreamsMemory(b *testing.B) {
	n := benchStreamAccounts(b, 1000)
	for range b.N {
		s, keys := startStreamBench(b, n, 10*time.Minute, true)
		pids := hosttest.ProcessesRunning(s.plugin)
		if len(pids) != 1 {
			b.Fatalf("%d plugin processes", len(pids))
		}
		procs := map[string]int{"host": s.d.PID(), "plugin": pids[0]}
		type mem struct{ rss, hwm, file, heap, goroutines float64 }
		read := func() map[string]mem {
			out := map[string]mem{}
			for k, pid := range procs {
				m := procMemKB(b, pid)
				out[k] = mem{rss: m["VmRSS"], hwm: m["VmHWM"], file: m["RssFile"]}
			}
			h := out["host"]
			h.heap = s.metric(b, "go_memstats_heap_inuse_bytes") / 1024
			h.goroutines = s.metric(b, "go_goroutines")
			out["host"] = h
			return out
		}
		before := read()
		start := time.Now()
		s.addBenchAccounts(b, keys)
		s.waitStreams(b, "every account streamed", 30*time.Minute, func(x streamsJSON) bool { return x.Streamed == n })
		b.Logf("%d accounts streamed %s after the first was added", n, time.Since(start).Round(time.Second))
		// Let the seeds' garbage go and a GC or two run before reading
		// what stays.
		time.Sleep(15 * time.Second)
		after := read()
		per := func(x, y float64) float64 { return (y - x) / float64(n) }
		b.ReportMetric(float64(n), "accounts")
		for _, k := range []string{"host", "plugin"} {
			b.ReportMetric(per(before[k].rss, after[k].rss), k+"-rss-KB/account")
			b.ReportMetric(per(before[k].hwm, after[k].hwm), k+"-peak-rss-KB/account")
			b.ReportMetric(per(before[k].file, after[k].file), k+"-rss-file-KB/account")
			b.ReportMetric(after[k].rss/1024, k+"-rss-MB")
		}
		b.ReportMetric(per(before["host"].heap, after["host"].heap), "host-heap-KB/account")
		b.ReportMetric(per(before["host"].goroutines, after["host"].goroutines), "host-goroutines/account")
	}
}

// benchStreamAccounts is GAHOST_BENCH_STREAM_ACCOUNTS, or def when unset.
func benchStreamAccounts(b *testing.B, def int) int {
	v := os.Getenv("GAHOST_BENCH_STREAM_ACCOUNTS")
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		b.Fatalf("GAHOST_BENCH_STREAM_ACCOUNTS=%q", v)
	}
	return n
}

// procMemKB is pid's memory figures in KB from /proc/<pid>/status, by
// name: VmRSS, VmHWM (its peak), RssAnon, RssFile.
func procMemKB(b *testing.B, pid int) map[string]float64 {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	out := map[string]float64{}
	for _, line := range strings.Split(string(raw), "\n") {
		k, v, _ := strings.Cut(line, ":")
		if kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64); err == nil {
			out[k] = kb
		}
	}
	return out
}

func mean(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	t := 0.0
	for _, x := range xs {
		t += x
	}
	return t / float64(len(xs))
}

// cpuSeconds is the user and system CPU time pid has used.
func cpuSeconds(b *testing.B, pid int) float64 {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		b.Fatal(err)
	}
	s := string(raw)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	ut, _ := strconv.ParseFloat(f[11], 64)
	st, _ := strconv.ParseFloat(f[12], 64)
	return (ut + st) / 100 // USER_HZ
}

// peakRSS is pid's peak resident set (VmHWM) in MB.
func peakRSS(b *testing.B, pid int) float64 {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return kb / 1024
		}
	}
	return 0
}

// syncs is how many REST syncs of the exchange's accounts the daemon has
// run (every outcome), from its /metrics.
func (s *streamStack) syncs(t testing.TB) float64 {
	t.Helper()
	var n float64
	for _, outcome := range []string{"ok", "partial", "error", "auth_failed", "rate_limited", "plugin_unavailable"} {
		n += s.metric(t, fmt.Sprintf("gahost_syncs_total{exchange=%q,outcome=%q}", s.name, outcome))
	}
	return n
}
