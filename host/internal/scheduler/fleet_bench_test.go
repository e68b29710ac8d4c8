package scheduler_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/globalautomation/gahost/host/internal/accounts"
	"github.com/globalautomation/gahost/host/internal/api"
	"github.com/globalautomation/gahost/host/internal/budget"
	"github.com/globalautomation/gahost/host/internal/plugins"
	"github.com/globalautomation/gahost/host/internal/scheduler"
	"github.com/globalautomation/gahost/host/internal/scheduler/schedtest"
	"github.com/globalautomation/gahost/host/internal/secrets"
	"github.com/globalautomation/gahost/host/internal/store"
	"github.com/globalautomation/gahost/host/internal/users"
	"github.com/hashicorp/go-hclog"
	"github.com/prometheus/client_golang/prometheus"
)

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

func envDuration(name string, def time.Duration) time.Duration {
	if v, err := time.ParseDuration(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// BenchmarkFleet is the sync scheduler at full size: 10,000 accounts over
// five exchanges at a 30 s interval, each exchange a loopback fake in a
// process of its own answering after 50 ms, then the dashboard under 50
// concurrent clients while the syncs go on. It runs once whatever b.N is
// (run it with -benchtime=1x) and takes about two intervals and a half.
// GAHOST_BENCH_ACCOUNTS, GAHOST_BENCH_INTERVAL, GAHOST_BENCH_LATENCY and
// GAHOST_BENCH_DASHBOARD change the sizes; GAHOST_BENCH_CPUPROFILE names a
// file for the host's CPU profile over the measured interval.
//
// Reported: accounts synced in one interval plus jitter (every one is the
// target), host and plugin CPU seconds per 1,000 syncs and in cores, the
// host's resident memory, the calls the fakes counted over their limits,
// and the dashboard's requests per second and p99 latency.
func BenchmarkFleet(b *testing.B) {
	nAccounts := envInt("GAHOST_BENCH_ACCOUNTS", 10_000)
	interval := envDuration("GAHOST_BENCH_INTERVAL", 30*time.Second)
	latency := envDuration("GAHOST_BENCH_LATENCY", 50*time.Millisecond)
	dashFor := envDuration("GAHOST_BENCH_DASHBOARD", 5*time.Second)
	jitter := interval / 6
	names := []string{"alpha", "beta", "gamma", "delta", "epsilon"}
	const perUser = 4
	ctx := b.Context()
	b.StopTimer()

	dir := b.TempDir()
	pdir := filepath.Join(dir, "plugins")
	fakeBin := filepath.Join(dir, "fakeexchange")
	buildAll(b, fakeBin, pdir, names)
	urls := startFakes(b, fakeBin, names, latency)

	st, err := store.Open(ctx, filepath.Join(dir, "gahost.db"), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	key, err := secrets.GenerateKey()
	if err != nil {
		b.Fatal(err)
	}
	// Users hold four accounts each, one per exchange at most, as traders
	// with a few exchange accounts would.
	began := time.Now()
	us, err := users.New(users.Config{Store: st})
	if err != nil {
		b.Fatal(err)
	}
	var user store.User
	var tokens []string
	for i := range nAccounts {
		if i%perUser == 0 {
			var token string
			if user, token, err = us.Create(ctx, users.NewUser{Username: fmt.Sprint("trader", i)}); err != nil {
				b.Fatal(err)
			}
			tokens = append(tokens, token)
		}
		name := names[i%len(names)]
		if _, err := putAccount(ctx, st, key, user.ID, fmt.Sprint(i), name,
			secrets.Credentials{APIKey: fmt.Sprintf("fleet-%d", i), SecretKey: "s"}); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("created %d accounts of %d users in %s", nAccounts, len(tokens), time.Since(began).Round(time.Millisecond))

	pcfg := plugins.Config{Dir: pdir, Watch: false, Exchanges: map[string]plugins.ExchangeConfig{},
		Logger: hclog.New(&hclog.LoggerOptions{Level: hclog.Error, Output: io.Discard})}
	for _, n := range names {
		pcfg.Exchanges[n] = plugins.ExchangeConfig{Endpoints: map[string]string{"rest": urls[n]}}
	}
	cat, err := plugins.New(pcfg)
	if err != nil {
		b.Fatal(err)
	}
	defer cat.Close()
	if err := cat.Start(ctx); err != nil {
		b.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	sched, err := scheduler.New(scheduler.Config{Interval: interval, Jitter: jitter, MaxConcurrency: 64,
		CallTimeout: 10 * time.Second, Registerer: reg, Prepaid: budget.Prepaid,
		Pacers: func(exchange string) scheduler.Pacer {
			if b := cat.Budget(exchange); b != nil {
				return b
			}
			return nil
		},
		Logger: hclog.New(&hclog.LoggerOptions{Level: hclog.Warn, Output: os.Stderr})}, st, cat, key)
	if err != nil {
		b.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- sched.Run(runCtx) }()
	defer func() { stop(); <-done }()

	// The first interval spreads the first syncs; measure the one after.
	b.StartTimer()
	time.Sleep(interval + jitter)
	pids := pluginPIDs(cat)
	if path := os.Getenv("GAHOST_BENCH_CPUPROFILE"); path != "" {
		// The host's profile over the measured interval only.
		f, err := os.Create(path)
		if err != nil {
			b.Fatal(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			b.Fatal(err)
		}
		defer f.Close()
	}
	host0, plug0, syncs0 := selfCPU(), pidsCPU(pids), syncCount(reg)
	from := time.Now()
	time.Sleep(interval + jitter)
	host1, plug1, syncs1 := selfCPU(), pidsCPU(pids), syncCount(reg)
	pprof.StopCPUProfile()
	took := time.Since(from)
	all, err := st.AllAccounts(ctx)
	if err != nil {
		b.Fatal(err)
	}
	synced := 0
	for _, a := range all {
		if !a.Sync.LastSyncAt.Before(from) {
			synced++
		}
	}
	rss, hwm := memory()
	syncs := syncs1 - syncs0
	cpu := (host1 - host0) + (plug1 - plug0)
	b.ReportMetric(float64(nAccounts), "accounts")
	b.ReportMetric(float64(synced), "synced/interval")
	b.ReportMetric(cpu.Seconds()/syncs*1000, "cpu-s/1000syncs")
	b.ReportMetric((host1-host0).Seconds()/took.Seconds(), "host-cores")
	b.ReportMetric((plug1-plug0).Seconds()/took.Seconds(), "plugin-cores")
	b.ReportMetric(float64(rss)/(1<<20), "host-rss-MB")
	b.ReportMetric(float64(hwm)/(1<<20), "host-peak-rss-MB")
	b.ReportMetric(float64(overLimit(b, urls)), "calls-over-limit")

	as, err := accounts.New(accounts.Config{Store: st, Keys: key, Exchanges: cat})
	if err != nil {
		b.Fatal(err)
	}
	router := api.New(api.Deps{Store: st, Accounts: as, Users: us, Syncer: sched})
	rps, p99 := loadDashboard(b, router, tokens, 50, dashFor)
	b.ReportMetric(rps, "dashboard-req/s")
	b.ReportMetric(float64(p99.Microseconds())/1000, "dashboard-p99-ms")
	b.StopTimer()
}

func buildAll(b *testing.B, fakeBin, pdir string, names []string) {
	if err := os.MkdirAll(pdir, 0o755); err != nil {
		b.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, len(names)+1)
	build := func(out, pkg, flags string) {
		defer wg.Done()
		cmd := exec.Command("go", "build", "-ldflags", flags, "-o", out, pkg)
		if o, err := cmd.CombinedOutput(); err != nil {
			errs <- fmt.Errorf("build %s: %v\n%s", pkg, err, o)
		}
	}
	wg.Add(len(names) + 1)
	go build(fakeBin, "./schedtest/fakeexchange", "")
	for _, n := range names {
		go build(filepath.Join(pdir, "gahost-plugin-"+n), "../../testdata/testplugin",
			fmt.Sprintf("-X main.name=%s -X main.limit=200000 -X main.window=1m", n))
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		b.Fatal(err)
	}
}

// startFakes runs the fake exchanges in their own process and returns
// their base URLs.
func startFakes(b *testing.B, bin string, names []string, latency time.Duration) map[string]string {
	cmd := exec.Command(bin, "-exchanges", strings.Join(names, ","), "-limit", "200000", "-window", "1m",
		"-latency", latency.String())
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { stdin.Close(); _ = cmd.Wait() })
	urls := map[string]string{}
	sc := bufio.NewScanner(stdout)
	for sc.Scan() && sc.Text() != "ready" {
		if name, url, ok := strings.Cut(sc.Text(), " "); ok {
			urls[name] = url
		}
	}
	if len(urls) != len(names) {
		b.Fatalf("fake exchanges reported %v", urls)
	}
	return urls
}

func overLimit(b *testing.B, urls map[string]string) int {
	n := 0
	for _, u := range urls {
		resp, err := http.Get(u + "/_stats")
		if err != nil {
			b.Fatal(err)
		}
		var st schedtest.Stats
		err = json.NewDecoder(resp.Body).Decode(&st)
		resp.Body.Close()
		if err != nil {
			b.Fatal(err)
		}
		n += st.OverLimit
	}
	return n
}

func pluginPIDs(cat *plugins.Catalog) []int {
	var pids []int
	for _, s := range cat.List() {
		pids = append(pids, s.PID)
	}
	return pids
}

func selfCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// pidsCPU adds up the user and system time of processes, from /proc.
func pidsCPU(pids []int) time.Duration {
	var total time.Duration
	for _, pid := range pids {
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

// memory returns the resident set and its peak, from /proc/self/status.
func memory() (rss, hwm int64) {
	raw, _ := os.ReadFile("/proc/self/status")
	for _, line := range strings.Split(string(raw), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		switch k {
		case "VmRSS":
			rss = kb << 10
		case "VmHWM":
			hwm = kb << 10
		}
	}
	return rss, hwm
}

func syncCount(reg *prometheus.Registry) float64 {
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

// loadDashboard serves h on loopback and has clients, each a different
// user, GET their main account's balances for d; it returns requests per
// second and the p99.
func loadDashboard(b testing.TB, h http.Handler, tokens []string, clients int, d time.Duration) (float64, time.Duration) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	url := "http://" + ln.Addr().String() + "/api/v1/dashboard/balances"
	client := &http.Client{Transport: &http.Transport{MaxIdleConns: clients, MaxIdleConnsPerHost: clients}}

	var mu sync.Mutex
	var all []time.Duration
	var failed int
	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	for c := range clients {
		token := tokens[c%len(tokens)]
		wg.Go(func() {
			lat := make([]time.Duration, 0, 1<<14)
			bad := 0
			for time.Now().Before(deadline) {
				req, _ := http.NewRequest("GET", url, nil)
				req.Header.Set("Authorization", "Bearer "+token)
				t := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					bad++
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					bad++
				}
				lat = append(lat, time.Since(t))
			}
			mu.Lock()
			all = append(all, lat...)
			failed += bad
			mu.Unlock()
		})
	}
	wg.Wait()
	if failed > 0 {
		b.Errorf("%d dashboard requests failed", failed)
	}
	if len(all) == 0 {
		return 0, 0
	}
	slices.Sort(all)
	return float64(len(all)) / d.Seconds(), all[len(all)*99/100]
}
