package binance_test

import (
	"context"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/globalautomation/gahost/plugins/binance/fake"
	"github.com/globalautomation/gahost/sdk"
)

func TestInfo(t *testing.T) {
	e := newEnv(t)
	info, err := e.c.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if info.Name != "binance" || info.DisplayName != "Binance" || info.Version != "1.2.3" {
		t.Errorf("names: %+v", info)
	}
	if info.RequiresPassphrase || !info.SupportsTestnet {
		t.Errorf("flags: %+v", info)
	}
	if !slices.Equal(info.EndpointKeys, []string{"spot", "futures"}) {
		t.Errorf("endpoint keys %v", info.EndpointKeys)
	}
	for _, c := range []string{sdk.CapSpotBalances, sdk.CapFuturesAccount, sdk.CapPositions, sdk.CapOrders} {
		if !info.Has(c) || info.CallCosts[c] <= 0 {
			t.Errorf("capability %s: has=%v cost=%d", c, info.Has(c), info.CallCosts[c])
		}
	}
	want := sdk.RateLimit{Name: "request_weight", Limit: 6000, Interval: time.Minute, Scope: sdk.ScopeIP}
	if len(info.RateLimits) == 0 || info.RateLimits[0] != want {
		t.Errorf("first rate limit %+v, want %+v", info.RateLimits, want)
	}
	if info.CallCosts[sdk.CapSpotBalances] != 20 {
		t.Errorf("spot balances cost %d, want 20 (GET /api/v3/account)", info.CallCosts[sdk.CapSpotBalances])
	}
	// Costs name the budget of the host each call goes to: spot (/api)
	// and futures (/fapi) are counted apart, under the names usage reports.
	declared := map[string]bool{}
	for _, l := range info.RateLimits {
		declared[l.Name] = l.Scope == sdk.ScopeIP
	}
	got := map[[2]string]int64{}
	for _, c := range info.Costs {
		if !declared[c.Limit] {
			t.Errorf("cost %+v draws on no declared per-IP limit", c)
		}
		got[[2]string{c.Call, c.Limit}] += c.Cost
	}
	wantCosts := map[[2]string]int64{
		{sdk.CapSpotBalances, "request_weight"}:           20,
		{sdk.CapFuturesAccount, "futures_request_weight"}: 5,
		{sdk.CapPositions, "futures_request_weight"}:      10,
		{sdk.CapOrders, "request_weight"}:                 1,
		{sdk.CapOrders, "futures_request_weight"}:         1,
		{sdk.CapValidate, "request_weight"}:               20,
		{sdk.CapValidate, "futures_request_weight"}:       5,
	}
	if !maps.Equal(got, wantCosts) {
		t.Errorf("costs %v, want %v", got, wantCosts)
	}
}

func TestValidateCredentials(t *testing.T) {
	tests := []struct {
		name      string
		key       fake.Key
		hedge     bool
		testnet   bool
		want      sdk.Permissions
		notes     []string // substrings that must appear in the notes
		kind      sdk.Kind // error kind; 0 for none
		errSubstr string
		calls     map[string]int
	}{
		{
			name:  "full key, IP restricted",
			key:   fake.FullKey(apiKey, secret),
			want:  sdk.Permissions{CanRead: true, CanTradeSpot: true, CanTradeFutures: true, IPRestricted: true},
			notes: []string{"position mode: one-way"},
			calls: map[string]int{"/sapi/v1/account/apiRestrictions": 1, "/fapi/v1/accountConfig": 1, "/api/v3/account": 0},
		},
		{
			name:  "hedge mode is noted",
			key:   fake.FullKey(apiKey, secret),
			hedge: true,
			want:  sdk.Permissions{CanRead: true, CanTradeSpot: true, CanTradeFutures: true, IPRestricted: true},
			notes: []string{"position mode: hedge"},
		},
		{
			name: "futures not enabled on the key",
			key: fake.Key{APIKey: apiKey, Secret: secret, EnableReading: true, EnableSpotAndMarginTrading: true,
				IPRestrict: true, AllowedIPs: []string{"127.0.0.1"}},
			want:  sdk.Permissions{CanRead: true, CanTradeSpot: true, IPRestricted: true},
			notes: []string{"futures is not enabled on this key"},
			calls: map[string]int{"/fapi/v1/accountConfig": 0},
		},
		{
			name: "unrestricted key that can withdraw",
			key: fake.Key{APIKey: apiKey, Secret: secret, EnableReading: true, EnableFutures: true,
				EnableWithdrawals: true},
			want:  sdk.Permissions{CanRead: true, CanTradeFutures: true, CanWithdraw: true},
			notes: []string{"spot trading is not enabled", "any IP address", "can withdraw"},
		},
		{
			name:      "reading not enabled",
			key:       fake.Key{APIKey: apiKey, Secret: secret, EnableSpotAndMarginTrading: true},
			kind:      sdk.KindPermission,
			errSubstr: "Enable Reading",
		},
		{
			name: "IP not whitelisted",
			key: fake.Key{APIKey: apiKey, Secret: secret, EnableReading: true, EnableFutures: true,
				IPRestrict: true, AllowedIPs: []string{"203.0.113.9"}},
			kind:      sdk.KindAuthentication,
			errSubstr: "IP address is not on the key's IP whitelist",
		},
		{
			name:      "unknown key",
			key:       fake.FullKey("another-key", secret),
			kind:      sdk.KindAuthentication,
			errSubstr: "does not exist on mainnet",
		},
		{
			name:      "wrong secret",
			key:       fake.FullKey(apiKey, "not-the-secret-the-connector-has"),
			kind:      sdk.KindAuthentication,
			errSubstr: "secret key does not belong",
		},
		{
			name:    "test environment reads the account instead of /sapi",
			key:     fake.FullKey(apiKey, secret),
			testnet: true,
			want:    sdk.Permissions{CanRead: true, CanTradeSpot: true, CanTradeFutures: true},
			notes:   []string{"test environment"},
			calls:   map[string]int{"/sapi/v1/account/apiRestrictions": 0, "/api/v3/account": 1, "/fapi/v1/accountConfig": 1},
		},
		{
			name:    "test environment, futures rejects the key",
			key:     fake.Key{APIKey: apiKey, Secret: secret, EnableReading: true, EnableSpotAndMarginTrading: true},
			testnet: true,
			want:    sdk.Permissions{CanRead: true, CanTradeSpot: true},
			notes:   []string{"futures test environment rejects this key"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			if tt.key.APIKey != apiKey {
				e.fx = fake.New()
				t.Cleanup(e.fx.Close)
				e.acct.Endpoints = map[string]string{"spot": e.fx.URL(), "futures": e.fx.URL()}
			}
			e.fx.AddKey(tt.key)
			e.fx.Update(apiKey, func(a *fake.Account) { a.HedgeMode = tt.hedge })
			e.acct.Testnet = tt.testnet
			got, err := e.c.ValidateCredentials(ctx(t), e.acct)
			if tt.kind != 0 {
				if sdk.KindOf(err) != tt.kind || !strings.Contains(err.Error(), tt.errSubstr) {
					t.Fatalf("err = %v (kind %v), want kind %v containing %q", err, sdk.KindOf(err), tt.kind, tt.errSubstr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			notes := strings.Join(got.Notes, " | ")
			got.Notes = nil
			if got.CanRead != tt.want.CanRead || got.CanTradeSpot != tt.want.CanTradeSpot ||
				got.CanTradeFutures != tt.want.CanTradeFutures || got.CanWithdraw != tt.want.CanWithdraw ||
				got.IPRestricted != tt.want.IPRestricted {
				t.Fatalf("permissions %+v, want %+v", got, tt.want)
			}
			for _, n := range tt.notes {
				if !strings.Contains(notes, n) {
					t.Errorf("notes %q lack %q", notes, n)
				}
			}
			for path, n := range tt.calls {
				if c := e.fx.Calls(path); c != n {
					t.Errorf("calls to %s = %d, want %d", path, c, n)
				}
			}
		})
	}
}

func TestSpotBalances(t *testing.T) {
	e := newEnv(t)
	e.fx.Update(apiKey, func(a *fake.Account) {
		a.Spot = []fake.Balance{
			{Asset: "BTC", Free: "4723846.89208129", Locked: "0.00000000"},
			{Asset: "LTC", Free: "0.00000000", Locked: "0.00000000"},
			{Asset: "USDT", Free: "0.00000001", Locked: "12.50000000"},
			{Asset: "ETH", Free: "0.00000000", Locked: "1.00000000"},
		}
	})
	got, err := e.c.SpotBalances(ctx(t), e.acct)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 {
		t.Fatalf("balances %+v, want 3 (zero LTC left out)", got)
	}
	want := []struct{ asset, free, locked, total string }{
		{"BTC", "4723846.89208129", "0", "4723846.89208129"},
		{"USDT", "0.00000001", "12.5", "12.50000001"},
		{"ETH", "0", "1", "1"},
	}
	for i, w := range want {
		b := got[i]
		if b.Asset != w.asset {
			t.Fatalf("balance %d asset %q, want %q", i, b.Asset, w.asset)
		}
		eq(t, w.asset+".free", b.Free, w.free)
		eq(t, w.asset+".locked", b.Locked, w.locked)
		eq(t, w.asset+".total", b.Total(), w.total)
	}
	// Exact strings survive: no float rounding on the way.
	if got[0].Free.String() != "4723846.89208129" {
		t.Errorf("free as string %q", got[0].Free.String())
	}
	reqs := e.fx.Requests()
	last := reqs[len(reqs)-1]
	if last.Path != "/api/v3/account" || !strings.HasPrefix(last.Query, "omitZeroBalances=true&recvWindow=5000&timestamp=") {
		t.Errorf("request %s?%s", last.Path, last.Query)
	}
	if e.fx.Weight("/api/v3/account") != 20 {
		t.Errorf("weight %d", e.fx.Weight("/api/v3/account"))
	}
}

func TestSpotBalancesEmptyAndMalformed(t *testing.T) {
	e := newEnv(t)
	got, err := e.c.SpotBalances(ctx(t), e.acct)
	if err != nil || got == nil || len(got) != 0 {
		t.Fatalf("empty account: %v, %v (want an empty, non-nil list)", got, err)
	}
	e.fx.Update(apiKey, func(a *fake.Account) { a.Spot = []fake.Balance{{Asset: "BTC", Free: "1e-5", Locked: "0"}} })
	_, err = e.c.SpotBalances(ctx(t), e.acct)
	if sdk.KindOf(err) != sdk.KindUnknown || !strings.Contains(err.Error(), "malformed") {
		t.Fatalf("malformed amount: %v", err)
	}
}

func TestFuturesAccount(t *testing.T) {
	e := newEnv(t)
	e.fx.Update(apiKey, func(a *fake.Account) {
		a.Futures = []fake.FuturesAsset{
			{Asset: "BNB", WalletBalance: "3.00000000", UnrealizedProfit: "0", MarginBalance: "3", AvailableBalance: "3"},
			{Asset: "USDT", WalletBalance: "23.72469206", UnrealizedProfit: "-1.50000000", MarginBalance: "22.22469206", AvailableBalance: "20.10000000"},
		}
	})
	got, err := e.c.FuturesAccount(ctx(t), e.acct)
	if err != nil {
		t.Fatal(err)
	}
	if got.Asset != "USDT" {
		t.Errorf("asset %q", got.Asset)
	}
	eq(t, "wallet", got.WalletBalance, "23.72469206")
	eq(t, "unrealized", got.UnrealizedPnL, "-1.5")
	eq(t, "margin", got.MarginBalance, "22.22469206")
	eq(t, "available", got.AvailableBalance, "20.1")
	if e.fx.Calls("/fapi/v3/account") != 1 || e.fx.Weight("/fapi/v3/account") != 5 {
		t.Errorf("calls %d weight %d", e.fx.Calls("/fapi/v3/account"), e.fx.Weight("/fapi/v3/account"))
	}
}

func TestFuturesAccountEmpty(t *testing.T) {
	e := newEnv(t)
	got, err := e.c.FuturesAccount(ctx(t), e.acct)
	if err != nil {
		t.Fatal(err)
	}
	if got.Asset != "USDT" || !got.WalletBalance.IsZero() || !got.AvailableBalance.IsZero() {
		t.Fatalf("empty futures account = %+v", got)
	}
}
