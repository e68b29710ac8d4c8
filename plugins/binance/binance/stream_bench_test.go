package binance_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/globalautomation/gahost/plugins/binance/binance"
	"github.com/globalautomation/gahost/plugins/binance/fake"
	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/plugintest"
)

// TestSpotStreamThousandAccountsOneConnection carries 1,000 spot accounts
// (GAHOST_STREAM_ACCOUNTS to change it) on the WebSocket API against the
// fake, with Binance's limits, and reports the time to bring them all up,
// the connections used, and the latency from a change at the fake to the
// connector's event (p50/p99 over one change per account).
func TestSpotStreamThousandAccountsOneConnection(t *testing.T) {
	if testing.Short() {
		t.Skip("a thousand accounts")
	}
	n := 1000
	if v := os.Getenv("GAHOST_STREAM_ACCOUNTS"); v != "" {
		fmt.Sscan(v, &n)
	}
	// The seeds are REST reads of weight 20: the fake's 6,000 a minute
	// would take minutes to seed a thousand, which is what a real start
	// costs; the test raises the fake's budget to measure the streams.
	fx2 := fake.New(fake.WithWeightLimits(1<<40, 1<<40))
	t.Cleanup(fx2.Close)
	ws := fx2.StartWS(fake.WSConfig{})
	c := binance.New(sdk.WithVersion("1.2.3"))
	c.SetStreamOptions(binance.StreamOptions{SeedsPerMinute: 100000})
	acct := sdk.Account{Endpoints: map[string]string{binance.EndpointSpot: fx2.URL(), binance.EndpointFutures: fx2.URL(), binance.EndpointSpotWS: ws}}

	type rec struct {
		mu   sync.Mutex
		seen map[string]time.Time // key -> when the change was seen
		up   map[string]bool
	}
	r := &rec{seen: map[string]time.Time{}, up: map[string]bool{}}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer func() { cancel(); wg.Wait() }()
	start := time.Now()
	for i := range n {
		k := fmt.Sprintf("bench%05d", i)
		fx2.AddKey(fake.FullKey(k, "secret"+k))
		a := acct
		a.APIKey, a.SecretKey = k, "secret"+k
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = c.Watch(ctx, sdk.StreamAccount{ID: k, Account: a, Parts: []string{sdk.CapSpotBalances}}, func(ev sdk.StreamEvent) {
				now := time.Now()
				r.mu.Lock()
				defer r.mu.Unlock()
				if ev.State == sdk.StreamConnected {
					r.up[k] = true
				}
				if plugintest.SpotHas("MARK", "1")(ev) && r.seen[k].IsZero() {
					r.seen[k] = now
				}
			})
		}()
	}
	waitAll(t, &r.mu, func() int { return len(r.up) }, n, 2*time.Minute, 10*time.Millisecond, "accounts up after 2 minutes")
	upTook := time.Since(start)
	conns := c.SpotConnections(ws)
	sent := make(map[string]time.Time, n)
	for i := range n {
		k := fmt.Sprintf("bench%05d", i)
		sent[k] = time.Now()
		fx2.SetSpot(k, "MARK", "1", "0")
	}
	waitAll(t, &r.mu, func() int { return len(r.seen) }, n, time.Minute, 10*time.Millisecond, "changes seen")
	var lat []time.Duration
	r.mu.Lock()
	for k, at := range r.seen {
		lat = append(lat, at.Sub(sent[k]))
	}
	r.mu.Unlock()
	slices.Sort(lat)
	p50, p99 := lat[len(lat)/2], lat[len(lat)*99/100]
	t.Logf("%d spot accounts: all connected in %v on %d connection(s); change-to-event latency p50 %v, p99 %v, max %v",
		n, upTook.Round(time.Millisecond), conns, p50, p99, lat[len(lat)-1])
	if conns != (n+999)/1000 {
		t.Errorf("%d accounts on %d connections, want %d", n, conns, (n+999)/1000)
	}
	if p99 > 2*time.Second {
		t.Errorf("p99 latency %v over 2 s", p99)
	}
}

// waitAll polls count, under mu, every poll until it reaches n, and fails
// tb with "<count> of <n> <what>" if it has not within d.
func waitAll(tb testing.TB, mu *sync.Mutex, count func() int, n int, d, poll time.Duration, what string) {
	tb.Helper()
	for deadline := time.Now().Add(d); ; time.Sleep(poll) {
		mu.Lock()
		got := count()
		mu.Unlock()
		if got == n {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("%d of %d %s", got, n, what)
		}
	}
}

// BenchmarkStreamMemory measures what the connector holds per streamed
// account: N accounts (GAHOST_STREAM_ACCOUNTS, default 1,000), each with
// its spot wallet, futures account and positions, are brought to
// connected against the fake, and the heap in use, goroutine stacks,
// goroutines and resident set added per account are reported after a
// GC. GAHOST_STREAM_MEMPROFILE=<file> writes the heap profile at that
// point (go tool pprof -sample_index=inuse_space).
//
// It measures memory, not the time to connect at Binance's real limits:
// the fake runs as a child process (so that its own per-account state is
// not counted) with its weight budgets raised, and the connector seeds
// without its 100-a-minute pacing, so that 10,000 accounts connect in
// about a minute instead of the hours the real limits take. What an
// account holds once connected does not depend on that pace.
//
// Run it alone, once: go test -run '^$' -bench StreamMemory -benchtime 1x.
func BenchmarkStreamMemory(b *testing.B) {
	n := 1000
	if v := os.Getenv("GAHOST_STREAM_ACCOUNTS"); v != "" {
		if _, err := fmt.Sscan(v, &n); err != nil || n < 1 {
			b.Fatalf("GAHOST_STREAM_ACCOUNTS=%q", v)
		}
	}
	for range b.N {
		streamMemory(b, n)
	}
}

// fakeChildEnv tells the test binary, run again as a child, to serve the
// fake Binance for BenchmarkStreamMemory with that many keys.
const fakeChildEnv = "GAHOST_BINANCE_FAKE_CHILD_KEYS"

// TestStreamMemoryFakeChild is no test: it is the fake Binance of
// BenchmarkStreamMemory, run in a child process of the test binary. It
// adds the benchmark's keys, prints its REST and stream bases as one JSON
// line, and serves until its stdin closes.
func TestStreamMemoryFakeChild(t *testing.T) {
	v := os.Getenv(fakeChildEnv)
	if v == "" {
		t.Skip("run by BenchmarkStreamMemory as its fake's process")
	}
	var n int
	if _, err := fmt.Sscan(v, &n); err != nil {
		t.Fatal(err)
	}
	fx := fake.New(fake.WithWeightLimits(1<<40, 1<<40))
	defer fx.Close()
	ws := fx.StartWS(fake.WSConfig{})
	for i := range n {
		k := memKey(i)
		fx.AddKey(fake.FullKey(k, "secret"+k))
	}
	if err := json.NewEncoder(os.Stdout).Encode(map[string]string{"url": fx.URL(), "ws": ws}); err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, os.Stdin)
}

func memKey(i int) string { return fmt.Sprintf("mem%06d", i) }

func streamMemory(b *testing.B, n int) {
	child := exec.Command(os.Args[0], "-test.run=^TestStreamMemoryFakeChild$", "-test.count=1")
	child.Env = append(os.Environ(), fmt.Sprintf("%s=%d", fakeChildEnv, n))
	child.Stderr = os.Stderr
	stdin, err := child.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := child.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := child.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() {
		_ = stdin.Close() // the child ends when its stdin does
		_ = child.Wait()
	}()
	var addr struct{ URL, WS string }
	if err := json.NewDecoder(stdout).Decode(&addr); err != nil {
		b.Fatalf("the fake's addresses: %v", err)
	}

	c := binance.New(sdk.WithVersion("1.2.3"))
	// Memory, not pace: seeds are not spread over minutes.
	c.SetStreamOptions(binance.StreamOptions{SeedsPerMinute: 1 << 30})
	base := sdk.Account{Endpoints: map[string]string{binance.EndpointSpot: addr.URL, binance.EndpointFutures: addr.URL,
		binance.EndpointSpotWS: addr.WS, binance.EndpointFuturesWS: addr.WS}}
	parts := []string{sdk.CapSpotBalances, sdk.CapFuturesAccount, sdk.CapPositions}

	if os.Getenv("GAHOST_STREAM_MEMPROFILE") != "" {
		runtime.MemProfileRate = 512 // every account's small allocations, not one in 512 KiB
	}
	before := memNow()
	var mu sync.Mutex
	up := map[string]bool{}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer func() { cancel(); wg.Wait() }()
	start := time.Now()
	for i := range n {
		k := memKey(i)
		a := base
		a.APIKey, a.SecretKey = k, "secret"+k
		// As sdk.Serve does: StartWatch holds no goroutine for the account.
		wg.Add(1)
		c.StartWatch(ctx, sdk.StreamAccount{ID: k, Account: a, Parts: parts}, func(ev sdk.StreamEvent) {
			if ev.State == sdk.StreamConnected {
				mu.Lock()
				up[k] = true
				mu.Unlock()
			}
		}, func(error) { wg.Done() })
	}
	waitAll(b, &mu, func() int { return len(up) }, n, 10*time.Minute, 50*time.Millisecond, "accounts connected after 10 minutes")
	took := time.Since(start)
	// Let the seeds' transient garbage and goroutines go before measuring
	// what stays.
	time.Sleep(2 * time.Second)
	after := memNow()
	if p := os.Getenv("GAHOST_STREAM_MEMPROFILE"); p != "" {
		f, err := os.Create(p)
		if err != nil {
			b.Fatal(err)
		}
		if err := pprof.WriteHeapProfile(f); err != nil {
			b.Fatal(err)
		}
		_ = f.Close()
	}
	per := func(x, y uint64) float64 { return (float64(y) - float64(x)) / float64(n) / 1024 }
	b.Logf("%d accounts connected in %v on %d spot and %d futures connections", n, took.Round(time.Millisecond),
		c.SpotConnections(addr.WS), c.FuturesConnections(addr.WS))
	b.ReportMetric(float64(n), "accounts")
	b.ReportMetric(per(before.heap, after.heap), "heap-KB/account")
	b.ReportMetric(per(before.stack, after.stack), "stack-KB/account")
	b.ReportMetric(per(before.rss, after.rss), "rss-KB/account")
	b.ReportMetric(per(before.hwm, after.hwm), "peak-rss-KB/account")
	b.ReportMetric((float64(after.goroutines)-float64(before.goroutines))/float64(n), "goroutines/account")
}

// memStat is the process's memory at one moment, after a GC that also
// returned what it freed to the OS.
type memStat struct {
	heap, stack, rss, hwm uint64 // bytes
	goroutines            int
}

func memNow() memStat {
	debug.FreeOSMemory()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	s := memStat{heap: ms.HeapInuse, stack: ms.StackInuse, goroutines: runtime.NumGoroutine()}
	raw, _ := os.ReadFile("/proc/self/status")
	for _, line := range strings.Split(string(raw), "\n") {
		k, v, _ := strings.Cut(line, ":")
		var kb uint64
		fmt.Sscan(strings.TrimSuffix(strings.TrimSpace(v), " kB"), &kb)
		switch k {
		case "VmRSS":
			s.rss = kb << 10
		case "VmHWM":
			s.hwm = kb << 10
		}
	}
	return s
}
