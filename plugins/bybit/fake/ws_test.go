package fake

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// The signature of the auth op, from a made-up secret: HMAC-SHA256 of
// "GET/realtime1662350400000" under "test-secret", lower-case hex
// (openssl, Python and Go agree on it).
const (
	vectorSecret  = "test-secret"
	vectorExpires = 1662350400000
	vectorSig     = "f072aab6fa18cd774da998325df6cfc87c3ccf10d5722e6b43b570c5feaf6172"
)

func dialWS(t *testing.T, base, query string) *websocket.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, base+"/v5/private"+query, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.CloseNow() })
	return c
}

// wsCall sends msg and returns the next answer.
func wsCall(t *testing.T, c *websocket.Conn, msg string) map[string]any {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.Write(ctx, websocket.MessageText, []byte(msg)); err != nil {
		t.Fatal(err)
	}
	_, b, err := c.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func vectorWS(t *testing.T, cfg WSConfig) (*Server, string) {
	t.Helper()
	s := New()
	t.Cleanup(s.Close)
	s.AddKey(Key{APIKey: "vector-key", Secret: vectorSecret})
	// The fake's clock five seconds before the vector's expires.
	s.SetClockOffset(time.Until(time.UnixMilli(vectorExpires - 5000)))
	return s, s.StartWS(cfg)
}

func TestWSAuthVector(t *testing.T) {
	s, base := vectorWS(t, WSConfig{})
	for _, expires := range []string{"1662350400000", `"1662350400000"`} { // the docs' number, ccxt's string
		c := dialWS(t, base, "")
		m := wsCall(t, c, `{"req_id":"a","op":"auth","args":["vector-key",`+expires+`,"`+vectorSig+`"]}`)
		if m["success"] != true || m["op"] != "auth" || m["conn_id"] == "" || m["req_id"] != "a" {
			t.Fatalf("auth with expires %s: %v", expires, m)
		}
		// One account per connection.
		m = wsCall(t, c, `{"op":"auth","args":["vector-key",1662350400000,"`+vectorSig+`"]}`)
		if m["success"] != false || m["ret_msg"] != "Params Error" {
			t.Fatalf("second auth: %v", m)
		}
	}
	bad := map[string]string{
		"upper-case hex": `["vector-key",1662350400000,"` + strings.ToUpper(vectorSig) + `"]`,
		"wrong expires":  `["vector-key",1662350400001,"` + vectorSig + `"]`,
		"unknown key":    `["other-key",1662350400000,"` + vectorSig + `"]`,
		"two args":       `["vector-key",1662350400000]`,
		"float expires":  `["vector-key",1662350400000.5,"` + vectorSig + `"]`,
	}
	for name, args := range bad {
		m := wsCall(t, dialWS(t, base, ""), `{"op":"auth","args":`+args+`}`)
		if m["success"] != false || m["ret_msg"] != "Params Error" {
			t.Errorf("%s: %v", name, m)
		}
	}
	// expires must be later than the server's clock.
	s.SetClockOffset(time.Until(time.UnixMilli(vectorExpires + 1)))
	m := wsCall(t, dialWS(t, base, ""), `{"op":"auth","args":["vector-key",1662350400000,"`+vectorSig+`"]}`)
	if m["success"] != false {
		t.Fatalf("a past expires was accepted: %v", m)
	}
	if st := s.Stats(); st.Auths != 2 || st.AuthFailures != 2+len(bad)+1 {
		t.Fatalf("stats %+v", st)
	}
}

func TestWSSubscribeRules(t *testing.T) {
	_, base := vectorWS(t, WSConfig{})
	c := dialWS(t, base, "")
	if m := wsCall(t, c, `{"op":"subscribe","args":["wallet"]}`); m["success"] != false {
		t.Fatalf("subscribe before auth: %v", m)
	}
	wsCall(t, c, `{"op":"auth","args":["vector-key",1662350400000,"`+vectorSig+`"]}`)
	for _, args := range []string{`["position","position.linear"]`, `["walet"]`, `["order.futures"]`, `[]`} {
		if m := wsCall(t, c, `{"op":"subscribe","args":`+args+`}`); m["success"] != false {
			t.Errorf("subscribe %s: %v", args, m)
		}
	}
	m := wsCall(t, c, `{"req_id":"s1","op":"subscribe","args":["wallet","position.linear","order"]}`)
	if m["success"] != true || m["req_id"] != "s1" || m["op"] != "subscribe" {
		t.Fatalf("subscribe: %v", m)
	}
	m = wsCall(t, c, `{"req_id":"p1","op":"ping"}`)
	args, _ := m["args"].([]any)
	if m["op"] != "pong" || m["req_id"] != "p1" || len(args) != 1 || m["success"] != nil {
		t.Fatalf("pong: %v", m)
	}
	if ms, _ := args[0].(string); !strings.HasPrefix(ms, "16623503") {
		t.Fatalf("pong time %v is not the server's clock in ms", args[0])
	}
}

func TestWSConnectionLimits(t *testing.T) {
	_, base := vectorWS(t, WSConfig{ConnLimit: 2, ConnWindow: time.Minute})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, resp, err := websocket.Dial(ctx, base+"/v5/private?max_active_time=10s", nil); err == nil || resp == nil || resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("max_active_time below 30s: %v", err)
	}
	// The refused upgrade did not count; these two fill the window.
	dialWS(t, base, "?max_active_time=1m")
	dialWS(t, base, "?max_active_time=600s")
	_, resp, err := websocket.Dial(ctx, base+"/v5/private", nil)
	if err == nil || resp == nil || resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("third connection in the window: %v", err)
	}
}
