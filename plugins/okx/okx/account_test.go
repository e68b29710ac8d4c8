package okx_test

import (
	"strings"
	"testing"
	"time"

	"github.com/globalautomation/gahost/plugins/okx/fake"
	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/plugintest"
)

func TestInfo(t *testing.T) {
	e := newEnv(t)
	info := plugintest.InfoNamed(t, e.C, plugintest.Names{Name: "okx", DisplayName: "OKX", Version: "1.2.3",
		RequiresPassphrase: true, SupportsTestnet: true, EndpointKeys: []string{"rest"}})
	for _, c := range []string{sdk.CapSpotBalances, sdk.CapFuturesAccount, sdk.CapPositions, sdk.CapOrders, sdk.CapValidate} {
		if cost, ok := info.CallCosts[c]; !ok || cost != 0 {
			t.Errorf("cost of %s = %d, %v; want 0 from the per-IP budget (private calls count per user)", c, cost, ok)
		}
	}
	want := sdk.RateLimit{Name: "public_requests", Limit: 10, Interval: 2 * time.Second, Scope: sdk.ScopeIP}
	if len(info.RateLimits) != 3 || info.RateLimits[0] != want {
		t.Errorf("rate limits %+v, want first %+v", info.RateLimits, want)
	}
	for _, l := range info.RateLimits[1:] {
		if l.Scope != sdk.ScopeAccount {
			t.Errorf("limit %+v should be per account", l)
		}
	}
	if e.Fake.TotalCalls() != 0 {
		t.Error("Info called the exchange")
	}
}

func TestValidateCredentials(t *testing.T) {
	tests := []struct {
		name      string
		key       fake.Key
		acctLv    string
		posMode   string
		testnet   bool
		want      sdk.Permissions
		notes     []string // substrings that must appear in the notes
		kind      sdk.Kind // error kind; 0 for none
		code      string
		errSubstr string
	}{
		{
			name:  "full key bound to this IP",
			key:   fake.FullKey(apiKey, secret, passphrase),
			want:  sdk.Permissions{CanRead: true, CanTradeSpot: true, CanTradeFutures: true, IPRestricted: true},
			notes: []string{"account mode: Futures", "position mode: one-way", "one trading account"},
		},
		{
			name:    "hedge mode, multi-currency margin",
			key:     fake.FullKey(apiKey, secret, passphrase),
			acctLv:  "3",
			posMode: "long_short_mode",
			want:    sdk.Permissions{CanRead: true, CanTradeSpot: true, CanTradeFutures: true, IPRestricted: true},
			notes:   []string{"account mode: Multi-currency margin", "position mode: hedge"},
		},
		{
			name:  "read-only key, any IP, can withdraw",
			key:   fake.Key{APIKey: apiKey, Secret: secret, Passphrase: passphrase, Withdraw: true},
			want:  sdk.Permissions{CanRead: true, CanWithdraw: true},
			notes: []string{"read-only", "any IP address", "can withdraw"},
		},
		{
			name:   "spot mode cannot trade swaps",
			key:    fake.FullKey(apiKey, secret, passphrase),
			acctLv: "1",
			want:   sdk.Permissions{CanRead: true, CanTradeSpot: true, IPRestricted: true},
			notes:  []string{"account mode: Spot", "cannot be traded in Spot mode"},
		},
		{
			name:  "sub-account key",
			key:   fake.Key{APIKey: apiKey, Secret: secret, Passphrase: passphrase, Trade: true, UID: "2", MainUID: "1"},
			want:  sdk.Permissions{CanRead: true, CanTradeSpot: true, CanTradeFutures: true},
			notes: []string{"sub-account"},
		},
		{
			name:    "demo key on a testnet account",
			key:     fake.Key{APIKey: apiKey, Secret: secret, Passphrase: passphrase, Trade: true, Demo: true},
			testnet: true,
			want:    sdk.Permissions{CanRead: true, CanTradeSpot: true, CanTradeFutures: true},
			notes:   []string{"demo trading"},
		},
		{
			name: "unknown key", key: fake.FullKey("someone-else", secret, passphrase),
			kind: sdk.KindAuthentication, code: "50111", errSubstr: "does not know this API key",
		},
		{
			name: "unknown key on demo", key: fake.Key{APIKey: "someone-else", Secret: secret, Passphrase: passphrase, Demo: true}, testnet: true,
			kind: sdk.KindAuthentication, code: "50111", errSubstr: "Demo Trading",
		},
		{
			name: "wrong secret", key: fake.FullKey(apiKey, "00000000000000000000000000000000", passphrase),
			kind: sdk.KindAuthentication, code: "50113", errSubstr: "secret key does not belong",
		},
		{
			name: "wrong passphrase", key: fake.FullKey(apiKey, secret, "another-one"),
			kind: sdk.KindAuthentication, code: "50105", errSubstr: "passphrase is wrong",
		},
		{
			name: "IP not whitelisted", key: fake.Key{APIKey: apiKey, Secret: secret, Passphrase: passphrase, IPs: []string{"203.0.113.9"}},
			kind: sdk.KindPermission, code: "50110", errSubstr: "IP whitelist",
		},
		{
			name: "demo key on a live account", key: fake.Key{APIKey: apiKey, Secret: secret, Passphrase: passphrase, Demo: true},
			kind: sdk.KindAuthentication, code: "50101", errSubstr: "mark the account as testnet",
		},
		{
			name: "live key on a testnet account", key: fake.FullKey(apiKey, secret, passphrase), testnet: true,
			kind: sdk.KindAuthentication, code: "50101", errSubstr: "marked as testnet",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fx := fake.New()
			t.Cleanup(fx.Close)
			fx.AddKey(tt.key)
			fx.Update(tt.key.APIKey, func(a *fake.Account) { a.AcctLv, a.PosMode = tt.acctLv, tt.posMode })
			e := newEnv(t)
			e.Acct.Endpoints["rest"] = fx.URL()
			e.Acct.Testnet = tt.testnet
			got, err := e.C.ValidateCredentials(ctx(t), e.Acct)
			plugintest.CheckCredentials(t, got, err, plugintest.Credentials{Perms: tt.want, Notes: tt.notes, Kind: tt.kind, Code: tt.code, Text: tt.errSubstr})
			if tt.kind != 0 {
				return
			}
			if n := fx.Calls("/api/v5/account/config"); n != 1 {
				t.Errorf("config calls %d, want 1", n)
			}
		})
	}
}

func TestSpotBalances(t *testing.T) {
	e := newEnv(t)
	e.Fake.Update(apiKey, func(a *fake.Account) {
		a.Balances = []fake.Balance{
			// From OKX's documented balance example: available plus frozen is the equity.
			{Ccy: "USDT", Eq: "4992.890093622894", CashBal: "4850.435693622894", AvailBal: "4834.317093622894",
				AvailEq: "4834.3170936228935", FrozenBal: "158.573", Upl: "-7.545600000000006"},
			{Ccy: "LTC", Eq: "0", CashBal: "0", AvailBal: "0", AvailEq: "0", FrozenBal: "0", Upl: "0"},
			// Spot mode: fields that do not apply are "".
			{Ccy: "BTC", Eq: "0.00000001", CashBal: "0.00000001", AvailBal: "0.00000001", AvailEq: "", FrozenBal: "", Upl: ""},
			{Ccy: "ETH", Eq: "1", CashBal: "1", AvailBal: "0", AvailEq: "", FrozenBal: "1", Upl: ""},
		}
	})
	got := plugintest.BalancesAre(t, e.C, e.Acct, []sdk.Balance{
		{Asset: "USDT", Free: d("4834.317093622894"), Locked: d("158.573")},
		{Asset: "BTC", Free: d("0.00000001"), Locked: d("0")},
		{Asset: "ETH", Free: d("0"), Locked: d("1")},
	})
	if got[0].Free.String() != "4834.317093622894" {
		t.Errorf("free as string %q: digits lost", got[0].Free.String())
	}
	last := plugintest.LastRequest(t, e.Fake)
	if last.Path != "/api/v5/account/balance" || last.Query != "" || last.Method != "GET" || len(last.Body) != 0 {
		t.Errorf("request %s %s?%s %q", last.Method, last.Path, last.Query, last.Body)
	}
}

func TestSpotBalancesEmptyAndMalformed(t *testing.T) {
	e := newEnv(t)
	plugintest.BalancesAre(t, e.C, e.Acct, []sdk.Balance{})
	for _, b := range []fake.Balance{
		{Ccy: "BTC", AvailBal: "1e-5", FrozenBal: "0"},
		{Ccy: "BTC", AvailBal: "", AvailEq: "", FrozenBal: "0"},
		{Ccy: "", AvailBal: "1", FrozenBal: "0"},
	} {
		e.Fake.Update(apiKey, func(a *fake.Account) { a.Balances = []fake.Balance{b} })
		_, err := e.C.SpotBalances(ctx(t), e.Acct)
		if sdk.KindOf(err) != sdk.KindUnknown || !strings.Contains(err.Error(), "malformed") {
			t.Errorf("malformed %+v: %v", b, err)
		}
	}
}

func TestFuturesAccount(t *testing.T) {
	tests := []struct {
		name                        string
		rows                        []fake.Balance
		wallet, upnl, margin, avail string
	}{
		{
			name: "futures mode",
			rows: []fake.Balance{
				{Ccy: "BTC", Eq: "3", CashBal: "3", AvailBal: "3", AvailEq: "3", FrozenBal: "0", Upl: "0"},
				{Ccy: "USDT", Eq: "4992.890093622894", CashBal: "4850.435693622894", AvailBal: "4834.317093622894",
					AvailEq: "4834.3170936228935", FrozenBal: "158.573", Upl: "-7.545600000000006"},
			},
			wallet: "5000.435693622894006", upnl: "-7.545600000000006", margin: "4992.890093622894", avail: "4834.3170936228935",
		},
		{
			name:   "spot mode: no available equity, no upl",
			rows:   []fake.Balance{{Ccy: "USDT", Eq: "100.5", CashBal: "100.5", AvailBal: "90", AvailEq: "", FrozenBal: "10.5", Upl: ""}},
			wallet: "100.5", upnl: "0", margin: "100.5", avail: "90",
		},
		{
			name:   "no USDT row",
			wallet: "0", upnl: "0", margin: "0", avail: "0",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.Fake.Update(apiKey, func(a *fake.Account) { a.Balances = tt.rows })
			got := plugintest.FuturesIs(t, e.C, e.Acct, sdk.FuturesAccount{Asset: "USDT", WalletBalance: d(tt.wallet), UnrealizedPnL: d(tt.upnl), MarginBalance: d(tt.margin), AvailableBalance: d(tt.avail)})
			if !got.WalletBalance.Add(got.UnrealizedPnL).Equal(got.MarginBalance) {
				t.Errorf("wallet + upnl != margin balance")
			}
			reqs := e.Fake.Requests()
			if last := reqs[len(reqs)-1]; last.Query != "ccy=USDT" {
				t.Errorf("query %q, want ccy=USDT", last.Query)
			}
		})
	}
}
