package fakews

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// TestConnLoops drives ReadEach, Every and GoAwayOnEnd through handlers
// built from them: /ws echoes until "stop" and ticks until a third tick;
// /away only waits for its end, which GoAwayOnEnd alone announces (a
// read under the connection's context would race it to close).
func TestConnLoops(t *testing.T) {
	var ticks atomic.Int64
	var h *Hub[*testConn]
	h = NewHub[*testConn](Limits{}, map[string]http.HandlerFunc{"/ws": func(w http.ResponseWriter, r *http.Request) {
		c, _, ok := h.Accept(w, r, func(b *Conn) *testConn { return &testConn{Conn: b} })
		if !ok {
			return
		}
		defer h.Release(c)
		c.Every(time.Millisecond, func(time.Time) bool { return ticks.Add(1) < 3 })
		c.ReadEach(func(typ websocket.MessageType, b []byte) bool {
			if string(b) == "stop" {
				return false
			}
			_ = c.Send(b)
			return true
		})
	}, "/away": func(w http.ResponseWriter, r *http.Request) {
		c, _, ok := h.Accept(w, r, func(b *Conn) *testConn { return &testConn{Conn: b} })
		if !ok {
			return
		}
		defer h.Release(c)
		c.GoAwayOnEnd("bye")
		<-c.Context().Done()
		time.Sleep(100 * time.Millisecond) // Release's own close comes later
	}})
	t.Cleanup(h.Close)

	c, _, err := dial(t, h)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.Write(ctx, websocket.MessageText, []byte("one")); err != nil {
		t.Fatal(err)
	}
	if _, b, err := read(t, c); err != nil || string(b) != "one" {
		t.Fatalf("echo %q %v", b, err)
	}
	time.Sleep(50 * time.Millisecond)
	if n := ticks.Load(); n != 3 {
		t.Fatalf("%d ticks: Every must stop when f says so", n)
	}
	// "stop" ends the handler's loop, and with it the connection.
	c2, _, err := dial(t, h)
	if err != nil {
		t.Fatal(err)
	}
	if err := c2.Write(ctx, websocket.MessageText, []byte("stop")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := read(t, c2); err == nil {
		t.Fatal("the connection outlived its read loop")
	}

	away, _, err := websocket.Dial(ctx, h.URL()+"/away", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer away.CloseNow()
	waitOpen(t, h, 2)
	h.Cut()
	var ce websocket.CloseError
	if _, _, err := read(t, away); !errors.As(err, &ce) || ce.Code != websocket.StatusGoingAway || ce.Reason != "bye" {
		t.Fatalf("a cut connection ended with %v, want going away: bye", err)
	}
}
