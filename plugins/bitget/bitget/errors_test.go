package bitget_test

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/globalautomation/gahost/plugins/bitget/bitget"
	"github.com/globalautomation/gahost/plugins/bitget/fake"
	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/fakex"
	"github.com/globalautomation/gahost/sdk/plugintest"
	"github.com/globalautomation/gahost/sdk/rest"
)

func bitgetErr(code, msg string) string {
	return fmt.Sprintf(`{"code":%q,"msg":%q,"requestTime":1695808949356,"data":null}`, code, msg)
}

// TestErrorTable injects every code of Bitget's documented error table, the
// rate-limit and ban answers and the transport failures, on a read and on
// an order, and checks the kind the host gets.
func TestErrorTable(t *testing.T) {
	type tc = plugintest.ErrorRow
	// wait wants exactly d.
	wait := func(w time.Duration) func(time.Duration) bool { return func(d time.Duration) bool { return d == w } }
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
				tests = append(tests, tc{Name: fmt.Sprintf("%s order=%v", c, order), Order: order,
					Fault: fakex.Fault{Status: 400, Body: bitgetErr(c, "message of "+c)}, Kind: row.kind, Code: c})
			}
		}
	}
	// Clock codes twice: the connector resyncs and retries once, so only a
	// second refusal reaches the caller.
	for _, c := range []string{"40005", "40008", "40078", "40079"} {
		tests = append(tests, tc{Name: c + " twice", Fault: fakex.Fault{Status: 400, Body: bitgetErr(c, "Request timestamp expired"), Times: 2},
			Kind: sdk.KindClockSkew, Code: c})
	}
	for _, c := range []string{"40015", "40200", "40725", "45001"} {
		tests = append(tests, tc{Name: c + " on a read", Fault: fakex.Fault{Status: 400, Body: bitgetErr(c, "busy")}, Kind: sdk.KindUnavailable, Code: c})
	}
	// 40085 says the key's account is a UTA: the connector sends the call
	// again through V3, where this Classic key gets 40084 (an account
	// switching modes), which reaches the caller.
	for _, order := range []bool{false, true} {
		tests = append(tests, tc{Name: fmt.Sprintf("40085 then 40084 order=%v", order), Order: order,
			Fault: fakex.Fault{Status: 400, Body: bitgetErr("40085", "Unified Account mode")}, Kind: sdk.KindPermission, Code: "40084"})
	}
	tests = append(tests,
		// The busy codes may hide a placed order; an upgrade turns it away.
		tc{Name: "40015 on an order", Order: true, Fault: fakex.Fault{Status: 400, Body: bitgetErr("40015", "System is abnormal, please try again later")}, Kind: sdk.KindUnknownOutcome, Code: "40015"},
		tc{Name: "40725 on an order", Order: true, Fault: fakex.Fault{Status: 400, Body: bitgetErr("40725", "service return an error")}, Kind: sdk.KindUnknownOutcome, Code: "40725"},
		tc{Name: "45001 on an order", Order: true, Fault: fakex.Fault{Status: 200, Body: bitgetErr("45001", "Unknown error")}, Kind: sdk.KindUnknownOutcome, Code: "45001"},
		tc{Name: "40200 on an order", Order: true, Fault: fakex.Fault{Status: 400, Body: bitgetErr("40200", "Server upgrade, please try again later")}, Kind: sdk.KindUnavailable, Code: "40200"},
		tc{Name: "an error code inside HTTP 200", Fault: fakex.Fault{Status: 200, Body: bitgetErr("40009", "sign signature error")}, Kind: sdk.KindAuthentication, Code: "40009"},
		tc{Name: "a numeric code", Fault: fakex.Fault{Status: 400, Body: `{"code":40012,"msg":"apikey/password is incorrect"}`}, Kind: sdk.KindAuthentication, Code: "40012"},
		tc{Name: "message instead of msg", Fault: fakex.Fault{Status: 400, Body: `{"code":"43012","message":"Insufficient balance"}`}, Kind: sdk.KindInsufficientFunds, Code: "43012"},
		tc{Name: "429 with code 429", Fault: fakex.Fault{Status: 429, Body: bitgetErr("429", "Too Many Requests")}, Kind: sdk.KindRateLimited, Code: "429", RetryAfter: wait(time.Second)},
		tc{Name: "429 on an order", Order: true, Fault: fakex.Fault{Status: 429, Body: bitgetErr("429", "Too Many Requests")}, Kind: sdk.KindRateLimited, Code: "429", RetryAfter: wait(time.Second)},
		tc{Name: "429 with Retry-After", Fault: fakex.Fault{Status: 429, Header: http.Header{"Retry-After": {"7"}}, Body: bitgetErr("429", "Too Many Requests")}, Kind: sdk.KindRateLimited, Code: "429", RetryAfter: wait(7 * time.Second)},
		tc{Name: "429 without a body", Fault: fakex.Fault{Status: 429, Body: "Too Many Requests"}, Kind: sdk.KindRateLimited, RetryAfter: wait(time.Second)},
		tc{Name: "403 ban", Fault: fakex.Fault{Status: 403, Body: "<html>Access denied</html>"}, Kind: sdk.KindRateLimited, RetryAfter: wait(5 * time.Minute)},
		tc{Name: "403 ban with Retry-After", Fault: fakex.Fault{Status: 403, Header: http.Header{"Retry-After": {"120"}}, Body: ""}, Kind: sdk.KindRateLimited, RetryAfter: wait(2 * time.Minute)},
		tc{Name: "503 with an unknown code on a read", Fault: fakex.Fault{Status: 503, Body: bitgetErr("50001", "busy")}, Kind: sdk.KindUnavailable, Code: "50001"},
		tc{Name: "502 on an order", Order: true, Fault: fakex.Fault{Status: 502, Body: "<html>Bad Gateway</html>"}, Kind: sdk.KindUnknownOutcome},
		tc{Name: "504 with a Bitget body on an order", Order: true, Fault: fakex.Fault{Status: 504, Body: bitgetErr("40010", "gateway timeout")}, Kind: sdk.KindUnknownOutcome, Code: "40010"},
		tc{Name: "404", Fault: fakex.Fault{Status: 404, Body: "not found"}, Kind: sdk.KindInvalidRequest},
		tc{Name: "success without data on a read", Fault: fakex.Fault{Status: 200, Body: `{"code":"00000","msg":"success","data":{"x":1}}`}, Kind: sdk.KindUnknown},
		tc{Name: "success with unreadable data on an order", Order: true, Fault: fakex.Fault{Status: 200, Body: `{"code":"00000","msg":"success","data":[1]}`}, Kind: sdk.KindUnknownOutcome},
		tc{Name: "an envelope without a code", Fault: fakex.Fault{Status: 200, Body: `{"data":[]}`}, Kind: sdk.KindUnknown},
	)
	plugintest.RunErrorTable(t, tests, func(t *testing.T) plugintest.ErrorSetup {
		e := funded(t, false)
		return plugintest.ErrorSetup{Fake: e.Fake, Exchange: e.C, Account: e.Acct, ReadPath: fake.PathSpotAssets, OrderPath: fake.PathFuturesPlace,
			Order: plugintest.FuturesBuy,
			Check: func(t *testing.T, row plugintest.ErrorRow, se *sdk.Error) {
				if row.Kind == sdk.KindUnknownOutcome && !strings.Contains(se.Message, "auto-1") {
					t.Errorf("unknown outcome does not name the client order id: %s", se.Message)
				}
			}}
	})
}

// TestRateLimitsAndUsage: the fake enforces the per-endpoint limits and
// says what is left in x-mbx-used-remain-limit; the connector reports it
// as usage of the endpoint's limit and maps the 429 to rate limited.
func TestRateLimitsAndUsage(t *testing.T) {
	e := funded(t, false, fake.WithRouteLimit(fake.PathSpotAssets, 3))
	// Start the fake's second so that the calls share one window.
	plugintest.StartWindow(e.Fake, time.Second, 10*time.Millisecond)
	c, rec := plugintest.Recording(t)
	for i := int64(1); i <= 3; i++ {
		if _, err := e.C.SpotBalances(c, e.Acct); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
		u := rec.Usage()
		want := sdk.RateUsage{Name: "uid_requests", Used: 10 - (3 - i), Limit: 10, Interval: time.Second}
		if len(u) == 0 || u[len(u)-1] != want {
			t.Fatalf("call %d: usage %+v, want %+v", i, u, want)
		}
	}
	_, err := e.C.SpotBalances(c, e.Acct)
	if sdk.KindOf(err) != sdk.KindRateLimited || rest.ExchangeCode(err) != "429" || sdk.RetryAfter(err) != time.Second {
		t.Fatalf("over the limit: %v (retry after %v)", err, sdk.RetryAfter(err))
	}
	if u := rec.Usage(); u[len(u)-1].Used != 10 {
		t.Fatalf("usage after the 429 %+v", u)
	}
	// Another endpoint has its own window; positions count against 5/s.
	if _, err := e.C.Positions(c, e.Acct); err != nil {
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
	if e.Fake.Calls(fake.PathSpotAssets) != 4 {
		t.Fatalf("calls %d", e.Fake.Calls(fake.PathSpotAssets))
	}
}

// TestIPBudget: past the overall per-IP budget every call is refused.
func TestIPBudget(t *testing.T) {
	e := funded(t, false, fake.WithIPLimit(3))
	plugintest.StartWindow(e.Fake, time.Minute, time.Second)
	// time + assets, then assets: 3 requests.
	for range 2 {
		if _, err := e.C.SpotBalances(ctx(t), e.Acct); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.C.FuturesAccount(ctx(t), e.Acct); sdk.KindOf(err) != sdk.KindRateLimited {
		t.Fatalf("over the IP budget: %v", err)
	}
}

// TestDemoHeaderWithOverride: a testnet (Demo Trading) account sends the
// paptrading header although its endpoint is overridden; a live one never.
func TestDemoHeaderWithOverride(t *testing.T) {
	e := newEnv(t)
	demo := fake.FullKey("demo-key-1", secret, passphrase)
	demo.Demo = true
	e.Fake.AddKey(demo)
	e.Fake.Update("demo-key-1", func(a *fake.Account) { a.Spot = []fake.Balance{{Coin: "USDT", Available: "50000"}} })
	acct := e.Acct
	acct.APIKey, acct.Testnet = "demo-key-1", true
	got, err := e.C.SpotBalances(ctx(t), acct)
	if err != nil || len(got) != 1 || !got[0].Free.Equal(d("50000")) {
		t.Fatalf("demo balances %+v, %v", got, err)
	}
	if _, err := e.C.SpotBalances(ctx(t), e.Acct); err != nil {
		t.Fatalf("live: %v", err)
	}
	var demoCalls, liveCalls int
	for _, r := range e.Fake.Requests() {
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
	e := funded(t, true, fake.WithRouteLimit(fake.PathAccountInfo, 100))
	// Answers that echo what they got, as a misbehaving proxy might.
	echo := func(path string) fakex.Fault {
		return fakex.Fault{Path: path, Status: 400, Body: bitgetErr("40017", "Parameter error: "+apiKey+" "+secret+" "+passphrase)}
	}
	plugintest.RunLeaks(t, plugintest.LeakRun{
		New:  func(l *slog.Logger) sdk.Exchange { return bitget.New(sdk.WithLogger(l)) },
		Fake: e.Fake, Account: e.Acct,
		Order: plugintest.FuturesBuy,
		Faults: []plugintest.Faulted{
			{Fault: echo(fake.PathSpotAssets), Call: plugintest.CallSpotBalances},
			{Fault: echo(fake.PathAccountInfo), Call: plugintest.CallCredentials},
			{Fault: fakex.Fault{Path: fake.PathFuturesAccounts, Status: 500, Body: "boom"}, Call: plugintest.CallFuturesAccount},
			{Fault: fakex.Fault{Path: fake.PathFuturesPlace, Malformed: true},
				Call: plugintest.Placing(plugintest.HedgedBuy)},
		},
		Wrong: func(sdk.Account) []plugintest.Wrong {
			badPass := e.Acct
			badPass.Passphrase = "wrong-" + passphrase
			return []plugintest.Wrong{{Account: badPass, Call: plugintest.CallPositions}}
		},
		Slow:       plugintest.Faulted{Fault: fakex.Fault{Path: fake.PathSpotPlace}, Call: plugintest.Placing(sdk.OrderRequest{Symbol: "BTC/USDT", Side: "buy", Type: "market", QuoteQuantity: d("10")})},
		Check:      plugintest.LeakCheck{LogMark: "path=" + fake.PathSpotAssets, MinErrors: 8, Secrets: []string{apiKey, secret, passphrase}, MinSignatures: 10},
		Signatures: func(reqs []fakex.Record) []string { return plugintest.HeaderValues(reqs, "Access-Sign") },
	})
}
