package bitget_test

import (
	"strings"
	"testing"

	"github.com/globalautomation/gahost/plugins/bitget/bitget"
	"github.com/globalautomation/gahost/plugins/bitget/fake"
	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/plugintest"
)

// newUTAEnv is newEnv with the key's account in Unified Trading Account
// mode: the fake serves it on V3 only.
func newUTAEnv(t *testing.T, opts ...fake.Option) *env {
	t.Helper()
	e := newEnv(t, opts...)
	e.Fake.AddKey(fake.UTAKey(apiKey, secret, passphrase))
	return e
}

// fundedUTA gives the unified wallet USDT and BTC.
func fundedUTA(t *testing.T, hedge bool) *env {
	t.Helper()
	e := newUTAEnv(t)
	e.Fake.Update(apiKey, func(a *fake.Account) {
		a.Assets = []fake.Asset{{Coin: "USDT", Balance: "1000", Available: "1000"}, {Coin: "BTC", Balance: "0.5", Available: "0.5"}}
		a.HedgeMode = hedge
	})
	return e
}

// TestUTAConformance runs the conformance suite against a UTA account.
func TestUTAConformance(t *testing.T) {
	e := newUTAEnv(t)
	e.Fake.Update(apiKey, func(a *fake.Account) {
		a.Assets = []fake.Asset{
			{Coin: "USDT", Balance: "1000.50000000", Available: "1000.50000000", Locked: "0"},
			{Coin: "BTC", Balance: "0", Available: "0"},
			{Coin: "ETH", Balance: "1", Available: "0.25", Locked: "0.75"},
		}
		a.HedgeMode = true
		a.Positions = []fake.Position{
			{Symbol: "BTCUSDT", HoldSide: "long", Total: "0.010", OpenPriceAvg: "60000", MarkPrice: "61234", UnrealizedPL: "12.34", Leverage: "10", LiquidationPrice: "30000", MarginMode: "crossed"},
			{Symbol: "BTCUSDT", HoldSide: "short", Total: "0", OpenPriceAvg: "0", MarkPrice: "61234", UnrealizedPL: "0", Leverage: "10"},
		}
	})
	bad := e.Acct
	bad.SecretKey = "not-" + secret
	plugintest.Run(t, bitget.New(sdk.WithVersion("0.1.0")), plugintest.Fixtures{
		Account: e.Acct,
		SpotBalances: []sdk.Balance{
			{Asset: "USDT", Free: d("1000.5"), Locked: d("0")},
			{Asset: "ETH", Free: d("0.25"), Locked: d("0.75")},
		},
		ZeroAssets: []string{"BTC"},
		// USDT equity is its balance plus the positions' PnL.
		FuturesAccount: &sdk.FuturesAccount{Asset: "USDT", WalletBalance: d("1000.5"), UnrealizedPnL: d("12.34"), MarginBalance: d("1012.84"), AvailableBalance: d("1000.5")},
		Positions: []sdk.Position{{Symbol: "BTC/USDT:USDT", Side: sdk.SideLong, Size: d("0.01"), EntryPrice: d("60000"), MarkPrice: d("61234"),
			UnrealizedPnL: d("12.34"), Leverage: d("10"), LiquidationPrice: d("30000"), MarginMode: sdk.MarginCross}},
		Order: &sdk.OrderRequest{Market: sdk.MarketSpot, Symbol: "ETH/USDT", Side: sdk.Buy, Type: sdk.OrderLimit,
			Quantity: d("0.1"), Price: d("2500.5"), ClientOrderID: "conformance-1"},
		UnknownSymbol: "NOPE/USDT",
		BadSecret:     &bad,
		Fake:          e.Fake,
		Paths: plugintest.Paths{Read: fake.PathUTAAssets, Order: fake.PathUTAPlace, Cancel: fake.PathUTACancel,
			Time: fake.PathServerTime},
		ReportsUsage: true,
	})
}

// TestModeDetection: a key's mode is learnt from its first call and
// remembered, per key, and learnt again when the account switches.
func TestModeDetection(t *testing.T) {
	e := newEnv(t)
	const utaKey = "bg_uta_0f9e8d7c6b5a"
	e.Fake.AddKey(fake.UTAKey(utaKey, secret, passphrase))
	e.Fake.Update(utaKey, func(a *fake.Account) { a.Assets = []fake.Asset{{Coin: "USDT", Balance: "7", Available: "7"}} })
	e.Fake.Update(apiKey, func(a *fake.Account) { a.Spot = []fake.Balance{{Coin: "USDT", Available: "5"}} })
	uta := e.Acct
	uta.APIKey = utaKey

	balance := func(acct sdk.Account, want string) {
		t.Helper()
		got, err := e.C.SpotBalances(ctx(t), acct)
		if err != nil || len(got) != 1 || !got[0].Free.Equal(d(want)) {
			t.Fatalf("balances %+v, %v; want USDT %s", got, err, want)
		}
	}
	calls := func(v2, v3 int) {
		t.Helper()
		if g2, g3 := e.Fake.Calls(fake.PathSpotAssets), e.Fake.Calls(fake.PathUTAAssets); g2 != v2 || g3 != v3 {
			t.Fatalf("calls V2 %d, V3 %d; want %d, %d", g2, g3, v2, v3)
		}
	}
	// The Classic key: V2 and nothing else, first and second time.
	balance(e.Acct, "5")
	balance(e.Acct, "5")
	calls(2, 0)
	// The UTA key: V2 once (40085), then V3; then V3 only.
	balance(uta, "7")
	calls(3, 1)
	balance(uta, "7")
	calls(3, 2)
	// Each key keeps its own mode on one connector.
	balance(e.Acct, "5")
	calls(4, 2)

	// The Classic account becomes a UTA: the next call meets 40085 and
	// goes on through V3.
	e.Fake.AddKey(fake.UTAKey(apiKey, secret, passphrase))
	e.Fake.Update(apiKey, func(a *fake.Account) { a.Assets = []fake.Asset{{Coin: "USDT", Balance: "9", Available: "9"}} })
	balance(e.Acct, "9")
	calls(5, 3)
	balance(e.Acct, "9")
	calls(5, 4)
	// And back: V3 answers 40084, V2 serves it.
	e.Fake.AddKey(fake.FullKey(apiKey, secret, passphrase))
	balance(e.Acct, "5")
	calls(6, 5)

}

func TestUTAValidateCredentials(t *testing.T) {
	full := fake.UTAKey(apiKey, secret, passphrase)
	with := func(perms []string, ips string) fake.Key {
		k := full
		k.Authorities, k.IPs = perms, ips
		return k
	}
	tests := []struct {
		name    string
		key     fake.Key
		hedge   bool
		testnet bool
		want    sdk.Permissions
		notes   []string
		kind    sdk.Kind
		code    string
		errText string
	}{
		{
			name:  "full key, IP bound, one-way",
			key:   full,
			want:  sdk.Permissions{CanRead: true, CanTradeSpot: true, CanTradeFutures: true, IPRestricted: true},
			notes: []string{"Unified Trading Account", "position mode: one-way"},
		},
		{
			name:  "hedge mode is noted",
			key:   full,
			hedge: true,
			want:  sdk.Permissions{CanRead: true, CanTradeSpot: true, CanTradeFutures: true, IPRestricted: true},
			notes: []string{"position mode: hedge"},
		},
		{
			name:  "read-only key",
			key:   with([]string{"uta_mgt"}, "127.0.0.1"),
			want:  sdk.Permissions{CanRead: true, IPRestricted: true},
			notes: []string{"trading is not enabled on this key"},
		},
		{
			name:  "unbound key that can withdraw",
			key:   with([]string{"uta_mgt", "uta_trade", "withdraw"}, ""),
			want:  sdk.Permissions{CanRead: true, CanTradeSpot: true, CanTradeFutures: true, CanWithdraw: true},
			notes: []string{"any IP address", "can withdraw"},
		},
		{
			name:    "no UTA permission: refused with Bitget's reason",
			key:     with([]string{"wtor"}, ""),
			kind:    sdk.KindPermission,
			code:    "40014",
			errText: "need UTA mgt. (read) permissions",
		},
		{
			name:    "IP not whitelisted",
			key:     with([]string{"uta_mgt"}, "203.0.113.9"),
			kind:    sdk.KindPermission,
			code:    "40018",
			errText: "IP whitelist",
		},
		{
			name:    "wrong secret",
			key:     fake.UTAKey(apiKey, "not-the-secret-the-connector-has", passphrase),
			kind:    sdk.KindAuthentication,
			code:    "40009",
			errText: "secret key does not belong",
		},
		{
			name:    "demo UTA key on a testnet account",
			key:     fake.Key{APIKey: apiKey, Secret: secret, Passphrase: passphrase, Authorities: []string{"uta_mgt", "uta_trade"}, UTA: true, Demo: true},
			testnet: true,
			want:    sdk.Permissions{CanRead: true, CanTradeSpot: true, CanTradeFutures: true},
			notes:   []string{"Demo Trading key", "Unified Trading Account"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.Fake.AddKey(tt.key)
			e.Fake.Update(apiKey, func(a *fake.Account) { a.HedgeMode = tt.hedge })
			e.Acct.Testnet = tt.testnet
			got, err := e.C.ValidateCredentials(ctx(t), e.Acct)
			plugintest.CheckCredentials(t, got, err, plugintest.Credentials{Perms: tt.want, Notes: tt.notes, Kind: tt.kind, Code: tt.code, Text: tt.errText})
			if tt.kind != 0 {
				return
			}
			// One V2 call learns the mode, then V3's info and settings.
			plugintest.CheckCalls(t, e.Fake, map[string]int{fake.PathAccountInfo: 1, fake.PathUTAInfo: 1, fake.PathUTASettings: 1, fake.PathFuturesAccount: 0})
		})
	}
}

func TestUTASpotBalances(t *testing.T) {
	e := newUTAEnv(t)
	e.Fake.Update(apiKey, func(a *fake.Account) {
		a.Assets = []fake.Asset{
			{Coin: "BTC", Balance: "4723846.89208129", Available: "4723846.89208129"},
			{Coin: "LTC"},
			{Coin: "USDT", Balance: "12.75000001", Available: "0.00000001", Locked: "12.75"},
			{Coin: "ETH", Balance: "1.000000000000000001", Available: "0", Locked: "1.000000000000000001"},
			{Coin: "DOGE", Balance: "0", Available: "0", Debt: "3"},
		}
	})
	// Zero LTC and the DOGE debt are left out.
	got := plugintest.BalancesAre(t, e.C, e.Acct, []sdk.Balance{
		{Asset: "BTC", Free: d("4723846.89208129"), Locked: d("0")},
		{Asset: "USDT", Free: d("0.00000001"), Locked: d("12.75")},
		{Asset: "ETH", Free: d("0"), Locked: d("1.000000000000000001")},
	})
	if got[0].Free.String() != "4723846.89208129" || got[2].Locked.String() != "1.000000000000000001" {
		t.Errorf("exact values lost: %s %s", got[0].Free, got[2].Locked)
	}
	reqs := e.Fake.Requests()
	if last := reqs[len(reqs)-1]; last.Method != "GET" || last.Path != fake.PathUTAAssets || last.Query != "" || len(last.Body) != 0 {
		t.Errorf("request %s %s?%s %q", last.Method, last.Path, last.Query, last.Body)
	}
}

// TestUTAOddAnswers covers answers the fake does not produce itself.
func TestUTAOddAnswers(t *testing.T) {
	ok := func(data string) string {
		return `{"code":"00000","msg":"success","requestTime":1,"data":` + data + `}`
	}
	t.Run("a listed zero coin and a lower-case coin", func(t *testing.T) {
		e := newUTAEnv(t)
		e.C.SpotBalances(ctx(t), e.Acct) // learn the mode
		e.Fake.Inject(fakeFault(fake.PathUTAAssets, 200, ok(`{"assets":[{"coin":"BTC","available":"0","locked":"0"},{"coin":"usdt","available":"2","locked":"1"}]}`)))
		got, err := e.C.SpotBalances(ctx(t), e.Acct)
		if err != nil || len(got) != 1 || got[0].Asset != "USDT" || !got[0].Total().Equal(d("3")) {
			t.Fatalf("balances %+v, %v", got, err)
		}
	})
	t.Run("a malformed amount", func(t *testing.T) {
		e := newUTAEnv(t)
		e.C.SpotBalances(ctx(t), e.Acct)
		e.Fake.Inject(fakeFault(fake.PathUTAAssets, 200, ok(`{"assets":[{"coin":"BTC","available":"1e-5","locked":"0"}]}`)))
		if _, err := e.C.SpotBalances(ctx(t), e.Acct); sdk.KindOf(err) != sdk.KindUnknown || !strings.Contains(err.Error(), "malformed") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("no usdtUnrealisedPnl: the USD figure", func(t *testing.T) {
		e := newUTAEnv(t)
		e.C.SpotBalances(ctx(t), e.Acct)
		e.Fake.Inject(fakeFault(fake.PathUTAAssets, 200, ok(`{"unrealisedPnl":"-2","assets":[{"coin":"USDT","equity":"98","balance":"100","available":"50","debt":"0","locked":"0"}]}`)))
		got, err := e.C.FuturesAccount(ctx(t), e.Acct)
		if err != nil {
			t.Fatal(err)
		}
		eq(t, "upnl", got.UnrealizedPnL, "-2")
		eq(t, "wallet", got.WalletBalance, "100")
	})
	t.Run("positions list null", func(t *testing.T) {
		e := newUTAEnv(t)
		e.C.SpotBalances(ctx(t), e.Acct)
		e.Fake.Inject(fakeFault(fake.PathUTAPositions, 200, ok(`{"list":null}`)))
		got, err := e.C.Positions(ctx(t), e.Acct)
		if err != nil || got == nil || len(got) != 0 {
			t.Fatalf("positions %+v, %v (want an empty, non-nil list)", got, err)
		}
	})
}

func TestUTAFuturesAccount(t *testing.T) {
	tests := []struct {
		name                     string
		assets                   []fake.Asset
		pos                      []fake.Position
		wallet, upnl, margin, av string
	}{
		{
			name:   "USDT with open positions",
			assets: []fake.Asset{{Coin: "BTC", Balance: "1", Available: "1"}, {Coin: "USDT", Balance: "10575.26735771", Available: "10000.5"}},
			pos: []fake.Position{
				{Symbol: "BTCUSDT", HoldSide: "long", Total: "1", UnrealizedPL: "-1.5"},
				{Symbol: "ETHUSDT", HoldSide: "short", Total: "2", UnrealizedPL: "3"},
			},
			wallet: "10575.26735771", upnl: "1.5", margin: "10576.76735771", av: "10000.5",
		},
		{
			name:   "no USDT: an empty account",
			assets: []fake.Asset{{Coin: "BTC", Balance: "1", Available: "1"}},
			wallet: "0", upnl: "0", margin: "0", av: "0",
		},
		{name: "an empty wallet", wallet: "0", upnl: "0", margin: "0", av: "0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newUTAEnv(t)
			e.Fake.Update(apiKey, func(a *fake.Account) { a.Assets, a.Positions = tt.assets, tt.pos })
			plugintest.FuturesIs(t, e.C, e.Acct, sdk.FuturesAccount{Asset: "USDT", WalletBalance: d(tt.wallet), UnrealizedPnL: d(tt.upnl), MarginBalance: d(tt.margin), AvailableBalance: d(tt.av)})
			// The one V2 call is the one that learnt the mode.
			if n2, n3 := e.Fake.Calls(fake.PathFuturesAccounts), e.Fake.Calls(fake.PathUTAAssets); n2 != 1 || n3 != 1 {
				t.Errorf("calls: %d to the Classic futures account, %d to the unified assets", n2, n3)
			}
		})
	}
}

func TestUTAPositions(t *testing.T) {
	for _, hedge := range []bool{false, true} {
		t.Run(map[bool]string{false: "one-way", true: "hedge"}[hedge], func(t *testing.T) {
			e := newUTAEnv(t)
			e.Fake.Update(apiKey, func(a *fake.Account) {
				a.HedgeMode = hedge
				a.Positions = []fake.Position{
					{Symbol: "BTCUSDT", HoldSide: "long", Total: "0.250", OpenPriceAvg: "60000.1", MarkPrice: "61000", UnrealizedPL: "249.975", Leverage: "20", LiquidationPrice: "40000.5", MarginMode: "crossed"},
					{Symbol: "ETHUSDT", HoldSide: "short", Total: "3", OpenPriceAvg: "3000", MarkPrice: "2900", UnrealizedPL: "300", Leverage: "5", LiquidationPrice: "0", MarginMode: "isolated", LeverageAsNumber: true},
					{Symbol: "ADAUSDT", HoldSide: "long", Total: "0", MarkPrice: "0.4"},
				}
			})
			// The zero row is left out.
			plugintest.PositionsAre(t, e.C, e.Acct, []sdk.Position{
				{Symbol: "BTC/USDT:USDT", Side: sdk.SideLong, Size: d("0.25"), EntryPrice: d("60000.1"), MarkPrice: d("61000"), UnrealizedPnL: d("249.975"), Leverage: d("20"), LiquidationPrice: d("40000.5"), MarginMode: sdk.MarginCross},
				{Symbol: "ETH/USDT:USDT", Side: sdk.SideShort, Size: d("3"), EntryPrice: d("3000"), MarkPrice: d("2900"), UnrealizedPnL: d("300"), Leverage: d("5"), LiquidationPrice: d("0"), MarginMode: sdk.MarginIsolate},
			})
			reqs := e.Fake.Requests()
			if last := reqs[len(reqs)-1]; last.Path != fake.PathUTAPositions || last.Query != "category=USDT-FUTURES" {
				t.Errorf("request %s?%s", last.Path, last.Query)
			}
		})
	}
}

// TestUTAPlaceOrder places orders on a unified account, whose mode the
// connector has learnt; testdata/uta_orders.txt says what each must send,
// what the fake made of it, the requests it took (a futures order reads
// the symbol's settings, and nothing goes to the Classic paths) and the
// order it comes back as.
func TestUTAPlaceOrder(t *testing.T) {
	plugintest.RunPlacements(t, "testdata/uta_orders.txt", bothKinds(false), func(t *testing.T, s placeSetup) plugintest.Arranged {
		e := fundedUTA(t, s.hedge)
		e.Fake.Update(apiKey, func(a *fake.Account) { a.Positions, a.Settings = s.pos, s.settings })
		if _, err := e.C.Positions(ctx(t), e.Acct); err != nil { // learn the mode first
			t.Fatal(err)
		}
		return plugintest.Arranged{Exchange: e.C, Account: e.Acct, Placed: func(t *testing.T) plugintest.Placed {
			return placed(t, e, fake.PathUTAPlace, fake.PathUTASettings, fake.PathSpotPlace, fake.PathFuturesPlace)
		}}
	})
}

// TestUTAOrderFirstCall: an order is the key's first call; V2 answers
// 40085 before acting, and the order goes through V3 once.
func TestUTAOrderFirstCall(t *testing.T) {
	e := fundedUTA(t, false)
	if _, err := e.C.PlaceOrder(ctx(t), e.Acct, plugintest.FuturesBuy); err != nil {
		t.Fatal(err)
	}
	for p, n := range map[string]int{fake.PathFuturesAccount: 1, fake.PathFuturesPlace: 0, fake.PathUTASettings: 1, fake.PathUTAPlace: 1} {
		if e.Fake.Calls(p) != n {
			t.Errorf("calls to %s: %d, want %d", p, e.Fake.Calls(p), n)
		}
	}
	if n := len(e.Fake.Orders(apiKey)); n != 1 {
		t.Fatalf("%d orders at the fake", n)
	}
}

// TestUTAOrderRejected runs Classic's refusals on a unified account, and
// a key that may not trade.
func TestUTAOrderRejected(t *testing.T) {
	rows := append(exchangeRefusals(),
		plugintest.Refusal[refusalSetup]{Name: "read-only key", Setup: refusalSetup{perms: []string{"uta_mgt"}}, Req: sdk.OrderRequest{Symbol: "BTC/USDT", Side: "sell", Type: "market", Quantity: d("0.1")}, Kind: sdk.KindPermission, Code: "40014"})
	plugintest.RunRefusals(t, rows, func(t *testing.T, s refusalSetup) plugintest.Arranged {
		e := fundedUTA(t, s.hedge)
		if s.perms != nil {
			k := fake.UTAKey(apiKey, secret, passphrase)
			k.Authorities = s.perms
			e.Fake.AddKey(k)
		}
		return plugintest.Arranged{Exchange: e.C, Account: e.Acct, Orders: func() int { return len(e.Fake.Orders(apiKey)) }}
	})
}

func TestUTACancelOrder(t *testing.T) {
	e := fundedUTA(t, false)
	spot, fut := plugintest.RestingOrders(t, e.C, e.Acct, "c-1")
	plugintest.RunCancels(t, e.C, e.Acct, e.Fake, []plugintest.CancelRow{
		{Name: "spot by client id", Req: sdk.CancelRequest{Market: "spot", Symbol: "BTC/USDT", ClientOrderID: "c-1"}, Body: `{"clientOid":"c-1","category":"SPOT"}`, Path: fake.PathUTACancel, Want: sdk.Order{ID: spot.ID, ClientOrderID: "c-1", Market: "spot", Symbol: "BTC/USDT", Status: sdk.StatusCanceled}},
		{Name: "futures by order id", Req: sdk.CancelRequest{Symbol: "ETH/USDT:USDT", OrderID: fut.ID, ClientOrderID: "ignored"}, Body: `{"orderId":"` + fut.ID + `","category":"USDT-FUTURES"}`, Path: fake.PathUTACancel, Want: sdk.Order{ID: fut.ID, ClientOrderID: fut.ClientOrderID, Market: "futures", Symbol: "ETH/USDT:USDT", Status: sdk.StatusCanceled}},
		{Name: "again: no longer open", Req: sdk.CancelRequest{Symbol: "ETH/USDT:USDT", OrderID: fut.ID}, Kind: sdk.KindOrderNotFound, Code: "43001"},
		{Name: "a spot order id in the futures category", Req: sdk.CancelRequest{Symbol: "BTC/USDT:USDT", OrderID: spot.ID}, Kind: sdk.KindOrderNotFound, Code: "43001"},
	})
	// The spot cancel released the locked USDT; the wallet is whole again.
	usdtWhole(t, e)
}
