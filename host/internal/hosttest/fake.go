package hosttest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"os/exec"
	"testing"
	"time"
)

// Fake is a connector's fake exchange running as a process: the command
// under plugins/<name>/fake/cmd, built with Build. Seed it with AddAccount
// and point the connector's endpoints at URL.
type Fake struct {
	t       testing.TB
	URL     string // the fake exchange, e.g. http://127.0.0.1:41234
	WS      string // the base of its private streams, when it serves them
	control string
}

// StartFake runs the fake command bin and waits for the line in which it
// announces its addresses. The process is stopped when the test ends.
func StartFake(t testing.TB, bin string, args ...string) *Fake {
	t.Helper()
	cmd := exec.Command(bin, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
	})
	type hello struct{ URL, Control, WS string }
	got := make(chan hello, 1)
	go func() {
		var h hello
		if line, err := bufio.NewReader(out).ReadBytes('\n'); err == nil && json.Unmarshal(line, &h) == nil {
			got <- h
		}
		close(got)
	}()
	select {
	case h, ok := <-got:
		if !ok || h.URL == "" || h.Control == "" {
			t.Fatalf("hosttest: fake %s did not announce its addresses\n%s", bin, stderr.String())
		}
		return &Fake{t: t, URL: h.URL, WS: h.WS, control: h.Control}
	case <-time.After(15 * time.Second):
		t.Fatalf("hosttest: fake %s did not start\n%s", bin, stderr.String())
		return nil
	}
}

// AddAccount registers an API key and the account behind it, written as
// the fake package's Key and Account types with their Go field names.
func (f *Fake) AddAccount(key, account any) {
	f.t.Helper()
	b, err := json.Marshal(map[string]any{"key": key, "account": account})
	if err != nil {
		f.t.Fatal(err)
	}
	resp, err := controlClient.Post(f.control+"/accounts", "application/json", bytes.NewReader(b))
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		var e struct{ Error string }
		_ = json.NewDecoder(resp.Body).Decode(&e)
		f.t.Fatalf("hosttest: fake refused the account: %d %s", resp.StatusCode, e.Error)
	}
}

// Control posts body (JSON) to path on the fake's control address, for
// the controls a fake adds of its own (e.g. a stream event, dropping
// events, cutting connections); it fails the test unless the fake answers
// 2xx.
func (f *Fake) Control(path string, body any) {
	f.t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		f.t.Fatal(err)
	}
	resp, err := controlClient.Post(f.control+path, "application/json", bytes.NewReader(b))
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		var e struct{ Error string }
		_ = json.NewDecoder(resp.Body).Decode(&e)
		f.t.Fatalf("hosttest: fake control %s: %d %s", path, resp.StatusCode, e.Error)
	}
}

// Get decodes the JSON answer of GET path on the control address into out.
func (f *Fake) Get(path string, out any) {
	f.t.Helper()
	resp, err := controlClient.Get(f.control + path)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		f.t.Fatal(err)
	}
}

// Calls is how many requests the fake received on path.
func (f *Fake) Calls(path string) int {
	f.t.Helper()
	resp, err := controlClient.Get(f.control + "/calls?path=" + url.QueryEscape(path))
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct{ Calls int }
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		f.t.Fatal(err)
	}
	return out.Calls
}

// controlClient talks to a fake exchange's control address. It has a
// transport of its own: tests may replace http.DefaultTransport with one
// that checks every answer against the daemon's API document, and the
// fake's control answers are not the daemon's.
var controlClient = &http.Client{Transport: &http.Transport{}, Timeout: 30 * time.Second}

// Request is a request the fake received, as its control address lists
// it: headers (signatures, keys) left out.
type Request struct {
	Method string
	Query  string
	Body   string
	Status int
}

// Requests lists the requests the fake received on path, oldest first.
func (f *Fake) Requests(path string) []Request {
	f.t.Helper()
	resp, err := controlClient.Get(f.control + "/requests?path=" + url.QueryEscape(path))
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out []Request
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		f.t.Fatal(err)
	}
	return out
}
