package rest_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/rest"
)

// Many accounts of one exchange are synced at once: the client must keep
// their connections open between rounds instead of dialling (and, against
// a real exchange, handshaking TLS) for nearly every request.
func TestConnectionsAreReusedAcrossConcurrentRounds(t *testing.T) {
	var dials atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{}`))
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			dials.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)

	c := rest.New(toyConfig(srv.URL, nil))
	const parallel, rounds = 24, 4
	for range rounds {
		var wg sync.WaitGroup
		var failed atomic.Int64
		for range parallel {
			wg.Go(func() {
				req := rest.Request{Method: "GET", Endpoint: "main", Path: "/public"}
				if err := c.Do(context.Background(), sdk.Account{}, req, nil); err != nil {
					failed.Add(1)
				}
			})
		}
		wg.Wait()
		if failed.Load() > 0 {
			t.Fatalf("%d requests failed", failed.Load())
		}
	}
	// The first round dials up to one connection per request; later rounds
	// reuse them. The default transport would dial about parallel-2 more
	// per round.
	if n := dials.Load(); n > parallel+4 {
		t.Fatalf("%d connections for %d rounds of %d requests; want them reused", n, rounds, parallel)
	}
}
