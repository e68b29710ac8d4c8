package fakews

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/globalautomation/gahost/sdk/stream"
)

type testConn struct {
	*Conn
}

// echoHub starts a hub whose handler echoes each message back.
func echoHub(t *testing.T, limits Limits) *Hub[*testConn] {
	t.Helper()
	var h *Hub[*testConn]
	h = NewHub[*testConn](limits, map[string]http.HandlerFunc{"/ws": func(w http.ResponseWriter, r *http.Request) {
		c, over, ok := h.Accept(w, r, func(b *Conn) *testConn { return &testConn{Conn: b} })
		if !ok {
			return
		}
		if over {
			_ = c.Send("over")
			_ = c.WS.Close(websocket.StatusPolicyViolation, "over")
			return
		}
		defer h.Release(c)
		for {
			_, b, err := c.WS.Read(c.Context())
			if err != nil {
				return
			}
			_ = c.Send(b)
		}
	}})
	t.Cleanup(h.Close)
	return h
}

func dial(t *testing.T, h *Hub[*testConn]) (*websocket.Conn, *http.Response, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, resp, err := websocket.Dial(ctx, h.URL()+"/ws", nil)
	if err == nil {
		t.Cleanup(func() { _ = c.CloseNow() })
	}
	return c, resp, err
}

func read(t *testing.T, c *websocket.Conn) (websocket.MessageType, []byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return c.Read(ctx)
}

func waitOpen(t *testing.T, h *Hub[*testConn], n int) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if h.Counts().Open == n {
			return
		}
	}
	t.Fatalf("open = %d, want %d", h.Counts().Open, n)
}

func TestWSHubRateLimitAndCap(t *testing.T) {
	h := echoHub(t, Limits{ConnLimit: 3, ConnWindow: time.Hour, MaxConns: 2, Refusal: "slow down"})
	for range 2 {
		if _, _, err := dial(t, h); err != nil {
			t.Fatal(err)
		}
	}
	// The third is within the rate but over the cap; the fourth over both.
	for i := range 2 {
		_, resp, err := dial(t, h)
		if err == nil || resp == nil || resp.StatusCode != http.StatusTooManyRequests {
			t.Fatalf("handshake %d past the limits: %v %v", 3+i, resp, err)
		}
	}
	waitOpen(t, h, 2) // a connection registers just after its handshake
	if n := h.Counts(); n.Connections != 2 || n.Open != 2 || n.MaxOpen != 2 || n.Refused != 2 {
		t.Fatalf("counts = %+v", n)
	}
	// Cut frees the places under the cap, not the rate window.
	h.Cut()
	waitOpen(t, h, 0)
	if _, resp, err := dial(t, h); err == nil || resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("a fifth handshake within the hour: %v", err)
	}
}

func TestWSHubCapFreedOnRelease(t *testing.T) {
	h := echoHub(t, Limits{MaxConns: 1})
	c, _, err := dial(t, h)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := dial(t, h); err == nil {
		t.Fatal("a second connection past a cap of one")
	}
	_ = c.Close(websocket.StatusNormalClosure, "")
	waitOpen(t, h, 0)
	if _, _, err := dial(t, h); err != nil {
		t.Fatalf("the place was not freed: %v", err)
	}
}

func TestWSHubOverCapUpgrades(t *testing.T) {
	h := echoHub(t, Limits{MaxConns: 1, OverCapUpgrades: true})
	if _, _, err := dial(t, h); err != nil {
		t.Fatal(err)
	}
	c, _, err := dial(t, h)
	if err != nil {
		t.Fatalf("past the cap the handshake must complete: %v", err)
	}
	if _, b, err := read(t, c); err != nil || string(b) != "over" {
		t.Fatalf("over-cap answer = %q, %v", b, err)
	}
	waitOpen(t, h, 1)
	if n := h.Counts(); n.Connections != 1 || n.OverCap != 1 || n.Refused != 0 {
		t.Fatalf("counts = %+v", n)
	}
}

func TestWSHubGzipAndDrop(t *testing.T) {
	h := echoHub(t, Limits{Gzip: true, Lifetime: 300 * time.Millisecond})
	c, _, err := dial(t, h)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Write(context.Background(), websocket.MessageText, []byte("hi")); err != nil {
		t.Fatal(err)
	}
	typ, b, err := read(t, c)
	if err != nil || typ != websocket.MessageBinary || !stream.IsGzip(b) {
		t.Fatalf("frame = %v %q %v, want gzip in a binary frame", typ, b, err)
	}
	if plain, err := stream.Gunzip(b); err != nil || string(plain) != "hi" {
		t.Fatalf("gunzipped = %q, %v", plain, err)
	}
	// The lifetime ends the connection.
	if _, _, err := read(t, c); err == nil {
		t.Fatal("the connection outlived its lifetime")
	}

	h.DropEvents(1)
	if first, second := h.Lose(), h.Lose(); !first || !second {
		t.Fatal("a share of 1 kept a push")
	}
	h.DropEvents(0)
	if h.Lose() {
		t.Fatal("a share of 0 lost a push")
	}
	if n := h.Counts(); n.Dropped != 2 || n.Pushed != 1 {
		t.Fatalf("counts = %+v", n)
	}
}

func TestWSHubNil(t *testing.T) {
	var h *Hub[*testConn]
	h.Close()
	h.Cut()
	if h.Counts() != (Counts{}) || h.Conns() != nil {
		t.Fatal("a nil hub has counts or connections")
	}
}
