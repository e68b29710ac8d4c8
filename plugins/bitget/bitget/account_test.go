package bitget_test

import (
	"strings"
	"testing"

	"github.com/globalautomation/gahost/plugins/bitget/bitget"
	"github.com/globalautomation/gahost/plugins/bitget/fake"
	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/plugintest"
)

func TestValidateCredentials(t *testing.T) {
	plugintest.RunCredentials(t, func() *fake.Server { return fake.New() }, func() sdk.Exchange { return bitget.New() }, sdk.Account{APIKey: apiKey, SecretKey: secret, Passphrase: passphrase}, []plugintest.CredentialsRow[fake.Key, fake.Account]{
		{
			Name:  "full key, IP bound, one-way",
			Key:   fake.FullKey(apiKey, secret, passphrase),
			Perms: sdk.Permissions{CanRead: true, CanTradeSpot: true, CanTradeFutures: true, IPRestricted: true},
			Notes: []string{"position mode: one-way"},
			Calls: map[string]int{fake.PathAccountInfo: 1, fake.PathFuturesAccount: 1},
		},
		{
			Name:    "hedge mode is noted",
			Key:     fake.FullKey(apiKey, secret, passphrase),
			Account: fake.Account{HedgeMode: true},
			Perms:   sdk.Permissions{CanRead: true, CanTradeSpot: true, CanTradeFutures: true, IPRestricted: true},
			Notes:   []string{"position mode: hedge"},
		},
		{
			Name:  "the simplified codes of the docs' example",
			Key:   fake.Key{APIKey: apiKey, Secret: secret, Passphrase: passphrase, Authorities: []string{"trade", "readonly"}, IPs: "127.0.0.1"},
			Perms: sdk.Permissions{CanRead: true, CanTradeSpot: true, CanTradeFutures: true, IPRestricted: true},
			Notes: []string{"one-way"},
		},
		{
			Name:  "read-only key",
			Key:   fake.Key{APIKey: apiKey, Secret: secret, Passphrase: passphrase, Authorities: []string{"stor", "coor", "cpor"}, IPs: "127.0.0.1"},
			Perms: sdk.Permissions{CanRead: true, IPRestricted: true},
			Notes: []string{"spot trading is not enabled", "one-way"},
		},
		{
			Name:  "spot only: futures is not enabled and not asked",
			Key:   fake.Key{APIKey: apiKey, Secret: secret, Passphrase: passphrase, Authorities: []string{"stor", "stow"}, IPs: "127.0.0.1"},
			Perms: sdk.Permissions{CanRead: true, CanTradeSpot: true, IPRestricted: true},
			Notes: []string{"futures is not enabled on this key"},
			Calls: map[string]int{fake.PathFuturesAccount: 0},
		},
		{
			Name:  "unbound key that can withdraw",
			Key:   fake.Key{APIKey: apiKey, Secret: secret, Passphrase: passphrase, Authorities: []string{"stor", "stow", "coor", "coow", "wwow"}},
			Perms: sdk.Permissions{CanRead: true, CanTradeSpot: true, CanTradeFutures: true, CanWithdraw: true},
			Notes: []string{"any IP address", "can withdraw"},
		},
		{
			Name:  "futures only: proven on the futures account",
			Key:   fake.Key{APIKey: apiKey, Secret: secret, Passphrase: passphrase, Authorities: []string{"coor", "coow"}, IPs: "127.0.0.1"},
			Perms: sdk.Permissions{CanRead: true},
			Notes: []string{"no spot permission", "not known", "one-way"},
			Calls: map[string]int{fake.PathAccountInfo: 1, fake.PathFuturesAccounts: 1, fake.PathFuturesAccount: 1},
		},
		{
			Name: "no permission at all",
			Key:  fake.Key{APIKey: apiKey, Secret: secret, Passphrase: passphrase, Authorities: []string{"wtor"}},
			Kind: sdk.KindPermission,
			Code: "40014",
			Text: "neither the spot nor the futures account",
		},
		{
			Name: "IP not whitelisted",
			Key:  fake.Key{APIKey: apiKey, Secret: secret, Passphrase: passphrase, Authorities: []string{"stor"}, IPs: "203.0.113.9"},
			Kind: sdk.KindPermission,
			Code: "40018",
			Text: "IP whitelist",
		},
		{
			Name: "unknown key",
			Key:  fake.FullKey("another-key", secret, passphrase),
			Kind: sdk.KindAuthentication,
			Code: "40006",
			Text: "does not know this API key",
		},
		{
			Name: "wrong passphrase",
			Key:  fake.FullKey(apiKey, secret, "another passphrase"),
			Kind: sdk.KindAuthentication,
			Code: "40012",
			Text: "passphrase does not match",
		},
		{
			Name: "wrong secret",
			Key:  fake.FullKey(apiKey, "not-the-secret-the-connector-has", passphrase),
			Kind: sdk.KindAuthentication,
			Code: "40009",
			Text: "secret key does not belong",
		},
		{
			// A UTA key is checked through V3 (uta_test.go has the rest);
			// one without UTA permissions is refused with Bitget's reason.
			Name: "unified trading account without UTA permissions",
			Key:  fake.Key{APIKey: apiKey, Secret: secret, Passphrase: passphrase, Authorities: []string{"stor"}, UTA: true},
			Kind: sdk.KindPermission,
			Code: "40014",
			Text: "need UTA mgt. (read) permissions",
		},
		{
			Name: "demo key on a live account",
			Key:  fake.Key{APIKey: apiKey, Secret: secret, Passphrase: passphrase, Authorities: []string{"stor"}, Demo: true},
			Kind: sdk.KindAuthentication,
			Code: "40037",
			Text: "Demo Trading key",
		},
		{
			Name:    "demo key on a testnet account",
			Key:     fake.Key{APIKey: apiKey, Secret: secret, Passphrase: passphrase, Authorities: []string{"stor", "stow", "coor", "coow"}, Demo: true},
			Testnet: true,
			Perms:   sdk.Permissions{CanRead: true, CanTradeSpot: true, CanTradeFutures: true},
			Notes:   []string{"Demo Trading key", "one-way"},
		},
		{
			Name:    "live key on a testnet account",
			Key:     fake.FullKey(apiKey, secret, passphrase),
			Testnet: true,
			Kind:    sdk.KindAuthentication,
			Code:    "40037",
		},
	})
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
	// What is held back sits in frozen (orders) or locked (other uses):
	// the shared rows put it all in frozen.
	frozen := func(s plugintest.Spot) fake.Balance {
		return fake.Balance{Coin: s.Asset, Available: s.Free, Frozen: s.Locked, Locked: "0"}
	}
	plugintest.RunBalances(t, "testdata/balances.txt", []plugintest.Holding[[]fake.Balance]{
		{Name: "frozen and locked both held, coin in lower case", Setup: []fake.Balance{
			{Coin: "usdt", Available: "0.00000001", Frozen: "12.5", Locked: "0.25"},
			{Coin: "ETH", Available: "0", Frozen: "0", Locked: "1.000000000000000001"},
		}},
	}, frozen, func(t *testing.T, rows []fake.Balance) plugintest.Arranged {
		e := newEnv(t)
		e.Fake.Update(apiKey, func(a *fake.Account) { a.Spot = rows })
		return e.Arranged(func(t *testing.T) { plugintest.SentLast(t, e.Fake, "GET "+fake.PathSpotAssets) })
	})
}

func TestSpotBalancesMalformed(t *testing.T) {
	e := newEnv(t)
	plugintest.RunMalformedSpot(t, e.C, e.Acct, []string{"1e-5", "NaN", ""}, func(bad string) {
		e.Fake.Update(apiKey, func(a *fake.Account) { a.Spot = []fake.Balance{{Coin: "BTC", Available: bad, Frozen: "1"}} })
		if bad == "" {
			// The fake answers "0" for an empty field; send a broken row itself.
			e.Fake.Inject(fakeFault(fake.PathSpotAssets, 200, `{"code":"00000","msg":"success","requestTime":1,"data":[{"coin":"BTC","available":"","frozen":"1","locked":"0"}]}`))
		}
	})
}

func TestFuturesAccount(t *testing.T) {
	plugintest.RunFutures(t, "testdata/futures.txt", []plugintest.Holding[[]fake.FuturesRow]{
		{Name: "USDT row among others", Setup: []fake.FuturesRow{
			{MarginCoin: "BTC", AccountEquity: "3", Available: "3"},
			{MarginCoin: "USDT", Available: "10575.26735771", CrossedMaxAvailable: "10580.56434289", AccountEquity: "10582.90265771", UnrealizedPL: "-1.5"},
		}},
		{Name: "empty unrealizedPL: the cross and isolated parts", Setup: []fake.FuturesRow{
			{MarginCoin: "USDT", Available: "10", CrossedMaxAvailable: "9", AccountEquity: "126", UnrealizedPL: "", CrossedUnrealizedPL: "23", IsolatedUnrealizedPL: "3"},
		}},
		{Name: "lower-case margin coin", Setup: []fake.FuturesRow{{MarginCoin: "usdt", Available: "5", CrossedMaxAvailable: "5", AccountEquity: "5", UnrealizedPL: "0"}}},
		{Name: "no USDT row: an empty wallet", Setup: []fake.FuturesRow{{MarginCoin: "USDC", AccountEquity: "7"}}},
		{Name: "no rows"},
	}, func(t *testing.T, rows []fake.FuturesRow) plugintest.Arranged {
		e := newEnv(t)
		e.Fake.Update(apiKey, func(a *fake.Account) { a.Futures = rows })
		return e.Arranged(func(t *testing.T) {
			plugintest.QueriedAs(t, e.Fake, fake.PathFuturesAccounts, "productType=USDT-FUTURES")
		})
	})
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
