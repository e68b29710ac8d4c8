package api

import (
	"bufio"
	"bytes"
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
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/globalautomation/gahost/host/internal/accounts"
	"github.com/globalautomation/gahost/host/internal/secrets"
	"github.com/globalautomation/gahost/host/internal/store"
	"github.com/globalautomation/gahost/host/internal/users"
	"github.com/globalautomation/gahost/sdk"
	"github.com/hashicorp/go-hclog"
	"github.com/shopspring/decimal"
)

// BenchmarkDashboardBalances is GET /api/v1/dashboard/balances over real
// loopback HTTP from 50 concurrent clients, each a different user with four
// synced accounts, against a store of 200 such users; and, in the same run
// with the same clients, a static gin handler that serves each user the
// very bytes gahost answered it, behind a bearer-token check (a map
// lookup). The clients run in a child process (this test binary again), so
// the CPU measured is the server's alone.
//
// Phases of GAHOST_BENCH_DASHBOARD_SECONDS each (default 4): gahost and
// the static handler (each as two alternating halves), then gahost again
// while account syncs land in the
// store at GAHOST_BENCH_DASHBOARD_SYNCS a second (default 50; each a
// PutSyncResult of a full snapshot and a history point, as the scheduler
// writes it). Reported: server CPU per request of both and their ratio
// (target at most 1.25), requests per second, and the p99 latency of each
// phase (target at most 10 ms while syncs run). GAHOST_BENCH_CPUPROFILE
// names a file for this process's CPU profile over the first half of
// gahost's first phase.
func BenchmarkDashboardBalances(b *testing.B) {
	const nUsers, perUser, clients = 200, 4, 50
	seconds := benchSeconds("GAHOST_BENCH_DASHBOARD_SECONDS", 4)
	syncsPerSecond := benchSeconds("GAHOST_BENCH_DASHBOARD_SYNCS", 50)
	ctx := b.Context()
	b.StopTimer()
	st, err := store.Open(ctx, filepath.Join(b.TempDir(), "gahost.db"), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	key, err := secrets.GenerateKey()
	if err != nil {
		b.Fatal(err)
	}
	cat := fakeCatalog{"fakex": {info: sdk.Info{Name: "fakex", Capabilities: []string{sdk.CapSpotBalances}}}}
	as, err := accounts.New(accounts.Config{Store: st, Keys: key, Exchanges: cat})
	if err != nil {
		b.Fatal(err)
	}
	us, err := users.New(users.Config{Store: st})
	if err != nil {
		b.Fatal(err)
	}
	var tokens []string
	var ids []string
	for u := range nUsers {
		user, token, err := us.Create(ctx, users.NewUser{Username: fmt.Sprint("u", u)})
		if err != nil {
			b.Fatal(err)
		}
		tokens = append(tokens, token)
		for i := range perUser {
			a, err := as.Create(ctx, user.ID, accounts.NewAccount{Name: fmt.Sprint(i), Exchange: "fakex",
				APIKey: fmt.Sprintf("key-%d-%d", u, i), SecretKey: "s"})
			if err != nil {
				b.Fatal(err)
			}
			ids = append(ids, a.ID)
			if err := putBenchSync(ctx, st, a.ID, time.Now()); err != nil {
				b.Fatal(err)
			}
		}
	}
	h := New(Deps{Store: st, Accounts: as, Users: us, Logger: hclog.NewNullLogger()})
	gahostURL, stopGahost := serveBench(b, h)
	defer stopGahost()

	// The static side serves each token the body gahost gave it.
	bodies := map[string][]byte{}
	for _, t := range tokens[:clients] {
		req, _ := http.NewRequest("GET", gahostURL, nil)
		req.Header.Set("Authorization", "Bearer "+t)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("gahost answered %d: %s", resp.StatusCode, body)
		}
		bodies[t] = body
	}
	staticURL, stopStatic := serveBench(b, staticDashboard(bodies))
	defer stopStatic()

	tokenList := strings.Join(tokens[:clients], ",")
	b.StartTimer()
	// Two rounds of each, alternating, so that a change in what else the
	// machine runs weighs on both sides alike.
	g := loadDashboard(b, gahostURL, tokenList, clients, seconds/2, os.Getenv("GAHOST_BENCH_CPUPROFILE"))
	s := loadDashboard(b, staticURL, tokenList, clients, seconds/2, "")
	g = g.add(loadDashboard(b, gahostURL, tokenList, clients, seconds/2, ""))
	s = s.add(loadDashboard(b, staticURL, tokenList, clients, seconds/2, ""))

	// The same load while syncs land in the store.
	syncCtx, stopSyncs := context.WithCancel(ctx)
	var synced atomic.Int64
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(time.Duration(float64(time.Second) / syncsPerSecond))
		defer tick.Stop()
		for i := 0; ; i++ {
			select {
			case <-syncCtx.Done():
				return
			case <-tick.C:
			}
			wg.Go(func() {
				if err := putBenchSync(syncCtx, st, ids[i%len(ids)], time.Now()); err == nil {
					synced.Add(1)
				}
			})
		}
	})
	syncStart := time.Now()
	w := loadDashboard(b, gahostURL, tokenList, clients, seconds, "")
	stopSyncs()
	syncTook := time.Since(syncStart)
	wg.Wait()
	b.StopTimer()
	if synced.Load() == 0 {
		b.Fatal("no sync was written during the last phase")
	}

	b.ReportMetric(g.cpuPerReq, "cpu-µs/req")
	b.ReportMetric(s.cpuPerReq, "static-cpu-µs/req")
	b.ReportMetric(g.cpuPerReq/s.cpuPerReq, "cpu-ratio")
	b.ReportMetric(g.perSecond, "req/s")
	b.ReportMetric(s.perSecond, "static-req/s")
	b.ReportMetric(g.p99, "p99-ms")
	b.ReportMetric(s.p99, "static-p99-ms")
	b.ReportMetric(w.p99, "syncing-p99-ms")
	b.ReportMetric(w.cpuPerReq, "syncing-cpu-µs/req")
	b.ReportMetric(float64(synced.Load())/syncTook.Seconds(), "syncing-syncs/s")
}

// putBenchSync writes one sync of account id as the scheduler would.
func putBenchSync(ctx context.Context, st *store.Store, id string, now time.Time) error {
	return st.PutSyncResult(ctx, id, store.SyncResult{Started: now, Fresh: benchSnapshot(now),
		State: store.SyncState{Status: store.SyncOK, LastSyncAt: now},
		Point: func(m store.Snapshot) (store.HistoryPoint, bool) {
			return store.HistoryPoint{At: now, FuturesMarginBalance: m.Futures.MarginBalance,
				UnrealizedPnL: m.Futures.UnrealizedPnL}, true
		}})
}

func benchSeconds(name string, def float64) float64 {
	if v, err := strconv.ParseFloat(os.Getenv(name), 64); err == nil && v > 0 {
		return v
	}
	return def
}

// staticDashboard is the ceiling gahost's dashboard is held against: a gin
// engine with nothing but a bearer-token check and a route that writes
// stored bytes.
func staticDashboard(bodies map[string][]byte) http.Handler {
	gin.SetMode(gin.ReleaseMode)
	e := gin.New()
	e.GET("/api/v1/dashboard/balances", func(c *gin.Context) {
		token, ok := bearerToken(c.GetHeader("Authorization"))
		body := bodies[token]
		if !ok || body == nil {
			c.AbortWithStatus(http.StatusUnauthorized)
			return
		}
		c.Data(http.StatusOK, jsonContentType, body)
	})
	return e
}

// serveBench serves h on a loopback port and returns the balances URL.
func serveBench(b *testing.B, h http.Handler) (string, func()) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return "http://" + ln.Addr().String() + "/api/v1/dashboard/balances", func() { _ = srv.Close() }
}

// loadResult is one phase of the dashboard benchmark as the server saw it.
type loadResult struct {
	cpuPerReq float64 // µs of this process's CPU per request
	perSecond float64
	p99       float64 // ms
}

// add averages two equally long phases; the p99 is the worse one's.
func (r loadResult) add(o loadResult) loadResult {
	return loadResult{cpuPerReq: (r.cpuPerReq + o.cpuPerReq) / 2, perSecond: (r.perSecond + o.perSecond) / 2,
		p99: max(r.p99, o.p99)}
}

// loadDashboard runs the load generator (this binary, see TestMain) against
// url for seconds and measures this process's CPU meanwhile.
func loadDashboard(b *testing.B, url, tokens string, clients int, seconds float64, profile string) loadResult {
	cmd := exec.CommandContext(b.Context(), os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), loadgenEnv+"=1", "LOADGEN_URL="+url, "LOADGEN_TOKENS="+tokens,
		"LOADGEN_CLIENTS="+strconv.Itoa(clients), "LOADGEN_SECONDS="+strconv.FormatFloat(seconds, 'f', -1, 64))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	// The child says when its clients are connected and warm, then when
	// they are done; the CPU between the two marks is the phase's.
	lines := bufio.NewScanner(out)
	if !lines.Scan() || lines.Text() != "go" {
		_ = cmd.Wait()
		b.Fatalf("load generator: %s", stderr.String())
	}
	if profile != "" {
		f, err := os.Create(profile)
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			b.Fatal(err)
		}
	}
	cpu0 := processCPU()
	if !lines.Scan() {
		_ = cmd.Wait()
		b.Fatalf("load generator: %s", stderr.String())
	}
	cpu := processCPU() - cpu0
	if profile != "" {
		pprof.StopCPUProfile()
	}
	var r loadgenReport
	if err := json.Unmarshal(lines.Bytes(), &r); err != nil {
		b.Fatalf("load generator: %v: %q", err, lines.Text())
	}
	if err := cmd.Wait(); err != nil {
		b.Fatalf("load generator: %v: %s", err, stderr.String())
	}
	if r.Failed > 0 || r.Requests == 0 {
		b.Fatalf("load generator: %d of %d requests failed", r.Failed, r.Requests)
	}
	return loadResult{cpuPerReq: float64(cpu.Microseconds()) / float64(r.Requests),
		perSecond: float64(r.Requests) / r.Seconds, p99: float64(r.P99us) / 1000}
}

// loadgenEnv set makes the test binary a load generator (see TestMain).
const loadgenEnv = "GAHOST_DASHBOARD_LOADGEN"

type loadgenReport struct {
	Requests int     `json:"requests"`
	Failed   int     `json:"failed"`
	Seconds  float64 `json:"seconds"`
	P99us    int64   `json:"p99_us"`
}

// runLoadgen is the child side of loadDashboard: LOADGEN_CLIENTS clients,
// each with its own keep-alive connection and token, request the URL in a
// closed loop for LOADGEN_SECONDS after a short warm-up. It prints "go"
// when the measured part starts and a loadgenReport when it ends.
func runLoadgen() error {
	url := os.Getenv("LOADGEN_URL")
	tokens := strings.Split(os.Getenv("LOADGEN_TOKENS"), ",")
	clients, _ := strconv.Atoi(os.Getenv("LOADGEN_CLIENTS"))
	seconds, _ := strconv.ParseFloat(os.Getenv("LOADGEN_SECONDS"), 64)
	if url == "" || clients <= 0 || seconds <= 0 {
		return fmt.Errorf("LOADGEN_URL, LOADGEN_CLIENTS and LOADGEN_SECONDS are required")
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConns: clients, MaxIdleConnsPerHost: clients}}
	var measuring, stop atomic.Bool
	var mu sync.Mutex
	var all []time.Duration
	var failed int
	var wg sync.WaitGroup
	for c := range clients {
		token := tokens[c%len(tokens)]
		wg.Go(func() {
			var lat []time.Duration
			bad := 0
			for !stop.Load() {
				req, _ := http.NewRequest("GET", url, nil)
				req.Header.Set("Authorization", "Bearer "+token)
				t := time.Now()
				resp, err := client.Do(req)
				if err == nil {
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
				if !measuring.Load() {
					continue
				}
				if err != nil || resp.StatusCode != http.StatusOK {
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
	time.Sleep(500 * time.Millisecond)
	measuring.Store(true)
	fmt.Println("go")
	start := time.Now()
	time.Sleep(time.Duration(seconds * float64(time.Second)))
	measuring.Store(false)
	took := time.Since(start)
	stop.Store(true)
	wg.Wait()
	if len(all) == 0 {
		return fmt.Errorf("no request was answered")
	}
	slices.Sort(all)
	raw, _ := json.Marshal(loadgenReport{Requests: len(all), Failed: failed, Seconds: took.Seconds(),
		P99us: all[len(all)*99/100].Microseconds()})
	fmt.Println(string(raw))
	return nil
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func benchSnapshot(at time.Time) *store.Snapshot {
	d := decimal.RequireFromString
	return &store.Snapshot{
		SyncedAt: at,
		Spot: []store.Balance{
			{Asset: "BTC", Free: d("0.123456789012345678"), Locked: d("0.000000000000000001"), Total: d("0.123456789012345679")},
			{Asset: "ETH", Free: d("2.5"), Locked: d("0.25"), Total: d("2.75")},
			{Asset: "USDT", Free: d("1000.25"), Locked: d("0"), Total: d("1000.25")},
		},
		SpotAt: at,
		Futures: &store.FuturesAccount{Asset: "USDT", WalletBalance: d("5000.10"), UnrealizedPnL: d("-12.5"),
			MarginBalance: d("4987.60"), AvailableBalance: d("4000")},
		FuturesAt: at,
		Positions: []store.Position{{Symbol: "BTC/USDT:USDT", Side: "long", Size: d("0.010"), EntryPrice: d("60000.1"),
			MarkPrice: d("58750.1"), UnrealizedPnL: d("-12.5"), Leverage: d("10"), LiquidationPrice: d("54321.9"),
			MarginMode: "cross"}},
		PositionsAt: at,
	}
}
