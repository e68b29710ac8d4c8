package bingx_test

import (
	"log/slog"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/globalautomation/gahost/plugins/bingx/bingx"
	"github.com/globalautomation/gahost/plugins/bingx/fake"
	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/fakex"
	"github.com/globalautomation/gahost/sdk/plugintest"
)

// TestErrorTable injects every error of BingX's documented tables and
// the transport failures, on a read and on an order, and checks the kind.
func TestErrorTable(t *testing.T) {
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
	tests := []plugintest.ErrorRow{
		{Name: "100001 bad signature", Fault: f200(100001, "Signature verification failed"), Kind: sdk.KindAuthentication, Code: "100001"},
		{Name: "100001 with HTTP 401", Fault: fakex.Fault{Status: 401, Body: bingxErr(100001, "Signature verification failed")}, Kind: sdk.KindAuthentication, Code: "100001"},
		{Name: "100412 no signature", Fault: f200(100412, "Null signature"), Kind: sdk.KindAuthentication, Code: "100412"},
		{Name: "100413 unknown key", Fault: f200(100413, "Incorrect apiKey"), Kind: sdk.KindAuthentication, Code: "100413"},
		{Name: "HTTP 401 without a body", Fault: fakex.Fault{Status: 401, Body: "Invalid API Key"}, Kind: sdk.KindAuthentication},
		{Name: "100419 IP whitelist", Fault: f200(100419, "IP does not match IP whitelist"), Kind: sdk.KindPermission, Code: "100419"},
		{Name: "100004 permission", Fault: f200(100004, "Permission denied as the API key was created without the permission"), Kind: sdk.KindPermission, Code: "100004"},
		{Name: "100421 stale twice: skew survives a resync", Fault: fakex.Fault{Status: 200, Body: bingxErr(100421, "Null timestamp or timestamp mismatch, try to run our sample code"), Times: 2}, Kind: sdk.KindClockSkew, Code: "100421"},
		{Name: "100421 spot symbol not tradable", Order: true, Fault: f200(100421, "The symbol you request is not available to place order currently, please try again later"), Kind: sdk.KindUnknownSymbol, Code: "100421"},
		{Name: "100421 contract does not exist", Order: true, Fault: f200(100421, "CheckUserAndSymbol: contract not exist"), Kind: sdk.KindUnknownSymbol, Code: "100421"},
		{Name: "100202 spot assets short", Order: true, Fault: f200(100202, "Insufficient assets, please verify the assets status"), Kind: sdk.KindInsufficientFunds, Code: "100202"},
		{Name: "101204 margin short", Order: true, Fault: f200(101204, "Insufficient margin"), Kind: sdk.KindInsufficientFunds, Code: "101204"},
		{Name: "80001 margin short on a batch", Order: true, Fault: f200(80001, "Insufficient margin"), Kind: sdk.KindInsufficientFunds, Code: "80001"},
		{Name: "109400 symbol not exist", Order: true, Fault: f200(109400, "symbol not exist"), Kind: sdk.KindUnknownSymbol, Code: "109400"},
		{Name: "109500 symbol not exist", Order: true, Fault: f200(109500, "symbol not exist"), Kind: sdk.KindUnknownSymbol, Code: "109500"},
		{Name: "101400 pair not tradable", Order: true, Fault: f200(101400, "The trading pair is not available for trading"), Kind: sdk.KindUnknownSymbol, Code: "101400"},
		{Name: "101400 below the minimum value", Order: true, Fault: f200(101400, "Please ensure that the minimum nominal value of the order placed must be greater than 2u"), Kind: sdk.KindInvalidRequest, Code: "101400"},
		{Name: "110425 below the minimum value", Order: true, Fault: f200(110425, "Please ensure that the minimum nominal value of the order placed must be greater than 2u"), Kind: sdk.KindInvalidRequest, Code: "110425"},
		{Name: "80014 bad symbol parameter", Order: true, Fault: f200(80014, "Invalid parameters, symbol: BTC-XYZ is invalid"), Kind: sdk.KindUnknownSymbol, Code: "80014"},
		{Name: "80014 missing parameter", Order: true, Fault: f200(80014, "Invalid parameters,positionSide: This field is required."), Kind: sdk.KindInvalidRequest, Code: "80014"},
		{Name: "100400 bad parameter", Order: true, Fault: f200(100400, "Invalid parameters"), Kind: sdk.KindInvalidRequest, Code: "100400"},
		{Name: "100490 spot symbol offline", Order: true, Fault: f200(100490, "spot symbol is offline"), Kind: sdk.KindUnknownSymbol, Code: "100490"},
		{Name: "80016 order does not exist", Fault: f200(80016, "Order does not exist"), Kind: sdk.KindOrderNotFound, Code: "80016"},
		{Name: "80017 position does not exist", Order: true, Fault: f200(80017, "position not exist"), Kind: sdk.KindInvalidRequest, Code: "80017"},
		{Name: "101481 duplicate client id", Order: true, Fault: f200(101481, "clientOrderID cannot be repeated"), Kind: sdk.KindInvalidRequest, Code: "101481"},
		{Name: "100410 in a 200 body", Fault: f200(100410, "rate limit exceeded"), Kind: sdk.KindRateLimited, Code: "100410",
			RetryAfter: func(d time.Duration) bool { return d >= time.Second && d <= 10*time.Second }},
		{Name: "100410 system busy", Fault: f200(100410, "The current system is busy, please try again later"), Kind: sdk.KindRateLimited, Code: "100410",
			RetryAfter: func(d time.Duration) bool { return d >= time.Second && d <= 10*time.Second }},
		{Name: "429 waits for the 10 s window", Fault: fakex.Fault{Status: 429, Body: "Too Many Requests"}, Kind: sdk.KindRateLimited,
			RetryAfter: func(d time.Duration) bool { return d >= time.Second && d <= 10*time.Second }},
		{Name: "429 with the per-key expiry", Fault: fakex.Fault{Status: 429, Header: hdr("X-RateLimit-Requests-Remain", "0", "X-RateLimit-Requests-Expire", soon), Body: bingxErr(100410, "rate limit exceeded")},
			Kind: sdk.KindRateLimited, Code: "100410", RetryAfter: func(d time.Duration) bool { return d > 0 && d <= time.Second }},
		{Name: "429 with Retry-After", Fault: fakex.Fault{Status: 429, Header: hdr("Retry-After", "17"), Body: bingxErr(100410, "rate limit exceeded")},
			Kind: sdk.KindRateLimited, Code: "100410", RetryAfter: func(d time.Duration) bool { return d == 17*time.Second }},
		{Name: "418 ban lasts 5 minutes", Fault: fakex.Fault{Status: 418, Body: "banned"}, Kind: sdk.KindRateLimited,
			RetryAfter: func(d time.Duration) bool { return d == 5*time.Minute }},
		{Name: "418 with a code body", Fault: fakex.Fault{Status: 418, Body: bingxErr(100410, "banned")}, Kind: sdk.KindRateLimited, Code: "100410",
			RetryAfter: func(d time.Duration) bool { return d == 5*time.Minute }},
		{Name: "403 firewall", Fault: fakex.Fault{Status: 403, Body: "<html>Access denied</html>"}, Kind: sdk.KindRateLimited,
			RetryAfter: func(d time.Duration) bool { return d == 5*time.Minute }},
		{Name: "403 carrying a permission code", Fault: fakex.Fault{Status: 403, Body: bingxErr(100004, "Permission denied")}, Kind: sdk.KindPermission, Code: "100004"},
		{Name: "80012 busy on a read", Fault: f200(80012, "service unavailable"), Kind: sdk.KindUnavailable, Code: "80012"},
		{Name: "100500 on a read", Fault: f200(100500, "internal system error"), Kind: sdk.KindUnavailable, Code: "100500"},
		{Name: "100503 on a read", Fault: f200(100503, "server busy"), Kind: sdk.KindUnavailable, Code: "100503"},
		{Name: "101500 on a read", Fault: f200(101500, "rpc timeout"), Kind: sdk.KindUnavailable, Code: "101500"},
		{Name: "80012 on an order", Order: true, Fault: f200(80012, "service unavailable"), Kind: sdk.KindUnknownOutcome, Code: "80012"},
		{Name: "100500 on an order", Order: true, Fault: f200(100500, "internal system error"), Kind: sdk.KindUnknownOutcome, Code: "100500"},
		{Name: "100503 on an order", Order: true, Fault: f200(100503, "server busy"), Kind: sdk.KindUnknownOutcome, Code: "100503"},
		{Name: "101500 on an order", Order: true, Fault: f200(101500, "rpc timeout"), Kind: sdk.KindUnknownOutcome, Code: "101500"},
		{Name: "unknown code on a read", Fault: f200(123456, "something new"), Kind: sdk.KindUnknown, Code: "123456"},
		{Name: "504 on an order", Order: true, Fault: fakex.Fault{Status: 504, Body: "Gateway Timeout"}, Kind: sdk.KindUnknownOutcome},
		{Name: "503 with a code on an order", Order: true, Fault: fakex.Fault{Status: 503, Body: bingxErr(123, "maintenance")}, Kind: sdk.KindUnknownOutcome, Code: "123"},
	}
	plugintest.RunErrorTable(t, tests, func(t *testing.T) plugintest.ErrorSetup {
		e := funded(t, false)
		return plugintest.ErrorSetup{Fake: e.Fake, Exchange: e.C, Account: e.Acct, ReadPath: readPath, OrderPath: swapOrderPath,
			Order: plugintest.FuturesBuy,
			Check: func(t *testing.T, row plugintest.ErrorRow, _ *sdk.Error) {
				if row.Kind != sdk.KindClockSkew && e.Fake.Calls("/openApi/swap/v2/server/time") != 1 {
					t.Errorf("server time read %d times: only a skew answer may resync", e.Fake.Calls("/openApi/swap/v2/server/time"))
				}
			}}
	})
}

// TestRateLimitsAndUsage: the per-key headers are reported as usage of the
// endpoint's declared limit; past a key's limit the fake answers 429 with
// the expiry; past the per-IP budget it answers 429, then bans with 418.
func TestRateLimitsAndUsage(t *testing.T) {
	e := funded(t, false, fake.WithIPLimits(4, 2000))
	// Start the fake just past a 10 s boundary so the calls share windows.
	plugintest.StartWindow(e.Fake, 10*time.Second, 50*time.Millisecond)

	c, rec := plugintest.Recording(t)
	if _, err := e.C.SpotBalances(c, e.Acct); err != nil {
		t.Fatal(err)
	}
	u := rec.Usage()
	if len(u) != 1 || u[0] != (sdk.RateUsage{Name: "uid_spot_balance", Used: 1, Limit: 5, Interval: time.Second}) {
		t.Fatalf("usage %+v", u)
	}
	if _, err := e.C.FuturesAccount(c, e.Acct); err != nil {
		t.Fatal(err)
	}
	if u := rec.Usage(); len(u) != 2 || u[1].Name != "uid_swap_balance" || u[1].Used != 1 {
		t.Fatalf("usage %+v", u)
	}
	info, _ := e.C.Info(c)
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
		if _, err := e.C.SpotBalances(c, e.Acct); err != nil {
			t.Fatal(err)
		}
	}
	// The fifth spot balance call in this 10 s window is over the IP's
	// budget of 4 for the endpoint.
	_, err := e.C.SpotBalances(c, e.Acct)
	if sdk.KindOf(err) != sdk.KindRateLimited || sdk.RetryAfter(err) < time.Second || sdk.RetryAfter(err) > 10*time.Second {
		t.Fatalf("over the IP budget: %v (retry after %v)", err, sdk.RetryAfter(err))
	}
	_, err = e.C.SpotBalances(c, e.Acct)
	if sdk.KindOf(err) != sdk.KindRateLimited || sdk.RetryAfter(err) != 5*time.Minute {
		t.Fatalf("after going on: %v (retry after %v), want a 5 minute ban", err, sdk.RetryAfter(err))
	}
	// A ban covers every endpoint of the address.
	if _, err := e.C.Positions(c, e.Acct); sdk.KindOf(err) != sdk.KindRateLimited {
		t.Fatalf("positions while banned: %v", err)
	}
	if n := e.Fake.Calls("/openApi/spot/v1/account/balance"); n != 6 {
		t.Fatalf("spot balance calls %d, want 6", n)
	}
}

func TestPerKeyLimit(t *testing.T) {
	e := funded(t, false)
	plugintest.StartWindow(e.Fake, time.Second, 20*time.Millisecond)
	// GET positionSide/dual allows 2 a second per key.
	var err error
	for range 3 {
		_, err = e.C.ValidateCredentials(ctx(t), e.Acct)
	}
	if sdk.KindOf(err) != sdk.KindRateLimited || sdk.RetryAfter(err) <= 0 || sdk.RetryAfter(err) > time.Second {
		t.Fatalf("third call in a second: %v (retry after %v)", err, sdk.RetryAfter(err))
	}
}

// TestNoSecretsInLogsOrErrors drives every method through success and
// failure with debug logging captured, and checks that no key, secret or
// signature appears in a log line or an error.
func TestNoSecretsInLogsOrErrors(t *testing.T) {
	e := funded(t, true)
	// A fake that echoes what it got, as a misbehaving proxy might.
	echo := fakex.Fault{Path: "/openApi/spot/v1/account/balance", Status: 200, Body: bingxErr(100400, "Invalid parameters: "+apiKey+" "+secret)}
	plugintest.RunLeaks(t, plugintest.LeakRun{
		New:  func(l *slog.Logger) sdk.Exchange { return bingx.New(sdk.WithLogger(l)) },
		Fake: e.Fake, Account: e.Acct,
		Order: plugintest.FuturesBuy,
		Faults: []plugintest.Faulted{
			{Fault: echo, Call: plugintest.CallSpotBalances},
			{Fault: fakex.Fault{Path: "/openApi/swap/v3/user/balance", Status: 500, Body: "boom " + secret}, Call: plugintest.CallFuturesAccount},
			{Fault: fakex.Fault{Path: swapOrderPath, Malformed: true},
				Call: plugintest.Placing(plugintest.HedgedBuy)},
		},
		Wrong: func(sdk.Account) []plugintest.Wrong {
			unknown := e.Acct
			unknown.APIKey = "unknown-" + apiKey
			return []plugintest.Wrong{{Account: unknown, Call: plugintest.CallPositions}}
		},
		Slow:       plugintest.Faulted{Fault: fakex.Fault{Path: spotOrderPath}, Call: plugintest.Placing(sdk.OrderRequest{Symbol: "BTC/USDT", Side: "sell", Type: "market", Quantity: d("0.001")})},
		Check:      plugintest.LeakCheck{LogMark: "path=/openApi/spot/v1/account/balance", MinErrors: 8, Secrets: []string{apiKey, secret}, MinSignatures: 10},
		Signatures: func(reqs []fakex.Record) []string { return plugintest.QueryValues(reqs, "signature") },
	})
}
