package main

import (
	"context"
	"os/exec"
	"path/filepath"
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
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	m := newMarket(7)
	for _, ex := range exchanges {
		t.Run(ex.name, func(t *testing.T) {
			bin := filepath.Join(dir, "fake"+ex.name)
			build := exec.CommandContext(ctx, "go", "build", "-o", bin, "./fake/cmd/fake"+ex.name)
			build.Dir = filepath.Join("..", "..", "plugins", ex.name)
			if out, err := build.CombinedOutput(); err != nil {
				t.Fatalf("build: %v\n%s", err, out)
			}
			f := &fake{ex: ex, apiKey: "k" + ex.name, secret: "s", passphrase: "p", state: ex.start}
			if err := f.start(bin); err != nil {
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
