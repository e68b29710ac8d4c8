package fakex

// A fake's own tests send it raw requests and read its answers in the
// exchange's envelope; every exchange wraps its answers the same way (a
// code, a message, the data) under its own field names, so the reading
// and the table of requests and the answers they must get live here.

import (
	"encoding/json"
	"net/http"
	"testing"
)

// Reply is an answer as a fake's own test reads it: the HTTP status and
// header, and the exchange's envelope, its code as text whether the
// exchange sends a number (Binance's -1022) or a string (OKX's "50113").
type Reply struct {
	Status int
	Header http.Header
	Code   string
	Msg    string
	Data   json.RawMessage
}

// Envelope names the fields of one exchange's envelope.
type Envelope struct {
	Code, Msg, Data string
}

// Read reads a in the envelope. A body that is not a JSON object gives
// the code "" and the whole body as the message, so that a check on the
// code fails and shows what came back.
func (e Envelope) Read(a Answer) Reply {
	r := Reply{Status: a.Status, Header: a.Header}
	var fields map[string]json.RawMessage
	if json.Unmarshal(a.Body, &fields) != nil {
		r.Msg = string(a.Body)
		return r
	}
	r.Code = text(fields[e.Code])
	r.Msg = text(fields[e.Msg])
	r.Data = fields[e.Data]
	return r
}

// text is a JSON string's value, or a number's digits as sent.
func text(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n.String()
	}
	return ""
}

// Send sends the request as the package's Send does and reads the answer
// in the envelope.
func (e Envelope) Send(t testing.TB, method, url, query, body string, header map[string]string) Reply {
	t.Helper()
	return e.Read(Send(t, method, url, query, body, header))
}

// Case is a row of a fake's own table: a request, and the status and
// exchange code it must be answered with.
type Case struct {
	Name                      string
	Method, Path, Query, Body string
	Header                    map[string]string // as Send sets them
	Status                    int
	Code                      string
}

// Run sends each case to the fake at base in a subtest, and fails it
// unless the status and code are the case's.
func (e Envelope) Run(t *testing.T, base string, cases []Case) {
	t.Helper()
	e.RunEach(t, func(*testing.T) string { return base }, cases)
}

// RunEach is Run with the fake that start gives each case, by its base
// URL: a fresh one per case where a case changes the fake's state (an
// order placed, a position opened) that the next must not see. start
// closes what it starts with t.Cleanup.
func (e Envelope) RunEach(t *testing.T, start func(t *testing.T) string, cases []Case) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			got := e.Send(t, c.Method, start(t)+c.Path, c.Query, c.Body, c.Header)
			if got.Status != c.Status || got.Code != c.Code {
				t.Fatalf("got %d %s %q, want %d %s", got.Status, got.Code, got.Msg, c.Status, c.Code)
			}
		})
	}
}
