package okx_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/globalautomation/gahost/plugins/okx/fake"
	"github.com/globalautomation/gahost/plugins/okx/okx"
	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/fakex"
	"github.com/globalautomation/gahost/sdk/plugintest"
)

func okxErr(code, msg string) string {
	return fmt.Sprintf(`{"code":%q,"msg":%q,"data":[]}`, code, msg)
}

// itemErr is a trade answer whose one item failed (§3).
func itemErr(sCode, sMsg string) string {
	return fmt.Sprintf(`{"code":"1","msg":"All operations failed","data":[{"clOrdId":"","ordId":"","tag":"","ts":"1695190491421","sCode":%q,"sMsg":%q,"subCode":""}],"inTime":"1695190491421339","outTime":"1695190491423240"}`, sCode, sMsg)
}

// TestErrorTable injects every code of the page's error table (§10), the
// rate-limit answers (§9) and the transport failures, on a read and on an
// order, and checks the kind, the code and the retry-after.
func TestErrorTable(t *testing.T) {
	const readPath, orderPath = "/api/v5/account/balance", "/api/v5/trade/order"
	window := func(d time.Duration) bool { return d == 2*time.Second }
	tests := []struct {
		name       string
		order      bool
		fault      fakex.Fault
		kind       sdk.Kind
		code       string
		retryAfter func(time.Duration) bool
	}{
		{name: "50000 empty body", order: true, fault: fakex.Fault{Status: 400, Body: okxErr("50000", "Body for POST request cannot be empty.")}, kind: sdk.KindInvalidRequest, code: "50000"},
		{name: "50001 on a read", fault: fakex.Fault{Status: 503, Body: okxErr("50001", "Service temporarily unavailable. Please try again later.")}, kind: sdk.KindUnavailable, code: "50001"},
		{name: "50001 on an order", order: true, fault: fakex.Fault{Status: 503, Body: okxErr("50001", "Service temporarily unavailable. Please try again later.")}, kind: sdk.KindUnknownOutcome, code: "50001"},
		{name: "50002 JSON syntax", order: true, fault: fakex.Fault{Status: 400, Body: okxErr("50002", "JSON syntax error")}, kind: sdk.KindInvalidRequest, code: "50002"},
		{name: "50004 endpoint timeout on a read", fault: fakex.Fault{Status: 400, Body: okxErr("50004", "API endpoint request timeout")}, kind: sdk.KindUnavailable, code: "50004"},
		{name: "50004 endpoint timeout on an order", order: true, fault: fakex.Fault{Status: 400, Body: okxErr("50004", "API endpoint request timeout (does not mean that the request was successful or failed, please check the request result)")}, kind: sdk.KindUnknownOutcome, code: "50004"},
		{name: "50006 content type", order: true, fault: fakex.Fault{Status: 400, Body: okxErr("50006", `Invalid Content-Type. Please use "application/JSON".`)}, kind: sdk.KindInvalidRequest, code: "50006"},
		{name: "50011 as HTTP 429", fault: fakex.Fault{Status: 429, Body: `{"msg":"Too Many Requests","code":"50011"}`}, kind: sdk.KindRateLimited, code: "50011", retryAfter: window},
		{name: "50011 as HTTP 200", fault: fakex.Fault{Status: 200, Body: okxErr("50011", "Rate limit reached. Please refer to API documentation and throttle requests accordingly.")}, kind: sdk.KindRateLimited, code: "50011", retryAfter: window},
		{name: "50011 with a Retry-After from a proxy", order: true, fault: fakex.Fault{Status: 429, Header: http.Header{"Retry-After": {"7"}}, Body: `{"msg":"Too Many Requests","code":"50011"}`},
			kind: sdk.KindRateLimited, code: "50011", retryAfter: func(d time.Duration) bool { return d == 7*time.Second }},
		{name: "429 without a body", fault: fakex.Fault{Status: 429, Header: http.Header{"Retry-After": {"30"}}, Body: "Too Many Requests"},
			kind: sdk.KindRateLimited, retryAfter: func(d time.Duration) bool { return d == 30*time.Second }},
		{name: "429 ban page without Retry-After", fault: fakex.Fault{Status: 429, Body: "<html>slow down</html>"}, kind: sdk.KindRateLimited, retryAfter: window},
		{name: "50013 systems busy", fault: fakex.Fault{Status: 429, Body: okxErr("50013", "Systems are busy. Please try again later.")}, kind: sdk.KindRateLimited, code: "50013", retryAfter: window},
		{name: "50014 parameter empty", order: true, fault: fakex.Fault{Status: 400, Body: okxErr("50014", "Parameter sz can not be empty.")}, kind: sdk.KindInvalidRequest, code: "50014"},
		{name: "50026 system error on a read", fault: fakex.Fault{Status: 500, Body: okxErr("50026", "System error. Try again later")}, kind: sdk.KindUnavailable, code: "50026"},
		{name: "50026 system error on an order", order: true, fault: fakex.Fault{Status: 500, Body: okxErr("50026", "System error. Try again later")}, kind: sdk.KindUnknownOutcome, code: "50026"},
		{name: "50026 as HTTP 200 on an order", order: true, fault: fakex.Fault{Status: 200, Body: okxErr("50026", "System error. Try again later")}, kind: sdk.KindUnknownOutcome, code: "50026"},
		{name: "50061 order rate of the sub-account", order: true, fault: fakex.Fault{Status: 200, Body: okxErr("50061", "You've reached the maximum order rate limit for this account.")}, kind: sdk.KindRateLimited, code: "50061", retryAfter: window},
		{name: "50101 environment", fault: fakex.Fault{Status: 401, Body: `{"msg":"APIKey does not match current environment.","code":"50101"}`}, kind: sdk.KindAuthentication, code: "50101"},
		{name: "50102 twice: the skew survives a resync", fault: fakex.Fault{Status: 401, Body: `{"msg":"Timestamp request expired","code":"50102"}`, Times: 2}, kind: sdk.KindClockSkew, code: "50102"},
		{name: "50103 no key", fault: fakex.Fault{Status: 401, Body: `{"msg":"Request header OK-ACCESS-KEY cannot be empty.","code":"50103"}`}, kind: sdk.KindAuthentication, code: "50103"},
		{name: "50104 no passphrase", fault: fakex.Fault{Status: 401, Body: `{"msg":"Request header OK-ACCESS-PASSPHRASE cannot be empty.","code":"50104"}`}, kind: sdk.KindAuthentication, code: "50104"},
		{name: "50105 bad passphrase", fault: fakex.Fault{Status: 401, Body: `{"msg":"Request header OK-ACCESS-PASSPHRASE incorrect.","code":"50105"}`}, kind: sdk.KindAuthentication, code: "50105"},
		{name: "50106 no signature", fault: fakex.Fault{Status: 401, Body: `{"msg":"Request header OK-ACCESS-SIGN cannot be empty.","code":"50106"}`}, kind: sdk.KindInvalidRequest, code: "50106"},
		{name: "50107 no timestamp", fault: fakex.Fault{Status: 401, Body: `{"msg":"Request header OK-ACCESS-TIMESTAMP cannot be empty.","code":"50107"}`}, kind: sdk.KindInvalidRequest, code: "50107"},
		{name: "50110 IP whitelist", fault: fakex.Fault{Status: 401, Body: `{"msg":"Your IP 198.51.100.7 is not included in your API key's IP whitelist.","code":"50110"}`}, kind: sdk.KindPermission, code: "50110"},
		{name: "50111 invalid key", fault: fakex.Fault{Status: 401, Body: `{"msg":"Invalid OK-ACCESS-KEY","code":"50111"}`}, kind: sdk.KindAuthentication, code: "50111"},
		{name: "50112 malformed timestamp", fault: fakex.Fault{Status: 401, Body: `{"msg":"Invalid OK-ACCESS-TIMESTAMP","code":"50112"}`}, kind: sdk.KindInvalidRequest, code: "50112"},
		{name: "50113 bad signature", fault: fakex.Fault{Status: 401, Body: `{"msg":"Invalid signature","code":"50113"}`}, kind: sdk.KindAuthentication, code: "50113"},
		{name: "50114 invalid authorization", fault: fakex.Fault{Status: 401, Body: `{"msg":"Invalid authorization","code":"50114"}`}, kind: sdk.KindAuthentication, code: "50114"},
		{name: "50115 method", fault: fakex.Fault{Status: 405, Body: okxErr("50115", "Invalid request method.")}, kind: sdk.KindInvalidRequest, code: "50115"},
		{name: "50120 no permission", order: true, fault: fakex.Fault{Status: 200, Body: okxErr("50120", "This API key doesn't have permission to use this function")}, kind: sdk.KindPermission, code: "50120"},
		{name: "51000 parameter", order: true, fault: fakex.Fault{Status: 400, Body: okxErr("51000", "Parameter posSide error")}, kind: sdk.KindInvalidRequest, code: "51000"},
		{name: "51001 instrument", order: true, fault: fakex.Fault{Status: 200, Body: okxErr("51001", "Instrument ID, Instrument ID code or Spread ID doesn't exist.")}, kind: sdk.KindUnknownSymbol, code: "51001"},
		{name: "51008 as sCode", order: true, fault: fakex.Fault{Status: 200, Body: itemErr("51008", "Order failed. Insufficient USDT balance in account")}, kind: sdk.KindInsufficientFunds, code: "51008"},
		{name: "51010 account mode", order: true, fault: fakex.Fault{Status: 200, Body: itemErr("51010", "Request unsupported under current account mode")}, kind: sdk.KindUnsupported, code: "51010"},
		{name: "51016 duplicate client id", order: true, fault: fakex.Fault{Status: 200, Body: itemErr("51016", "Client order ID already exists.")}, kind: sdk.KindInvalidRequest, code: "51016"},
		{name: "51020 minimum", order: true, fault: fakex.Fault{Status: 200, Body: itemErr("51020", "Your order should meet or exceed the minimum order amount.")}, kind: sdk.KindInvalidRequest, code: "51020"},
		{name: "51121 lot size", order: true, fault: fakex.Fault{Status: 200, Body: itemErr("51121", "Order quantity must be a multiple of the lot size.")}, kind: sdk.KindInvalidRequest, code: "51121"},
		{name: "51131 balance", order: true, fault: fakex.Fault{Status: 200, Body: itemErr("51131", "Insufficient balance.")}, kind: sdk.KindInsufficientFunds, code: "51131"},
		{name: "51400 cancel failed", order: true, fault: fakex.Fault{Status: 200, Body: itemErr("51400", "Order cancellation failed as the order has been filled, canceled or does not exist.")}, kind: sdk.KindOrderNotFound, code: "51400"},
		{name: "code 1 with an unlisted trade sCode", order: true, fault: fakex.Fault{Status: 200, Body: itemErr("54109", "You haven't activated trading for this pair.")}, kind: sdk.KindInvalidRequest, code: "54109"},
		{name: "code 1 without items", order: true, fault: fakex.Fault{Status: 200, Body: `{"code":"1","msg":"Operation failed.","data":[]}`}, kind: sdk.KindInvalidRequest, code: "1"},
		{name: "unlisted code on a read", fault: fakex.Fault{Status: 200, Body: okxErr("59999", "Something new")}, kind: sdk.KindUnknown, code: "59999"},
		{name: "unlisted code behind a 401", fault: fakex.Fault{Status: 401, Body: okxErr("50199", "New auth rule")}, kind: sdk.KindAuthentication, code: "50199"},
		{name: "numeric code", fault: fakex.Fault{Status: 401, Body: `{"code":50113,"msg":"Invalid signature"}`}, kind: sdk.KindAuthentication, code: "50113"},
		{name: "500 page on a read", fault: fakex.Fault{Status: 500, Body: "Internal error"}, kind: sdk.KindUnavailable},
		{name: "502 page on a read", fault: fakex.Fault{Status: 502, Body: "<html>Bad Gateway</html>"}, kind: sdk.KindUnavailable},
		{name: "500 page on an order", order: true, fault: fakex.Fault{Status: 500, Body: "Internal error"}, kind: sdk.KindUnknownOutcome},
		{name: "504 page on an order", order: true, fault: fakex.Fault{Status: 504, Body: "<html>Gateway Timeout</html>"}, kind: sdk.KindUnknownOutcome},
		{name: "403 page", fault: fakex.Fault{Status: 403, Body: "<html>Forbidden</html>"}, kind: sdk.KindPermission},
		{name: "malformed JSON on a read", fault: fakex.Fault{Malformed: true}, kind: sdk.KindUnknown},
		{name: "malformed JSON on an order", order: true, fault: fakex.Fault{Malformed: true}, kind: sdk.KindUnknownOutcome},
		{name: "order accepted without an id", order: true, fault: fakex.Fault{Status: 200, Body: `{"code":"0","msg":"","data":[]}`}, kind: sdk.KindUnknownOutcome},
		{name: "order answer of the wrong shape", order: true, fault: fakex.Fault{Status: 200, Body: `{"code":"0","msg":"","data":{"ordId":1}}`}, kind: sdk.KindUnknownOutcome},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := funded(t, "")
			call := func() error { _, err := e.c.SpotBalances(ctx(t), e.acct); return err }
			path := readPath
			if tt.order {
				path = orderPath
				call = func() error {
					_, err := e.c.PlaceOrder(ctx(t), e.acct, sdk.OrderRequest{Symbol: "BTC/USDT", Side: "buy", Type: "market", Quantity: d("0.001")})
					return err
				}
			}
			f := tt.fault
			f.Path = path
			e.fx.Inject(f)
			plugintest.CheckError(t, call(), plugintest.WantError{Kind: tt.kind, Code: tt.code, RetryAfter: tt.retryAfter})
			if e.fx.PendingFaults() != 0 {
				t.Errorf("%d faults did not fire", e.fx.PendingFaults())
			}
		})
	}
}

func TestWrongSecret(t *testing.T) {
	e := newEnv(t)
	e.acct.SecretKey = "0000" + secret[4:]
	for name, call := range map[string]func() error{
		"balances":  func() error { _, err := e.c.SpotBalances(ctx(t), e.acct); return err },
		"futures":   func() error { _, err := e.c.FuturesAccount(ctx(t), e.acct); return err },
		"positions": func() error { _, err := e.c.Positions(ctx(t), e.acct); return err },
		"cancel": func() error {
			_, err := e.c.CancelOrder(ctx(t), e.acct, sdk.CancelRequest{Symbol: "BTC/USDT", OrderID: "1"})
			return err
		},
	} {
		err := call()
		var se *sdk.Error
		if sdk.KindOf(err) != sdk.KindAuthentication || !asErr(err, &se) || se.ExchangeCode != "50113" {
			t.Errorf("%s: %v, want authentication 50113", name, err)
		}
	}
}

// TestStaleTimestampRecovers moves the fake's clock: first before any call
// (the first call measures the offset), then after the connector has
// measured it (the 50102 answer triggers one resync and a retry, and the
// order is placed exactly once).
func TestStaleTimestampRecovers(t *testing.T) {
	for _, jump := range []time.Duration{-45 * time.Second, 40 * time.Second} {
		t.Run(jump.String(), func(t *testing.T) {
			e := funded(t, "")
			e.fx.SetClockOffset(jump)
			if _, err := e.c.SpotBalances(ctx(t), e.acct); err != nil {
				t.Fatalf("first call with the clock %v off: %v", jump, err)
			}
			if n := e.fx.Calls("/api/v5/public/time"); n != 1 {
				t.Fatalf("time calls %d", n)
			}
			e.fx.SetClockOffset(-jump)
			if _, err := e.c.PlaceOrder(ctx(t), e.acct, sdk.OrderRequest{Symbol: "BTC/USDT", Side: "buy", Type: "market", Quantity: d("0.001")}); err != nil {
				t.Fatalf("order after the clock jumped: %v", err)
			}
			if n := e.fx.Calls("/api/v5/public/time"); n != 2 {
				t.Fatalf("time calls %d, want 2 (one resync)", n)
			}
			if n := len(e.fx.Orders(apiKey)); n != 1 {
				t.Fatalf("orders at the exchange %d, want exactly 1", n)
			}
			var expired int
			for _, r := range e.fx.Requests() {
				if r.Status == 401 {
					expired++
				}
			}
			// The first signed call after the jump (the config read) hits
			// 50102 and resyncs; everything after signs with the new offset.
			if expired != 1 {
				t.Fatalf("rejected requests %d, want 1 (50102, then the retry)", expired)
			}
		})
	}
}

func TestSlowAnswerPastDeadline(t *testing.T) {
	tests := []struct {
		name string
		path string
		call func(context.Context, *env) error
		kind sdk.Kind
	}{
		{"read", "/api/v5/account/positions", func(c context.Context, e *env) error { _, err := e.c.Positions(c, e.acct); return err }, sdk.KindUnavailable},
		{"order", "/api/v5/trade/order", func(c context.Context, e *env) error {
			_, err := e.c.PlaceOrder(c, e.acct, sdk.OrderRequest{Symbol: "BTC/USDT", Side: "buy", Type: "market", Quantity: d("0.001")})
			return err
		}, sdk.KindUnknownOutcome},
		{"cancel", "/api/v5/trade/cancel-order", func(c context.Context, e *env) error {
			_, err := e.c.CancelOrder(c, e.acct, sdk.CancelRequest{Symbol: "BTC/USDT", OrderID: "1"})
			return err
		}, sdk.KindUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := funded(t, "")
			// Measure the clock and read the modes first so the slow answer
			// hits the call itself.
			if _, err := e.c.ValidateCredentials(ctx(t), e.acct); err != nil {
				t.Fatal(err)
			}
			e.fx.Inject(fakex.Fault{Path: tt.path, Delay: time.Minute})
			err := plugintest.CallPastDeadline(t, 150*time.Millisecond, func(c context.Context) error { return tt.call(c, e) })
			if sdk.KindOf(err) != tt.kind {
				t.Fatalf("err = %v (kind %v), want %v", err, sdk.KindOf(err), tt.kind)
			}
		})
	}
}

// TestRateLimitEnforced runs against a fake with a small budget: past it
// the fake answers 429 50011 and the connector says how long to wait.
func TestRateLimitEnforced(t *testing.T) {
	e := newEnv(t, fake.WithLimit("/api/v5/account/balance", 3))
	now := time.Now()
	// Start the fake's two-second window so that the calls share it.
	e.fx.SetClockOffset(now.Truncate(2 * time.Second).Add(2*time.Second + 100*time.Millisecond).Sub(now))
	var kinds []sdk.Kind
	for range 4 {
		_, err := e.c.SpotBalances(ctx(t), e.acct)
		kinds = append(kinds, sdk.KindOf(err))
		if err != nil && sdk.RetryAfter(err) != 2*time.Second {
			t.Errorf("retry after %v", sdk.RetryAfter(err))
		}
	}
	want := []sdk.Kind{sdk.KindUnknown, sdk.KindUnknown, sdk.KindUnknown, sdk.KindRateLimited}
	for i := range want {
		if kinds[i] != want[i] {
			t.Fatalf("kinds %v, want %v", kinds, want)
		}
	}
	// The budget is per user and per endpoint: positions still answer.
	if _, err := e.c.Positions(ctx(t), e.acct); err != nil {
		t.Fatalf("positions: %v", err)
	}
}

// TestDemoHeader: a testnet account sends x-simulated-trading: 1 on every
// signed call, with the rest endpoint overridden too; a live one never.
func TestDemoHeader(t *testing.T) {
	for _, demo := range []bool{false, true} {
		t.Run(fmt.Sprintf("testnet=%v", demo), func(t *testing.T) {
			e := newEnv(t)
			e.fx.AddKey(fake.Key{APIKey: apiKey, Secret: secret, Passphrase: passphrase, Trade: true, Demo: demo})
			e.acct.Testnet = demo
			if _, err := e.c.ValidateCredentials(ctx(t), e.acct); err != nil {
				t.Fatal(err)
			}
			if _, err := e.c.PlaceOrder(ctx(t), e.acct, sdk.OrderRequest{Symbol: "BTC/USDT", Side: "sell", Type: "limit", Quantity: d("1"), Price: d("1")}); sdk.KindOf(err) != sdk.KindInsufficientFunds {
				t.Fatalf("order: %v", err)
			}
			var signed int
			for _, r := range e.fx.Requests() {
				if r.Header.Get("OK-ACCESS-KEY") == "" {
					continue
				}
				signed++
				want := ""
				if demo {
					want = "1"
				}
				if got := r.Header.Get("x-simulated-trading"); got != want {
					t.Errorf("%s: x-simulated-trading %q, want %q", r.Path, got, want)
				}
			}
			if signed != 2 {
				t.Fatalf("signed requests %d, want 2", signed)
			}
		})
	}
}

// TestNoSecretsInLogsOrErrors drives every method through success and
// failure with debug logging captured, and checks that no key, secret,
// passphrase or signature appears in a log line or an error.
func TestNoSecretsInLogsOrErrors(t *testing.T) {
	leaks := plugintest.NewLeaks()
	e := funded(t, "")
	e.fx.Update(apiKey, func(a *fake.Account) {
		a.Positions = []fake.Position{{InstID: "BTC-USDT-SWAP", MgnMode: "cross", PosSide: "net", Pos: "1", AvgPx: "1", MarkPx: "1", Upl: "0", Lever: "1"}}
	})
	e.c = okx.New(okx.WithLogger(leaks.Logger))
	// A fake that echoes what it got, as a misbehaving proxy might.
	echo := func(path string) fakex.Fault {
		return fakex.Fault{Path: path, Status: 400, Body: okxErr("51000", "Parameter error: "+apiKey+" "+secret+" "+passphrase)}
	}
	keep := leaks.Keep
	c := ctx(t)
	keep(e.c.ValidateCredentials(c, e.acct))
	keep(e.c.SpotBalances(c, e.acct))
	keep(e.c.FuturesAccount(c, e.acct))
	keep(e.c.Positions(c, e.acct))
	keep(e.c.PlaceOrder(c, e.acct, sdk.OrderRequest{Symbol: "BTC/USDT:USDT", Side: "buy", Type: "market", Quantity: d("0.01")}))
	keep(e.c.CancelOrder(c, e.acct, sdk.CancelRequest{Symbol: "BTC/USDT", OrderID: "42"}))
	e.fx.Inject(echo("/api/v5/account/balance"))
	keep(e.c.SpotBalances(c, e.acct))
	e.fx.Inject(echo("/api/v5/trade/order"))
	keep(e.c.PlaceOrder(c, e.acct, sdk.OrderRequest{Symbol: "BTC/USDT", Side: "buy", Type: "market", Quantity: d("0.001")}))
	e.fx.Inject(fakex.Fault{Path: "/api/v5/account/positions", Status: 500, Body: "boom"})
	keep(e.c.Positions(c, e.acct))
	e.fx.Inject(fakex.Fault{Path: "/api/v5/trade/order", Malformed: true})
	keep(e.c.PlaceOrder(c, e.acct, sdk.OrderRequest{Symbol: "BTC/USDT:USDT", Side: "buy", Type: "market", Quantity: d("0.01")}))
	for _, bad := range []sdk.Account{
		{APIKey: apiKey, SecretKey: "wrong-" + secret, Passphrase: passphrase, Endpoints: e.acct.Endpoints},
		{APIKey: apiKey, SecretKey: secret, Passphrase: "wrong-" + passphrase, Endpoints: e.acct.Endpoints},
		{APIKey: "unknown-" + apiKey, SecretKey: secret, Passphrase: passphrase, Endpoints: e.acct.Endpoints},
		{APIKey: apiKey, SecretKey: secret, Passphrase: passphrase, Endpoints: map[string]string{"rest": "http://127.0.0.1:1"}},
	} {
		keep(e.c.SpotBalances(c, bad))
		keep(e.c.ValidateCredentials(c, bad))
	}
	slow, cancel := context.WithTimeout(c, 50*time.Millisecond)
	defer cancel()
	e.fx.Inject(fakex.Fault{Path: "/api/v5/trade/order", Delay: time.Minute})
	keep(e.c.PlaceOrder(slow, e.acct, sdk.OrderRequest{Symbol: "BTC/USDT", Side: "buy", Type: "market", Quantity: d("0.001")}))

	if len(leaks.Errors()) < 2*12 {
		t.Fatalf("only %d errors collected; the test lost its teeth", len(leaks.Errors())/2)
	}
	secrets := []string{apiKey, secret, passphrase, "wrong-" + secret, "wrong-" + passphrase}
	for _, r := range e.fx.Requests() {
		if sig := r.Header.Get("OK-ACCESS-SIGN"); sig != "" {
			secrets = append(secrets, sig)
		}
	}
	if len(secrets) < 15 {
		t.Fatalf("only %d signatures seen", len(secrets)-5)
	}
	out := leaks.Check(t, "path=/api/v5/account/balance", secrets, e.acct)
	if !strings.Contains(out, "[redacted]") {
		t.Fatalf("the echoed credentials were not redacted:\n%s", out)
	}
}
