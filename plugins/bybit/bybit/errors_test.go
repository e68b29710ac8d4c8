package bybit_test

import (
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/globalautomation/gahost/plugins/bybit/bybit"
	"github.com/globalautomation/gahost/plugins/bybit/fake"
	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/fakex"
	"github.com/globalautomation/gahost/sdk/plugintest"
	"github.com/globalautomation/gahost/sdk/rest"
)

func bybitErr(code int, msg string) string {
	return fmt.Sprintf(`{"retCode":%d,"retMsg":%q,"result":{},"retExtInfo":{},"time":1773700000000}`, code, msg)
}

// TestErrorTable injects every error of Bybit's documented tables and the
// transport failures, on a read and on an order, and checks the kind.
func TestErrorTable(t *testing.T) {
	second := func(d time.Duration) bool { return d == time.Second }
	tests := []plugintest.ErrorRow{
		// authentication
		{Name: "10003 unknown key", Fault: fakex.Fault{Status: 200, Body: bybitErr(10003, "API key is invalid.")}, Kind: sdk.KindAuthentication, Code: "10003"},
		{Name: "10004 bad signature", Fault: fakex.Fault{Status: 200, Body: bybitErr(10004, "Error sign, please check your signature generation algorithm.")}, Kind: sdk.KindAuthentication, Code: "10004"},
		{Name: "10007 authentication failed", Fault: fakex.Fault{Status: 200, Body: bybitErr(10007, "User authentication failed.")}, Kind: sdk.KindAuthentication, Code: "10007"},
		{Name: "33004 expired key", Fault: fakex.Fault{Status: 200, Body: bybitErr(33004, "Your api key has expired.")}, Kind: sdk.KindAuthentication, Code: "33004"},
		{Name: "-2015 expired key (spot)", Fault: fakex.Fault{Status: 200, Body: bybitErr(-2015, "Your api key has expired.")}, Kind: sdk.KindAuthentication, Code: "-2015"},
		{Name: "HTTP 401", Fault: fakex.Fault{Status: 401, Body: "401 Unauthorized"}, Kind: sdk.KindAuthentication},
		// permission
		{Name: "10005 permission", Order: true, Fault: fakex.Fault{Status: 200, Body: bybitErr(10005, "Permission denied, please check your API key permissions.")}, Kind: sdk.KindPermission, Code: "10005"},
		{Name: "10010 IP not bound", Fault: fakex.Fault{Status: 200, Body: bybitErr(10010, "Unmatched IP, please check your API key's bound IP addresses.")}, Kind: sdk.KindPermission, Code: "10010"},
		{Name: "10029 symbol whitelist", Order: true, Fault: fakex.Fault{Status: 200, Body: bybitErr(10029, "The requested symbol is invalid, please check symbol whitelist")}, Kind: sdk.KindPermission, Code: "10029"},
		{Name: "10028 unified only", Fault: fakex.Fault{Status: 200, Body: bybitErr(10028, "The API can only be accessed by unified account users.")}, Kind: sdk.KindPermission, Code: "10028"},
		{Name: "10009 region", Fault: fakex.Fault{Status: 200, Body: bybitErr(10009, "IP has been banned.")}, Kind: sdk.KindPermission, Code: "10009"},
		{Name: "10024 compliance", Order: true, Fault: fakex.Fault{Status: 200, Body: bybitErr(10024, "Compliance rules triggered")}, Kind: sdk.KindPermission, Code: "10024"},
		{Name: "HTTP 403 from a blocked country", Fault: fakex.Fault{Status: 403, Body: "The Amazon CloudFront distribution is configured to block access from your country."}, Kind: sdk.KindPermission},
		// rate limits
		{Name: "10006 waits for the reset timestamp", Fault: fakex.Fault{Status: 200, Body: bybitErr(10006, "Too many visits!"),
			Header: http.Header{"X-Bapi-Limit": {"50"}, "X-Bapi-Limit-Status": {"0"}, "X-Bapi-Limit-Reset-Timestamp": {strconv.FormatInt(time.Now().Add(1500*time.Millisecond).UnixMilli(), 10)}}},
			Kind: sdk.KindRateLimited, Code: "10006", RetryAfter: func(d time.Duration) bool { return d > 500*time.Millisecond && d <= 1500*time.Millisecond }},
		{Name: "10006 without headers", Order: true, Fault: fakex.Fault{Status: 200, Body: bybitErr(10006, "Too many visits!")}, Kind: sdk.KindRateLimited, Code: "10006", RetryAfter: second},
		{Name: "retCode 429", Fault: fakex.Fault{Status: 200, Body: bybitErr(429, "System busy")}, Kind: sdk.KindRateLimited, Code: "429", RetryAfter: second},
		{Name: "10018 IP limit", Fault: fakex.Fault{Status: 200, Body: bybitErr(10018, "Exceeded the IP Rate Limit.")}, Kind: sdk.KindRateLimited, Code: "10018",
			RetryAfter: func(d time.Duration) bool { return d == 10*time.Minute }},
		{Name: "HTTP 403 access too frequent", Fault: fakex.Fault{Status: 403, Body: "access too frequent"}, Kind: sdk.KindRateLimited,
			RetryAfter: func(d time.Duration) bool { return d == 10*time.Minute }},
		{Name: "HTTP 403 on an order", Order: true, Fault: fakex.Fault{Status: 403, Body: ""}, Kind: sdk.KindRateLimited,
			RetryAfter: func(d time.Duration) bool { return d == 10*time.Minute }},
		{Name: "HTTP 429 with Retry-After", Fault: fakex.Fault{Status: 429, Header: http.Header{"Retry-After": {"7"}}, Body: "Too Many Requests"}, Kind: sdk.KindRateLimited,
			RetryAfter: func(d time.Duration) bool { return d == 7*time.Second }},
		{Name: "HTTP 429 bare", Order: true, Fault: fakex.Fault{Status: 429, Body: ""}, Kind: sdk.KindRateLimited, RetryAfter: second},
		// clock
		{Name: "10002 twice: skew survives a resync", Fault: fakex.Fault{Status: 200, Times: 2, Body: bybitErr(10002, "invalid request, please check your server timestamp or recv_window param. req_timestamp[1677853520948],server_timestamp[1677853421570],recv_window[5000]")}, Kind: sdk.KindClockSkew, Code: "10002"},
		{Name: "-1 request expired twice", Order: true, Fault: fakex.Fault{Status: 200, Times: 2, Body: bybitErr(-1, "request expired: o@0, now[] diff[]")}, Kind: sdk.KindClockSkew, Code: "-1"},
		// funds
		{Name: "110004 wallet balance", Order: true, Fault: fakex.Fault{Status: 200, Body: bybitErr(110004, "Insufficient wallet balance")}, Kind: sdk.KindInsufficientFunds, Code: "110004"},
		{Name: "110007 available balance", Order: true, Fault: fakex.Fault{Status: 200, Body: bybitErr(110007, "ab not enough for new order")}, Kind: sdk.KindInsufficientFunds, Code: "110007"},
		{Name: "110012 available balance", Order: true, Fault: fakex.Fault{Status: 200, Body: bybitErr(110012, "Insufficient available balance.")}, Kind: sdk.KindInsufficientFunds, Code: "110012"},
		{Name: "110044 available margin", Order: true, Fault: fakex.Fault{Status: 200, Body: bybitErr(110044, "Available margin is insufficient.")}, Kind: sdk.KindInsufficientFunds, Code: "110044"},
		{Name: "170131 spot balance", Order: true, Fault: fakex.Fault{Status: 200, Body: bybitErr(170131, "Balance insufficient")}, Kind: sdk.KindInsufficientFunds, Code: "170131"},
		// symbols
		{Name: "10001 symbol invalid", Order: true, Fault: fakex.Fault{Status: 200, Body: bybitErr(10001, "params error: symbol invalid ETH-26DEC25")}, Kind: sdk.KindUnknownSymbol, Code: "10001"},
		{Name: "170121 spot symbol", Order: true, Fault: fakex.Fault{Status: 200, Body: bybitErr(170121, "Invalid symbol.")}, Kind: sdk.KindUnknownSymbol, Code: "170121"},
		// invalid requests
		{Name: "10001 other parameter", Order: true, Fault: fakex.Fault{Status: 200, Body: bybitErr(10001, "params error: qty invalid")}, Kind: sdk.KindInvalidRequest, Code: "10001"},
		{Name: "110001 no such order", Order: true, Fault: fakex.Fault{Status: 200, Body: bybitErr(110001, "Order does not exist")}, Kind: sdk.KindOrderNotFound, Code: "110001"},
		{Name: "170213 no such spot order", Order: true, Fault: fakex.Fault{Status: 200, Body: bybitErr(170213, "Order does not exist.")}, Kind: sdk.KindOrderNotFound, Code: "170213"},
		{Name: "110008 finished", Order: true, Fault: fakex.Fault{Status: 200, Body: bybitErr(110008, "The order has been finished")}, Kind: sdk.KindInvalidRequest, Code: "110008"},
		{Name: "110010 cancelled", Order: true, Fault: fakex.Fault{Status: 200, Body: bybitErr(110010, "The order has been cancelled")}, Kind: sdk.KindInvalidRequest, Code: "110010"},
		{Name: "110072 duplicate link id", Order: true, Fault: fakex.Fault{Status: 200, Body: bybitErr(110072, "OrderLinkedID is duplicate")}, Kind: sdk.KindInvalidRequest, Code: "110072"},
		{Name: "170141 duplicate client id", Order: true, Fault: fakex.Fault{Status: 200, Body: bybitErr(170141, "Duplicate clientOrderId.")}, Kind: sdk.KindInvalidRequest, Code: "170141"},
		{Name: "110017 truncated to zero", Order: true, Fault: fakex.Fault{Status: 200, Body: bybitErr(110017, "orderQty will be truncated to zero.")}, Kind: sdk.KindInvalidRequest, Code: "110017"},
		{Name: "110094 notional", Order: true, Fault: fakex.Fault{Status: 200, Body: bybitErr(110094, "Order does not meet minimum order value")}, Kind: sdk.KindInvalidRequest, Code: "110094"},
		{Name: "170136 qty too small", Order: true, Fault: fakex.Fault{Status: 200, Body: bybitErr(170136, "Order quantity lower than the minimum.")}, Kind: sdk.KindInvalidRequest, Code: "170136"},
		{Name: "170140 value too small", Order: true, Fault: fakex.Fault{Status: 200, Body: bybitErr(170140, "Order value exceeded lower limit.")}, Kind: sdk.KindInvalidRequest, Code: "170140"},
		{Name: "170134 too many decimals", Order: true, Fault: fakex.Fault{Status: 200, Body: bybitErr(170134, "Order price has too many decimals.")}, Kind: sdk.KindInvalidRequest, Code: "170134"},
		{Name: "170137 too many decimals", Order: true, Fault: fakex.Fault{Status: 200, Body: bybitErr(170137, "Order quantity has too many decimals.")}, Kind: sdk.KindInvalidRequest, Code: "170137"},
		{Name: "a code the table does not list", Order: true, Fault: fakex.Fault{Status: 200, Body: bybitErr(31415, "Something else")}, Kind: sdk.KindInvalidRequest, Code: "31415"},
		{Name: "HTTP 403 GET with a body", Fault: fakex.Fault{Status: 403, Body: "You send GET request with an empty json body"}, Kind: sdk.KindInvalidRequest},
		{Name: "HTTP 404", Fault: fakex.Fault{Status: 404, Body: "404 page not found"}, Kind: sdk.KindInvalidRequest},
		// exchange trouble
		{Name: "10000 timeout on a read", Fault: fakex.Fault{Status: 200, Body: bybitErr(10000, "Server Timeout")}, Kind: sdk.KindUnavailable, Code: "10000"},
		{Name: "10016 server error on a read", Fault: fakex.Fault{Status: 200, Body: bybitErr(10016, "Internal server error.")}, Kind: sdk.KindUnavailable, Code: "10016"},
		{Name: "10000 timeout on an order", Order: true, Fault: fakex.Fault{Status: 200, Body: bybitErr(10000, "Server Timeout")}, Kind: sdk.KindUnknownOutcome, Code: "10000"},
		{Name: "10016 server error on an order", Order: true, Fault: fakex.Fault{Status: 200, Body: bybitErr(10016, "Internal server error.")}, Kind: sdk.KindUnknownOutcome, Code: "10016"},
		{Name: "503 with a retCode on an order", Order: true, Fault: fakex.Fault{Status: 503, Body: bybitErr(10001, "params error")}, Kind: sdk.KindUnknownOutcome, Code: "10001"},
		{Name: "no retCode on a read", Fault: fakex.Fault{Status: 200, Body: `{"result":{}}`}, Kind: sdk.KindUnknown},
		{Name: "no retCode on an order", Order: true, Fault: fakex.Fault{Status: 200, Body: `{"result":{}}`}, Kind: sdk.KindUnknownOutcome},
		{Name: "accepted without an order id", Order: true, Fault: fakex.Fault{Status: 200, Body: `{"retCode":0,"retMsg":"OK","result":{},"time":1}`}, Kind: sdk.KindUnknownOutcome},
	}
	plugintest.RunErrorTable(t, tests, func(t *testing.T) plugintest.ErrorSetup {
		e := funded(t, false)
		return plugintest.ErrorSetup{Fake: e.Fake, Exchange: e.C, Account: e.Acct, ReadPath: "/v5/account/wallet-balance", OrderPath: "/v5/order/create",
			Order: plugintest.FuturesBuy}
	})
}

// TestUIDLimitAndUsage runs against a fake with a small per-UID limit:
// usage comes from the X-Bapi-Limit headers of every answer, and past the
// limit Bybit's 10006 asks to wait until the reset timestamp.
func TestUIDLimitAndUsage(t *testing.T) {
	e := newEnv(t, fake.WithUIDLimit("/v5/account/wallet-balance", 3))
	// Just past a second boundary: the calls share one per-UID window.
	plugintest.StartWindow(e.Fake, time.Second, 5*time.Millisecond)
	c, rec := plugintest.Recording(t)
	if _, err := e.C.Positions(c, e.Acct); err != nil { // measures the clock
		t.Fatal(err)
	}
	if u := rec.Usage(); len(u) != 1 || u[0] != (sdk.RateUsage{Name: "uid_position_list", Used: 1, Limit: 50, Interval: time.Second}) {
		t.Fatalf("usage %+v", u)
	}
	for i := int64(1); i <= 3; i++ {
		if _, err := e.C.SpotBalances(c, e.Acct); err != nil {
			t.Fatal(err)
		}
		if u := rec.Usage(); len(u) != 2 || u[1] != (sdk.RateUsage{Name: "uid_wallet_balance", Used: i, Limit: 3, Interval: time.Second}) {
			t.Fatalf("call %d: usage %+v", i, u)
		}
	}
	_, err := e.C.SpotBalances(c, e.Acct)
	if sdk.KindOf(err) != sdk.KindRateLimited || rest.ExchangeCode(err) != "10006" || sdk.RetryAfter(err) <= 0 || sdk.RetryAfter(err) > time.Second {
		t.Fatalf("over the limit: %v (retry after %v)", err, sdk.RetryAfter(err))
	}
	// Other endpoints keep their own limits.
	if _, err := e.C.FuturesAccount(c, e.Acct); sdk.KindOf(err) != sdk.KindRateLimited {
		t.Fatalf("the same endpoint with another query: %v", err)
	}
	if _, err := e.C.ValidateCredentials(c, e.Acct); err != nil {
		t.Fatalf("another endpoint: %v", err)
	}
}

// TestIPLimitBlocks exceeds the per-IP budget: Bybit answers HTTP 403 and
// blocks the address for ten minutes, which the connector reports as a
// ten-minute wait, on every endpoint, the public one included.
func TestIPLimitBlocks(t *testing.T) {
	e := newEnv(t, fake.WithIPLimit(4))
	plugintest.StartWindow(e.Fake, 5*time.Second, 5*time.Millisecond)
	for range 3 { // time + 3 reads = 4
		if _, err := e.C.SpotBalances(ctx(t), e.Acct); err != nil {
			t.Fatal(err)
		}
	}
	for _, call := range []func() error{
		func() error { _, err := e.C.SpotBalances(ctx(t), e.Acct); return err },
		func() error { _, err := e.C.ValidateCredentials(ctx(t), e.Acct); return err },
	} {
		err := call()
		if sdk.KindOf(err) != sdk.KindRateLimited || sdk.RetryAfter(err) != 10*time.Minute {
			t.Fatalf("over the IP budget: %v (retry after %v)", err, sdk.RetryAfter(err))
		}
	}
	// Still blocked after the window; not after ten minutes.
	e.Fake.SetClockOffset(time.Until(e.Fake.Now()) + 9*time.Minute)
	if _, err := bybit.New().SpotBalances(ctx(t), e.Acct); sdk.KindOf(err) != sdk.KindRateLimited {
		t.Fatalf("nine minutes on: %v", err)
	}
	e.Fake.SetClockOffset(time.Until(e.Fake.Now()) + 2*time.Minute)
	if _, err := bybit.New().SpotBalances(ctx(t), e.Acct); err != nil {
		t.Fatalf("eleven minutes on: %v", err)
	}
}

// TestNoSecretsInLogsOrErrors drives every method through success and
// failure with debug logging captured, and checks that no key, secret or
// signature appears in a log line or an error.
func TestNoSecretsInLogsOrErrors(t *testing.T) {
	e := funded(t, true)
	// An answer that echoes what it got, as a misbehaving proxy might.
	echo := fakex.Fault{Path: "/v5/account/wallet-balance", Status: 200, Body: bybitErr(10001, "params error: "+apiKey+" "+secret)}
	spot := plugintest.Placing(plugintest.SpotBuy)
	plugintest.RunLeaks(t, plugintest.LeakRun{
		New:  func(l *slog.Logger) sdk.Exchange { return bybit.New(sdk.WithLogger(l)) },
		Fake: e.Fake, Account: e.Acct,
		Order: plugintest.FuturesBuy,
		Faults: []plugintest.Faulted{
			{Fault: echo, Call: plugintest.CallSpotBalances},
			{Fault: fakex.Fault{Path: "/v5/position/list", Status: 500, Body: "boom"}, Call: plugintest.CallPositions},
			{Fault: fakex.Fault{Path: "/v5/order/create", Malformed: true},
				Call: plugintest.Placing(plugintest.HedgedBuy)},
		},
		Wrong: func(bad sdk.Account) []plugintest.Wrong {
			unknown := e.Acct
			unknown.APIKey = "unknown-key-4f7d2a"
			return []plugintest.Wrong{{Account: bad, Call: spot}, {Account: unknown, Call: plugintest.CallSpotBalances}}
		},
		Slow:       plugintest.Faulted{Fault: fakex.Fault{Path: "/v5/order/create"}, Call: spot},
		Check:      plugintest.LeakCheck{LogMark: "path=/v5/account/wallet-balance", MinErrors: 8, Secrets: []string{apiKey, secret}, MinSignatures: 11},
		Signatures: func(reqs []fakex.Record) []string { return plugintest.HeaderValues(reqs, "X-Bapi-Sign") },
		Redacted:   true,
	})
}
