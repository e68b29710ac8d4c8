package fakews

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/globalautomation/gahost/sdk/fakex"
)

type switches struct {
	share float64
	cuts  int
}

func (s *switches) DropEvents(share float64) { s.share = share }
func (s *switches) CutStreams()              { s.cuts++ }

func TestCommandControls(t *testing.T) {
	srv := fakex.New(http.NotFoundHandler())
	defer srv.Close()
	sw := &switches{}
	var spot []string
	c := Command[string, string]{
		Server: srv, Add: func(string, string) {}, Switches: sw,
		Stats:   func() any { return map[string]int{"Pushed": 3} },
		SetSpot: func(k, a, f, l string) { spot = append(spot, k+" "+a+" "+f+" "+l) },
	}
	h := c.handler()
	do := func(method, path, body string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(method, path, strings.NewReader(body)))
		return rec
	}
	for _, tc := range []struct {
		method, path, body string
		code               int
	}{
		{"POST", "/spot", `{"api_key":"k","asset":"USDT","free":"5"}`, 204},
		{"POST", "/spot", `{"api_key":"k","asset":"BTC","free":"1","locked":"0.5"}`, 204},
		{"POST", "/spot", `{"api_key":"k","coin":"BTC"}`, 400},
		{"POST", "/drop", `{"share":0.25}`, 204},
		{"POST", "/cut", ``, 204},
		{"POST", "/expire", `{"api_key":"k"}`, 404}, // no listenKeys
		{"GET", "/streams", ``, 200},
		{"GET", "/calls?path=/x", ``, 200},
	} {
		if rec := do(tc.method, tc.path, tc.body); rec.Code != tc.code {
			t.Errorf("%s %s %s: %d, want %d", tc.method, tc.path, tc.body, rec.Code, tc.code)
		}
	}
	if want := []string{"k USDT 5 0", "k BTC 1 0.5"}; strings.Join(spot, ",") != strings.Join(want, ",") {
		t.Errorf("SetSpot calls %q, want %q", spot, want)
	}
	if sw.share != 0.25 || sw.cuts != 1 {
		t.Errorf("switches %+v", sw)
	}
	if got := do("GET", "/streams", "").Body.String(); !strings.Contains(got, `"Pushed":3`) {
		t.Errorf("GET /streams: %s", got)
	}

	var expired []string
	c.Expire = func(k string) { expired = append(expired, k) }
	rec := httptest.NewRecorder()
	c.handler().ServeHTTP(rec, httptest.NewRequest("POST", "/expire", strings.NewReader(`{"api_key":"k2"}`)))
	if rec.Code != 204 || len(expired) != 1 || expired[0] != "k2" {
		t.Errorf("POST /expire: %d, expired %q", rec.Code, expired)
	}
}
