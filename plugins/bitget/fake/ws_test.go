package fake

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/globalautomation/gahost/sdk/sign"
)

// The worked example of the login signature: a made-up secret, the
// signature computed independently (openssl, Python and Go agree).
const (
	loginSecret = "test-secret"
	loginTime   = 1704876947
	loginSign   = "JgFb6FY2POutqmzSi9VNUJsdzFnsWB8GggMGFLKdHNk="
)

type wsClient struct {
	t *testing.T
	c *websocket.Conn
}

func dialWS(t *testing.T, s *Server) *wsClient {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, s.WSURL()+WSPath, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.CloseNow() })
	return &wsClient{t, c}
}

func (w *wsClient) send(v any) {
	w.t.Helper()
	b, ok := v.([]byte)
	if !ok {
		b, _ = json.Marshal(v)
	}
	if err := w.c.Write(context.Background(), websocket.MessageText, b); err != nil {
		w.t.Fatal(err)
	}
}

// next reads one message; closed reports a closed connection instead.
func (w *wsClient) next() (msg map[string]any, text string, closed bool) {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, b, err := w.c.Read(ctx)
	if err != nil {
		return nil, "", true
	}
	if json.Unmarshal(b, &msg) != nil {
		return nil, string(b), false
	}
	return msg, string(b), false
}

func (w *wsClient) expect(event string, code any) map[string]any {
	w.t.Helper()
	m, text, closed := w.next()
	if closed || m["event"] != event || (code != nil && m["code"] != code) {
		w.t.Fatalf("got %q (closed %v), want event %s code %v", text, closed, event, code)
	}
	return m
}

func login(apiKey, pass, ts, signature string) map[string]any {
	return map[string]any{"op": "login", "args": []map[string]string{{"apiKey": apiKey, "passphrase": pass, "timestamp": ts, "sign": signature}}}
}

func wsFake(t *testing.T, cfg WSConfig) *Server {
	t.Helper()
	s := New()
	t.Cleanup(s.Close)
	s.AddKey(FullKey("bg_ws", loginSecret, "pass"))
	s.StartWS(cfg)
	return s
}

func TestWSLoginVectorAndRefusals(t *testing.T) {
	if got := sign.Base64(loginSecret, strconv.Itoa(loginTime)+"GET/user/verify"); got != loginSign {
		t.Fatalf("vector sign = %s", got)
	}
	s := wsFake(t, WSConfig{})
	s.SetClockOffset(time.Until(time.Unix(loginTime, 0)))
	ok := dialWS(t, s)
	ok.send(login("bg_ws", "pass", strconv.Itoa(loginTime), loginSign))
	ok.expect("login", "0")

	now := strconv.Itoa(loginTime)
	for _, tc := range []struct {
		name string
		req  map[string]any
		code any
	}{
		{"milliseconds", login("bg_ws", "pass", now+"000", sign.Base64(loginSecret, now+"000GET/user/verify")), "30013"},
		{"expired", login("bg_ws", "pass", "1704876900", sign.Base64(loginSecret, "1704876900GET/user/verify")), "30014"},
		{"bad sign", login("bg_ws", "pass", now, sign.Base64("other", now+"GET/user/verify")), float64(30015)},
		{"OKX's path", login("bg_ws", "pass", now, sign.Base64(loginSecret, now+"GET/users/self/verify")), float64(30015)},
		{"passphrase", login("bg_ws", "nope", now, loginSign), "30012"},
		{"unknown key", login("bg_nobody", "pass", now, loginSign), "30011"},
		{"number field", map[string]any{"op": "login", "args": []map[string]any{{"apiKey": "bg_ws", "passphrase": "pass", "timestamp": loginTime, "sign": loginSign}}}, "30016"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := dialWS(t, s)
			c.send(tc.req)
			c.expect("error", tc.code)
			if _, text, closed := c.next(); !closed {
				t.Fatalf("the connection stayed open after a failed login: %q", text)
			}
		})
	}
}

func TestWSSubscribeSnapshotAndPing(t *testing.T) {
	s := wsFake(t, WSConfig{})
	s.Update("bg_ws", func(a *Account) { a.Spot = []Balance{{Coin: "USDT", Available: "5"}, {Coin: "BTC", Available: "0"}} })
	c := dialWS(t, s)
	spot := map[string]string{"instType": "SPOT", "channel": "account", "coin": "default"}
	c.send(map[string]any{"op": "subscribe", "args": []any{spot}})
	c.expect("error", "30004")

	ts := strconv.FormatInt(time.Now().Unix(), 10)
	c.send(login("bg_ws", "pass", ts, sign.Base64(loginSecret, ts+"GET/user/verify")))
	c.expect("login", "0")
	c.send(map[string]any{"op": "subscribe", "args": []any{
		map[string]string{"instType": "SPOT", "channel": "account", "coin": "BTC"},
		map[string]string{"instType": "SPOT", "channel": "positions", "instId": "default"},
		map[string]string{"instType": "USDT-FUTURES", "channel": "nope", "instId": "default"},
	}})
	c.expect("error", "30016")
	c.expect("error", "30016")
	c.expect("error", "30001")
	c.send(map[string]any{"op": "subscribe", "args": []any{spot}})
	c.expect("subscribe", nil)
	m, text, _ := c.next()
	if m["action"] != "snapshot" {
		t.Fatalf("no snapshot after the ack: %q", text)
	}
	if rows := m["data"].([]any); len(rows) != 1 || rows[0].(map[string]any)["coin"] != "USDT" {
		t.Fatalf("snapshot = %q", text)
	}
	c.send([]byte("ping"))
	if _, text, _ := c.next(); text != "pong" {
		t.Fatalf("ping answered %q", text)
	}
	s.SetSpot("bg_ws", Balance{Coin: "ETH", Available: "2"})
	m, text, _ = c.next()
	if rows, _ := m["data"].([]any); m["action"] != "snapshot" || len(rows) != 1 || rows[0].(map[string]any)["coin"] != "ETH" {
		t.Fatalf("push = %q", text)
	}
}

func TestWSLimits(t *testing.T) {
	s := wsFake(t, WSConfig{ConnLimit: 3, MaxConns: 1, MaxInbound: 3, PingTimeout: 300 * time.Millisecond})
	first := dialWS(t, s)
	over := dialWS(t, s)
	over.expect("error", "30007")
	if _, _, closed := over.next(); !closed {
		t.Fatal("the connection over the cap stayed open")
	}
	// Third attempt in the window is still let in (and closed for the
	// cap); the fourth is refused at the handshake.
	third := dialWS(t, s)
	third.expect("error", "30007")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, resp, err := websocket.Dial(ctx, s.WSURL()+WSPath, nil)
	if err == nil || resp == nil || resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("fourth handshake: %v", err)
	}
	// More than MaxInbound messages a second close the connection.
	for range 4 {
		first.send([]byte("ping"))
	}
	for {
		_, text, closed := first.next()
		if closed {
			break
		}
		if text != "pong" {
			t.Fatalf("got %q", text)
		}
	}
	if st := s.Stats(); st.Refused != 1 || st.OverCap != 2 || st.Pings != 3 {
		t.Fatalf("stats %+v", st)
	}
}

func TestWSSilentConnectionClosed(t *testing.T) {
	s := wsFake(t, WSConfig{PingTimeout: 200 * time.Millisecond})
	c := dialWS(t, s)
	start := time.Now()
	if _, _, closed := c.next(); !closed || time.Since(start) > 2*time.Second {
		t.Fatal("a connection without pings was not closed")
	}
}
