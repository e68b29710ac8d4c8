package okx_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/globalautomation/gahost/plugins/okx/fake"
	"github.com/globalautomation/gahost/plugins/okx/okx"
	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/stream"
)

func TestLoginSignature(t *testing.T) {
	// Computed with openssl and Python as well: OKX's own example has no
	// secret to reproduce it with.
	if got := okx.LoginSignature("test-secret", "1704876947"); got != "fQfYjR1/qK14NIFHInX5tYolALbvDPMB8TZhKGlrC24=" {
		t.Fatalf("sign = %s", got)
	}
}

// watcher runs Watch for one account and collects what it emits.
type watcher struct {
	mu     sync.Mutex
	events []sdk.StreamEvent
	done   chan error
}

func watch(t *testing.T, c *okx.Connector, acct sdk.StreamAccount) *watcher {
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
		case <-time.After(5 * time.Second):
			t.Error("Watch did not end with its context")
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

func spotLacks(asset string) func(sdk.StreamEvent) bool {
	return func(ev sdk.StreamEvent) bool {
		if !ev.HasSpot {
			return false
		}
		for _, b := range ev.Spot {
			if b.Asset == asset {
				return false
			}
		}
		return true
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
	w := watch(t, c, sdk.StreamAccount{ID: "a1", Account: acct, Parts: allParts})
	ev := w.waitFor(t, "connected", connected)
	if !spotHas("BTC", "0.5")(ev) || !spotHas("USDT", "1000")(ev) || len(ev.Spot) != 2 {
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
	ev = w.waitFor(t, "USDT pushed", spotHas("USDT", "900"))
	if ev.Futures == nil || !ev.Futures.MarginBalance.Equal(d("900")) || len(ev.Spot) != 2 {
		t.Fatalf("update = %+v", ev)
	}
	fx.SetPosition(apiKey, btcSwap("net", "-3"))
	ev = w.waitFor(t, "flipped short", func(ev sdk.StreamEvent) bool {
		return ev.HasPositions && len(ev.Positions) == 1 && ev.Positions[0].Side == sdk.SideShort
	})
	if !ev.Positions[0].Size.Equal(d("0.03")) {
		t.Fatalf("short = %+v", ev.Positions[0])
	}
	fx.SetPosition(apiKey, btcSwap("net", "0"))
	w.waitFor(t, "closed", func(ev sdk.StreamEvent) bool { return ev.HasPositions && len(ev.Positions) == 0 })
	fx.SetBalance(apiKey, coin("BTC", "0"))
	w.waitFor(t, "BTC gone", spotLacks("BTC"))
	if n := w.count(resyncing); n != 0 {
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
	w := watch(t, c, sdk.StreamAccount{ID: "a1", Account: acct, Parts: allParts})
	ev := w.waitFor(t, "connected", connected)
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
	w := watch(t, c, sdk.StreamAccount{ID: "a1", Account: acct, Parts: []string{sdk.CapSpotBalances}})
	w.waitFor(t, "connected", connected)
	fx.DropEvents(1)
	fx.SetBalance(apiKey, coin("ETH", "7"))
	fx.SetBalance(apiKey, usdt("0"))
	if fx.WSStats().Dropped != 2 {
		t.Fatal("the events were not dropped")
	}
	// The next regular snapshot is authoritative: the missed ETH comes,
	// the missed USDT drop goes, without a reconnect.
	w.waitFor(t, "healed by the regular snapshot", func(ev sdk.StreamEvent) bool {
		return spotHas("ETH", "7")(ev) && spotLacks("USDT")(ev)
	})
	if n := w.count(resyncing); n != 0 || fx.WSStats().Connections != 1 {
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
	w := watch(t, c, sdk.StreamAccount{ID: "a1", Account: acct, Parts: allParts})
	w.waitFor(t, "connected", connected)
	fx.SetBalance(apiKey, coin("BTC", "0"))
	fx.SetPosition(apiKey, btcSwap("net", "0"))
	w.waitFor(t, "BTC gone", spotLacks("BTC"))
	w.waitFor(t, "position gone", func(ev sdk.StreamEvent) bool { return ev.HasPositions && len(ev.Positions) == 0 })
}

func TestStreamResyncsAfterCut(t *testing.T) {
	fx, c, acct := streamEnv(t, quiet, okx.StreamOptions{})
	fx.Update(apiKey, func(a *fake.Account) { a.Balances = []fake.Balance{usdt("1000")} })
	w := watch(t, c, sdk.StreamAccount{ID: "a1", Account: acct, Parts: []string{sdk.CapSpotBalances}})
	w.waitFor(t, "connected", connected)
	fx.DropEvents(1)
	fx.SetBalance(apiKey, coin("ETH", "7"))
	time.Sleep(100 * time.Millisecond)
	if w.count(spotHas("ETH", "7")) != 0 {
		t.Fatal("a dropped event arrived")
	}
	fx.DropEvents(0)
	from := w.mark()
	fx.CutStreams()
	w.waitAfter(t, from, "resyncing after the cut", resyncing)
	ev := w.waitAfter(t, from, "connected again", connected)
	if !spotHas("ETH", "7")(ev) {
		t.Fatalf("the new session's snapshot lacks the lost change: %+v", ev)
	}
	fx.SetBalance(apiKey, coin("SOL", "3"))
	w.waitAfter(t, from, "live on the new connection", spotHas("SOL", "3"))
}

func TestStreamPingsWhenIdle(t *testing.T) {
	cfg := quiet
	cfg.IdleTimeout = 300 * time.Millisecond
	fx, c, acct := streamEnv(t, cfg, okx.StreamOptions{PingAfter: 100 * time.Millisecond, PongWait: 100 * time.Millisecond})
	w := watch(t, c, sdk.StreamAccount{ID: "a1", Account: acct, Parts: []string{sdk.CapSpotBalances}})
	w.waitFor(t, "connected", connected)
	time.Sleep(1200 * time.Millisecond)
	st := fx.WSStats()
	if st.IdleCuts != 0 || w.count(resyncing) != 0 || st.Pings < 3 {
		t.Fatalf("idle cuts %d, resyncs %d, pings %d: the client must keep a silent stream open", st.IdleCuts, w.count(resyncing), st.Pings)
	}
}

func TestStreamHandsOverOnNotice(t *testing.T) {
	// The fake announces each connection's cut 500 ms ahead (OKX: 60 s)
	// and cuts it after 900 ms.
	cfg := quiet
	cfg.Lifetime, cfg.NoticeBefore = 900*time.Millisecond, 500*time.Millisecond
	fx, c, acct := streamEnv(t, cfg, okx.StreamOptions{})
	fx.Update(apiKey, func(a *fake.Account) { a.Balances = []fake.Balance{usdt("1000")} })
	w := watch(t, c, sdk.StreamAccount{ID: "a1", Account: acct, Parts: []string{sdk.CapSpotBalances, sdk.CapFuturesAccount}})
	w.waitFor(t, "connected", connected)
	start := time.Now()
	for i := 0; time.Since(start) < 2500*time.Millisecond; i++ {
		v := strconv.Itoa(1000 + i)
		fx.SetBalance(apiKey, usdt(v))
		w.waitFor(t, "change "+v, spotHas("USDT", v))
		time.Sleep(50 * time.Millisecond)
	}
	if st := fx.WSStats(); st.Connections < 3 {
		t.Fatalf("%d connections in 2.5 s of 900 ms lifetimes", st.Connections)
	}
	if n := w.count(resyncing); n != 0 {
		t.Fatalf("%d resyncs: the handover should leave no gap", n)
	}
}

func TestStreamBadKeyFailsWithoutLeaking(t *testing.T) {
	for _, tc := range []struct {
		name  string
		tweak func(*sdk.Account)
		code  string
	}{
		{"wrong secret", func(a *sdk.Account) { a.SecretKey = "wrong-secret-value-0000" }, "60007"},
		{"wrong passphrase", func(a *sdk.Account) { a.Passphrase = "wrong-passphrase-0000" }, "60024"},
		{"unknown key", func(a *sdk.Account) { a.APIKey = "unknown-key-0000" }, "60005"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, c, acct := streamEnv(t, quiet, okx.StreamOptions{})
			tc.tweak(&acct)
			w := watch(t, c, sdk.StreamAccount{ID: "a1", Account: acct, Parts: []string{sdk.CapSpotBalances}})
			err := w.ended(t)
			var se *sdk.Error
			if !errors.As(err, &se) || se.Kind != sdk.KindAuthentication || se.ExchangeCode != tc.code {
				t.Fatalf("Watch = %v", err)
			}
			for _, secret := range []string{acct.SecretKey, acct.Passphrase, secret, passphrase} {
				if strings.Contains(err.Error(), secret) {
					t.Fatalf("the error leaks a credential: %v", err)
				}
			}
		})
	}
}

func TestStreamClockSkewIsRetried(t *testing.T) {
	fx, c, acct := streamEnv(t, quiet, okx.StreamOptions{})
	fx.SetClockOffset(-time.Minute)
	w := watch(t, c, sdk.StreamAccount{ID: "a1", Account: acct, Parts: []string{sdk.CapSpotBalances}})
	w.waitFor(t, "resyncing on 60006", func(ev sdk.StreamEvent) bool { return resyncing(ev) && strings.Contains(ev.Reason, "clock") })
	fx.SetClockOffset(0)
	w.waitFor(t, "connected once the clocks agree", connected)
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

func TestStreamOverTheCapIsPolled(t *testing.T) {
	fx, c, acct := streamEnv(t, quiet, okx.StreamOptions{MaxConnections: 2})
	accts := addAccounts(fx, acct, 3)
	a := watch(t, c, accts[0])
	b := watch(t, c, accts[1])
	a.waitFor(t, "connected", connected)
	b.waitFor(t, "connected", connected)
	err := watch(t, c, accts[2]).ended(t)
	if !errors.Is(err, stream.ErrCapReached) {
		t.Fatalf("the third account = %v, want ErrCapReached so the host polls it", err)
	}
	if st := fx.WSStats(); st.MaxOpen != 2 {
		t.Fatalf("%d connections open at once", st.MaxOpen)
	}
}

func TestStreamOneAccountPerConnectionWithinTheRate(t *testing.T) {
	// OKX takes one login per connection, so each account has its own;
	// they are opened at no more than 3 per window, or the fake refuses.
	fx, c, acct := streamEnv(t, fake.WSConfig{AccountEvery: time.Hour, PositionsEvery: time.Hour, ConnWindow: 300 * time.Millisecond},
		okx.StreamOptions{ConnectWindow: 350 * time.Millisecond})
	accts := addAccounts(fx, acct, 7)
	start := time.Now()
	var ws []*watcher
	for _, a := range accts {
		ws = append(ws, watch(t, c, a))
	}
	for _, w := range ws {
		w.waitFor(t, "connected", connected)
	}
	if took := time.Since(start); took < 700*time.Millisecond {
		t.Fatalf("7 connections in %v: faster than 3 per 350 ms", took)
	}
	st := fx.WSStats()
	if st.Refused != 0 || st.Connections != 7 || st.Logins != 7 {
		t.Fatalf("fake saw %+v", st)
	}
	fx.SetBalance("key03", coin("SOL", "3"))
	ws[3].waitFor(t, "its own change", spotHas("SOL", "3"))
	if ws[4].count(spotHas("SOL", "3")) != 0 {
		t.Fatal("an event reached another account")
	}
}

func TestStreamChannelConnectionLimitIsPolled(t *testing.T) {
	cfg := quiet
	cfg.ChannelConns = 1
	_, c, acct := streamEnv(t, cfg, okx.StreamOptions{})
	first := watch(t, c, sdk.StreamAccount{ID: "a1", Account: acct, Parts: []string{sdk.CapSpotBalances}})
	first.waitFor(t, "connected", connected)
	err := watch(t, c, sdk.StreamAccount{ID: "a2", Account: acct, Parts: []string{sdk.CapSpotBalances}}).ended(t)
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
