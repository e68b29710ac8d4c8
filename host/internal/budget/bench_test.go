package budget

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/globalautomation/gahost/sdk"
)

// The utilisation benchmark drives an exchange with two per-IP weight pools
// (a spot host at 6000 and a futures host at 2400 per window) into
// overload, the way the plugin boundary does: each caller pays with Take,
// sends the call's requests to a fake exchange on loopback, feeds the
// usage header of each answer back with Observe and holds the Set after a
// 429. The window is shortened to benchWindow so that the run takes
// seconds; the limits stay as they are, so the pace is 30 times a real
// minute's.
const (
	benchWindow  = 2 * time.Second
	benchWindows = 6 // the first whole one is warm-up; the later whole ones are measured
)

// benchInfo declares the two pools and what each call costs where, like a
// connector would; aligned declares the pools counted in clock-aligned
// windows, as the fake counts them.
func benchInfo(aligned bool) sdk.Info {
	return sdk.Info{
		Name:         "bench",
		Capabilities: []string{sdk.CapSpotBalances, sdk.CapFuturesAccount, sdk.CapPositions, sdk.CapOrders},
		RateLimits: []sdk.RateLimit{
			{Name: "spot", Limit: 6000, Interval: benchWindow, Scope: sdk.ScopeIP, Aligned: aligned},
			{Name: "futures", Limit: 2400, Interval: benchWindow, Scope: sdk.ScopeIP, Aligned: aligned},
		},
		Costs: []sdk.CallCost{
			{Call: sdk.CapSpotBalances, Limit: "spot", Cost: 20},
			{Call: sdk.CapFuturesAccount, Limit: "futures", Cost: 5},
			{Call: sdk.CapPositions, Limit: "futures", Cost: 10},
			{Call: sdk.CapOrders, Limit: "spot", Cost: 1},
			{Call: sdk.CapOrders, Limit: "futures", Cost: 1},
			{Call: sdk.CapValidate, Limit: "spot", Cost: 20},
			{Call: sdk.CapValidate, Limit: "futures", Cost: 5},
		},
	}
}

// request is one HTTP request a call sends: the pool's host and its weight.
type request struct {
	pool   string
	weight int64
}

// benchCalls are what each kind of caller pays for and then sends, and
// how long it pauses between calls. A sync pays its three parts at once,
// as the scheduler does. Reads come back as fast as the budget lets them
// (the overload); credential checks and orders come now and then, as
// people add accounts and alerts place orders: an order pays a unit in
// both pools (its declared cost, whichever market it is for) but sends
// one request, so orders in a tight loop would measure that overpayment
// rather than the budget.
var benchCalls = []struct {
	calls    []string
	requests []request
	callers  int
	pause    time.Duration
}{
	{[]string{sdk.CapSpotBalances}, []request{{"spot", 20}}, 8, 0},
	{[]string{sdk.CapFuturesAccount}, []request{{"futures", 5}}, 4, 0},
	{[]string{sdk.CapPositions}, []request{{"futures", 5}, {"futures", 5}}, 4, 0},
	{[]string{sdk.CapSpotBalances, sdk.CapFuturesAccount, sdk.CapPositions},
		[]request{{"spot", 20}, {"futures", 5}, {"futures", 5}, {"futures", 5}}, 8, 0},
	{[]string{sdk.CapValidate}, []request{{"spot", 20}, {"futures", 5}}, 2, 100 * time.Millisecond},
	{[]string{sdk.CapOrders}, []request{{"spot", 1}}, 1, 200 * time.Millisecond},
	{[]string{sdk.CapOrders}, []request{{"futures", 1}}, 1, 200 * time.Millisecond},
}

// fakeExchange counts weight per pool in fixed windows on the clock's
// multiples of window, the way Binance counts per minute, and answers 429
// to what arrives over a limit.
type fakeExchange struct {
	window time.Duration
	limits map[string]int64

	mu   sync.Mutex
	used map[string]map[int64]int64 // pool -> window index -> weight
	over atomic.Int64               // requests that arrived over a limit
}

func (f *fakeExchange) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	pool := strings.TrimPrefix(r.URL.Path, "/")
	weight, err := strconv.ParseInt(r.URL.Query().Get("weight"), 10, 64)
	limit, ok := f.limits[pool]
	if err != nil || !ok {
		http.NotFound(w, r)
		return
	}
	now := time.Now()
	idx := now.UnixNano() / int64(f.window)
	f.mu.Lock()
	f.used[pool][idx] += weight
	used := f.used[pool][idx]
	f.mu.Unlock()
	w.Header().Set("X-Used-Weight", strconv.FormatInt(used, 10))
	if used > limit {
		f.over.Add(1)
		left := time.Unix(0, (idx+1)*int64(f.window)).Sub(now)
		w.Header().Set("Retry-After-Ms", strconv.FormatInt(left.Milliseconds()+1, 10))
		w.WriteHeader(http.StatusTooManyRequests)
	}
}

// send sends one request and reports what the answer says.
func send(ctx context.Context, client *http.Client, base string, rq request) (used int64, retry time.Duration, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("%s/%s?weight=%d", base, rq.pool, rq.weight), nil)
	if err != nil {
		return 0, 0, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, 0, err
	}
	resp.Body.Close()
	used, _ = strconv.ParseInt(resp.Header.Get("X-Used-Weight"), 10, 64)
	if resp.StatusCode == http.StatusTooManyRequests {
		ms, _ := strconv.ParseInt(resp.Header.Get("Retry-After-Ms"), 10, 64)
		return used, time.Duration(ms) * time.Millisecond, nil
	}
	return used, 0, nil
}

// BenchmarkBudgetUtilisation reports, for pools declared with windows of
// unknown phase ("sliding", the scheduler's default 2 s grid step) and for
// pools declared clock-aligned as Binance's are ("aligned", a 5 s step:
// there the burst costs no rate), the share of each limit the fake
// counted over the whole windows of the run, and the requests that
// arrived over a limit.
func BenchmarkBudgetUtilisation(b *testing.B) {
	for _, tc := range []struct {
		name    string
		aligned bool
		group   time.Duration // a minute's worth, scaled to benchWindow
	}{
		{"sliding", false, 2 * time.Second},
		{"aligned", true, 5 * time.Second},
	} {
		b.Run(tc.name, func(b *testing.B) {
			benchUtilisation(b, benchInfo(tc.aligned), tc.group*benchWindow/time.Minute)
		})
	}
}

func benchUtilisation(b *testing.B, info sdk.Info, group time.Duration) {
	fx := &fakeExchange{window: benchWindow, limits: map[string]int64{},
		used: map[string]map[int64]int64{}}
	for _, rl := range info.RateLimits {
		fx.limits[rl.Name] = rl.Limit
		fx.used[rl.Name] = map[int64]int64{}
	}
	srv := httptest.NewServer(fx)
	defer srv.Close()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 512}}
	defer client.CloseIdleConnections()

	// As the daemon: the budget lets one step of the scheduler's grid go
	// together.
	set := NewSet(info, Options{Group: group})
	begin := time.Now()
	end := begin.Add(benchWindows * benchWindow)
	ctx, cancel := context.WithDeadline(context.Background(), end)
	defer cancel()
	var wg sync.WaitGroup
	var failed atomic.Int64
	for _, kind := range benchCalls {
		for range kind.callers {
			wg.Go(func() {
				for ctx.Err() == nil {
					if err := set.Take(ctx, kind.calls); err != nil {
						continue // the run is over
					}
					for _, rq := range kind.requests {
						used, retry, err := send(ctx, client, srv.URL, rq)
						if err != nil {
							if ctx.Err() == nil {
								failed.Add(1)
							}
							break
						}
						set.Observe(time.Now(), []sdk.RateUsage{{Name: rq.pool, Used: used, Interval: benchWindow}})
						if retry > 0 {
							set.Hold(time.Now().Add(retry))
							break
						}
					}
					if kind.pause > 0 {
						select {
						case <-time.After(kind.pause):
						case <-ctx.Done():
						}
					}
				}
			})
		}
	}
	wg.Wait()
	if n := failed.Load(); n > 0 {
		b.Fatalf("%d requests failed", n)
	}

	fx.mu.Lock()
	defer fx.mu.Unlock()
	for _, rl := range info.RateLimits {
		// The whole windows after the first (warm-up) one.
		var sum, n int64
		for idx := begin.UnixNano()/int64(benchWindow) + 2; idx < end.UnixNano()/int64(benchWindow); idx++ {
			sum += fx.used[rl.Name][idx]
			n++
		}
		util := 100 * float64(sum) / float64(n*rl.Limit)
		b.ReportMetric(util, "util-"+rl.Name+"-%")
	}
	over := fx.over.Load()
	b.ReportMetric(float64(over), "over-limit")
	if over > 0 {
		b.Errorf("%d requests arrived over the exchange's limit", over)
	}
	b.ReportMetric(0, "ns/op")
}
