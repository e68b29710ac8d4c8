package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/globalautomation/gahost/host/internal/store"
	"github.com/globalautomation/gahost/host/internal/webhooks"
	"github.com/globalautomation/gahost/sdk"
	"github.com/shopspring/decimal"
)

// tradingExchange is the env's fake exchange with orders: it records what
// it is asked to place.
type tradingExchange struct {
	*fakeExchange
	mu     sync.Mutex
	orders []sdk.OrderRequest
	fail   error
	// gate, when set, holds every order until it is closed.
	gate chan struct{}
}

func (x *tradingExchange) PlaceOrder(_ context.Context, _ sdk.Account, req sdk.OrderRequest) (sdk.Order, error) {
	if x.gate != nil {
		<-x.gate
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	x.orders = append(x.orders, req)
	if x.fail != nil {
		return sdk.Order{}, x.fail
	}
	return sdk.Order{ID: fmt.Sprintf("EX-%d", len(x.orders)), ClientOrderID: req.ClientOrderID, Status: sdk.StatusNew,
		Quantity: req.Quantity}, nil
}

func (x *tradingExchange) placed() int {
	x.mu.Lock()
	defer x.mu.Unlock()
	return len(x.orders)
}

type tradingCatalog map[string]*tradingExchange

func (c tradingCatalog) Exchange(name string) (sdk.Exchange, sdk.Info, bool) {
	x, ok := c[name]
	if !ok {
		return nil, sdk.Info{}, false
	}
	return x, x.info, true
}

// hookEnv is an env whose exchanges can trade, with a user "alice" who has
// one account.
type hookEnv struct {
	*env
	ex    *tradingExchange
	tok   string
	acct  accountView
	bob   string
	bobAc accountView
}

func newHookEnv(t testing.TB) *hookEnv {
	e := newEnv(t)
	fx := e.cat["fakex"]
	fx.info.Capabilities = []string{sdk.CapSpotBalances, sdk.CapPositions, sdk.CapOrders}
	x := &tradingExchange{fakeExchange: fx}
	e.exchanges = tradingCatalog{"fakex": x}
	e.build()
	he := &hookEnv{env: e, ex: x}
	he.tok = e.user("alice", "user")
	he.acct = e.account(he.tok, accountBody("alice"))
	he.bob = e.user("bob", "user")
	he.bobAc = e.account(he.bob, accountBody("bob"))
	return he
}

// created is the answer of POST /webhooks.
type created struct {
	webhookView
	URL    string `json:"url"`
	Secret string `json:"secret"`
}

func (he *hookEnv) webhook(token string, body map[string]any) created {
	he.t.Helper()
	r := he.do("POST", "/api/v1/webhooks", token, body)
	if r.Code != http.StatusCreated {
		he.t.Fatalf("create webhook: %d %s", r.Code, r.Body)
	}
	var c created
	r.decode(he.t, &c)
	he.note(c.URL, strings.TrimPrefix(c.URL, hooksPath), c.Secret)
	return c
}

// alert posts to a hook the way TradingView does: text/plain, no bearer.
func (he *hookEnv) alert(url string, body string) response {
	req := httptest.NewRequest("POST", url, strings.NewReader(body))
	req.RemoteAddr = "52.89.214.238:443"
	req.Header.Set("Content-Type", "text/plain; charset=utf-8")
	w := httptest.NewRecorder()
	he.h.ServeHTTP(w, req)
	return response{w}
}

func alertJSON(secret string, fields string) string {
	return `{"secret":"` + secret + `",` + fields + `}`
}

type hookReply struct {
	DeliveryID  string       `json:"delivery_id"`
	Status      string       `json:"status"`
	Order       *orderView   `json:"order"`
	Error       *errorDetail `json:"error"`
	DuplicateOf string       `json:"duplicate_of"`
}

func TestWebhookLifecycle(t *testing.T) {
	he := newHookEnv(t)
	c := he.webhook(he.tok, map[string]any{"name": "TV BTC", "exchange_account_id": he.acct.ID, "market": "futures",
		"allowed_symbols": []string{"BTC/USDT:USDT", "BTC/USDT:USDT", "ETH/USDT:USDT"}, "max_notional": "1000.50"})
	if !strings.HasPrefix(c.URL, "/hooks/"+webhooks.TokenPrefix) || !strings.HasPrefix(c.Secret, webhooks.SecretPrefix) {
		t.Fatalf("url %q secret %q", c.URL, c.Secret)
	}
	if c.Name != "TV BTC" || c.Market != "futures" || *c.MaxNotional != "1000.5" || len(c.AllowedSymbols) != 2 ||
		c.DryRun || c.SecretHint == "" || !strings.HasPrefix(c.URLHint, "/hooks/gahwh_") {
		t.Fatalf("created %+v", c)
	}

	// The bound account's latest snapshot comes with GET /webhooks/{id}.
	if err := he.st.PutSyncResult(context.Background(), he.acct.ID, store.SyncResult{Fresh: &store.Snapshot{PositionsAt: he.clock.now(),
		Positions: []store.Position{{Symbol: "BTC/USDT:USDT", Side: "long", Size: decimal.RequireFromString("0.5"),
			MarkPrice: decimal.RequireFromString("60000")}}}, State: store.SyncState{Status: store.SyncOK}}); err != nil {
		t.Fatal(err)
	}
	var detail struct {
		webhookView
		Account *struct {
			ID        string         `json:"id"`
			Exchange  string         `json:"exchange"`
			SyncedAt  *time.Time     `json:"synced_at"`
			Positions []positionJSON `json:"positions"`
			Spot      []balanceJSON  `json:"spot"`
		} `json:"account"`
	}
	r := he.do("GET", "/api/v1/webhooks/"+c.ID, he.tok, nil)
	r.decode(t, &detail)
	if r.Code != 200 || detail.Account == nil || detail.Account.ID != he.acct.ID || detail.Account.Exchange != "fakex" ||
		detail.Account.SyncedAt == nil || len(detail.Account.Positions) != 1 || detail.Account.Positions[0].MarkPrice != "60000" ||
		detail.Account.Spot == nil {
		t.Fatalf("detail %d %s", r.Code, r.Body)
	}

	var list []webhookView
	he.do("GET", "/api/v1/webhooks", he.tok, nil).decode(t, &list)
	if len(list) != 1 || list[0].ID != c.ID {
		t.Fatalf("list %+v", list)
	}

	// PATCH: rename, lift the limit, switch to spot with spot symbols.
	r = he.do("PATCH", "/api/v1/webhooks/"+c.ID, he.tok, map[string]any{"name": "renamed", "max_notional": nil,
		"market": "spot", "allowed_symbols": []string{"BTC/USDT"}, "dry_run": true})
	var patched created
	r.decode(t, &patched)
	if r.Code != 200 || patched.Name != "renamed" || patched.MaxNotional != nil || patched.Market != "spot" ||
		!patched.DryRun || patched.URL != "" || patched.Secret != "" {
		t.Fatalf("patch %d %s", r.Code, r.Body)
	}
	// Switching the market back without new symbols leaves spot symbols on
	// a futures webhook: refused.
	r = he.do("PATCH", "/api/v1/webhooks/"+c.ID, he.tok, map[string]any{"market": "futures"})
	if r.Code != 400 || r.errorCode() != codeInvalidField {
		t.Fatalf("mismatched market: %d %s", r.Code, r.Body)
	}

	// Rotation shows the new secret once; the old one stops working.
	r = he.do("PATCH", "/api/v1/webhooks/"+c.ID, he.tok, map[string]any{"rotate_secret": true})
	var rotated created
	r.decode(t, &rotated)
	he.note(rotated.Secret)
	if r.Code != 200 || rotated.Secret == "" || rotated.Secret == c.Secret || rotated.URL != "" {
		t.Fatalf("rotate: %d %s", r.Code, r.Body)
	}
	body := `"action":"buy","symbol":"BTC/USDT","type":"market","quote_quantity":"10"`
	if r := he.alert(c.URL, alertJSON(c.Secret, body)); r.Code != 401 {
		t.Fatalf("old secret: %d %s", r.Code, r.Body)
	}
	if r := he.alert(c.URL, alertJSON(rotated.Secret, body)); r.Code != 200 {
		t.Fatalf("new secret: %d %s", r.Code, r.Body)
	}

	if r := he.do("DELETE", "/api/v1/webhooks/"+c.ID, he.tok, nil); r.Code != 204 {
		t.Fatalf("delete %d", r.Code)
	}
	for _, r := range []response{
		he.do("GET", "/api/v1/webhooks/"+c.ID, he.tok, nil),
		he.do("GET", "/api/v1/webhooks/"+c.ID+"/deliveries", he.tok, nil),
		he.alert(c.URL, alertJSON(rotated.Secret, body)),
	} {
		if r.Code != 404 || r.errorCode() != codeNotFound {
			t.Fatalf("after delete: %d %s", r.Code, r.Body)
		}
	}
}

func TestCreateWebhookRejectsBadBodies(t *testing.T) {
	he := newHookEnv(t)
	acct := he.acct.ID
	body := func(extra string) string {
		return `{"name":"n","exchange_account_id":"` + acct + `","market":"futures"` + extra + `}`
	}
	tests := []struct {
		name   string
		body   string
		status int
		code   string
	}{
		{"minimal", body(``), 201, ""},
		{"everything", body(`,"allowed_symbols":["BTC/USDT:USDT"],"max_notional":"250","dry_run":true`), 201, ""},
		{"missing name", `{"exchange_account_id":"` + acct + `","market":"spot"}`, 400, codeMissingField},
		{"missing account", `{"name":"n","market":"spot"}`, 400, codeMissingField},
		{"missing market", `{"name":"n","exchange_account_id":"` + acct + `"}`, 400, codeMissingField},
		{"bad market", `{"name":"n","exchange_account_id":"` + acct + `","market":"margin"}`, 400, codeInvalidField},
		{"spot symbol on futures", body(`,"allowed_symbols":["BTC/USDT"]`), 400, codeInvalidField},
		{"exchange-style symbol", body(`,"allowed_symbols":["BTCUSDT"]`), 400, codeInvalidField},
		{"too many symbols", body(`,"allowed_symbols":[` + strings.TrimSuffix(strings.Repeat(`"BTC/USDT:USDT",`, 201), ",") + `]`), 400, codeInvalidField},
		{"float max_notional", body(`,"max_notional":1000`), 400, codeInvalidField},
		{"negative max_notional", body(`,"max_notional":"-5"`), 400, codeInvalidField},
		{"zero max_notional", body(`,"max_notional":"0"`), 400, codeInvalidField},
		{"exponent max_notional", body(`,"max_notional":"1e3"`), 400, codeInvalidField},
		{"unknown field", body(`,"secret":"mine"`), 400, codeUnknownField},
		{"unknown account", `{"name":"n","exchange_account_id":"01NOSUCHACCOUNT00000000000","market":"spot"}`, 404, codeNotFound},
		{"another user's account", `{"name":"n","exchange_account_id":"` + he.bobAc.ID + `","market":"spot"}`, 404, codeNotFound},
		{"malformed", `{"name":`, 400, codeInvalidJSON},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := he.do("POST", "/api/v1/webhooks", he.tok, tt.body)
			if r.Code != tt.status || r.errorCode() != tt.code {
				t.Fatalf("got %d %s, want %d %s", r.Code, r.Body, tt.status, tt.code)
			}
			if r.Code == 201 {
				var c created
				r.decode(t, &c)
				he.note(c.URL, c.Secret)
			}
		})
	}
}

func TestWebhookIsolation(t *testing.T) {
	he := newHookEnv(t)
	c := he.webhook(he.tok, map[string]any{"name": "a", "exchange_account_id": he.acct.ID, "market": "spot"})
	mine := he.webhook(he.bob, map[string]any{"name": "b", "exchange_account_id": he.bobAc.ID, "market": "spot"})
	for _, r := range []response{
		he.do("GET", "/api/v1/webhooks/"+c.ID, he.bob, nil),
		he.do("GET", "/api/v1/webhooks/"+c.ID+"/deliveries", he.bob, nil),
		he.do("PATCH", "/api/v1/webhooks/"+c.ID, he.bob, map[string]any{"name": "x"}),
		he.do("PATCH", "/api/v1/webhooks/"+c.ID, he.bob, map[string]any{"rotate_secret": true}),
		he.do("DELETE", "/api/v1/webhooks/"+c.ID, he.bob, nil),
		// Bob cannot point his own webhook at Alice's account either.
		he.do("PATCH", "/api/v1/webhooks/"+mine.ID, he.bob, map[string]any{"exchange_account_id": he.acct.ID}),
	} {
		if r.Code != 404 || r.errorCode() != codeNotFound {
			t.Fatalf("bob got %d %s", r.Code, r.Body)
		}
		if strings.Contains(r.Body.String(), c.Secret) || strings.Contains(r.Body.String(), c.URL) {
			t.Fatal("an answer to bob carries alice's credentials")
		}
	}
	var list []webhookView
	he.do("GET", "/api/v1/webhooks", he.bob, nil).decode(t, &list)
	if len(list) != 1 || list[0].ID != mine.ID {
		t.Fatalf("bob lists %+v", list)
	}
	// Alice's webhook is unchanged, and still takes her alerts.
	var got webhookView
	he.do("GET", "/api/v1/webhooks/"+c.ID, he.tok, nil).decode(t, &got)
	if got.Name != "a" {
		t.Fatal("bob changed alice's webhook")
	}
	if r := he.alert(c.URL, alertJSON(c.Secret, `"action":"close","symbol":"BTC/USDT"`)); r.Code != 422 {
		t.Fatalf("alice's alert: %d %s", r.Code, r.Body)
	}
	// Bob's secret does not open Alice's hook.
	if r := he.alert(c.URL, alertJSON(mine.Secret, `"action":"close","symbol":"BTC/USDT"`)); r.Code != 401 {
		t.Fatalf("bob's secret on alice's hook: %d", r.Code)
	}
}

func TestHookAnswers(t *testing.T) {
	he := newHookEnv(t)
	c := he.webhook(he.tok, map[string]any{"name": "tv", "exchange_account_id": he.acct.ID, "market": "spot",
		"max_notional": "100", "allowed_symbols": []string{"BTC/USDT", "ETH/USDT"}})
	unknown := "/hooks/" + webhooks.TokenPrefix + strings.Repeat("Z", 43)
	buy := `"action":"buy","symbol":"BTC/USDT","type":"limit","quantity":"0.001","price":"50000"`
	tests := []struct {
		name   string
		url    string
		body   string
		status int
		code   string // error code, of the answer or of the delivery
		state  string // delivery status when one is recorded
	}{
		{"executed", c.URL, alertJSON(c.Secret, buy+`,"alert_id":"a-1"`), 200, "", store.DeliveryExecuted},
		{"duplicate", c.URL, alertJSON(c.Secret, buy+`,"alert_id":"a-1"`), 200, "", store.DeliveryDuplicate},
		{"over the limit", c.URL, alertJSON(c.Secret, `"action":"buy","symbol":"BTC/USDT","type":"limit","quantity":"1","price":"50000"`), 422, webhooks.CodeMaxNotionalExceeded, store.DeliveryRejected},
		{"symbol not allowed", c.URL, alertJSON(c.Secret, `"action":"buy","symbol":"SOL/USDT","type":"market","quote_quantity":"5"`), 422, webhooks.CodeSymbolNotAllowed, store.DeliveryRejected},
		{"no price for a market order", c.URL, alertJSON(c.Secret, `"action":"sell","symbol":"BTC/USDT","type":"market","quantity":"1"`), 422, webhooks.CodePriceUnknown, store.DeliveryRejected},
		{"invalid alert", c.URL, alertJSON(c.Secret, `"action":"buy","symbol":"BTC/USDT","type":"market"`), 400, codeMissingField, store.DeliveryRejected},
		{"unknown field", c.URL, alertJSON(c.Secret, buy+`,"leverage":"20"`), 400, codeUnknownField, store.DeliveryRejected},
		{"bad JSON", c.URL, `{"secret":"` + c.Secret + `",`, 400, codeInvalidJSON, ""},
		{"bad secret", c.URL, alertJSON(c.Secret+"x", buy), 401, codeUnauthorized, ""},
		{"no secret", c.URL, `{` + buy + `}`, 401, codeUnauthorized, ""},
		{"unknown token", unknown, alertJSON(c.Secret, buy), 404, codeNotFound, ""},
		{"malformed token", "/hooks/abc", alertJSON(c.Secret, buy), 404, codeNotFound, ""},
		{"too large", c.URL, alertJSON(c.Secret, buy+`,"alert_id":"`+strings.Repeat("x", 70<<10)+`"`), 413, codeBodyTooLarge, ""},
	}
	recorded := 0
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := he.alert(tt.url, tt.body)
			if r.Code != tt.status {
				t.Fatalf("got %d %s, want %d", r.Code, r.Body, tt.status)
			}
			var rep hookReply
			r.decode(t, &rep)
			if tt.state == "" {
				if r.errorCode() != tt.code || rep.DeliveryID != "" {
					t.Fatalf("got %s", r.Body)
				}
				return
			}
			recorded++
			if rep.DeliveryID == "" || rep.Status != tt.state || (tt.code != "" && (rep.Error == nil || rep.Error.Code != tt.code)) {
				t.Fatalf("answer %s", r.Body)
			}
			switch tt.state {
			case store.DeliveryExecuted:
				if rep.Order == nil || rep.Order.ExchangeOrderID != "EX-1" || rep.Order.Price == nil || *rep.Order.Price != "50000" {
					t.Fatalf("order %s", r.Body)
				}
			case store.DeliveryDuplicate:
				if rep.DuplicateOf == "" || rep.Order == nil || rep.Order.ExchangeOrderID != "EX-1" {
					t.Fatalf("duplicate %s", r.Body)
				}
			}
		})
	}
	if n := he.ex.placed(); n != 1 {
		t.Fatalf("%d orders placed", n)
	}
	var ds []deliveryView
	r := he.do("GET", "/api/v1/webhooks/"+c.ID+"/deliveries", he.tok, nil)
	r.decode(t, &ds)
	if len(ds) != recorded || ds[len(ds)-1].Status != store.DeliveryExecuted || ds[len(ds)-2].DuplicateOf != ds[len(ds)-1].ID {
		t.Fatalf("%d deliveries: %s", len(ds), r.Body)
	}
	for _, d := range ds {
		if d.Status == store.DeliveryRejected && (d.Error == nil || d.Error.Code == "" || d.Error.Message == "") {
			t.Fatalf("rejected without a reason: %+v", d)
		}
	}
	if r := he.do("GET", "/api/v1/webhooks/"+c.ID+"/deliveries?limit=2", he.tok, nil); !strings.HasPrefix(r.Body.String(), "[") ||
		strings.Count(r.Body.String(), `"received_at"`) != 2 {
		t.Fatalf("limit: %s", r.Body)
	}
	if r := he.do("GET", "/api/v1/webhooks/"+c.ID+"/deliveries?limit=0", he.tok, nil); r.Code != 400 {
		t.Fatalf("limit=0: %d", r.Code)
	}
	// Other methods on a hook are not routes.
	if r := he.do("GET", c.URL, "", nil); r.Code != 405 {
		t.Fatalf("GET hook: %d", r.Code)
	}
}

func TestHookRateLimit(t *testing.T) {
	he := newHookEnv(t)
	c := he.webhook(he.tok, map[string]any{"name": "tv", "exchange_account_id": he.acct.ID, "market": "spot", "dry_run": true})
	body := alertJSON(c.Secret, `"action":"buy","symbol":"BTC/USDT","type":"market","quote_quantity":"5"`)
	for i := range 30 {
		if r := he.alert(c.URL, body); r.Code != 200 {
			t.Fatalf("alert %d: %d %s", i, r.Code, r.Body)
		}
	}
	r := he.alert(c.URL, body)
	if r.Code != 429 || r.errorCode() != codeRateLimited || r.Header().Get("Retry-After") == "" {
		t.Fatalf("31st alert: %d %s", r.Code, r.Body)
	}
	he.clock.add(2 * time.Second)
	if r := he.alert(c.URL, body); r.Code != 200 {
		t.Fatalf("after the wait: %d", r.Code)
	}
}

func TestHookExchangeFailureIsRecorded(t *testing.T) {
	he := newHookEnv(t)
	he.ex.fail = sdk.Errorf(sdk.KindUnknownOutcome, "HTTP 503 after the order was sent")
	c := he.webhook(he.tok, map[string]any{"name": "tv", "exchange_account_id": he.acct.ID, "market": "futures"})
	body := alertJSON(c.Secret, `"action":"sell","symbol":"BTC/USDT:USDT","type":"limit","quantity":"1","price":"9","alert_id":"u1"`)
	r := he.alert(c.URL, body)
	var rep hookReply
	r.decode(t, &rep)
	if r.Code != 200 || rep.Status != store.DeliveryFailed || rep.Error == nil || rep.Error.Code != webhooks.CodeUnknownOutcome ||
		!strings.Contains(rep.Error.Message, "may have been placed") || rep.Order == nil {
		t.Fatalf("%d %s", r.Code, r.Body)
	}
	he.ex.fail = nil
	if r := he.alert(c.URL, body); !strings.Contains(r.Body.String(), `"status":"duplicate"`) {
		t.Fatalf("resent: %s", r.Body)
	}
	if n := he.ex.placed(); n != 1 {
		t.Fatalf("%d calls to PlaceOrder", n)
	}
}

// The token and secret are answered once: no later answer, log line or
// byte of the database holds them.
func TestWebhookCredentialsShownOnce(t *testing.T) {
	he := newHookEnv(t)
	c := he.webhook(he.tok, map[string]any{"name": "tv", "exchange_account_id": he.acct.ID, "market": "spot"})
	token := strings.TrimPrefix(c.URL, hooksPath)
	he.alert(c.URL, alertJSON(c.Secret, `"action":"buy","symbol":"BTC/USDT","type":"market","quote_quantity":"5","alert_id":"s1"`))
	he.alert(c.URL, alertJSON(c.Secret+"-wrong", `"action":"close","symbol":"BTC/USDT"`))
	he.alert(c.URL, alertJSON(c.Secret, `"action":"buy","symbol":"BTC/USDT","type":"market","bogus":1`))
	answers := []response{
		he.do("GET", "/api/v1/webhooks", he.tok, nil),
		he.do("GET", "/api/v1/webhooks/"+c.ID, he.tok, nil),
		he.do("GET", "/api/v1/webhooks/"+c.ID+"/deliveries", he.tok, nil),
		he.do("PATCH", "/api/v1/webhooks/"+c.ID, he.tok, map[string]any{"name": "renamed"}),
	}
	for _, r := range answers {
		if r.Code != 200 {
			t.Fatalf("%d %s", r.Code, r.Body)
		}
		for _, s := range []string{token, token[6:30], c.Secret, c.Secret[6:30]} {
			if strings.Contains(r.Body.String(), s) {
				t.Fatalf("a later answer carries a credential: %s", r.Body)
			}
		}
	}
	raw, err := os.ReadFile(store.Path(he.dir))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{token, token[6:30], c.Secret, c.Secret[6:30]} {
		if strings.Contains(string(raw), s) {
			t.Fatal("the database file holds a webhook credential")
		}
	}
	// The env's cleanup checks the log for every noted credential.
	he.note(token[6:30], c.Secret[6:30])
	if !strings.Contains(he.logs.String(), "/hooks/:token") {
		t.Fatal("the hook requests were not logged by route")
	}
}

func TestDeletingTheAccountRemovesItsWebhooks(t *testing.T) {
	he := newHookEnv(t)
	c := he.webhook(he.tok, map[string]any{"name": "tv", "exchange_account_id": he.acct.ID, "market": "spot"})
	if r := he.do("DELETE", "/api/v1/exchange-accounts/"+he.acct.ID, he.tok, nil); r.Code != 204 {
		t.Fatalf("delete account %d", r.Code)
	}
	if r := he.do("GET", "/api/v1/webhooks/"+c.ID, he.tok, nil); r.Code != 404 {
		t.Fatalf("webhook after its account went: %d", r.Code)
	}
	if r := he.alert(c.URL, alertJSON(c.Secret, `"action":"close","symbol":"BTC/USDT"`)); r.Code != 404 {
		t.Fatalf("hook after its account went: %d", r.Code)
	}
}

// FuzzHookBody: whatever an authenticated caller sends, the hook answers
// with a 2xx or 4xx in the contract's shape, never a 5xx. "SECRET" in the
// body stands for the webhook's secret.
func FuzzHookBody(f *testing.F) {
	he := newHookEnv(f)
	c := he.webhook(he.tok, map[string]any{"name": "fuzz", "exchange_account_id": he.acct.ID, "market": "futures",
		"max_notional": "1000"})
	for _, seed := range []string{
		`{"secret":"SECRET","action":"buy","symbol":"BTC/USDT:USDT","type":"limit","quantity":"0.01","price":"100"}`,
		`{"secret":"SECRET","action":"close","symbol":"BTC/USDT:USDT","alert_id":"x"}`,
		`{"secret":"SECRET","action":"sell","symbol":"BTC/USDT:USDT","type":"market","quantity":"1","reduce_only":true}`,
		`{"secret":"SECRET","action":"buy","symbol":"BTC/USDT","type":"market","quote_quantity":"5"}`,
		`{"secret":"SECRET"}`, `{"secret":"nope"}`, `{"secret":"SECRET",`, `[]`, ``,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		he.clock.add(3 * time.Second) // stay under the rate limit
		r := he.alert(c.URL, strings.ReplaceAll(string(body), "SECRET", c.Secret))
		switch {
		case r.Code == 200:
			var rep hookReply
			if err := json.Unmarshal(r.Body.Bytes(), &rep); err != nil || rep.DeliveryID == "" || rep.Status == "" {
				t.Fatalf("200 with %s", r.Body)
			}
		case r.Code >= 400 && r.Code < 500:
			var b errorBody
			if err := json.Unmarshal(r.Body.Bytes(), &b); err != nil || !snakeCase.MatchString(b.Error.Code) || b.Error.Message == "" {
				t.Fatalf("%d with %s", r.Code, r.Body)
			}
		default:
			t.Fatalf("status %d: %s", r.Code, r.Body)
		}
		if strings.Contains(r.Body.String(), c.Secret) {
			t.Fatal("the answer echoes the secret")
		}
	})
}

// webhooks_per_user holds: one more is 409 quota_exceeded; the list is
// paged.
func TestWebhookQuotaAndPages(t *testing.T) {
	he := newHookEnv(t)
	he.maxWebhooks = 2
	he.build()
	body := map[string]any{"name": "q", "exchange_account_id": he.acct.ID, "market": "spot", "dry_run": true}
	first := he.webhook(he.tok, body)
	he.webhook(he.tok, body)
	r := he.do("POST", "/api/v1/webhooks", he.tok, body)
	if r.Code != 409 || r.errorCode() != "quota_exceeded" {
		t.Fatalf("over the quota: %d %s", r.Code, r.Body)
	}
	he.webhook(he.bob, map[string]any{"name": "b", "exchange_account_id": he.bobAc.ID, "market": "spot", "dry_run": true})
	var list []webhookView
	r = he.do("GET", "/api/v1/webhooks?limit=1", he.tok, nil)
	r.decode(t, &list)
	if len(list) != 1 || list[0].ID != first.ID || r.Header().Get("X-Next-Cursor") != first.ID {
		t.Fatalf("first page: %s", r.Body)
	}
	r = he.do("GET", "/api/v1/webhooks?cursor="+first.ID, he.tok, nil)
	r.decode(t, &list)
	if len(list) != 1 || list[0].ID == first.ID || r.Header().Get("X-Next-Cursor") != "" {
		t.Fatalf("last page: %s", r.Body)
	}
}
