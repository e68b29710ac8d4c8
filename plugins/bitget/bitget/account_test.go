package bitget_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/globalautomation/gahost/plugins/bitget/fake"
	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/plugintest"
)

func TestInfo(t *testing.T) {
	e := newEnv(t)
	info := plugintest.InfoNamed(t, e.C, plugintest.Names{Name: "bitget", DisplayName: "Bitget", Version: "1.2.3",
		RequiresPassphrase: true, SupportsTestnet: true, EndpointKeys: []string{"rest"}})
	for _, c := range []string{sdk.CapSpotBalances, sdk.CapFuturesAccount, sdk.CapPositions, sdk.CapOrders} {
		if !info.Has(c) || info.CallCosts[c] <= 0 {
			t.Errorf("capability %s: has=%v cost=%d", c, info.Has(c), info.CallCosts[c])
		}
	}
	want := sdk.RateLimit{Name: "ip_requests", Limit: 6000, Interval: time.Minute, Scope: sdk.ScopeIP}
	if len(info.RateLimits) == 0 || info.RateLimits[0] != want {
		t.Errorf("first rate limit %+v, want %+v", info.RateLimits, want)
	}
	for _, l := range info.RateLimits {
		if l.Name == "uid_account_info" && (l.Limit != 1 || l.Interval != time.Second || l.Scope != sdk.ScopeAccount) {
			t.Errorf("account info limit %+v, want 1/s per account", l)
		}
	}
	if info.CallCosts[sdk.CapOrders] != 2 || info.CallCosts[sdk.CapValidate] != 2 {
		t.Errorf("costs %v", info.CallCosts)
	}
	// Info hands out copies.
	info.CallCosts[sdk.CapOrders] = 99
	info.RateLimits[0].Limit = 1
	again, _ := e.C.Info(context.Background())
	if again.CallCosts[sdk.CapOrders] != 2 || again.RateLimits[0].Limit != 6000 {
		t.Error("Info shares its maps")
	}
	if e.Fake.TotalCalls() != 0 {
		t.Error("Info called the exchange")
	}
}

func TestValidateCredentials(t *testing.T) {
	tests := []struct {
		name    string
		key     fake.Key
		hedge   bool
		testnet bool
		want    sdk.Permissions
		notes   []string // substrings that must appear in the notes
		kind    sdk.Kind // error kind; 0 for none
		code    string
		errText string
		calls   map[string]int
	}{
		{
			name:  "full key, IP bound, one-way",
			key:   fake.FullKey(apiKey, secret, passphrase),
			want:  sdk.Permissions{CanRead: true, CanTradeSpot: true, CanTradeFutures: true, IPRestricted: true},
			notes: []string{"position mode: one-way"},
			calls: map[string]int{fake.PathAccountInfo: 1, fake.PathFuturesAccount: 1},
		},
		{
			name:  "hedge mode is noted",
			key:   fake.FullKey(apiKey, secret, passphrase),
			hedge: true,
			want:  sdk.Permissions{CanRead: true, CanTradeSpot: true, CanTradeFutures: true, IPRestricted: true},
			notes: []string{"position mode: hedge"},
		},
		{
			name:  "the simplified codes of the docs' example",
			key:   fake.Key{APIKey: apiKey, Secret: secret, Passphrase: passphrase, Authorities: []string{"trade", "readonly"}, IPs: "127.0.0.1"},
			want:  sdk.Permissions{CanRead: true, CanTradeSpot: true, CanTradeFutures: true, IPRestricted: true},
			notes: []string{"one-way"},
		},
		{
			name:  "read-only key",
			key:   fake.Key{APIKey: apiKey, Secret: secret, Passphrase: passphrase, Authorities: []string{"stor", "coor", "cpor"}, IPs: "127.0.0.1"},
			want:  sdk.Permissions{CanRead: true, IPRestricted: true},
			notes: []string{"spot trading is not enabled", "one-way"},
		},
		{
			name:  "spot only: futures is not enabled and not asked",
			key:   fake.Key{APIKey: apiKey, Secret: secret, Passphrase: passphrase, Authorities: []string{"stor", "stow"}, IPs: "127.0.0.1"},
			want:  sdk.Permissions{CanRead: true, CanTradeSpot: true, IPRestricted: true},
			notes: []string{"futures is not enabled on this key"},
			calls: map[string]int{fake.PathFuturesAccount: 0},
		},
		{
			name:  "unbound key that can withdraw",
			key:   fake.Key{APIKey: apiKey, Secret: secret, Passphrase: passphrase, Authorities: []string{"stor", "stow", "coor", "coow", "wwow"}},
			want:  sdk.Permissions{CanRead: true, CanTradeSpot: true, CanTradeFutures: true, CanWithdraw: true},
			notes: []string{"any IP address", "can withdraw"},
		},
		{
			name:  "futures only: proven on the futures account",
			key:   fake.Key{APIKey: apiKey, Secret: secret, Passphrase: passphrase, Authorities: []string{"coor", "coow"}, IPs: "127.0.0.1"},
			want:  sdk.Permissions{CanRead: true},
			notes: []string{"no spot permission", "not known", "one-way"},
			calls: map[string]int{fake.PathAccountInfo: 1, fake.PathFuturesAccounts: 1, fake.PathFuturesAccount: 1},
		},
		{
			name:    "no permission at all",
			key:     fake.Key{APIKey: apiKey, Secret: secret, Passphrase: passphrase, Authorities: []string{"wtor"}},
			kind:    sdk.KindPermission,
			code:    "40014",
			errText: "neither the spot nor the futures account",
		},
		{
			name:    "IP not whitelisted",
			key:     fake.Key{APIKey: apiKey, Secret: secret, Passphrase: passphrase, Authorities: []string{"stor"}, IPs: "203.0.113.9"},
			kind:    sdk.KindPermission,
			code:    "40018",
			errText: "IP whitelist",
		},
		{
			name:    "unknown key",
			key:     fake.FullKey("another-key", secret, passphrase),
			kind:    sdk.KindAuthentication,
			code:    "40006",
			errText: "does not know this API key",
		},
		{
			name:    "wrong passphrase",
			key:     fake.FullKey(apiKey, secret, "another passphrase"),
			kind:    sdk.KindAuthentication,
			code:    "40012",
			errText: "passphrase does not match",
		},
		{
			name:    "wrong secret",
			key:     fake.FullKey(apiKey, "not-the-secret-the-connector-has", passphrase),
			kind:    sdk.KindAuthentication,
			code:    "40009",
			errText: "secret key does not belong",
		},
		{
			// A UTA key is checked through V3 (uta_test.go has the rest);
			// one without UTA permissions is refused with Bitget's reason.
			name:    "unified trading account without UTA permissions",
			key:     fake.Key{APIKey: apiKey, Secret: secret, Passphrase: passphrase, Authorities: []string{"stor"}, UTA: true},
			kind:    sdk.KindPermission,
			code:    "40014",
			errText: "need UTA mgt. (read) permissions",
		},
		{
			name:    "demo key on a live account",
			key:     fake.Key{APIKey: apiKey, Secret: secret, Passphrase: passphrase, Authorities: []string{"stor"}, Demo: true},
			kind:    sdk.KindAuthentication,
			code:    "40037",
			errText: "Demo Trading key",
		},
		{
			name:    "demo key on a testnet account",
			key:     fake.Key{APIKey: apiKey, Secret: secret, Passphrase: passphrase, Authorities: []string{"stor", "stow", "coor", "coow"}, Demo: true},
			testnet: true,
			want:    sdk.Permissions{CanRead: true, CanTradeSpot: true, CanTradeFutures: true},
			notes:   []string{"Demo Trading key", "one-way"},
		},
		{
			name:    "live key on a testnet account",
			key:     fake.FullKey(apiKey, secret, passphrase),
			testnet: true,
			kind:    sdk.KindAuthentication,
			code:    "40037",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.Fake = fake.New()
			t.Cleanup(e.Fake.Close)
			e.Acct.Endpoints = map[string]string{"rest": e.Fake.URL()}
			e.Fake.AddKey(tt.key)
			e.Fake.Update(tt.key.APIKey, func(a *fake.Account) { a.HedgeMode = tt.hedge })
			e.Acct.Testnet = tt.testnet
			got, err := e.C.ValidateCredentials(ctx(t), e.Acct)
			plugintest.CheckCredentials(t, got, err, plugintest.Credentials{Perms: tt.want, Notes: tt.notes, Kind: tt.kind, Code: tt.code, Text: tt.errText})
			if tt.kind != 0 {
				return
			}
			plugintest.CheckCalls(t, e.Fake, tt.calls)
		})
	}
}

// TestValidateFuturesRefused: a key whose futures calls are refused gets a
// note, not a failed check.
func TestValidateFuturesRefused(t *testing.T) {
	e := newEnv(t)
	e.Fake.Inject(fakeFault(fake.PathFuturesAccount, 400, `{"code":"40014","msg":"Incorrect permissions, need futures read permissions","requestTime":1,"data":null}`))
	p, err := e.C.ValidateCredentials(ctx(t), e.Acct)
	if err != nil {
		t.Fatal(err)
	}
	if !p.CanTradeSpot || p.CanTradeFutures || !strings.Contains(strings.Join(p.Notes, " "), "futures calls are rejected") {
		t.Fatalf("permissions %+v", p)
	}
}

func TestSpotBalances(t *testing.T) {
	e := newEnv(t)
	e.Fake.Update(apiKey, func(a *fake.Account) {
		a.Spot = []fake.Balance{
			{Coin: "BTC", Available: "4723846.89208129", Frozen: "0", Locked: "0"},
			{Coin: "LTC", Available: "0", Frozen: "0", Locked: "0"},
			{Coin: "usdt", Available: "0.00000001", Frozen: "12.5", Locked: "0.25"},
			{Coin: "ETH", Available: "0", Frozen: "0", Locked: "1.000000000000000001"},
		}
	})
	got := plugintest.BalancesAre(t, e.C, e.Acct, []sdk.Balance{
		{Asset: "BTC", Free: d("4723846.89208129"), Locked: d("0")},
		{Asset: "USDT", Free: d("0.00000001"), Locked: d("12.75")},
		{Asset: "ETH", Free: d("0"), Locked: d("1.000000000000000001")},
	})
	// Exact strings survive: no float on the way.
	if got[0].Free.String() != "4723846.89208129" || got[2].Locked.String() != "1.000000000000000001" {
		t.Errorf("exact values lost: %s %s", got[0].Free, got[2].Locked)
	}
	last := plugintest.LastRequest(t, e.Fake)
	if last.Method != "GET" || last.Path != fake.PathSpotAssets || last.Query != "" || len(last.Body) != 0 {
		t.Errorf("request %s %s?%s %q", last.Method, last.Path, last.Query, last.Body)
	}
}

func TestSpotBalancesEmptyAndMalformed(t *testing.T) {
	e := newEnv(t)
	plugintest.BalancesAre(t, e.C, e.Acct, []sdk.Balance{})
	for _, bad := range []string{"1e-5", "NaN", ""} {
		e.Fake.Update(apiKey, func(a *fake.Account) { a.Spot = []fake.Balance{{Coin: "BTC", Available: bad, Frozen: "1"}} })
		if bad == "" {
			// The fake answers "0" for an empty field; send a broken row itself.
			e.Fake.Inject(fakeFault(fake.PathSpotAssets, 200, `{"code":"00000","msg":"success","requestTime":1,"data":[{"coin":"BTC","available":"","frozen":"1","locked":"0"}]}`))
		}
		_, err := e.C.SpotBalances(ctx(t), e.Acct)
		plugintest.CheckMalformed(t, err)
	}
}

func TestFuturesAccount(t *testing.T) {
	tests := []struct {
		name                     string
		rows                     []fake.FuturesRow
		wallet, upnl, margin, av string
	}{
		{
			name: "USDT row among others",
			rows: []fake.FuturesRow{
				{MarginCoin: "BTC", AccountEquity: "3", Available: "3"},
				{MarginCoin: "USDT", Available: "10575.26735771", CrossedMaxAvailable: "10580.56434289", AccountEquity: "10582.90265771", UnrealizedPL: "-1.5"},
			},
			wallet: "10584.40265771", upnl: "-1.5", margin: "10582.90265771", av: "10580.56434289",
		},
		{
			name:   "empty unrealizedPL: the cross and isolated parts",
			rows:   []fake.FuturesRow{{MarginCoin: "USDT", Available: "10", CrossedMaxAvailable: "9", AccountEquity: "126", UnrealizedPL: "", CrossedUnrealizedPL: "23", IsolatedUnrealizedPL: "3"}},
			wallet: "100", upnl: "26", margin: "126", av: "9",
		},
		{
			name:   "lower-case margin coin",
			rows:   []fake.FuturesRow{{MarginCoin: "usdt", Available: "5", CrossedMaxAvailable: "5", AccountEquity: "5", UnrealizedPL: "0"}},
			wallet: "5", upnl: "0", margin: "5", av: "5",
		},
		{
			name:   "no USDT row: an empty wallet",
			rows:   []fake.FuturesRow{{MarginCoin: "USDC", AccountEquity: "7"}},
			wallet: "0", upnl: "0", margin: "0", av: "0",
		},
		{name: "no rows", wallet: "0", upnl: "0", margin: "0", av: "0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.Fake.Update(apiKey, func(a *fake.Account) { a.Futures = tt.rows })
			plugintest.FuturesIs(t, e.C, e.Acct, sdk.FuturesAccount{Asset: "USDT", WalletBalance: d(tt.wallet), UnrealizedPnL: d(tt.upnl), MarginBalance: d(tt.margin), AvailableBalance: d(tt.av)})
			for _, r := range e.Fake.Requests() {
				if r.Path == fake.PathFuturesAccounts && r.Query != "productType=USDT-FUTURES" {
					t.Errorf("query %q", r.Query)
				}
			}
		})
	}
}

// TestFuturesAvailableFallback: without crossedMaxAvailable, available is
// what may open positions.
func TestFuturesAvailableFallback(t *testing.T) {
	e := newEnv(t)
	e.Fake.Inject(fakeFault(fake.PathFuturesAccounts, 200, `{"code":"00000","msg":"success","requestTime":1,"data":[{"marginCoin":"USDT","available":"-2.5","accountEquity":"10","unrealizedPL":"1"}]}`))
	got, err := e.C.FuturesAccount(ctx(t), e.Acct)
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "available", got.AvailableBalance, "-2.5")
	eq(t, "wallet", got.WalletBalance, "9")
}
