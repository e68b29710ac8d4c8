package api

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/globalautomation/gahost/host/internal/scheduler"
	"github.com/globalautomation/gahost/host/internal/store"
	"github.com/shopspring/decimal"
)

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// storeSync writes a sync result as the scheduler would.
func (e *env) storeSync(id string, snap *store.Snapshot, point *store.HistoryPoint) {
	e.t.Helper()
	r := store.SyncResult{Fresh: snap, State: store.SyncState{Status: store.SyncOK, LastSyncAt: snap.SyncedAt}}
	if point != nil {
		r.Point = func(store.Snapshot) (store.HistoryPoint, bool) { return *point, true }
	}
	err := e.st.PutSyncResult(context.Background(), id, r)
	if err != nil {
		e.t.Fatal(err)
	}
}

// sameJSON compares two JSON texts by value.
func sameJSON(t *testing.T, got []byte, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("answer is not JSON: %s", got)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("bad want: %v", err)
	}
	gb, _ := json.Marshal(g)
	wb, _ := json.Marshal(w)
	if string(gb) != string(wb) {
		t.Errorf("answer\n %s\nwant\n %s", gb, wb)
	}
}

// noAccountWindow is a P&L window of a user without any account.
const noAccountWindow = `{"pnl_usdt":null,"pnl_percent":null,"since":null,"equity_then_usdt":null,"missing":"no exchange account"}`

func TestDashboard(t *testing.T) {
	e := newEnv(t)
	tok := e.user("dash", "user")
	other := e.user("other", "user")
	main := e.account(tok, accountBody("main"))
	second := e.account(tok, accountBody("second"))
	foreign := e.account(other, accountBody("foreign"))
	lonely := e.user("lonely", "user") // no account at all

	at := time.Date(2026, 1, 2, 3, 4, 5, 123000000, time.UTC)
	e.storeSync(main.ID, &store.Snapshot{
		SyncedAt: at,
		Spot: []store.Balance{
			{Asset: "BTC", Free: dec("0.123456789012345678"), Locked: dec("0.000000000000000001")},
			{Asset: "DUST", Free: dec("0"), Locked: dec("0")}, // left out
			{Asset: "USDT", Free: dec("1000.25"), Locked: dec("0")},
		},
		SpotAt: at,
		Futures: &store.FuturesAccount{Asset: "USDT", WalletBalance: dec("5000.10"), UnrealizedPnL: dec("-12.5"),
			MarginBalance: dec("4987.60"), AvailableBalance: dec("4000")},
		FuturesAt: at,
		Positions: []store.Position{{Symbol: "BTC/USDT:USDT", Side: "long", Size: dec("0.010"), EntryPrice: dec("60000.1"),
			MarkPrice: dec("58750.1"), UnrealizedPnL: dec("-12.5"), Leverage: dec("10"), LiquidationPrice: dec("54321.9"),
			MarginMode: "cross"}},
		PositionsAt: at,
	}, nil)
	spotTotal := dec("1000.25")
	for i, p := range []struct {
		at   time.Time
		spot *decimal.Decimal
	}{{at.Add(-2 * time.Hour), nil}, {at.Add(-time.Hour), &spotTotal}, {at, &spotTotal}} {
		e.storeSync(main.ID, &store.Snapshot{SyncedAt: p.at, Errors: map[string]string{
			"spot_balances": "x", "futures_account": "x", "positions": "x"}}, &store.HistoryPoint{
			At: p.at, SpotTotalUSDT: p.spot, FuturesMarginBalance: dec("4987.6").Add(decimal.NewFromInt(int64(i))),
			UnrealizedPnL: dec("-12.50")})
	}
	// The snapshot kept every part of the first write (the later ones
	// failed every part), so the dashboard shows that one, synced last at "at".

	const unknownNow = `{"pnl_usdt":null,"pnl_percent":null,"since":null,"equity_then_usdt":null,"missing":"the equity now is unknown"}`
	cases := []struct {
		name, path, token string
		status            int
		want              string // JSON, or the error code
	}{
		{"balances of the main account", "/api/v1/dashboard/balances", tok, 200, `{"account_id":"` + main.ID +
			`","account_name":"main","is_active":true,"exchange":"fakex","synced_at":"2026-01-02T03:04:05.123Z","spot":[` +
			`{"asset":"BTC","free":"0.123456789012345678","locked":"0.000000000000000001","total":"0.123456789012345679"},` +
			`{"asset":"USDT","free":"1000.25","locked":"0","total":"1000.25"}],` +
			`"futures":{"asset":"USDT","wallet_balance":"5000.1","unrealized_pnl":"-12.5","margin_balance":"4987.6","available_balance":"4000"},` +
			`"positions_count":1,` +
			// Without a price source only USDT has a value.
			`"equity_usdt":null,"equity_missing":"BTC has no value: the prices of fakex have not been read yet",` +
			`"spot_value_usdt":null,"unrealized_pnl_usdt":"-12.5","prices_at":null,"values":[` +
			`{"asset":"BTC","total":"0.123456789012345679","price_usdt":null,"value_usdt":null,"missing":"the prices of fakex have not been read yet"},` +
			`{"asset":"USDT","total":"1000.25","price_usdt":"1","value_usdt":"1000.25","missing":null}],` +
			`"pnl":{"24h":` + unknownNow + `,"7d":` + unknownNow + `,"30d":` + unknownNow + `}}`},
		{"balances before the first sync", "/api/v1/dashboard/balances?account_id=" + second.ID, tok, 200,
			`{"account_id":"` + second.ID + `","account_name":"second","is_active":true,"exchange":"fakex","synced_at":null,"spot":[],"futures":null,"positions_count":0,` +
				`"equity_usdt":null,"equity_missing":"the account has not been synced yet","spot_value_usdt":null,` +
				`"unrealized_pnl_usdt":null,"prices_at":null,"values":[],` +
				`"pnl":{"24h":` + unknownNow + `,"7d":` + unknownNow + `,"30d":` + unknownNow + `}}`},
		{"balances of another user's account", "/api/v1/dashboard/balances?account_id=" + foreign.ID, tok, 404, "not_found"},
		{"balances of a user without accounts", "/api/v1/dashboard/balances", lonely, 200,
			`{"account_id":null,"account_name":"","is_active":false,"empty_state":"no_account","exchange":"",` +
				`"synced_at":null,"spot":[],"futures":null,"positions_count":0,` +
				`"equity_usdt":null,"equity_missing":"no exchange account","spot_value_usdt":null,` +
				`"unrealized_pnl_usdt":null,"prices_at":null,"values":[],` +
				`"pnl":{"24h":` + noAccountWindow + `,"7d":` + noAccountWindow + `,"30d":` + noAccountWindow + `}}`},
		{"positions of a user without accounts", "/api/v1/dashboard/positions", lonely, 200,
			`{"account_id":null,"empty_state":"no_account","synced_at":null,"positions":[]}`},
		{"history of a user without accounts", "/api/v1/dashboard/history", lonely, 200,
			`{"points":[],"empty_state":"no_account"}`},
		{"balances without a token", "/api/v1/dashboard/balances", "", 401, "unauthorized"},
		{"spot balances", "/api/v1/dashboard/spot-balances/" + main.ID, tok, 200, `{"account_id":"` + main.ID +
			`","account_name":"main","is_active":true,"synced_at":"2026-01-02T03:04:05.123Z","balances":[` +
			`{"asset":"BTC","free":"0.123456789012345678","locked":"0.000000000000000001","total":"0.123456789012345679"},` +
			`{"asset":"USDT","free":"1000.25","locked":"0","total":"1000.25"}]}`},
		{"spot balances before the first sync", "/api/v1/dashboard/spot-balances/" + second.ID, tok, 200,
			`{"account_id":"` + second.ID + `","account_name":"second","is_active":true,"synced_at":null,"balances":[]}`},
		{"spot balances of another user's account", "/api/v1/dashboard/spot-balances/" + foreign.ID, tok, 404, "not_found"},
		{"positions", "/api/v1/dashboard/positions", tok, 200, `{"account_id":"` + main.ID +
			`","synced_at":"2026-01-02T03:04:05.123Z","positions":[{"symbol":"BTC/USDT:USDT","side":"long","size":"0.01",` +
			`"entry_price":"60000.1","mark_price":"58750.1","unrealized_pnl":"-12.5","leverage":"10",` +
			`"liquidation_price":"54321.9","margin_mode":"cross"}]}`},
		{"positions before the first sync", "/api/v1/dashboard/positions?account_id=" + second.ID, tok, 200,
			`{"account_id":"` + second.ID + `","synced_at":null,"positions":[]}`},
		{"history in a range", "/api/v1/dashboard/history?from=2026-01-02T01:30:00Z&to=2026-01-02T03:04:05.123Z", tok, 200,
			`{"points":[{"at":"2026-01-02T02:04:05.123Z","spot_total_usdt":"1000.25","futures_margin_balance":"4988.6","unrealized_pnl":"-12.5"},` +
				`{"at":"2026-01-02T03:04:05.123Z","spot_total_usdt":"1000.25","futures_margin_balance":"4989.6","unrealized_pnl":"-12.5"}]}`},
		{"history in unix seconds, no spot total", "/api/v1/dashboard/history?account_id=" + main.ID +
			"&from=1767315845&to=1767319444", tok, 200,
			`{"points":[{"at":"2026-01-02T01:04:05.123Z","futures_margin_balance":"4987.6","unrealized_pnl":"-12.5"}]}`},
		{"history defaults to the last day", "/api/v1/dashboard/history", tok, 200, `{"points":[` +
			`{"at":"2026-01-02T01:04:05.123Z","futures_margin_balance":"4987.6","unrealized_pnl":"-12.5"},` +
			`{"at":"2026-01-02T02:04:05.123Z","spot_total_usdt":"1000.25","futures_margin_balance":"4988.6","unrealized_pnl":"-12.5"}]}`},
		{"history before the first sync", "/api/v1/dashboard/history?account_id=" + second.ID, tok, 200, `{"points":[]}`},
		{"history with a bad time", "/api/v1/dashboard/history?from=yesterday", tok, 400, "invalid_field"},
		{"history backwards", "/api/v1/dashboard/history?from=2026-01-02T03:00:00Z&to=2026-01-02T02:00:00Z", tok, 400, "invalid_field"},
		{"history of another user's account", "/api/v1/dashboard/history?account_id=" + foreign.ID, tok, 404, "not_found"},
	}
	// The env's clock stands at 2026-01-02T03:04:05Z, so "the last day"
	// ends just before the latest point.
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do("GET", tc.path, tc.token, nil)
			if r.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", r.Code, tc.status, r.Body)
			}
			if tc.status != 200 {
				if r.errorCode() != tc.want {
					t.Fatalf("code %q, want %q", r.errorCode(), tc.want)
				}
				return
			}
			sameJSON(t, r.Body.Bytes(), tc.want)
		})
	}
}

// scriptedSyncer answers SyncNow with err, after writing a sync state.
type scriptedSyncer struct {
	fakeSyncer
	e   *env
	err error
	ran []string
}

func (s *scriptedSyncer) SyncNow(ctx context.Context, id string) error {
	s.ran = append(s.ran, id)
	if s.err != nil {
		return s.err
	}
	return s.e.st.PutSyncResult(ctx, id, store.SyncResult{State: store.SyncState{Status: store.SyncOK,
		LastSyncAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}})
}

func TestSyncNowRoute(t *testing.T) {
	cases := []struct {
		name   string
		err    error
		status int
		code   string
	}{
		{"synced", nil, 200, ""},
		{"inactive", scheduler.ErrInactive, 409, "account_inactive"},
		{"deleted meanwhile", store.ErrNotFound, 404, "not_found"},
		{"shutting down", scheduler.ErrStopped, 503, "sync_unavailable"},
		{"store failure", errors.New("disk on fire"), 500, "internal"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			s := &scriptedSyncer{e: e, err: tc.err}
			e.deps.Syncer = s
			e.h = e.checked(New(e.deps))
			tok := e.user("u", "user")
			a := e.account(tok, accountBody("a"))
			r := e.do("POST", "/api/v1/exchange-accounts/"+a.ID+"/sync", tok, nil)
			if r.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", r.Code, tc.status, r.Body)
			}
			if len(s.ran) != 1 || s.ran[0] != a.ID {
				t.Fatalf("SyncNow calls %v", s.ran)
			}
			if tc.status != 200 {
				if r.errorCode() != tc.code {
					t.Fatalf("code %q, want %q", r.errorCode(), tc.code)
				}
				return
			}
			var got accountView
			r.decode(t, &got)
			if got.ID != a.ID || got.Sync.Status != store.SyncOK || got.Sync.LastSyncAt == nil {
				t.Fatalf("answer %+v", got)
			}
		})
	}
	t.Run("another user's account", func(t *testing.T) {
		e := newEnv(t)
		s := &scriptedSyncer{e: e}
		e.deps.Syncer = s
		e.h = e.checked(New(e.deps))
		a := e.account(e.user("owner", "user"), accountBody("a"))
		r := e.do("POST", "/api/v1/exchange-accounts/"+a.ID+"/sync", e.user("thief", "user"), nil)
		if r.Code != 404 || len(s.ran) != 0 {
			t.Fatalf("status %d, SyncNow calls %v", r.Code, s.ran)
		}
	})
	t.Run("no scheduler", func(t *testing.T) {
		e := newEnv(t)
		e.deps.Syncer = nil
		e.h = e.checked(New(e.deps))
		tok := e.user("u", "user")
		a := e.account(tok, accountBody("a"))
		if r := e.do("POST", "/api/v1/exchange-accounts/"+a.ID+"/sync", tok, nil); r.Code != 503 {
			t.Fatalf("status %d", r.Code)
		}
	})
}

// TestDashboardFreshness: an answer may be reused for snapshotTTL, never
// longer; a manual sync shows at once; a change of main account or a
// deletion shows at once.
func TestDashboardFreshness(t *testing.T) {
	e := newEnv(t)
	s := &scriptedSyncer{e: e}
	e.deps.Syncer = s
	e.h = e.checked(New(e.deps))
	tok := e.user("fresh", "user")
	first := e.account(tok, accountBody("first"))
	second := e.account(tok, accountBody("second"))
	wallet := func(v string) *store.Snapshot {
		return &store.Snapshot{SyncedAt: e.clock.now(), SpotAt: e.clock.now(), Spot: []store.Balance{{Asset: "USDT", Free: dec(v)}}}
	}
	balance := func(path string) string {
		t.Helper()
		r := e.do("GET", path, tok, nil)
		if r.Code != 200 {
			t.Fatalf("GET %s: %d %s", path, r.Code, r.Body)
		}
		var out struct {
			AccountID string `json:"account_id"`
			Spot      []struct{ Free string }
			Balances  []struct{ Free string }
		}
		r.decode(t, &out)
		if len(out.Spot) == 0 && len(out.Balances) == 0 {
			return out.AccountID + " -"
		}
		return out.AccountID + " " + append(out.Spot, out.Balances...)[0].Free
	}
	steps := []struct {
		name, path string
		before     func()
		want       string
	}{
		{"first read", "/api/v1/dashboard/balances", func() { e.storeSync(first.ID, wallet("1"), nil) }, first.ID + " 1"},
		{"within the ttl: reused", "/api/v1/dashboard/balances", func() { e.storeSync(first.ID, wallet("2"), nil) }, first.ID + " 1"},
		{"after the ttl: new", "/api/v1/dashboard/balances", func() { e.clock.add(snapshotTTL) }, first.ID + " 2"},
		{"a manual sync shows at once", "/api/v1/dashboard/balances", func() {
			e.storeSync(first.ID, wallet("3"), nil)
			if r := e.do("POST", "/api/v1/exchange-accounts/"+first.ID+"/sync", tok, nil); r.Code != 200 {
				t.Fatalf("sync: %d", r.Code)
			}
		}, first.ID + " 3"},
		{"spot balances agree", "/api/v1/dashboard/spot-balances/" + first.ID, func() {}, first.ID + " 3"},
		{"a new main account shows at once", "/api/v1/dashboard/balances", func() {
			if r := e.do("PATCH", "/api/v1/exchange-accounts/"+second.ID, tok, map[string]any{"is_main": true}); r.Code != 200 {
				t.Fatalf("patch: %d", r.Code)
			}
		}, second.ID + " -"},
		{"a deleted main account shows at once", "/api/v1/dashboard/balances", func() {
			if r := e.do("DELETE", "/api/v1/exchange-accounts/"+second.ID, tok, nil); r.Code != 204 {
				t.Fatalf("delete: %d", r.Code)
			}
		}, first.ID + " 3"},
	}
	for _, st := range steps {
		st.before()
		if got := balance(st.path); got != st.want {
			t.Fatalf("%s: got %q, want %q", st.name, got, st.want)
		}
	}
	if r := e.do("GET", "/api/v1/dashboard/spot-balances/"+second.ID, tok, nil); r.Code != 404 {
		t.Fatalf("a deleted account's spot balances: %d", r.Code)
	}
	// Deactivating the (only, so still main) account shows at once, and
	// the answer says so.
	if r := e.do("PATCH", "/api/v1/exchange-accounts/"+first.ID, tok, map[string]any{"is_active": false}); r.Code != 200 {
		t.Fatalf("deactivate: %d", r.Code)
	}
	var got balancesAnswer
	e.do("GET", "/api/v1/dashboard/balances", tok, nil).decode(t, &got)
	if got.AccountID == nil || *got.AccountID != first.ID || got.IsActive || got.AccountName != "first" {
		t.Fatalf("an inactive main account: %+v", got)
	}
	// With no account left the dashboard answers its empty state.
	if r := e.do("DELETE", "/api/v1/exchange-accounts/"+first.ID, tok, nil); r.Code != 204 {
		t.Fatalf("delete: %d", r.Code)
	}
	e.do("GET", "/api/v1/dashboard/balances", tok, nil).decode(t, &got)
	if got.AccountID != nil || got.EmptyState != emptyNoAccount {
		t.Fatalf("no account: %+v", got)
	}
}

// TestSnapCacheDropsAnswersOlderThanAForget: an answer rendered from a
// read that began before a manual sync's forget is not kept.
func TestSnapCacheDropsAnswersOlderThanAForget(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	sc := newSnapCache(time.Second, func() time.Time { return now })
	v := renderKey{active: true, name: "a"}       // the account's render version
	_, epoch := sc.rendered("a", v, kindBalances) // a GET starts reading
	sc.forget("a")                                // a manual sync lands meanwhile
	sc.store("a", v, kindBalances, []byte("old"), epoch)
	if body, _ := sc.rendered("a", v, kindBalances); body != nil {
		t.Fatalf("kept %q, rendered before the sync", body)
	}
	_, epoch = sc.rendered("a", v, kindBalances)
	sc.store("a", v, kindBalances, []byte("new"), epoch)
	if body, _ := sc.rendered("a", v, kindBalances); string(body) != "new" {
		t.Fatalf("got %q", body)
	}
	// A changed account (renamed, deactivated) renders again.
	if body, _ := sc.rendered("a", renderKey{active: false, name: "a"}, kindBalances); body != nil {
		t.Fatalf("an answer for an older version of the account: %q", body)
	}
}
