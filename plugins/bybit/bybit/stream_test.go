package bybit_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/globalautomation/gahost/plugins/bybit/bybit"
	"github.com/globalautomation/gahost/plugins/bybit/fake"
	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/plugintest"
)

func samePosition(a, b sdk.Position) bool {
	return a.Symbol == b.Symbol && a.Side == b.Side && a.MarginMode == b.MarginMode && a.Size.Equal(b.Size) &&
		a.EntryPrice.Equal(b.EntryPrice) && a.MarkPrice.Equal(b.MarkPrice) && a.UnrealizedPnL.Equal(b.UnrealizedPnL) &&
		a.Leverage.Equal(b.Leverage) && a.LiquidationPrice.Equal(b.LiquidationPrice)
}

var allParts = []string{sdk.CapSpotBalances, sdk.CapFuturesAccount, sdk.CapPositions}

// streamEnv is a funded fake with its stream started on cfg and a
// connector pointed at both.
func streamEnv(t *testing.T, cfg fake.WSConfig, o bybit.StreamOptions) (*fake.Server, *bybit.Connector, sdk.Account) {
	t.Helper()
	e := newEnv(t)
	e.Fake.Update(apiKey, func(a *fake.Account) {
		a.Coins = []fake.Coin{{Coin: "USDT", WalletBalance: "1000"}}
		a.TotalAvailableBalance = "1000"
	})
	base := e.Fake.StartWS(cfg)
	acct := e.Acct
	acct.Endpoints = map[string]string{bybit.EndpointREST: e.Fake.URL(), bybit.EndpointWS: base}
	o.BackoffMin, o.BackoffMax = 10*time.Millisecond, 50*time.Millisecond
	e.C.SetStreamOptions(o)
	return e.Fake, e.C, acct
}

// addAccount adds a funded key to the fake and returns its account.
func addAccount(fx *fake.Server, acct sdk.Account, key string) sdk.Account {
	fx.AddKey(fake.FullKey(key, "secret-"+key))
	fx.Update(key, func(a *fake.Account) { a.Coins = []fake.Coin{{Coin: "USDT", WalletBalance: "10"}} })
	acct.APIKey, acct.SecretKey = key, "secret-"+key
	return acct
}

// spotAccounts adds n funded keys, key0 to key<n-1>, and returns their
// accounts streaming the spot wallet, each with its key as its id.
func spotAccounts(fx *fake.Server, acct sdk.Account, n int) []sdk.StreamAccount {
	out := make([]sdk.StreamAccount, n)
	for i := range n {
		a := addAccount(fx, acct, fmt.Sprintf("key%d", i))
		out[i] = sdk.StreamAccount{ID: a.APIKey, Account: a, Parts: []string{sdk.CapSpotBalances}}
	}
	return out
}

func TestStreamSeedsThenPushes(t *testing.T) {
	fx, c, acct := streamEnv(t, fake.WSConfig{}, bybit.StreamOptions{})
	fx.SetCoin(apiKey, fake.Coin{Coin: "BTC", WalletBalance: "0.5"})
	w := plugintest.Watch(t, c, sdk.StreamAccount{ID: "a1", Account: acct, Parts: allParts})
	// Bybit sends no snapshot: BTC can only come from the REST seed.
	ev := w.WaitFor(t, "connected with the seed", plugintest.Connected)
	if !plugintest.SpotHas("BTC", "0.5")(ev) || !plugintest.SpotHas("USDT", "1000")(ev) ||
		!plugintest.FuturesWallet("1000")(ev) || !ev.HasPositions || len(ev.Positions) != 0 {
		t.Fatalf("connected event = %+v", ev)
	}

	// A push names only the coin that changed; the others stay.
	fx.SetCoin(apiKey, fake.Coin{Coin: "ETH", WalletBalance: "2", Locked: "0.5"})
	ev = w.WaitFor(t, "ETH pushed", plugintest.SpotHas("ETH", "1.5"))
	if len(ev.Spot) != 3 || ev.Futures == nil || ev.HasPositions {
		t.Fatalf("a wallet push must carry the whole wallet and the futures account: %+v", ev)
	}
	fx.SetCoin(apiKey, fake.Coin{Coin: "USDT", WalletBalance: "1200", UnrealisedPnl: "-5"})
	ev = w.WaitFor(t, "USDT pushed", plugintest.FuturesWallet("1200"))
	if f := ev.Futures; !f.MarginBalance.Equal(d("1195")) || !f.UnrealizedPnL.Equal(d("-5")) || !f.AvailableBalance.Equal(d("1000")) {
		t.Fatalf("futures = %+v", f)
	}

	short := fake.Position{Symbol: "BTCUSDT", Side: "Sell", Size: "0.1", AvgPrice: "60000", MarkPrice: "60100",
		UnrealisedPnl: "-10", Leverage: "10", LiqPrice: "90000"}
	fx.SetPosition(apiKey, short)
	ev = w.WaitFor(t, "short pushed", func(ev sdk.StreamEvent) bool { return ev.HasPositions && len(ev.Positions) == 1 })
	p := ev.Positions[0]
	if p.Symbol != "BTC/USDT:USDT" || p.Side != sdk.SideShort || !p.Size.Equal(d("0.1")) || !p.EntryPrice.Equal(d("60000")) ||
		p.MarginMode != sdk.MarginCross || !p.LiquidationPrice.Equal(d("90000")) {
		t.Fatalf("position = %+v", p)
	}
	// One-way mode: a flip leaves nothing on the old side.
	long := short
	long.Side, long.Size = "Buy", "0.2"
	fx.SetPosition(apiKey, long)
	ev = w.WaitFor(t, "flipped long", func(ev sdk.StreamEvent) bool {
		return ev.HasPositions && len(ev.Positions) == 1 && ev.Positions[0].Side == sdk.SideLong
	})

	// What the stream holds is what a poll reads.
	spot, err := c.SpotBalances(ctx(t), acct)
	if err != nil {
		t.Fatal(err)
	}
	last := w.Latest(func(ev sdk.StreamEvent) bool { return ev.HasSpot })
	held := map[string]sdk.Balance{}
	for _, b := range last.Spot {
		held[b.Asset] = b
	}
	for _, b := range spot {
		if h := held[b.Asset]; len(spot) != len(last.Spot) || !h.Free.Equal(b.Free) || !h.Locked.Equal(b.Locked) {
			t.Fatalf("streamed %+v, polled %+v", last.Spot, spot)
		}
	}
	ps, err := c.Positions(ctx(t), acct)
	if err != nil || len(ps) != 1 || !samePosition(ps[0], ev.Positions[0]) {
		t.Fatalf("streamed %+v, polled %+v (%v)", ev.Positions, ps, err)
	}

	fx.SetPosition(apiKey, fake.Position{Symbol: "BTCUSDT", Size: "0"})
	w.WaitFor(t, "closed", func(ev sdk.StreamEvent) bool {
		return ev.HasPositions && len(ev.Positions) == 0 && !plugintest.Connected(ev)
	})
	if st := fx.Stats(); st.Connections != 1 || st.Auths != 1 || st.Subscribes != 1 || w.Count(plugintest.Resyncing) != 0 {
		t.Fatalf("fake saw %+v, resyncs %d", st, w.Count(plugintest.Resyncing))
	}
}

func TestStreamOrdersPush(t *testing.T) {
	fx, c, acct := streamEnv(t, fake.WSConfig{}, bybit.StreamOptions{})
	w := plugintest.WatchConnected(t, c, sdk.StreamAccount{ID: "a1", Account: acct, Parts: allParts})
	if _, err := c.PlaceOrder(ctx(t), acct, sdk.OrderRequest{Market: sdk.MarketFutures, Symbol: "ETH/USDT:USDT",
		Side: sdk.Buy, Type: sdk.OrderMarket, Quantity: d("1")}); err != nil {
		t.Fatal(err)
	}
	ev := w.WaitFor(t, "the fill's position", func(ev sdk.StreamEvent) bool { return ev.HasPositions && len(ev.Positions) == 1 })
	if p := ev.Positions[0]; p.Symbol != "ETH/USDT:USDT" || p.Side != sdk.SideLong || !p.Size.Equal(d("1")) {
		t.Fatalf("position = %+v", p)
	}
	if fx.Stats().Pushed < 2 {
		t.Fatalf("an order pushes position and wallet: %+v", fx.Stats())
	}
}

func TestStreamHealsDroppedEvents(t *testing.T) {
	fx, c, acct := streamEnv(t, fake.WSConfig{}, bybit.StreamOptions{})
	w := plugintest.WatchConnected(t, c, sdk.StreamAccount{ID: "a1", Account: acct, Parts: allParts})
	fx.DropEvents(1)
	fx.SetCoin(apiKey, fake.Coin{Coin: "ETH", WalletBalance: "7"})
	fx.SetPosition(apiKey, fake.Position{Symbol: "ETHUSDT", Side: "Buy", Size: "3", AvgPrice: "3000", MarkPrice: "3000", Leverage: "5"})
	time.Sleep(100 * time.Millisecond)
	if w.Count(plugintest.SpotHas("ETH", "7")) != 0 || fx.Stats().Dropped != 2 {
		t.Fatalf("the dropped pushes arrived (%+v)", fx.Stats())
	}
	fx.DropEvents(0)
	from := w.Mark()
	fx.CutStreams()
	w.WaitAfter(t, from, "resyncing after the cut", plugintest.Resyncing)
	ev := w.WaitAfter(t, from, "the lost changes healed by the re-seed", plugintest.Connected)
	if !plugintest.SpotHas("ETH", "7")(ev) || len(ev.Positions) != 1 || !ev.Positions[0].Size.Equal(d("3")) {
		t.Fatalf("re-seed = %+v", ev)
	}
}

func TestStreamHeartbeat(t *testing.T) {
	// Bybit cuts a connection silent for its max active time; the fake's
	// is 300 ms here and the client pings every 50 ms.
	fx, c, acct := streamEnv(t, fake.WSConfig{MaxActive: 300 * time.Millisecond},
		bybit.StreamOptions{PingEvery: 50 * time.Millisecond, PongWait: 100 * time.Millisecond})
	w := plugintest.WatchConnected(t, c, sdk.StreamAccount{ID: "a1", Account: acct, Parts: []string{sdk.CapSpotBalances}})
	time.Sleep(time.Second)
	if st := fx.Stats(); st.IdleCuts != 0 || st.Pings < 10 || w.Count(plugintest.Resyncing) != 0 {
		t.Fatalf("kept alive: %+v, resyncs %d", st, w.Count(plugintest.Resyncing))
	}
	// A connection that stops answering is given up.
	from := w.Mark()
	fx.SilencePongs(true)
	w.WaitAfter(t, from, "resyncing on the missing pong", plugintest.ResyncingFor("no pong"))
	fx.SilencePongs(false)
	w.WaitAfter(t, from, "connected again", plugintest.Connected)

	// A client that does not ping is cut by the fake.
	silent := bybit.New()
	silent.SetStreamOptions(bybit.StreamOptions{PingEvery: time.Hour, BackoffMin: 10 * time.Millisecond, BackoffMax: 20 * time.Millisecond})
	w2 := plugintest.Watch(t, silent, sdk.StreamAccount{ID: "a2", Account: acct, Parts: []string{sdk.CapSpotBalances}})
	w2.WaitFor(t, "cut for silence", plugintest.Resyncing)
	if fx.Stats().IdleCuts == 0 {
		t.Fatal("the fake did not cut a silent connection")
	}
}

func TestStreamMovesBeforeTheLifetimeCut(t *testing.T) {
	// The fake cuts at 600 ms; the client replaces each connection in the
	// last 1/48th of its own 480 ms, make-before-break.
	fx, c, acct := streamEnv(t, fake.WSConfig{Lifetime: 600 * time.Millisecond}, bybit.StreamOptions{Lifetime: 480 * time.Millisecond})
	w := plugintest.WatchConnected(t, c, sdk.StreamAccount{ID: "a1", Account: acct, Parts: allParts})
	for i := range 6 {
		time.Sleep(250 * time.Millisecond)
		fx.SetCoin(apiKey, fake.Coin{Coin: "USDT", WalletBalance: fmt.Sprint(100 + i)})
		w.WaitFor(t, "a change across the moves", plugintest.SpotHas("USDT", fmt.Sprint(100+i)))
	}
	st := fx.Stats()
	if st.Connections < 3 || w.Count(plugintest.Resyncing) != 0 || w.Count(plugintest.Connected) != 1 {
		t.Fatalf("fake %+v; resyncs %d, connected %d: want moves only", st, w.Count(plugintest.Resyncing), w.Count(plugintest.Connected))
	}
	if st.Open > 2 {
		t.Fatalf("%d connections open for one account", st.Open)
	}
}

// TestStreamConformance runs the kit's stream checks: Bybit refuses a bad
// signature at login (no code on the WebSocket), and one account takes
// one connection, so a cap of two admits two accounts.
func TestStreamConformance(t *testing.T) {
	setup := func(t *testing.T, o bybit.StreamOptions) plugintest.StreamSetup {
		fx, c, acct := streamEnv(t, fake.WSConfig{}, o)
		return plugintest.StreamSetup{Streamer: c, Fake: fx,
			Account: sdk.StreamAccount{ID: "a1", Account: acct, Parts: []string{sdk.CapSpotBalances}},
			SetSpot: func(a sdk.Account, asset, free string) {
				fx.SetCoin(a.APIKey, fake.Coin{Coin: asset, WalletBalance: free})
			}}
	}
	plugintest.RunStream(t, plugintest.StreamKit{
		New: func(t *testing.T) plugintest.StreamSetup { return setup(t, bybit.StreamOptions{}) },
		BadKeys: []plugintest.BadStreamKey{{
			Name:  "wrong secret",
			Tweak: func(a *sdk.Account) { a.SecretKey = "wrong-secret-value" },
			Then: func(t *testing.T, s plugintest.StreamSetup) {
				if st := s.Fake.(*fake.Server).Stats(); st.AuthFailures != 1 || st.Auths != 0 {
					t.Fatalf("the stream refused the login: %+v", st)
				}
			},
		}},
		Capped: func(t *testing.T) (plugintest.StreamSetup, []sdk.StreamAccount) {
			s := setup(t, bybit.StreamOptions{MaxConnections: 2})
			return s, spotAccounts(s.Fake.(*fake.Server), s.Account.Account, 3)
		},
		CapCheck: func(t *testing.T, s plugintest.StreamSetup) {
			if st := s.Fake.(*fake.Server).Stats(); st.Open != 2 || st.Auths != 2 {
				t.Fatalf("fake saw %+v: want one connection and one login per streamed account", st)
			}
		},
	})
}

// With positions asked for, the margin mode is read first, and REST
// refuses a bad key before any connection is made.
func TestStreamBadKeyRefusedByRESTFirst(t *testing.T) {
	fx, c, acct := streamEnv(t, fake.WSConfig{}, bybit.StreamOptions{})
	acct.SecretKey = "wrong-secret-value"
	w := plugintest.Watch(t, c, sdk.StreamAccount{ID: "a2", Account: acct, Parts: allParts})
	if err := w.Ended(t); sdk.KindOf(err) != sdk.KindAuthentication || strings.Contains(err.Error(), "wrong-secret-value") {
		t.Fatalf("Watch = %v", err)
	}
	if st := fx.Stats(); st.Connections != 0 {
		t.Fatalf("connected with a key REST refused: %+v", st)
	}
}

func TestStreamLoginRefusedByClockRetries(t *testing.T) {
	// The exchange's clock is a minute ahead: the first login's expires is
	// already past. REST shows the key is good (and measures the clock),
	// so the stream retries and succeeds.
	fx, c, acct := streamEnv(t, fake.WSConfig{}, bybit.StreamOptions{})
	fx.SetClockOffset(time.Minute)
	w := plugintest.Watch(t, c, sdk.StreamAccount{ID: "a1", Account: acct, Parts: []string{sdk.CapSpotBalances}})
	w.WaitFor(t, "resyncing after the refused login", plugintest.ResyncingFor("refused the login"))
	w.WaitFor(t, "connected", plugintest.Connected)
	if st := fx.Stats(); st.AuthFailures != 1 || st.Auths != 1 {
		t.Fatalf("fake saw %+v", st)
	}
}

func TestStreamConnectRateLimit(t *testing.T) {
	// The fake refuses a fourth connection within 400 ms; the client's
	// limiter queues instead.
	fx, c, acct := streamEnv(t, fake.WSConfig{ConnLimit: 3, ConnWindow: 400 * time.Millisecond},
		bybit.StreamOptions{ConnectLimit: 3, ConnectWindow: 450 * time.Millisecond})
	plugintest.WatchAllConnected(t, c, spotAccounts(fx, acct, 7)...)
	if st := fx.Stats(); st.Refused != 0 || st.Connections != 7 {
		t.Fatalf("fake saw %+v", st)
	}
}
