package e2e

// The CPU one Binance account sync costs: gahost's scheduler, store and
// plugin catalog in this process with the real Binance plugin as a child
// process, against the strict fake Binance over loopback; and, against the
// same fake in the same run, the same syncs made with ccxt (reused
// instances) from node, where node and scripts/bench/ccxt/node_modules are
// present (bench.sh installs them with npm ci).

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/globalautomation/gahost/host/internal/accounts"
	"github.com/globalautomation/gahost/host/internal/budget"
	"github.com/globalautomation/gahost/host/internal/hosttest"
	"github.com/globalautomation/gahost/host/internal/plugins"
	"github.com/globalautomation/gahost/host/internal/scheduler"
	"github.com/globalautomation/gahost/host/internal/secrets"
	"github.com/globalautomation/gahost/host/internal/store"
	"github.com/globalautomation/gahost/host/internal/users"
	"github.com/hashicorp/go-hclog"
	"github.com/prometheus/client_golang/prometheus"
)

func benchEnv(name string, def float64) float64 {
	if v, err := strconv.ParseFloat(os.Getenv(name), 64); err == nil && v > 0 {
		return v
	}
	return def
}

// BenchmarkBinanceSync runs account syncs of a Binance account holding
// spot balances, a futures wallet and two open positions, in two ways and
// in both through gahost and through ccxt:
//
//   - paced: at GAHOST_BENCH_BINANCE_RATE syncs a minute (default 137,
//     what gahost's Binance budget afforded at 35 weight a sync), each
//     account every GAHOST_BENCH_BINANCE_INTERVAL seconds (default 30, the
//     daemon's, with its 5 s jitter), so over rate × interval accounts
//     (69; GAHOST_BENCH_BINANCE_ACCOUNTS sets the accounts instead, and the
//     interval follows); gahost's scheduler paces by its interval, ccxt by
//     a timer;
//   - back to back: every account synced again as soon as its last sync
//     ended, all accounts at once, with the fake's limits raised and no
//     budget, so that only CPU bounds the pace.
//
// Each phase is measured over GAHOST_BENCH_BINANCE_SECONDS (default two
// intervals paced, a quarter of it back to back) after a warm-up. Reported: CPU
// seconds per 1,000 syncs of this process plus the plugin process, of the
// node process for ccxt, their ratio (gahost / ccxt; the target is at most
// 0.2), the requests each gahost sync sent, and the CPU milliseconds a
// second each process spends idle (the plugin started, no scheduler yet)
// over GAHOST_BENCH_BINANCE_IDLE seconds (default 5). It runs once
// whatever b.N is.
//
// The store, budget and scheduler are set up as the daemon sets them up:
// sync results written behind (store.DefaultSyncFlush) and a budget that
// lets one step of the scheduler's grid go at once. Most of what a paced
// sync still costs is waking both processes from idle (the Go runtime's
// sysmon, thread parking and the gRPC and HTTP round trips each wake-up
// needs), then the commit of the held results and the JSON of the
// account and snapshot records. GAHOST_BENCH_CPUPROFILE names a file for this process's CPU profile
// over the paced gahost phase (and, with ".b2b" appended, over the back to
// back one); GAHOST_BENCH_BINANCE_CCXT=0 leaves ccxt out.
func BenchmarkBinanceSync(b *testing.B) {
	perMinute := benchEnv("GAHOST_BENCH_BINANCE_RATE", 137)
	// The daemon's default schedule: every 30 s, give or take 5 s.
	interval := time.Duration(benchEnv("GAHOST_BENCH_BINANCE_INTERVAL", 30) * float64(time.Second))
	nAccounts := int(benchEnv("GAHOST_BENCH_BINANCE_ACCOUNTS", math.Round(perMinute*interval.Minutes())))
	interval = time.Duration(float64(nAccounts) / perMinute * float64(time.Minute))
	// Two whole intervals: each account syncs twice, whatever its phase.
	seconds := benchEnv("GAHOST_BENCH_BINANCE_SECONDS", 2*interval.Seconds())
	paced := time.Duration(seconds * float64(time.Second))
	b2b := paced / 4
	ctx := b.Context()
	b.StopTimer()

	// The fake allows far more than Binance: the paced phases keep to
	// gahost's own budget anyway, and back to back must not meet a 429.
	f := hosttest.StartFake(b, bins.fakeBinance, "-spot-weight=100000000", "-futures-weight=100000000")
	type keyPair struct {
		Key    string `json:"key"`
		Secret string `json:"secret"`
	}
	var keys []keyPair
	for i := range nAccounts {
		k := fakeKey{APIKey: fmt.Sprintf("benchKey%03d", i), Secret: fmt.Sprintf("benchSecret%03d", i),
			EnableReading: true, EnableFutures: true, IPRestrict: true, AllowedIPs: []string{"127.0.0.1", "::1"}}
		f.AddAccount(k, fakeAccount{
			Spot:    spotBalances,
			Futures: futuresAssets,
			Positions: []fakePosition{positions[0], {Symbol: "ETHUSDT", PositionSide: "BOTH", PositionAmt: "-2.500",
				EntryPrice: "3000.5", MarkPrice: "2990.25", UnRealizedProfit: "25.625", LiquidationPrice: "4000"}},
			SymbolConfig: map[string]fakeSymbolConfig{"ETHUSDT": {Leverage: 5, MarginType: "CROSSED"}},
		})
		keys = append(keys, keyPair{k.APIKey, k.Secret})
	}

	dir := b.TempDir()
	pdir := filepath.Join(dir, "plugins")
	if err := os.MkdirAll(pdir, 0o755); err != nil {
		b.Fatal(err)
	}
	hosttest.InstallPlugin(b, bins.binance, pdir, "gahost-plugin-binance")
	quiet := hclog.New(&hclog.LoggerOptions{Level: hclog.Error, Output: io.Discard})
	// As the daemon does: the budget lets the syncs of one step of the
	// scheduler's grid go together.
	pacedCfg := scheduler.Config{Interval: interval, Jitter: min(interval/6, 5*time.Second), MaxConcurrency: 64}
	cat, err := plugins.New(plugins.Config{Dir: pdir, Logger: quiet, Exchanges: map[string]plugins.ExchangeConfig{
		"binance": {Endpoints: map[string]string{"spot": f.URL, "futures": f.URL}},
	}, Budget: budget.Options{Group: pacedCfg.CoalesceStep()}})
	if err != nil {
		b.Fatal(err)
	}
	defer cat.Close()
	if err := cat.Start(ctx); err != nil {
		b.Fatal(err)
	}
	// As the daemon: sync results written behind.
	st, err := store.Open(ctx, filepath.Join(dir, "gahost.db"), store.Options{SyncFlush: store.DefaultSyncFlush})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	mkey, err := secrets.GenerateKey()
	if err != nil {
		b.Fatal(err)
	}
	us, err := users.New(users.Config{Store: st})
	if err != nil {
		b.Fatal(err)
	}
	as, err := accounts.New(accounts.Config{Store: st, Keys: mkey, Exchanges: cat})
	if err != nil {
		b.Fatal(err)
	}
	var user store.User
	for i, k := range keys {
		if i%4 == 0 {
			if user, _, err = us.Create(ctx, users.NewUser{Username: fmt.Sprint("trader", i)}); err != nil {
				b.Fatal(err)
			}
		}
		if _, err := as.Create(ctx, user.ID, accounts.NewAccount{Name: fmt.Sprint("binance", i), Exchange: "binance",
			APIKey: k.Key, SecretKey: k.Secret}); err != nil {
			b.Fatal(err)
		}
	}
	var pids []int
	for _, s := range cat.List() {
		pids = append(pids, s.PID)
	}
	paths := []string{"/api/v3/account", "/fapi/v3/account", "/fapi/v3/positionRisk", "/fapi/v1/symbolConfig"}
	calls := func() int {
		n := 0
		for _, p := range paths {
			n += f.Calls(p)
		}
		return n
	}

	// run runs the scheduler with cfg for warm + d and measures the last d.
	run := func(cfg scheduler.Config, warm, d time.Duration, profile string) (host, plugin time.Duration, syncs, requests float64) {
		reg := prometheus.NewRegistry()
		cfg.Registerer, cfg.Logger, cfg.CallTimeout = reg, quiet, 10*time.Second
		sched, err := scheduler.New(cfg, st, cat, mkey)
		if err != nil {
			b.Fatal(err)
		}
		runCtx, stop := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- sched.Run(runCtx) }()
		defer func() { stop(); <-done }()
		time.Sleep(warm)
		if profile != "" {
			pf, err := os.Create(profile)
			if err != nil {
				b.Fatal(err)
			}
			defer pf.Close()
			if err := pprof.StartCPUProfile(pf); err != nil {
				b.Fatal(err)
			}
		}
		h0, p0, n0, c0 := selfCPU(), procsCPU(pids), syncsDone(reg), calls()
		time.Sleep(d)
		h1, p1, n1, c1 := selfCPU(), procsCPU(pids), syncsDone(reg), calls()
		if profile != "" {
			pprof.StopCPUProfile()
		}
		return h1 - h0, p1 - p0, n1 - n0, float64(c1 - c0)
	}
	perK := func(cpu time.Duration, n float64) float64 {
		if n == 0 {
			b.Fatal("no sync was measured")
		}
		return cpu.Seconds() / n * 1000
	}

	// Idle: the plugin started and the accounts made, no scheduler. What
	// either process burns here it burns between paced syncs too.
	if idle := time.Duration(benchEnv("GAHOST_BENCH_BINANCE_IDLE", 5) * float64(time.Second)); idle > 0 {
		h0, p0 := selfCPU(), procsCPU(pids)
		time.Sleep(idle)
		h1, p1 := selfCPU(), procsCPU(pids)
		b.ReportMetric(float64((h1-h0).Microseconds())/idle.Seconds()/1000, "idle-host-cpu-ms/s")
		b.ReportMetric(float64((p1-p0).Microseconds())/idle.Seconds()/1000, "idle-plugin-cpu-ms/s")
	}

	b2bProfile := ""
	if p := os.Getenv("GAHOST_BENCH_CPUPROFILE"); p != "" {
		b2bProfile = p + ".b2b"
	}
	b.StartTimer()
	pacedCfg.Pacers = func(string) scheduler.Pacer { return cat.Budget("binance") }
	host, plugin, n, reqs := run(pacedCfg,
		interval+interval/6, paced, os.Getenv("GAHOST_BENCH_CPUPROFILE"))
	gahostPaced := perK(host+plugin, n)
	b.ReportMetric(perK(host, n), "paced-host-cpu-s/1000syncs")
	b.ReportMetric(perK(plugin, n), "paced-plugin-cpu-s/1000syncs")
	b.ReportMetric(n/paced.Minutes(), "paced-syncs/min")
	b.ReportMetric(gahostPaced, "paced-cpu-s/1000syncs")
	b.ReportMetric(reqs/n, "requests/sync")

	host, plugin, n, _ = run(scheduler.Config{Interval: time.Millisecond, MaxConcurrency: nAccounts,
		Pacers: func(string) scheduler.Pacer { return unlimited{} }}, 2*time.Second, b2b, b2bProfile)
	gahostB2B := perK(host+plugin, n)
	b.ReportMetric(perK(host, n), "b2b-host-cpu-s/1000syncs")
	b.ReportMetric(perK(plugin, n), "b2b-plugin-cpu-s/1000syncs")
	b.ReportMetric(n/b2b.Seconds(), "b2b-syncs/s")
	b.ReportMetric(gahostB2B, "b2b-cpu-s/1000syncs")
	b.StopTimer()

	script, ok := ccxtScript()
	if os.Getenv("GAHOST_BENCH_BINANCE_CCXT") == "0" {
		return
	}
	if !ok {
		b.Log("node or scripts/bench/ccxt/node_modules missing: no ccxt comparison (run make bench, or npm ci there)")
		return
	}
	kf := filepath.Join(dir, "keys.json")
	raw, _ := json.Marshal(keys)
	if err := os.WriteFile(kf, raw, 0o600); err != nil {
		b.Fatal(err)
	}
	ccxtPaced := perK(runCCXT(b, script, f.URL, kf, "paced", perMinute/60, paced))
	ccxtB2B := perK(runCCXT(b, script, f.URL, kf, "b2b", 0, b2b))
	b.ReportMetric(ccxtPaced, "ccxt-paced-cpu-s/1000syncs")
	b.ReportMetric(ccxtB2B, "ccxt-b2b-cpu-s/1000syncs")
	b.ReportMetric(gahostPaced/ccxtPaced, "paced-ratio")
	b.ReportMetric(gahostB2B/ccxtB2B, "b2b-ratio")
}

// unlimited is a budget that always allows: back to back, only CPU paces.
type unlimited struct{}

func (unlimited) TryTake(time.Time, []string) (bool, time.Duration) { return true, 0 }
func (unlimited) Cycle([]string, int) time.Duration                 { return 0 }
func (unlimited) HeldUntil(time.Time) time.Time                     { return time.Time{} }

// ccxtScript is the ccxt side's script, when it can run here.
func ccxtScript() (string, bool) {
	if _, err := exec.LookPath("node"); err != nil {
		return "", false
	}
	dir, err := filepath.Abs("../../scripts/bench/ccxt")
	if err != nil {
		return "", false
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "ccxt", "package.json")); err != nil {
		return "", false
	}
	return filepath.Join(dir, "sync.mjs"), true
}

// runCCXT runs the ccxt script and returns the CPU it measured and the
// syncs it made.
func runCCXT(b *testing.B, script, url, keysFile, mode string, perSecond float64, d time.Duration) (time.Duration, float64) {
	var out, errOut bytes.Buffer
	cmd := exec.CommandContext(b.Context(), "node", script, url, keysFile, mode,
		strconv.FormatFloat(perSecond, 'f', -1, 64), strconv.FormatFloat(d.Seconds(), 'f', -1, 64))
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		b.Fatalf("ccxt %s: %v\n%s", mode, err, errOut.String())
	}
	var r struct {
		Syncs, Errors int
		CPUus         int64 `json:"cpu_us"`
	}
	if err := json.Unmarshal(bytes.TrimSpace(out.Bytes()), &r); err != nil {
		b.Fatalf("ccxt %s: %v: %q", mode, err, out.String())
	}
	if r.Errors > 0 {
		b.Fatalf("ccxt %s: %d syncs failed\n%s", mode, r.Errors, errOut.String())
	}
	return time.Duration(r.CPUus) * time.Microsecond, float64(r.Syncs)
}

func selfCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// procsCPU adds up the CPU time of processes, from /proc: in nanoseconds
// from each thread's schedstat where the kernel keeps it, else in clock
// ticks (10 ms, too coarse for the few CPU-milliseconds of a paced phase)
// from stat.
func procsCPU(pids []int) time.Duration {
	var total time.Duration
	for _, pid := range pids {
		if ns, ok := threadsCPU(pid); ok {
			total += ns
			continue
		}
		raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		s := string(raw)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
		if len(f) < 13 {
			continue
		}
		utime, _ := strconv.ParseInt(f[11], 10, 64)
		stime, _ := strconv.ParseInt(f[12], 10, 64)
		total += time.Duration(utime+stime) * time.Second / 100 // USER_HZ
	}
	return total
}

// threadsCPU is the time on CPU of every thread of pid, from
// /proc/<pid>/task/*/schedstat. Go keeps its threads for the life of the
// process, so none of the time is lost with an exited thread.
func threadsCPU(pid int) (time.Duration, bool) {
	tasks, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	if err != nil {
		return 0, false
	}
	var total time.Duration
	for _, t := range tasks {
		raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/schedstat", pid, t.Name()))
		if err != nil {
			return 0, false
		}
		f := strings.Fields(string(raw))
		if len(f) < 1 {
			return 0, false
		}
		ns, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return 0, false
		}
		total += time.Duration(ns)
	}
	return total, true
}

func syncsDone(reg *prometheus.Registry) float64 {
	mfs, _ := reg.Gather()
	var n float64
	for _, mf := range mfs {
		if mf.GetName() == "gahost_syncs_total" {
			for _, m := range mf.Metric {
				n += m.Counter.GetValue()
			}
		}
	}
	return n
}
