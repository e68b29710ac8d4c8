package okx_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/globalautomation/gahost/plugins/okx/fake"
	"github.com/globalautomation/gahost/plugins/okx/okx"
	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/plugintest"
)

func TestLoginSignature(t *testing.T) {
	// Computed with openssl and Python as well: OKX's own example has no
	// secret to reproduce it with.
	if got := okx.LoginSignature("test-secret", "1704876947"); got != "fQfYjR1/qK14NIFHInX5tYolALbvDPMB8TZhKGlrC24=" {
		t.Fatalf("sign = %s", got)
	}
}

var allParts = []string{sdk.CapSpotBalances, sdk.CapFuturesAccount, sdk.CapPositions}

func usdt(eq string) fake.Balance {
	return fake.Balance{Ccy: "USDT", Eq: eq, CashBal: eq, AvailBal: eq, AvailEq: eq, FrozenBal: "0", Upl: "0"}
}

func coin(ccy, eq string) fake.Balance {
	return fake.Balance{Ccy: ccy, Eq: eq, CashBal: eq, AvailBal: eq, AvailEq: eq, FrozenBal: "0", Upl: "0"}
}

func btcSwap(posSide, pos string) fake.Position {
	return fake.Position{InstID: "BTC-USDT-SWAP", MgnMode: "cross", PosSide: posSide, Pos: pos, AvgPx: "60000",
		MarkPx: "60100", Upl: "2", Lever: "10", LiqPx: ""}
}

// streamEnv starts the fake's stream with cfg and a connector whose stream
// options are o, with short backoffs.
func streamEnv(t *testing.T, cfg fake.WSConfig, o okx.StreamOptions) (*fake.Server, *okx.Connector, sdk.Account) {
	t.Helper()
	e := newEnv(t)
	ws := e.Fake.StartWS(cfg)
	acct := e.Acct
	acct.Endpoints = map[string]string{okx.EndpointREST: e.Fake.URL(), okx.EndpointWS: ws}
	o.BackoffMin, o.BackoffMax = 10*time.Millisecond, 50*time.Millisecond
	e.C.SetStreamOptions(o)
	return e.Fake, e.C, acct
}

// quiet is a fake config without regular snapshots, so that only what the
// test does reaches the client.
var quiet = fake.WSConfig{AccountEvery: time.Hour, PositionsEvery: time.Hour}

func TestStreamSnapshotThenUpdates(t *testing.T) {
	fx, c, acct := streamEnv(t, quiet, okx.StreamOptions{})
	fx.Update(apiKey, func(a *fake.Account) {
		a.Balances = []fake.Balance{usdt("1000"), coin("BTC", "0.5"), coin("ETH", "0")}
		a.Positions = []fake.Position{btcSwap("net", "2")}
	})
	w := plugintest.Watch(t, c, sdk.StreamAccount{ID: "a1", Account: acct, Parts: allParts})
	ev := w.WaitFor(t, "connected", plugintest.Connected)
	if !plugintest.SpotHas("BTC", "0.5")(ev) || !plugintest.SpotHas("USDT", "1000")(ev) || len(ev.Spot) != 2 {
		t.Fatalf("seeded spot = %+v", ev.Spot)
	}
	if ev.Futures == nil || !ev.Futures.WalletBalance.Equal(d("1000")) || !ev.Futures.AvailableBalance.Equal(d("1000")) {
		t.Fatalf("seeded futures = %+v", ev.Futures)
	}
	if len(ev.Positions) != 1 || ev.Positions[0].Symbol != "BTC/USDT:USDT" || ev.Positions[0].Side != sdk.SideLong ||
		!ev.Positions[0].Size.Equal(d("0.02")) || ev.Positions[0].MarginMode != sdk.MarginCross {
		t.Fatalf("seeded positions = %+v", ev.Positions)
	}
	// OKX sends its snapshot over the socket: no REST seed.
	if n := fx.Calls("/api/v5/account/balance") + fx.Calls("/api/v5/account/positions"); n != 0 {
		t.Fatalf("%d REST reads of the account while streaming", n)
	}

	fx.SetBalance(apiKey, usdt("900"))
	ev = w.WaitFor(t, "USDT pushed", plugintest.SpotHas("USDT", "900"))
	if ev.Futures == nil || !ev.Futures.MarginBalance.Equal(d("900")) || len(ev.Spot) != 2 {
		t.Fatalf("update = %+v", ev)
	}
	fx.SetPosition(apiKey, btcSwap("net", "-3"))
	ev = w.WaitFor(t, "flipped short", func(ev sdk.StreamEvent) bool {
		return ev.HasPositions && len(ev.Positions) == 1 && ev.Positions[0].Side == sdk.SideShort
	})
	if !ev.Positions[0].Size.Equal(d("0.03")) {
		t.Fatalf("short = %+v", ev.Positions[0])
	}
	fx.SetPosition(apiKey, btcSwap("net", "0"))
	w.WaitFor(t, "closed", func(ev sdk.StreamEvent) bool { return ev.HasPositions && len(ev.Positions) == 0 })
	fx.SetBalance(apiKey, coin("BTC", "0"))
	w.WaitFor(t, "BTC gone", plugintest.SpotLacks("BTC"))
	if n := w.Count(plugintest.Resyncing); n != 0 {
		t.Fatalf("%d resyncs on a healthy stream", n)
	}
}

func TestStreamAssemblesPagedSnapshots(t *testing.T) {
	cfg := quiet
	cfg.PageSize = 2
	fx, c, acct := streamEnv(t, cfg, okx.StreamOptions{})
	fx.Update(apiKey, func(a *fake.Account) {
		a.PosMode = "long_short_mode"
		a.Balances = []fake.Balance{usdt("1000"), coin("BTC", "1"), coin("ETH", "2"), coin("SOL", "3"), coin("DOGE", "4")}
		eth := btcSwap("long", "5")
		eth.InstID = "ETH-USDT-SWAP"
		a.Positions = []fake.Position{btcSwap("long", "1"), btcSwap("short", "2"), eth}
	})
	w := plugintest.Watch(t, c, sdk.StreamAccount{ID: "a1", Account: acct, Parts: allParts})
	ev := w.WaitFor(t, "connected", plugintest.Connected)
	if len(ev.Spot) != 5 || len(ev.Positions) != 3 {
		t.Fatalf("a paged snapshot was not assembled whole: %d balances, %d positions", len(ev.Spot), len(ev.Positions))
	}
	if p := fx.WSStats().Pages; p < 5 {
		t.Fatalf("%d pages sent; the test needs several per channel", p)
	}
}

func TestStreamSnapshotRepairsDroppedEvent(t *testing.T) {
	fx, c, acct := streamEnv(t, fake.WSConfig{AccountEvery: 200 * time.Millisecond, PositionsEvery: time.Hour}, okx.StreamOptions{})
	fx.Update(apiKey, func(a *fake.Account) { a.Balances = []fake.Balance{usdt("1000")} })
	w := plugintest.WatchConnected(t, c, sdk.StreamAccount{ID: "a1", Account: acct, Parts: []string{sdk.CapSpotBalances}})
	fx.DropEvents(1)
	fx.SetBalance(apiKey, coin("ETH", "7"))
	fx.SetBalance(apiKey, usdt("0"))
	if fx.WSStats().Dropped != 2 {
		t.Fatal("the events were not dropped")
	}
	// The next regular snapshot is authoritative: the missed ETH comes,
	// the missed USDT drop goes, without a reconnect.
	w.WaitFor(t, "healed by the regular snapshot", func(ev sdk.StreamEvent) bool {
		return plugintest.SpotHas("ETH", "7")(ev) && plugintest.SpotLacks("USDT")(ev)
	})
	if n := w.Count(plugintest.Resyncing); n != 0 || fx.WSStats().Connections != 1 {
		t.Fatalf("%d resyncs, %d connections; the snapshot should heal in place", n, fx.WSStats().Connections)
	}
}

func TestStreamZeroRowsNeverPushed(t *testing.T) {
	// Whether OKX pushes the row of a currency or position that drops to
	// zero is undocumented; without it, the next snapshot removes it.
	cfg := fake.WSConfig{AccountEvery: 200 * time.Millisecond, PositionsEvery: 200 * time.Millisecond, OmitZeroUpdates: true}
	fx, c, acct := streamEnv(t, cfg, okx.StreamOptions{})
	fx.Update(apiKey, func(a *fake.Account) {
		a.Balances = []fake.Balance{usdt("1000"), coin("BTC", "1")}
		a.Positions = []fake.Position{btcSwap("net", "2")}
	})
	w := plugintest.WatchConnected(t, c, sdk.StreamAccount{ID: "a1", Account: acct, Parts: allParts})
	fx.SetBalance(apiKey, coin("BTC", "0"))
	fx.SetPosition(apiKey, btcSwap("net", "0"))
	w.WaitFor(t, "BTC gone", plugintest.SpotLacks("BTC"))
	w.WaitFor(t, "position gone", func(ev sdk.StreamEvent) bool { return ev.HasPositions && len(ev.Positions) == 0 })
}

func TestStreamPingsWhenIdle(t *testing.T) {
	cfg := quiet
	cfg.IdleTimeout = 300 * time.Millisecond
	fx, c, acct := streamEnv(t, cfg, okx.StreamOptions{PingAfter: 100 * time.Millisecond, PongWait: 100 * time.Millisecond})
	w := plugintest.WatchConnected(t, c, sdk.StreamAccount{ID: "a1", Account: acct, Parts: []string{sdk.CapSpotBalances}})
	time.Sleep(1200 * time.Millisecond)
	st := fx.WSStats()
	if st.IdleCuts != 0 || w.Count(plugintest.Resyncing) != 0 || st.Pings < 3 {
		t.Fatalf("idle cuts %d, resyncs %d, pings %d: the client must keep a silent stream open", st.IdleCuts, w.Count(plugintest.Resyncing), st.Pings)
	}
}

func TestStreamHandsOverOnNotice(t *testing.T) {
	// The fake announces each connection's cut 500 ms ahead (OKX: 60 s)
	// and cuts it after 900 ms.
	cfg := quiet
	cfg.Lifetime, cfg.NoticeBefore = 900*time.Millisecond, 500*time.Millisecond
	fx, c, acct := streamEnv(t, cfg, okx.StreamOptions{})
	fx.Update(apiKey, func(a *fake.Account) { a.Balances = []fake.Balance{usdt("1000")} })
	w := plugintest.WatchConnected(t, c, sdk.StreamAccount{ID: "a1", Account: acct, Parts: []string{sdk.CapSpotBalances, sdk.CapFuturesAccount}})
	start := time.Now()
	for i := 0; time.Since(start) < 2500*time.Millisecond; i++ {
		v := strconv.Itoa(1000 + i)
		fx.SetBalance(apiKey, usdt(v))
		w.WaitFor(t, "change "+v, plugintest.SpotHas("USDT", v))
		time.Sleep(50 * time.Millisecond)
	}
	if st := fx.WSStats(); st.Connections < 3 {
		t.Fatalf("%d connections in 2.5 s of 900 ms lifetimes", st.Connections)
	}
	if n := w.Count(plugintest.Resyncing); n != 0 {
		t.Fatalf("%d resyncs: the handover should leave no gap", n)
	}
}

func TestStreamClockSkewIsRetried(t *testing.T) {
	fx, c, acct := streamEnv(t, quiet, okx.StreamOptions{})
	fx.SetClockOffset(-time.Minute)
	w := plugintest.Watch(t, c, sdk.StreamAccount{ID: "a1", Account: acct, Parts: []string{sdk.CapSpotBalances}})
	w.WaitFor(t, "resyncing on 60006", plugintest.ResyncingFor("clock"))
	fx.SetClockOffset(0)
	w.WaitFor(t, "connected once the clocks agree", plugintest.Connected)
}

// TestStreamConformance runs the shared stream checks: OKX answers a bad
// login with its code, and one account takes one connection, so two
// connections admit two accounts.
func TestStreamConformance(t *testing.T) {
	setup := func(t *testing.T, o okx.StreamOptions) plugintest.StreamSetup {
		fx, c, acct := streamEnv(t, quiet, o)
		fx.Update(apiKey, func(a *fake.Account) { a.Balances = []fake.Balance{usdt("1000")} })
		return plugintest.StreamSetup{Streamer: c, Fake: fx,
			Account: sdk.StreamAccount{ID: "a1", Account: acct, Parts: []string{sdk.CapSpotBalances}},
			SetSpot: func(a sdk.Account, asset, free string) { fx.SetBalance(a.APIKey, coin(asset, free)) }}
	}
	plugintest.RunStream(t, plugintest.StreamKit{
		New: func(t *testing.T) plugintest.StreamSetup { return setup(t, okx.StreamOptions{}) },
		BadKeys: []plugintest.BadStreamKey{
			{Name: "wrong secret", Tweak: func(a *sdk.Account) { a.SecretKey = "wrong-secret-value-0000" }, Code: "60007"},
			{Name: "wrong passphrase", Tweak: func(a *sdk.Account) { a.Passphrase = "wrong-passphrase-0000" }, Code: "60024"},
			{Name: "unknown key", Tweak: func(a *sdk.Account) { a.APIKey = "unknown-key-0000" }, Code: "60005"},
		},
		Capped: func(t *testing.T) (plugintest.StreamSetup, []sdk.StreamAccount) {
			s := setup(t, okx.StreamOptions{MaxConnections: 2})
			return s, addAccounts(s.Fake.(*fake.Server), s.Account.Account, 3)
		},
		CapCheck: func(t *testing.T, s plugintest.StreamSetup) {
			if st := s.Fake.(*fake.Server).WSStats(); st.MaxOpen != 2 {
				t.Fatalf("%d connections open at once", st.MaxOpen)
			}
		},
	})
}

// addAccounts adds n keys to the fake and returns their stream accounts.
func addAccounts(fx *fake.Server, acct sdk.Account, n int) []sdk.StreamAccount {
	var out []sdk.StreamAccount
	for i := range n {
		k := fmt.Sprintf("key%02d", i)
		fx.AddKey(fake.FullKey(k, "secret"+k, "pass"+k))
		a := acct
		a.APIKey, a.SecretKey, a.Passphrase = k, "secret"+k, "pass"+k
		out = append(out, sdk.StreamAccount{ID: k, Account: a, Parts: []string{sdk.CapSpotBalances}})
	}
	return out
}

func TestStreamOneAccountPerConnectionWithinTheRate(t *testing.T) {
	// OKX takes one login per connection, so each account has its own;
	// they are opened at no more than 3 per window, or the fake refuses.
	fx, c, acct := streamEnv(t, fake.WSConfig{AccountEvery: time.Hour, PositionsEvery: time.Hour, ConnWindow: 300 * time.Millisecond},
		okx.StreamOptions{ConnectWindow: 350 * time.Millisecond})
	accts := addAccounts(fx, acct, 7)
	start := time.Now()
	ws := plugintest.WatchAllConnected(t, c, accts...)
	if took := time.Since(start); took < 700*time.Millisecond {
		t.Fatalf("7 connections in %v: faster than 3 per 350 ms", took)
	}
	st := fx.WSStats()
	if st.Refused != 0 || st.Connections != 7 || st.Logins != 7 {
		t.Fatalf("fake saw %+v", st)
	}
	fx.SetBalance("key03", coin("SOL", "3"))
	plugintest.OwnEvent(t, ws, 3, plugintest.SpotHas("SOL", "3"))
}

func TestStreamChannelConnectionLimitIsPolled(t *testing.T) {
	cfg := quiet
	cfg.ChannelConns = 1
	_, c, acct := streamEnv(t, cfg, okx.StreamOptions{})
	plugintest.WatchConnected(t, c, sdk.StreamAccount{ID: "a1", Account: acct, Parts: []string{sdk.CapSpotBalances}})
	err := plugintest.Watch(t, c, sdk.StreamAccount{ID: "a2", Account: acct, Parts: []string{sdk.CapSpotBalances}}).Ended(t)
	if sdk.KindOf(err) != sdk.KindUnavailable || !strings.Contains(err.Error(), "polled") {
		t.Fatalf("second connection of the user = %v", err)
	}
}

// --- the fake's own strictness, through a raw connection ---

type raw struct {
	t *testing.T
	c *websocket.Conn
}

func dialRaw(t *testing.T, base string) *raw {
	t.Helper()
	c, _, err := websocket.Dial(context.Background(), base+"/ws/v5/private", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.CloseNow() })
	return &raw{t, c}
}

func (r *raw) send(v any) {
	b, _ := json.Marshal(v)
	if err := r.c.Write(context.Background(), websocket.MessageText, b); err != nil {
		r.t.Fatal(err)
	}
}

func (r *raw) next() map[string]any {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, b, err := r.c.Read(ctx)
	if err != nil {
		r.t.Fatal(err)
	}
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	return m
}

func (r *raw) login(key, secretKey, pass string) map[string]any {
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	r.send(map[string]any{"op": "login", "args": []map[string]string{{"apiKey": key, "passphrase": pass, "timestamp": ts,
		"sign": okx.LoginSignature(secretKey, ts)}}})
	return r.next()
}

func TestFakeStreamIsStrict(t *testing.T) {
	fx := fake.New()
	t.Cleanup(fx.Close)
	fx.AddKey(fake.FullKey(apiKey, secret, passphrase))
	base := fx.StartWS(fake.WSConfig{IdleTimeout: 300 * time.Millisecond, AccountEvery: time.Hour})

	r := dialRaw(t, base)
	r.send(map[string]any{"op": "subscribe", "args": []map[string]string{{"channel": "account"}}})
	if m := r.next(); m["code"] != "60011" {
		t.Fatalf("subscribe before login = %v", m)
	}
	if m := r.login(apiKey, secret, passphrase); m["event"] != "login" || m["code"] != "0" {
		t.Fatalf("login = %v", m)
	}
	if m := r.login(apiKey, secret, passphrase); m["code"] != "60031" {
		t.Fatalf("second login = %v", m)
	}
	r.send(map[string]any{"op": "subscribe", "args": []map[string]string{{"channel": "positions"}}})
	if m := r.next(); m["event"] != "error" {
		t.Fatalf("positions without instType = %v", m)
	}
	r.send(map[string]any{"op": "subscribe", "args": []map[string]string{{"channel": "orders", "instType": "ANY"}}})
	if m := r.next(); m["event"] != "subscribe" {
		t.Fatalf("orders ack = %v", m)
	}
	if m := r.next(); m["event"] != "channel-conn-count" {
		t.Fatalf("after the ack = %v", m)
	}
	// orders sends no snapshot, and a client that never pings is cut.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, b, err := r.c.Read(ctx)
	if websocket.CloseStatus(err) != 4004 {
		t.Fatalf("a silent connection got %q / %v, want close 4004", b, err)
	}

	stale := dialRaw(t, base)
	ts := strconv.FormatInt(time.Now().Add(-time.Minute).Unix(), 10)
	stale.send(map[string]any{"op": "login", "args": []map[string]string{{"apiKey": apiKey, "passphrase": passphrase,
		"timestamp": ts, "sign": okx.LoginSignature(secret, ts)}}})
	if m := stale.next(); m["code"] != "60006" {
		t.Fatalf("a minute-old login = %v", m)
	}
	ms := dialRaw(t, base)
	ts = strconv.FormatInt(time.Now().UnixMilli(), 10)
	ms.send(map[string]any{"op": "login", "args": []map[string]string{{"apiKey": apiKey, "passphrase": passphrase,
		"timestamp": ts, "sign": okx.LoginSignature(secret, ts)}}})
	if m := ms.next(); m["code"] != "60006" && m["code"] != "60004" {
		t.Fatalf("a login in milliseconds = %v", m)
	}
}
