package fakews

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/globalautomation/gahost/sdk/stream"
)

// Listener is a test's own client of a fake's stream: it sends requests
// as JSON and reads what the fake pushes as JSON objects, gzip frames
// unpacked. Frames that are no JSON object (BingX's "Ping", OKX's
// "pong") are skipped, as a heartbeat is not what a test waits for.
type Listener struct {
	t  testing.TB
	WS *websocket.Conn
}

// Listen dials url; the connection closes when the test ends.
func Listen(t testing.TB, url string) *Listener {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, url, nil)
	if err != nil {
		t.Fatalf("dial %s: %v", url, err)
	}
	ws.SetReadLimit(1 << 22)
	t.Cleanup(func() { _ = ws.CloseNow() })
	return &Listener{t: t, WS: ws}
}

// Send writes v as JSON, or a string as it is.
func (l *Listener) Send(v any) {
	l.t.Helper()
	b, ok := v.(string)
	if !ok {
		j, _ := json.Marshal(v)
		b = string(j)
	}
	if err := l.WS.Write(l.t.Context(), websocket.MessageText, []byte(b)); err != nil {
		l.t.Fatalf("send: %v", err)
	}
}

// Next is the next JSON object the fake sends within d; the test fails
// when none comes.
func (l *Listener) Next(d time.Duration) map[string]any {
	l.t.Helper()
	m, err := l.read(d)
	if err != nil {
		l.t.Fatalf("no message within %s: %v", d, err)
	}
	return m
}

// Quiet fails the test if the fake sends a JSON object within d.
//
// The connection cannot be read after Quiet: coder/websocket closes a
// connection whose read is cancelled, so call it last.
func (l *Listener) Quiet(d time.Duration) {
	l.t.Helper()
	if m, err := l.read(d); err == nil {
		l.t.Fatalf("unexpected message %v", m)
	}
}

func (l *Listener) read(d time.Duration) (map[string]any, error) {
	ctx, cancel := context.WithTimeout(l.t.Context(), d)
	defer cancel()
	for {
		_, b, err := l.WS.Read(ctx)
		if err != nil {
			return nil, err
		}
		if stream.IsGzip(b) {
			if b, err = stream.Gunzip(b); err != nil {
				return nil, err
			}
		}
		var m map[string]any
		if json.Unmarshal(b, &m) == nil {
			return m, nil
		}
	}
}
