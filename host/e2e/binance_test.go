package e2e

// The Binance connector inside the real gahost daemon against the strict
// fake Binance on loopback, all three as processes built from this
// checkout: the plugin is found and served, keys are checked through it,
// and (once the daemon syncs) the dashboard shows exactly what the fake
// holds. The host module imports no plugin module: the plugin and the fake
// (plugins/binance/fake/cmd/fakebinance) are built and run.

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/globalautomation/gahost/host/internal/hosttest"
	"github.com/shopspring/decimal"
)

// The fake Binance's Key and Account as its command reads them: the fake
// package's types by their Go field names. The command refuses a field it
// does not know, so a rename there fails here loudly.
type (
	fakeKey struct {
		APIKey, Secret               string
		EnableReading, EnableFutures bool
		EnableWithdrawals            bool
		IPRestrict                   bool
		AllowedIPs                   []string
	}
	fakeBalance      struct{ Asset, Free, Locked string }
	fakeFuturesAsset struct {
		Asset, WalletBalance, UnrealizedProfit, MarginBalance, AvailableBalance string
	}
	fakePosition struct {
		Symbol, PositionSide, PositionAmt, EntryPrice, MarkPrice string
		UnRealizedProfit, LiquidationPrice, IsolatedWallet       string
	}
	fakeSymbolConfig struct {
		Leverage   int64
		MarginType string
	}
	fakeAccount struct {
		Spot         []fakeBalance
		Futures      []fakeFuturesAsset
		Positions    []fakePosition
		SymbolConfig map[string]fakeSymbolConfig
	}
)

// The fake's account: amounts in Binance's own 8-decimal form, some with
// more significant digits than a float64 holds, and a zero balance and a
// zero position that must not show.
var (
	spotBalances = []fakeBalance{
		{Asset: "BTC", Free: "1.23456789", Locked: "0.10000000"},
		{Asset: "USDT", Free: "12345678901.12345678", Locked: "0.00000000"},
		{Asset: "ETH", Free: "0.00000000", Locked: "2.50000000"},
		{Asset: "DOGE", Free: "0.00000000", Locked: "0.00000000"},
	}
	futuresAssets = []fakeFuturesAsset{
		{Asset: "USDT", WalletBalance: "10000.12345678", UnrealizedProfit: "-12.50000000",
			MarginBalance: "9987.62345678", AvailableBalance: "9000.00000001"},
		{Asset: "BNB", WalletBalance: "1.00000000", UnrealizedProfit: "0.00000000",
			MarginBalance: "1.00000000", AvailableBalance: "1.00000000"},
	}
	positions = []fakePosition{
		{Symbol: "BTCUSDT", PositionSide: "BOTH", PositionAmt: "0.015", EntryPrice: "60000.1", MarkPrice: "60100.2",
			UnRealizedProfit: "1.5015", LiquidationPrice: "30000.5"},
		{Symbol: "ETHUSDT", PositionSide: "BOTH", PositionAmt: "-2.500", EntryPrice: "3000.5", MarkPrice: "2990.25",
			UnRealizedProfit: "25.625", LiquidationPrice: "4000", IsolatedWallet: "100"},
		{Symbol: "SOLUSDT", PositionSide: "BOTH", PositionAmt: "0", EntryPrice: "0", MarkPrice: "150"},
	}
)

// stack is a daemon serving the Binance plugin, pointed at a fake Binance
// that knows one good key.
type stack struct {
	d    *hosttest.Daemon
	fake *hosttest.Fake
	key  fakeKey
}

func setup(t *testing.T) *stack {
	t.Helper()
	f := hosttest.StartFake(t, bins.fakeBinance)
	key := fakeKey{
		APIKey: "e2eKey" + randHex(t), Secret: "e2eSecret" + randHex(t),
		EnableReading: true, EnableFutures: true,
		IPRestrict: true, AllowedIPs: []string{"127.0.0.1", "::1"},
	}
	f.AddAccount(key, fakeAccount{
		Spot:         spotBalances,
		Futures:      futuresAssets,
		Positions:    positions,
		SymbolConfig: map[string]fakeSymbolConfig{"ETHUSDT": {Leverage: 5, MarginType: "ISOLATED"}},
	})

	dir := t.TempDir()
	pdir := filepath.Join(dir, "plugins")
	if err := os.MkdirAll(pdir, 0o755); err != nil {
		t.Fatal(err)
	}
	hosttest.InstallPlugin(t, bins.binance, pdir, "gahost-plugin-binance")
	d := hosttest.Start(t, bins.daemon, dir, hosttest.Options{
		PluginDir:  pdir,
		Env:        []string{"GAHOST_MASTER_KEY="},
		ConfigBody: fmt.Sprintf("exchange \"binance\" {\n  endpoints = {\n    spot    = %q\n    futures = %q\n  }\n}\n", f.URL, f.URL),
	})
	s := &stack{d: d, fake: f, key: key}
	t.Cleanup(func() {
		d.Stop()
		log := d.Log()
		for what, v := range map[string]string{"API key": key.APIKey, "secret": key.Secret, "admin token": d.Token} {
			if strings.Contains(log, v) {
				t.Errorf("the daemon log holds the %s", what)
			}
		}
	})
	d.WaitExchange("binance", 15*time.Second, func(e hosttest.Exchange, ok bool) bool { return ok && e.Status == "ready" })
	return s
}

func randHex(t testing.TB) string {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

type syncedAccount struct {
	ID                string `json:"id"`
	Name              string `json:"name"`
	Exchange          string `json:"exchange"`
	IsMain            bool   `json:"is_main"`
	APIKeyHint        string `json:"api_key_hint"`
	CredentialsStatus string `json:"credentials_status"`
	Sync              struct {
		Status    string `json:"status"`
		LastError string `json:"last_error"`
	} `json:"sync"`
}

// addAccount posts a Binance account with validation and returns the
// status and the raw answer.
func (s *stack) addAccount(t *testing.T, exchange, apiKey, secret string) (int, []byte) {
	t.Helper()
	var raw json.RawMessage
	code := s.d.Do("POST", "/api/v1/exchange-accounts", map[string]any{
		"name": "Main Binance", "exchange": exchange, "api_key": apiKey, "secret_key": secret, "validate": true,
	}, &raw)
	return code, raw
}

func TestBinanceThroughTheDaemon(t *testing.T) {
	s := setup(t)

	var ex hosttest.Exchange
	for _, e := range s.d.Exchanges() {
		if e.Name == "binance" {
			ex = e
		}
	}
	if ex.DisplayName != "Binance" || ex.RequiresPassphrase || !ex.SupportsTestnet || ex.ProtocolVersion < 1 ||
		!slices.Equal(ex.Capabilities, []string{"spot_balances", "futures_account", "positions", "orders", "prices", "instruments", "streams"}) {
		t.Errorf("GET /exchanges binance = %+v", ex)
	}

	code, raw := s.addAccount(t, "binance", s.key.APIKey, s.key.Secret)
	if code != http.StatusCreated {
		t.Fatalf("add account with good keys: %d %s", code, raw)
	}
	var a syncedAccount
	if err := json.Unmarshal(raw, &a); err != nil {
		t.Fatal(err)
	}
	k := s.key.APIKey
	if a.Exchange != "binance" || !a.IsMain || a.CredentialsStatus != "ok" || a.APIKeyHint != k[:4]+"…"+k[len(k)-4:] {
		t.Errorf("account = %+v", a)
	}
	// The check reached the fake through the endpoint override.
	if n := s.fake.Calls("/sapi/v1/account/apiRestrictions"); n != 1 {
		t.Errorf("the fake saw %d credential checks, want 1", n)
	}
	if n := s.fake.Calls("/fapi/v1/accountConfig"); n != 1 {
		t.Errorf("the fake saw %d futures config reads, want 1", n)
	}

	wrongSecret := "wrongSecret" + randHex(t)
	tests := []struct {
		name, exchange, apiKey, secret string
		want                           int
		code                           string
	}{
		{"wrong secret", "binance", s.key.APIKey, wrongSecret, http.StatusUnprocessableEntity, "credentials_rejected"},
		{"unknown key", "binance", "unknownKey" + randHex(t), s.key.Secret, http.StatusUnprocessableEntity, "credentials_rejected"},
		{"no plugin for the exchange", "kraken", s.key.APIKey, s.key.Secret, http.StatusBadRequest, "unknown_exchange"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, raw := s.addAccount(t, tt.exchange, tt.apiKey, tt.secret)
			var e apiError
			_ = json.Unmarshal(raw, &e)
			if code != tt.want || e.Error.Code != tt.code || e.Error.Message == "" {
				t.Errorf("status %d %s, want %d %s", code, raw, tt.want, tt.code)
			}
			for _, secret := range []string{tt.apiKey, tt.secret, s.key.APIKey, s.key.Secret} {
				if bytes.Contains(raw, []byte(secret)) {
					t.Errorf("the answer holds a key or secret: %s", raw)
				}
			}
		})
	}

	// Nothing turned down was stored.
	var list []syncedAccount
	if code := s.d.Do("GET", "/api/v1/exchange-accounts", nil, &list); code != http.StatusOK || len(list) != 1 || list[0].ID != a.ID {
		t.Errorf("accounts: %d %+v", code, list)
	}
}

// amount is a value of a dashboard answer; amounts must come as JSON
// strings.
type amount struct {
	text     string
	isString bool
}

func (a *amount) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		a.isString = true
		return json.Unmarshal(b, &a.text)
	}
	a.text = string(b)
	return nil
}

// sameAmount checks that got is a decimal string of exactly the value
// want: every digit kept, trailing zeros aside.
func sameAmount(t *testing.T, field string, got amount, want string) {
	t.Helper()
	w := decimal.RequireFromString(want)
	g, err := decimal.NewFromString(got.text)
	if !got.isString || err != nil || !g.Equal(w) {
		t.Errorf("%s = %s (string %v), want %q", field, got.text, got.isString, w.String())
	}
}

type spotRow struct {
	Asset  string `json:"asset"`
	Free   amount `json:"free"`
	Locked amount `json:"locked"`
	Total  amount `json:"total"`
}

// checkSpot compares spot rows with the fake's balances, zeros left out.
func checkSpot(t *testing.T, where string, rows []spotRow) {
	t.Helper()
	got := map[string]spotRow{}
	for _, r := range rows {
		got[r.Asset] = r
	}
	want := 0
	for _, b := range spotBalances {
		total := decimal.RequireFromString(b.Free).Add(decimal.RequireFromString(b.Locked))
		r, ok := got[b.Asset]
		if total.IsZero() {
			if ok {
				t.Errorf("%s: zero balance %s shown", where, b.Asset)
			}
			continue
		}
		want++
		if !ok {
			t.Errorf("%s: no %s balance", where, b.Asset)
			continue
		}
		sameAmount(t, where+" "+b.Asset+" free", r.Free, b.Free)
		sameAmount(t, where+" "+b.Asset+" locked", r.Locked, b.Locked)
		sameAmount(t, where+" "+b.Asset+" total", r.Total, total.String())
	}
	if len(rows) != want {
		t.Errorf("%s: %d balances, want %d: %+v", where, len(rows), want, rows)
	}
}

func TestBinanceDashboardAfterSync(t *testing.T) {
	s := setup(t)
	code, raw := s.addAccount(t, "binance", s.key.APIKey, s.key.Secret)
	if code != http.StatusCreated {
		t.Fatalf("add account: %d %s", code, raw)
	}
	var a syncedAccount
	if err := json.Unmarshal(raw, &a); err != nil {
		t.Fatal(err)
	}

	var synced syncedAccount
	var e apiError
	code = s.d.Do("POST", "/api/v1/exchange-accounts/"+a.ID+"/sync", nil, &e)
	if code != http.StatusOK {
		t.Fatalf("sync: status %d %+v", code, e)
	}
	if code := s.d.Do("GET", "/api/v1/exchange-accounts/"+a.ID, nil, &synced); code != http.StatusOK ||
		synced.Sync.Status != "ok" {
		t.Fatalf("account after sync: %d %+v", code, synced)
	}

	q := "?account_id=" + a.ID
	var bal struct {
		AccountID string     `json:"account_id"`
		Exchange  string     `json:"exchange"`
		SyncedAt  *time.Time `json:"synced_at"`
		Spot      []spotRow  `json:"spot"`
		Futures   struct {
			Asset            string `json:"asset"`
			WalletBalance    amount `json:"wallet_balance"`
			UnrealizedPnL    amount `json:"unrealized_pnl"`
			MarginBalance    amount `json:"margin_balance"`
			AvailableBalance amount `json:"available_balance"`
		} `json:"futures"`
		PositionsCount int `json:"positions_count"`
	}
	if code := s.d.Do("GET", "/api/v1/dashboard/balances"+q, nil, &bal); code != http.StatusOK {
		t.Fatalf("GET /dashboard/balances: %d", code)
	}
	if bal.AccountID != a.ID || bal.Exchange != "binance" || bal.SyncedAt == nil || bal.PositionsCount != 2 {
		t.Errorf("balances: account %q exchange %q synced_at %v positions_count %d", bal.AccountID, bal.Exchange, bal.SyncedAt, bal.PositionsCount)
	}
	checkSpot(t, "balances spot", bal.Spot)
	usdt := futuresAssets[0]
	if bal.Futures.Asset != "USDT" {
		t.Errorf("futures asset %q", bal.Futures.Asset)
	}
	sameAmount(t, "futures wallet_balance", bal.Futures.WalletBalance, usdt.WalletBalance)
	sameAmount(t, "futures unrealized_pnl", bal.Futures.UnrealizedPnL, usdt.UnrealizedProfit)
	sameAmount(t, "futures margin_balance", bal.Futures.MarginBalance, usdt.MarginBalance)
	sameAmount(t, "futures available_balance", bal.Futures.AvailableBalance, usdt.AvailableBalance)

	var spot struct {
		AccountID string     `json:"account_id"`
		SyncedAt  *time.Time `json:"synced_at"`
		Balances  []spotRow  `json:"balances"`
	}
	if code := s.d.Do("GET", "/api/v1/dashboard/spot-balances/"+a.ID, nil, &spot); code != http.StatusOK {
		t.Fatalf("GET /dashboard/spot-balances: %d", code)
	}
	if spot.AccountID != a.ID || spot.SyncedAt == nil {
		t.Errorf("spot-balances: account %q synced_at %v", spot.AccountID, spot.SyncedAt)
	}
	checkSpot(t, "spot-balances", spot.Balances)

	type position struct {
		Symbol           string `json:"symbol"`
		Side             string `json:"side"`
		Size             amount `json:"size"`
		EntryPrice       amount `json:"entry_price"`
		MarkPrice        amount `json:"mark_price"`
		UnrealizedPnL    amount `json:"unrealized_pnl"`
		Leverage         amount `json:"leverage"`
		LiquidationPrice amount `json:"liquidation_price"`
		MarginMode       string `json:"margin_mode"`
	}
	var pos struct {
		AccountID string     `json:"account_id"`
		SyncedAt  *time.Time `json:"synced_at"`
		Positions []position `json:"positions"`
	}
	if code := s.d.Do("GET", "/api/v1/dashboard/positions"+q, nil, &pos); code != http.StatusOK {
		t.Fatalf("GET /dashboard/positions: %d", code)
	}
	if pos.AccountID != a.ID || pos.SyncedAt == nil || len(pos.Positions) != 2 {
		t.Fatalf("positions: account %q synced_at %v, %d positions, want 2", pos.AccountID, pos.SyncedAt, len(pos.Positions))
	}
	want := map[string]struct {
		side, mode, size, leverage string
		row                        fakePosition
	}{
		"BTC/USDT:USDT": {"long", "cross", "0.015", "20", positions[0]},
		"ETH/USDT:USDT": {"short", "isolated", "2.5", "5", positions[1]},
	}
	for _, p := range pos.Positions {
		w, ok := want[p.Symbol]
		if !ok {
			t.Errorf("unexpected position %s", p.Symbol)
			continue
		}
		delete(want, p.Symbol)
		if p.Side != w.side || p.MarginMode != w.mode {
			t.Errorf("%s: side %q margin_mode %q, want %q %q", p.Symbol, p.Side, p.MarginMode, w.side, w.mode)
		}
		sameAmount(t, p.Symbol+" size", p.Size, w.size)
		sameAmount(t, p.Symbol+" entry_price", p.EntryPrice, w.row.EntryPrice)
		sameAmount(t, p.Symbol+" mark_price", p.MarkPrice, w.row.MarkPrice)
		sameAmount(t, p.Symbol+" unrealized_pnl", p.UnrealizedPnL, w.row.UnRealizedProfit)
		sameAmount(t, p.Symbol+" liquidation_price", p.LiquidationPrice, w.row.LiquidationPrice)
		// Leverage is a multiplier, not an amount; a string or a number will do.
		if l, err := decimal.NewFromString(p.Leverage.text); err != nil || !l.Equal(decimal.RequireFromString(w.leverage)) {
			t.Errorf("%s: leverage %s, want %s", p.Symbol, p.Leverage.text, w.leverage)
		}
	}
	for sym := range want {
		t.Errorf("position %s missing", sym)
	}
}
