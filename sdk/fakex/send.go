package fakex

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// Answer is what a fake answered a request a test sent it directly.
type Answer struct {
	Status int
	Header http.Header
	Body   []byte
}

// Send sends a request to url, with query after a "?" unless it is
// empty, the way a fake's own tests need to: header
// names exactly as given (so that a test can send them in lower case), an
// empty value leaving the header out. t fails if the request cannot be
// made at all.
func Send(t testing.TB, method, url, query, body string, header map[string]string) Answer {
	t.Helper()
	if query != "" {
		url += "?" + query
	}
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		if v != "" {
			req.Header[k] = []string{v}
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return Answer{Status: resp.StatusCode, Header: resp.Header, Body: b}
}
