package bybit_test

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/globalautomation/gahost/plugins/bybit/bybit"
	"github.com/globalautomation/gahost/plugins/bybit/fake"
	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/fakex"
	"github.com/globalautomation/gahost/sdk/plugintest"
)

func bybitErr(code int, msg string) string {
	return fmt.Sprintf(`{"retCode":%d,"retMsg":%q,"result":{},"retExtInfo":{},"time":1773700000000}`, code, msg)
}

// TestErrorTable injects every error of the page's table (§6, §7) and the
// transport failures, on a read and on an order, and checks the kind.
func TestErrorTable(t *testing.T) {
	read := func(e *env) error { _, err := e.c.SpotBalances(ctx(t), e.acct); return err }
	order := func(e *env) error {
		_, err := e.c.PlaceOrder(ctx(t), e.acct, sdk.OrderRequest{Symbol: "BTC/USDT:USDT", Side: "buy", Type: "market", Quantity: d("0.001")})
		return err
	}
	const readPath, orderPath = "/v5/account/wallet-balance", "/v5/order/create"
	second := func(d time.Duration) bool { return d == time.Second }
	tests := []struct {
		name       string
		order      bool
		fault      fakex.Fault
		kind       sdk.Kind
		code       string
		retryAfter func(time.Duration) bool
	}{
		// authentication
		{name: "10003 unknown key", fault: fakex.Fault{Status: 200, Body: bybitErr(10003, "API key is invalid.")}, kind: sdk.KindAuthentication, code: "10003"},
		{name: "10004 bad signature", fault: fakex.Fault{Status: 200, Body: bybitErr(10004, "Error sign, please check your signature generation algorithm.")}, kind: sdk.KindAuthentication, code: "10004"},
		{name: "10007 authentication failed", fault: fakex.Fault{Status: 200, Body: bybitErr(10007, "User authentication failed.")}, kind: sdk.KindAuthentication, code: "10007"},
		{name: "33004 expired key", fault: fakex.Fault{Status: 200, Body: bybitErr(33004, "Your api key has expired.")}, kind: sdk.KindAuthentication, code: "33004"},
		{name: "-2015 expired key (spot)", fault: fakex.Fault{Status: 200, Body: bybitErr(-2015, "Your api key has expired.")}, kind: sdk.KindAuthentication, code: "-2015"},
		{name: "HTTP 401", fault: fakex.Fault{Status: 401, Body: "401 Unauthorized"}, kind: sdk.KindAuthentication},
		// permission
		{name: "10005 permission", order: true, fault: fakex.Fault{Status: 200, Body: bybitErr(10005, "Permission denied, please check your API key permissions.")}, kind: sdk.KindPermission, code: "10005"},
		{name: "10010 IP not bound", fault: fakex.Fault{Status: 200, Body: bybitErr(10010, "Unmatched IP, please check your API key's bound IP addresses.")}, kind: sdk.KindPermission, code: "10010"},
		{name: "10029 symbol whitelist", order: true, fault: fakex.Fault{Status: 200, Body: bybitErr(10029, "The requested symbol is invalid, please check symbol whitelist")}, kind: sdk.KindPermission, code: "10029"},
		{name: "10028 unified only", fault: fakex.Fault{Status: 200, Body: bybitErr(10028, "The API can only be accessed by unified account users.")}, kind: sdk.KindPermission, code: "10028"},
		{name: "10009 region", fault: fakex.Fault{Status: 200, Body: bybitErr(10009, "IP has been banned.")}, kind: sdk.KindPermission, code: "10009"},
		{name: "10024 compliance", order: true, fault: fakex.Fault{Status: 200, Body: bybitErr(10024, "Compliance rules triggered")}, kind: sdk.KindPermission, code: "10024"},
		{name: "HTTP 403 from a blocked country", fault: fakex.Fault{Status: 403, Body: "The Amazon CloudFront distribution is configured to block access from your country."}, kind: sdk.KindPermission},
		// rate limits
		{name: "10006 waits for the reset timestamp", fault: fakex.Fault{Status: 200, Body: bybitErr(10006, "Too many visits!"),
			Header: http.Header{"X-Bapi-Limit": {"50"}, "X-Bapi-Limit-Status": {"0"}, "X-Bapi-Limit-Reset-Timestamp": {strconv.FormatInt(time.Now().Add(1500*time.Millisecond).UnixMilli(), 10)}}},
			kind: sdk.KindRateLimited, code: "10006", retryAfter: func(d time.Duration) bool { return d > 500*time.Millisecond && d <= 1500*time.Millisecond }},
		{name: "10006 without headers", order: true, fault: fakex.Fault{Status: 200, Body: bybitErr(10006, "Too many visits!")}, kind: sdk.KindRateLimited, code: "10006", retryAfter: second},
		{name: "retCode 429", fault: fakex.Fault{Status: 200, Body: bybitErr(429, "System busy")}, kind: sdk.KindRateLimited, code: "429", retryAfter: second},
		{name: "10018 IP limit", fault: fakex.Fault{Status: 200, Body: bybitErr(10018, "Exceeded the IP Rate Limit.")}, kind: sdk.KindRateLimited, code: "10018",
			retryAfter: func(d time.Duration) bool { return d == 10*time.Minute }},
		{name: "HTTP 403 access too frequent", fault: fakex.Fault{Status: 403, Body: "access too frequent"}, kind: sdk.KindRateLimited,
			retryAfter: func(d time.Duration) bool { return d == 10*time.Minute }},
		{name: "HTTP 403 on an order", order: true, fault: fakex.Fault{Status: 403, Body: ""}, kind: sdk.KindRateLimited,
			retryAfter: func(d time.Duration) bool { return d == 10*time.Minute }},
		{name: "HTTP 429 with Retry-After", fault: fakex.Fault{Status: 429, Header: http.Header{"Retry-After": {"7"}}, Body: "Too Many Requests"}, kind: sdk.KindRateLimited,
			retryAfter: func(d time.Duration) bool { return d == 7*time.Second }},
		{name: "HTTP 429 bare", order: true, fault: fakex.Fault{Status: 429, Body: ""}, kind: sdk.KindRateLimited, retryAfter: second},
		// clock
		{name: "10002 twice: skew survives a resync", fault: fakex.Fault{Status: 200, Times: 2, Body: bybitErr(10002, "invalid request, please check your server timestamp or recv_window param. req_timestamp[1677853520948],server_timestamp[1677853421570],recv_window[5000]")}, kind: sdk.KindClockSkew, code: "10002"},
		{name: "-1 request expired twice", order: true, fault: fakex.Fault{Status: 200, Times: 2, Body: bybitErr(-1, "request expired: o@0, now[] diff[]")}, kind: sdk.KindClockSkew, code: "-1"},
		// funds
		{name: "110004 wallet balance", order: true, fault: fakex.Fault{Status: 200, Body: bybitErr(110004, "Insufficient wallet balance")}, kind: sdk.KindInsufficientFunds, code: "110004"},
		{name: "110007 available balance", order: true, fault: fakex.Fault{Status: 200, Body: bybitErr(110007, "ab not enough for new order")}, kind: sdk.KindInsufficientFunds, code: "110007"},
		{name: "110012 available balance", order: true, fault: fakex.Fault{Status: 200, Body: bybitErr(110012, "Insufficient available balance.")}, kind: sdk.KindInsufficientFunds, code: "110012"},
		{name: "110044 available margin", order: true, fault: fakex.Fault{Status: 200, Body: bybitErr(110044, "Available margin is insufficient.")}, kind: sdk.KindInsufficientFunds, code: "110044"},
		{name: "170131 spot balance", order: true, fault: fakex.Fault{Status: 200, Body: bybitErr(170131, "Balance insufficient")}, kind: sdk.KindInsufficientFunds, code: "170131"},
		// symbols
		{name: "10001 symbol invalid", order: true, fault: fakex.Fault{Status: 200, Body: bybitErr(10001, "params error: symbol invalid ETH-26DEC25")}, kind: sdk.KindUnknownSymbol, code: "10001"},
		{name: "170121 spot symbol", order: true, fault: fakex.Fault{Status: 200, Body: bybitErr(170121, "Invalid symbol.")}, kind: sdk.KindUnknownSymbol, code: "170121"},
		// invalid requests
		{name: "10001 other parameter", order: true, fault: fakex.Fault{Status: 200, Body: bybitErr(10001, "params error: qty invalid")}, kind: sdk.KindInvalidRequest, code: "10001"},
		{name: "110001 no such order", order: true, fault: fakex.Fault{Status: 200, Body: bybitErr(110001, "Order does not exist")}, kind: sdk.KindOrderNotFound, code: "110001"},
		{name: "170213 no such spot order", order: true, fault: fakex.Fault{Status: 200, Body: bybitErr(170213, "Order does not exist.")}, kind: sdk.KindOrderNotFound, code: "170213"},
		{name: "110008 finished", order: true, fault: fakex.Fault{Status: 200, Body: bybitErr(110008, "The order has been finished")}, kind: sdk.KindInvalidRequest, code: "110008"},
		{name: "110010 cancelled", order: true, fault: fakex.Fault{Status: 200, Body: bybitErr(110010, "The order has been cancelled")}, kind: sdk.KindInvalidRequest, code: "110010"},
		{name: "110072 duplicate link id", order: true, fault: fakex.Fault{Status: 200, Body: bybitErr(110072, "OrderLinkedID is duplicate")}, kind: sdk.KindInvalidRequest, code: "110072"},
		{name: "170141 duplicate client id", order: true, fault: fakex.Fault{Status: 200, Body: bybitErr(170141, "Duplicate clientOrderId.")}, kind: sdk.KindInvalidRequest, code: "170141"},
		{name: "110017 truncated to zero", order: true, fault: fakex.Fault{Status: 200, Body: bybitErr(110017, "orderQty will be truncated to zero.")}, kind: sdk.KindInvalidRequest, code: "110017"},
		{name: "110094 notional", order: true, fault: fakex.Fault{Status: 200, Body: bybitErr(110094, "Order does not meet minimum order value")}, kind: sdk.KindInvalidRequest, code: "110094"},
		{name: "170136 qty too small", order: true, fault: fakex.Fault{Status: 200, Body: bybitErr(170136, "Order quantity lower than the minimum.")}, kind: sdk.KindInvalidRequest, code: "170136"},
		{name: "170140 value too small", order: true, fault: fakex.Fault{Status: 200, Body: bybitErr(170140, "Order value exceeded lower limit.")}, kind: sdk.KindInvalidRequest, code: "170140"},
		{name: "170134 too many decimals", order: true, fault: fakex.Fault{Status: 200, Body: bybitErr(170134, "Order price has too many decimals.")}, kind: sdk.KindInvalidRequest, code: "170134"},
		{name: "170137 too many decimals", order: true, fault: fakex.Fault{Status: 200, Body: bybitErr(170137, "Order quantity has too many decimals.")}, kind: sdk.KindInvalidRequest, code: "170137"},
		{name: "a code the table does not list", order: true, fault: fakex.Fault{Status: 200, Body: bybitErr(31415, "Something else")}, kind: sdk.KindInvalidRequest, code: "31415"},
		{name: "HTTP 403 GET with a body", fault: fakex.Fault{Status: 403, Body: "You send GET request with an empty json body"}, kind: sdk.KindInvalidRequest},
		{name: "HTTP 404", fault: fakex.Fault{Status: 404, Body: "404 page not found"}, kind: sdk.KindInvalidRequest},
		// exchange trouble
		{name: "10000 timeout on a read", fault: fakex.Fault{Status: 200, Body: bybitErr(10000, "Server Timeout")}, kind: sdk.KindUnavailable, code: "10000"},
		{name: "10016 server error on a read", fault: fakex.Fault{Status: 200, Body: bybitErr(10016, "Internal server error.")}, kind: sdk.KindUnavailable, code: "10016"},
		{name: "10000 timeout on an order", order: true, fault: fakex.Fault{Status: 200, Body: bybitErr(10000, "Server Timeout")}, kind: sdk.KindUnknownOutcome, code: "10000"},
		{name: "10016 server error on an order", order: true, fault: fakex.Fault{Status: 200, Body: bybitErr(10016, "Internal server error.")}, kind: sdk.KindUnknownOutcome, code: "10016"},
		{name: "500 on a read", fault: fakex.Fault{Status: 500, Body: "Internal error"}, kind: sdk.KindUnavailable},
		{name: "502 on a read", fault: fakex.Fault{Status: 502, Body: "<html>Bad Gateway</html>"}, kind: sdk.KindUnavailable},
		{name: "500 on an order", order: true, fault: fakex.Fault{Status: 500, Body: "Internal error"}, kind: sdk.KindUnknownOutcome},
		{name: "503 with a retCode on an order", order: true, fault: fakex.Fault{Status: 503, Body: bybitErr(10001, "params error")}, kind: sdk.KindUnknownOutcome, code: "10001"},
		{name: "malformed JSON on a read", fault: fakex.Fault{Malformed: true}, kind: sdk.KindUnknown},
		{name: "malformed JSON on an order", order: true, fault: fakex.Fault{Malformed: true}, kind: sdk.KindUnknownOutcome},
		{name: "no retCode on a read", fault: fakex.Fault{Status: 200, Body: `{"result":{}}`}, kind: sdk.KindUnknown},
		{name: "no retCode on an order", order: true, fault: fakex.Fault{Status: 200, Body: `{"result":{}}`}, kind: sdk.KindUnknownOutcome},
		{name: "accepted without an order id", order: true, fault: fakex.Fault{Status: 200, Body: `{"retCode":0,"retMsg":"OK","result":{},"time":1}`}, kind: sdk.KindUnknownOutcome},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := funded(t, false)
			call, path := read, readPath
			if tt.order {
				call, path = order, orderPath
			}
			f := tt.fault
			f.Path = path
			e.fx.Inject(f)
			plugintest.CheckError(t, call(e), plugintest.WantError{Kind: tt.kind, Code: tt.code, RetryAfter: tt.retryAfter})
			if e.fx.PendingFaults() != 0 {
				t.Errorf("%d faults did not fire", e.fx.PendingFaults())
			}
		})
	}
}

func TestWrongSecret(t *testing.T) {
	e := funded(t, false)
	e.acct.SecretKey = "0000" + secret[4:]
	for name, call := range map[string]func() error{
		"spot":     func() error { _, err := e.c.SpotBalances(ctx(t), e.acct); return err },
		"futures":  func() error { _, err := e.c.FuturesAccount(ctx(t), e.acct); return err },
		"validate": func() error { _, err := e.c.ValidateCredentials(ctx(t), e.acct); return err },
		"order": func() error {
			_, err := e.c.PlaceOrder(ctx(t), e.acct, sdk.OrderRequest{Symbol: "BTC/USDT", Side: "buy", Type: "market", Quantity: d("0.001")})
			return err
		},
	} {
		err := call()
		if sdk.KindOf(err) != sdk.KindAuthentication || code(err) != "10004" {
			t.Errorf("%s: %v, want authentication 10004", name, err)
		}
	}
	if n := len(e.fx.Orders(apiKey)); n != 0 {
		t.Fatalf("%d orders placed with a wrong secret", n)
	}
}

// TestStaleTimestampRecovers moves the fake's clock: first before any call
// (the first call measures the offset), then after the connector has
// measured it (the 10002 answer triggers one resync and a retry).
func TestStaleTimestampRecovers(t *testing.T) {
	for _, jump := range []time.Duration{-45 * time.Second, 20 * time.Second} {
		t.Run(jump.String(), func(t *testing.T) {
			e := funded(t, false)
			e.fx.SetClockOffset(jump)
			if _, err := e.c.SpotBalances(ctx(t), e.acct); err != nil {
				t.Fatalf("first call with the clock %v off: %v", jump, err)
			}
			if n := e.fx.Calls("/v5/market/time"); n != 1 {
				t.Fatalf("time calls %d", n)
			}
			e.fx.SetClockOffset(-jump)
			if _, err := e.c.PlaceOrder(ctx(t), e.acct, sdk.OrderRequest{Symbol: "BTC/USDT", Side: "buy", Type: "market", Quantity: d("0.001")}); err != nil {
				t.Fatalf("order after the clock jumped: %v", err)
			}
			if n := e.fx.Calls("/v5/market/time"); n != 2 {
				t.Fatalf("time calls %d, want 2 (one resync)", n)
			}
			if n := len(e.fx.Orders(apiKey)); n != 1 {
				t.Fatalf("orders at the exchange %d, want exactly 1", n)
			}
			if n := e.fx.Calls("/v5/order/create"); n != 2 {
				t.Fatalf("order requests %d, want 2 (10002 then the retry)", n)
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
		{"read", "/v5/position/list", func(c context.Context, e *env) error { _, err := e.c.Positions(c, e.acct); return err }, sdk.KindUnavailable},
		{"spot order", "/v5/order/create", func(c context.Context, e *env) error {
			_, err := e.c.PlaceOrder(c, e.acct, sdk.OrderRequest{Symbol: "BTC/USDT", Side: "buy", Type: "market", Quantity: d("0.001")})
			return err
		}, sdk.KindUnknownOutcome},
		{"linear order held at the position-mode read: nothing sent yet", "/v5/position/list", func(c context.Context, e *env) error {
			_, err := e.c.PlaceOrder(c, e.acct, sdk.OrderRequest{Symbol: "BTC/USDT:USDT", Side: "buy", Type: "market", Quantity: d("0.001")})
			return err
		}, sdk.KindUnavailable},
		{"cancel", "/v5/order/cancel", func(c context.Context, e *env) error {
			_, err := e.c.CancelOrder(c, e.acct, sdk.CancelRequest{Symbol: "BTC/USDT", OrderID: "1"})
			return err
		}, sdk.KindUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := funded(t, false)
			// Measure the clock first so the slow answer hits the call itself.
			if _, err := e.c.SpotBalances(ctx(t), e.acct); err != nil {
				t.Fatal(err)
			}
			e.fx.Inject(fakex.Fault{Path: tt.path, Delay: time.Minute})
			err := plugintest.CallPastDeadline(t, 150*time.Millisecond, func(c context.Context) error { return tt.call(c, e) })
			if sdk.KindOf(err) != tt.kind {
				t.Fatalf("err = %v (kind %v), want %v", err, sdk.KindOf(err), tt.kind)
			}
			if n := len(e.fx.Orders(apiKey)); n != 0 && tt.kind != sdk.KindUnknownOutcome {
				t.Fatalf("%d orders placed", n)
			}
		})
	}
}

// startOfSecond moves the fake's clock just past a second boundary, so
// that the calls after it share one per-UID window.
func startOfSecond(fx *fake.Server) {
	now := time.Now()
	fx.SetClockOffset(now.Truncate(time.Second).Add(time.Second + 5*time.Millisecond).Sub(now))
}

// TestUIDLimitAndUsage runs against a fake with a small per-UID limit:
// usage comes from the X-Bapi-Limit headers of every answer, and past the
// limit Bybit's 10006 asks to wait until the reset timestamp.
func TestUIDLimitAndUsage(t *testing.T) {
	e := newEnv(t, fake.WithUIDLimit("/v5/account/wallet-balance", 3))
	startOfSecond(e.fx)
	rec := &sdk.UsageRecorder{}
	c := sdk.WithUsageRecorder(ctx(t), rec)
	if _, err := e.c.Positions(c, e.acct); err != nil { // measures the clock
		t.Fatal(err)
	}
	if u := rec.Usage(); len(u) != 1 || u[0] != (sdk.RateUsage{Name: "uid_position_list", Used: 1, Limit: 50, Interval: time.Second}) {
		t.Fatalf("usage %+v", u)
	}
	for i := int64(1); i <= 3; i++ {
		if _, err := e.c.SpotBalances(c, e.acct); err != nil {
			t.Fatal(err)
		}
		if u := rec.Usage(); len(u) != 2 || u[1] != (sdk.RateUsage{Name: "uid_wallet_balance", Used: i, Limit: 3, Interval: time.Second}) {
			t.Fatalf("call %d: usage %+v", i, u)
		}
	}
	_, err := e.c.SpotBalances(c, e.acct)
	if sdk.KindOf(err) != sdk.KindRateLimited || code(err) != "10006" || sdk.RetryAfter(err) <= 0 || sdk.RetryAfter(err) > time.Second {
		t.Fatalf("over the limit: %v (retry after %v)", err, sdk.RetryAfter(err))
	}
	// Other endpoints keep their own limits.
	if _, err := e.c.FuturesAccount(c, e.acct); sdk.KindOf(err) != sdk.KindRateLimited {
		t.Fatalf("the same endpoint with another query: %v", err)
	}
	if _, err := e.c.ValidateCredentials(c, e.acct); err != nil {
		t.Fatalf("another endpoint: %v", err)
	}
}

// TestIPLimitBlocks exceeds the per-IP budget: Bybit answers HTTP 403 and
// blocks the address for ten minutes, which the connector reports as a
// ten-minute wait, on every endpoint, the public one included.
func TestIPLimitBlocks(t *testing.T) {
	e := newEnv(t, fake.WithIPLimit(4))
	now := time.Now()
	e.fx.SetClockOffset(now.Truncate(5 * time.Second).Add(5*time.Second + 5*time.Millisecond).Sub(now))
	for range 3 { // time + 3 reads = 4
		if _, err := e.c.SpotBalances(ctx(t), e.acct); err != nil {
			t.Fatal(err)
		}
	}
	for _, call := range []func() error{
		func() error { _, err := e.c.SpotBalances(ctx(t), e.acct); return err },
		func() error { _, err := e.c.ValidateCredentials(ctx(t), e.acct); return err },
	} {
		err := call()
		if sdk.KindOf(err) != sdk.KindRateLimited || sdk.RetryAfter(err) != 10*time.Minute {
			t.Fatalf("over the IP budget: %v (retry after %v)", err, sdk.RetryAfter(err))
		}
	}
	// Still blocked after the window; not after ten minutes.
	e.fx.SetClockOffset(time.Until(e.fx.Now()) + 9*time.Minute)
	if _, err := bybit.New().SpotBalances(ctx(t), e.acct); sdk.KindOf(err) != sdk.KindRateLimited {
		t.Fatalf("nine minutes on: %v", err)
	}
	e.fx.SetClockOffset(time.Until(e.fx.Now()) + 2*time.Minute)
	if _, err := bybit.New().SpotBalances(ctx(t), e.acct); err != nil {
		t.Fatalf("eleven minutes on: %v", err)
	}
}

// TestNoSecretsInLogsOrErrors drives every method through success and
// failure with debug logging captured, and checks that no key, secret or
// signature appears in a log line or an error.
func TestNoSecretsInLogsOrErrors(t *testing.T) {
	leaks := plugintest.NewLeaks()
	e := funded(t, true)
	e.c = bybit.New(bybit.WithLogger(leaks.Logger))
	// An answer that echoes what it got, as a misbehaving proxy might.
	echo := func(path string) fakex.Fault {
		return fakex.Fault{Path: path, Status: 200, Body: bybitErr(10001, "params error: "+apiKey+" "+secret)}
	}
	keep := leaks.Keep
	c := ctx(t)
	keep(e.c.ValidateCredentials(c, e.acct))
	keep(e.c.SpotBalances(c, e.acct))
	keep(e.c.FuturesAccount(c, e.acct))
	keep(e.c.Positions(c, e.acct))
	keep(e.c.PlaceOrder(c, e.acct, sdk.OrderRequest{Symbol: "BTC/USDT:USDT", Side: "buy", Type: "market", Quantity: d("0.001")}))
	keep(e.c.CancelOrder(c, e.acct, sdk.CancelRequest{Symbol: "BTC/USDT", OrderID: "42"}))
	e.fx.Inject(echo("/v5/account/wallet-balance"))
	keep(e.c.SpotBalances(c, e.acct))
	e.fx.Inject(fakex.Fault{Path: "/v5/position/list", Status: 500, Body: "boom"})
	keep(e.c.Positions(c, e.acct))
	e.fx.Inject(fakex.Fault{Path: "/v5/order/create", Malformed: true})
	keep(e.c.PlaceOrder(c, e.acct, sdk.OrderRequest{Symbol: "BTC/USDT:USDT", Side: "buy", Type: "market", Quantity: d("0.001"), PositionSide: "long"}))
	bad := e.acct
	bad.SecretKey = "wrong-" + secret
	keep(e.c.SpotBalances(c, bad))
	keep(e.c.ValidateCredentials(c, bad))
	keep(e.c.PlaceOrder(c, bad, sdk.OrderRequest{Symbol: "BTC/USDT", Side: "buy", Type: "market", Quantity: d("0.001")}))
	unknown := e.acct
	unknown.APIKey = "unknown-key-4f7d2a"
	keep(e.c.SpotBalances(c, unknown))
	unreachable := e.acct
	unreachable.Endpoints = map[string]string{"rest": "http://127.0.0.1:1"}
	keep(e.c.SpotBalances(c, unreachable))
	slow, cancel := context.WithTimeout(c, 50*time.Millisecond)
	defer cancel()
	e.fx.Inject(fakex.Fault{Path: "/v5/order/create", Delay: time.Minute})
	keep(e.c.PlaceOrder(slow, e.acct, sdk.OrderRequest{Symbol: "BTC/USDT", Side: "buy", Type: "market", Quantity: d("0.001")}))

	if len(leaks.Errors()) < 16 {
		t.Fatalf("only %d errors collected; the test lost its teeth", len(leaks.Errors())/2)
	}
	secrets := []string{apiKey, secret, bad.SecretKey, unknown.APIKey}
	for _, r := range e.fx.Requests() {
		if sig := r.Header.Get("X-Bapi-Sign"); sig != "" {
			secrets = append(secrets, sig)
		}
	}
	if len(secrets) < 15 {
		t.Fatalf("only %d signatures seen", len(secrets)-4)
	}
	out := leaks.Check(t, "path=/v5/account/wallet-balance", secrets, e.acct)
	if !strings.Contains(out, "[redacted]") {
		t.Fatalf("the echoed credentials were not redacted:\n%s", out)
	}
}
