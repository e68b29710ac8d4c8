package okx_test

import (
	"fmt"
	"log/slog"
	"net/http"
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

// itemErr is a trade answer whose one item failed.
func itemErr(sCode, sMsg string) string {
	return fmt.Sprintf(`{"code":"1","msg":"All operations failed","data":[{"clOrdId":"","ordId":"","tag":"","ts":"1695190491421","sCode":%q,"sMsg":%q,"subCode":""}],"inTime":"1695190491421339","outTime":"1695190491423240"}`, sCode, sMsg)
}

// TestErrorTable injects every code of OKX's documented error table, the
// rate-limit answers and the transport failures, on a read and on an
// order, and checks the kind, the code and the retry-after.
func TestErrorTable(t *testing.T) {
	const readPath, orderPath = "/api/v5/account/balance", "/api/v5/trade/order"
	window := func(d time.Duration) bool { return d == 2*time.Second }
	tests := []plugintest.ErrorRow{
		{Name: "50000 empty body", Order: true, Fault: fakex.Fault{Status: 400, Body: okxErr("50000", "Body for POST request cannot be empty.")}, Kind: sdk.KindInvalidRequest, Code: "50000"},
		{Name: "50001 on a read", Fault: fakex.Fault{Status: 503, Body: okxErr("50001", "Service temporarily unavailable. Please try again later.")}, Kind: sdk.KindUnavailable, Code: "50001"},
		{Name: "50001 on an order", Order: true, Fault: fakex.Fault{Status: 503, Body: okxErr("50001", "Service temporarily unavailable. Please try again later.")}, Kind: sdk.KindUnknownOutcome, Code: "50001"},
		{Name: "50002 JSON syntax", Order: true, Fault: fakex.Fault{Status: 400, Body: okxErr("50002", "JSON syntax error")}, Kind: sdk.KindInvalidRequest, Code: "50002"},
		{Name: "50004 endpoint timeout on a read", Fault: fakex.Fault{Status: 400, Body: okxErr("50004", "API endpoint request timeout")}, Kind: sdk.KindUnavailable, Code: "50004"},
		{Name: "50004 endpoint timeout on an order", Order: true, Fault: fakex.Fault{Status: 400, Body: okxErr("50004", "API endpoint request timeout (does not mean that the request was successful or failed, please check the request result)")}, Kind: sdk.KindUnknownOutcome, Code: "50004"},
		{Name: "50006 content type", Order: true, Fault: fakex.Fault{Status: 400, Body: okxErr("50006", `Invalid Content-Type. Please use "application/JSON".`)}, Kind: sdk.KindInvalidRequest, Code: "50006"},
		{Name: "50011 as HTTP 429", Fault: fakex.Fault{Status: 429, Body: `{"msg":"Too Many Requests","code":"50011"}`}, Kind: sdk.KindRateLimited, Code: "50011", RetryAfter: window},
		{Name: "50011 as HTTP 200", Fault: fakex.Fault{Status: 200, Body: okxErr("50011", "Rate limit reached. Please refer to API documentation and throttle requests accordingly.")}, Kind: sdk.KindRateLimited, Code: "50011", RetryAfter: window},
		{Name: "50011 with a Retry-After from a proxy", Order: true, Fault: fakex.Fault{Status: 429, Header: http.Header{"Retry-After": {"7"}}, Body: `{"msg":"Too Many Requests","code":"50011"}`},
			Kind: sdk.KindRateLimited, Code: "50011", RetryAfter: func(d time.Duration) bool { return d == 7*time.Second }},
		{Name: "429 without a body", Fault: fakex.Fault{Status: 429, Header: http.Header{"Retry-After": {"30"}}, Body: "Too Many Requests"},
			Kind: sdk.KindRateLimited, RetryAfter: func(d time.Duration) bool { return d == 30*time.Second }},
		{Name: "429 ban page without Retry-After", Fault: fakex.Fault{Status: 429, Body: "<html>slow down</html>"}, Kind: sdk.KindRateLimited, RetryAfter: window},
		{Name: "50013 systems busy", Fault: fakex.Fault{Status: 429, Body: okxErr("50013", "Systems are busy. Please try again later.")}, Kind: sdk.KindRateLimited, Code: "50013", RetryAfter: window},
		{Name: "50014 parameter empty", Order: true, Fault: fakex.Fault{Status: 400, Body: okxErr("50014", "Parameter sz can not be empty.")}, Kind: sdk.KindInvalidRequest, Code: "50014"},
		{Name: "50026 system error on a read", Fault: fakex.Fault{Status: 500, Body: okxErr("50026", "System error. Try again later")}, Kind: sdk.KindUnavailable, Code: "50026"},
		{Name: "50026 system error on an order", Order: true, Fault: fakex.Fault{Status: 500, Body: okxErr("50026", "System error. Try again later")}, Kind: sdk.KindUnknownOutcome, Code: "50026"},
		{Name: "50026 as HTTP 200 on an order", Order: true, Fault: fakex.Fault{Status: 200, Body: okxErr("50026", "System error. Try again later")}, Kind: sdk.KindUnknownOutcome, Code: "50026"},
		{Name: "50061 order rate of the sub-account", Order: true, Fault: fakex.Fault{Status: 200, Body: okxErr("50061", "You've reached the maximum order rate limit for this account.")}, Kind: sdk.KindRateLimited, Code: "50061", RetryAfter: window},
		{Name: "50101 environment", Fault: fakex.Fault{Status: 401, Body: `{"msg":"APIKey does not match current environment.","code":"50101"}`}, Kind: sdk.KindAuthentication, Code: "50101"},
		{Name: "50102 twice: the skew survives a resync", Fault: fakex.Fault{Status: 401, Body: `{"msg":"Timestamp request expired","code":"50102"}`, Times: 2}, Kind: sdk.KindClockSkew, Code: "50102"},
		{Name: "50103 no key", Fault: fakex.Fault{Status: 401, Body: `{"msg":"Request header OK-ACCESS-KEY cannot be empty.","code":"50103"}`}, Kind: sdk.KindAuthentication, Code: "50103"},
		{Name: "50104 no passphrase", Fault: fakex.Fault{Status: 401, Body: `{"msg":"Request header OK-ACCESS-PASSPHRASE cannot be empty.","code":"50104"}`}, Kind: sdk.KindAuthentication, Code: "50104"},
		{Name: "50105 bad passphrase", Fault: fakex.Fault{Status: 401, Body: `{"msg":"Request header OK-ACCESS-PASSPHRASE incorrect.","code":"50105"}`}, Kind: sdk.KindAuthentication, Code: "50105"},
		{Name: "50106 no signature", Fault: fakex.Fault{Status: 401, Body: `{"msg":"Request header OK-ACCESS-SIGN cannot be empty.","code":"50106"}`}, Kind: sdk.KindInvalidRequest, Code: "50106"},
		{Name: "50107 no timestamp", Fault: fakex.Fault{Status: 401, Body: `{"msg":"Request header OK-ACCESS-TIMESTAMP cannot be empty.","code":"50107"}`}, Kind: sdk.KindInvalidRequest, Code: "50107"},
		{Name: "50110 IP whitelist", Fault: fakex.Fault{Status: 401, Body: `{"msg":"Your IP 198.51.100.7 is not included in your API key's IP whitelist.","code":"50110"}`}, Kind: sdk.KindPermission, Code: "50110"},
		{Name: "50111 invalid key", Fault: fakex.Fault{Status: 401, Body: `{"msg":"Invalid OK-ACCESS-KEY","code":"50111"}`}, Kind: sdk.KindAuthentication, Code: "50111"},
		{Name: "50112 malformed timestamp", Fault: fakex.Fault{Status: 401, Body: `{"msg":"Invalid OK-ACCESS-TIMESTAMP","code":"50112"}`}, Kind: sdk.KindInvalidRequest, Code: "50112"},
		{Name: "50113 bad signature", Fault: fakex.Fault{Status: 401, Body: `{"msg":"Invalid signature","code":"50113"}`}, Kind: sdk.KindAuthentication, Code: "50113"},
		{Name: "50114 invalid authorization", Fault: fakex.Fault{Status: 401, Body: `{"msg":"Invalid authorization","code":"50114"}`}, Kind: sdk.KindAuthentication, Code: "50114"},
		{Name: "50115 method", Fault: fakex.Fault{Status: 405, Body: okxErr("50115", "Invalid request method.")}, Kind: sdk.KindInvalidRequest, Code: "50115"},
		{Name: "50120 no permission", Order: true, Fault: fakex.Fault{Status: 200, Body: okxErr("50120", "This API key doesn't have permission to use this function")}, Kind: sdk.KindPermission, Code: "50120"},
		{Name: "51000 parameter", Order: true, Fault: fakex.Fault{Status: 400, Body: okxErr("51000", "Parameter posSide error")}, Kind: sdk.KindInvalidRequest, Code: "51000"},
		{Name: "51001 instrument", Order: true, Fault: fakex.Fault{Status: 200, Body: okxErr("51001", "Instrument ID, Instrument ID code or Spread ID doesn't exist.")}, Kind: sdk.KindUnknownSymbol, Code: "51001"},
		{Name: "51008 as sCode", Order: true, Fault: fakex.Fault{Status: 200, Body: itemErr("51008", "Order failed. Insufficient USDT balance in account")}, Kind: sdk.KindInsufficientFunds, Code: "51008"},
		{Name: "51010 account mode", Order: true, Fault: fakex.Fault{Status: 200, Body: itemErr("51010", "Request unsupported under current account mode")}, Kind: sdk.KindUnsupported, Code: "51010"},
		{Name: "51016 duplicate client id", Order: true, Fault: fakex.Fault{Status: 200, Body: itemErr("51016", "Client order ID already exists.")}, Kind: sdk.KindInvalidRequest, Code: "51016"},
		{Name: "51020 minimum", Order: true, Fault: fakex.Fault{Status: 200, Body: itemErr("51020", "Your order should meet or exceed the minimum order amount.")}, Kind: sdk.KindInvalidRequest, Code: "51020"},
		{Name: "51121 lot size", Order: true, Fault: fakex.Fault{Status: 200, Body: itemErr("51121", "Order quantity must be a multiple of the lot size.")}, Kind: sdk.KindInvalidRequest, Code: "51121"},
		{Name: "51131 balance", Order: true, Fault: fakex.Fault{Status: 200, Body: itemErr("51131", "Insufficient balance.")}, Kind: sdk.KindInsufficientFunds, Code: "51131"},
		{Name: "51400 cancel failed", Order: true, Fault: fakex.Fault{Status: 200, Body: itemErr("51400", "Order cancellation failed as the order has been filled, canceled or does not exist.")}, Kind: sdk.KindOrderNotFound, Code: "51400"},
		{Name: "code 1 with an unlisted trade sCode", Order: true, Fault: fakex.Fault{Status: 200, Body: itemErr("54109", "You haven't activated trading for this pair.")}, Kind: sdk.KindInvalidRequest, Code: "54109"},
		{Name: "code 1 without items", Order: true, Fault: fakex.Fault{Status: 200, Body: `{"code":"1","msg":"Operation failed.","data":[]}`}, Kind: sdk.KindInvalidRequest, Code: "1"},
		{Name: "unlisted code on a read", Fault: fakex.Fault{Status: 200, Body: okxErr("59999", "Something new")}, Kind: sdk.KindUnknown, Code: "59999"},
		{Name: "unlisted code behind a 401", Fault: fakex.Fault{Status: 401, Body: okxErr("50199", "New auth rule")}, Kind: sdk.KindAuthentication, Code: "50199"},
		{Name: "numeric code", Fault: fakex.Fault{Status: 401, Body: `{"code":50113,"msg":"Invalid signature"}`}, Kind: sdk.KindAuthentication, Code: "50113"},
		{Name: "500 page on a read", Fault: fakex.Fault{Status: 500, Body: "Internal error"}, Kind: sdk.KindUnavailable},
		{Name: "502 page on a read", Fault: fakex.Fault{Status: 502, Body: "<html>Bad Gateway</html>"}, Kind: sdk.KindUnavailable},
		{Name: "500 page on an order", Order: true, Fault: fakex.Fault{Status: 500, Body: "Internal error"}, Kind: sdk.KindUnknownOutcome},
		{Name: "504 page on an order", Order: true, Fault: fakex.Fault{Status: 504, Body: "<html>Gateway Timeout</html>"}, Kind: sdk.KindUnknownOutcome},
		{Name: "403 page", Fault: fakex.Fault{Status: 403, Body: "<html>Forbidden</html>"}, Kind: sdk.KindPermission},
		{Name: "order accepted without an id", Order: true, Fault: fakex.Fault{Status: 200, Body: `{"code":"0","msg":"","data":[]}`}, Kind: sdk.KindUnknownOutcome},
		{Name: "order answer of the wrong shape", Order: true, Fault: fakex.Fault{Status: 200, Body: `{"code":"0","msg":"","data":{"ordId":1}}`}, Kind: sdk.KindUnknownOutcome},
	}
	plugintest.RunErrorTable(t, tests, func(t *testing.T) plugintest.ErrorSetup {
		e := funded(t, "")
		return plugintest.ErrorSetup{Fake: e.Fake, Exchange: e.C, Account: e.Acct, ReadPath: readPath, OrderPath: orderPath,
			Order: plugintest.SpotBuy}
	})
}

// TestRateLimitEnforced runs against a fake with a small budget: past it
// the fake answers 429 50011 and the connector says how long to wait.
func TestRateLimitEnforced(t *testing.T) {
	e := newEnv(t, fake.WithLimit("/api/v5/account/balance", 3))
	// Start the fake's two-second window so that the calls share it.
	plugintest.StartWindow(e.Fake, 2*time.Second, 100*time.Millisecond)
	var kinds []sdk.Kind
	for range 4 {
		_, err := e.C.SpotBalances(ctx(t), e.Acct)
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
	if _, err := e.C.Positions(ctx(t), e.Acct); err != nil {
		t.Fatalf("positions: %v", err)
	}
}

// TestDemoHeader: a testnet account sends x-simulated-trading: 1 on every
// signed call, with the rest endpoint overridden too; a live one never.
func TestDemoHeader(t *testing.T) {
	for _, demo := range []bool{false, true} {
		t.Run(fmt.Sprintf("testnet=%v", demo), func(t *testing.T) {
			e := newEnv(t)
			e.Fake.AddKey(fake.Key{APIKey: apiKey, Secret: secret, Passphrase: passphrase, Trade: true, Demo: demo})
			e.Acct.Testnet = demo
			if _, err := e.C.ValidateCredentials(ctx(t), e.Acct); err != nil {
				t.Fatal(err)
			}
			if _, err := e.C.PlaceOrder(ctx(t), e.Acct, sdk.OrderRequest{Symbol: "BTC/USDT", Side: "sell", Type: "limit", Quantity: d("1"), Price: d("1")}); sdk.KindOf(err) != sdk.KindInsufficientFunds {
				t.Fatalf("order: %v", err)
			}
			var signed int
			for _, r := range e.Fake.Requests() {
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
	e := funded(t, "")
	e.Fake.Update(apiKey, func(a *fake.Account) {
		a.Positions = []fake.Position{{InstID: "BTC-USDT-SWAP", MgnMode: "cross", PosSide: "net", Pos: "1", AvgPx: "1", MarkPx: "1", Upl: "0", Lever: "1"}}
	})
	// A fake that echoes what it got, as a misbehaving proxy might.
	echo := func(path string) fakex.Fault {
		return fakex.Fault{Path: path, Status: 400, Body: okxErr("51000", "Parameter error: "+apiKey+" "+secret+" "+passphrase)}
	}
	spot := plugintest.Placing(plugintest.SpotBuy)
	swap := sdk.OrderRequest{Symbol: "BTC/USDT:USDT", Side: "buy", Type: "market", Quantity: d("0.01")}
	plugintest.RunLeaks(t, plugintest.LeakRun{
		New:  func(l *slog.Logger) sdk.Exchange { return okx.New(sdk.WithLogger(l)) },
		Fake: e.Fake, Account: e.Acct,
		Order: swap,
		Faults: []plugintest.Faulted{
			{Fault: echo("/api/v5/account/balance"), Call: plugintest.CallSpotBalances},
			{Fault: echo("/api/v5/trade/order"), Call: spot},
			{Fault: fakex.Fault{Path: "/api/v5/account/positions", Status: 500, Body: "boom"}, Call: plugintest.CallPositions},
			{Fault: fakex.Fault{Path: "/api/v5/trade/order", Malformed: true}, Call: plugintest.Placing(swap)},
		},
		Wrong: func(sdk.Account) []plugintest.Wrong {
			badPass, unknown := e.Acct, e.Acct
			badPass.Passphrase = "wrong-" + passphrase
			unknown.APIKey = "unknown-" + apiKey
			return []plugintest.Wrong{
				{Account: badPass, Call: plugintest.CallSpotBalances}, {Account: badPass, Call: plugintest.CallCredentials},
				{Account: unknown, Call: plugintest.CallSpotBalances}, {Account: unknown, Call: plugintest.CallCredentials},
			}
		},
		Slow:       plugintest.Faulted{Fault: fakex.Fault{Path: "/api/v5/trade/order"}, Call: spot},
		Check:      plugintest.LeakCheck{LogMark: "path=/api/v5/account/balance", MinErrors: 12, Secrets: []string{apiKey, secret, passphrase}, MinSignatures: 10},
		Signatures: func(reqs []fakex.Record) []string { return plugintest.HeaderValues(reqs, "OK-ACCESS-SIGN") },
		Redacted:   true,
	})
}
