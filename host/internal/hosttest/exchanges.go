package hosttest

import (
	"bufio"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/globalautomation/gahost/host/internal/scheduler/schedtest"
)

// BuildFakeExchanges builds the schedtest fake exchanges' command into dir.
func BuildFakeExchanges(t testing.TB, dir string) string {
	return Build(t, "host/internal/scheduler/schedtest/fakeexchange", dir+"/fakeexchange", "")
}

// StartFakeExchanges runs the fakeexchange command bin with one port per
// name (each its own per-IP limit) and the extra flags args (-limit,
// -window, -latency, -log), and returns each name's base URL. The process
// stops when the test ends.
func StartFakeExchanges(t testing.TB, bin string, names []string, args ...string) map[string]string {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"-exchanges", strings.Join(names, ",")}, args...)...)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Closing its standard input stops it.
	t.Cleanup(func() { stdin.Close(); _ = cmd.Wait() })
	urls := map[string]string{}
	ready := make(chan struct{})
	go func() {
		defer close(ready)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() && sc.Text() != "ready" {
			if name, url, ok := strings.Cut(sc.Text(), " "); ok {
				urls[name] = url
			}
		}
	}()
	select {
	case <-ready:
	case <-time.After(15 * time.Second):
		t.Fatal("hosttest: the fake exchanges did not start")
	}
	if len(urls) != len(names) {
		t.Fatalf("hosttest: the fake exchanges reported %v", urls)
	}
	return urls
}

// ExchangeLog is the request log of a fake exchange started with -log.
func ExchangeLog(t testing.TB, url string) []schedtest.Logged {
	t.Helper()
	resp, err := controlClient.Get(url + "/_requests")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out []schedtest.Logged
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out
}

// ExchangeStats are a fake exchange's counters.
func ExchangeStats(t testing.TB, url string) schedtest.Stats {
	t.Helper()
	resp, err := controlClient.Get(url + "/_stats")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out schedtest.Stats
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out
}
