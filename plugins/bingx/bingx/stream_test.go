package bingx_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/globalautomation/gahost/plugins/bingx/bingx"
	"github.com/globalautomation/gahost/plugins/bingx/fake"
	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/fakex"
	"github.com/globalautomation/gahost/sdk/plugintest"
	"github.com/globalautomation/gahost/sdk/stream"
)

func spotHas(asset, free, locked string) func(sdk.StreamEvent) bool {
	return func(ev sdk.StreamEvent) bool {
		for _, b := range ev.Spot {
			if b.Asset == asset && b.Free.Equal(d(free)) && b.Locked.Equal(d(locked)) {
				return ev.HasSpot
			}
		}
		return false
	}
}

var (
	spotPart  = []string{sdk.CapSpotBalances}
	swapParts = []string{sdk.CapFuturesAccount, sdk.CapPositions}
	allParts  = []string{sdk.CapSpotBalances, sdk.CapFuturesAccount, sdk.CapPositions}
)

// streamEnv is a funded fake with its streams started on cfg, and a
// connector pointed at both with fast reconnects.
func streamEnv(t *testing.T, cfg fake.WSConfig, o bingx.StreamOptions) (*fake.Server, *bingx.Connector, sdk.Account) {
	t.Helper()
	e := funded(t, false)
	ws := e.Fake.StartWS(cfg)
	acct := e.Acct
	acct.Endpoints = map[string]string{bingx.EndpointREST: e.Fake.URL(), bingx.EndpointSwapWS: ws, bingx.EndpointSpotWS: ws}
	o.BackoffMin, o.BackoffMax = 10*time.Millisecond, 50*time.Millisecond
	e.C.SetStreamOptions(o)
	return e.Fake, e.C, acct
}

func TestSwapStreamSeedsThenPushes(t *testing.T) {
	fx, c, acct := streamEnv(t, fake.WSConfig{}, bingx.StreamOptions{})
	fx.Update(apiKey, func(a *fake.Account) {
		a.Positions = []fake.Position{{Symbol: "ETH-USDT", PositionSide: "LONG", PositionAmt: "2", AvgPrice: "3000",
			MarkPrice: "3010", UnrealizedProfit: "20", LiquidationPrice: "2500", Leverage: 10}}
	})
	w := plugintest.Watch(t, c, sdk.StreamAccount{ID: "a1", Account: acct, Parts: swapParts})
	// The stream sends no snapshot: the wallet and the ETH row can only
	// come from the REST seed.
	ev := w.WaitFor(t, "connected with the seed", plugintest.Connected)
	if ev.Futures == nil || !ev.Futures.WalletBalance.Equal(d("1000")) || len(ev.Positions) != 1 || !ev.Positions[0].Leverage.Equal(d("10")) || ev.HasSpot {
		t.Fatalf("connected event = %+v", ev)
	}
	fx.SetSwap(apiKey, "1250")
	w.WaitFor(t, "the wallet pushed", plugintest.FuturesWallet("1250"))
	fx.SetPosition(apiKey, fake.Position{Symbol: "BTC-USDT", PositionSide: "SHORT", PositionAmt: "0.5", AvgPrice: "60000", UnrealizedProfit: "-30"})
	ev = w.WaitFor(t, "the short pushed", func(ev sdk.StreamEvent) bool { return len(ev.Positions) == 2 })
	short := ev.Positions[0]
	if short.Symbol != "BTC/USDT:USDT" || short.Side != sdk.SideShort || !short.Size.Equal(d("0.5")) || short.MarginMode != sdk.MarginCross {
		t.Fatalf("short = %+v", short)
	}
	// The totals follow the positions: -30 + 20 on a wallet of 1250.
	if f := ev.Futures; f == nil || !f.UnrealizedPnL.Equal(d("-10")) || !f.MarginBalance.Equal(d("1240")) || !f.WalletBalance.Equal(d("1250")) {
		t.Fatalf("futures after the position = %+v", ev.Futures)
	}
	// The leverage the event does not carry stays as seeded.
	if ev.Positions[1].Symbol != "ETH/USDT:USDT" || !ev.Positions[1].Leverage.Equal(d("10")) {
		t.Fatalf("long = %+v", ev.Positions[1])
	}
	fx.SetPosition(apiKey, fake.Position{Symbol: "BTC-USDT", PositionSide: "SHORT", PositionAmt: "0", AvgPrice: "60000", UnrealizedProfit: "0"})
	w.WaitFor(t, "the short closed", func(ev sdk.StreamEvent) bool { return ev.HasPositions && len(ev.Positions) == 1 })
	if n := w.Count(plugintest.Resyncing); n != 0 {
		t.Fatalf("%d resyncs on a healthy stream", n)
	}
}

func TestSpotStreamSubscribesSeedsThenPushes(t *testing.T) {
	fx, c, acct := streamEnv(t, fake.WSConfig{}, bingx.StreamOptions{})
	w := plugintest.Watch(t, c, sdk.StreamAccount{ID: "a1", Account: acct, Parts: spotPart})
	ev := w.WaitFor(t, "connected", plugintest.Connected)
	if !spotHas("BTC", "0.5", "0")(ev) || ev.Futures != nil || ev.HasPositions {
		t.Fatalf("connected event = %+v", ev)
	}
	fx.SetSpot(apiKey, "USDT", "900", "100")
	ev = w.WaitFor(t, "USDT pushed", spotHas("USDT", "900", "100"))
	if len(ev.Spot) != 2 || ev.At.IsZero() || time.Since(ev.At) > time.Minute {
		t.Fatalf("a push carries the whole wallet and the event time: %+v", ev)
	}
	fx.SetSpot(apiKey, "BTC", "0", "0")
	w.WaitFor(t, "BTC gone", func(ev sdk.StreamEvent) bool { return ev.HasSpot && len(ev.Spot) == 1 && ev.Spot[0].Asset == "USDT" })
	if st := fx.Stats(); st.Subscriptions != 1 || st.InvalidFrames != 0 || st.Open != 1 {
		t.Fatalf("fake saw %+v", st)
	}
}

func TestStreamAnswersPingsAndNoticesSilence(t *testing.T) {
	// The fake pings every 20 ms and drops a connection 100 ms after an
	// unanswered ping: staying connected for a second proves the pongs.
	fx, c, acct := streamEnv(t, fake.WSConfig{PingEvery: 20 * time.Millisecond, PongWait: 100 * time.Millisecond},
		bingx.StreamOptions{PingTimeout: 200 * time.Millisecond})
	w := plugintest.WatchConnected(t, c, sdk.StreamAccount{ID: "a1", Account: acct, Parts: allParts})
	time.Sleep(time.Second)
	if n := w.Count(plugintest.Resyncing); n != 0 {
		t.Fatalf("%d resyncs while pinged: %+v", n, w.Events())
	}
	if st := fx.Stats(); st.Pongs < 40 || st.InvalidFrames != 0 || st.Connections != 2 {
		t.Fatalf("fake saw %+v", st)
	}

	// A server that stops pinging is a dead connection to the client.
	fx2, c2, acct2 := streamEnv(t, fake.WSConfig{PingEvery: time.Hour}, bingx.StreamOptions{PingTimeout: 150 * time.Millisecond})
	w2 := plugintest.Watch(t, c2, sdk.StreamAccount{ID: "a2", Account: acct2, Parts: swapParts})
	w2.WaitFor(t, "resyncing on silence", plugintest.ResyncingFor("no ping"))
	w2.WaitAfter(t, 2, "connected again", plugintest.Connected)
	if fx2.Stats().Connections < 2 {
		t.Fatal("no reconnect after the silence")
	}
}

func TestStreamHealsDroppedEventsOnReconnect(t *testing.T) {
	fx, c, acct := streamEnv(t, fake.WSConfig{}, bingx.StreamOptions{})
	w := plugintest.WatchConnected(t, c, sdk.StreamAccount{ID: "a1", Account: acct, Parts: allParts})
	fx.DropEvents(1)
	fx.SetSpot(apiKey, "ETH", "7", "0")
	fx.SetSwap(apiKey, "777")
	time.Sleep(100 * time.Millisecond)
	if w.Count(spotHas("ETH", "7", "0")) != 0 || w.Count(plugintest.FuturesWallet("777")) != 0 || fx.Stats().Dropped != 2 {
		t.Fatal("a dropped event arrived")
	}
	fx.DropEvents(0)
	from := w.Mark()
	fx.CutStreams()
	w.WaitAfter(t, from, "resyncing after the cut", plugintest.Resyncing)
	ev := w.WaitAfter(t, from, "connected again", plugintest.Connected)
	if !spotHas("ETH", "7", "0")(ev) || !plugintest.FuturesWallet("777")(ev) {
		t.Fatalf("the re-seed did not heal the lost changes: %+v", ev)
	}
}

func TestListenKeyKeptAliveThenExpiryRecoversWithoutGap(t *testing.T) {
	fx, c, acct := streamEnv(t, fake.WSConfig{ListenKeyTTL: 300 * time.Millisecond}, bingx.StreamOptions{ListenKeyRenew: 80 * time.Millisecond})
	w := plugintest.WatchConnected(t, c, sdk.StreamAccount{ID: "a1", Account: acct, Parts: allParts})
	// Kept alive past the key's 300 ms life.
	time.Sleep(700 * time.Millisecond)
	fx.SetSwap(apiKey, "1100")
	w.WaitFor(t, "a push on the kept key", plugintest.FuturesWallet("1100"))
	if n := w.Count(plugintest.Resyncing); n != 0 || fx.Stats().Extended < 5 || fx.Stats().ListenKeys != 1 {
		t.Fatalf("resyncs %d, fake %+v; want keepalives on one key and no resync", n, fx.Stats())
	}
	// listenKeyExpired leaves the sockets open and silent: the change made
	// right after it reaches the client only through the next seed.
	from := w.Mark()
	fx.ExpireListenKeys(apiKey)
	fx.SetSwap(apiKey, "1300")
	fx.SetSpot(apiKey, "SOL", "3", "1")
	w.WaitAfter(t, from, "resyncing on listenKeyExpired", plugintest.ResyncingFor("listenKey expired"))
	ev := w.WaitAfter(t, from, "connected on a new key", plugintest.Connected)
	if !plugintest.FuturesWallet("1300")(ev) || !spotHas("SOL", "3", "1")(ev) {
		t.Fatalf("the changes during the expiry are missing: %+v", ev)
	}
	fx.SetSpot(apiKey, "SOL", "4", "0")
	w.WaitAfter(t, from, "a push on the new key", spotHas("SOL", "4", "0"))
	if fx.Stats().ListenKeys != 2 {
		t.Fatalf("listenKeys made: %d, want 2", fx.Stats().ListenKeys)
	}
}

func TestKeepaliveOfAGoneKeyResyncs(t *testing.T) {
	fx, c, acct := streamEnv(t, fake.WSConfig{}, bingx.StreamOptions{ListenKeyRenew: 50 * time.Millisecond})
	w := plugintest.WatchConnected(t, c, sdk.StreamAccount{ID: "a1", Account: acct, Parts: swapParts})
	// The key is closed behind the client's back (as after an hour
	// without keepalive): the next PUT is 404 and the session starts over.
	fx.Inject(fakex.Fault{Method: "PUT", Path: "/openApi/user/auth/userDataStream", Status: http.StatusNotFound, Body: "This listenKey does not exist"})
	ev := w.WaitFor(t, "resyncing on the 404", plugintest.ResyncingFor("keepalive"))
	if strings.Contains(ev.Reason, secret) || strings.Contains(ev.Reason, apiKey) {
		t.Fatalf("reason leaks a credential: %q", ev.Reason)
	}
	w.WaitAfter(t, 2, "connected again", plugintest.Connected)
	if fx.Stats().ListenKeys != 2 {
		t.Fatalf("listenKeys made: %d, want 2", fx.Stats().ListenKeys)
	}
}

func TestStreamMovesBeforeAConfiguredLifetime(t *testing.T) {
	fx, c, acct := streamEnv(t, fake.WSConfig{}, bingx.StreamOptions{Lifetime: 250 * time.Millisecond})
	w := plugintest.WatchConnected(t, c, sdk.StreamAccount{ID: "a1", Account: acct, Parts: allParts})
	time.Sleep(700 * time.Millisecond)
	for i := range 3 {
		fx.SetSpot(apiKey, "USDT", fmt.Sprint(100+i), "0")
		w.WaitFor(t, "a change after the moves", spotHas("USDT", fmt.Sprint(100+i), "0"))
	}
	if moved, other := w.Moves("before the connection lifetime"); moved == 0 || other != 0 {
		t.Fatalf("planned moves %d, other resyncs %d", moved, other)
	}
}

// TestStreamConformance runs the shared stream checks on the spot
// stream, which takes one connection per account.
func TestStreamConformance(t *testing.T) {
	setup := func(t *testing.T, o bingx.StreamOptions) plugintest.StreamSetup {
		fx, c, acct := streamEnv(t, fake.WSConfig{}, o)
		return plugintest.StreamSetup{Streamer: c, Fake: fx,
			Account: sdk.StreamAccount{ID: "a1", Account: acct, Parts: spotPart},
			SetSpot: func(a sdk.Account, asset, free string) { fx.SetSpot(a.APIKey, asset, free, "0") }}
	}
	plugintest.RunStream(t, plugintest.StreamKit{
		New: func(t *testing.T) plugintest.StreamSetup { return setup(t, bingx.StreamOptions{}) },
		BadKeys: []plugintest.BadStreamKey{{Name: "wrong secret",
			Tweak: func(a *sdk.Account) { a.SecretKey = "wrong-secret-value-0123456789" }}},
		Capped: func(t *testing.T) (plugintest.StreamSetup, []sdk.StreamAccount) {
			s := setup(t, bingx.StreamOptions{MaxConnections: 3})
			var accts []sdk.StreamAccount
			for i, a := range addAccounts(s.Fake.(*fake.Server), s.Account.Account, 4) {
				accts = append(accts, sdk.StreamAccount{ID: fmt.Sprint(i), Account: a, Parts: spotPart})
			}
			return s, accts
		},
		CapCheck: func(t *testing.T, s plugintest.StreamSetup) {
			if st := s.Fake.(*fake.Server).Stats(); st.Open != 3 || st.Refused != 0 {
				t.Fatalf("fake saw %+v", st)
			}
		},
	})
}

// addAccounts registers n funded keys on the fake and returns their
// accounts.
func addAccounts(fx *fake.Server, base sdk.Account, n int) []sdk.Account {
	out := make([]sdk.Account, n)
	for i := range n {
		k := fmt.Sprintf("key%03d", i)
		fx.AddKey(fake.FullKey(k, "secret"+k))
		fx.Update(k, func(a *fake.Account) {
			a.Spot = []fake.Balance{{Asset: "USDT", Free: fmt.Sprint(i), Locked: "0"}}
			a.Swap = []fake.SwapAsset{{Asset: "USDT", Balance: "10", Equity: "10", UnrealizedProfit: "0", AvailableMargin: "10"}}
		})
		a := base
		a.APIKey, a.SecretKey = k, "secret"+k
		out[i] = a
	}
	return out
}

func TestAccountsOverThePerIPCapFallBackToPolling(t *testing.T) {
	// BingX's 60 WebSockets per IP, on both sides: 30 accounts with spot and
	// swap fill them; the 31st is refused before it dials.
	fx, c, acct := streamEnv(t, fake.WSConfig{}, bingx.StreamOptions{ConnectLimit: 1000})
	accts := addAccounts(fx, acct, 31)
	var live []sdk.StreamAccount
	for i, a := range accts[:30] {
		live = append(live, sdk.StreamAccount{ID: fmt.Sprint(i), Account: a, Parts: allParts})
	}
	ws := plugintest.WatchAllConnected(t, c, live...)
	over := plugintest.Watch(t, c, sdk.StreamAccount{ID: "over", Account: accts[30], Parts: allParts})
	if err := over.Ended(t); !errors.Is(err, stream.ErrCapReached) {
		t.Fatalf("the account over the cap: %v", err)
	}
	if st := fx.Stats(); st.Open != 60 || st.Refused != 0 {
		t.Fatalf("fake saw %+v", st)
	}
	// Each account has its own connections, and its own events.
	fx.SetSpot("key007", "SOL", "3", "0")
	plugintest.OwnEvent(t, ws, 7, spotHas("SOL", "3", "0"))

	// The fake enforces the cap too: a 61st handshake fails even with a
	// valid listenKey (made the unsigned way the docs show).
	ans := fakex.Send(t, "POST", acct.Endpoints[bingx.EndpointREST]+"/openApi/user/auth/userDataStream", "", "", map[string]string{"X-BX-APIKEY": "key030"})
	var lk struct {
		ListenKey string `json:"listenKey"`
	}
	if ans.Status != 200 || json.Unmarshal(ans.Body, &lk) != nil || lk.ListenKey == "" {
		t.Fatalf("unsigned POST: %d %s", ans.Status, ans.Body)
	}
	_, err := stream.Dial(context.Background(), acct.Endpoints[bingx.EndpointSwapWS]+"/swap-market?listenKey="+lk.ListenKey, nil)
	if sdk.KindOf(err) != sdk.KindRateLimited || fx.Stats().Refused != 1 {
		t.Fatalf("the 61st connection: %v, %+v", err, fx.Stats())
	}
}

func TestDemoAccountStreamsSwapOnly(t *testing.T) {
	fx, c, acct := streamEnv(t, fake.WSConfig{}, bingx.StreamOptions{MaxConnections: 1})
	acct.Testnet = true
	w := plugintest.Watch(t, c, sdk.StreamAccount{ID: "a1", Account: acct, Parts: allParts})
	ev := w.WaitFor(t, "connected", plugintest.Connected)
	// The demo has no spot wallet: an empty one, without a spot connection,
	// so one connection is enough for the account.
	if !ev.HasSpot || len(ev.Spot) != 0 || ev.Futures == nil {
		t.Fatalf("connected event = %+v", ev)
	}
	if st := fx.Stats(); st.Open != 1 || st.Subscriptions != 0 {
		t.Fatalf("fake saw %+v", st)
	}
}

// TestFakeStreamsAreStrict checks the fake itself: what a client that
// skips a step must run into.
func TestFakeStreamsAreStrict(t *testing.T) {
	e := newEnv(t)
	base := e.Fake.StartWS(fake.WSConfig{PingEvery: 20 * time.Millisecond})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := stream.Dial(ctx, base+"/swap-market?listenKey=unknown", nil); err == nil {
		t.Fatal("an unknown listenKey was accepted")
	}
	post := fakex.Send(t, "POST", e.Fake.URL()+"/openApi/user/auth/userDataStream", "", "", map[string]string{"X-BX-APIKEY": "nobody"})
	if !strings.Contains(string(post.Body), "100413") {
		t.Fatalf("POST with an unknown key: %d %s", post.Status, post.Body)
	}
	put := fakex.Send(t, "PUT", e.Fake.URL()+"/openApi/user/auth/userDataStream", "", "", map[string]string{"X-BX-APIKEY": apiKey})
	if put.Status != http.StatusNoContent {
		t.Fatalf("PUT without listenKey: %d", put.Status)
	}
	put = fakex.Send(t, "PUT", e.Fake.URL()+"/openApi/user/auth/userDataStream", "listenKey=gone", "", map[string]string{"X-BX-APIKEY": apiKey})
	if put.Status != http.StatusNotFound {
		t.Fatalf("PUT of an unknown listenKey: %d", put.Status)
	}
	post = fakex.Send(t, "POST", e.Fake.URL()+"/openApi/user/auth/userDataStream", "timestamp=1&signature=00", "", map[string]string{"X-BX-APIKEY": apiKey})
	if !strings.Contains(string(post.Body), "100001") {
		t.Fatalf("a badly signed POST: %s", post.Body)
	}
	post = fakex.Send(t, "POST", e.Fake.URL()+"/openApi/user/auth/userDataStream", "", "", map[string]string{"X-BX-APIKEY": apiKey})
	var lk struct {
		ListenKey string `json:"listenKey"`
	}
	_ = json.Unmarshal(post.Body, &lk)

	// Swap: no snapshot, gzip binary frames, a message is 80014.
	swap, err := stream.Dial(ctx, base+"/swap-market?listenKey="+lk.ListenKey, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer swap.CloseNow()
	typ, raw, err := swap.Read(ctx)
	if err != nil || typ != websocket.MessageBinary || !stream.IsGzip(raw) {
		t.Fatalf("first swap frame: %v %v", typ, err)
	}
	if b, _ := stream.Gunzip(raw); string(b) != "Ping" {
		t.Fatalf("first swap frame %q, want the Ping (no snapshot)", b)
	}
	_ = swap.Write(ctx, websocket.MessageText, []byte(`{}`))
	for {
		b, err := stream.Read(ctx, swap)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(b), `"code":80014`) {
			break
		}
	}

	// Spot: a subscription is acknowledged with its id; an unknown topic is
	// refused; the pings are JSON.
	spot, err := stream.Dial(ctx, base+"/market?listenKey="+lk.ListenKey, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer spot.CloseNow()
	_ = spot.Write(ctx, websocket.MessageText, []byte(`{"id":"s1","dataType":"ACCOUNT_UPDATE"}`))
	_ = spot.Write(ctx, websocket.MessageText, []byte(`{"id":"s2","reqType":"sub","dataType":"nonsense"}`))
	var acked, refused, pinged bool
	for !acked || !refused || !pinged {
		b, err := stream.Read(ctx, spot)
		if err != nil {
			t.Fatal(err)
		}
		s := string(b)
		acked = acked || strings.Contains(s, `"id":"s1"`) && strings.Contains(s, `"code":0`)
		refused = refused || strings.Contains(s, `"id":"s2"`) && strings.Contains(s, `"code":80014`)
		pinged = pinged || strings.Contains(s, `"ping":`)
	}
}
