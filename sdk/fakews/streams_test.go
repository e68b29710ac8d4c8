package fakews

import (
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/globalautomation/gahost/sdk/fakex"
)

type testConfig struct{ MaxConns int }

type testCounters struct {
	Counts
	Logins int
}

// testFake is the shape of a connector's fake: its lock, its stream
// state made by open, and the embedded Streams.
type testFake struct {
	*fakex.Server
	Streams[*testConn, testConfig, testCounters]
	mu    sync.Mutex
	cfg   *testConfig // the streams' own state, once started
	opens int
	ticks atomic.Int64
}

func newTestFake(t *testing.T) *testFake {
	f := &testFake{Server: fakex.New(http.NotFoundHandler())}
	f.Setup(f.Server, &f.mu, func(cfg testConfig) (Limits, map[string]http.HandlerFunc) {
		if cfg.MaxConns == 0 {
			cfg.MaxConns = 7
		}
		f.cfg = &cfg
		f.opens++
		f.Every(time.Millisecond, func(time.Time) { f.ticks.Add(1) })
		return Limits{MaxConns: cfg.MaxConns}, map[string]http.HandlerFunc{"/ws": func(w http.ResponseWriter, r *http.Request) {
			h := f.Hub()
			c, _, ok := h.Accept(w, r, func(b *Conn) *testConn { return &testConn{Conn: b} })
			if !ok {
				return
			}
			defer h.Release(c)
			for {
				if _, _, err := c.WS.Read(c.Context()); err != nil {
					return
				}
			}
		}}
	})
	t.Cleanup(f.Close)
	return f
}

func TestStreamsStartOnce(t *testing.T) {
	f := newTestFake(t)
	if f.Hub() != nil {
		t.Fatal("a hub before StartWS")
	}
	if st := f.Stats(); st != (testCounters{}) {
		t.Fatalf("stats before start: %+v", st)
	}
	var wg sync.WaitGroup
	urls := make([]string, 8)
	for i := range urls {
		wg.Go(func() {
			if i%2 == 0 {
				urls[i] = f.WSURL()
			} else {
				urls[i] = f.StartWS(testConfig{MaxConns: 3})
			}
		})
	}
	wg.Wait()
	for _, u := range urls {
		if u != urls[0] || u == "" {
			t.Fatalf("bases %q: want one", urls)
		}
	}
	f.mu.Lock()
	opens, cfg := f.opens, *f.cfg
	f.Counters.Logins = 2
	f.mu.Unlock()
	if opens != 1 {
		t.Fatalf("open ran %d times", opens)
	}
	if got := f.Hub().Limits().MaxConns; got != cfg.MaxConns {
		t.Fatalf("hub limits %d, state %d: open's limits not the hub's", got, cfg.MaxConns)
	}
	if _, _, err := dial(t, f.Hub()); err != nil {
		t.Fatal(err)
	}
	// The hub registers a connection just after its handshake completes.
	deadline := time.Now().Add(5 * time.Second)
	for f.Hub().Counts().Connections == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if st := f.Stats(); st.Logins != 2 || st.Connections != 1 || st.Open != 1 {
		t.Fatalf("stats %+v: want the fake's Logins and the hub's counts", st)
	}
}

func TestStreamsCloseWithServer(t *testing.T) {
	f := newTestFake(t)
	f.WSURL()
	deadline := time.Now().Add(5 * time.Second)
	for f.ticks.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if f.ticks.Load() == 0 {
		t.Fatal("Every never ticked")
	}
	f.Close()
	if !f.Hub().Closed() {
		t.Fatal("the REST side's Close left the streams open")
	}
	time.Sleep(20 * time.Millisecond) // a tick already under way ends
	n := f.ticks.Load()
	time.Sleep(20 * time.Millisecond)
	if f.ticks.Load() != n {
		t.Fatal("Every went on after the streams closed")
	}
}
