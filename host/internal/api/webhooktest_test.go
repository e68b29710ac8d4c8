package api

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/globalautomation/gahost/host/internal/store"
	"github.com/globalautomation/gahost/host/internal/webhooks"
	"github.com/globalautomation/gahost/sdk"
	"github.com/shopspring/decimal"
)

// marketExchange is a trading exchange that lists instruments and prices,
// as a connector with the market-data calls does.
type marketExchange struct{ *tradingExchange }

func (x marketExchange) Instruments(_ context.Context, _ sdk.Account, m sdk.Market) ([]sdk.Instrument, error) {
	d := decimal.RequireFromString
	if m == sdk.MarketFutures {
		return []sdk.Instrument{{Symbol: "BTC/USDT:USDT", NativeSymbols: []string{"BTCUSDT"}, Market: m, Base: "BTC",
			Quote: "USDT", Settle: "USDT", LotStep: d("0.001"), MinQuantity: d("0.001"), TickSize: d("0.1"),
			MinNotional: d("5"), Status: sdk.InstrumentTrading}}, nil
	}
	return []sdk.Instrument{{Symbol: "BTC/USDT", NativeSymbols: []string{"BTCUSDT"}, Market: m, Base: "BTC", Quote: "USDT",
		LotStep: d("0.00001"), TickSize: d("0.01"), Status: sdk.InstrumentTrading}}, nil
}

func (x marketExchange) Prices(_ context.Context, _ sdk.Account, req sdk.PriceRequest) (sdk.Prices, error) {
	return sdk.AnswerPrices("fakex", req, map[string]sdk.Price{
		"BTC/USDT:USDT": {Symbol: "BTC/USDT:USDT", Last: decimal.RequireFromString("60010"), Mark: decimal.RequireFromString("60000")},
	}), nil
}

type marketCatalog map[string]marketExchange

func (c marketCatalog) Exchange(name string) (sdk.Exchange, sdk.Info, bool) {
	x, ok := c[name]
	if !ok {
		return nil, sdk.Info{}, false
	}
	return x, x.info, true
}

type templateJSON struct {
	Message          string `json:"message"`
	IndicatorMessage string `json:"indicator_message"`
	SecretIncluded   bool   `json:"secret_included"`
	Notes            string `json:"notes"`
}

func TestWebhookURLsAndAlertTemplate(t *testing.T) {
	he := newHookEnv(t)
	he.exchanges = marketCatalog{"fakex": marketExchange{he.ex}}
	he.build()
	type answer struct {
		created
		URLBase     string       `json:"url_base"`
		URLAbsolute bool         `json:"url_absolute"`
		URLNote     string       `json:"url_note"`
		TradingView templateJSON `json:"tradingview"`
	}
	create := func() answer {
		r := he.do("POST", "/api/v1/webhooks", he.tok, map[string]any{"name": "tv", "exchange_account_id": he.acct.ID,
			"market": "futures", "dry_run": true})
		var a answer
		r.decode(t, &a)
		if r.Code != http.StatusCreated {
			t.Fatalf("create: %d %s", r.Code, r.Body)
		}
		he.note(a.URL, a.Secret, a.URL[strings.LastIndex(a.URL, "/")+1:])
		return a
	}

	// Without api.public_url: a path, and the answer says why.
	a := create()
	if !strings.HasPrefix(a.URL, "/hooks/"+webhooks.TokenPrefix) || a.URLBase != "/hooks/" || a.URLAbsolute ||
		!strings.Contains(a.URLNote, "api.public_url") {
		t.Fatalf("relative: url %q base %q absolute %v note %q", a.URL, a.URLBase, a.URLAbsolute, a.URLNote)
	}
	// The creation answer's messages carry the secret, ready to paste.
	for _, m := range []string{a.TradingView.Message, a.TradingView.IndicatorMessage} {
		if !a.TradingView.SecretIncluded || !strings.Contains(m, `"secret":"`+a.Secret+`"`) || !strings.Contains(m, `"symbol":"{{ticker}}"`) {
			t.Fatalf("creation template %+v", a.TradingView)
		}
	}
	for _, p := range []string{`"action":"{{strategy.order.action}}"`, `"quantity":"{{strategy.order.contracts}}"`} {
		if !strings.Contains(a.TradingView.Message, p) {
			t.Errorf("the strategy message lacks %s: %s", p, a.TradingView.Message)
		}
	}
	// The strategy message, filled in as TradingView does, is an alert the
	// webhook takes.
	filled := strings.NewReplacer("{{strategy.order.action}}", "buy", "{{ticker}}", "BTCUSDT.P",
		"{{strategy.order.contracts}}", "0.5", "{{timenow}}", "2026-01-02T03:04:05Z").Replace(a.TradingView.Message)
	var rep hookReply
	if r := he.alert(a.URL, filled); r.Code != http.StatusOK {
		t.Fatalf("the filled-in template: %d %s", r.Code, r.Body)
	} else if r.decode(t, &rep); rep.Status != store.DeliveryDryRun || rep.Order == nil || rep.Order.Symbol != "BTC/USDT:USDT" {
		t.Fatalf("the filled-in template: %s", r.Body)
	}

	// GET shows the template without the secret.
	var got struct {
		URLBase     string       `json:"url_base"`
		URLAbsolute bool         `json:"url_absolute"`
		TradingView templateJSON `json:"tradingview"`
	}
	r := he.do("GET", "/api/v1/webhooks/"+a.ID, he.tok, nil)
	r.decode(t, &got)
	if r.Code != 200 || got.TradingView.SecretIncluded || strings.Contains(r.Body.String(), a.Secret) ||
		!strings.Contains(got.TradingView.Message, `"secret":"PASTE-THE-WEBHOOK-SECRET-HERE"`) || got.TradingView.Notes == "" {
		t.Fatalf("GET template: %d %s", r.Code, r.Body)
	}

	// With api.public_url: full URLs.
	he.deps.PublicURL = "https://hub.example.test/gahost"
	he.build()
	b := create()
	if b.URL != "https://hub.example.test/gahost/hooks/"+b.URL[strings.LastIndex(b.URL, "/")+1:] ||
		b.URLBase != "https://hub.example.test/gahost/hooks/" || !b.URLAbsolute || b.URLNote != "" {
		t.Fatalf("absolute: url %q base %q absolute %v note %q", b.URL, b.URLBase, b.URLAbsolute, b.URLNote)
	}
	r = he.do("GET", "/api/v1/webhooks/"+a.ID, he.tok, nil)
	r.decode(t, &got)
	if got.URLBase != "https://hub.example.test/gahost/hooks/" || !got.URLAbsolute {
		t.Fatalf("GET with public_url: %s", r.Body)
	}
}

func TestAlertTestRoute(t *testing.T) {
	he := newHookEnv(t)
	he.exchanges = marketCatalog{"fakex": marketExchange{he.ex}}
	he.build()
	c := he.webhook(he.tok, map[string]any{"name": "tv", "exchange_account_id": he.acct.ID, "market": "futures",
		"max_notional": "500"})
	var ans struct {
		DeliveryID string          `json:"delivery_id"`
		Status     string          `json:"status"`
		WouldPlace bool            `json:"would_place"`
		Resolution *resolutionView `json:"resolution"`
		Requested  requestedView   `json:"requested"`
		Order      *orderView      `json:"order"`
		Instrument *instrumentView `json:"instrument"`
		Price      *struct {
			Value  string `json:"value"`
			Source string `json:"source"`
		} `json:"price"`
		Notional *string         `json:"notional"`
		Checks   []ruleCheckView `json:"checks"`
		Error    *errorDetail    `json:"error"`
	}
	path := "/api/v1/webhooks/" + c.ID + "/test"
	r := he.do("POST", path, he.tok, map[string]any{"action": "buy", "symbol": "BINANCE:BTCUSDT.P", "quantity": "0.0157"})
	r.decode(t, &ans)
	if r.Code != 200 || ans.Status != store.DeliveryTest || ans.WouldPlace || ans.Resolution == nil ||
		ans.Resolution.Symbol != "BTC/USDT:USDT" || ans.Resolution.Method != webhooks.MatchTradingView ||
		ans.Order == nil || *ans.Order.Quantity != "0.015" || ans.Order.Side != "buy" || *ans.Requested.Quantity != "0.0157" ||
		ans.Instrument == nil || ans.Instrument.LotStep != "0.001" || ans.Price == nil || ans.Price.Value != "60000" ||
		ans.Price.Source != webhooks.PriceFromExchange || ans.Notional == nil || *ans.Notional != "900" ||
		ans.Error == nil || ans.Error.Code != webhooks.CodeMaxNotionalExceeded {
		t.Fatalf("test: %d %s", r.Code, r.Body)
	}
	verdict := map[string]bool{}
	for _, c := range ans.Checks {
		verdict[c.Name] = c.Passed
	}
	if len(verdict) != 9 || verdict[webhooks.CheckMaxNotional] || !verdict[webhooks.CheckMinQuantity] || !verdict[webhooks.CheckSymbol] {
		t.Fatalf("checks %+v", ans.Checks)
	}
	// Within the limit it would go; nothing was placed either way.
	r = he.do("POST", path, he.tok, map[string]any{"action": "sell", "symbol": "BTCUSDT", "type": "limit",
		"quantity": "0.005", "price": "60000.04"})
	r.decode(t, &ans)
	if r.Code != 200 || !ans.WouldPlace || ans.Error != nil || *ans.Order.Price != "60000.1" || *ans.Order.Quantity != "0.005" {
		t.Fatalf("test within limits: %d %s", r.Code, r.Body)
	}
	if n := he.ex.placed(); n != 0 {
		t.Fatalf("a test placed %d orders", n)
	}
	// Recorded as test deliveries, with their checks.
	var list []deliveryView
	he.do("GET", "/api/v1/webhooks/"+c.ID+"/deliveries?status=test", he.tok, nil).decode(t, &list)
	if len(list) != 2 || list[0].Status != store.DeliveryTest || len(list[0].Checks) != 9 || list[0].Resolution == nil {
		t.Fatalf("deliveries %+v", list)
	}

	for _, tt := range []struct {
		name, token, body string
		status            int
		code              string
	}{
		{"not JSON", he.tok, `buy BTC`, 400, codeInvalidJSON},
		{"another user's webhook", he.bob, `{"action":"buy","symbol":"BTCUSDT","quantity":"1"}`, 404, codeNotFound},
		{"no token", "", `{"action":"buy","symbol":"BTCUSDT","quantity":"1"}`, 401, codeUnauthorized},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := he.do("POST", path, tt.token, tt.body)
			if r.Code != tt.status || r.errorCode() != tt.code {
				t.Fatalf("%d %s", r.Code, r.Body)
			}
		})
	}
	// A field error is answered 400 with the test's answer, which says
	// what to fix.
	r = he.do("POST", path, he.tok, map[string]any{"action": "buy", "symbol": "BTCUSDT", "quantity": "{{strategy.order.contracts}}"})
	ans.Error = nil
	r.decode(t, &ans)
	if r.Code != 400 || ans.Status != store.DeliveryTest || len(ans.Checks) != 0 || ans.WouldPlace || ans.Error == nil || ans.Error.Code != codeInvalidField ||
		!strings.Contains(ans.Error.Message, "indicator alert") {
		t.Fatalf("placeholder: %d %s", r.Code, r.Body)
	}
}
