package binance_test

import (
	"strings"
	"testing"

	"github.com/globalautomation/gahost/plugins/binance/binance"
	"github.com/globalautomation/gahost/plugins/binance/fake"
	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/plugintest"
)

func TestValidateCredentials(t *testing.T) {
	plugintest.RunCredentials(t, func() *fake.Server { return fake.New() }, func() sdk.Exchange { return binance.New() }, sdk.Account{APIKey: apiKey, SecretKey: secret}, []plugintest.CredentialsRow[fake.Key, fake.Account]{
		{
			Name:  "full key, IP restricted",
			Key:   fake.FullKey(apiKey, secret),
			Perms: sdk.Permissions{CanRead: true, CanTradeSpot: true, CanTradeFutures: true, IPRestricted: true},
			Notes: []string{"position mode: one-way"},
			Calls: map[string]int{"/sapi/v1/account/apiRestrictions": 1, "/fapi/v1/accountConfig": 1, "/api/v3/account": 0},
		},
		{
			Name:    "hedge mode is noted",
			Key:     fake.FullKey(apiKey, secret),
			Account: fake.Account{HedgeMode: true},
			Perms:   sdk.Permissions{CanRead: true, CanTradeSpot: true, CanTradeFutures: true, IPRestricted: true},
			Notes:   []string{"position mode: hedge"},
		},
		{
			Name: "futures not enabled on the key",
			Key: fake.Key{APIKey: apiKey, Secret: secret, EnableReading: true, EnableSpotAndMarginTrading: true,
				IPRestrict: true, AllowedIPs: []string{"127.0.0.1"}},
			Perms: sdk.Permissions{CanRead: true, CanTradeSpot: true, IPRestricted: true},
			Notes: []string{"futures is not enabled on this key"},
			Calls: map[string]int{"/fapi/v1/accountConfig": 0},
		},
		{
			Name: "unrestricted key that can withdraw",
			Key: fake.Key{APIKey: apiKey, Secret: secret, EnableReading: true, EnableFutures: true,
				EnableWithdrawals: true},
			Perms: sdk.Permissions{CanRead: true, CanTradeFutures: true, CanWithdraw: true},
			Notes: []string{"spot trading is not enabled", "any IP address", "can withdraw"},
		},
		{
			Name: "reading not enabled",
			Key:  fake.Key{APIKey: apiKey, Secret: secret, EnableSpotAndMarginTrading: true},
			Kind: sdk.KindPermission,
			Text: "Enable Reading",
		},
		{
			Name: "IP not whitelisted",
			Key: fake.Key{APIKey: apiKey, Secret: secret, EnableReading: true, EnableFutures: true,
				IPRestrict: true, AllowedIPs: []string{"203.0.113.9"}},
			Kind: sdk.KindAuthentication,
			Code: "-2015",
			Text: "IP address is not on the key's IP whitelist",
		},
		{
			Name: "unknown key",
			Key:  fake.FullKey("another-key", secret),
			Kind: sdk.KindAuthentication,
			Code: "-2015",
			Text: "does not exist on mainnet",
		},
		{
			Name: "wrong secret",
			Key:  fake.FullKey(apiKey, "not-the-secret-the-connector-has"),
			Kind: sdk.KindAuthentication,
			Code: "-1022",
			Text: "secret key does not belong",
		},
		{
			Name:    "test environment reads the account instead of /sapi",
			Key:     fake.FullKey(apiKey, secret),
			Testnet: true,
			Perms:   sdk.Permissions{CanRead: true, CanTradeSpot: true, CanTradeFutures: true},
			Notes:   []string{"test environment"},
			Calls:   map[string]int{"/sapi/v1/account/apiRestrictions": 0, "/api/v3/account": 1, "/fapi/v1/accountConfig": 1},
		},
		{
			Name:    "test environment, futures rejects the key",
			Key:     fake.Key{APIKey: apiKey, Secret: secret, EnableReading: true, EnableSpotAndMarginTrading: true},
			Testnet: true,
			Perms:   sdk.Permissions{CanRead: true, CanTradeSpot: true},
			Notes:   []string{"futures test environment rejects this key"},
		},
	})
}

func TestSpotBalances(t *testing.T) {
	row := func(s plugintest.Spot) fake.Balance {
		return fake.Balance{Asset: s.Asset, Free: s.Free, Locked: s.Locked}
	}
	plugintest.RunBalances(t, "", nil, row, func(t *testing.T, rows []fake.Balance) plugintest.Arranged {
		e := newEnv(t)
		e.Fake.Update(apiKey, func(a *fake.Account) { a.Spot = rows })
		return e.Arranged(func(t *testing.T) {
			last := plugintest.LastRequest(t, e.Fake)
			if last.Path != "/api/v3/account" || !strings.HasPrefix(last.Query, "omitZeroBalances=true&recvWindow=5000&timestamp=") {
				t.Errorf("request %s?%s", last.Path, last.Query)
			}
			if e.Fake.Weight("/api/v3/account") != 20 {
				t.Errorf("weight %d", e.Fake.Weight("/api/v3/account"))
			}
		})
	})
}

func TestSpotBalancesMalformed(t *testing.T) {
	e := newEnv(t)
	plugintest.RunMalformedSpot(t, e.C, e.Acct, []fake.Balance{{Asset: "BTC", Free: "1e-5", Locked: "0"}}, func(bad fake.Balance) {
		e.Fake.Update(apiKey, func(a *fake.Account) { a.Spot = []fake.Balance{bad} })
	})
}

func TestFuturesAccount(t *testing.T) {
	plugintest.RunFutures(t, "testdata/futures.txt", []plugintest.Holding[[]fake.FuturesAsset]{
		{Name: "USDT row among others", Setup: []fake.FuturesAsset{
			{Asset: "BNB", WalletBalance: "3.00000000", UnrealizedProfit: "0", MarginBalance: "3", AvailableBalance: "3"},
			{Asset: "USDT", WalletBalance: "23.72469206", UnrealizedProfit: "-1.50000000", MarginBalance: "22.22469206", AvailableBalance: "20.10000000"},
		}},
		{Name: "empty account"},
	}, func(t *testing.T, rows []fake.FuturesAsset) plugintest.Arranged {
		e := newEnv(t)
		e.Fake.Update(apiKey, func(a *fake.Account) { a.Futures = rows })
		return e.Arranged(func(t *testing.T) {
			if e.Fake.Calls("/fapi/v3/account") != 1 || e.Fake.Weight("/fapi/v3/account") != 5 {
				t.Errorf("calls %d weight %d", e.Fake.Calls("/fapi/v3/account"), e.Fake.Weight("/fapi/v3/account"))
			}
		})
	})
}
