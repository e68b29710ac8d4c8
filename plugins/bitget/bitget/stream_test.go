package bitget_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/globalautomation/gahost/plugins/bitget/bitget"
	"github.com/globalautomation/gahost/plugins/bitget/fake"
	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/stream"
)

// watcher runs Watch for one account and collects what it emits.
type watcher struct {
	mu     sync.Mutex
	events []sdk.StreamEvent
	done   chan error
}

func watch(t *testing.T, c *bitget.Connector, acct sdk.StreamAccount) *watcher {
	t.Helper()
	wctx, cancel := context.WithCancel(context.Background())
	w := &watcher{done: make(chan error, 1)}
	go func() {
		w.done <- c.Watch(wctx, acct, func(ev sdk.StreamEvent) {
			w.mu.Lock()
			w.events = append(w.events, ev)
			w.mu.Unlock()
		})
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-w.done:
		case <-time.After(10 * time.Second):
			t.Error("Watch did not return after its context ended")
		}
	})
	return w
}

func (w *watcher) mark() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.events)
}

func (w *watcher) waitFor(t *testing.T, what string, ok func(sdk.StreamEvent) bool) sdk.StreamEvent {
	t.Helper()
	return w.waitAfter(t, 0, what, ok)
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

// ended waits for Watch to give up and returns its error.
func (w *watcher) ended(t *testing.T) error {
	t.Helper()
	select {
	case err := <-w.done:
		w.done <- err // for the cleanup
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("Watch did not give up")
		return nil
	}
}

func connected(ev sdk.StreamEvent) bool { return ev.State == sdk.StreamConnected }
func resyncing(ev sdk.StreamEvent) bool { return ev.State == sdk.StreamResyncing }

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

func positions(n int) func(sdk.StreamEvent) bool {
	return func(ev sdk.StreamEvent) bool { return ev.HasPositions && len(ev.Positions) == n }
}

var allParts = []string{sdk.CapSpotBalances, sdk.CapFuturesAccount, sdk.CapPositions}

// streamEnv is a funded account whose stream endpoint points at the
// fake's stream started with cfg, and a connector with o (fast backoff).
func streamEnv(t *testing.T, cfg fake.WSConfig, o bitget.StreamOptions) (*fake.Server, *bitget.Connector, sdk.Account) {
	t.Helper()
	e := funded(t, false)
	acct := e.Acct
	acct.Endpoints[bitget.EndpointWS] = e.Fake.StartWS(cfg)
	o.BackoffMin, o.BackoffMax = 10*time.Millisecond, 50*time.Millisecond
	e.C.SetStreamOptions(o)
	return e.Fake, e.C, acct
}

func TestStreamSeedsFromTheSocketThenPushes(t *testing.T) {
	fx, c, acct := streamEnv(t, fake.WSConfig{}, bitget.StreamOptions{})
	w := watch(t, c, sdk.StreamAccount{ID: "a1", Account: acct, Parts: allParts})
	ev := w.waitFor(t, "connected", connected)
	if !spotHas("USDT", "1000")(ev) || !spotHas("BTC", "0.5")(ev) || ev.Futures == nil || !ev.Futures.MarginBalance.Equal(d("1000")) ||
		!ev.Futures.AvailableBalance.Equal(d("1000")) || !positions(0)(ev) {
		t.Fatalf("seed = %+v", ev)
	}
	// The seed came over the socket: the one REST read learnt the key's
	// mode, nothing else was read.
	if n := fx.Calls(fake.PathSpotAssets) + fx.Calls(fake.PathFuturesAccounts) + fx.Calls(fake.PathPositions); n != 1 {
		t.Fatalf("%d REST reads, want the one mode probe", n)
	}

	fx.SetSpot(apiKey, fake.Balance{Coin: "ETH", Available: "7", Frozen: "1"})
	ev = w.waitFor(t, "ETH pushed", spotHas("ETH", "7"))
	if len(ev.Spot) != 3 || ev.Futures != nil || ev.HasPositions || !ev.Spot[1].Locked.Equal(d("1")) {
		t.Fatalf("a push must carry the whole wallet and only the spot part: %+v", ev)
	}
	fx.SetSpot(apiKey, fake.Balance{Coin: "BTC", Available: "0"})
	w.waitFor(t, "BTC gone", func(ev sdk.StreamEvent) bool { return ev.HasSpot && len(ev.Spot) == 2 && !spotHas("BTC", "0.5")(ev) })

	fx.SetFutures(apiKey, fake.FuturesRow{MarginCoin: "USDT", Available: "900", CrossedMaxAvailable: "850", AccountEquity: "1010", UnrealizedPL: "10"})
	ev = w.waitFor(t, "futures pushed", func(ev sdk.StreamEvent) bool { return ev.Futures != nil && ev.Futures.MarginBalance.Equal(d("1010")) })
	if f := ev.Futures; !f.WalletBalance.Equal(d("1000")) || !f.UnrealizedPnL.Equal(d("10")) || !f.AvailableBalance.Equal(d("850")) {
		t.Fatalf("futures = %+v", f)
	}

	fx.SetPosition(apiKey, fake.Position{Symbol: "BTCUSDT", HoldSide: "short", Total: "0.5", OpenPriceAvg: "60000", MarkPrice: "60050",
		UnrealizedPL: "-25", Leverage: "10", LiquidationPrice: "70000", MarginMode: "isolated"})
	ev = w.waitFor(t, "short pushed", positions(1))
	p := ev.Positions[0]
	if p.Symbol != "BTC/USDT:USDT" || p.Side != sdk.SideShort || !p.Size.Equal(d("0.5")) || !p.Leverage.Equal(d("10")) ||
		p.MarginMode != sdk.MarginIsolate || !p.UnrealizedPnL.Equal(d("-25")) {
		t.Fatalf("position = %+v", p)
	}
	fx.SetPosition(apiKey, fake.Position{Symbol: "ETHUSDT", HoldSide: "long", Total: "2", OpenPriceAvg: "3000", MarkPrice: "3000"})
	w.waitFor(t, "two positions", positions(2))
	// The close drops out of the positions list; positions-history says so.
	from := w.mark()
	fx.SetPosition(apiKey, fake.Position{Symbol: "BTCUSDT", HoldSide: "short", Total: "0"})
	ev = w.waitAfter(t, from, "BTC closed", positions(1))
	if ev.Positions[0].Symbol != "ETH/USDT:USDT" || ev.State != sdk.StreamData {
		t.Fatalf("after the close: %+v", ev)
	}
	if w.count(resyncing) != 0 {
		t.Fatal("resynced on a healthy connection")
	}
	if st := fx.Stats(); st.Logins != 1 || st.Subscriptions != 4 || st.Open != 1 {
		t.Fatalf("fake saw %+v", st)
	}
}

func TestStreamHealsDroppedEventsOnReconnect(t *testing.T) {
	fx, c, acct := streamEnv(t, fake.WSConfig{}, bitget.StreamOptions{})
	fx.SetPosition(apiKey, fake.Position{Symbol: "BTCUSDT", HoldSide: "long", Total: "1", OpenPriceAvg: "60000"})
	w := watch(t, c, sdk.StreamAccount{ID: "a1", Account: acct, Parts: allParts})
	w.waitFor(t, "connected with the position", func(ev sdk.StreamEvent) bool { return connected(ev) && positions(1)(ev) })
	fx.DropEvents(1)
	fx.SetSpot(apiKey, fake.Balance{Coin: "SOL", Available: "3"})
	fx.SetPosition(apiKey, fake.Position{Symbol: "BTCUSDT", HoldSide: "long", Total: "0"})
	time.Sleep(100 * time.Millisecond)
	if w.count(spotHas("SOL", "3")) != 0 || w.count(positions(0)) != 0 {
		t.Fatal("a dropped event arrived")
	}
	if fx.Stats().Dropped != 3 { // spot, positions, positions-history
		t.Fatalf("fake dropped %d", fx.Stats().Dropped)
	}
	fx.DropEvents(0)
	from := w.mark()
	fx.CutStreams()
	w.waitAfter(t, from, "resyncing after the cut", resyncing)
	ev := w.waitAfter(t, from, "the lost changes healed by the new snapshot", connected)
	if !spotHas("SOL", "3")(ev) || !positions(0)(ev) {
		t.Fatalf("re-seed = %+v", ev)
	}
}

func TestStreamMovesBeforeTheLifetimeCut(t *testing.T) {
	// The fake cuts at 600 ms; the connector moves in the last 1/48th
	// before its own (shorter) lifetime.
	fx, c, acct := streamEnv(t, fake.WSConfig{Lifetime: 600 * time.Millisecond}, bitget.StreamOptions{Lifetime: 480 * time.Millisecond})
	w := watch(t, c, sdk.StreamAccount{ID: "a1", Account: acct, Parts: []string{sdk.CapSpotBalances}})
	w.waitFor(t, "connected", connected)
	time.Sleep(1500 * time.Millisecond)
	for i := range 3 {
		fx.SetSpot(apiKey, fake.Balance{Coin: "USDT", Available: fmt.Sprint(100 + i)})
		w.waitFor(t, "a change after the moves", spotHas("USDT", fmt.Sprint(100+i)))
	}
	moved := w.count(func(ev sdk.StreamEvent) bool {
		return resyncing(ev) && strings.Contains(ev.Reason, "before the 24 h cut")
	})
	cut := w.count(func(ev sdk.StreamEvent) bool {
		return resyncing(ev) && !strings.Contains(ev.Reason, "before the 24 h cut")
	})
	if moved < 2 || cut != 0 {
		t.Fatalf("planned moves %d, unplanned resyncs %d; want moves only", moved, cut)
	}
	if st := fx.Stats(); st.Open != 1 {
		t.Fatalf("%d connections open after the moves, want 1", st.Open)
	}
}

func TestStreamHeartbeat(t *testing.T) {
	// Pinging every 150 ms keeps a connection the fake would close after
	// 400 ms of silence (and stays under its 10 messages a second).
	fx, c, acct := streamEnv(t, fake.WSConfig{PingTimeout: 400 * time.Millisecond}, bitget.StreamOptions{PingEvery: 150 * time.Millisecond})
	w := watch(t, c, sdk.StreamAccount{ID: "a1", Account: acct, Parts: []string{sdk.CapSpotBalances}})
	w.waitFor(t, "connected", connected)
	time.Sleep(1200 * time.Millisecond)
	if w.count(resyncing) != 0 || fx.Stats().Pings < 6 {
		t.Fatalf("resyncs %d, pings %d", w.count(resyncing), fx.Stats().Pings)
	}

	// A client that pings too seldom is cut, and comes back seeded.
	fx2, c2, acct2 := streamEnv(t, fake.WSConfig{PingTimeout: 200 * time.Millisecond}, bitget.StreamOptions{PingEvery: time.Hour})
	w2 := watch(t, c2, sdk.StreamAccount{ID: "a1", Account: acct2, Parts: []string{sdk.CapSpotBalances}})
	w2.waitFor(t, "resyncing after the silent cut", func(ev sdk.StreamEvent) bool {
		return resyncing(ev) && strings.Contains(ev.Reason, "closed")
	})
	fx2.SetSpot(apiKey, fake.Balance{Coin: "XRP", Available: "5"})
	w2.waitFor(t, "seeded again", func(ev sdk.StreamEvent) bool { return spotHas("XRP", "5")(ev) })
}

func TestStreamSeedsFromRESTWithoutSnapshot(t *testing.T) {
	fx, c, acct := streamEnv(t, fake.WSConfig{NoSnapshot: []string{"account|USDT-FUTURES", "positions|USDT-FUTURES"}},
		bitget.StreamOptions{SnapshotWait: 200 * time.Millisecond})
	fx.SetPosition(apiKey, fake.Position{Symbol: "ETHUSDT", HoldSide: "long", Total: "2", OpenPriceAvg: "3000", MarkPrice: "3000"})
	w := watch(t, c, sdk.StreamAccount{ID: "a1", Account: acct, Parts: allParts})
	ev := w.waitFor(t, "connected", connected)
	if ev.Futures == nil || !ev.Futures.MarginBalance.Equal(d("1000")) || !positions(1)(ev) || !spotHas("USDT", "1000")(ev) {
		t.Fatalf("seed = %+v", ev)
	}
	if fx.Calls(fake.PathFuturesAccounts) != 1 || fx.Calls(fake.PathPositions) != 1 {
		t.Fatalf("REST seeds: futures %d, positions %d; want one each", fx.Calls(fake.PathFuturesAccounts), fx.Calls(fake.PathPositions))
	}
	fx.SetFutures(apiKey, fake.FuturesRow{MarginCoin: "USDT", Available: "1500", AccountEquity: "1500", UnrealizedPL: "0"})
	w.waitFor(t, "live after a REST seed", func(ev sdk.StreamEvent) bool { return ev.Futures != nil && ev.Futures.MarginBalance.Equal(d("1500")) })
}

func TestStreamRefusedKeyFailsWithoutLeaking(t *testing.T) {
	for _, tc := range []struct {
		name string
		mut  func(a *sdk.Account)
		// known: the key's mode is known from an earlier call, so that the
		// refusal comes from the stream's login; otherwise the REST read
		// that learns the mode refuses it before any connection.
		known bool
		conns int
	}{
		{"bad secret at login", func(a *sdk.Account) { a.SecretKey = "wrong-secret-value-123" }, true, 1},
		{"bad passphrase at login", func(a *sdk.Account) { a.Passphrase = "wrong-passphrase-456" }, true, 1},
		{"bad secret at the mode probe", func(a *sdk.Account) { a.SecretKey = "wrong-secret-value-789" }, false, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fx, c, acct := streamEnv(t, fake.WSConfig{}, bitget.StreamOptions{})
			if tc.known {
				if _, err := c.SpotBalances(ctx(t), acct); err != nil {
					t.Fatal(err)
				}
			}
			bad := acct
			tc.mut(&bad)
			w := watch(t, c, sdk.StreamAccount{ID: "a1", Account: bad, Parts: allParts})
			err := w.ended(t)
			if sdk.KindOf(err) != sdk.KindAuthentication {
				t.Fatalf("Watch = %v, want an authentication error", err)
			}
			for _, s := range []string{bad.SecretKey, bad.Passphrase, bad.APIKey} {
				if strings.Contains(err.Error(), s) {
					t.Fatalf("the error leaks a credential: %v", err)
				}
			}
			if st := fx.Stats(); st.Logins != 0 || st.Connections != tc.conns {
				t.Fatalf("fake saw %+v; want %d connection(s), no login, no retry", st, tc.conns)
			}
		})
	}
}

func TestStreamCapReachedFallsBackToPolling(t *testing.T) {
	fx, c, acct := streamEnv(t, fake.WSConfig{MaxConns: 3}, bitget.StreamOptions{MaxConns: 3})
	var ws []*watcher
	for i := range 4 {
		k := fmt.Sprintf("bg_key%02d", i)
		fx.AddKey(fake.FullKey(k, "secret"+k, passphrase))
		a := acct
		a.APIKey, a.SecretKey = k, "secret"+k
		ws = append(ws, watch(t, c, sdk.StreamAccount{ID: k, Account: a, Parts: []string{sdk.CapSpotBalances}}))
		if i < 3 {
			ws[i].waitFor(t, "connected", connected)
		}
	}
	if err := ws[3].ended(t); !errors.Is(err, stream.ErrCapReached) {
		t.Fatalf("the fourth account: %v, want ErrCapReached", err)
	}
	// One account per connection: Bitget takes one login per connection.
	if st := fx.Stats(); st.Open != 3 || st.Logins != 3 || st.OverCap != 0 {
		t.Fatalf("fake saw %+v", st)
	}
	fx.SetSpot("bg_key01", fake.Balance{Coin: "DOGE", Available: "9"})
	ws[1].waitFor(t, "its own change", spotHas("DOGE", "9"))
	if ws[0].count(spotHas("DOGE", "9"))+ws[2].count(spotHas("DOGE", "9")) != 0 {
		t.Fatal("an event reached another account")
	}
}

func TestStreamFakeEnforcesTheCap(t *testing.T) {
	// A client that does not keep to the cap is answered 30007 and
	// closed; it keeps retrying (a rate limit passes), never streaming.
	fx, c, acct := streamEnv(t, fake.WSConfig{MaxConns: 1}, bitget.StreamOptions{MaxConns: 5})
	w1 := watch(t, c, sdk.StreamAccount{ID: "a1", Account: acct, Parts: []string{sdk.CapSpotBalances}})
	w1.waitFor(t, "connected", connected)
	fx.AddKey(fake.FullKey("bg_second", "secret2", passphrase))
	a2 := acct
	a2.APIKey, a2.SecretKey = "bg_second", "secret2"
	w2 := watch(t, c, sdk.StreamAccount{ID: "a2", Account: a2, Parts: []string{sdk.CapSpotBalances}})
	w2.waitFor(t, "refused over the cap", func(ev sdk.StreamEvent) bool { return resyncing(ev) && strings.Contains(ev.Reason, "30007") })
	if w2.count(connected) != 0 || fx.Stats().OverCap == 0 {
		t.Fatalf("over the cap: %+v", fx.Stats())
	}
}

func TestStreamUTAAccountIsPolled(t *testing.T) {
	e := newEnv(t)
	e.Fake.AddKey(fake.UTAKey("bg_uta", "uta-secret", passphrase))
	acct := e.Acct
	acct.APIKey, acct.SecretKey = "bg_uta", "uta-secret"
	acct.Endpoints[bitget.EndpointWS] = e.Fake.StartWS(fake.WSConfig{})
	w := watch(t, e.C, sdk.StreamAccount{ID: "u1", Account: acct, Parts: allParts})
	err := w.ended(t)
	if sdk.KindOf(err) != sdk.KindUnsupported || !strings.Contains(err.Error(), "polled") {
		t.Fatalf("Watch = %v, want unsupported", err)
	}
	if e.Fake.Stats().Connections != 0 {
		t.Fatal("a UTA account connected to the V2 stream")
	}
}
