package okx_test

import (
	"testing"

	"github.com/globalautomation/gahost/plugins/okx/fake"
	"github.com/globalautomation/gahost/plugins/okx/okx"
	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/plugintest"
)

func TestValidateCredentials(t *testing.T) {
	// Every check that passes reads the account config once.
	checked := map[string]int{"/api/v5/account/config": 1}
	plugintest.RunCredentials(t, func() *fake.Server { return fake.New() }, func() sdk.Exchange { return okx.New() }, sdk.Account{APIKey: apiKey, SecretKey: secret, Passphrase: passphrase}, []plugintest.CredentialsRow[fake.Key, fake.Account]{
		{
			Name:  "full key bound to this IP",
			Key:   fake.FullKey(apiKey, secret, passphrase),
			Perms: sdk.Permissions{CanRead: true, CanTradeSpot: true, CanTradeFutures: true, IPRestricted: true},
			Notes: []string{"account mode: Futures", "position mode: one-way", "one trading account"},
			Calls: checked,
		},
		{
			Name:    "hedge mode, multi-currency margin",
			Key:     fake.FullKey(apiKey, secret, passphrase),
			Account: fake.Account{AcctLv: "3", PosMode: "long_short_mode"},
			Perms:   sdk.Permissions{CanRead: true, CanTradeSpot: true, CanTradeFutures: true, IPRestricted: true},
			Notes:   []string{"account mode: Multi-currency margin", "position mode: hedge"},
			Calls:   checked,
		},
		{
			Name:  "read-only key, any IP, can withdraw",
			Key:   fake.Key{APIKey: apiKey, Secret: secret, Passphrase: passphrase, Withdraw: true},
			Perms: sdk.Permissions{CanRead: true, CanWithdraw: true},
			Notes: []string{"read-only", "any IP address", "can withdraw"},
			Calls: checked,
		},
		{
			Name:    "spot mode cannot trade swaps",
			Key:     fake.FullKey(apiKey, secret, passphrase),
			Account: fake.Account{AcctLv: "1"},
			Perms:   sdk.Permissions{CanRead: true, CanTradeSpot: true, IPRestricted: true},
			Notes:   []string{"account mode: Spot", "cannot be traded in Spot mode"},
			Calls:   checked,
		},
		{
			Name:  "sub-account key",
			Key:   fake.Key{APIKey: apiKey, Secret: secret, Passphrase: passphrase, Trade: true, UID: "2", MainUID: "1"},
			Perms: sdk.Permissions{CanRead: true, CanTradeSpot: true, CanTradeFutures: true},
			Notes: []string{"sub-account"},
			Calls: checked,
		},
		{
			Name:    "demo key on a testnet account",
			Key:     fake.Key{APIKey: apiKey, Secret: secret, Passphrase: passphrase, Trade: true, Demo: true},
			Testnet: true,
			Perms:   sdk.Permissions{CanRead: true, CanTradeSpot: true, CanTradeFutures: true},
			Notes:   []string{"demo trading"},
			Calls:   checked,
		},
		{
			Name: "unknown key", Key: fake.FullKey("someone-else", secret, passphrase),
			Kind: sdk.KindAuthentication, Code: "50111", Text: "does not know this API key",
		},
		{
			Name: "unknown key on demo", Key: fake.Key{APIKey: "someone-else", Secret: secret, Passphrase: passphrase, Demo: true}, Testnet: true,
			Kind: sdk.KindAuthentication, Code: "50111", Text: "Demo Trading",
		},
		{
			Name: "wrong secret", Key: fake.FullKey(apiKey, "00000000000000000000000000000000", passphrase),
			Kind: sdk.KindAuthentication, Code: "50113", Text: "secret key does not belong",
		},
		{
			Name: "wrong passphrase", Key: fake.FullKey(apiKey, secret, "another-one"),
			Kind: sdk.KindAuthentication, Code: "50105", Text: "passphrase is wrong",
		},
		{
			Name: "IP not whitelisted", Key: fake.Key{APIKey: apiKey, Secret: secret, Passphrase: passphrase, IPs: []string{"203.0.113.9"}},
			Kind: sdk.KindPermission, Code: "50110", Text: "IP whitelist",
		},
		{
			Name: "demo key on a live account", Key: fake.Key{APIKey: apiKey, Secret: secret, Passphrase: passphrase, Demo: true},
			Kind: sdk.KindAuthentication, Code: "50101", Text: "mark the account as testnet",
		},
		{
			Name: "live key on a testnet account", Key: fake.FullKey(apiKey, secret, passphrase), Testnet: true,
			Kind: sdk.KindAuthentication, Code: "50101", Text: "marked as testnet",
		},
	})
}

func TestSpotBalances(t *testing.T) {
	// A trading-account row: the equity is all of it, available what is
	// free, frozen the rest.
	trading := func(s plugintest.Spot) fake.Balance {
		return fake.Balance{Ccy: s.Asset, Eq: s.Total(), CashBal: s.Total(), AvailBal: s.Free, AvailEq: s.Free, FrozenBal: s.Locked, Upl: "0"}
	}
	plugintest.RunBalances(t, "testdata/balances.txt", []plugintest.Holding[[]fake.Balance]{
		{Name: "the documented example, spot-mode rows", Setup: []fake.Balance{
			// From OKX's documented balance example: available plus frozen is the equity.
			{Ccy: "USDT", Eq: "4992.890093622894", CashBal: "4850.435693622894", AvailBal: "4834.317093622894",
				AvailEq: "4834.3170936228935", FrozenBal: "158.573", Upl: "-7.545600000000006"},
			{Ccy: "LTC", Eq: "0", CashBal: "0", AvailBal: "0", AvailEq: "0", FrozenBal: "0", Upl: "0"},
			// Spot mode: fields that do not apply are "".
			{Ccy: "BTC", Eq: "0.00000001", CashBal: "0.00000001", AvailBal: "0.00000001", AvailEq: "", FrozenBal: "", Upl: ""},
			{Ccy: "ETH", Eq: "1", CashBal: "1", AvailBal: "0", AvailEq: "", FrozenBal: "1", Upl: ""},
		}},
	}, trading, func(t *testing.T, rows []fake.Balance) plugintest.Arranged {
		e := newEnv(t)
		e.Fake.Update(apiKey, func(a *fake.Account) { a.Balances = rows })
		return e.Arranged(func(t *testing.T) { plugintest.SentLast(t, e.Fake, "GET /api/v5/account/balance") })
	})
}

func TestSpotBalancesMalformed(t *testing.T) {
	e := newEnv(t)
	plugintest.RunMalformedSpot(t, e.C, e.Acct, []fake.Balance{
		{Ccy: "BTC", AvailBal: "1e-5", FrozenBal: "0"},
		{Ccy: "BTC", AvailBal: "", AvailEq: "", FrozenBal: "0"},
		{Ccy: "", AvailBal: "1", FrozenBal: "0"},
	}, func(b fake.Balance) {
		e.Fake.Update(apiKey, func(a *fake.Account) { a.Balances = []fake.Balance{b} })
	})
}

func TestFuturesAccount(t *testing.T) {
	plugintest.RunFutures(t, "testdata/futures.txt", []plugintest.Holding[[]fake.Balance]{
		{Name: "futures mode", Setup: []fake.Balance{
			{Ccy: "BTC", Eq: "3", CashBal: "3", AvailBal: "3", AvailEq: "3", FrozenBal: "0", Upl: "0"},
			{Ccy: "USDT", Eq: "4992.890093622894", CashBal: "4850.435693622894", AvailBal: "4834.317093622894",
				AvailEq: "4834.3170936228935", FrozenBal: "158.573", Upl: "-7.545600000000006"},
		}},
		{Name: "spot mode: no available equity, no upl", Setup: []fake.Balance{
			{Ccy: "USDT", Eq: "100.5", CashBal: "100.5", AvailBal: "90", AvailEq: "", FrozenBal: "10.5", Upl: ""},
		}},
		{Name: "no USDT row"},
	}, func(t *testing.T, rows []fake.Balance) plugintest.Arranged {
		e := newEnv(t)
		e.Fake.Update(apiKey, func(a *fake.Account) { a.Balances = rows })
		return e.Arranged(func(t *testing.T) {
			// OKX's margin balance is its equity: the wallet with what is unrealized.
			got, err := e.C.FuturesAccount(ctx(t), e.Acct)
			if err != nil || !got.WalletBalance.Add(got.UnrealizedPnL).Equal(got.MarginBalance) {
				t.Errorf("wallet + upnl != margin balance: %+v, %v", got, err)
			}
			plugintest.SentLast(t, e.Fake, "GET /api/v5/account/balance?ccy=USDT")
		})
	})
}
