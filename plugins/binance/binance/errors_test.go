package binance_test

import (
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
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

// TestErrorTable injects every error of Binance's documented tables and the
// transport failures, on a read and on an order, and checks the kind.
func TestErrorTable(t *testing.T) {
	banUntil := time.Now().Add(5 * time.Minute).UnixMilli()
	tests := []plugintest.ErrorRow{
		{Name: "-2014 bad key format", Fault: fakex.Fault{Status: 401, Body: binanceErr(-2014, "API-key format invalid.")}, Kind: sdk.KindAuthentication, Code: "-2014"},
		{Name: "-2015 rejected key", Fault: fakex.Fault{Status: 401, Body: binanceErr(-2015, "Invalid API-key, IP, or permissions for action.")}, Kind: sdk.KindAuthentication, Code: "-2015"},
		{Name: "-1022 bad signature", Fault: fakex.Fault{Status: 400, Body: binanceErr(-1022, "Signature for this request is not valid.")}, Kind: sdk.KindAuthentication, Code: "-1022"},
		{Name: "-1002 unauthorized", Fault: fakex.Fault{Status: 401, Body: binanceErr(-1002, "You are not authorized to execute this request.")}, Kind: sdk.KindPermission, Code: "-1002"},
		{Name: "-1021 twice: skew survives a resync", Fault: fakex.Fault{Status: 400, Body: binanceErr(-1021, "Timestamp for this request is outside of the recvWindow."), Times: 2}, Kind: sdk.KindClockSkew, Code: "-1021"},
		{Name: "-2010 insufficient balance", Order: true, Fault: fakex.Fault{Status: 400, Body: binanceErr(-2010, "Account has insufficient balance for requested action.")}, Kind: sdk.KindInsufficientFunds, Code: "-2010"},
		{Name: "-2010 other rejection", Order: true, Fault: fakex.Fault{Status: 400, Body: binanceErr(-2010, "Market is closed.")}, Kind: sdk.KindInvalidRequest, Code: "-2010"},
		{Name: "-2019 margin", Order: true, Fault: fakex.Fault{Status: 400, Body: binanceErr(-2019, "Margin is insufficient.")}, Kind: sdk.KindInsufficientFunds, Code: "-2019"},
		{Name: "-2018 balance", Order: true, Fault: fakex.Fault{Status: 400, Body: binanceErr(-2018, "Balance is insufficient.")}, Kind: sdk.KindInsufficientFunds, Code: "-2018"},
		{Name: "-1121 bad symbol", Order: true, Fault: fakex.Fault{Status: 400, Body: binanceErr(-1121, "Invalid symbol.")}, Kind: sdk.KindUnknownSymbol, Code: "-1121"},
		{Name: "-2011 unknown order", Order: true, Fault: fakex.Fault{Status: 400, Body: binanceErr(-2011, "Unknown order sent.")}, Kind: sdk.KindOrderNotFound, Code: "-2011"},
		{Name: "-2011 cancel refused otherwise", Order: true, Fault: fakex.Fault{Status: 400, Body: binanceErr(-2011, "Order was not canceled due to cancel restrictions.")}, Kind: sdk.KindInvalidRequest, Code: "-2011"},
		{Name: "-2013 no such order", Fault: fakex.Fault{Status: 400, Body: binanceErr(-2013, "Order does not exist.")}, Kind: sdk.KindOrderNotFound, Code: "-2013"},
		{Name: "-1102 missing parameter", Order: true, Fault: fakex.Fault{Status: 400, Body: binanceErr(-1102, "Mandatory parameter 'quantity' was not sent, was empty/null, or malformed.")}, Kind: sdk.KindInvalidRequest, Code: "-1102"},
		{Name: "-1013 filter failure", Order: true, Fault: fakex.Fault{Status: 400, Body: binanceErr(-1013, "Filter failure: LOT_SIZE")}, Kind: sdk.KindInvalidRequest, Code: "-1013"},
		{Name: "-4164 min notional", Order: true, Fault: fakex.Fault{Status: 400, Body: binanceErr(-4164, "Order's notional must be no smaller than 5.0")}, Kind: sdk.KindInvalidRequest, Code: "-4164"},
		{Name: "-4120 conditional type", Order: true, Fault: fakex.Fault{Status: 400, Body: binanceErr(-4120, "Order type not supported for this endpoint.")}, Kind: sdk.KindUnsupported, Code: "-4120"},
		{Name: "429 -1003 with Retry-After", Fault: fakex.Fault{Status: 429, Header: http.Header{"Retry-After": {"17"}}, Body: binanceErr(-1003, "Too much request weight used; current limit is 6000 request weight per 1 MINUTE.")},
			Kind: sdk.KindRateLimited, Code: "-1003", RetryAfter: func(d time.Duration) bool { return d == 17*time.Second }},
		{Name: "429 without Retry-After waits for the next minute", Fault: fakex.Fault{Status: 429, Body: binanceErr(-1003, "Too much request weight used.")},
			Kind: sdk.KindRateLimited, Code: "-1003", RetryAfter: func(d time.Duration) bool { return d >= time.Second && d <= time.Minute }},
		{Name: "418 ban read from the message", Fault: fakex.Fault{Status: 418, Body: binanceErr(-1003, "Way too much request weight used; IP banned until "+strconv.FormatInt(banUntil, 10)+". Please use WebSocket Streams.")},
			Kind: sdk.KindRateLimited, Code: "-1003", RetryAfter: func(d time.Duration) bool { return d > 4*time.Minute && d <= 5*time.Minute+2*time.Second }},
		{Name: "418 with Retry-After", Fault: fakex.Fault{Status: 418, Header: http.Header{"Retry-After": {"7200"}}, Body: binanceErr(-1003, "Way too much request weight used; IP banned until 1.")},
			Kind: sdk.KindRateLimited, Code: "-1003", RetryAfter: func(d time.Duration) bool { return d == 2*time.Hour }},
		{Name: "-1015 too many orders", Order: true, Fault: fakex.Fault{Status: 429, Header: http.Header{"Retry-After": {"3"}}, Body: binanceErr(-1015, "Too many new orders; current limit is 300 orders per 10 SECOND.")},
			Kind: sdk.KindRateLimited, Code: "-1015", RetryAfter: func(d time.Duration) bool { return d == 3*time.Second }},
		{Name: "429 without a body", Fault: fakex.Fault{Status: 429, Header: http.Header{"Retry-After": {"5"}}, Body: "Too Many Requests"},
			Kind: sdk.KindRateLimited, RetryAfter: func(d time.Duration) bool { return d == 5*time.Second }},
		{Name: "403 WAF", Fault: fakex.Fault{Status: 403, Body: "<html>blocked</html>"}, Kind: sdk.KindUnavailable},
		{Name: "503 -1008 throttled on a read", Fault: fakex.Fault{Status: 503, Body: binanceErr(-1008, "Request throttled by system-level protection.")}, Kind: sdk.KindUnavailable, Code: "-1008"},
		{Name: "503 unknown error on an order", Order: true, Fault: fakex.Fault{Status: 503, Body: binanceErr(-1000, "Unknown error, please check your request or try again later.")}, Kind: sdk.KindUnknownOutcome, Code: "-1000"},
		{Name: "503 service unavailable on an order", Order: true, Fault: fakex.Fault{Status: 503, Body: "Service Unavailable."}, Kind: sdk.KindUnknownOutcome},
		{Name: "-1007 timeout on an order", Order: true, Fault: fakex.Fault{Status: 408, Body: binanceErr(-1007, "Timeout waiting for response from backend server. Send status unknown; execution status unknown.")}, Kind: sdk.KindUnknownOutcome, Code: "-1007"},
		{Name: "-1007 timeout on a read", Fault: fakex.Fault{Status: 408, Body: binanceErr(-1007, "Timeout waiting for response from backend server.")}, Kind: sdk.KindUnavailable, Code: "-1007"},
	}
	plugintest.RunErrorTable(t, tests, func(t *testing.T) plugintest.ErrorSetup {
		e := funded(t, false)
		return plugintest.ErrorSetup{Fake: e.Fake, Exchange: e.C, Account: e.Acct, ReadPath: "/api/v3/account", OrderPath: "/fapi/v1/order",
			Order: plugintest.FuturesBuy}
	})
}

// TestWeightBudgetAndUsage runs against a fake with a small budget: usage
// is reported from X-MBX-USED-WEIGHT-1M on every answer, the fake answers
// 429 past the budget and bans a client that goes on.
func TestWeightBudgetAndUsage(t *testing.T) {
	e := newEnv(t, fake.WithWeightLimits(50, 12))
	// Start the fake's minute so that the calls share one window.
	plugintest.StartWindow(e.Fake, time.Minute, time.Second)

	c, rec := plugintest.Recording(t)
	if _, err := e.C.SpotBalances(c, e.Acct); err != nil {
		t.Fatal(err)
	}
	u := rec.Usage()
	if len(u) != 1 || u[0] != (sdk.RateUsage{Name: "request_weight", Used: 21, Limit: 6000, Interval: time.Minute}) {
		t.Fatalf("usage %+v, want time (1) + account (20) = 21", u)
	}
	if _, err := e.C.FuturesAccount(c, e.Acct); err != nil {
		t.Fatal(err)
	}
	if u := rec.Usage(); len(u) != 2 || u[1].Name != "futures_request_weight" || u[1].Used != 5 || u[1].Limit != 2400 {
		t.Fatalf("usage %+v", u)
	}
	if _, err := e.C.SpotBalances(c, e.Acct); err != nil {
		t.Fatal(err)
	}
	_, err := e.C.SpotBalances(c, e.Acct)
	if sdk.KindOf(err) != sdk.KindRateLimited || sdk.RetryAfter(err) <= 0 || sdk.RetryAfter(err) > time.Minute {
		t.Fatalf("over budget: %v (retry after %v)", err, sdk.RetryAfter(err))
	}
	if u := rec.Usage(); u[0].Used != 61 {
		t.Fatalf("usage after 429 %+v", u)
	}
	_, err = e.C.SpotBalances(c, e.Acct)
	if sdk.KindOf(err) != sdk.KindRateLimited || sdk.RetryAfter(err) != 2*time.Minute {
		t.Fatalf("after going on: %v (retry after %v), want a 2 minute ban", err, sdk.RetryAfter(err))
	}
	if got := e.Fake.Weight("/api/v3/account"); got != 80 {
		t.Fatalf("weight charged %d, want 80", got)
	}
	// Futures has its own budget: 5 (account) + 5 (positions) fit in 12,
	// the next 5 do not.
	if _, err := e.C.Positions(c, e.Acct); err != nil {
		t.Fatal(err)
	}
	if _, err := e.C.Positions(c, e.Acct); sdk.KindOf(err) != sdk.KindRateLimited {
		t.Fatalf("futures over budget: %v", err)
	}
}

// TestNoSecretsInLogsOrErrors drives every method through success and
// failure with debug logging captured, and checks that no key, secret or
// signature appears in a log line or an error.
func TestNoSecretsInLogsOrErrors(t *testing.T) {
	e := funded(t, true)
	// A fake that echoes what it got, as a misbehaving proxy might.
	echo := fakex.Fault{Path: "/api/v3/account", Status: 400, Body: binanceErr(-1100, "Illegal characters: "+apiKey+" "+secret)}
	plugintest.RunLeaks(t, plugintest.LeakRun{
		New:  func(l *slog.Logger) sdk.Exchange { return binance.New(sdk.WithLogger(l)) },
		Fake: e.Fake, Account: e.Acct,
		Order: plugintest.FuturesBuy,
		Faults: []plugintest.Faulted{
			{Fault: echo, Call: plugintest.CallSpotBalances},
			{Fault: fakex.Fault{Path: "/fapi/v3/account", Status: 500, Body: "boom"}, Call: plugintest.CallFuturesAccount},
			{Fault: fakex.Fault{Path: "/fapi/v1/order", Malformed: true},
				Call: plugintest.Placing(plugintest.HedgedBuy)},
		},
		Slow:       plugintest.Faulted{Fault: fakex.Fault{Path: "/api/v3/order"}, Call: plugintest.Placing(plugintest.SpotBuy)},
		Check:      plugintest.LeakCheck{LogMark: "path=/api/v3/account", MinErrors: 4, Secrets: []string{apiKey, secret}, MinSignatures: 7},
		Signatures: func(reqs []fakex.Record) []string { return plugintest.QueryValues(reqs, "signature") },
	})
}

// TestClockPerHost points spot and futures at two fakes whose clocks
// differ: each host gets its own offset.
func TestClockPerHost(t *testing.T) {
	e := funded(t, false)
	fut := fake.New()
	t.Cleanup(fut.Close)
	fut.AddKey(fake.FullKey(apiKey, secret))
	fut.SetClockOffset(-30 * time.Second)
	e.Fake.SetClockOffset(30 * time.Second)
	e.Acct.Endpoints["futures"] = fut.URL()
	if _, err := e.C.SpotBalances(ctx(t), e.Acct); err != nil {
		t.Fatal(err)
	}
	if _, err := e.C.FuturesAccount(ctx(t), e.Acct); err != nil {
		t.Fatal(err)
	}
	if e.Fake.Calls("/api/v3/time") != 1 || fut.Calls("/fapi/v1/time") != 1 {
		t.Fatalf("time calls spot %d futures %d", e.Fake.Calls("/api/v3/time"), fut.Calls("/fapi/v1/time"))
	}
}
