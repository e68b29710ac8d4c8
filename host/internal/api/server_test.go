package api

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// serveLimited serves h on loopback with lim and returns the address.
func serveLimited(t *testing.T, h http.Handler, lim ServerLimits, reg prometheus.Registerer) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	capped, err := LimitListener(ln, lim.MaxConnections, reg)
	if err != nil {
		t.Fatal(err)
	}
	srv := NewServer(h, lim, nil)
	go srv.Serve(capped)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

// closedWithin reports whether the server closes conn within d (a read
// that ends, with or without an answer first).
func closedWithin(conn net.Conn, d time.Duration) bool {
	conn.SetReadDeadline(time.Now().Add(d))
	_, err := io.Copy(io.Discard, conn)
	var ne net.Error
	return !(errors.As(err, &ne) && ne.Timeout())
}

// A body sent a byte at a time holds the connection no longer than the
// read timeout, headers and body together.
func TestSlowBodyIsCutOff(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.ReadAll(r.Body)
	})
	addr := serveLimited(t, h, ServerLimits{ReadTimeout: 300 * time.Millisecond}, nil)
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{"); err != nil {
		t.Fatal(err)
	}
	// Keep trickling in the background, as the probe did.
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		for {
			select {
			case <-stop:
				return
			case <-time.After(100 * time.Millisecond):
				if _, err := io.WriteString(conn, " "); err != nil {
					return
				}
			}
		}
	}()
	if !closedWithin(conn, 3*time.Second) {
		t.Fatal("a trickled body kept its connection open past the read timeout")
	}
}

// Past max_connections a new connection is closed at once; a slot that
// frees up is usable again, and refusals are counted.
func TestConnectionCap(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	reg := prometheus.NewRegistry()
	addr := serveLimited(t, h, ServerLimits{ReadTimeout: 10 * time.Second, MaxConnections: 2}, reg)
	var held []net.Conn
	for range 2 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		held = append(held, c)
	}
	// The held connections are accepted (they count) once a request on
	// them is answered.
	for _, c := range held {
		io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		if resp, err := http.ReadResponse(bufio.NewReader(c), nil); err != nil || resp.StatusCode != 200 {
			t.Fatalf("held connection: %v", err)
		}
	}
	over, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer over.Close()
	if !closedWithin(over, 2*time.Second) {
		t.Fatal("a connection over the cap stayed open")
	}
	held[0].Close()
	deadline := time.Now().Add(2 * time.Second)
	for {
		resp, err := (&http.Client{Timeout: time.Second, Transport: &http.Transport{DisableKeepAlives: true}}).Get("http://" + addr + "/")
		if err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no connection served after a slot freed up: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var refused float64
	for _, mf := range mfs {
		if mf.GetName() == "gahost_http_connections_refused_total" {
			refused = mf.GetMetric()[0].GetCounter().GetValue()
		}
	}
	if refused < 1 {
		t.Fatalf("refused connections counted: %v", refused)
	}
}
