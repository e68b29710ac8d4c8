package binance_test

import (
	"context"
	"fmt"
	"os"
	"slices"
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
	for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(10 * time.Millisecond) {
		r.mu.Lock()
		up := len(r.up)
		r.mu.Unlock()
		if up == n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d accounts up after 2 minutes", up, n)
		}
	}
	upTook := time.Since(start)
	conns := c.SpotConnections(ws)
	sent := make(map[string]time.Time, n)
	for i := range n {
		k := fmt.Sprintf("bench%05d", i)
		sent[k] = time.Now()
		fx2.SetSpot(k, "MARK", "1", "0")
	}
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(10 * time.Millisecond) {
		r.mu.Lock()
		got := len(r.seen)
		r.mu.Unlock()
		if got == n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d changes seen", got, n)
		}
	}
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
