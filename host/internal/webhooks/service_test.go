package webhooks

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/globalautomation/gahost/host/internal/accounts"
	"github.com/globalautomation/gahost/host/internal/secrets"
	"github.com/globalautomation/gahost/host/internal/store"
	"github.com/globalautomation/gahost/sdk"
	"github.com/hashicorp/go-hclog"
	"github.com/shopspring/decimal"
)

// fakeExchange records the orders it is asked to place. Its error messages
// quote the credentials on purpose, to prove they are scrubbed.
type fakeExchange struct {
	info sdk.Info

	mu       sync.Mutex
	orders   []sdk.OrderRequest
	accounts []sdk.Account
	ctxErrs  []error // ctx.Err() of each call when it returned
	// fail, when set, makes PlaceOrder return its error.
	fail func(sdk.Account) error
	// gate, when set, holds PlaceOrder until it is closed.
	gate chan struct{}
	// instruments and prices are the market data it serves; nil answers
	// unsupported, as the catalog does for a plugin without them.
	instruments     map[sdk.Market][]sdk.Instrument
	prices          map[string]sdk.Price
	instrumentCalls int
	priceCalls      int
}

func (f *fakeExchange) Instruments(_ context.Context, acct sdk.Account, m sdk.Market) ([]sdk.Instrument, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.instruments == nil {
		return nil, sdk.Errorf(sdk.KindUnsupported, "the plugin lists no instruments")
	}
	if acct.APIKey != "" || acct.SecretKey != "" {
		return nil, errors.New("credentials sent to a public call")
	}
	f.instrumentCalls++
	return f.instruments[m], nil
}

func (f *fakeExchange) Prices(_ context.Context, acct sdk.Account, req sdk.PriceRequest) (sdk.Prices, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.prices == nil {
		return sdk.Prices{}, sdk.Errorf(sdk.KindUnsupported, "the plugin serves no prices")
	}
	if acct.APIKey != "" || acct.SecretKey != "" {
		return sdk.Prices{}, errors.New("credentials sent to a public call")
	}
	f.priceCalls++
	return sdk.AnswerPrices("fakex", req, f.prices), nil
}

func (f *fakeExchange) Info(context.Context) (sdk.Info, error) { return f.info, nil }
func (f *fakeExchange) ValidateCredentials(context.Context, sdk.Account) (sdk.Permissions, error) {
	return sdk.Permissions{CanRead: true}, nil
}
func (f *fakeExchange) SpotBalances(context.Context, sdk.Account) ([]sdk.Balance, error) {
	return nil, nil
}
func (f *fakeExchange) FuturesAccount(context.Context, sdk.Account) (sdk.FuturesAccount, error) {
	return sdk.FuturesAccount{}, nil
}
func (f *fakeExchange) Positions(context.Context, sdk.Account) ([]sdk.Position, error) {
	return nil, nil
}
func (f *fakeExchange) CancelOrder(context.Context, sdk.Account, sdk.CancelRequest) (sdk.Order, error) {
	return sdk.Order{}, sdk.Errorf(sdk.KindUnsupported, "no")
}

func (f *fakeExchange) PlaceOrder(ctx context.Context, acct sdk.Account, req sdk.OrderRequest) (sdk.Order, error) {
	if f.gate != nil {
		<-f.gate
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.orders = append(f.orders, req)
	f.accounts = append(f.accounts, acct)
	f.ctxErrs = append(f.ctxErrs, ctx.Err())
	if f.fail != nil {
		if err := f.fail(acct); err != nil {
			return sdk.Order{}, err
		}
	}
	return sdk.Order{ID: fmt.Sprintf("EX%d", len(f.orders)), ClientOrderID: req.ClientOrderID, Market: req.Market,
		Symbol: req.Symbol, Side: req.Side, Type: req.Type, Status: sdk.StatusFilled, Quantity: req.Quantity,
		FilledQuantity: req.Quantity, AveragePrice: decimal.RequireFromString("100.25")}, nil
}

func (f *fakeExchange) placed() []sdk.OrderRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]sdk.OrderRequest(nil), f.orders...)
}

type catalog map[string]*fakeExchange

func (c catalog) Exchange(name string) (sdk.Exchange, sdk.Info, bool) {
	f, ok := c[name]
	if !ok {
		return nil, sdk.Info{}, false
	}
	return f, f.info, true
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// env is a Service over a real store with one user, one account on a fake
// exchange and helpers to make webhooks. At the end, the log must hold no
// credential, token or secret the test made.
type env struct {
	t     testing.TB
	ctx   context.Context
	st    *store.Store
	key   *secrets.Key
	ex    *fakeExchange
	cat   catalog
	clock *clock
	logs  *lockedBuffer
	svc   *Service
	accts *accounts.Service
	user  store.User
	acct  store.Account

	mu    sync.Mutex
	noted []string
}

func newEnv(t testing.TB) *env {
	t.Helper()
	e := &env{t: t, ctx: context.Background(), logs: &lockedBuffer{},
		clock: &clock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)},
		ex:    &fakeExchange{info: sdk.Info{Name: "fakex", Capabilities: []string{sdk.CapOrders}}}}
	e.cat = catalog{"fakex": e.ex}
	var err error
	if e.st, err = store.Open(e.ctx, store.Path(t.TempDir()), store.Options{Now: e.clock.now}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.st.Close() })
	if e.key, err = secrets.GenerateKey(); err != nil {
		t.Fatal(err)
	}
	_, tokenHash, _ := secrets.NewToken()
	if e.user, err = e.st.CreateUser(e.ctx, store.NewUser{Username: "trader", Role: store.RoleUser, Token: tokenHash}); err != nil {
		t.Fatal(err)
	}
	if e.accts, err = accounts.New(accounts.Config{Store: e.st, Keys: e.key, Exchanges: e.cat, Now: e.clock.now}); err != nil {
		t.Fatal(err)
	}
	creds := secrets.Credentials{APIKey: "APIKEY-live-0123456789abcdef", SecretKey: "SECRETKEY-live-fedcba9876543210"}
	e.note(creds.APIKey, creds.SecretKey)
	if e.acct, err = e.accts.Create(e.ctx, e.user.ID, accounts.NewAccount{Name: "main", Exchange: "fakex",
		APIKey: creds.APIKey, SecretKey: creds.SecretKey}); err != nil {
		t.Fatal(err)
	}
	e.build(Config{})
	t.Cleanup(func() {
		logs := e.logs.String()
		e.mu.Lock()
		defer e.mu.Unlock()
		for _, s := range e.noted {
			if strings.Contains(logs, s) {
				t.Errorf("the log contains a secret (%d chars)", len(s))
			}
		}
	})
	return e
}

func (e *env) build(cfg Config) {
	e.t.Helper()
	cfg.Store, cfg.Keys, cfg.Exchanges, cfg.Now = e.st, e.key, e.cat, e.clock.now
	cfg.Logger = hclog.New(&hclog.LoggerOptions{Output: e.logs, Level: hclog.Trace})
	svc, err := New(cfg)
	if err != nil {
		e.t.Fatal(err)
	}
	e.svc = svc
}

func (e *env) note(s ...string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.noted = append(e.noted, s...)
}

// hook is a webhook and its plaintext credentials.
type hook struct {
	store.Webhook
	token, secret string
}

func (e *env) webhook(in NewWebhook) hook {
	e.t.Helper()
	in.AccountID = e.acct.ID
	if in.Name == "" {
		in.Name = "tv"
	}
	w, c, err := e.svc.Create(e.ctx, e.user.ID, in)
	if err != nil {
		e.t.Fatal(err)
	}
	e.note(c.Token, c.Secret)
	return hook{w, c.Token, c.Secret}
}

// send delivers an alert made of fields plus the hook's secret.
func (e *env) send(h hook, fields map[string]any) (Outcome, error) {
	e.t.Helper()
	body := map[string]any{"secret": h.secret}
	for k, v := range fields {
		body[k] = v
	}
	raw, err := json.Marshal(body)
	if err != nil {
		e.t.Fatal(err)
	}
	return e.svc.Deliver(e.ctx, h.token, raw)
}

func (e *env) snapshot(s store.Snapshot) {
	e.t.Helper()
	if err := e.st.PutSyncResult(e.ctx, e.acct.ID, store.SyncResult{Fresh: &s, State: store.SyncState{Status: store.SyncOK}}); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) deliveries(h hook) []store.Delivery {
	e.t.Helper()
	list, err := e.st.ListDeliveries(e.ctx, e.user.ID, h.ID, 0)
	if err != nil {
		e.t.Fatal(err)
	}
	return list
}

// limitOf is a max_notional as a client sends it.
func limitOf(s string) *string { return &s }

func TestDeliverPlacesTheOrder(t *testing.T) {
	e := newEnv(t)
	h := e.webhook(NewWebhook{Market: "futures", AllowedSymbols: []string{"BTC/USDT:USDT"}, MaxNotional: limitOf("1000")})
	out, err := e.send(h, map[string]any{"action": "buy", "symbol": "BTC/USDT:USDT", "type": "limit",
		"quantity": "0.01", "price": "60000", "alert_id": "a1"})
	if err != nil {
		t.Fatal(err)
	}
	d := out.Delivery
	if d.Status != store.DeliveryExecuted || d.Order == nil || d.Order.ExchangeOrderID != "EX1" ||
		d.Order.ClientOrderID != ClientOrderID(h.ID, "a1", d.ID) || d.Order.FilledQuantity.String() != "0.01" {
		t.Fatalf("delivery %+v order %+v", d, d.Order)
	}
	orders := e.ex.placed()
	if len(orders) != 1 {
		t.Fatalf("%d orders", len(orders))
	}
	o := orders[0]
	if o.Market != "futures" || o.Symbol != "BTC/USDT:USDT" || o.Side != "buy" || o.Type != "limit" ||
		o.Quantity.String() != "0.01" || o.Price.String() != "60000" || o.ClientOrderID != d.Order.ClientOrderID {
		t.Fatalf("order sent: %+v", o)
	}
	acct := e.ex.accounts[0]
	if acct.APIKey != "APIKEY-live-0123456789abcdef" {
		t.Fatal("the order did not carry the account's keys")
	}
	stored := e.deliveries(h)
	if len(stored) != 1 || stored[0].Status != store.DeliveryExecuted || stored[0].Order.ExchangeOrderID != "EX1" {
		t.Fatalf("stored %+v", stored)
	}
}

func TestLimits(t *testing.T) {
	fresh := func(e *env) {
		e.snapshot(store.Snapshot{SyncedAt: e.clock.now(), PositionsAt: e.clock.now(), SpotAt: e.clock.now(),
			Positions: []store.Position{{Symbol: "BTC/USDT:USDT", Side: "long", Size: dec("0.5"), MarkPrice: dec("50000")}},
			Spot:      []store.Balance{{Asset: "BTC", Free: dec("2"), Total: dec("2")}}})
	}
	stale := func(e *env) {
		fresh(e)
		e.clock.add(MaxPriceAge + time.Second)
	}
	tests := []struct {
		name    string
		market  string
		limit   string // "" = none
		allowed []string
		snap    func(*env)
		alert   map[string]any
		code    string // "" = placed
	}{
		{"limit within", "futures", "1000", nil, nil,
			map[string]any{"action": "buy", "symbol": "BTC/USDT:USDT", "type": "limit", "quantity": "0.02", "price": "50000"}, ""},
		{"limit exactly at the bound", "futures", "1000", nil, nil,
			map[string]any{"action": "buy", "symbol": "BTC/USDT:USDT", "type": "limit", "quantity": "0.02", "price": "50000.0"}, ""},
		{"limit over", "futures", "1000", nil, nil,
			map[string]any{"action": "buy", "symbol": "BTC/USDT:USDT", "type": "limit", "quantity": "0.02", "price": "50000.01"}, CodeMaxNotionalExceeded},
		{"limit sell below the market counts at the mark price", "futures", "100", nil, fresh,
			map[string]any{"action": "sell", "symbol": "BTC/USDT:USDT", "type": "limit", "quantity": "1", "price": "100"}, CodeMaxNotionalExceeded},
		{"limit sell without a known price", "spot", "100", nil, fresh,
			map[string]any{"action": "sell", "symbol": "BTC/USDT", "type": "limit", "quantity": "1", "price": "100"}, CodePriceUnknown},
		{"limit sell above the market counts at its price", "futures", "1100", nil, fresh,
			map[string]any{"action": "sell", "symbol": "BTC/USDT:USDT", "type": "limit", "quantity": "0.02", "price": "55000"}, ""},
		{"limit buy below the market counts at the mark price", "futures", "900", nil, fresh,
			map[string]any{"action": "buy", "symbol": "BTC/USDT:USDT", "type": "limit", "quantity": "0.02", "price": "40000"}, CodeMaxNotionalExceeded},
		{"limit buy within at the mark price", "futures", "1000", nil, fresh,
			map[string]any{"action": "buy", "symbol": "BTC/USDT:USDT", "type": "limit", "quantity": "0.02", "price": "40000"}, ""},
		{"limit buy without a price is bounded by its limit", "spot", "1000", nil, fresh,
			map[string]any{"action": "buy", "symbol": "BTC/USDT", "type": "limit", "quantity": "0.02", "price": "50000"}, ""},
		{"quote within", "spot", "25", nil, nil,
			map[string]any{"action": "buy", "symbol": "BTC/USDT", "type": "market", "quote_quantity": "25"}, ""},
		{"quote over", "spot", "25", nil, nil,
			map[string]any{"action": "buy", "symbol": "BTC/USDT", "type": "market", "quote_quantity": "25.000001"}, CodeMaxNotionalExceeded},
		{"futures market bounded by mark price", "futures", "1000", nil, fresh,
			map[string]any{"action": "sell", "symbol": "BTC/USDT:USDT", "type": "market", "quantity": "0.02"}, ""},
		{"futures market over at mark price", "futures", "1000", nil, fresh,
			map[string]any{"action": "buy", "symbol": "BTC/USDT:USDT", "type": "market", "quantity": "0.021"}, CodeMaxNotionalExceeded},
		{"futures market with a stale mark price", "futures", "1000", nil, stale,
			map[string]any{"action": "buy", "symbol": "BTC/USDT:USDT", "type": "market", "quantity": "0.001"}, CodePriceUnknown},
		{"futures market without a position", "futures", "1000", nil, fresh,
			map[string]any{"action": "buy", "symbol": "ETH/USDT:USDT", "type": "market", "quantity": "0.001"}, CodePriceUnknown},
		{"futures market before any sync", "futures", "1000", nil, nil,
			map[string]any{"action": "buy", "symbol": "BTC/USDT:USDT", "type": "market", "quantity": "0.001"}, CodePriceUnknown},
		{"spot market by base quantity", "spot", "1000", nil, fresh,
			map[string]any{"action": "sell", "symbol": "BTC/USDT", "type": "market", "quantity": "0.001"}, CodePriceUnknown},
		{"no limit, no price needed", "spot", "", nil, nil,
			map[string]any{"action": "sell", "symbol": "BTC/USDT", "type": "market", "quantity": "0.001"}, ""},
		{"reduce-only orders are bounded too", "futures", "10", nil, fresh,
			map[string]any{"action": "sell", "symbol": "BTC/USDT:USDT", "type": "market", "quantity": "0.5", "reduce_only": true}, CodeMaxNotionalExceeded},
		{"close is exempt", "futures", "10", nil, fresh,
			map[string]any{"action": "close", "symbol": "BTC/USDT:USDT"}, ""},
		{"allowed symbol", "futures", "", []string{"ETH/USDT:USDT", "BTC/USDT:USDT"}, nil,
			map[string]any{"action": "buy", "symbol": "BTC/USDT:USDT", "type": "limit", "quantity": "1", "price": "1"}, ""},
		{"symbol not allowed", "futures", "", []string{"ETH/USDT:USDT"}, nil,
			map[string]any{"action": "buy", "symbol": "BTC/USDT:USDT", "type": "limit", "quantity": "1", "price": "1"}, CodeSymbolNotAllowed},
		{"close of a symbol not allowed", "futures", "", []string{"ETH/USDT:USDT"}, fresh,
			map[string]any{"action": "close", "symbol": "BTC/USDT:USDT"}, CodeSymbolNotAllowed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			in := NewWebhook{Market: tt.market, AllowedSymbols: tt.allowed}
			if tt.limit != "" {
				in.MaxNotional = limitOf(tt.limit)
			}
			h := e.webhook(in)
			if tt.snap != nil {
				tt.snap(e)
			}
			out, err := e.send(h, tt.alert)
			if err != nil {
				t.Fatal(err)
			}
			d := out.Delivery
			if tt.code == "" {
				if d.Status != store.DeliveryExecuted || len(e.ex.placed()) != 1 {
					t.Fatalf("not placed: %+v", d)
				}
				return
			}
			if d.Status != store.DeliveryRejected || d.ErrorCode != tt.code || out.Rejection == nil ||
				out.Rejection.Invalid || out.Rejection.Code != tt.code || d.Order != nil {
				t.Fatalf("got %+v, want rejected %s", d, tt.code)
			}
			if n := len(e.ex.placed()); n != 0 {
				t.Fatalf("%d orders placed despite the limit", n)
			}
			if got := e.deliveries(h); len(got) != 1 || got[0].ErrorCode != tt.code {
				t.Fatalf("stored %+v", got)
			}
		})
	}
}

func TestClose(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	pos := func(symbol, side, size string) store.Position {
		return store.Position{Symbol: symbol, Side: side, Size: dec(size), MarkPrice: dec("100")}
	}
	tests := []struct {
		name   string
		market string
		symbol string
		snap   *store.Snapshot
		side   sdk.Side
		qty    string
		code   string
	}{
		{"futures long", "futures", "BTC/USDT:USDT", &store.Snapshot{PositionsAt: now,
			Positions: []store.Position{pos("ETH/USDT:USDT", "long", "3"), pos("BTC/USDT:USDT", "long", "0.25")}}, "sell", "0.25", ""},
		{"futures short", "futures", "BTC/USDT:USDT", &store.Snapshot{PositionsAt: now,
			Positions: []store.Position{pos("BTC/USDT:USDT", "short", "1.5")}}, "buy", "1.5", ""},
		{"futures short reported negative", "futures", "BTC/USDT:USDT", &store.Snapshot{PositionsAt: now,
			Positions: []store.Position{pos("BTC/USDT:USDT", "short", "-1.5")}}, "buy", "1.5", ""},
		{"futures without a position", "futures", "BTC/USDT:USDT", &store.Snapshot{PositionsAt: now,
			Positions: []store.Position{pos("ETH/USDT:USDT", "long", "3")}}, "", "", CodeNoPosition},
		{"futures in hedge mode", "futures", "BTC/USDT:USDT", &store.Snapshot{PositionsAt: now,
			Positions: []store.Position{pos("BTC/USDT:USDT", "long", "1"), pos("BTC/USDT:USDT", "short", "2")}}, "", "", CodeAmbiguousPosition},
		{"futures before any sync", "futures", "BTC/USDT:USDT", nil, "", "", CodeNoPosition},
		{"futures when positions were never fetched", "futures", "BTC/USDT:USDT", &store.Snapshot{SpotAt: now}, "", "", CodeNoPosition},
		{"spot sells the free balance", "spot", "SOL/USDT", &store.Snapshot{SpotAt: now,
			Spot: []store.Balance{{Asset: "SOL", Free: dec("12.3456789"), Locked: dec("4")}, {Asset: "USDT", Free: dec("5")}}}, "sell", "12.3456789", ""},
		{"spot with only locked funds", "spot", "SOL/USDT", &store.Snapshot{SpotAt: now,
			Spot: []store.Balance{{Asset: "SOL", Locked: dec("4")}}}, "", "", CodeNoBalance},
		{"spot without the asset", "spot", "SOL/USDT", &store.Snapshot{SpotAt: now,
			Spot: []store.Balance{{Asset: "USDT", Free: dec("5")}}}, "", "", CodeNoBalance},
		{"spot before any sync", "spot", "SOL/USDT", nil, "", "", CodeNoBalance},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := store.Webhook{ID: "W", Market: tt.market}
			req, rej := buildOrder(w, Alert{Action: ActionClose, Symbol: tt.symbol, Type: "market"}, tt.snap, "cid")
			if tt.code != "" {
				if rej == nil || rej.Code != tt.code || rej.Invalid {
					t.Fatalf("got %+v %v, want %s", req, rej, tt.code)
				}
				return
			}
			if rej != nil {
				t.Fatal(rej)
			}
			wantReduce := tt.market == "futures"
			if req.Side != tt.side || !req.Quantity.Equal(dec(tt.qty)) || req.Type != "market" ||
				req.ReduceOnly != wantReduce || !req.Price.IsZero() || !req.QuoteQuantity.IsZero() ||
				req.Symbol != tt.symbol || string(req.Market) != tt.market || req.ClientOrderID != "cid" {
				t.Fatalf("order %+v", req)
			}
		})
	}
}

// The same close, end to end, from the stored snapshot.
func TestCloseFromStoredSnapshot(t *testing.T) {
	e := newEnv(t)
	h := e.webhook(NewWebhook{Market: "futures", MaxNotional: limitOf("1")})
	e.snapshot(store.Snapshot{PositionsAt: e.clock.now(),
		Positions: []store.Position{{Symbol: "BTC/USDT:USDT", Side: "short", Size: dec("0.75"), MarkPrice: dec("60000")}}})
	out, err := e.send(h, map[string]any{"action": "close", "symbol": "BTC/USDT:USDT", "alert_id": "close-1"})
	if err != nil || out.Delivery.Status != store.DeliveryExecuted {
		t.Fatalf("%+v %v", out.Delivery, err)
	}
	o := e.ex.placed()[0]
	if o.Side != "buy" || o.Quantity.String() != "0.75" || !o.ReduceOnly || o.Type != "market" {
		t.Fatalf("close sent %+v", o)
	}
}

func TestConcurrentDuplicatesPlaceOneOrder(t *testing.T) {
	e := newEnv(t)
	e.ex.gate = make(chan struct{})
	h := e.webhook(NewWebhook{Market: "futures"})
	const n = 20
	outs := make([]Outcome, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			outs[i], errs[i] = e.send(h, map[string]any{"action": "buy", "symbol": "BTC/USDT:USDT", "type": "limit",
				"quantity": "1", "price": "10", "alert_id": "tv-123"})
		}()
	}
	close(start)
	// The first order is held at the exchange while the others arrive:
	// they must see its claim, not race past it.
	deadline := time.Now().Add(10 * time.Second)
	for {
		list := e.deliveries(h)
		if len(list) == n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("only %d deliveries recorded", len(list))
		}
		time.Sleep(5 * time.Millisecond)
	}
	close(e.ex.gate)
	wg.Wait()

	if got := len(e.ex.placed()); got != 1 {
		t.Fatalf("%d orders placed for one alert id", got)
	}
	var first string
	for i := range n {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if outs[i].First == nil {
			if first != "" || outs[i].Delivery.Status != store.DeliveryExecuted {
				t.Fatalf("second first: %+v", outs[i].Delivery)
			}
			first = outs[i].Delivery.ID
		}
	}
	for i := range n {
		if d := outs[i].Delivery; outs[i].First != nil && (d.Status != store.DeliveryDuplicate || d.DuplicateOf != first) {
			t.Fatalf("duplicate %+v", d)
		}
	}
	// A late duplicate sees the first's final state and its order.
	out, err := e.send(h, map[string]any{"action": "sell", "symbol": "BTC/USDT:USDT", "type": "market",
		"quantity": "9", "alert_id": "tv-123"})
	if err != nil || out.First == nil || out.First.Status != store.DeliveryExecuted || out.First.Order.ExchangeOrderID != "EX1" {
		t.Fatalf("late duplicate: %+v %v", out, err)
	}
	if len(e.ex.placed()) != 1 {
		t.Fatal("a late duplicate placed an order")
	}
}

func TestDryRunPlacesNothing(t *testing.T) {
	e := newEnv(t)
	h := e.webhook(NewWebhook{Market: "spot", DryRun: true, MaxNotional: limitOf("100")})
	out, err := e.send(h, map[string]any{"action": "buy", "symbol": "BTC/USDT", "type": "market", "quote_quantity": "50",
		"alert_id": "d1"})
	if err != nil {
		t.Fatal(err)
	}
	d := out.Delivery
	if d.Status != store.DeliveryDryRun || d.Order == nil || d.Order.QuoteQuantity.String() != "50" ||
		d.Order.ClientOrderID != ClientOrderID(h.ID, "d1", d.ID) || d.Order.ExchangeOrderID != "" {
		t.Fatalf("dry run %+v %+v", d, d.Order)
	}
	// Limits still apply in a dry run.
	out, _ = e.send(h, map[string]any{"action": "buy", "symbol": "BTC/USDT", "type": "market", "quote_quantity": "500"})
	if out.Delivery.Status != store.DeliveryRejected || out.Delivery.ErrorCode != CodeMaxNotionalExceeded {
		t.Fatalf("dry run over the limit: %+v", out.Delivery)
	}
	if n := len(e.ex.placed()); n != 0 {
		t.Fatalf("dry run placed %d orders", n)
	}
	// The dry run claimed its alert id like a real order would.
	if out, _ := e.send(h, map[string]any{"action": "close", "symbol": "BTC/USDT", "alert_id": "d1"}); out.Delivery.Status != store.DeliveryDuplicate {
		t.Fatalf("resent dry-run alert: %+v", out.Delivery)
	}
}

type rpcErr struct{ s string }

func (e rpcErr) Error() string { return e.s }

// notRunning is what the catalog returns when no process can take the call.
type notRunning struct{}

func (notRunning) Error() string        { return "plugin for exchange is crashed" }
func (notRunning) Is(target error) bool { return target == sdk.ErrUnavailable }

func TestExchangeFailures(t *testing.T) {
	tests := []struct {
		name string
		err  func(sdk.Account) error
		code string
	}{
		{"unknown outcome", func(sdk.Account) error {
			return sdk.Errorf(sdk.KindUnknownOutcome, "HTTP 502 after sending")
		}, CodeUnknownOutcome},
		{"untyped transport error", func(a sdk.Account) error { return rpcErr{"rpc error: connection reset"} }, CodeUnknownOutcome},
		{"deadline", func(sdk.Account) error { return fmt.Errorf("plugin call: %w", context.DeadlineExceeded) }, CodeUnknownOutcome},
		{"plugin died during the call", func(sdk.Account) error {
			return &sdk.Error{Kind: sdk.KindUnavailable, Message: "plugin process exited during the call"}
		}, CodeUnknownOutcome},
		{"typed unknown", func(sdk.Account) error { return &sdk.Error{Kind: sdk.KindUnknown, Message: "?"} }, CodeUnknownOutcome},
		{"plugin not running", func(sdk.Account) error { return notRunning{} }, CodeExchangeUnavailable},
		{"insufficient funds", func(a sdk.Account) error {
			return &sdk.Error{Kind: sdk.KindInsufficientFunds, ExchangeCode: "-2019",
				Message: "Margin is insufficient for key " + a.APIKey + " / " + a.SecretKey}
		}, "insufficient_funds"},
		{"authentication", func(a sdk.Account) error {
			return sdk.Errorf(sdk.KindAuthentication, "invalid key %s", a.APIKey)
		}, "authentication"},
		{"invalid request", func(sdk.Account) error { return sdk.Errorf(sdk.KindInvalidRequest, "lot size") }, "invalid_request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.ex.fail = tt.err
			h := e.webhook(NewWebhook{Market: "futures"})
			alert := map[string]any{"action": "buy", "symbol": "BTC/USDT:USDT", "type": "limit", "quantity": "1",
				"price": "10", "alert_id": "x1"}
			out, err := e.send(h, alert)
			if err != nil {
				t.Fatal(err)
			}
			d := out.Delivery
			if d.Status != store.DeliveryFailed || d.ErrorCode != tt.code || d.Order == nil || d.FinishedAt.IsZero() {
				t.Fatalf("delivery %+v", d)
			}
			for _, secret := range []string{"APIKEY-live", "SECRETKEY-live", "0123456789abcdef"} {
				if strings.Contains(d.ErrorMessage, secret) {
					t.Fatalf("message carries a credential: %q", d.ErrorMessage)
				}
			}
			if tt.code == CodeUnknownOutcome && !strings.Contains(d.ErrorMessage, "may have been placed") {
				t.Fatalf("message %q does not warn", d.ErrorMessage)
			}
			stored := e.deliveries(h)
			if len(stored) != 1 || stored[0].Status != store.DeliveryFailed || stored[0].ErrorCode != tt.code {
				t.Fatalf("stored %+v", stored)
			}
			// Never retried: not by us, and not when the alert comes again.
			if out, _ := e.send(h, alert); out.Delivery.Status != store.DeliveryDuplicate || out.First.ErrorCode != tt.code {
				t.Fatalf("resent: %+v", out.Delivery)
			}
			if n := len(e.ex.placed()); n != 1 {
				t.Fatalf("%d calls to PlaceOrder", n)
			}
		})
	}
}

func TestAuthentication(t *testing.T) {
	e := newEnv(t)
	h := e.webhook(NewWebhook{Market: "spot"})
	other := e.webhook(NewWebhook{Market: "spot"})
	good := `{"secret":"` + h.secret + `","action":"close","symbol":"BTC/USDT"}`
	tests := []struct {
		name  string
		token string
		body  string
		want  error
		code  string
	}{
		{"unknown token", "gahwh_" + strings.Repeat("A", 43), good, ErrUnknownToken, ""},
		{"garbage token", "../../etc", good, ErrUnknownToken, ""},
		{"unknown token and bad JSON", "gahwh_" + strings.Repeat("A", 43), `{`, ErrUnknownToken, ""},
		{"another webhook's secret", h.token, `{"secret":"` + other.secret + `","action":"close","symbol":"BTC/USDT"}`, ErrBadSecret, ""},
		{"secret with a character off", h.token, `{"secret":"` + h.secret[:len(h.secret)-1] + `x","action":"close","symbol":"BTC/USDT"}`, ErrBadSecret, ""},
		{"secret prefix only", h.token, `{"secret":"` + h.secret[:20] + `","action":"close","symbol":"BTC/USDT"}`, ErrBadSecret, ""},
		{"no secret", h.token, `{"action":"close","symbol":"BTC/USDT"}`, ErrBadSecret, ""},
		{"secret not a string", h.token, `{"secret":1,"action":"close","symbol":"BTC/USDT"}`, ErrBadSecret, ""},
		{"the token as the secret", h.token, `{"secret":"` + h.token + `","action":"close","symbol":"BTC/USDT"}`, ErrBadSecret, ""},
		{"bad JSON for a known token", h.token, `{"secret":`, nil, CodeInvalidJSON},
		{"text body", h.token, `buy BTC`, nil, CodeInvalidJSON},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.svc.Deliver(e.ctx, tt.token, []byte(tt.body))
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Fatalf("err %v, want %v", err, tt.want)
			}
			var rej *Rejection
			if tt.code != "" && (!errors.As(err, &rej) || rej.Code != tt.code) {
				t.Fatalf("err %v, want %s", err, tt.code)
			}
		})
	}
	// Nothing unauthenticated is recorded.
	if n := len(e.deliveries(h)); n != 0 {
		t.Fatalf("%d deliveries recorded for unauthenticated alerts", n)
	}
	// The right secret with a body that fails validation is recorded as
	// rejected, and a bad request.
	out, err := e.svc.Deliver(e.ctx, h.token, []byte(`{"secret":"`+h.secret+`","action":"buy","symbol":"BTC/USDT","type":"market","alert_id":"r1"}`))
	if err != nil || out.Rejection == nil || !out.Rejection.Invalid || out.Delivery.AlertID != "r1" {
		t.Fatalf("%+v %v", out, err)
	}
}

func TestRateLimit(t *testing.T) {
	e := newEnv(t)
	e.build(Config{RatePerMinute: 3})
	h := e.webhook(NewWebhook{Market: "spot", DryRun: true})
	other := e.webhook(NewWebhook{Market: "spot", DryRun: true})
	alert := map[string]any{"action": "buy", "symbol": "BTC/USDT", "type": "market", "quote_quantity": "1"}
	for i := range 3 {
		if _, err := e.send(h, alert); err != nil {
			t.Fatalf("alert %d: %v", i, err)
		}
	}
	_, err := e.send(h, alert)
	var limited *RateLimitedError
	if !errors.As(err, &limited) || limited.RetryAfter <= 0 || limited.RetryAfter > 20*time.Second {
		t.Fatalf("4th alert: %v", err)
	}
	if _, err := e.send(other, alert); err != nil {
		t.Fatalf("another webhook is limited too: %v", err)
	}
	// A bad secret does not use the owner's allowance.
	for range 5 {
		if _, err := e.svc.Deliver(e.ctx, other.token, []byte(`{"secret":"nope"}`)); !errors.Is(err, ErrBadSecret) {
			t.Fatal(err)
		}
	}
	if _, err := e.send(other, alert); err != nil {
		t.Fatalf("bad secrets used up the allowance: %v", err)
	}
	e.clock.add(limited.RetryAfter)
	if _, err := e.send(h, alert); err != nil {
		t.Fatalf("after the wait: %v", err)
	}
	if n := len(e.deliveries(h)); n != 4 {
		t.Fatalf("%d deliveries; a limited alert must not be recorded", n)
	}
}

// TradingView hangs up after 3 s; the order in flight must finish and be
// recorded anyway.
func TestCallerHangingUpDoesNotCutTheOrder(t *testing.T) {
	e := newEnv(t)
	e.ex.gate = make(chan struct{})
	h := e.webhook(NewWebhook{Market: "futures"})
	ctx, cancel := context.WithCancel(e.ctx)
	done := make(chan Outcome)
	go func() {
		out, _ := e.svc.Deliver(ctx, h.token, []byte(`{"secret":"`+h.secret+`","action":"buy","symbol":"BTC/USDT:USDT","type":"limit","quantity":"1","price":"2"}`))
		done <- out
	}()
	for len(e.deliveries(h)) == 0 {
		time.Sleep(time.Millisecond)
	}
	cancel()
	close(e.ex.gate)
	out := <-done
	if out.Delivery.Status != store.DeliveryExecuted || e.ex.ctxErrs[0] != nil {
		t.Fatalf("status %s, order ctx %v", out.Delivery.Status, e.ex.ctxErrs[0])
	}
	if got := e.deliveries(h); got[0].Status != store.DeliveryExecuted {
		t.Fatalf("stored %s", got[0].Status)
	}
}

func TestAccountStates(t *testing.T) {
	alert := map[string]any{"action": "buy", "symbol": "BTC/USDT", "type": "limit", "quantity": "1", "price": "1"}
	tests := []struct {
		name   string
		setup  func(e *env)
		status string
		code   string
	}{
		{"inactive account", func(e *env) {
			off := false
			if _, err := e.accts.Update(e.ctx, e.user.ID, e.acct.ID, accounts.Patch{IsActive: &off}); err != nil {
				e.t.Fatal(err)
			}
		}, store.DeliveryRejected, CodeAccountInactive},
		{"plugin cannot trade", func(e *env) { e.ex.info.Capabilities = nil }, store.DeliveryRejected, CodeOrdersUnsupported},
		{"no plugin", func(e *env) { delete(e.cat, "fakex") }, store.DeliveryFailed, CodeExchangeUnavailable},
		{"keys do not open", func(e *env) {
			other, _ := secrets.GenerateKey()
			e.key = other
			e.build(Config{})
		}, store.DeliveryFailed, CodeAccountUnreadable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			h := e.webhook(NewWebhook{Market: "spot"})
			tt.setup(e)
			if tt.code == CodeAccountUnreadable {
				// The webhook's secret is under the old key too: re-make it
				// under the new one so that only the account fails.
				_, c, err := e.svc.Update(e.ctx, e.user.ID, h.ID, Patch{RotateSecret: true})
				if err != nil {
					t.Fatal(err)
				}
				h.secret = c.Secret
				e.note(c.Secret)
			}
			out, err := e.send(h, alert)
			if err != nil {
				t.Fatal(err)
			}
			if out.Delivery.Status != tt.status || out.Delivery.ErrorCode != tt.code {
				t.Fatalf("%+v", out.Delivery)
			}
			if n := len(e.ex.placed()); n != 0 {
				t.Fatalf("%d orders", n)
			}
		})
	}
}

func TestSettled(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	d := store.Delivery{Status: store.DeliveryPending, ReceivedAt: t0}
	if got := Settled(d, t0.Add(time.Minute)); got.Status != store.DeliveryPending {
		t.Fatal("a fresh pending delivery was settled")
	}
	got := Settled(d, t0.Add(PendingGrace+time.Second))
	if got.Status != store.DeliveryFailed || got.ErrorCode != CodeUnknownOutcome {
		t.Fatalf("stale pending: %+v", got)
	}
	done := store.Delivery{Status: store.DeliveryExecuted, ReceivedAt: t0}
	if Settled(done, t0.Add(time.Hour)).Status != store.DeliveryExecuted {
		t.Fatal("a finished delivery changed")
	}
}

// A secret sealed under another master key (a rotation that missed it) is
// an error of its own, and a new secret mends it.
func TestUnreadableSecret(t *testing.T) {
	e := newEnv(t)
	h := e.webhook(NewWebhook{Market: "spot", DryRun: true})
	other, err := secrets.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	e.key = other
	e.build(Config{})
	alert := map[string]any{"action": "buy", "symbol": "BTC/USDT", "type": "market", "quote_quantity": "1"}
	if _, err := e.send(h, alert); !errors.Is(err, ErrSecretUnreadable) {
		t.Fatalf("err %v", err)
	}
	_, c, err := e.svc.Update(e.ctx, e.user.ID, h.ID, Patch{RotateSecret: true})
	if err != nil {
		t.Fatal(err)
	}
	h.secret = c.Secret
	e.note(c.Secret)
	if out, err := e.send(h, alert); err != nil || out.Delivery.Status != store.DeliveryDryRun {
		t.Fatalf("after rotation: %+v %v", out.Delivery, err)
	}
}
