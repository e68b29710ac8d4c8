package bitget_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/globalautomation/gahost/plugins/bitget/bitget"
	"github.com/globalautomation/gahost/plugins/bitget/fake"
	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/fakex"
	"github.com/globalautomation/gahost/sdk/plugintest"
)

func bitgetErr(code, msg string) string {
	return fmt.Sprintf(`{"code":%q,"msg":%q,"requestTime":1695808949356,"data":null}`, code, msg)
}

// TestErrorTable injects every code of the page's error table (§7), the
// rate-limit and ban answers and the transport failures, on a read and on
// an order, and checks the kind the host gets.
func TestErrorTable(t *testing.T) {
	type tc struct {
		name       string
		order      bool
		fault      fakex.Fault
		kind       sdk.Kind
		code       string
		retryAfter time.Duration
	}
	var tests []tc
	// Every code of the table, answered as Bitget does in the field: HTTP
	// 400 with the JSON body.
	table := []struct {
		codes []string
		kind  sdk.Kind
	}{
		{[]string{"40001", "40002", "40003", "40006", "40037", "40041", "40009", "40011", "40012", "40036"}, sdk.KindAuthentication},
		// 40085 is the one code the connector answers by switching modes;
		// it has its own case below.
		{[]string{"40014", "40018", "40038", "40025", "40040", "40084"}, sdk.KindPermission},
		{[]string{"43012", "40754", "40762", "40798"}, sdk.KindInsufficientFunds},
		{[]string{"40034", "40102", "42016", "40072", "40309"}, sdk.KindUnknownSymbol},
		{[]string{"40017", "40019", "40020", "40808", "41103", "45110", "43027", "40774", "99999"}, sdk.KindInvalidRequest},
		{[]string{"43001", "40768", "22001"}, sdk.KindOrderNotFound},
	}
	for _, row := range table {
		for _, c := range row.codes {
			for _, order := range []bool{false, true} {
				tests = append(tests, tc{name: fmt.Sprintf("%s order=%v", c, order), order: order,
					fault: fakex.Fault{Status: 400, Body: bitgetErr(c, "message of "+c)}, kind: row.kind, code: c})
			}
		}
	}
	// Clock codes twice: the connector resyncs and retries once, so only a
	// second refusal reaches the caller.
	for _, c := range []string{"40005", "40008", "40078", "40079"} {
		tests = append(tests, tc{name: c + " twice", fault: fakex.Fault{Status: 400, Body: bitgetErr(c, "Request timestamp expired"), Times: 2},
			kind: sdk.KindClockSkew, code: c})
	}
	for _, c := range []string{"40015", "40200", "40725", "45001"} {
		tests = append(tests, tc{name: c + " on a read", fault: fakex.Fault{Status: 400, Body: bitgetErr(c, "busy")}, kind: sdk.KindUnavailable, code: c})
	}
	// 40085 says the key's account is a UTA: the connector sends the call
	// again through V3, where this Classic key gets 40084 (an account
	// switching modes), which reaches the caller.
	for _, order := range []bool{false, true} {
		tests = append(tests, tc{name: fmt.Sprintf("40085 then 40084 order=%v", order), order: order,
			fault: fakex.Fault{Status: 400, Body: bitgetErr("40085", "Unified Account mode")}, kind: sdk.KindPermission, code: "40084"})
	}
	tests = append(tests,
		// The busy codes may hide a placed order; an upgrade turns it away.
		tc{name: "40015 on an order", order: true, fault: fakex.Fault{Status: 400, Body: bitgetErr("40015", "System is abnormal, please try again later")}, kind: sdk.KindUnknownOutcome, code: "40015"},
		tc{name: "40725 on an order", order: true, fault: fakex.Fault{Status: 400, Body: bitgetErr("40725", "service return an error")}, kind: sdk.KindUnknownOutcome, code: "40725"},
		tc{name: "45001 on an order", order: true, fault: fakex.Fault{Status: 200, Body: bitgetErr("45001", "Unknown error")}, kind: sdk.KindUnknownOutcome, code: "45001"},
		tc{name: "40200 on an order", order: true, fault: fakex.Fault{Status: 400, Body: bitgetErr("40200", "Server upgrade, please try again later")}, kind: sdk.KindUnavailable, code: "40200"},
		tc{name: "an error code inside HTTP 200", fault: fakex.Fault{Status: 200, Body: bitgetErr("40009", "sign signature error")}, kind: sdk.KindAuthentication, code: "40009"},
		tc{name: "a numeric code", fault: fakex.Fault{Status: 400, Body: `{"code":40012,"msg":"apikey/password is incorrect"}`}, kind: sdk.KindAuthentication, code: "40012"},
		tc{name: "message instead of msg", fault: fakex.Fault{Status: 400, Body: `{"code":"43012","message":"Insufficient balance"}`}, kind: sdk.KindInsufficientFunds, code: "43012"},
		tc{name: "429 with code 429", fault: fakex.Fault{Status: 429, Body: bitgetErr("429", "Too Many Requests")}, kind: sdk.KindRateLimited, code: "429", retryAfter: time.Second},
		tc{name: "429 on an order", order: true, fault: fakex.Fault{Status: 429, Body: bitgetErr("429", "Too Many Requests")}, kind: sdk.KindRateLimited, code: "429", retryAfter: time.Second},
		tc{name: "429 with Retry-After", fault: fakex.Fault{Status: 429, Header: http.Header{"Retry-After": {"7"}}, Body: bitgetErr("429", "Too Many Requests")}, kind: sdk.KindRateLimited, code: "429", retryAfter: 7 * time.Second},
		tc{name: "429 without a body", fault: fakex.Fault{Status: 429, Body: "Too Many Requests"}, kind: sdk.KindRateLimited, retryAfter: time.Second},
		tc{name: "403 ban", fault: fakex.Fault{Status: 403, Body: "<html>Access denied</html>"}, kind: sdk.KindRateLimited, retryAfter: 5 * time.Minute},
		tc{name: "403 ban with Retry-After", fault: fakex.Fault{Status: 403, Header: http.Header{"Retry-After": {"120"}}, Body: ""}, kind: sdk.KindRateLimited, retryAfter: 2 * time.Minute},
		tc{name: "500 on a read", fault: fakex.Fault{Status: 500, Body: "Internal error"}, kind: sdk.KindUnavailable},
		tc{name: "502 on a read", fault: fakex.Fault{Status: 502, Body: "<html>Bad Gateway</html>"}, kind: sdk.KindUnavailable},
		tc{name: "503 with an unknown code on a read", fault: fakex.Fault{Status: 503, Body: bitgetErr("50001", "busy")}, kind: sdk.KindUnavailable, code: "50001"},
		tc{name: "500 on an order", order: true, fault: fakex.Fault{Status: 500, Body: "Internal error"}, kind: sdk.KindUnknownOutcome},
		tc{name: "502 on an order", order: true, fault: fakex.Fault{Status: 502, Body: "<html>Bad Gateway</html>"}, kind: sdk.KindUnknownOutcome},
		tc{name: "504 with a Bitget body on an order", order: true, fault: fakex.Fault{Status: 504, Body: bitgetErr("40010", "gateway timeout")}, kind: sdk.KindUnknownOutcome, code: "40010"},
		tc{name: "404", fault: fakex.Fault{Status: 404, Body: "not found"}, kind: sdk.KindInvalidRequest},
		tc{name: "malformed JSON on a read", fault: fakex.Fault{Malformed: true}, kind: sdk.KindUnknown},
		tc{name: "malformed JSON on an order", order: true, fault: fakex.Fault{Malformed: true}, kind: sdk.KindUnknownOutcome},
		tc{name: "success without data on a read", fault: fakex.Fault{Status: 200, Body: `{"code":"00000","msg":"success","data":{"x":1}}`}, kind: sdk.KindUnknown},
		tc{name: "success with unreadable data on an order", order: true, fault: fakex.Fault{Status: 200, Body: `{"code":"00000","msg":"success","data":[1]}`}, kind: sdk.KindUnknownOutcome},
		tc{name: "an envelope without a code", fault: fakex.Fault{Status: 200, Body: `{"data":[]}`}, kind: sdk.KindUnknown},
	)
	read := func(e *env) error { _, err := e.c.SpotBalances(ctx(t), e.acct); return err }
	order := func(e *env) error {
		_, err := e.c.PlaceOrder(ctx(t), e.acct, sdk.OrderRequest{Symbol: "BTC/USDT:USDT", Side: "buy", Type: "market", Quantity: d("0.001")})
		return err
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := funded(t, false)
			call, path := read, fake.PathSpotAssets
			if tt.order {
				call, path = order, fake.PathFuturesPlace
			}
			f := tt.fault
			f.Path = path
			e.fx.Inject(f)
			se := plugintest.CheckError(t, call(e), plugintest.WantError{Kind: tt.kind, Code: tt.code,
				RetryAfter: func(d time.Duration) bool { return d == tt.retryAfter }})
			if tt.kind == sdk.KindUnknownOutcome && !strings.Contains(se.Message, "auto-1") {
				t.Errorf("unknown outcome does not name the client order id: %s", se.Message)
			}
			if e.fx.PendingFaults() != 0 {
				t.Errorf("%d faults did not fire", e.fx.PendingFaults())
			}
		})
	}
}

// TestRateLimitsAndUsage: the fake enforces the per-endpoint limits and
// says what is left in x-mbx-used-remain-limit; the connector reports it
// as usage of the endpoint's limit and maps the 429 to rate limited.
func TestRateLimitsAndUsage(t *testing.T) {
	e := funded(t, false, fake.WithRouteLimit(fake.PathSpotAssets, 3))
	now := time.Now()
	// Start the fake's second so that the calls share one window.
	e.fx.SetClockOffset(now.Truncate(time.Second).Add(time.Second + 10*time.Millisecond).Sub(now))
	rec := &sdk.UsageRecorder{}
	c := sdk.WithUsageRecorder(ctx(t), rec)
	for i := int64(1); i <= 3; i++ {
		if _, err := e.c.SpotBalances(c, e.acct); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
		u := rec.Usage()
		want := sdk.RateUsage{Name: "uid_requests", Used: 10 - (3 - i), Limit: 10, Interval: time.Second}
		if len(u) == 0 || u[len(u)-1] != want {
			t.Fatalf("call %d: usage %+v, want %+v", i, u, want)
		}
	}
	_, err := e.c.SpotBalances(c, e.acct)
	if sdk.KindOf(err) != sdk.KindRateLimited || code(err) != "429" || sdk.RetryAfter(err) != time.Second {
		t.Fatalf("over the limit: %v (retry after %v)", err, sdk.RetryAfter(err))
	}
	if u := rec.Usage(); u[len(u)-1].Used != 10 {
		t.Fatalf("usage after the 429 %+v", u)
	}
	// Another endpoint has its own window; positions count against 5/s.
	if _, err := e.c.Positions(c, e.acct); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, u := range rec.Usage() {
		if u == (sdk.RateUsage{Name: "uid_positions", Used: 1, Limit: 5, Interval: time.Second}) {
			found = true
		}
	}
	if !found {
		t.Fatalf("positions usage missing: %+v", rec.Usage())
	}
	if e.fx.Calls(fake.PathSpotAssets) != 4 {
		t.Fatalf("calls %d", e.fx.Calls(fake.PathSpotAssets))
	}
}

// TestIPBudget: past the overall per-IP budget every call is refused.
func TestIPBudget(t *testing.T) {
	e := funded(t, false, fake.WithIPLimit(3))
	now := time.Now()
	e.fx.SetClockOffset(now.Truncate(time.Minute).Add(time.Minute + time.Second).Sub(now))
	// time + assets, then assets: 3 requests.
	for range 2 {
		if _, err := e.c.SpotBalances(ctx(t), e.acct); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.c.FuturesAccount(ctx(t), e.acct); sdk.KindOf(err) != sdk.KindRateLimited {
		t.Fatalf("over the IP budget: %v", err)
	}
}

// TestDemoHeaderWithOverride: a testnet (Demo Trading) account sends the
// paptrading header although its endpoint is overridden; a live one never.
func TestDemoHeaderWithOverride(t *testing.T) {
	e := newEnv(t)
	demo := fake.FullKey("demo-key-1", secret, passphrase)
	demo.Demo = true
	e.fx.AddKey(demo)
	e.fx.Update("demo-key-1", func(a *fake.Account) { a.Spot = []fake.Balance{{Coin: "USDT", Available: "50000"}} })
	acct := e.acct
	acct.APIKey, acct.Testnet = "demo-key-1", true
	got, err := e.c.SpotBalances(ctx(t), acct)
	if err != nil || len(got) != 1 || !got[0].Free.Equal(d("50000")) {
		t.Fatalf("demo balances %+v, %v", got, err)
	}
	if _, err := e.c.SpotBalances(ctx(t), e.acct); err != nil {
		t.Fatalf("live: %v", err)
	}
	var demoCalls, liveCalls int
	for _, r := range e.fx.Requests() {
		if r.Path != fake.PathSpotAssets {
			continue
		}
		switch r.Header.Get("Access-Key") {
		case "demo-key-1":
			demoCalls++
			if r.Header.Get("paptrading") != "1" {
				t.Error("demo call without paptrading: 1")
			}
		case apiKey:
			liveCalls++
			if _, ok := r.Header["Paptrading"]; ok {
				t.Error("live call with paptrading")
			}
		}
	}
	if demoCalls != 1 || liveCalls != 1 {
		t.Fatalf("calls demo %d live %d", demoCalls, liveCalls)
	}
}

// TestDefaultHost: without an override, live and demo accounts both go to
// Bitget's one host; only the demo account carries paptrading.
func TestDefaultHost(t *testing.T) {
	type seen struct{ host, path, demo string }
	var got []seen
	rt := roundTripper(func(r *http.Request) (*http.Response, error) {
		got = append(got, seen{r.URL.Scheme + "://" + r.URL.Host, r.URL.Path, r.Header.Get("paptrading")})
		body := `{"code":"00000","msg":"success","requestTime":1,"data":[]}`
		if r.URL.Path == fake.PathServerTime {
			body = fmt.Sprintf(`{"code":"00000","msg":"success","requestTime":1,"data":{"serverTime":"%d"}}`, time.Now().UnixMilli())
		}
		return &http.Response{StatusCode: 200, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(body)), Request: r}, nil
	})
	c := bitget.New(sdk.WithHTTPClient(&http.Client{Transport: rt}))
	for _, demo := range []bool{false, true} {
		if _, err := c.SpotBalances(ctx(t), sdk.Account{APIKey: "k", SecretKey: "s", Passphrase: "p", Testnet: demo}); err != nil {
			t.Fatal(err)
		}
	}
	want := []seen{
		{"https://api.bitget.com", fake.PathServerTime, ""},
		{"https://api.bitget.com", fake.PathSpotAssets, ""},
		{"https://api.bitget.com", fake.PathSpotAssets, "1"},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("requests %v, want %v", got, want)
	}
	_, err := c.SpotBalances(ctx(t), sdk.Account{Testnet: true, APIKey: "k", SecretKey: "s"})
	if sdk.KindOf(err) != sdk.KindAuthentication || !strings.Contains(err.Error(), "passphrase") || len(got) != 3 {
		t.Fatalf("no passphrase: %v", err)
	}
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestNoSecretsInLogsOrErrors drives every method through success and
// failure with debug logging captured, and checks that no key, secret,
// passphrase or signature appears in a log line or an error.
func TestNoSecretsInLogsOrErrors(t *testing.T) {
	leaks := plugintest.NewLeaks()
	e := funded(t, true, fake.WithRouteLimit(fake.PathAccountInfo, 100))
	e.c = bitget.New(sdk.WithLogger(leaks.Logger))
	// Answers that echo what they got, as a misbehaving proxy might.
	echo := func(path string) fakex.Fault {
		return fakex.Fault{Path: path, Status: 400, Body: bitgetErr("40017", "Parameter error: "+apiKey+" "+secret+" "+passphrase)}
	}
	keep := leaks.Keep
	c := ctx(t)
	keep(e.c.ValidateCredentials(c, e.acct))
	keep(e.c.SpotBalances(c, e.acct))
	keep(e.c.FuturesAccount(c, e.acct))
	keep(e.c.Positions(c, e.acct))
	keep(e.c.PlaceOrder(c, e.acct, sdk.OrderRequest{Symbol: "BTC/USDT:USDT", Side: "buy", Type: "market", Quantity: d("0.001")}))
	keep(e.c.CancelOrder(c, e.acct, sdk.CancelRequest{Symbol: "BTC/USDT", OrderID: "42"}))
	e.fx.Inject(echo(fake.PathSpotAssets))
	keep(e.c.SpotBalances(c, e.acct))
	e.fx.Inject(echo(fake.PathAccountInfo))
	keep(e.c.ValidateCredentials(c, e.acct))
	e.fx.Inject(fakex.Fault{Path: fake.PathFuturesAccounts, Status: 500, Body: "boom"})
	keep(e.c.FuturesAccount(c, e.acct))
	e.fx.Inject(fakex.Fault{Path: fake.PathFuturesPlace, Malformed: true})
	keep(e.c.PlaceOrder(c, e.acct, sdk.OrderRequest{Symbol: "BTC/USDT:USDT", Side: "buy", Type: "market", Quantity: d("0.001"), PositionSide: "long"}))
	bad := e.acct
	bad.SecretKey = "wrong-" + secret
	keep(e.c.SpotBalances(c, bad))
	keep(e.c.ValidateCredentials(c, bad))
	badPass := e.acct
	badPass.Passphrase = "wrong-" + passphrase
	keep(e.c.Positions(c, badPass))
	unreachable := e.acct
	unreachable.Endpoints = map[string]string{"rest": "http://127.0.0.1:1"}
	keep(e.c.SpotBalances(c, unreachable))
	slow, cancel := context.WithTimeout(c, 50*time.Millisecond)
	defer cancel()
	e.fx.Inject(fakex.Fault{Path: fake.PathSpotPlace, Delay: time.Minute})
	keep(e.c.PlaceOrder(slow, e.acct, sdk.OrderRequest{Symbol: "BTC/USDT", Side: "buy", Type: "market", QuoteQuantity: d("10")}))

	if len(leaks.Errors()) < 16 {
		t.Fatalf("only %d errors collected; the test lost its teeth", len(leaks.Errors())/2)
	}
	secrets := []string{apiKey, secret, passphrase, bad.SecretKey, badPass.Passphrase}
	for _, r := range e.fx.Requests() {
		if sig := r.Header.Get("Access-Sign"); sig != "" {
			secrets = append(secrets, sig)
		}
	}
	if len(secrets) < 15 {
		t.Fatalf("only %d signatures seen", len(secrets)-5)
	}
	leaks.Check(t, "path="+fake.PathSpotAssets, secrets, e.acct)
}
