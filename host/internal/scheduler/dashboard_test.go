package scheduler_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/globalautomation/gahost/host/internal/api"
	"github.com/globalautomation/gahost/host/internal/scheduler"
	"github.com/globalautomation/gahost/host/internal/scheduler/schedtest"
	"github.com/globalautomation/gahost/host/internal/store"
	"github.com/shopspring/decimal"
)

// TestDashboardShowsWhatTheExchangeServed: from the fake through the
// plugin, the scheduler and the store to the dashboard answers, every
// amount arrives exactly; and POST …/sync runs a sync and answers with it.
func TestDashboardShowsWhatTheExchangeServed(t *testing.T) {
	t.Parallel() // its checks wait for states; none measures a schedule closely
	bubble(t, func(t *testing.T) {
		e := newEnv(t, 5*time.Millisecond, "alpha")
		accounts := e.addAccounts("alpha", "dash", 3)
		// A day's interval: the syncs are the ones POST …/sync asks for.
		e.start(scheduler.Config{Interval: 24 * time.Hour})
		fx := e.fakes["alpha"]
		router := api.New(api.Deps{Store: e.st, Accounts: e.accts, Users: e.users, Syncer: e.sched})
		get := func(path string, out any) {
			t.Helper()
			req := httptest.NewRequest("GET", path, nil)
			req.Header.Set("Authorization", "Bearer "+e.token)
			w := httptest.NewRecorder()
			router.ServeHTTP(w, req)
			if w.Code != http.StatusOK {
				t.Fatalf("GET %s: %d %s", path, w.Code, w.Body)
			}
			if err := json.Unmarshal(w.Body.Bytes(), out); err != nil {
				t.Fatal(err)
			}
		}
		same := func(what, got, want string) {
			t.Helper()
			// The string is the exact decimal: equal in value, and in the
			// canonical form (trailing zeros dropped).
			w := decimal.RequireFromString(want)
			if got != w.String() {
				t.Errorf("%s = %q, the fake served %q", what, got, want)
			}
		}
		type balance struct{ Asset, Free, Locked, Total string }
		for i, a := range accounts {
			// Change what the fake serves, then sync through the API.
			key := keyOf("dash", i)
			served := fx.Account(key)
			served.Spot[0].Free = "7.000000000000000070"
			served.Futures.WalletBalance = "123456789.123456789123456789"
			served.Positions[0].MarkPrice = "0.00000001"
			fx.SetAccount(key, served)
			calls := fx.Calls(key)
			req := httptest.NewRequest("POST", "/api/v1/exchange-accounts/"+a.ID+"/sync", nil)
			req.Header.Set("Authorization", "Bearer "+e.token)
			w := httptest.NewRecorder()
			router.ServeHTTP(w, req)
			if w.Code != http.StatusOK || fx.Calls(key) < calls+3 {
				t.Fatalf("POST sync: %d %s, %d calls", w.Code, w.Body, fx.Calls(key)-calls)
			}
			var acct struct {
				Sync struct{ Status string } `json:"sync"`
			}
			if err := json.Unmarshal(w.Body.Bytes(), &acct); err != nil || acct.Sync.Status != store.SyncOK {
				t.Fatalf("POST sync answered %s", w.Body)
			}

			var bal struct {
				AccountID string    `json:"account_id"`
				SyncedAt  *string   `json:"synced_at"`
				Spot      []balance `json:"spot"`
				Futures   struct {
					WalletBalance    string `json:"wallet_balance"`
					UnrealizedPnL    string `json:"unrealized_pnl"`
					MarginBalance    string `json:"margin_balance"`
					AvailableBalance string `json:"available_balance"`
				} `json:"futures"`
				PositionsCount int `json:"positions_count"`
			}
			get("/api/v1/dashboard/balances?account_id="+a.ID, &bal)
			if bal.AccountID != a.ID || bal.SyncedAt == nil || len(bal.Spot) != len(served.Spot) || bal.PositionsCount != 1 {
				t.Fatalf("balances %+v", bal)
			}
			for k, b := range served.Spot {
				same(b.Asset+" free", bal.Spot[k].Free, b.Free)
				same(b.Asset+" locked", bal.Spot[k].Locked, b.Locked)
				same(b.Asset+" total", bal.Spot[k].Total,
					decimal.RequireFromString(b.Free).Add(decimal.RequireFromString(b.Locked)).String())
			}
			same("wallet", bal.Futures.WalletBalance, served.Futures.WalletBalance)
			same("margin", bal.Futures.MarginBalance, served.Futures.MarginBalance)
			same("available", bal.Futures.AvailableBalance, served.Futures.AvailableBalance)
			same("upnl", bal.Futures.UnrealizedPnL, served.Futures.UnrealizedPnL)

			var sb struct{ Balances []balance }
			get("/api/v1/dashboard/spot-balances/"+a.ID, &sb)
			if len(sb.Balances) != len(served.Spot) {
				t.Fatalf("spot balances %+v", sb)
			}
			for k, b := range served.Spot {
				same(b.Asset+" free", sb.Balances[k].Free, b.Free)
			}

			// The dashboard's position JSON has the fake's field names.
			var pos struct{ Positions []schedtest.Position }
			get("/api/v1/dashboard/positions?account_id="+a.ID, &pos)
			if len(pos.Positions) != 1 {
				t.Fatalf("positions %+v", pos)
			}
			p, sp := pos.Positions[0], served.Positions[0]
			if p.Symbol != sp.Symbol || p.Side != sp.Side || p.MarginMode != sp.MarginMode {
				t.Errorf("position %+v, served %+v", p, sp)
			}
			same("size", p.Size, sp.Size)
			same("entry", p.EntryPrice, sp.EntryPrice)
			same("mark", p.MarkPrice, sp.MarkPrice)
			same("upnl", p.UnrealizedPnL, sp.UnrealizedPnL)
			same("leverage", p.Leverage, sp.Leverage)
			same("liquidation", p.LiquidationPrice, sp.LiquidationPrice)

			var hist struct {
				Points []struct {
					SpotTotalUSDT        *string `json:"spot_total_usdt"`
					FuturesMarginBalance string  `json:"futures_margin_balance"`
				}
			}
			get("/api/v1/dashboard/history?account_id="+a.ID, &hist)
			if len(hist.Points) == 0 {
				t.Fatal("no history point after a sync")
			}
			last := hist.Points[len(hist.Points)-1]
			// The wallet holds BTC, which the host cannot price: no spot total.
			if last.SpotTotalUSDT != nil {
				t.Errorf("spot total %q for a wallet holding BTC", *last.SpotTotalUSDT)
			}
			same("history margin", last.FuturesMarginBalance, served.Futures.MarginBalance)
		}
	})
}
