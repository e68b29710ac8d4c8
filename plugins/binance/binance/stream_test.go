package binance_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/globalautomation/gahost/plugins/binance/binance"
	"github.com/globalautomation/gahost/plugins/binance/fake"
	"github.com/globalautomation/gahost/sdk"
)

// watcher runs Watch for one account and collects what it emits.
type watcher struct {
	mu     sync.Mutex
	events []sdk.StreamEvent
	done   chan error
	cancel context.CancelFunc
}

func watch(t *testing.T, c *binance.Connector, acct sdk.StreamAccount) *watcher {
	t.Helper()
	wctx, cancel := context.WithCancel(context.Background())
	w := &watcher{done: make(chan error, 1), cancel: cancel}
	go func() {
		w.done <- c.Watch(wctx, acct, func(ev sdk.StreamEvent) {
			w.mu.Lock()
			w.events = append(w.events, ev)
			w.mu.Unlock()
		})
	}()
	t.Cleanup(func() { cancel(); <-w.done })
	return w
}

// waitFor waits until some event satisfies ok.
func (w *watcher) waitFor(t *testing.T, what string, ok func(sdk.StreamEvent) bool) sdk.StreamEvent {
	t.Helper()
	return w.waitAfter(t, 0, what, ok)
}

// mark is how many events have come so far.
func (w *watcher) mark() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.events)
}

// waitAfter waits until an event after the first from satisfies ok.
func (w *watcher) waitAfter(t *testing.T, from int, what string, ok func(sdk.StreamEvent) bool) sdk.StreamEvent {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		w.mu.Lock()
		for _, ev := range w.events[from:] {
			if ok(ev) {
				w.mu.Unlock()
				return ev
			}
		}
		w.mu.Unlock()
		time.Sleep(5 * time.Millisecond)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	t.Fatalf("no event %s; got %+v", what, w.events)
	return sdk.StreamEvent{}
}

func (w *watcher) count(ok func(sdk.StreamEvent) bool) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := 0
	for _, ev := range w.events {
		if ok(ev) {
			n++
		}
	}
	return n
}

func spotHas(asset, free string) func(sdk.StreamEvent) bool {
	return func(ev sdk.StreamEvent) bool {
		if !ev.HasSpot {
			return false
		}
		for _, b := range ev.Spot {
			if b.Asset == asset && b.Free.Equal(d(free)) {
				return true
			}
		}
		return false
	}
}

func connected(ev sdk.StreamEvent) bool { return ev.State == sdk.StreamConnected }

func streamEnv(t *testing.T, cfg fake.WSConfig, o binance.StreamOptions) (*fake.Server, *binance.Connector, sdk.Account) {
	e := newEnv(t)
	ws := e.Fake.StartWS(cfg)
	acct := e.Acct
	acct.Endpoints = map[string]string{binance.EndpointSpot: e.Fake.URL(), binance.EndpointFutures: e.Fake.URL(),
		binance.EndpointSpotWS: ws, binance.EndpointFuturesWS: ws}
	o.BackoffMin, o.BackoffMax = 10*time.Millisecond, 50*time.Millisecond
	e.C.SetStreamOptions(o)
	return e.Fake, e.C, acct
}

func TestSpotStreamSeedsThenPushes(t *testing.T) {
	fx, c, acct := streamEnv(t, fake.WSConfig{}, binance.StreamOptions{})
	fx.SetSpot(apiKey, "BTC", "1.5", "0")
	w := watch(t, c, sdk.StreamAccount{ID: "a1", Account: acct, Parts: []string{sdk.CapSpotBalances}})
	// The exchange sends no snapshot: the BTC row can only come from the
	// REST seed.
	ev := w.waitFor(t, "connected with the seed", connected)
	if !spotHas("BTC", "1.5")(ev) {
		t.Fatalf("connected event lacks the seed: %+v", ev)
	}
	fx.SetSpot(apiKey, "USDT", "250", "10")
	ev = w.waitFor(t, "USDT pushed", spotHas("USDT", "250"))
	if len(ev.Spot) != 2 || ev.Futures != nil {
		t.Fatalf("a push must carry the whole wallet and only the spot part: %+v", ev)
	}
	fx.SetSpot(apiKey, "BTC", "0", "0")
	w.waitFor(t, "BTC gone", func(ev sdk.StreamEvent) bool { return ev.HasSpot && len(ev.Spot) == 1 && ev.Spot[0].Asset == "USDT" })
}

func TestSpotStreamHealsDroppedEventsOnReconnect(t *testing.T) {
	fx, c, acct := streamEnv(t, fake.WSConfig{}, binance.StreamOptions{})
	w := watch(t, c, sdk.StreamAccount{ID: "a1", Account: acct, Parts: []string{sdk.CapSpotBalances}})
	w.waitFor(t, "connected", connected)
	fx.DropEvents(1)
	fx.SetSpot(apiKey, "ETH", "7", "0")
	time.Sleep(100 * time.Millisecond)
	if w.count(spotHas("ETH", "7")) != 0 {
		t.Fatal("a dropped event arrived")
	}
	fx.DropEvents(0)
	fx.CutStreams()
	w.waitFor(t, "resyncing after the cut", func(ev sdk.StreamEvent) bool { return ev.State == sdk.StreamResyncing })
	w.waitFor(t, "the lost change healed by the re-seed", spotHas("ETH", "7"))
}

func TestSpotStreamMovesBeforeTheLifetimeCut(t *testing.T) {
	// The fake cuts at 600 ms; the connector moves within the last 1/48th
	// before its own (shorter) lifetime.
	fx, c, acct := streamEnv(t, fake.WSConfig{Lifetime: 600 * time.Millisecond}, binance.StreamOptions{Lifetime: 480 * time.Millisecond})
	w := watch(t, c, sdk.StreamAccount{ID: "a1", Account: acct, Parts: []string{sdk.CapSpotBalances}})
	w.waitFor(t, "connected", connected)
	time.Sleep(1500 * time.Millisecond)
	for i := range 3 {
		fx.SetSpot(apiKey, "USDT", fmt.Sprint(100+i), "0")
		w.waitFor(t, "a change after the moves", spotHas("USDT", fmt.Sprint(100+i)))
	}
	moved := w.count(func(ev sdk.StreamEvent) bool {
		return ev.State == sdk.StreamResyncing && strings.Contains(ev.Reason, "before the 24 h cut")
	})
	cut := w.count(func(ev sdk.StreamEvent) bool {
		return ev.State == sdk.StreamResyncing && !strings.Contains(ev.Reason, "before the 24 h cut")
	})
	if moved == 0 || cut != 0 {
		t.Fatalf("planned moves %d, unplanned resyncs %d; want moves only", moved, cut)
	}
}

func TestSpotStreamSharesOneConnection(t *testing.T) {
	fx, c, acct := streamEnv(t, fake.WSConfig{}, binance.StreamOptions{SeedsPerMinute: 1000})
	const n = 40
	var ws []*watcher
	for i := range n {
		k := fmt.Sprintf("key%02d", i)
		fx.AddKey(fake.FullKey(k, "secret"+k))
		a := acct
		a.APIKey, a.SecretKey = k, "secret"+k
		ws = append(ws, watch(t, c, sdk.StreamAccount{ID: k, Account: a, Parts: []string{sdk.CapSpotBalances}}))
	}
	for _, w := range ws {
		w.waitFor(t, "connected", connected)
	}
	fx.SetSpot("key07", "SOL", "3", "0")
	ws[7].waitFor(t, "its own change", spotHas("SOL", "3"))
	if ws[8].count(spotHas("SOL", "3")) != 0 {
		t.Fatal("an event reached another account")
	}
	if got := c.SpotConnections(acct.Endpoints[binance.EndpointSpotWS]); got != 1 {
		t.Fatalf("%d accounts on %d connections, want 1", n, got)
	}
	if st := fx.Stats(); st.Connections != 1 || st.Subscriptions != n {
		t.Fatalf("fake saw %+v", st)
	}
}

func TestSpotStreamBadKeyFails(t *testing.T) {
	_, c, acct := streamEnv(t, fake.WSConfig{}, binance.StreamOptions{})
	acct.SecretKey = "wrong-secret-value"
	w := watch(t, c, sdk.StreamAccount{ID: "a1", Account: acct, Parts: []string{sdk.CapSpotBalances}})
	select {
	case err := <-w.done:
		if sdk.KindOf(err) != sdk.KindAuthentication || strings.Contains(err.Error(), "wrong-secret-value") {
			t.Fatalf("Watch = %v", err)
		}
		w.done <- err
	case <-time.After(10 * time.Second):
		t.Fatal("a refused signature did not end the watch")
	}
}

func TestFuturesStreamListenKey(t *testing.T) {
	fx, c, acct := streamEnv(t, fake.WSConfig{ListenKeyTTL: 400 * time.Millisecond}, binance.StreamOptions{ListenKeyRenew: 100 * time.Millisecond})
	fx.SetFutures(apiKey, "1000")
	w := watch(t, c, sdk.StreamAccount{ID: "a1", Account: acct, Parts: []string{sdk.CapFuturesAccount, sdk.CapPositions}})
	ev := w.waitFor(t, "connected", connected)
	if ev.Futures == nil || !ev.Futures.WalletBalance.Equal(d("1000")) || !ev.HasPositions {
		t.Fatalf("seed = %+v", ev)
	}
	// Kept alive past the key's 400 ms life.
	time.Sleep(700 * time.Millisecond)
	fx.SetFutures(apiKey, "1200")
	w.waitFor(t, "wallet pushed", func(ev sdk.StreamEvent) bool { return ev.Futures != nil && ev.Futures.WalletBalance.Equal(d("1200")) })
	fx.SetPosition(apiKey, fake.Position{Symbol: "BTCUSDT", PositionSide: "BOTH", PositionAmt: "-0.5", EntryPrice: "60000", MarkPrice: "60050", UnRealizedProfit: "-25", LiquidationPrice: "0"})
	ev = w.waitFor(t, "short pushed", func(ev sdk.StreamEvent) bool { return ev.HasPositions && len(ev.Positions) == 1 })
	p := ev.Positions[0]
	if p.Symbol != "BTC/USDT:USDT" || p.Side != sdk.SideShort || !p.Size.Equal(d("0.5")) || ev.Futures == nil || !ev.Futures.UnrealizedPnL.Equal(d("-25")) {
		t.Fatalf("position event = %+v", ev)
	}
	if w.count(func(ev sdk.StreamEvent) bool { return ev.State == sdk.StreamResyncing }) != 0 {
		t.Fatal("resynced although the key was kept alive")
	}
	// An expiry that leaves the socket open must still be noticed.
	from := w.mark()
	fx.ExpireListenKey(apiKey)
	w.waitAfter(t, from, "resyncing on listenKeyExpired", func(ev sdk.StreamEvent) bool {
		return ev.State == sdk.StreamResyncing && strings.Contains(ev.Reason, "listenKey expired")
	})
	ev = w.waitAfter(t, from, "connected again", func(ev sdk.StreamEvent) bool { return connected(ev) && ev.Futures != nil })
	if len(ev.Positions) != 1 || !ev.Futures.WalletBalance.Equal(d("1200")) {
		t.Fatalf("re-seed = %+v", ev)
	}
	from = w.mark()
	fx.SetPosition(apiKey, fake.Position{Symbol: "BTCUSDT", PositionSide: "BOTH", PositionAmt: "0", MarkPrice: "60050", LiquidationPrice: "0"})
	w.waitAfter(t, from, "closed on the new key", func(ev sdk.StreamEvent) bool {
		return ev.HasPositions && len(ev.Positions) == 0 && ev.State == sdk.StreamData
	})
}

// An account streamed whole has two sessions, one per product; neither
// may report the other's parts (as empty) in its seed or its pushes.
func TestBothProductsKeepTheirOwnParts(t *testing.T) {
	fx, c, acct := streamEnv(t, fake.WSConfig{}, binance.StreamOptions{})
	fx.SetSpot(apiKey, "BTC", "1.5", "0")
	fx.SetFutures(apiKey, "1000")
	w := watch(t, c, sdk.StreamAccount{ID: "a1", Account: acct,
		Parts: []string{sdk.CapSpotBalances, sdk.CapFuturesAccount, sdk.CapPositions}})
	w.waitFor(t, "connected", connected)
	fx.SetSpot(apiKey, "USDT", "5", "0")
	w.waitFor(t, "USDT pushed", spotHas("USDT", "5"))
	fx.SetFutures(apiKey, "1100")
	w.waitFor(t, "wallet pushed", func(ev sdk.StreamEvent) bool { return ev.Futures != nil && ev.Futures.WalletBalance.Equal(d("1100")) })
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, ev := range w.events {
		if ev.HasSpot && !spotHas("BTC", "1.5")(ev) {
			t.Errorf("an event reports the spot wallet without BTC: %+v", ev)
		}
		if ev.HasSpot && (ev.Futures != nil || ev.HasPositions) {
			t.Errorf("an event mixes the spot wallet with futures parts: %+v", ev)
		}
	}
}
