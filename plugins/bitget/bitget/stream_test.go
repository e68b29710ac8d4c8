package bitget_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/globalautomation/gahost/plugins/bitget/bitget"
	"github.com/globalautomation/gahost/plugins/bitget/fake"
	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/plugintest"
)

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
	w := plugintest.Watch(t, c, sdk.StreamAccount{ID: "a1", Account: acct, Parts: allParts})
	ev := w.WaitFor(t, "connected", plugintest.Connected)
	if !plugintest.SpotHas("USDT", "1000")(ev) || !plugintest.SpotHas("BTC", "0.5")(ev) || ev.Futures == nil || !ev.Futures.MarginBalance.Equal(d("1000")) ||
		!ev.Futures.AvailableBalance.Equal(d("1000")) || !plugintest.PositionRows(0)(ev) {
		t.Fatalf("seed = %+v", ev)
	}
	// The seed came over the socket: the one REST read learnt the key's
	// mode, nothing else was read.
	if n := fx.Calls(fake.PathSpotAssets) + fx.Calls(fake.PathFuturesAccounts) + fx.Calls(fake.PathPositions); n != 1 {
		t.Fatalf("%d REST reads, want the one mode probe", n)
	}

	fx.SetSpot(apiKey, fake.Balance{Coin: "ETH", Available: "7", Frozen: "1"})
	ev = w.WaitFor(t, "ETH pushed", plugintest.SpotHas("ETH", "7"))
	if len(ev.Spot) != 3 || ev.Futures != nil || ev.HasPositions || !ev.Spot[1].Locked.Equal(d("1")) {
		t.Fatalf("a push must carry the whole wallet and only the spot part: %+v", ev)
	}
	fx.SetSpot(apiKey, fake.Balance{Coin: "BTC", Available: "0"})
	w.WaitFor(t, "BTC gone", func(ev sdk.StreamEvent) bool {
		return ev.HasSpot && len(ev.Spot) == 2 && !plugintest.SpotHas("BTC", "0.5")(ev)
	})

	fx.SetFutures(apiKey, fake.FuturesRow{MarginCoin: "USDT", Available: "900", CrossedMaxAvailable: "850", AccountEquity: "1010", UnrealizedPL: "10"})
	ev = w.WaitFor(t, "futures pushed", func(ev sdk.StreamEvent) bool { return ev.Futures != nil && ev.Futures.MarginBalance.Equal(d("1010")) })
	if f := ev.Futures; !f.WalletBalance.Equal(d("1000")) || !f.UnrealizedPnL.Equal(d("10")) || !f.AvailableBalance.Equal(d("850")) {
		t.Fatalf("futures = %+v", f)
	}

	fx.SetPosition(apiKey, fake.Position{Symbol: "BTCUSDT", HoldSide: "short", Total: "0.5", OpenPriceAvg: "60000", MarkPrice: "60050",
		UnrealizedPL: "-25", Leverage: "10", LiquidationPrice: "70000", MarginMode: "isolated"})
	ev = w.WaitFor(t, "short pushed", plugintest.PositionRows(1))
	p := ev.Positions[0]
	if p.Symbol != "BTC/USDT:USDT" || p.Side != sdk.SideShort || !p.Size.Equal(d("0.5")) || !p.Leverage.Equal(d("10")) ||
		p.MarginMode != sdk.MarginIsolate || !p.UnrealizedPnL.Equal(d("-25")) {
		t.Fatalf("position = %+v", p)
	}
	fx.SetPosition(apiKey, fake.Position{Symbol: "ETHUSDT", HoldSide: "long", Total: "2", OpenPriceAvg: "3000", MarkPrice: "3000"})
	w.WaitFor(t, "two positions", plugintest.PositionRows(2))
	// The close drops out of the positions list; positions-history says so.
	from := w.Mark()
	fx.SetPosition(apiKey, fake.Position{Symbol: "BTCUSDT", HoldSide: "short", Total: "0"})
	ev = w.WaitAfter(t, from, "BTC closed", plugintest.PositionRows(1))
	if ev.Positions[0].Symbol != "ETH/USDT:USDT" || ev.State != sdk.StreamData {
		t.Fatalf("after the close: %+v", ev)
	}
	if w.Count(plugintest.Resyncing) != 0 {
		t.Fatal("resynced on a healthy connection")
	}
	if st := fx.Stats(); st.Logins != 1 || st.Subscriptions != 4 || st.Open != 1 {
		t.Fatalf("fake saw %+v", st)
	}
}

func TestStreamHealsDroppedEventsOnReconnect(t *testing.T) {
	fx, c, acct := streamEnv(t, fake.WSConfig{}, bitget.StreamOptions{})
	fx.SetPosition(apiKey, fake.Position{Symbol: "BTCUSDT", HoldSide: "long", Total: "1", OpenPriceAvg: "60000"})
	w := plugintest.Watch(t, c, sdk.StreamAccount{ID: "a1", Account: acct, Parts: allParts})
	w.WaitFor(t, "connected with the position", func(ev sdk.StreamEvent) bool { return plugintest.Connected(ev) && plugintest.PositionRows(1)(ev) })
	fx.DropEvents(1)
	fx.SetSpot(apiKey, fake.Balance{Coin: "SOL", Available: "3"})
	fx.SetPosition(apiKey, fake.Position{Symbol: "BTCUSDT", HoldSide: "long", Total: "0"})
	time.Sleep(100 * time.Millisecond)
	if w.Count(plugintest.SpotHas("SOL", "3")) != 0 || w.Count(plugintest.PositionRows(0)) != 0 {
		t.Fatal("a dropped event arrived")
	}
	if fx.Stats().Dropped != 3 { // spot, positions, positions-history
		t.Fatalf("fake dropped %d", fx.Stats().Dropped)
	}
	fx.DropEvents(0)
	from := w.Mark()
	fx.CutStreams()
	w.WaitAfter(t, from, "resyncing after the cut", plugintest.Resyncing)
	ev := w.WaitAfter(t, from, "the lost changes healed by the new snapshot", plugintest.Connected)
	if !plugintest.SpotHas("SOL", "3")(ev) || !plugintest.PositionRows(0)(ev) {
		t.Fatalf("re-seed = %+v", ev)
	}
}

func TestStreamMovesBeforeTheLifetimeCut(t *testing.T) {
	// The fake cuts at 600 ms; the connector moves in the last 1/48th
	// before its own (shorter) lifetime.
	fx, c, acct := streamEnv(t, fake.WSConfig{Lifetime: 600 * time.Millisecond}, bitget.StreamOptions{Lifetime: 480 * time.Millisecond})
	w := plugintest.WatchConnected(t, c, sdk.StreamAccount{ID: "a1", Account: acct, Parts: []string{sdk.CapSpotBalances}})
	time.Sleep(1500 * time.Millisecond)
	for i := range 3 {
		fx.SetSpot(apiKey, fake.Balance{Coin: "USDT", Available: fmt.Sprint(100 + i)})
		w.WaitFor(t, "a change after the moves", plugintest.SpotHas("USDT", fmt.Sprint(100+i)))
	}
	if moved, cut := w.Moves("before the 24 h cut"); moved < 2 || cut != 0 {
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
	w := plugintest.WatchConnected(t, c, sdk.StreamAccount{ID: "a1", Account: acct, Parts: []string{sdk.CapSpotBalances}})
	time.Sleep(1200 * time.Millisecond)
	if w.Count(plugintest.Resyncing) != 0 || fx.Stats().Pings < 6 {
		t.Fatalf("resyncs %d, pings %d", w.Count(plugintest.Resyncing), fx.Stats().Pings)
	}

	// A client that pings too seldom is cut, and comes back seeded.
	fx2, c2, acct2 := streamEnv(t, fake.WSConfig{PingTimeout: 200 * time.Millisecond}, bitget.StreamOptions{PingEvery: time.Hour})
	w2 := plugintest.Watch(t, c2, sdk.StreamAccount{ID: "a1", Account: acct2, Parts: []string{sdk.CapSpotBalances}})
	w2.WaitFor(t, "resyncing after the silent cut", plugintest.ResyncingFor("closed"))
	fx2.SetSpot(apiKey, fake.Balance{Coin: "XRP", Available: "5"})
	w2.WaitFor(t, "seeded again", func(ev sdk.StreamEvent) bool { return plugintest.SpotHas("XRP", "5")(ev) })
}

func TestStreamSeedsFromRESTWithoutSnapshot(t *testing.T) {
	fx, c, acct := streamEnv(t, fake.WSConfig{NoSnapshot: []string{"account|USDT-FUTURES", "positions|USDT-FUTURES"}},
		bitget.StreamOptions{SnapshotWait: 200 * time.Millisecond})
	fx.SetPosition(apiKey, fake.Position{Symbol: "ETHUSDT", HoldSide: "long", Total: "2", OpenPriceAvg: "3000", MarkPrice: "3000"})
	w := plugintest.Watch(t, c, sdk.StreamAccount{ID: "a1", Account: acct, Parts: allParts})
	ev := w.WaitFor(t, "connected", plugintest.Connected)
	if ev.Futures == nil || !ev.Futures.MarginBalance.Equal(d("1000")) || !plugintest.PositionRows(1)(ev) || !plugintest.SpotHas("USDT", "1000")(ev) {
		t.Fatalf("seed = %+v", ev)
	}
	if fx.Calls(fake.PathFuturesAccounts) != 1 || fx.Calls(fake.PathPositions) != 1 {
		t.Fatalf("REST seeds: futures %d, positions %d; want one each", fx.Calls(fake.PathFuturesAccounts), fx.Calls(fake.PathPositions))
	}
	fx.SetFutures(apiKey, fake.FuturesRow{MarginCoin: "USDT", Available: "1500", AccountEquity: "1500", UnrealizedPL: "0"})
	w.WaitFor(t, "live after a REST seed", func(ev sdk.StreamEvent) bool { return ev.Futures != nil && ev.Futures.MarginBalance.Equal(d("1500")) })
}

// TestStreamConformance runs the shared stream checks. Each key's mode is
// learnt first, so that a refusal comes from the stream's login; Bitget
// takes one login per connection, so the cap counts accounts.
func TestStreamConformance(t *testing.T) {
	setup := func(t *testing.T, cfg fake.WSConfig, o bitget.StreamOptions) plugintest.StreamSetup {
		fx, c, acct := streamEnv(t, cfg, o)
		if _, err := c.SpotBalances(ctx(t), acct); err != nil {
			t.Fatal(err)
		}
		return plugintest.StreamSetup{Streamer: c, Fake: fx,
			Account: sdk.StreamAccount{ID: "a1", Account: acct, Parts: allParts},
			SetSpot: func(a sdk.Account, asset, free string) {
				fx.SetSpot(a.APIKey, fake.Balance{Coin: asset, Available: free})
			}}
	}
	noLogin := func(t *testing.T, s plugintest.StreamSetup) {
		if st := s.Fake.(*fake.Server).Stats(); st.Logins != 0 || st.Connections != 1 {
			t.Fatalf("fake saw %+v; want one connection, no login, no retry", st)
		}
	}
	plugintest.RunStream(t, plugintest.StreamKit{
		New: func(t *testing.T) plugintest.StreamSetup { return setup(t, fake.WSConfig{}, bitget.StreamOptions{}) },
		BadKeys: []plugintest.BadStreamKey{
			{Name: "bad secret at login", Tweak: func(a *sdk.Account) { a.SecretKey = "wrong-secret-value-123" }, Then: noLogin},
			{Name: "bad passphrase at login", Tweak: func(a *sdk.Account) { a.Passphrase = "wrong-passphrase-456" }, Then: noLogin},
		},
		Capped: func(t *testing.T) (plugintest.StreamSetup, []sdk.StreamAccount) {
			s := setup(t, fake.WSConfig{MaxConns: 3}, bitget.StreamOptions{MaxConns: 3})
			fx := s.Fake.(*fake.Server)
			var accts []sdk.StreamAccount
			for i := range 4 {
				k := fmt.Sprintf("bg_key%02d", i)
				fx.AddKey(fake.FullKey(k, "secret"+k, passphrase))
				a := s.Account.Account
				a.APIKey, a.SecretKey = k, "secret"+k
				accts = append(accts, sdk.StreamAccount{ID: k, Account: a, Parts: []string{sdk.CapSpotBalances}})
			}
			return s, accts
		},
		CapCheck: func(t *testing.T, s plugintest.StreamSetup) {
			if st := s.Fake.(*fake.Server).Stats(); st.Open != 3 || st.Logins != 3 || st.OverCap != 0 {
				t.Fatalf("fake saw %+v", st)
			}
		},
	})
}

// TestStreamRefusedAtTheModeProbe: a key whose mode is unknown is refused
// by the REST read that learns it, before any connection.
func TestStreamRefusedAtTheModeProbe(t *testing.T) {
	fx, c, acct := streamEnv(t, fake.WSConfig{}, bitget.StreamOptions{})
	acct.SecretKey = "wrong-secret-value-789"
	err := plugintest.Watch(t, c, sdk.StreamAccount{ID: "a1", Account: acct, Parts: allParts}).Ended(t)
	if sdk.KindOf(err) != sdk.KindAuthentication || strings.Contains(err.Error(), acct.SecretKey) {
		t.Fatalf("Watch = %v, want an authentication error naming no secret", err)
	}
	if st := fx.Stats(); st.Logins != 0 || st.Connections != 0 {
		t.Fatalf("fake saw %+v; want no connection", st)
	}
}

func TestStreamFakeEnforcesTheCap(t *testing.T) {
	// A client that does not keep to the cap is answered 30007 and
	// closed; it keeps retrying (a rate limit passes), never streaming.
	fx, c, acct := streamEnv(t, fake.WSConfig{MaxConns: 1}, bitget.StreamOptions{MaxConns: 5})
	w1 := plugintest.Watch(t, c, sdk.StreamAccount{ID: "a1", Account: acct, Parts: []string{sdk.CapSpotBalances}})
	w1.WaitFor(t, "connected", plugintest.Connected)
	fx.AddKey(fake.FullKey("bg_second", "secret2", passphrase))
	a2 := acct
	a2.APIKey, a2.SecretKey = "bg_second", "secret2"
	w2 := plugintest.Watch(t, c, sdk.StreamAccount{ID: "a2", Account: a2, Parts: []string{sdk.CapSpotBalances}})
	w2.WaitFor(t, "refused over the cap", plugintest.ResyncingFor("30007"))
	if w2.Count(plugintest.Connected) != 0 || fx.Stats().OverCap == 0 {
		t.Fatalf("over the cap: %+v", fx.Stats())
	}
}

func TestStreamUTAAccountIsPolled(t *testing.T) {
	e := newEnv(t)
	e.Fake.AddKey(fake.UTAKey("bg_uta", "uta-secret", passphrase))
	acct := e.Acct
	acct.APIKey, acct.SecretKey = "bg_uta", "uta-secret"
	acct.Endpoints[bitget.EndpointWS] = e.Fake.StartWS(fake.WSConfig{})
	w := plugintest.Watch(t, e.C, sdk.StreamAccount{ID: "u1", Account: acct, Parts: allParts})
	err := w.Ended(t)
	if sdk.KindOf(err) != sdk.KindUnsupported || !strings.Contains(err.Error(), "polled") {
		t.Fatalf("Watch = %v, want unsupported", err)
	}
	if e.Fake.Stats().Connections != 0 {
		t.Fatal("a UTA account connected to the V2 stream")
	}
}
