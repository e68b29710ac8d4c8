package bingx_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/globalautomation/gahost/plugins/bingx/bingx"
	"github.com/globalautomation/gahost/plugins/bingx/fake"
	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/fakex"
	"github.com/globalautomation/gahost/sdk/plugintest"
)

// TestErrorTable injects every error of the page's table (§4, §6, §7) and
// the transport failures, on a read and on an order, and checks the kind.
func TestErrorTable(t *testing.T) {
	read := func(t *testing.T, e *env) error { _, err := e.c.SpotBalances(ctx(t), e.acct); return err }
	order := func(t *testing.T, e *env) error {
		_, err := e.c.PlaceOrder(ctx(t), e.acct, sdk.OrderRequest{Symbol: "BTC/USDT:USDT", Side: "buy", Type: "market", Quantity: d("0.001")})
		return err
	}
	const readPath = "/openApi/spot/v1/account/balance"
	soon := strconv.FormatInt(time.Now().Add(700*time.Millisecond).UnixMilli(), 10)
	hdr := func(kv ...string) http.Header {
		h := http.Header{}
		for i := 0; i < len(kv); i += 2 {
			h.Set(kv[i], kv[i+1])
		}
		return h
	}
	f200 := func(code int, msg string) fakex.Fault { return fakex.Fault{Status: 200, Body: bingxErr(code, msg)} }
	tests := []struct {
		name       string
		order      bool
		fault      fakex.Fault
		kind       sdk.Kind
		code       string
		retryAfter func(time.Duration) bool
	}{
		{name: "100001 bad signature", fault: f200(100001, "Signature verification failed"), kind: sdk.KindAuthentication, code: "100001"},
		{name: "100001 with HTTP 401", fault: fakex.Fault{Status: 401, Body: bingxErr(100001, "Signature verification failed")}, kind: sdk.KindAuthentication, code: "100001"},
		{name: "100412 no signature", fault: f200(100412, "Null signature"), kind: sdk.KindAuthentication, code: "100412"},
		{name: "100413 unknown key", fault: f200(100413, "Incorrect apiKey"), kind: sdk.KindAuthentication, code: "100413"},
		{name: "HTTP 401 without a body", fault: fakex.Fault{Status: 401, Body: "Invalid API Key"}, kind: sdk.KindAuthentication},
		{name: "100419 IP whitelist", fault: f200(100419, "IP does not match IP whitelist"), kind: sdk.KindPermission, code: "100419"},
		{name: "100004 permission", fault: f200(100004, "Permission denied as the API key was created without the permission"), kind: sdk.KindPermission, code: "100004"},
		{name: "100421 stale twice: skew survives a resync", fault: fakex.Fault{Status: 200, Body: bingxErr(100421, "Null timestamp or timestamp mismatch, try to run our sample code"), Times: 2}, kind: sdk.KindClockSkew, code: "100421"},
		{name: "100421 spot symbol not tradable", order: true, fault: f200(100421, "The symbol you request is not available to place order currently, please try again later"), kind: sdk.KindUnknownSymbol, code: "100421"},
		{name: "100421 contract does not exist", order: true, fault: f200(100421, "CheckUserAndSymbol: contract not exist"), kind: sdk.KindUnknownSymbol, code: "100421"},
		{name: "100202 spot assets short", order: true, fault: f200(100202, "Insufficient assets, please verify the assets status"), kind: sdk.KindInsufficientFunds, code: "100202"},
		{name: "101204 margin short", order: true, fault: f200(101204, "Insufficient margin"), kind: sdk.KindInsufficientFunds, code: "101204"},
		{name: "80001 margin short on a batch", order: true, fault: f200(80001, "Insufficient margin"), kind: sdk.KindInsufficientFunds, code: "80001"},
		{name: "109400 symbol not exist", order: true, fault: f200(109400, "symbol not exist"), kind: sdk.KindUnknownSymbol, code: "109400"},
		{name: "109500 symbol not exist", order: true, fault: f200(109500, "symbol not exist"), kind: sdk.KindUnknownSymbol, code: "109500"},
		{name: "101400 pair not tradable", order: true, fault: f200(101400, "The trading pair is not available for trading"), kind: sdk.KindUnknownSymbol, code: "101400"},
		{name: "101400 below the minimum value", order: true, fault: f200(101400, "Please ensure that the minimum nominal value of the order placed must be greater than 2u"), kind: sdk.KindInvalidRequest, code: "101400"},
		{name: "110425 below the minimum value", order: true, fault: f200(110425, "Please ensure that the minimum nominal value of the order placed must be greater than 2u"), kind: sdk.KindInvalidRequest, code: "110425"},
		{name: "80014 bad symbol parameter", order: true, fault: f200(80014, "Invalid parameters, symbol: BTC-XYZ is invalid"), kind: sdk.KindUnknownSymbol, code: "80014"},
		{name: "80014 missing parameter", order: true, fault: f200(80014, "Invalid parameters,positionSide: This field is required."), kind: sdk.KindInvalidRequest, code: "80014"},
		{name: "100400 bad parameter", order: true, fault: f200(100400, "Invalid parameters"), kind: sdk.KindInvalidRequest, code: "100400"},
		{name: "100490 spot symbol offline", order: true, fault: f200(100490, "spot symbol is offline"), kind: sdk.KindUnknownSymbol, code: "100490"},
		{name: "80016 order does not exist", fault: f200(80016, "Order does not exist"), kind: sdk.KindOrderNotFound, code: "80016"},
		{name: "80017 position does not exist", order: true, fault: f200(80017, "position not exist"), kind: sdk.KindInvalidRequest, code: "80017"},
		{name: "101481 duplicate client id", order: true, fault: f200(101481, "clientOrderID cannot be repeated"), kind: sdk.KindInvalidRequest, code: "101481"},
		{name: "100410 in a 200 body", fault: f200(100410, "rate limit exceeded"), kind: sdk.KindRateLimited, code: "100410",
			retryAfter: func(d time.Duration) bool { return d >= time.Second && d <= 10*time.Second }},
		{name: "100410 system busy", fault: f200(100410, "The current system is busy, please try again later"), kind: sdk.KindRateLimited, code: "100410",
			retryAfter: func(d time.Duration) bool { return d >= time.Second && d <= 10*time.Second }},
		{name: "429 waits for the 10 s window", fault: fakex.Fault{Status: 429, Body: "Too Many Requests"}, kind: sdk.KindRateLimited,
			retryAfter: func(d time.Duration) bool { return d >= time.Second && d <= 10*time.Second }},
		{name: "429 with the per-key expiry", fault: fakex.Fault{Status: 429, Header: hdr("X-RateLimit-Requests-Remain", "0", "X-RateLimit-Requests-Expire", soon), Body: bingxErr(100410, "rate limit exceeded")},
			kind: sdk.KindRateLimited, code: "100410", retryAfter: func(d time.Duration) bool { return d > 0 && d <= time.Second }},
		{name: "429 with Retry-After", fault: fakex.Fault{Status: 429, Header: hdr("Retry-After", "17"), Body: bingxErr(100410, "rate limit exceeded")},
			kind: sdk.KindRateLimited, code: "100410", retryAfter: func(d time.Duration) bool { return d == 17*time.Second }},
		{name: "418 ban lasts 5 minutes", fault: fakex.Fault{Status: 418, Body: "banned"}, kind: sdk.KindRateLimited,
			retryAfter: func(d time.Duration) bool { return d == 5*time.Minute }},
		{name: "418 with a code body", fault: fakex.Fault{Status: 418, Body: bingxErr(100410, "banned")}, kind: sdk.KindRateLimited, code: "100410",
			retryAfter: func(d time.Duration) bool { return d == 5*time.Minute }},
		{name: "403 firewall", fault: fakex.Fault{Status: 403, Body: "<html>Access denied</html>"}, kind: sdk.KindRateLimited,
			retryAfter: func(d time.Duration) bool { return d == 5*time.Minute }},
		{name: "403 carrying a permission code", fault: fakex.Fault{Status: 403, Body: bingxErr(100004, "Permission denied")}, kind: sdk.KindPermission, code: "100004"},
		{name: "80012 busy on a read", fault: f200(80012, "service unavailable"), kind: sdk.KindUnavailable, code: "80012"},
		{name: "100500 on a read", fault: f200(100500, "internal system error"), kind: sdk.KindUnavailable, code: "100500"},
		{name: "100503 on a read", fault: f200(100503, "server busy"), kind: sdk.KindUnavailable, code: "100503"},
		{name: "101500 on a read", fault: f200(101500, "rpc timeout"), kind: sdk.KindUnavailable, code: "101500"},
		{name: "80012 on an order", order: true, fault: f200(80012, "service unavailable"), kind: sdk.KindUnknownOutcome, code: "80012"},
		{name: "100500 on an order", order: true, fault: f200(100500, "internal system error"), kind: sdk.KindUnknownOutcome, code: "100500"},
		{name: "100503 on an order", order: true, fault: f200(100503, "server busy"), kind: sdk.KindUnknownOutcome, code: "100503"},
		{name: "101500 on an order", order: true, fault: f200(101500, "rpc timeout"), kind: sdk.KindUnknownOutcome, code: "101500"},
		{name: "unknown code on a read", fault: f200(123456, "something new"), kind: sdk.KindUnknown, code: "123456"},
		{name: "500 on a read", fault: fakex.Fault{Status: 500, Body: "Internal error"}, kind: sdk.KindUnavailable},
		{name: "502 on a read", fault: fakex.Fault{Status: 502, Body: "<html>Bad Gateway</html>"}, kind: sdk.KindUnavailable},
		{name: "500 on an order", order: true, fault: fakex.Fault{Status: 500, Body: "Internal error"}, kind: sdk.KindUnknownOutcome},
		{name: "504 on an order", order: true, fault: fakex.Fault{Status: 504, Body: "Gateway Timeout"}, kind: sdk.KindUnknownOutcome},
		{name: "503 with a code on an order", order: true, fault: fakex.Fault{Status: 503, Body: bingxErr(123, "maintenance")}, kind: sdk.KindUnknownOutcome, code: "123"},
		{name: "malformed JSON on a read", fault: fakex.Fault{Malformed: true}, kind: sdk.KindUnknown},
		{name: "malformed JSON on an order", order: true, fault: fakex.Fault{Malformed: true}, kind: sdk.KindUnknownOutcome},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := funded(t, false)
			call, path := read, readPath
			if tt.order {
				call, path = order, swapOrderPath
			}
			f := tt.fault
			f.Path = path
			e.fx.Inject(f)
			plugintest.CheckError(t, call(t, e), plugintest.WantError{Kind: tt.kind, Code: tt.code, RetryAfter: tt.retryAfter})
			if e.fx.PendingFaults() != 0 {
				t.Errorf("%d faults did not fire", e.fx.PendingFaults())
			}
			if tt.kind != sdk.KindClockSkew && e.fx.Calls("/openApi/swap/v2/server/time") != 1 {
				t.Errorf("server time read %d times: only a skew answer may resync", e.fx.Calls("/openApi/swap/v2/server/time"))
			}
		})
	}
}

func TestWrongSecret(t *testing.T) {
	e := newEnv(t)
	e.acct.SecretKey = "0000" + secret[4:]
	for name, call := range map[string]func() error{
		"spot":      func() error { _, err := e.c.SpotBalances(ctx(t), e.acct); return err },
		"futures":   func() error { _, err := e.c.FuturesAccount(ctx(t), e.acct); return err },
		"positions": func() error { _, err := e.c.Positions(ctx(t), e.acct); return err },
	} {
		err := call()
		if sdk.KindOf(err) != sdk.KindAuthentication || !strings.Contains(err.Error(), "100001") {
			t.Errorf("%s: %v, want authentication 100001", name, err)
		}
	}
}

// TestStaleTimestampRecovers moves the fake's clock: first before any call
// (the first call measures the offset), then after the connector has
// measured it (the 100421 answer triggers one resync and a retry).
func TestStaleTimestampRecovers(t *testing.T) {
	for _, jump := range []time.Duration{-45 * time.Second, 20 * time.Second} {
		t.Run(jump.String(), func(t *testing.T) {
			e := funded(t, false)
			e.fx.SetClockOffset(jump)
			if _, err := e.c.SpotBalances(ctx(t), e.acct); err != nil {
				t.Fatalf("first call with the clock %v off: %v", jump, err)
			}
			if n := e.fx.Calls("/openApi/swap/v2/server/time"); n != 1 {
				t.Fatalf("time calls %d", n)
			}
			e.fx.SetClockOffset(-jump)
			if _, err := e.c.PlaceOrder(ctx(t), e.acct, sdk.OrderRequest{Symbol: "BTC/USDT:USDT", Side: "buy", Type: "market", Quantity: d("0.001")}); err != nil {
				t.Fatalf("order after the clock jumped: %v", err)
			}
			if n := e.fx.Calls("/openApi/swap/v2/server/time"); n != 2 {
				t.Fatalf("time calls %d, want 2 (one resync)", n)
			}
			if n := len(e.fx.Orders(apiKey)); n != 1 {
				t.Fatalf("orders at the exchange %d, want exactly 1", n)
			}
			if n := e.fx.Calls(swapOrderPath); n != 2 {
				t.Fatalf("order requests %d, want 2 (100421 then the retry)", n)
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
		{"read", "/openApi/swap/v2/user/positions", func(c context.Context, e *env) error { _, err := e.c.Positions(c, e.acct); return err }, sdk.KindUnavailable},
		{"order", swapOrderPath, func(c context.Context, e *env) error {
			_, err := e.c.PlaceOrder(c, e.acct, sdk.OrderRequest{Symbol: "BTC/USDT:USDT", Side: "buy", Type: "market", Quantity: d("0.001")})
			return err
		}, sdk.KindUnknownOutcome},
		{"cancel", spotCancelPath, func(c context.Context, e *env) error {
			_, err := e.c.CancelOrder(c, e.acct, sdk.CancelRequest{Symbol: "BTC/USDT", OrderID: "1"})
			return err
		}, sdk.KindUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := funded(t, false)
			// Measure the clock and read the rules first, so that the slow
			// answer hits the call itself.
			if _, err := e.c.PlaceOrder(ctx(t), e.acct, sdk.OrderRequest{Symbol: "BTC/USDT:USDT", Side: "buy", Type: "limit", Quantity: d("0.001"), Price: d("10000")}); err != nil {
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

// TestRateLimitsAndUsage: the per-key headers are reported as usage of the
// endpoint's declared limit; past a key's limit the fake answers 429 with
// the expiry; past the per-IP budget it answers 429, then bans with 418.
func TestRateLimitsAndUsage(t *testing.T) {
	e := funded(t, false, fake.WithIPLimits(4, 2000))
	now := time.Now()
	// Start the fake just past a 10 s boundary so the calls share windows.
	e.fx.SetClockOffset(now.Truncate(10 * time.Second).Add(10*time.Second + 50*time.Millisecond).Sub(now))

	rec := &sdk.UsageRecorder{}
	c := sdk.WithUsageRecorder(ctx(t), rec)
	if _, err := e.c.SpotBalances(c, e.acct); err != nil {
		t.Fatal(err)
	}
	u := rec.Usage()
	if len(u) != 1 || u[0] != (sdk.RateUsage{Name: "uid_spot_balance", Used: 1, Limit: 5, Interval: time.Second}) {
		t.Fatalf("usage %+v", u)
	}
	if _, err := e.c.FuturesAccount(c, e.acct); err != nil {
		t.Fatal(err)
	}
	if u := rec.Usage(); len(u) != 2 || u[1].Name != "uid_swap_balance" || u[1].Used != 1 {
		t.Fatalf("usage %+v", u)
	}
	info, _ := e.c.Info(c)
	for _, u := range rec.Usage() {
		var declared bool
		for _, l := range info.RateLimits {
			declared = declared || l.Name == u.Name && l.Scope == sdk.ScopeAccount
		}
		if !declared {
			t.Errorf("usage %s is not a declared per-key limit", u.Name)
		}
	}
	for range 3 {
		if _, err := e.c.SpotBalances(c, e.acct); err != nil {
			t.Fatal(err)
		}
	}
	// The fifth spot balance call in this 10 s window is over the IP's
	// budget of 4 for the endpoint.
	_, err := e.c.SpotBalances(c, e.acct)
	if sdk.KindOf(err) != sdk.KindRateLimited || sdk.RetryAfter(err) < time.Second || sdk.RetryAfter(err) > 10*time.Second {
		t.Fatalf("over the IP budget: %v (retry after %v)", err, sdk.RetryAfter(err))
	}
	_, err = e.c.SpotBalances(c, e.acct)
	if sdk.KindOf(err) != sdk.KindRateLimited || sdk.RetryAfter(err) != 5*time.Minute {
		t.Fatalf("after going on: %v (retry after %v), want a 5 minute ban", err, sdk.RetryAfter(err))
	}
	// A ban covers every endpoint of the address.
	if _, err := e.c.Positions(c, e.acct); sdk.KindOf(err) != sdk.KindRateLimited {
		t.Fatalf("positions while banned: %v", err)
	}
	if n := e.fx.Calls("/openApi/spot/v1/account/balance"); n != 6 {
		t.Fatalf("spot balance calls %d, want 6", n)
	}
}

func TestPerKeyLimit(t *testing.T) {
	e := funded(t, false)
	now := time.Now()
	e.fx.SetClockOffset(now.Truncate(time.Second).Add(time.Second + 20*time.Millisecond).Sub(now))
	// GET positionSide/dual allows 2 a second per key (§5g).
	var err error
	for range 3 {
		_, err = e.c.ValidateCredentials(ctx(t), e.acct)
	}
	if sdk.KindOf(err) != sdk.KindRateLimited || sdk.RetryAfter(err) <= 0 || sdk.RetryAfter(err) > time.Second {
		t.Fatalf("third call in a second: %v (retry after %v)", err, sdk.RetryAfter(err))
	}
}

// TestNoSecretsInLogsOrErrors drives every method through success and
// failure with debug logging captured, and checks that no key, secret or
// signature appears in a log line or an error.
func TestNoSecretsInLogsOrErrors(t *testing.T) {
	leaks := plugintest.NewLeaks()
	e := funded(t, true)
	e.c = bingx.New(bingx.WithLogger(leaks.Logger))
	// A fake that echoes what it got, as a misbehaving proxy might.
	echo := func(path string) fakex.Fault {
		return fakex.Fault{Path: path, Status: 200, Body: bingxErr(100400, "Invalid parameters: "+apiKey+" "+secret)}
	}
	keep := leaks.Keep
	c := ctx(t)
	keep(e.c.ValidateCredentials(c, e.acct))
	keep(e.c.SpotBalances(c, e.acct))
	keep(e.c.FuturesAccount(c, e.acct))
	keep(e.c.Positions(c, e.acct))
	keep(e.c.PlaceOrder(c, e.acct, sdk.OrderRequest{Symbol: "BTC/USDT:USDT", Side: "buy", Type: "market", Quantity: d("0.001")}))
	keep(e.c.CancelOrder(c, e.acct, sdk.CancelRequest{Symbol: "BTC/USDT", OrderID: "42"}))
	e.fx.Inject(echo("/openApi/spot/v1/account/balance"))
	keep(e.c.SpotBalances(c, e.acct))
	e.fx.Inject(fakex.Fault{Path: "/openApi/swap/v3/user/balance", Status: 500, Body: "boom " + secret})
	keep(e.c.FuturesAccount(c, e.acct))
	e.fx.Inject(fakex.Fault{Path: swapOrderPath, Malformed: true})
	keep(e.c.PlaceOrder(c, e.acct, sdk.OrderRequest{Symbol: "BTC/USDT:USDT", Side: "buy", Type: "market", Quantity: d("0.001"), PositionSide: "long"}))
	bad := e.acct
	bad.SecretKey = "wrong-" + secret
	keep(e.c.SpotBalances(c, bad))
	keep(e.c.ValidateCredentials(c, bad))
	unknown := e.acct
	unknown.APIKey = "unknown-" + apiKey
	keep(e.c.Positions(c, unknown))
	unreachable := e.acct
	unreachable.Endpoints = map[string]string{"rest": "http://127.0.0.1:1"}
	keep(e.c.SpotBalances(c, unreachable))
	slow, cancel := context.WithTimeout(c, 50*time.Millisecond)
	defer cancel()
	e.fx.Inject(fakex.Fault{Path: spotOrderPath, Delay: time.Minute})
	keep(e.c.PlaceOrder(slow, e.acct, sdk.OrderRequest{Symbol: "BTC/USDT", Side: "sell", Type: "market", Quantity: d("0.001")}))

	if len(leaks.Errors()) < 16 {
		t.Fatalf("only %d errors collected; the test lost its teeth", len(leaks.Errors())/2)
	}
	secrets := []string{apiKey, secret, bad.SecretKey, unknown.APIKey}
	for _, r := range e.fx.Requests() {
		for _, kv := range strings.Split(r.Query, "&") {
			if sig, ok := strings.CutPrefix(kv, "signature="); ok {
				secrets = append(secrets, sig)
			}
		}
	}
	if len(secrets) < 14 {
		t.Fatalf("only %d signatures seen", len(secrets)-4)
	}
	leaks.Check(t, "path=/openApi/spot/v1/account/balance", secrets, e.acct)
}
