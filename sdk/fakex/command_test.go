package fakex

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

type ctlKey struct{ APIKey string }
type ctlAccount struct{ Balance string }

// The control interface adds accounts as the fake's own types and counts
// the requests the fake received.
func TestControlHandler(t *testing.T) {
	added := map[string]string{}
	srv := New(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { WriteJSON(w, 200, added) }))
	defer srv.Close()
	ctl := httptest.NewServer(ControlHandler(srv, func(k ctlKey, a ctlAccount) { added[k.APIKey] = a.Balance }))
	defer ctl.Close()

	resp, err := http.Post(ctl.URL+"/accounts", "application/json", strings.NewReader(`{"key":{"APIKey":"k1"},"account":{"Balance":"1.5"}}`))
	if err != nil || resp.StatusCode != http.StatusNoContent {
		t.Fatalf("POST /accounts: %v %v", resp, err)
	}
	resp, _ = http.Post(ctl.URL+"/accounts", "application/json", strings.NewReader(`{"key":{"Nope":1}}`))
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("an unknown field: %d", resp.StatusCode)
	}
	if added["k1"] != "1.5" || len(added) != 1 {
		t.Fatalf("added = %v", added)
	}
	for range 2 {
		r, err := http.Get(srv.URL() + "/x")
		if err != nil {
			t.Fatal(err)
		}
		r.Body.Close()
	}
	r, err := http.Get(ctl.URL + "/calls?path=/x")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Body.Close()
	var got struct{ Calls int }
	if err := json.NewDecoder(r.Body).Decode(&got); err != nil || got.Calls != 2 {
		t.Fatalf("calls = %+v, %v", got, err)
	}
	if r, err := http.Post(srv.URL()+"/x?a=1", "text/plain", strings.NewReader("body")); err == nil {
		r.Body.Close()
	}
	r2, err := http.Get(ctl.URL + "/requests?path=/x")
	if err != nil {
		t.Fatal(err)
	}
	defer r2.Body.Close()
	var reqs []LoggedRequest
	if err := json.NewDecoder(r2.Body).Decode(&reqs); err != nil || len(reqs) != 3 ||
		reqs[2] != (LoggedRequest{Method: "POST", Query: "a=1", Body: "body", Status: 200}) || reqs[0].Method != "GET" {
		t.Fatalf("requests = %+v, %v", reqs, err)
	}
}
