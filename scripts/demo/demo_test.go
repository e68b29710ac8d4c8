package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestAmounts(t *testing.T) {
	for _, c := range []struct {
		in     string
		places int
		want   string
	}{
		{"61250.5", 6, "61250.5"}, {"0.000001", 6, "0.000001"}, {"-12.25", 6, "-12.25"}, {"3", 6, "3"},
		{"-0.5", 2, "-0.50"}, {"1.239", 2, "1.23"}, {"0", 2, "0.00"}, {"-0.001", 2, "0.00"},
	} {
		if got := d(c.in).fixed(c.places); got != c.want {
			t.Errorf("%s with %d places = %q, want %q", c.in, c.places, got, c.want)
		}
	}
	if got := mul(d("60110.4"), d("0.25")); got != d("15027.6") {
		t.Errorf("mul = %s", got)
	}
	p := position{base: "BTC", long: false, size: d("2"), entry: d("100"), leverage: 10}
	m := &market{prices: map[string]amt{"BTC": d("90.5")}}
	if got := p.upnl(m); got != d("19") {
		t.Errorf("a short's P&L = %s, want 19", got)
	}
}

// Every price stays positive however long the market walks.
func TestMarketWalks(t *testing.T) {
	m := newMarket(1)
	start := m.prices["BTC"]
	for range 10000 {
		m.tick()
	}
	for base, p := range m.prices {
		if p <= 0 {
			t.Errorf("%s fell to %s", base, p)
		}
	}
	if m.prices["BTC"] == start {
		t.Error("the price never moved")
	}
}

// Each connector's fake takes the demo's key and account as they are
// written, before and after the market moves: a field renamed in a fake
// fails here (the fakes refuse unknown fields), not in a running demo.
func TestFakesTakeTheDemoAccounts(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the five fake exchanges")
	}
	dir := binaries(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	m := newMarket(7)
	for _, ex := range exchanges {
		t.Run(ex.name, func(t *testing.T) {
			f := &fake{ex: ex, apiKey: "k" + ex.name, secret: "s", passphrase: "p", state: ex.start}
			if err := f.start(filepath.Join(dir, "demo", "fake"+ex.name)); err != nil {
				t.Fatal(err)
			}
			defer f.proc.stop()
			for range 3 {
				if err := f.push(ctx, m); err != nil {
					t.Fatal(err)
				}
				m.tick()
				f.state.drift(m.rng)
			}
		})
	}
}

// built is what `make demo` builds, laid out as -bin wants it, made once
// for every test that needs it and removed by TestMain.
var built struct {
	once sync.Once
	dir  string
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if built.dir != "" {
		os.RemoveAll(built.dir)
	}
	os.Exit(code)
}

// binaries builds the daemon, every connector and every fake exchange
// command into a -bin directory, once, and returns it.
func binaries(t *testing.T) string {
	t.Helper()
	built.once.Do(func() {
		if built.dir, built.err = os.MkdirTemp("", "gahost-demo-test-"); built.err != nil {
			return
		}
		root := filepath.Join("..", "..")
		steps := [][]string{{"host", filepath.Join(built.dir, "gahost"), "./cmd/gahost"}}
		for _, ex := range exchanges {
			dir := filepath.Join("plugins", ex.name)
			steps = append(steps, []string{dir, filepath.Join(built.dir, "plugins", "gahost-plugin-"+ex.name), "."},
				[]string{dir, filepath.Join(built.dir, "demo", "fake"+ex.name), "./fake/cmd/fake" + ex.name})
		}
		for _, s := range steps {
			build := exec.Command("go", "build", "-o", s[1], s[2])
			build.Dir = filepath.Join(root, s[0])
			if out, err := build.CombinedOutput(); err != nil {
				built.err = fmt.Errorf("build %s in %s: %v\n%s", s[2], s[0], err, out)
				return
			}
		}
	})
	if built.err != nil {
		t.Fatal(built.err)
	}
	return built.dir
}

// The demo streams: every exchange's account is watched over its private
// streams, none polled, and a change the demo makes reaches the dashboard
// while the next poll is an hour away.
func TestDemoStreamsItsChanges(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and starts the daemon, the connectors and the fakes")
	}
	bin := binaries(t)
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	listen := l.Addr().String()
	l.Close()
	dir := t.TempDir()
	dm, err := start(ctx, bin, dir, listen, "1h")
	if err != nil {
		t.Fatal(err)
	}
	defer dm.stop()
	c := &client{ctx: ctx, base: dm.base, token: dm.token}
	logTail := func() string {
		b, _ := os.ReadFile(dm.logPath)
		return string(b[max(0, len(b)-8000):])
	}

	type counts struct {
		Streamed int `json:"streamed"`
		Polled   int `json:"polled"`
	}
	var shown map[string]counts
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		var list []struct {
			Name    string  `json:"name"`
			Streams *counts `json:"streams"`
		}
		if err := c.do("GET", "/api/v1/exchanges", nil, &list); err != nil {
			t.Fatal(err)
		}
		shown = map[string]counts{}
		all := len(list) == len(exchanges)
		for _, e := range list {
			if e.Streams != nil {
				shown[e.Name] = *e.Streams
			}
			all = all && e.Streams != nil && *e.Streams == counts{Streamed: 1}
		}
		if all {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not every exchange streams its account: %+v\n%s", shown, logTail())
		}
	}
	t.Logf("streamed and polled accounts per exchange: %+v", shown)

	for _, f := range dm.fakes {
		h := &f.state.spot[0]
		h.free += d("1.25")
		if err := f.push(ctx, dm.market); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		for {
			var spot struct {
				Balances []struct {
					Asset string `json:"asset"`
					Free  string `json:"free"`
				} `json:"balances"`
			}
			if err := c.do("GET", "/api/v1/dashboard/spot-balances/"+f.accountID, nil, &spot); err != nil {
				t.Fatal(err)
			}
			got := ""
			for _, b := range spot.Balances {
				if b.Asset == h.asset {
					got = plain(b.Free)
				}
			}
			if got == h.free.String() {
				t.Logf("%s: %s %s shown after %s", f.ex.name, h.asset, got, time.Since(start).Round(time.Millisecond))
				break
			}
			if time.Since(start) > 10*time.Second {
				t.Fatalf("%s: the dashboard shows %s %q, not %s, after 10s\n%s", f.ex.name, h.asset, got, h.free, logTail())
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}

// plain is a decimal without trailing zeros after its point.
func plain(s string) string {
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}
