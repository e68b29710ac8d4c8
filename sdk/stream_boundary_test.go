package sdk_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/globalautomation/gahost/sdk"
	"github.com/shopspring/decimal"
)

// streamer watches every account by emitting connected, one change and,
// for an account whose key is "bad", a failure that quotes the secret.
type streamer struct {
	echo
	stopped chan string
}

func (s *streamer) Watch(ctx context.Context, a sdk.StreamAccount, emit func(sdk.StreamEvent)) error {
	if a.Account.APIKey == "bad" {
		return &sdk.Error{Kind: sdk.KindAuthentication, Message: "key rejected: " + a.Account.SecretKey}
	}
	emit(sdk.StreamEvent{State: sdk.StreamConnected})
	f := sdk.FuturesAccount{Asset: "USDT", WalletBalance: decimal.RequireFromString("12.5")}
	emit(sdk.StreamEvent{HasSpot: true, Spot: []sdk.Balance{{Asset: "BTC", Free: decimal.RequireFromString("0.5")}},
		Futures: &f, HasPositions: true, At: time.UnixMilli(1700000000123)})
	<-ctx.Done()
	s.stopped <- a.ID
	return nil
}

// startStreamer is streamer served through StartWatch: it returns at
// once and reports the watch's end through done.
type startStreamer struct {
	*streamer
	started *atomic.Int32
}

func (s startStreamer) StartWatch(ctx context.Context, a sdk.StreamAccount, emit func(sdk.StreamEvent), done func(error)) {
	s.started.Add(1)
	go func() { done(s.Watch(ctx, a, emit)) }()
}

var _ sdk.WatchStarter = startStreamer{}

func TestStreamCrossesTheBoundary(t *testing.T) {
	t.Run("Watch", func(t *testing.T) {
		impl := &streamer{stopped: make(chan string, 4)}
		testStreamCrossesTheBoundary(t, impl, impl)
	})
	t.Run("StartWatch", func(t *testing.T) {
		impl := &streamer{stopped: make(chan string, 4)}
		var started atomic.Int32
		testStreamCrossesTheBoundary(t, startStreamer{impl, &started}, impl)
		if n := started.Load(); n != 2 {
			t.Fatalf("StartWatch served %d watches of 2: Serve must prefer it to Watch", n)
		}
	})
}

func testStreamCrossesTheBoundary(t *testing.T, served sdk.Exchange, impl *streamer) {
	c := pair(t, served)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st, err := c.OpenStream(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Watch(sdk.StreamAccount{ID: "a1", Account: sdk.Account{APIKey: "k", SecretKey: "s"}, Parts: []string{sdk.CapSpotBalances}}); err != nil {
		t.Fatal(err)
	}
	ev, err := st.Recv()
	if err != nil || ev.AccountID != "a1" || ev.State != sdk.StreamConnected || ev.HasData() {
		t.Fatalf("first event = %+v, %v; want a1 connected without data", ev, err)
	}
	ev, err = st.Recv()
	if err != nil || ev.State != sdk.StreamData || !ev.HasSpot || len(ev.Spot) != 1 || !ev.Spot[0].Free.Equal(decimal.RequireFromString("0.5")) ||
		ev.Futures == nil || !ev.Futures.WalletBalance.Equal(decimal.RequireFromString("12.5")) || !ev.HasPositions || len(ev.Positions) != 0 ||
		ev.At.UnixMilli() != 1700000000123 {
		t.Fatalf("data event = %+v, %v", ev, err)
	}
	if err := st.Unwatch("a1"); err != nil {
		t.Fatal(err)
	}
	select {
	case id := <-impl.stopped:
		if id != "a1" {
			t.Fatalf("stopped %q", id)
		}
	case <-ctx.Done():
		t.Fatal("unwatch did not end the watch")
	}
	if err := st.Watch(sdk.StreamAccount{ID: "a2", Account: sdk.Account{APIKey: "bad", SecretKey: "s3cr3t-value"}}); err != nil {
		t.Fatal(err)
	}
	ev, err = st.Recv()
	if err != nil || ev.AccountID != "a2" || ev.State != sdk.StreamFailed || ev.Kind != sdk.KindAuthentication {
		t.Fatalf("failure event = %+v, %v", ev, err)
	}
	if strings.Contains(ev.Reason, "s3cr3t-value") {
		t.Fatalf("the reason leaks the secret: %q", ev.Reason)
	}
}

func TestStreamUnsupportedByPlainConnector(t *testing.T) {
	c := pair(t, &echo{})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st, err := c.OpenStream(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	_, err = st.Recv()
	if !errors.Is(err, sdk.ErrUnsupported) {
		t.Fatalf("Recv = %v, want unsupported", err)
	}
}
