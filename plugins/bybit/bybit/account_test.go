package bybit_test

import (
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/globalautomation/gahost/plugins/bybit/bybit"
	"github.com/globalautomation/gahost/plugins/bybit/fake"
	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/plugintest"
)

func TestValidateCredentials(t *testing.T) {
	full := fake.FullKey(apiKey, secret)
	// Every check that passes reads the key and then the account.
	checked := map[string]int{"/v5/user/query-api": 1, "/v5/account/info": 1}
	plugintest.RunCredentials(t, func() *fake.Server { return fake.New() }, func() sdk.Exchange { return bybit.New() }, sdk.Account{APIKey: apiKey, SecretKey: secret}, []plugintest.CredentialsRow[fake.Key, fake.Account]{
		{
			Name:  "full key bound to this IP",
			Key:   full,
			Perms: sdk.Permissions{CanRead: true, CanTradeSpot: true, CanTradeFutures: true, IPRestricted: true},
			Notes: []string{"margin mode: cross"},
			Calls: checked,
		},
		{
			Name: "read-only key",
			Key: fake.Key{APIKey: apiKey, Secret: secret, ReadOnly: true, IPs: []string{"127.0.0.1"}, UTA: 1,
				Permissions: map[string][]string{"ContractTrade": {"Order", "Position"}, "Spot": {"SpotTrade"}}},
			Perms: sdk.Permissions{CanRead: true, IPRestricted: true},
			Notes: []string{"read-only"},
			Calls: checked,
		},
		{
			Name: "spot only, unbound, can withdraw, isolated margin",
			Key: fake.Key{APIKey: apiKey, Secret: secret, DeadlineDay: 12, UTA: 1,
				Permissions: map[string][]string{"Spot": {"SpotTrade"}, "Wallet": {"AccountTransfer", "Withdraw"}}},
			Account: fake.Account{MarginMode: "ISOLATED_MARGIN"},
			Perms:   sdk.Permissions{CanRead: true, CanTradeSpot: true, CanWithdraw: true},
			Notes:   []string{"Contract: Orders", "90 days (12 days left)", "can withdraw", "margin mode: isolated"},
			Calls:   checked,
		},
		{
			Name:    "classic account",
			Key:     fake.Key{APIKey: apiKey, Secret: secret, IPs: []string{"*"}, DeadlineDay: -2},
			Account: fake.Account{UnifiedMarginStatus: 1},
			Perms:   sdk.Permissions{CanRead: true},
			Notes:   []string{"not a Unified Trading Account", "classic account", "not bound to an IP address: Bybit expires such keys after 90 days;"},
			Calls:   checked,
		},
		{
			Name: "unknown key",
			Key:  fake.FullKey("someone-else", secret),
			Kind: sdk.KindAuthentication,
			Code: "10003",
			Text: "api-demo.bybit.com",
		},
		{
			Name: "wrong secret",
			Key:  fake.FullKey(apiKey, "not-the-secret-the-connector-has"),
			Kind: sdk.KindAuthentication,
			Code: "10004",
			Text: "secret key does not belong",
		},
		{
			Name: "IP not bound",
			Key:  fake.Key{APIKey: apiKey, Secret: secret, IPs: []string{"203.0.113.9"}},
			Kind: sdk.KindPermission,
			Code: "10010",
			Text: "bound IP addresses",
		},
		{
			Name: "expired key",
			Key:  fake.Key{APIKey: apiKey, Secret: secret, Expired: true},
			Kind: sdk.KindAuthentication,
			Code: "33004",
			Text: "expired",
		},
	})
}

func TestSpotBalances(t *testing.T) {
	// A coin's wallet balance is all of it, the locked part included.
	wallet := func(s plugintest.Spot) fake.Coin {
		return fake.Coin{Coin: s.Asset, WalletBalance: s.Total(), Locked: s.Locked}
	}
	plugintest.RunBalances(t, "testdata/balances.txt", []plugintest.Holding[[]fake.Coin]{
		// 3 borrowed, 5 held: 2 of it the account's own.
		{Name: "borrowing netted", Setup: []fake.Coin{{Coin: "SOL", WalletBalance: "5", SpotBorrow: "3"}}},
	}, wallet, func(t *testing.T, coins []fake.Coin) plugintest.Arranged {
		e := newEnv(t)
		e.Fake.Update(apiKey, func(a *fake.Account) { a.Coins = coins })
		return e.Arranged(func(t *testing.T) {
			plugintest.SentLast(t, e.Fake, "GET /v5/account/wallet-balance?accountType=UNIFIED")
		})
	})
}

func TestSpotBalancesMalformed(t *testing.T) {
	e := newEnv(t)
	plugintest.RunMalformedSpot(t, e.C, e.Acct, []fake.Coin{{Coin: "BTC", WalletBalance: "1e-5"}, {Coin: "BTC", WalletBalance: "1", Locked: "NaN"}}, func(bad fake.Coin) {
		e.Fake.Update(apiKey, func(a *fake.Account) { a.Coins = []fake.Coin{bad} })
	})
}

func TestFuturesAccount(t *testing.T) {
	plugintest.RunFutures(t, "testdata/futures.txt", []plugintest.Holding[fake.Account]{
		{Name: "cross margin: available is the account's", Setup: fake.Account{TotalAvailableBalance: "20.10000000", Coins: []fake.Coin{
			{Coin: "BTC", WalletBalance: "3"},
			{Coin: "USDT", WalletBalance: "23.72469206", UnrealisedPnl: "-1.50000000", TotalPositionIM: "2", TotalOrderIM: "1"},
		}}},
		{Name: "isolated margin: available from the coin", Setup: fake.Account{MarginMode: "ISOLATED_MARGIN", Coins: []fake.Coin{
			{Coin: "USDT", WalletBalance: "100", UnrealisedPnl: "5", Equity: "105", TotalPositionIM: "30.5", TotalOrderIM: "9.5"},
		}}},
		{Name: "isolated, margin beyond the wallet: nothing available", Setup: fake.Account{MarginMode: "ISOLATED_MARGIN", Coins: []fake.Coin{
			{Coin: "USDT", WalletBalance: "10", TotalPositionIM: "30"},
		}}},
		{Name: "empty account: USDT at zero"},
	}, func(t *testing.T, account fake.Account) plugintest.Arranged {
		e := newEnv(t)
		e.Fake.Update(apiKey, func(a *fake.Account) { *a = account })
		// The page's GET vector is this very query.
		return e.Arranged(func(t *testing.T) {
			plugintest.SentLast(t, e.Fake, "GET /v5/account/wallet-balance?accountType=UNIFIED&coin=USDT")
		})
	})
}

// hostRecorder sends every request to the fake, remembering the host the
// connector meant.
type hostRecorder struct {
	mu     sync.Mutex
	target string
	hosts  []string
}

func (h *hostRecorder) RoundTrip(r *http.Request) (*http.Response, error) {
	h.mu.Lock()
	h.hosts = append(h.hosts, r.URL.Scheme+"://"+r.URL.Host)
	h.mu.Unlock()
	r = r.Clone(r.Context())
	r.URL.Scheme, r.URL.Host, r.Host = "http", strings.TrimPrefix(h.target, "http://"), ""
	return http.DefaultTransport.RoundTrip(r)
}

// TestEnvironments checks where each kind of account goes: mainnet and
// testnet hosts by default, the rest override for either, and that a
// testnet account signs the same way (Bybit has no demo header).
func TestEnvironments(t *testing.T) {
	tests := []struct {
		name    string
		testnet bool
		rest    string
		want    string
	}{
		{"mainnet", false, "", "https://api.bybit.com"},
		{"testnet", true, "", "https://api-testnet.bybit.com"},
		{"override on mainnet", false, "https://api.bytick.com", "https://api.bytick.com"},
		{"override on testnet (demo trading)", true, "https://api-demo.bybit.com/", "https://api-demo.bybit.com"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			rec := &hostRecorder{target: e.Fake.URL()}
			c := bybit.New(sdk.WithHTTPClient(&http.Client{Transport: rec}))
			acct := sdk.Account{APIKey: apiKey, SecretKey: secret, Testnet: tt.testnet}
			if tt.rest != "" {
				acct.Endpoints = map[string]string{"rest": tt.rest}
			}
			if _, err := c.SpotBalances(ctx(t), acct); err != nil {
				t.Fatal(err)
			}
			if len(rec.hosts) != 2 || rec.hosts[0] != tt.want || rec.hosts[1] != tt.want {
				t.Fatalf("hosts %v, want time and balance calls on %s", rec.hosts, tt.want)
			}
		})
	}
	t.Run("bad override", func(t *testing.T) {
		_, err := bybit.New().SpotBalances(ctx(t), sdk.Account{APIKey: apiKey, SecretKey: secret, Endpoints: map[string]string{"rest": "ftp://x"}})
		if sdk.KindOf(err) != sdk.KindInvalidRequest {
			t.Fatalf("err = %v", err)
		}
	})
}
