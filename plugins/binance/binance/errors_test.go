package binance_test

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/globalautomation/gahost/plugins/binance/binance"
	"github.com/globalautomation/gahost/plugins/binance/fake"
	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/fakex"
	"github.com/globalautomation/gahost/sdk/plugintest"
)

func binanceErr(code int, msg string) string {
	return fmt.Sprintf(`{"code":%d,"msg":%q}`, code, msg)
}

// TestErrorTable injects every error of the page's table (§6, §7) and the
// transport failures, on a read and on an order, and checks the kind.
func TestErrorTable(t *testing.T) {
	read := func(e *env) error { _, err := e.c.SpotBalances(ctx(t), e.acct); return err }
	order := func(e *env) error {
		_, err := e.c.PlaceOrder(ctx(t), e.acct, sdk.OrderRequest{Symbol: "BTC/USDT:USDT", Side: "buy", Type: "market", Quantity: d("0.001")})
		return err
	}
	const readPath, orderPath = "/api/v3/account", "/fapi/v1/order"
	banUntil := time.Now().Add(5 * time.Minute).UnixMilli()
	tests := []struct {
		name       string
		order      bool
		fault      fakex.Fault
		kind       sdk.Kind
		code       string
		retryAfter func(time.Duration) bool
	}{
		{name: "-2014 bad key format", fault: fakex.Fault{Status: 401, Body: binanceErr(-2014, "API-key format invalid.")}, kind: sdk.KindAuthentication, code: "-2014"},
		{name: "-2015 rejected key", fault: fakex.Fault{Status: 401, Body: binanceErr(-2015, "Invalid API-key, IP, or permissions for action.")}, kind: sdk.KindAuthentication, code: "-2015"},
		{name: "-1022 bad signature", fault: fakex.Fault{Status: 400, Body: binanceErr(-1022, "Signature for this request is not valid.")}, kind: sdk.KindAuthentication, code: "-1022"},
		{name: "-1002 unauthorized", fault: fakex.Fault{Status: 401, Body: binanceErr(-1002, "You are not authorized to execute this request.")}, kind: sdk.KindPermission, code: "-1002"},
		{name: "-1021 twice: skew survives a resync", fault: fakex.Fault{Status: 400, Body: binanceErr(-1021, "Timestamp for this request is outside of the recvWindow."), Times: 2}, kind: sdk.KindClockSkew, code: "-1021"},
		{name: "-2010 insufficient balance", order: true, fault: fakex.Fault{Status: 400, Body: binanceErr(-2010, "Account has insufficient balance for requested action.")}, kind: sdk.KindInsufficientFunds, code: "-2010"},
		{name: "-2010 other rejection", order: true, fault: fakex.Fault{Status: 400, Body: binanceErr(-2010, "Market is closed.")}, kind: sdk.KindInvalidRequest, code: "-2010"},
		{name: "-2019 margin", order: true, fault: fakex.Fault{Status: 400, Body: binanceErr(-2019, "Margin is insufficient.")}, kind: sdk.KindInsufficientFunds, code: "-2019"},
		{name: "-2018 balance", order: true, fault: fakex.Fault{Status: 400, Body: binanceErr(-2018, "Balance is insufficient.")}, kind: sdk.KindInsufficientFunds, code: "-2018"},
		{name: "-1121 bad symbol", order: true, fault: fakex.Fault{Status: 400, Body: binanceErr(-1121, "Invalid symbol.")}, kind: sdk.KindUnknownSymbol, code: "-1121"},
		{name: "-2011 unknown order", order: true, fault: fakex.Fault{Status: 400, Body: binanceErr(-2011, "Unknown order sent.")}, kind: sdk.KindOrderNotFound, code: "-2011"},
		{name: "-2013 no such order", fault: fakex.Fault{Status: 400, Body: binanceErr(-2013, "Order does not exist.")}, kind: sdk.KindOrderNotFound, code: "-2013"},
		{name: "-1102 missing parameter", order: true, fault: fakex.Fault{Status: 400, Body: binanceErr(-1102, "Mandatory parameter 'quantity' was not sent, was empty/null, or malformed.")}, kind: sdk.KindInvalidRequest, code: "-1102"},
		{name: "-1013 filter failure", order: true, fault: fakex.Fault{Status: 400, Body: binanceErr(-1013, "Filter failure: LOT_SIZE")}, kind: sdk.KindInvalidRequest, code: "-1013"},
		{name: "-4164 min notional", order: true, fault: fakex.Fault{Status: 400, Body: binanceErr(-4164, "Order's notional must be no smaller than 5.0")}, kind: sdk.KindInvalidRequest, code: "-4164"},
		{name: "-4120 conditional type", order: true, fault: fakex.Fault{Status: 400, Body: binanceErr(-4120, "Order type not supported for this endpoint.")}, kind: sdk.KindUnsupported, code: "-4120"},
		{name: "429 -1003 with Retry-After", fault: fakex.Fault{Status: 429, Header: http.Header{"Retry-After": {"17"}}, Body: binanceErr(-1003, "Too much request weight used; current limit is 6000 request weight per 1 MINUTE.")},
			kind: sdk.KindRateLimited, code: "-1003", retryAfter: func(d time.Duration) bool { return d == 17*time.Second }},
		{name: "429 without Retry-After waits for the next minute", fault: fakex.Fault{Status: 429, Body: binanceErr(-1003, "Too much request weight used.")},
			kind: sdk.KindRateLimited, code: "-1003", retryAfter: func(d time.Duration) bool { return d >= time.Second && d <= time.Minute }},
		{name: "418 ban read from the message", fault: fakex.Fault{Status: 418, Body: binanceErr(-1003, "Way too much request weight used; IP banned until "+strconv.FormatInt(banUntil, 10)+". Please use WebSocket Streams.")},
			kind: sdk.KindRateLimited, code: "-1003", retryAfter: func(d time.Duration) bool { return d > 4*time.Minute && d <= 5*time.Minute+2*time.Second }},
		{name: "418 with Retry-After", fault: fakex.Fault{Status: 418, Header: http.Header{"Retry-After": {"7200"}}, Body: binanceErr(-1003, "Way too much request weight used; IP banned until 1.")},
			kind: sdk.KindRateLimited, code: "-1003", retryAfter: func(d time.Duration) bool { return d == 2*time.Hour }},
		{name: "-1015 too many orders", order: true, fault: fakex.Fault{Status: 429, Header: http.Header{"Retry-After": {"3"}}, Body: binanceErr(-1015, "Too many new orders; current limit is 300 orders per 10 SECOND.")},
			kind: sdk.KindRateLimited, code: "-1015", retryAfter: func(d time.Duration) bool { return d == 3*time.Second }},
		{name: "429 without a body", fault: fakex.Fault{Status: 429, Header: http.Header{"Retry-After": {"5"}}, Body: "Too Many Requests"},
			kind: sdk.KindRateLimited, retryAfter: func(d time.Duration) bool { return d == 5*time.Second }},
		{name: "403 WAF", fault: fakex.Fault{Status: 403, Body: "<html>blocked</html>"}, kind: sdk.KindUnavailable},
		{name: "500 on a read", fault: fakex.Fault{Status: 500, Body: "Internal error"}, kind: sdk.KindUnavailable},
		{name: "502 on a read", fault: fakex.Fault{Status: 502, Body: "<html>Bad Gateway</html>"}, kind: sdk.KindUnavailable},
		{name: "503 -1008 throttled on a read", fault: fakex.Fault{Status: 503, Body: binanceErr(-1008, "Request throttled by system-level protection.")}, kind: sdk.KindUnavailable, code: "-1008"},
		{name: "500 on an order", order: true, fault: fakex.Fault{Status: 500, Body: "Internal error"}, kind: sdk.KindUnknownOutcome},
		{name: "503 unknown error on an order", order: true, fault: fakex.Fault{Status: 503, Body: binanceErr(-1000, "Unknown error, please check your request or try again later.")}, kind: sdk.KindUnknownOutcome, code: "-1000"},
		{name: "503 service unavailable on an order", order: true, fault: fakex.Fault{Status: 503, Body: "Service Unavailable."}, kind: sdk.KindUnknownOutcome},
		{name: "-1007 timeout on an order", order: true, fault: fakex.Fault{Status: 408, Body: binanceErr(-1007, "Timeout waiting for response from backend server. Send status unknown; execution status unknown.")}, kind: sdk.KindUnknownOutcome, code: "-1007"},
		{name: "-1007 timeout on a read", fault: fakex.Fault{Status: 408, Body: binanceErr(-1007, "Timeout waiting for response from backend server.")}, kind: sdk.KindUnavailable, code: "-1007"},
		{name: "malformed JSON on a read", fault: fakex.Fault{Malformed: true}, kind: sdk.KindUnknown},
		{name: "malformed JSON on an order", order: true, fault: fakex.Fault{Malformed: true}, kind: sdk.KindUnknownOutcome},
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
	e := newEnv(t)
	e.acct.SecretKey = "0000" + secret[4:]
	for name, call := range map[string]func() error{
		"spot":    func() error { _, err := e.c.SpotBalances(ctx(t), e.acct); return err },
		"futures": func() error { _, err := e.c.FuturesAccount(ctx(t), e.acct); return err },
	} {
		err := call()
		if sdk.KindOf(err) != sdk.KindAuthentication || !strings.Contains(err.Error(), "-1022") {
			t.Errorf("%s: %v, want authentication -1022", name, err)
		}
	}
}

// TestStaleTimestampRecovers moves the fake's clock: first before any call
// (the first call measures the offset), then after the connector has
// measured it (the -1021 answer triggers one resync and a retry).
func TestStaleTimestampRecovers(t *testing.T) {
	for _, jump := range []time.Duration{-45 * time.Second, 20 * time.Second} {
		t.Run(jump.String(), func(t *testing.T) {
			e := funded(t, false)
			e.fx.SetClockOffset(jump)
			if _, err := e.c.SpotBalances(ctx(t), e.acct); err != nil {
				t.Fatalf("first call with the clock %v off: %v", jump, err)
			}
			if n := e.fx.Calls("/api/v3/time"); n != 1 {
				t.Fatalf("time calls %d", n)
			}
			e.fx.SetClockOffset(-jump)
			if _, err := e.c.PlaceOrder(ctx(t), e.acct, sdk.OrderRequest{Symbol: "BTC/USDT", Side: "buy", Type: "market", Quantity: d("0.001")}); err != nil {
				t.Fatalf("order after the clock jumped: %v", err)
			}
			if n := e.fx.Calls("/api/v3/time"); n != 2 {
				t.Fatalf("time calls %d, want 2 (one resync)", n)
			}
			if n := len(e.fx.Orders(apiKey)); n != 1 {
				t.Fatalf("orders at the exchange %d, want exactly 1", n)
			}
			var rejected int
			for _, r := range e.fx.Requests() {
				if r.Path == "/api/v3/order" && r.Status == 400 {
					rejected++
				}
			}
			if rejected != 1 {
				t.Fatalf("rejected order requests %d, want 1 (-1021 then the retry)", rejected)
			}
			// Offsets are kept per base URL: both endpoint keys point at
			// this one fake, so futures calls reuse the measurement.
			if _, err := e.c.FuturesAccount(ctx(t), e.acct); err != nil {
				t.Fatal(err)
			}
			if n := e.fx.Calls("/fapi/v1/time"); n != 0 {
				t.Fatalf("futures time calls %d, want 0 (same host)", n)
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
		{"read", "/fapi/v3/positionRisk", func(c context.Context, e *env) error { _, err := e.c.Positions(c, e.acct); return err }, sdk.KindUnavailable},
		{"order", "/api/v3/order", func(c context.Context, e *env) error {
			_, err := e.c.PlaceOrder(c, e.acct, sdk.OrderRequest{Symbol: "BTC/USDT", Side: "buy", Type: "market", Quantity: d("0.001")})
			return err
		}, sdk.KindUnknownOutcome},
		{"cancel", "/api/v3/order", func(c context.Context, e *env) error {
			_, err := e.c.CancelOrder(c, e.acct, sdk.CancelRequest{Symbol: "BTC/USDT", OrderID: "1"})
			return err
		}, sdk.KindUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := funded(t, false)
			// Measure the clocks first so the slow answer hits the call itself.
			if _, err := e.c.SpotBalances(ctx(t), e.acct); err != nil {
				t.Fatal(err)
			}
			if _, err := e.c.FuturesAccount(ctx(t), e.acct); err != nil {
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

// TestWeightBudgetAndUsage runs against a fake with a small budget: usage
// is reported from X-MBX-USED-WEIGHT-1M on every answer, the fake answers
// 429 past the budget and bans a client that goes on.
func TestWeightBudgetAndUsage(t *testing.T) {
	e := newEnv(t, fake.WithWeightLimits(50, 12))
	now := time.Now()
	// Start the fake's minute so that the calls share one window.
	e.fx.SetClockOffset(now.Truncate(time.Minute).Add(time.Minute + time.Second).Sub(now))

	rec := &sdk.UsageRecorder{}
	c := sdk.WithUsageRecorder(ctx(t), rec)
	if _, err := e.c.SpotBalances(c, e.acct); err != nil {
		t.Fatal(err)
	}
	u := rec.Usage()
	if len(u) != 1 || u[0] != (sdk.RateUsage{Name: "request_weight", Used: 21, Limit: 6000, Interval: time.Minute}) {
		t.Fatalf("usage %+v, want time (1) + account (20) = 21", u)
	}
	if _, err := e.c.FuturesAccount(c, e.acct); err != nil {
		t.Fatal(err)
	}
	if u := rec.Usage(); len(u) != 2 || u[1].Name != "futures_request_weight" || u[1].Used != 5 || u[1].Limit != 2400 {
		t.Fatalf("usage %+v", u)
	}
	if _, err := e.c.SpotBalances(c, e.acct); err != nil {
		t.Fatal(err)
	}
	_, err := e.c.SpotBalances(c, e.acct)
	if sdk.KindOf(err) != sdk.KindRateLimited || sdk.RetryAfter(err) <= 0 || sdk.RetryAfter(err) > time.Minute {
		t.Fatalf("over budget: %v (retry after %v)", err, sdk.RetryAfter(err))
	}
	if u := rec.Usage(); u[0].Used != 61 {
		t.Fatalf("usage after 429 %+v", u)
	}
	_, err = e.c.SpotBalances(c, e.acct)
	if sdk.KindOf(err) != sdk.KindRateLimited || sdk.RetryAfter(err) != 2*time.Minute {
		t.Fatalf("after going on: %v (retry after %v), want a 2 minute ban", err, sdk.RetryAfter(err))
	}
	if got := e.fx.Weight("/api/v3/account"); got != 80 {
		t.Fatalf("weight charged %d, want 80", got)
	}
	// Futures has its own budget: 5 (account) + 5 (positions) fit in 12,
	// the next 5 do not.
	if _, err := e.c.Positions(c, e.acct); err != nil {
		t.Fatal(err)
	}
	if _, err := e.c.Positions(c, e.acct); sdk.KindOf(err) != sdk.KindRateLimited {
		t.Fatalf("futures over budget: %v", err)
	}
}

// TestNoSecretsInLogsOrErrors drives every method through success and
// failure with debug logging captured, and checks that no key, secret or
// signature appears in a log line or an error.
func TestNoSecretsInLogsOrErrors(t *testing.T) {
	leaks := plugintest.NewLeaks()
	e := funded(t, true)
	e.c = binance.New(binance.WithLogger(leaks.Logger))
	// A fake that echoes what it got, as a misbehaving proxy might.
	echo := func(path string) fakex.Fault {
		return fakex.Fault{Path: path, Status: 400, Body: binanceErr(-1100, "Illegal characters: "+apiKey+" "+secret)}
	}
	keep := leaks.Keep
	c := ctx(t)
	keep(e.c.ValidateCredentials(c, e.acct))
	keep(e.c.SpotBalances(c, e.acct))
	keep(e.c.FuturesAccount(c, e.acct))
	keep(e.c.Positions(c, e.acct))
	keep(e.c.PlaceOrder(c, e.acct, sdk.OrderRequest{Symbol: "BTC/USDT:USDT", Side: "buy", Type: "market", Quantity: d("0.001")}))
	keep(e.c.CancelOrder(c, e.acct, sdk.CancelRequest{Symbol: "BTC/USDT", OrderID: "42"}))
	e.fx.Inject(echo("/api/v3/account"))
	keep(e.c.SpotBalances(c, e.acct))
	e.fx.Inject(fakex.Fault{Path: "/fapi/v3/account", Status: 500, Body: "boom"})
	keep(e.c.FuturesAccount(c, e.acct))
	e.fx.Inject(fakex.Fault{Path: "/fapi/v1/order", Malformed: true})
	keep(e.c.PlaceOrder(c, e.acct, sdk.OrderRequest{Symbol: "BTC/USDT:USDT", Side: "buy", Type: "market", Quantity: d("0.001"), PositionSide: "long"}))
	bad := e.acct
	bad.SecretKey = "wrong-" + secret
	keep(e.c.SpotBalances(c, bad))
	keep(e.c.ValidateCredentials(c, bad))
	unreachable := e.acct
	unreachable.Endpoints = map[string]string{"spot": "http://127.0.0.1:1", "futures": "http://127.0.0.1:1"}
	keep(e.c.SpotBalances(c, unreachable))
	slow, cancel := context.WithTimeout(c, 50*time.Millisecond)
	defer cancel()
	e.fx.Inject(fakex.Fault{Path: "/api/v3/order", Delay: time.Minute})
	keep(e.c.PlaceOrder(slow, e.acct, sdk.OrderRequest{Symbol: "BTC/USDT", Side: "buy", Type: "market", Quantity: d("0.001")}))

	if len(leaks.Errors()) < 8 {
		t.Fatalf("only %d errors collected; the test lost its teeth", len(leaks.Errors()))
	}
	secrets := []string{apiKey, secret, bad.SecretKey}
	for _, r := range e.fx.Requests() {
		if _, sig, ok := fakex.CutParam(r.Query, "signature"); ok {
			secrets = append(secrets, sig)
		}
	}
	if len(secrets) < 10 {
		t.Fatalf("only %d signatures seen", len(secrets)-3)
	}
	leaks.Check(t, "path=/api/v3/account", secrets, e.acct)
}

// TestClockPerHost points spot and futures at two fakes whose clocks
// differ: each host gets its own offset.
func TestClockPerHost(t *testing.T) {
	e := funded(t, false)
	fut := fake.New()
	t.Cleanup(fut.Close)
	fut.AddKey(fake.FullKey(apiKey, secret))
	fut.SetClockOffset(-30 * time.Second)
	e.fx.SetClockOffset(30 * time.Second)
	e.acct.Endpoints["futures"] = fut.URL()
	if _, err := e.c.SpotBalances(ctx(t), e.acct); err != nil {
		t.Fatal(err)
	}
	if _, err := e.c.FuturesAccount(ctx(t), e.acct); err != nil {
		t.Fatal(err)
	}
	if e.fx.Calls("/api/v3/time") != 1 || fut.Calls("/fapi/v1/time") != 1 {
		t.Fatalf("time calls spot %d futures %d", e.fx.Calls("/api/v3/time"), fut.Calls("/fapi/v1/time"))
	}
}
