package binance_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/globalautomation/gahost/plugins/binance/binance"
	"github.com/globalautomation/gahost/plugins/binance/fake"
	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/plugintest"
)

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

// addAccounts adds n keys named by format (and their index) to fx, each
// with its own secret, and returns their accounts on acct's endpoints,
// streaming parts, with the key as the account's id.
func addAccounts(fx *fake.Server, acct sdk.Account, format string, n int, parts ...string) []sdk.StreamAccount {
	out := make([]sdk.StreamAccount, n)
	for i := range n {
		k := fmt.Sprintf(format, i)
		fx.AddKey(fake.FullKey(k, "secret"+k))
		a := acct
		a.APIKey, a.SecretKey = k, "secret"+k
		out[i] = sdk.StreamAccount{ID: k, Account: a, Parts: parts}
	}
	return out
}

func TestSpotStreamSeedsThenPushes(t *testing.T) {
	fx, c, acct := streamEnv(t, fake.WSConfig{}, binance.StreamOptions{})
	fx.SetSpot(apiKey, "BTC", "1.5", "0")
	w := plugintest.Watch(t, c, sdk.StreamAccount{ID: "a1", Account: acct, Parts: []string{sdk.CapSpotBalances}})
	// The exchange sends no snapshot: the BTC row can only come from the
	// REST seed.
	ev := w.WaitFor(t, "connected with the seed", plugintest.Connected)
	if !plugintest.SpotHas("BTC", "1.5")(ev) {
		t.Fatalf("connected event lacks the seed: %+v", ev)
	}
	fx.SetSpot(apiKey, "USDT", "250", "10")
	ev = w.WaitFor(t, "USDT pushed", plugintest.SpotHas("USDT", "250"))
	if len(ev.Spot) != 2 || ev.Futures != nil {
		t.Fatalf("a push must carry the whole wallet and only the spot part: %+v", ev)
	}
	fx.SetSpot(apiKey, "BTC", "0", "0")
	w.WaitFor(t, "BTC gone", func(ev sdk.StreamEvent) bool { return ev.HasSpot && len(ev.Spot) == 1 && ev.Spot[0].Asset == "USDT" })
}

// TestSpotStreamConformance runs the shared stream checks on the spot
// stream. Binance shares a spot connection between accounts, so the
// connector keeps no per-IP cap of its own.
func TestSpotStreamConformance(t *testing.T) {
	plugintest.RunStream(t, plugintest.StreamKit{
		New: func(t *testing.T) plugintest.StreamSetup {
			fx, c, acct := streamEnv(t, fake.WSConfig{}, binance.StreamOptions{})
			return plugintest.StreamSetup{Streamer: c, Fake: fx,
				Account: sdk.StreamAccount{ID: "a1", Account: acct, Parts: []string{sdk.CapSpotBalances}},
				SetSpot: func(a sdk.Account, asset, free string) { fx.SetSpot(a.APIKey, asset, free, "0") }}
		},
		BadKeys: []plugintest.BadStreamKey{{Name: "wrong secret", Tweak: func(a *sdk.Account) { a.SecretKey = "wrong-secret-value" }}},
	})
}

func TestSpotStreamSharesOneConnection(t *testing.T) {
	fx, c, acct := streamEnv(t, fake.WSConfig{}, binance.StreamOptions{SeedsPerMinute: 1000})
	const n = 40
	ws := plugintest.WatchAllConnected(t, c, addAccounts(fx, acct, "key%02d", n, sdk.CapSpotBalances)...)
	fx.SetSpot("key07", "SOL", "3", "0")
	plugintest.OwnEvent(t, ws, 7, plugintest.SpotHas("SOL", "3"))
	if got := c.SpotConnections(acct.Endpoints[binance.EndpointSpotWS]); got != 1 {
		t.Fatalf("%d accounts on %d connections, want 1", n, got)
	}
	if st := fx.Stats(); st.Connections != 1 || st.Subscriptions != n {
		t.Fatalf("fake saw %+v", st)
	}
}

func TestFuturesStreamListenKey(t *testing.T) {
	fx, c, acct := streamEnv(t, fake.WSConfig{ListenKeyTTL: 400 * time.Millisecond}, binance.StreamOptions{ListenKeyRenew: 100 * time.Millisecond})
	fx.SetFutures(apiKey, "1000")
	w := plugintest.Watch(t, c, sdk.StreamAccount{ID: "a1", Account: acct, Parts: []string{sdk.CapFuturesAccount, sdk.CapPositions}})
	ev := w.WaitFor(t, "connected", plugintest.Connected)
	if !plugintest.FuturesWallet("1000")(ev) || !ev.HasPositions {
		t.Fatalf("seed = %+v", ev)
	}
	// Kept alive past the key's 400 ms life.
	time.Sleep(700 * time.Millisecond)
	fx.SetFutures(apiKey, "1200")
	w.WaitFor(t, "wallet pushed", plugintest.FuturesWallet("1200"))
	fx.SetPosition(apiKey, fake.Position{Symbol: "BTCUSDT", PositionSide: "BOTH", PositionAmt: "-0.5", EntryPrice: "60000", MarkPrice: "60050", UnRealizedProfit: "-25", LiquidationPrice: "0"})
	ev = w.WaitFor(t, "short pushed", func(ev sdk.StreamEvent) bool { return ev.HasPositions && len(ev.Positions) == 1 })
	p := ev.Positions[0]
	if p.Symbol != "BTC/USDT:USDT" || p.Side != sdk.SideShort || !p.Size.Equal(d("0.5")) || ev.Futures == nil || !ev.Futures.UnrealizedPnL.Equal(d("-25")) {
		t.Fatalf("position event = %+v", ev)
	}
	if w.Count(func(ev sdk.StreamEvent) bool { return ev.State == sdk.StreamResyncing }) != 0 {
		t.Fatal("resynced although the key was kept alive")
	}
	// An expiry that leaves the socket open must still be noticed.
	from := w.Mark()
	fx.ExpireListenKey(apiKey)
	w.WaitAfter(t, from, "resyncing on listenKeyExpired", plugintest.ResyncingFor("listenKey expired"))
	ev = w.WaitAfter(t, from, "connected again", func(ev sdk.StreamEvent) bool { return plugintest.Connected(ev) && ev.Futures != nil })
	if len(ev.Positions) != 1 || !ev.Futures.WalletBalance.Equal(d("1200")) {
		t.Fatalf("re-seed = %+v", ev)
	}
	from = w.Mark()
	fx.SetPosition(apiKey, fake.Position{Symbol: "BTCUSDT", PositionSide: "BOTH", PositionAmt: "0", MarkPrice: "60050", LiquidationPrice: "0"})
	w.WaitAfter(t, from, "closed on the new key", func(ev sdk.StreamEvent) bool {
		return ev.HasPositions && len(ev.Positions) == 0 && ev.State == sdk.StreamData
	})
}

// An account streamed whole has two sessions, one per product; neither
// may report the other's parts (as empty) in its seed or its pushes.
func TestBothProductsKeepTheirOwnParts(t *testing.T) {
	fx, c, acct := streamEnv(t, fake.WSConfig{}, binance.StreamOptions{})
	fx.SetSpot(apiKey, "BTC", "1.5", "0")
	fx.SetFutures(apiKey, "1000")
	w := plugintest.WatchConnected(t, c, sdk.StreamAccount{ID: "a1", Account: acct,
		Parts: []string{sdk.CapSpotBalances, sdk.CapFuturesAccount, sdk.CapPositions}})
	fx.SetSpot(apiKey, "USDT", "5", "0")
	w.WaitFor(t, "USDT pushed", plugintest.SpotHas("USDT", "5"))
	fx.SetFutures(apiKey, "1100")
	w.WaitFor(t, "wallet pushed", plugintest.FuturesWallet("1100"))
	for _, ev := range w.Events() {
		if ev.HasSpot && !plugintest.SpotHas("BTC", "1.5")(ev) {
			t.Errorf("an event reports the spot wallet without BTC: %+v", ev)
		}
		if ev.HasSpot && (ev.Futures != nil || ev.HasPositions) {
			t.Errorf("an event mixes the spot wallet with futures parts: %+v", ev)
		}
	}
}

// USDⓈ-M listenKeys share /private/stream connections, FuturesPerConnection
// each, subscribed no faster than the connection's message rate: a fake
// that cuts a connection past 4 client messages a second never has to.
func TestFuturesStreamsShareConnections(t *testing.T) {
	fx, c, acct := streamEnv(t, fake.WSConfig{MaxMessages: 4},
		binance.StreamOptions{SeedsPerMinute: 1000, FuturesPerConnection: 3, FuturesMessages: 3})
	const n = 7
	accts := addAccounts(fx, acct, "fkey%02d", n, sdk.CapFuturesAccount)
	for _, a := range accts {
		fx.SetFutures(a.ID, "100")
	}
	ws := plugintest.WatchAllConnected(t, c, accts...)
	fx.SetFutures("fkey05", "555")
	plugintest.OwnEvent(t, ws, 5, plugintest.FuturesWallet("555"))
	if got := c.FuturesConnections(acct.Endpoints[binance.EndpointFuturesWS]); got != 3 {
		t.Fatalf("%d accounts at 3 a connection on %d connections, want 3", n, got)
	}
	if st := fx.Stats(); st.Connections != 3 || st.FuturesSubscriptions != n {
		t.Fatalf("fake saw %+v: want 3 connections (none cut for its message rate) and %d subscriptions", st, n)
	}
}

// A change made while the listenKey is expired (its socket open and
// silent) must show once the stream is back on a new key: the re-seed
// reads it, so the expiry leaves no gap.
func TestFuturesListenKeyExpiryRecoversWithoutGap(t *testing.T) {
	fx, c, acct := streamEnv(t, fake.WSConfig{}, binance.StreamOptions{})
	fx.SetFutures(apiKey, "1000")
	w := plugintest.WatchConnected(t, c, sdk.StreamAccount{ID: "a1", Account: acct, Parts: []string{sdk.CapFuturesAccount, sdk.CapPositions}})
	from := w.Mark()
	keys := fx.Stats()
	fx.ExpireListenKey(apiKey)
	fx.SetFutures(apiKey, "1300") // no socket carries it: the key is gone
	w.WaitAfter(t, from, "resyncing on listenKeyExpired", plugintest.ResyncingFor("listenKey expired"))
	w.WaitAfter(t, from, "the change made in the gap", plugintest.FuturesWallet("1300"))
	if st := fx.Stats(); st.FuturesSubscriptions <= keys.FuturesSubscriptions {
		t.Fatalf("no new subscription after the expiry: %+v", st)
	}
	from = w.Mark()
	fx.SetFutures(apiKey, "1400")
	w.WaitAfter(t, from, "pushed on the new key", func(ev sdk.StreamEvent) bool {
		return ev.State == sdk.StreamData && plugintest.FuturesWallet("1400")(ev)
	})
}

// Each product's connection moves to a new one before Binance's 24 h
// cut: no unplanned resync, and changes keep coming.
func TestStreamMovesBeforeTheLifetimeCut(t *testing.T) {
	for _, tc := range []struct {
		name  string
		parts []string
		set   func(fx *fake.Server, v string)
		has   func(v string) func(sdk.StreamEvent) bool
	}{
		{"spot", []string{sdk.CapSpotBalances},
			func(fx *fake.Server, v string) { fx.SetSpot(apiKey, "USDT", v, "0") },
			func(v string) func(sdk.StreamEvent) bool { return plugintest.SpotHas("USDT", v) }},
		{"futures", []string{sdk.CapFuturesAccount, sdk.CapPositions},
			func(fx *fake.Server, v string) { fx.SetFutures(apiKey, v) },
			plugintest.FuturesWallet},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// The fake cuts at 600 ms; the connector moves within the
			// last 1/48th before its own (shorter) lifetime.
			fx, c, acct := streamEnv(t, fake.WSConfig{Lifetime: 600 * time.Millisecond}, binance.StreamOptions{Lifetime: 480 * time.Millisecond})
			w := plugintest.WatchConnected(t, c, sdk.StreamAccount{ID: "a1", Account: acct, Parts: tc.parts})
			time.Sleep(1500 * time.Millisecond)
			for i := range 3 {
				v := fmt.Sprint(100 + i)
				tc.set(fx, v)
				w.WaitFor(t, "a change after the moves", tc.has(v))
			}
			if moved, cut := w.Moves("before the 24 h cut"); moved == 0 || cut != 0 {
				t.Fatalf("planned moves %d, unplanned resyncs %d; want moves only", moved, cut)
			}
		})
	}
}

// A futures event lost before an outage is healed by the re-seed after
// it: the listenKey connection is cut, the stream comes back with the
// wallet as REST reads it.
func TestFuturesStreamHealsDroppedEventAfterACut(t *testing.T) {
	fx, c, acct := streamEnv(t, fake.WSConfig{}, binance.StreamOptions{})
	fx.SetFutures(apiKey, "1000")
	w := plugintest.WatchConnected(t, c, sdk.StreamAccount{ID: "a1", Account: acct, Parts: []string{sdk.CapFuturesAccount, sdk.CapPositions}})
	fx.DropEvents(1)
	fx.SetFutures(apiKey, "1500")
	if st := fx.Stats(); st.Dropped == 0 {
		t.Fatalf("the event was not dropped: %+v", st)
	}
	fx.DropEvents(0)
	from := w.Mark()
	fx.CutStreams()
	w.WaitAfter(t, from, "healed by the re-seed", func(ev sdk.StreamEvent) bool {
		return plugintest.Connected(ev) && plugintest.FuturesWallet("1500")(ev)
	})
}

// A shared connection lives as long as an account uses it: the accounts
// that stop watching give their places back, and the last one out closes
// the connection.
func TestSharedConnectionsCloseWithTheirLastAccount(t *testing.T) {
	fx, c, acct := streamEnv(t, fake.WSConfig{}, binance.StreamOptions{SeedsPerMinute: 1000, FuturesPerConnection: 3})
	accts := addAccounts(fx, acct, "rkey%02d", 4, sdk.CapSpotBalances, sdk.CapFuturesAccount)
	spot, futures := acct.Endpoints[binance.EndpointSpotWS], acct.Endpoints[binance.EndpointFuturesWS]
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	done := make(chan error, len(accts))
	connected := make(chan struct{}, len(accts))
	for _, a := range accts {
		go func() {
			var once sync.Once
			done <- c.Watch(ctx, a, func(ev sdk.StreamEvent) {
				if plugintest.Connected(ev) {
					once.Do(func() { connected <- struct{}{} })
				}
			})
		}()
	}
	for range accts {
		select {
		case <-connected:
		case <-time.After(plugintest.StreamWait):
			t.Fatal("not every account connected")
		}
	}
	if s, f := c.SpotConnections(spot), c.FuturesConnections(futures); s != 1 || f != 2 {
		t.Fatalf("4 accounts on %d spot and %d futures connections, want 1 and 2 (3 a futures connection)", s, f)
	}
	stop()
	for range accts {
		select {
		case <-done:
		case <-time.After(plugintest.StreamWait):
			t.Fatal("Watch did not end with its context")
		}
	}
	deadline := time.Now().Add(plugintest.StreamWait)
	for c.SpotConnections(spot)+c.FuturesConnections(futures) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("after every account stopped: %d spot and %d futures connections still open, want 0",
				c.SpotConnections(spot), c.FuturesConnections(futures))
		}
		time.Sleep(10 * time.Millisecond)
	}
}
