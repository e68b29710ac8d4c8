package bingx_test

import (
	"strings"
	"testing"

	"github.com/globalautomation/gahost/plugins/bingx/bingx"
	"github.com/globalautomation/gahost/plugins/bingx/fake"
	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/fakex"
	"github.com/globalautomation/gahost/sdk/plugintest"
)

func TestValidateCredentials(t *testing.T) {
	plugintest.RunCredentials(t, func() *fake.Server { return fake.New() }, func() sdk.Exchange { return bingx.New() }, sdk.Account{APIKey: apiKey, SecretKey: secret}, []plugintest.CredentialsRow[fake.Key, fake.Account]{
		{
			Name:  "full key, IP restricted",
			Key:   fake.FullKey(apiKey, secret),
			Perms: sdk.Permissions{CanRead: true, CanTradeSpot: true, CanTradeFutures: true, IPRestricted: true},
			Notes: []string{"position mode: one-way"},
			Calls: map[string]int{"/openApi/v1/account/apiPermissions": 1, "/openApi/swap/v1/positionSide/dual": 1},
		},
		{
			Name:    "hedge mode is noted",
			Key:     fake.FullKey(apiKey, secret),
			Account: fake.Account{HedgeMode: true},
			Perms:   sdk.Permissions{CanRead: true, CanTradeSpot: true, CanTradeFutures: true, IPRestricted: true},
			Notes:   []string{"position mode: hedge"},
		},
		{
			Name:  "read-only key, any IP, can withdraw",
			Key:   fake.Key{APIKey: apiKey, Secret: secret, Permissions: []int{fake.PermRead, fake.PermWithdraw}},
			Perms: sdk.Permissions{CanRead: true, CanWithdraw: true},
			Notes: []string{"spot trading is not enabled", "perpetual futures trading is not enabled", "any IP address", "can withdraw"},
		},
		{
			Name:  "transfer right is noted",
			Key:   fake.Key{APIKey: apiKey, Secret: secret, Permissions: []int{fake.PermRead, fake.PermTransfer}, IPAddresses: []string{"127.0.0.1"}},
			Perms: sdk.Permissions{CanRead: true, IPRestricted: true},
			Notes: []string{"transfer funds"},
		},
		{
			Name: "no read permission",
			Key:  fake.Key{APIKey: apiKey, Secret: secret, Permissions: []int{fake.PermSpotTrade}},
			Kind: sdk.KindPermission,
			Text: "Read permission",
		},
		{
			Name: "IP not whitelisted",
			Key:  fake.Key{APIKey: apiKey, Secret: secret, Permissions: []int{fake.PermRead}, IPAddresses: []string{"203.0.113.9"}},
			Kind: sdk.KindPermission,
			Code: "100419",
			Text: "IP whitelist",
		},
		{
			Name: "unknown key",
			Key:  fake.FullKey("another-key", secret),
			Kind: sdk.KindAuthentication,
			Code: "100413",
			Text: "does not know this API key",
		},
		{
			Name: "wrong secret",
			Key:  fake.FullKey(apiKey, "not-the-secret-the-connector-has"),
			Kind: sdk.KindAuthentication,
			Code: "100001",
			Text: "secret key does not belong",
		},
	})
}

// TestValidateAnswerShapes: the permissions example has no envelope,
// and the position mode may come as a bool.
func TestValidateAnswerShapes(t *testing.T) {
	tests := []struct {
		name, perms, mode string
		want              sdk.Permissions
		note              string
	}{
		{"bare permissions object", `{"apiKey":"","permissions":[1,2],"ipAddresses":[],"note":"demo"}`, envelope(`{"dualSidePosition":"true"}`),
			sdk.Permissions{CanRead: true, CanTradeSpot: true}, "hedge"},
		{"codes as strings, mode as a bool", envelope(`{"permissions":["2","3"],"ipAddresses":["1.2.3.4"]}`), envelope(`{"dualSidePosition":false}`),
			sdk.Permissions{CanRead: true, CanTradeFutures: true, IPRestricted: true}, "one-way"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.Fake.Inject(fakex.Fault{Path: "/openApi/v1/account/apiPermissions", Status: 200, Body: tt.perms})
			e.Fake.Inject(fakex.Fault{Path: "/openApi/swap/v1/positionSide/dual", Status: 200, Body: tt.mode})
			got, err := e.C.ValidateCredentials(ctx(t), e.Acct)
			if err != nil {
				t.Fatal(err)
			}
			notes := strings.Join(got.Notes, " | ")
			got.Notes = nil
			if got.CanRead != tt.want.CanRead || got.CanTradeSpot != tt.want.CanTradeSpot ||
				got.CanTradeFutures != tt.want.CanTradeFutures || got.IPRestricted != tt.want.IPRestricted {
				t.Errorf("permissions %+v, want %+v", got, tt.want)
			}
			if !strings.Contains(notes, "position mode: "+tt.note) {
				t.Errorf("notes %q", notes)
			}
		})
	}
}

func TestValidateSwapRefused(t *testing.T) {
	e := newEnv(t)
	e.Fake.Inject(fakex.Fault{Path: "/openApi/swap/v1/positionSide/dual", Status: 200,
		Body: bingxErr(100004, "Permission denied as the API key was created without the permission")})
	got, err := e.C.ValidateCredentials(ctx(t), e.Acct)
	if err != nil {
		t.Fatal(err)
	}
	if got.CanTradeFutures || !got.CanTradeSpot || !strings.Contains(strings.Join(got.Notes, " "), "perpetual swap account refuses") {
		t.Fatalf("permissions %+v", got)
	}
}

func TestSpotBalances(t *testing.T) {
	// The fake answers its amounts as strings; TestSpotBalancesMalformed
	// feeds it what it must refuse.
	plugintest.RunBalances(t, "", nil, func(s plugintest.Spot) fake.Balance {
		return fake.Balance{Asset: s.Asset, Free: s.Free, Locked: s.Locked}
	}, func(t *testing.T, rows []fake.Balance) plugintest.Arranged {
		e := newEnv(t)
		e.Fake.Update(apiKey, func(a *fake.Account) { a.Spot = rows })
		return e.Arranged(func(t *testing.T) {
			last := plugintest.LastRequest(t, e.Fake)
			if last.Path != "/openApi/spot/v1/account/balance" || !strings.HasPrefix(last.Query, "timestamp=") || len(last.Body) != 0 {
				t.Errorf("request %s?%s", last.Path, last.Query)
			}
			if last.Header.Get("X-BX-APIKEY") != apiKey {
				t.Error("no key header")
			}
		})
	})
}

func TestSpotBalancesMalformed(t *testing.T) {
	e := newEnv(t)
	plugintest.RunMalformedSpot(t, e.C, e.Acct, []fake.Balance{{Asset: "BTC", Free: "1e-5", Locked: "0"}, {Asset: "BTC", Free: "", Locked: "0"}, {Asset: "", Free: "1", Locked: "0"}}, func(bad fake.Balance) {
		e.Fake.Update(apiKey, func(a *fake.Account) { a.Spot = []fake.Balance{bad} })
	})
}

func TestFuturesAccount(t *testing.T) {
	plugintest.RunFutures(t, "testdata/futures.txt", []plugintest.Holding[[]fake.SwapAsset]{
		{Name: "USDT row among others", Setup: []fake.SwapAsset{
			{Asset: "USDC", Balance: "5", Equity: "5", UnrealizedProfit: "0", AvailableMargin: "5"},
			{Asset: "USDT", Balance: "194.8212", Equity: "196.7431", UnrealizedProfit: "1.9219", AvailableMargin: "193.7609"},
		}},
	}, func(t *testing.T, rows []fake.SwapAsset) plugintest.Arranged {
		e := newEnv(t)
		e.Fake.Update(apiKey, func(a *fake.Account) { a.Swap = rows })
		return e.Arranged(func(t *testing.T) {
			if e.Fake.Calls("/openApi/swap/v3/user/balance") != 1 {
				t.Errorf("v3 calls %d", e.Fake.Calls("/openApi/swap/v3/user/balance"))
			}
		})
	})
}

// TestFuturesAccountShapes feeds the answer shapes BingX's swap balance may take.
func TestFuturesAccountShapes(t *testing.T) {
	row := `{"userId":"1","asset":"USDT","balance":"10.5","equity":"11","unrealizedProfit":"0.5","realisedProfit":"0","availableMargin":"9","usedMargin":"1","freezedMargin":"0"}`
	tests := []struct {
		name, body    string
		wallet, avail string
		malformed     bool
	}{
		{"v3 list", envelope("[" + row + "]"), "10.5", "9", false},
		{"v2 object", envelope(`{"balance":` + row + `}`), "10.5", "9", false},
		{"bare object", envelope(row), "10.5", "9", false},
		{"numbers instead of strings", envelope(`[{"asset":"USDT","balance":10.5,"equity":11,"unrealizedProfit":0.5,"availableMargin":9}]`), "10.5", "9", false},
		{"empty list", envelope(`[]`), "0", "0", false},
		{"null data", envelope(`null`), "0", "0", false},
		{"no USDT row", envelope(`[{"asset":"USDC","balance":"1","equity":"1","unrealizedProfit":"0","availableMargin":"1"}]`), "0", "0", false},
		{"VST row is not USDT on mainnet", envelope(`[{"asset":"VST","balance":"1","equity":"1","unrealizedProfit":"0","availableMargin":"1"}]`), "0", "0", false},
		{"garbage amount", envelope(`[{"asset":"USDT","balance":"ten","equity":"1","unrealizedProfit":"0","availableMargin":"1"}]`), "", "", true},
		{"data a string", envelope(`"x"`), "", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.Fake.Inject(fakex.Fault{Path: "/openApi/swap/v3/user/balance", Status: 200, Body: tt.body})
			got, err := e.C.FuturesAccount(ctx(t), e.Acct)
			if tt.malformed {
				if err == nil || sdk.KindOf(err) != sdk.KindUnknown || !strings.Contains(err.Error(), "malformed") {
					t.Fatalf("err = %v, want a malformed answer", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Asset != "USDT" {
				t.Errorf("asset %q", got.Asset)
			}
			eq(t, "wallet", got.WalletBalance, tt.wallet)
			eq(t, "available", got.AvailableBalance, tt.avail)
		})
	}
}

// TestDemo points a testnet account at a fake demo host through the
// override: the swap works, spot is empty or unsupported without a call.
func TestDemo(t *testing.T) {
	e := newEnv(t, fake.WithVST())
	e.Acct.Testnet = true
	e.Fake.Update(apiKey, func(a *fake.Account) {
		a.Swap = []fake.SwapAsset{{Asset: "VST", Balance: "20000", Equity: "20000", UnrealizedProfit: "0", AvailableMargin: "20000"}}
		a.HedgeMode = true
	})
	p, err := e.C.ValidateCredentials(ctx(t), e.Acct)
	if err != nil {
		t.Fatal(err)
	}
	notes := strings.Join(p.Notes, " | ")
	if !p.CanRead || !p.CanTradeFutures || p.CanTradeSpot || !strings.Contains(notes, "demo (VST)") || !strings.Contains(notes, "hedge") {
		t.Errorf("demo permissions %+v", p)
	}
	bals, err := e.C.SpotBalances(ctx(t), e.Acct)
	if err != nil || bals == nil || len(bals) != 0 {
		t.Errorf("demo spot balances %v, %v", bals, err)
	}
	fa, err := e.C.FuturesAccount(ctx(t), e.Acct)
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "demo wallet", fa.WalletBalance, "20000")
	if _, err := e.C.PlaceOrder(ctx(t), e.Acct, sdk.OrderRequest{Symbol: "BTC/USDT", Side: "buy", Type: "market", QuoteQuantity: d("10")}); sdk.KindOf(err) != sdk.KindUnsupported {
		t.Errorf("demo spot order: %v", err)
	}
	if _, err := e.C.CancelOrder(ctx(t), e.Acct, sdk.CancelRequest{Symbol: "BTC/USDT", OrderID: "1"}); sdk.KindOf(err) != sdk.KindUnsupported {
		t.Errorf("demo spot cancel: %v", err)
	}
	o, err := e.C.PlaceOrder(ctx(t), e.Acct, sdk.OrderRequest{Symbol: "BTC/USDT:USDT", Side: "buy", Type: "market", Quantity: d("0.01")})
	if err != nil || o.Status != sdk.StatusFilled {
		t.Fatalf("demo swap order %+v, %v", o, err)
	}
	for _, r := range e.Fake.Requests() {
		if strings.HasPrefix(r.Path, "/openApi/spot/") || r.Status == 404 {
			t.Errorf("demo call to %s answered %d", r.Path, r.Status)
		}
	}
	// A key without credentials still fails in the demo.
	if _, err := e.C.SpotBalances(ctx(t), sdk.Account{Testnet: true}); sdk.KindOf(err) != sdk.KindAuthentication {
		t.Errorf("demo without keys: %v", err)
	}
}
