package fake

import (
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/globalautomation/gahost/sdk/fakex"
)

// /private/stream: listenKeys subscribed by JSON SUBSCRIBE are answered
// with an acknowledgement, an unknown key with -1125, events arrive
// wrapped with their listenKey, and a client that floods is cut.
func TestPrivateStreamSubscribeAndWrap(t *testing.T) {
	s := New()
	t.Cleanup(s.Close)
	s.StartWS(WSConfig{MaxMessages: 5})
	s.AddKey(FullKey("wsKey", "wsSecret"))
	lk := newListenKey(t, s, "wsKey")
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, s.WSURL()+"/private/stream", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.CloseNow()
	call := func(method, key string, id int) map[string]any {
		b, _ := json.Marshal(map[string]any{"method": method, "params": []string{key}, "id": id})
		if err := ws.Write(ctx, websocket.MessageText, b); err != nil {
			t.Fatal(err)
		}
		_, got, err := ws.Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		_ = json.Unmarshal(got, &m)
		return m
	}
	if m := call("SUBSCRIBE", "no-such-key", 1); m["error"] == nil || m["error"].(map[string]any)["code"] != float64(-1125) {
		t.Fatalf("unknown listenKey answered %v", m)
	}
	if m := call("SUBSCRIBE", lk, 2); m["id"] != float64(2) || m["error"] != nil {
		t.Fatalf("SUBSCRIBE answered %v", m)
	}
	s.SetFutures("wsKey", "42")
	_, got, err := ws.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var ev struct {
		Stream string         `json:"stream"`
		Data   map[string]any `json:"data"`
	}
	if json.Unmarshal(got, &ev) != nil || ev.Stream != lk || ev.Data["e"] != "ACCOUNT_UPDATE" {
		t.Fatalf("event = %s", got)
	}
	if m := call("UNSUBSCRIBE", lk, 3); m["id"] != float64(3) || m["error"] != nil {
		t.Fatalf("UNSUBSCRIBE answered %v", m)
	}
	// Two messages so far this second at most; eight more pass the 5.
	for i := range 8 {
		b, _ := json.Marshal(map[string]any{"method": "SUBSCRIBE", "params": []string{"x"}, "id": 10 + i})
		_ = ws.Write(ctx, websocket.MessageText, b)
	}
	for {
		if _, _, err := ws.Read(ctx); err != nil {
			if websocket.CloseStatus(err) != websocket.StatusPolicyViolation {
				t.Fatalf("flood ended with %v, want a policy-violation close", err)
			}
			return
		}
	}
}

// An unknown listenKey is refused at the handshake with -1125, on
// /private/ws and among the listenKeys of /private/stream alike; a live
// one is let in.
func TestUnknownListenKeyRefused(t *testing.T) {
	s := New()
	t.Cleanup(s.Close)
	s.StartWS(WSConfig{})
	s.AddKey(FullKey("wsKey", "wsSecret"))
	lk := newListenKey(t, s, "wsKey")
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	for path, live := range map[string]bool{
		"/private/ws?listenKey=" + lk:                                true,
		"/private/ws?listenKey=no-such-key":                          false,
		"/private/stream?listenKey=" + lk + "&listenKey=no-such-key": false,
	} {
		ws, resp, err := websocket.Dial(ctx, s.WSURL()+path, nil)
		if live {
			if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			ws.CloseNow()
			continue
		}
		if err == nil {
			ws.CloseNow()
			t.Fatalf("%s: let in", path)
		}
		var body []byte
		if resp != nil {
			body, _ = io.ReadAll(resp.Body)
		}
		if resp == nil || resp.StatusCode != 400 || !strings.Contains(string(body), "-1125") {
			t.Errorf("%s: refused with %v %s, want 400 and -1125", path, resp, body)
		}
	}
}

// newListenKey asks the fake for a USDⓈ-M listenKey of apiKey.
func newListenKey(t *testing.T, s *Server, apiKey string) string {
	t.Helper()
	r := fakex.Send(t, "POST", s.URL()+"/fapi/v1/listenKey", "", "", headers(apiKey, ""))
	var lk struct {
		ListenKey string `json:"listenKey"`
	}
	if r.Status != 200 || json.Unmarshal(r.Body, &lk) != nil || lk.ListenKey == "" {
		t.Fatalf("listenKey: %d %s", r.Status, r.Body)
	}
	return lk.ListenKey
}
