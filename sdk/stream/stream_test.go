package stream

import (
	"context"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/globalautomation/gahost/sdk"
	"github.com/shopspring/decimal"
)

func d(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func TestBookSeedThenNewerDeltas(t *testing.T) {
	b := &Book{Parts: []string{sdk.CapSpotBalances, sdk.CapPositions}}
	t0 := time.UnixMilli(1000)
	b.Begin()
	// Older than the seed: the seed already holds something newer.
	if _, live := b.Apply(Delta{At: t0.Add(-time.Second), Balances: []sdk.Balance{{Asset: "BTC", Free: d("9")}}}); live {
		t.Fatal("a delta was applied while seeding")
	}
	b.Apply(Delta{At: t0.Add(time.Second), Balances: []sdk.Balance{{Asset: "ETH", Free: d("2")}}})
	ev := b.Seed(Seed{At: t0, Spot: []sdk.Balance{{Asset: "BTC", Free: d("1")}, {Asset: "USDT", Free: d("5")}}})
	if ev.State != sdk.StreamConnected || len(ev.Spot) != 3 || !ev.Spot[0].Free.Equal(d("1")) || ev.Spot[1].Asset != "ETH" {
		t.Fatalf("seeded = %+v", ev)
	}
	if ev.Futures != nil {
		t.Fatal("futures emitted though not asked for")
	}
	ev, live := b.Apply(Delta{At: t0.Add(2 * time.Second), Balances: []sdk.Balance{{Asset: "USDT"}}})
	if !live || !ev.HasSpot || len(ev.Spot) != 2 || ev.HasPositions {
		t.Fatalf("live delta = %+v", ev)
	}
	ev, _ = b.Apply(Delta{Positions: []sdk.Position{{Symbol: "BTC/USDT:USDT", Side: sdk.SideLong, Size: d("1"), MarkPrice: d("100")}}})
	ev, _ = b.Apply(Delta{Positions: []sdk.Position{{Symbol: "BTC/USDT:USDT", Side: sdk.SideLong, Size: d("2")}}})
	if len(ev.Positions) != 1 || !ev.Positions[0].Size.Equal(d("2")) || !ev.Positions[0].MarkPrice.Equal(d("100")) {
		t.Fatalf("position merge = %+v", ev.Positions)
	}
	ev, _ = b.Apply(Delta{Positions: []sdk.Position{{Symbol: "BTC/USDT:USDT", Side: sdk.SideLong}}})
	if !ev.HasPositions || len(ev.Positions) != 0 {
		t.Fatalf("closed position kept: %+v", ev.Positions)
	}
}

func TestBookDerivesFutures(t *testing.T) {
	b := &Book{Derive: func(f *sdk.FuturesAccount, ps []sdk.Position) {
		f.UnrealizedPnL = decimal.Zero
		for _, p := range ps {
			f.UnrealizedPnL = f.UnrealizedPnL.Add(p.UnrealizedPnL)
		}
	}}
	b.Begin()
	b.Seed(Seed{Futures: &sdk.FuturesAccount{Asset: "USDT", WalletBalance: d("10")}})
	ev, _ := b.Apply(Delta{Positions: []sdk.Position{{Symbol: "X", Side: sdk.SideShort, Size: d("1"), UnrealizedPnL: d("-3")}}})
	if ev.Futures == nil || !ev.Futures.UnrealizedPnL.Equal(d("-3")) {
		t.Fatalf("derived futures = %+v", ev.Futures)
	}
}

func TestGzipRoundTrip(t *testing.T) {
	z := Gzip([]byte("Ping"))
	if !IsGzip(z) {
		t.Fatal("not gzip")
	}
	b, err := Gunzip(z)
	if err != nil || string(b) != "Ping" {
		t.Fatalf("%q %v", b, err)
	}
	if _, err := Gunzip([]byte{0x1f, 0x8b, 1}); err == nil {
		t.Fatal("a broken frame inflated")
	}
}

func TestBackoffGrowsAndResets(t *testing.T) {
	b := Backoff{Min: 100 * time.Millisecond, Max: time.Second}
	var last time.Duration
	for range 8 {
		last = b.Next()
	}
	if last < 500*time.Millisecond || last > time.Second {
		t.Fatalf("capped wait %v", last)
	}
	b.Reset()
	if w := b.Next(); w > 100*time.Millisecond {
		t.Fatalf("after reset %v", w)
	}
}

func TestLimiterSpacesAttempts(t *testing.T) {
	l := &Limiter{N: 2, Per: 150 * time.Millisecond}
	start := time.Now()
	for range 3 {
		if err := l.Wait(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if time.Since(start) < 140*time.Millisecond {
		t.Fatal("third attempt not held to the window")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	l2 := &Limiter{N: 1, Per: time.Hour}
	_ = l2.Wait(context.Background())
	if l2.Wait(ctx) == nil {
		t.Fatal("Wait ignored its context")
	}
}

// TestLimiterSchedule: queued calls run in order at the limiter's pace,
// with no goroutine waiting meanwhile; one whose ctx ends is told so at
// once and takes no slot.
func TestLimiterSchedule(t *testing.T) {
	l := &Limiter{N: 1, Per: 100 * time.Millisecond}
	ctx := context.Background()
	gone, cancel := context.WithCancel(ctx)
	start := time.Now()
	type call struct {
		i   int
		at  time.Duration
		err error
	}
	calls := make(chan call, 8)
	before := runtime.NumGoroutine()
	for i := range 4 {
		c := ctx
		if i == 1 {
			c = gone
		}
		l.Schedule(c, func(err error) { calls <- call{i, time.Since(start), err} })
	}
	if n := runtime.NumGoroutine() - before; n > 1 {
		t.Errorf("%d goroutines for 4 scheduled calls, 3 of them waiting", n)
	}
	cancel()
	var got []call
	for range 4 {
		select {
		case c := <-calls:
			got = append(got, c)
		case <-time.After(5 * time.Second):
			t.Fatalf("only %d of 4 calls: %+v", len(got), got)
		}
	}
	// 0 at once; 1's ctx ends while it waits: told at once, no slot; 2
	// takes the next window and 3 the one after.
	var order []int
	for _, c := range got {
		switch {
		case c.i == 1 && c.err == nil:
			t.Error("the call whose ctx ended was given a slot")
		case c.i == 1 && c.at > 90*time.Millisecond:
			t.Errorf("the call whose ctx ended was told after %v", c.at)
		case c.i != 1 && c.err != nil:
			t.Errorf("call %d: %v", c.i, c.err)
		case c.i != 1:
			order = append(order, c.i)
			if earliest := time.Duration(c.i-1) * 95 * time.Millisecond; c.at < earliest {
				t.Errorf("call %d ran after %v, before %v", c.i, c.at, earliest)
			}
		}
	}
	if len(order) != 3 || order[0] != 0 || order[1] != 2 || order[2] != 3 {
		t.Fatalf("order %v, want 0 2 3", order)
	}
}

func TestCap(t *testing.T) {
	c := &Cap{N: 1}
	rel, err := c.Take()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Take(); err != ErrCapReached {
		t.Fatalf("second take = %v", err)
	}
	rel()
	rel()
	if _, err := c.Take(); err != nil {
		t.Fatalf("after release: %v", err)
	}
}

type fakeConn struct {
	done   chan struct{}
	closed atomic.Bool
}

func (f *fakeConn) Done() <-chan struct{} { return f.done }
func (f *fakeConn) Close() {
	if f.closed.CompareAndSwap(false, true) {
		close(f.done)
	}
}

func TestPoolSharesAndCutsBeforeLifetime(t *testing.T) {
	var dials atomic.Int32
	p := &Pool[*fakeConn]{PerConn: 2, Lifetime: 200 * time.Millisecond, Margin: 100 * time.Millisecond,
		Dial: func(context.Context) (*fakeConn, error) {
			dials.Add(1)
			return &fakeConn{done: make(chan struct{})}, nil
		}}
	ctx := context.Background()
	a, _ := p.Acquire(ctx)
	b, _ := p.Acquire(ctx)
	c, _ := p.Acquire(ctx)
	called := make(chan struct{})
	a.AfterExpiring(func() { close(called) })
	stopped := b.AfterExpiring(func() { t.Error("a stopped callback ran") })
	if !stopped() {
		t.Fatal("AfterExpiring's stop did not stop it")
	}
	if a.Conn != b.Conn || a.Conn == c.Conn || dials.Load() != 2 {
		t.Fatalf("sharing wrong: dials %d", dials.Load())
	}
	select {
	case <-a.Expiring:
	case <-time.After(2 * time.Second):
		t.Fatal("never expiring")
	}
	select {
	case <-called:
	case <-time.After(2 * time.Second):
		t.Fatal("AfterExpiring's callback never ran")
	}
	if a.Conn.closed.Load() {
		t.Fatal("closed while users remain: the handover would have a gap")
	}
	n, _ := p.Acquire(ctx)
	if n.Conn == a.Conn {
		t.Fatal("an expiring connection was handed out")
	}
	a.Release()
	b.Release()
	if !a.Conn.closed.Load() {
		t.Fatal("the last user left but the connection stays open")
	}
}
