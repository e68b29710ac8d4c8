package api

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/globalautomation/gahost/host/internal/prices"
	"github.com/globalautomation/gahost/host/internal/store"
	"github.com/globalautomation/gahost/sdk"
)

// pricedExchange is a plugin that serves prices from a fixed book.
type pricedExchange struct {
	sdk.Exchange // nil: only Prices is called
	book         map[string]sdk.Price
}

func (p pricedExchange) Prices(_ context.Context, _ sdk.Account, r sdk.PriceRequest) (sdk.Prices, error) {
	return sdk.AnswerPrices("fakex", r, p.book), nil
}

type priceCatalog map[string]sdk.Exchange

func (c priceCatalog) Exchange(name string) (sdk.Exchange, sdk.Info, bool) {
	x, ok := c[name]
	return x, sdk.Info{Name: name, Capabilities: []string{sdk.CapPrices}}, ok
}

// withPrices rebuilds the router over a price source whose fakex lists
// BTC/USDT at 60000.5, and returns the source.
func (e *env) withPrices() *prices.Source {
	e.t.Helper()
	px, err := prices.New(prices.Config{Store: e.st, Now: e.clock.now, Catalog: priceCatalog{"fakex": pricedExchange{
		book: map[string]sdk.Price{"BTC/USDT": {Symbol: "BTC/USDT", Last: dec("60000.5")}}}}})
	if err != nil {
		e.t.Fatal(err)
	}
	e.deps.Valuer = px
	e.build()
	return px
}

// syncPriced writes a sync of snap as the scheduler does with a price
// source: the point of the sync is valued by it.
func (e *env) syncPriced(px *prices.Source, a accountView, snap store.Snapshot) store.HistoryPoint {
	e.t.Helper()
	var point store.HistoryPoint
	err := e.st.PutSyncResult(context.Background(), a.ID, store.SyncResult{Fresh: &snap,
		State: store.SyncState{Status: store.SyncOK, LastSyncAt: snap.SyncedAt},
		Point: func(merged store.Snapshot) (store.HistoryPoint, bool) {
			point = store.HistoryPoint{At: snap.SyncedAt}
			px.ValuePoint(a.Exchange, false, a.ID, merged, &point)
			return point, true
		}})
	if err != nil {
		e.t.Fatal(err)
	}
	return point
}

// seedPoint stores a history point with an equity (nil: one the prices of
// its time could not value).
func (e *env) seedPoint(id string, at time.Time, equity string) {
	p := store.HistoryPoint{At: at, EquityMissing: "XYZ has no value"}
	if equity != "" {
		v := dec(equity)
		p = store.HistoryPoint{At: at, EquityUSDT: &v}
	}
	e.storeSync(id, &store.Snapshot{SyncedAt: at, Errors: map[string]string{"spot_balances": "x"}}, &p)
}

// TestValuedBalancesAndSummary: balances valued at the exchange's prices
// with exact decimals, P&L over the windows from seeded history, missing
// prices and history said as such, and the summary's totals.
func TestValuedBalancesAndSummary(t *testing.T) {
	e := newEnv(t)
	px := e.withPrices()
	tok := e.user("valued", "user")
	main := e.account(tok, accountBody("main"))
	usdt := e.account(tok, accountBody("usdt"))
	odd := e.account(tok, accountBody("odd"))
	now := e.clock.now() // 2026-01-02T03:04:05Z

	// History first: the sync writes below are the latest.
	e.seedPoint(main.ID, now.Add(-24*time.Hour-10*time.Minute), "30000")
	e.seedPoint(main.ID, now.Add(-24*time.Hour+30*time.Minute), "31000")
	e.seedPoint(main.ID, now.Add(-7*24*time.Hour-time.Hour), "") // nearer, but not valued
	e.seedPoint(main.ID, now.Add(-7*24*time.Hour+3*time.Hour), "40000")
	e.seedPoint(main.ID, now.Add(-30*24*time.Hour-31*time.Hour), "1") // beyond the 30 h tolerance
	e.seedPoint(usdt.ID, now.Add(-24*time.Hour), "400")
	e.seedPoint(usdt.ID, now.Add(-7*24*time.Hour), "500")
	e.seedPoint(usdt.ID, now.Add(-30*24*time.Hour), "0")

	at := now.Add(-time.Second)
	mainSnap := store.Snapshot{SyncedAt: at, SpotAt: at, FuturesAt: at, PositionsAt: at,
		Spot: []store.Balance{{Asset: "BTC", Free: dec("0.4"), Locked: dec("0.1")}, {Asset: "USDT", Free: dec("1000.25")}},
		Futures: &store.FuturesAccount{Asset: "USDT", WalletBalance: dec("5000.1"), UnrealizedPnL: dec("-12.5"),
			MarginBalance: dec("4987.6"), AvailableBalance: dec("4000")}}
	// The first sync of the account comes before any price read: its
	// point says so.
	if p := e.syncPriced(px, main, mainSnap); p.EquityUSDT != nil ||
		p.EquityMissing != "BTC has no value: the prices of fakex have not been read yet" {
		t.Errorf("point before prices: %+v", p)
	}
	e.syncPriced(px, usdt, store.Snapshot{SyncedAt: at, SpotAt: at, Spot: []store.Balance{{Asset: "USDT", Free: dec("500")}}})
	e.syncPriced(px, odd, store.Snapshot{SyncedAt: at, SpotAt: at, Spot: []store.Balance{{Asset: "XYZ", Free: dec("3")}}})
	if b := px.Refresh(context.Background(), "fakex", false); b.Err != "" || !b.At.Equal(now) {
		t.Fatalf("price read: %+v", b)
	}
	// 0.5 BTC × 60000.5 = 30000.25; + 1000.25 USDT; + 4987.6 margin.
	if p := e.syncPriced(px, main, mainSnap); p.EquityUSDT == nil || p.EquityUSDT.String() != "35988.1" ||
		p.SpotTotalUSDT.String() != "31000.5" || !p.PricesAt.Equal(now) {
		t.Errorf("point once priced: %+v", p)
	}

	r := e.do("GET", "/api/v1/dashboard/balances", tok, nil)
	if r.Code != 200 {
		t.Fatalf("balances: %d %s", r.Code, r.Body)
	}
	// P&L: 24 h from the point 10 min before the start (nearer than the
	// one 30 min after): 35988.1 - 30000 = 5988.1, 19.960333…%; 7 d from
	// the valued point 3 h after its start; 30 d has no point within 30 h.
	sameJSON(t, r.Body.Bytes(), `{"account_id":"`+main.ID+`","account_name":"main","is_active":true,"exchange":"fakex","synced_at":"2026-01-02T03:04:04Z",`+
		`"spot":[{"asset":"BTC","free":"0.4","locked":"0.1","total":"0.5"},{"asset":"USDT","free":"1000.25","locked":"0","total":"1000.25"}],`+
		`"futures":{"asset":"USDT","wallet_balance":"5000.1","unrealized_pnl":"-12.5","margin_balance":"4987.6","available_balance":"4000"},`+
		`"positions_count":0,`+
		`"equity_usdt":"35988.1","equity_missing":null,"spot_value_usdt":"31000.5","unrealized_pnl_usdt":"-12.5",`+
		`"prices_at":"2026-01-02T03:04:05Z","values":[`+
		`{"asset":"BTC","total":"0.5","price_usdt":"60000.5","value_usdt":"30000.25","missing":null},`+
		`{"asset":"USDT","total":"1000.25","price_usdt":"1","value_usdt":"1000.25","missing":null}],`+
		`"pnl":{"24h":{"pnl_usdt":"5988.1","pnl_percent":"19.96","since":"2026-01-01T02:54:05Z","equity_then_usdt":"30000","missing":null},`+
		`"7d":{"pnl_usdt":"-4011.9","pnl_percent":"-10.03","since":"2025-12-26T06:04:05Z","equity_then_usdt":"40000","missing":null},`+
		`"30d":{"pnl_usdt":null,"pnl_percent":null,"since":null,"equity_then_usdt":null,`+
		`"missing":"not enough history: no valued equity within 30h0m0s of 2025-12-03T03:04:05Z"}}}`)

	r = e.do("GET", "/api/v1/dashboard/balances?account_id="+odd.ID, tok, nil)
	var oddAnswer struct {
		EquityUSDT    *string `json:"equity_usdt"`
		EquityMissing string  `json:"equity_missing"`
		Values        []struct {
			Asset     string
			ValueUSDT *string `json:"value_usdt"`
			Missing   string
		}
		PnL map[string]struct{ Missing string }
	}
	r.decode(t, &oddAnswer)
	const noXYZ = "fakex lists no XYZ/USDT spot market to value XYZ by"
	if oddAnswer.EquityUSDT != nil || oddAnswer.EquityMissing != "XYZ has no value: "+noXYZ ||
		len(oddAnswer.Values) != 1 || oddAnswer.Values[0].ValueUSDT != nil || oddAnswer.Values[0].Missing != noXYZ ||
		oddAnswer.PnL["24h"].Missing != "the equity now is unknown" {
		t.Errorf("an asset without a price: %s", r.Body)
	}

	// History shows the equity each point stored, or why it has none.
	r = e.do("GET", "/api/v1/dashboard/history?from=2025-12-26T05:00:00Z&to=2025-12-26T07:00:00Z", tok, nil)
	sameJSON(t, r.Body.Bytes(), `{"points":[{"at":"2025-12-26T06:04:05Z","futures_margin_balance":"0","unrealized_pnl":"0","equity_usdt":"40000"}]}`)
	r = e.do("GET", "/api/v1/dashboard/history?from=2025-12-26T02:00:00Z&to=2025-12-26T02:04:05Z", tok, nil)
	sameJSON(t, r.Body.Bytes(), `{"points":[{"at":"2025-12-26T02:04:05Z","futures_margin_balance":"0","unrealized_pnl":"0","equity_missing":"XYZ has no value"}]}`)

	// The summary: odd holds what has no price, so the total lacks an
	// equity until it is left out of the total (deactivated).
	var sum struct {
		Accounts []struct {
			AccountID  string  `json:"account_id"`
			IsActive   bool    `json:"is_active"`
			EquityUSDT *string `json:"equity_usdt"`
			PnL        map[string]struct {
				PnLUSDT *string `json:"pnl_usdt"`
			} `json:"pnl"`
		}
		Total struct {
			Accounts          int
			EquityUSDT        *string `json:"equity_usdt"`
			EquityMissing     *string `json:"equity_missing"`
			SpotValueUSDT     *string `json:"spot_value_usdt"`
			UnrealizedPnLUSDT *string `json:"unrealized_pnl_usdt"`
			PnL               map[string]struct {
				PnLUSDT        *string    `json:"pnl_usdt"`
				PnLPercent     *string    `json:"pnl_percent"`
				EquityThenUSDT *string    `json:"equity_then_usdt"`
				Since          *time.Time `json:"since"`
				Missing        *string
			} `json:"pnl"`
		}
	}
	r = e.do("GET", "/api/v1/dashboard/summary", tok, nil)
	r.decode(t, &sum)
	if sum.Total.Accounts != 3 || sum.Total.EquityUSDT != nil || sum.Total.EquityMissing == nil ||
		*sum.Total.EquityMissing != `account "odd" (`+odd.ID+`): XYZ has no value: `+noXYZ || sum.Total.PnL["24h"].Missing == nil {
		t.Errorf("summary with an unvalued account: %s", r.Body)
	}
	off := false
	if r := e.do("PATCH", "/api/v1/exchange-accounts/"+odd.ID, tok, map[string]any{"is_active": off}); r.Code != 200 {
		t.Fatalf("deactivate: %d %s", r.Code, r.Body)
	}
	r = e.do("GET", "/api/v1/dashboard/summary", tok, nil)
	sum.Accounts, sum.Total.PnL = nil, nil
	r.decode(t, &sum)
	if len(sum.Accounts) != 3 {
		t.Fatalf("summary accounts: %s", r.Body)
	}
	wantRows := map[string]struct {
		active       bool
		equity, p24h string
	}{main.ID: {true, "35988.1", "5988.1"}, usdt.ID: {true, "500", "100"}, odd.ID: {false, "null", "null"}}
	for _, row := range sum.Accounts {
		w := wantRows[row.AccountID]
		if row.IsActive != w.active || deref(row.EquityUSDT) != w.equity || deref(row.PnL["24h"].PnLUSDT) != w.p24h {
			t.Errorf("summary row %s: %+v, want %+v", row.AccountID, row, w)
		}
	}
	tot := sum.Total
	// 24 h: 5988.1 + 100 over 30000 + 400 = 20.0266…%; 7 d: -4011.9 + 0
	// over 40000 + 500; 30 d: main has no point.
	if tot.Accounts != 2 || deref(tot.EquityUSDT) != "36488.1" || tot.EquityMissing != nil ||
		deref(tot.SpotValueUSDT) != "31500.5" || deref(tot.UnrealizedPnLUSDT) != "-12.5" {
		t.Errorf("total: %s", r.Body)
	}
	for w, want := range map[string][3]string{"24h": {"6088.1", "20.03", "30400"}, "7d": {"-4011.9", "-9.91", "40500"}} {
		p := tot.PnL[w]
		if deref(p.PnLUSDT) != want[0] || deref(p.PnLPercent) != want[1] || deref(p.EquityThenUSDT) != want[2] ||
			p.Missing != nil || p.Since == nil {
			t.Errorf("total P&L over %s: %+v, want %v", w, p, want)
		}
	}
	if !tot.PnL["7d"].Since.Equal(now.Add(-7 * 24 * time.Hour)) {
		t.Errorf("total 7d since %s, want the earliest point compared with", tot.PnL["7d"].Since)
	}
	if m := tot.PnL["30d"].Missing; m == nil || !strings.HasPrefix(*m, `account "main" (`+main.ID+`): not enough history`) {
		t.Errorf("total 30d: %+v", tot.PnL["30d"])
	}
}

// TestSummaryEmpty: a user with no account has an empty summary whose
// total is zero and whose P&L says why there is none.
func TestSummaryEmpty(t *testing.T) {
	e := newEnv(t)
	tok := e.user("empty", "user")
	r := e.do("GET", "/api/v1/dashboard/summary", tok, nil)
	const none = `{"pnl_usdt":null,"pnl_percent":null,"since":null,"equity_then_usdt":null,"missing":"no active account"}`
	sameJSON(t, r.Body.Bytes(), `{"accounts":[],"total":{"accounts":0,"equity_usdt":"0","equity_missing":null,`+
		`"spot_value_usdt":"0","unrealized_pnl_usdt":"0","pnl":{"24h":`+none+`,"7d":`+none+`,"30d":`+none+`}}}`)
	if r := e.do("GET", "/api/v1/dashboard/summary", "", nil); r.Code != 401 {
		t.Errorf("summary without a token: %d", r.Code)
	}
}

func deref(s *string) string {
	if s == nil {
		return "null"
	}
	return *s
}
