package fakex

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestCutParam(t *testing.T) {
	tests := []struct {
		raw, rest, val string
		ok             bool
	}{
		{"a=1&signature=abc", "a=1", "abc", true},
		{"signature=abc", "", "abc", true},
		{"a=1&signature=abc&b=2", "a=1&signature=abc&b=2", "", false},
		{"a=1", "a=1", "", false},
		{"xsignature=1&signature=2", "xsignature=1", "2", true},
		{"", "", "", false},
	}
	for _, tt := range tests {
		r, v, ok := CutParam(tt.raw, "signature")
		if r != tt.rest || v != tt.val || ok != tt.ok {
			t.Errorf("CutParam(%q) = %q %q %v", tt.raw, r, v, ok)
		}
	}
}

func TestWindow(t *testing.T) {
	w := NewWindow(10, time.Minute)
	t0 := time.Date(2026, 1, 1, 12, 0, 30, 0, time.UTC)
	if used, ok := w.Spend(t0, 6); used != 6 || !ok {
		t.Fatalf("Spend = %d %v", used, ok)
	}
	if used, ok := w.Spend(t0.Add(10*time.Second), 5); used != 11 || ok {
		t.Fatalf("over limit: Spend = %d %v", used, ok)
	}
	// The window is aligned to the minute: 12:01:00 starts a new one.
	if used, ok := w.Spend(t0.Add(30*time.Second), 1); used != 1 || !ok {
		t.Fatalf("next window: Spend = %d %v", used, ok)
	}
	if end := w.Ends(t0); !end.Equal(time.Date(2026, 1, 1, 12, 1, 0, 0, time.UTC)) {
		t.Fatalf("Ends = %v", end)
	}
}

func TestFaultsLogAndClock(t *testing.T) {
	s := New(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		WriteJSON(w, 200, map[string]string{"ok": "1"})
	}))
	defer s.Close()
	s.Inject(Fault{Path: "/b", Status: 503, Body: `{"x":1}`, Header: http.Header{"Retry-After": {"3"}}, Times: 2})
	s.Inject(Fault{Path: "/c", Malformed: true})

	get := func(path string) (int, string, http.Header) {
		t.Helper()
		resp, err := http.Get(s.URL() + path + "?q=1")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), resp.Header
	}
	if st, _, _ := get("/a"); st != 200 {
		t.Fatalf("/a = %d", st)
	}
	for range 2 {
		if st, body, h := get("/b"); st != 503 || body != `{"x":1}` || h.Get("Retry-After") != "3" {
			t.Fatalf("/b = %d %s %v", st, body, h)
		}
	}
	if st, _, _ := get("/b"); st != 200 {
		t.Fatalf("fault should be used up, /b = %d", st)
	}
	if st, body, _ := get("/c"); st != 200 || body[len(body)-1] != ':' {
		t.Fatalf("/c = %d %q", st, body)
	}
	if s.PendingFaults() != 0 || s.Calls("/b") != 3 || s.TotalCalls() != 5 {
		t.Fatalf("pending=%d calls(/b)=%d total=%d", s.PendingFaults(), s.Calls("/b"), s.TotalCalls())
	}
	reqs := s.Requests()
	if reqs[1].Status != 503 || reqs[0].Query != "q=1" {
		t.Fatalf("records = %+v", reqs[:2])
	}
	s.SetClockOffset(time.Hour)
	if d := time.Until(s.Now()); d < 59*time.Minute {
		t.Fatalf("clock offset not applied: %v", d)
	}
	s.AddWeight("/a", 5)
	s.AddWeight("/b", 2)
	if s.Weight("/a") != 5 || s.TotalWeight() != 7 {
		t.Fatalf("weights %d %d", s.Weight("/a"), s.TotalWeight())
	}
	s.ResetLog()
	if s.TotalCalls() != 0 || s.TotalWeight() != 0 {
		t.Fatal("ResetLog kept counters")
	}
}

func TestDelayReleasedByClientAndClose(t *testing.T) {
	s := New(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		WriteJSON(w, 200, map[string]string{"ok": "1"})
	}))
	s.Inject(Fault{Delay: time.Hour})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", s.URL()+"/x", nil)
	if _, err := http.DefaultClient.Do(req); err == nil {
		t.Fatal("expected the client to give up")
	}
	done := make(chan struct{})
	go func() { s.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close hung on a delayed answer")
	}
}

func TestEnvelope(t *testing.T) {
	bodies := map[string]string{
		"/num": `{"code":-1022,"msg":"Signature for this request is not valid.","data":[1]}`,
		"/str": `{"code":"50113","msg":"Invalid Sign"}`,
		"/bad": `not json`,
	}
	s := New(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(400)
		_, _ = io.WriteString(w, bodies[r.URL.Path])
	}))
	defer s.Close()
	env := Envelope{Code: "code", Msg: "msg", Data: "data"}
	if r := env.Send(t, "GET", s.URL()+"/num", "", "", nil); r.Status != 400 || r.Code != "-1022" || r.Msg == "" || string(r.Data) != "[1]" {
		t.Errorf("numeric code: %+v", r)
	}
	if r := env.Send(t, "GET", s.URL()+"/str", "", "", nil); r.Code != "50113" || r.Msg != "Invalid Sign" || r.Data != nil {
		t.Errorf("string code: %+v", r)
	}
	if r := env.Send(t, "GET", s.URL()+"/bad", "", "", nil); r.Code != "" || r.Msg != "not json" {
		t.Errorf("not an envelope: %+v", r)
	}
	env.Run(t, s.URL(), []Case{
		{Name: "numeric", Method: "GET", Path: "/num", Status: 400, Code: "-1022"},
		{Name: "string", Method: "POST", Path: "/str", Body: "{}", Status: 400, Code: "50113"},
	})
}

// RunEach starts a fake for every case.
func TestEnvelopeRunEach(t *testing.T) {
	started := 0
	start := func(t *testing.T) string {
		started++
		s := New(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			WriteJSON(w, 200, map[string]int{"code": started})
		}))
		t.Cleanup(s.Close)
		return s.URL()
	}
	Envelope{Code: "code"}.RunEach(t, start, []Case{
		{Name: "first", Method: "GET", Path: "/a", Status: 200, Code: "1"},
		{Name: "second", Method: "GET", Path: "/a", Status: 200, Code: "2"},
	})
	if started != 2 {
		t.Fatalf("started %d fakes, want 2", started)
	}
}

func TestOnCloseRunsOnceBeforeTheListenerStops(t *testing.T) {
	s := New(http.NotFoundHandler())
	var calls []string
	s.OnClose(func() {
		// The REST side still answers while what stops with it stops.
		resp, err := http.Get(s.URL() + "/x")
		if err == nil {
			resp.Body.Close()
		}
		calls = append(calls, fmt.Sprint("first ", err == nil))
	})
	s.OnClose(func() { calls = append(calls, "second") })
	s.Close()
	s.Close()
	if got := strings.Join(calls, ","); got != "first true,second" {
		t.Fatalf("OnClose calls %q", got)
	}
}
