package api

// The dashboard routes: balances, spot balances, positions and
// history of an account, answered from the snapshot the last sync stored,
// never from a call to the exchange. Amounts leave as the decimal strings of
// the exact stored values.

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/gin-gonic/gin"
	"github.com/globalautomation/gahost/host/internal/store"
)

// dashboard serves the snapshot-backed routes. It keeps two small caches,
// both safe to be stale: the id of each user's main account (a hint, checked
// against the store on every use) and each account's rendered answers for
// snapshotTTL (a sync lands on the dashboard at most that much later; a
// manual sync clears them).
type dashboard struct {
	*handler
	snaps *snapCache

	mu    sync.Mutex
	mains map[string]string // user id -> main account id
}

func (d *dashboard) mainHint(userID string) (string, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	id, ok := d.mains[userID]
	return id, ok
}

func (d *dashboard) setMainHint(userID, accountID string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if accountID == "" {
		delete(d.mains, userID)
		return
	}
	d.mains[userID] = accountID
}

func registerDashboard(h *handler, r routes) {
	d := &dashboard{handler: h, snaps: newSnapCache(snapshotTTL, h.now), mains: map[string]string{}}
	g := r.authed.group("/dashboard")
	accountParam := param{"account_id", "The exchange account to show; the user's main account when left out.",
		openapi3.NewStringSchema()}
	noAccount := res{http.StatusNotFound, "The account named by account_id does not exist or is another user's " +
		"(not_found).", errBody}
	g.handle(http.MethodGet, "/balances", op{id: "getBalances", tag: "dashboard",
		summary: "Spot and futures balances of an account, from its last snapshot, valued in USDT with P&L",
		desc: "Never a live call to the exchange. Before the first sync synced_at is null and the lists are empty. " +
			"A user without any account gets the same empty answer with account_id null and empty_state no_account. " +
			"Values use the prices the host last read from the account's exchange; P&L compares the equity now " +
			"with the equity history.",
		query: []param{accountParam},
		res:   []res{{http.StatusOK, "The balances.", balancesAnswer{}}, noAccount}}, d.getBalances)
	g.handle(http.MethodGet, "/spot-balances/:id", op{id: "getSpotBalances", tag: "dashboard",
		summary: "Spot balances of one account, from its last snapshot; zero balances left out",
		res:     []res{{http.StatusOK, "The spot balances.", spotBalancesAnswer{}}, accountNotFound}}, d.getSpotBalances)
	g.handle(http.MethodGet, "/positions", op{id: "getPositions", tag: "dashboard",
		summary: "Open futures positions of an account, from its last snapshot",
		desc:    "A user without any account gets an empty list with account_id null and empty_state no_account.",
		query:   []param{accountParam},
		res:     []res{{http.StatusOK, "The positions.", positionsAnswer{}}, noAccount}}, d.getPositions)
	timeSchema := openapi3.NewStringSchema()
	timeSchema.Description = "An RFC 3339 time (2026-01-02T03:04:05Z) or unix seconds."
	g.handle(http.MethodGet, "/history", op{id: "getHistory", tag: "dashboard",
		summary: "The account's value over time: one point per stored snapshot, oldest first",
		desc:    "A user without any account gets no points and empty_state no_account.",
		query: []param{accountParam,
			{"from", "Start of the range (inclusive); default one day before to.", timeSchema},
			{"to", "End of the range (inclusive); default now.", timeSchema}},
		res: []res{{http.StatusOK, "The points in the range.", historyAnswer{}},
			{http.StatusBadRequest, "from or to is not a time, or from is after to (invalid_field).", errBody},
			noAccount}}, d.getHistory)
	registerSync(d, r)
}

// historySpan is the range a history request covers when it gives no from.
const historySpan = 24 * time.Hour

// snapshotTTL is how long a rendered dashboard answer is reused.
const snapshotTTL = time.Second

type balanceJSON struct {
	Asset  string `json:"asset"`
	Free   string `json:"free" oas:"decimal"`
	Locked string `json:"locked" oas:"decimal"`
	Total  string `json:"total" oas:"decimal"`
}

type futuresJSON struct {
	Asset            string `json:"asset"`
	WalletBalance    string `json:"wallet_balance" oas:"decimal"`
	UnrealizedPnL    string `json:"unrealized_pnl" oas:"decimal"`
	MarginBalance    string `json:"margin_balance" oas:"decimal"`
	AvailableBalance string `json:"available_balance" oas:"decimal"`
}

type positionJSON struct {
	Symbol           string `json:"symbol"`
	Side             string `json:"side"`
	Size             string `json:"size" oas:"decimal"`
	EntryPrice       string `json:"entry_price" oas:"decimal"`
	MarkPrice        string `json:"mark_price" oas:"decimal"`
	UnrealizedPnL    string `json:"unrealized_pnl" oas:"decimal"`
	Leverage         string `json:"leverage" oas:"decimal"`
	LiquidationPrice string `json:"liquidation_price" oas:"decimal"`
	MarginMode       string `json:"margin_mode"`
}

// emptyNoAccount is the empty_state of a dashboard answer for a user with
// no exchange account at all.
const emptyNoAccount = "no_account"

type balancesAnswer struct {
	// AccountID is nil only in the no_account empty state.
	AccountID   *string       `json:"account_id" doc:"The account shown; null when the user has no account."`
	AccountName string        `json:"account_name"`
	IsActive    bool          `json:"is_active" doc:"Whether the account is synced; an inactive account's balances are as of its last sync."`
	EmptyState  string        `json:"empty_state,omitempty" doc:"no_account: the user has no exchange account yet; everything else is empty."`
	Exchange    string        `json:"exchange"`
	SyncedAt    *time.Time    `json:"synced_at"`
	Spot        []balanceJSON `json:"spot"`
	// Futures is null until a sync has fetched the futures account (and
	// for exchanges whose plugin has none).
	Futures        *futuresJSON `json:"futures"`
	PositionsCount int          `json:"positions_count"`
	valuationJSON               // valuation.go
}

type spotBalancesAnswer struct {
	AccountID   string        `json:"account_id"`
	AccountName string        `json:"account_name"`
	IsActive    bool          `json:"is_active" doc:"Whether the account is synced; an inactive account's balances are as of its last sync."`
	SyncedAt    *time.Time    `json:"synced_at"`
	Balances    []balanceJSON `json:"balances"`
}

type positionsAnswer struct {
	AccountID  *string        `json:"account_id" doc:"The account shown; null when the user has no account."`
	EmptyState string         `json:"empty_state,omitempty" doc:"no_account: the user has no exchange account yet."`
	SyncedAt   *time.Time     `json:"synced_at"`
	Positions  []positionJSON `json:"positions"`
}

type pointJSON struct {
	At                   time.Time `json:"at"`
	SpotTotalUSDT        *string   `json:"spot_total_usdt,omitempty" oas:"decimal" doc:"Left out where the spot balances could not be valued in USDT."`
	FuturesMarginBalance string    `json:"futures_margin_balance" oas:"decimal"`
	UnrealizedPnL        string    `json:"unrealized_pnl" oas:"decimal"`
	EquityUSDT           *string   `json:"equity_usdt,omitempty" oas:"decimal" doc:"Spot value plus futures margin balance in USDT at the prices known when the point was taken; left out where it could not be valued."`
	EquityMissing        string    `json:"equity_missing,omitempty" doc:"Why equity_usdt is left out, where the point says."`
}

type historyAnswer struct {
	Points     []pointJSON `json:"points"`
	EmptyState string      `json:"empty_state,omitempty" doc:"no_account: the user has no exchange account yet."`
}

// dashboardAccount is the account a dashboard request is about: the one
// named by ?account_id=, else the user's main account. found is false when
// none was named and the user has no account at all: the route answers its
// empty state. On failure (ok false) it has answered.
func (d *dashboard) dashboardAccount(c *gin.Context) (a store.Account, found, ok bool) {
	ctx, user := c.Request.Context(), currentUser(c)
	if id := c.Query("account_id"); id != "" {
		a, err := d.d.Store.UserAccount(ctx, user.ID, id)
		switch {
		case errors.Is(err, store.ErrNotFound):
			writeError(c, http.StatusNotFound, codeNotFound, "no such exchange account")
			return store.Account{}, false, false
		case err != nil:
			d.internalError(c, "dashboard: load account", err)
			return store.Account{}, false, false
		}
		return a, true, true
	}
	// The remembered main account, if it still is the main one, spares
	// reading every account of the user.
	if id, ok := d.mainHint(user.ID); ok {
		a, err := d.d.Store.UserAccount(ctx, user.ID, id)
		if err == nil && a.IsMain {
			return a, true, true
		}
	}
	a, found, err := d.d.Accounts.Main(ctx, user.ID)
	switch {
	case err != nil:
		d.internalError(c, "dashboard: load main account", err)
		return store.Account{}, false, false
	case !found:
		d.setMainHint(user.ID, "")
		return store.Account{}, false, true
	}
	if a.IsMain {
		d.setMainHint(user.ID, a.ID)
	}
	return a, true, true
}

// answer writes the rendered answer of kind for account a, from the cache
// when it is fresh, else from the stored snapshot.
func (d *dashboard) answer(c *gin.Context, a store.Account, kind int) {
	body, epoch := d.snaps.rendered(a.ID, renderVersion(a), kind)
	if body != nil {
		c.Data(http.StatusOK, jsonContentType, body)
		return
	}
	snap, found, err := d.d.Store.LatestSnapshot(c.Request.Context(), a.ID)
	if err != nil {
		d.internalError(c, "dashboard: load snapshot", err)
		return
	}
	var v any
	switch kind {
	case kindBalances:
		b := balancesOf(a, snap, found)
		x, err := d.value(c.Request.Context(), a, snap, found)
		if err != nil {
			d.internalError(c, "dashboard: load history", err)
			return
		}
		b.valuationJSON = valuationOf(x)
		v = b
	case kindSpot:
		v = spotBalancesOf(a, snap, found)
	case kindPositions:
		v = positionsOf(a, snap, found)
	}
	body, err = json.Marshal(v)
	if err != nil {
		d.internalError(c, "dashboard: render", err)
		return
	}
	d.snaps.store(a.ID, renderVersion(a), kind, body, epoch)
	c.Data(http.StatusOK, jsonContentType, body)
}

const jsonContentType = "application/json; charset=utf-8"

// renderVersion is what of the account itself an answer shows: a rename or
// a change of is_active renders the answer again at once.
func renderVersion(a store.Account) renderKey {
	return renderKey{active: a.IsActive, name: a.Name}
}

// renderKey is a renderVersion: compared, never built into a string, so
// that a cached answer costs no allocation to check.
type renderKey struct {
	active bool
	name   string
}

func (d *dashboard) getBalances(c *gin.Context) {
	a, found, ok := d.dashboardAccount(c)
	switch {
	case !ok:
	case !found:
		c.JSON(http.StatusOK, balancesAnswer{EmptyState: emptyNoAccount, Spot: []balanceJSON{},
			valuationJSON: noAccountValuation()})
	default:
		d.answer(c, a, kindBalances)
	}
}

func (d *dashboard) getSpotBalances(c *gin.Context) {
	if a, ok := d.userAccount(c); ok {
		d.answer(c, a, kindSpot)
	}
}

func (d *dashboard) getPositions(c *gin.Context) {
	a, found, ok := d.dashboardAccount(c)
	switch {
	case !ok:
	case !found:
		c.JSON(http.StatusOK, positionsAnswer{EmptyState: emptyNoAccount, Positions: []positionJSON{}})
	default:
		d.answer(c, a, kindPositions)
	}
}

func balancesOf(a store.Account, snap store.Snapshot, found bool) balancesAnswer {
	out := balancesAnswer{AccountID: &a.ID, AccountName: a.Name, IsActive: a.IsActive, Exchange: a.Exchange,
		Spot: []balanceJSON{}}
	if found {
		out.SyncedAt = timeOrNull(snap.SyncedAt)
		out.Spot = spotJSON(snap.Spot)
		out.PositionsCount = len(snap.Positions)
		if f := snap.Futures; f != nil {
			out.Futures = &futuresJSON{Asset: f.Asset, WalletBalance: f.WalletBalance.String(),
				UnrealizedPnL: f.UnrealizedPnL.String(), MarginBalance: f.MarginBalance.String(),
				AvailableBalance: f.AvailableBalance.String()}
		}
	}
	return out
}

func spotBalancesOf(a store.Account, snap store.Snapshot, found bool) spotBalancesAnswer {
	out := spotBalancesAnswer{AccountID: a.ID, AccountName: a.Name, IsActive: a.IsActive, Balances: []balanceJSON{}}
	if found {
		out.SyncedAt = timeOrNull(snap.SyncedAt)
		out.Balances = spotJSON(snap.Spot)
	}
	return out
}

func positionsOf(a store.Account, snap store.Snapshot, found bool) positionsAnswer {
	out := positionsAnswer{AccountID: &a.ID, Positions: []positionJSON{}}
	if found {
		out.SyncedAt = timeOrNull(snap.SyncedAt)
		for _, p := range snap.Positions {
			out.Positions = append(out.Positions, positionJSON{Symbol: p.Symbol, Side: p.Side, Size: p.Size.String(),
				EntryPrice: p.EntryPrice.String(), MarkPrice: p.MarkPrice.String(), UnrealizedPnL: p.UnrealizedPnL.String(),
				Leverage: p.Leverage.String(), LiquidationPrice: p.LiquidationPrice.String(), MarginMode: p.MarginMode})
		}
	}
	return out
}

// getHistory answers the points with from <= at <= to. Both are RFC 3339
// times or unix seconds; to defaults to now and from to one day before to.
func (d *dashboard) getHistory(c *gin.Context) {
	to, ok := timeParam(c, "to", d.now())
	if !ok {
		return
	}
	from, ok := timeParam(c, "from", to.Add(-historySpan))
	if !ok {
		return
	}
	if from.After(to) {
		writeError(c, http.StatusBadRequest, codeInvalidField, "from must not be after to")
		return
	}
	a, found, ok := d.dashboardAccount(c)
	if !ok {
		return
	}
	if !found {
		c.JSON(http.StatusOK, historyAnswer{Points: []pointJSON{}, EmptyState: emptyNoAccount})
		return
	}
	points, err := d.d.Store.History(c.Request.Context(), a.ID, from, to)
	if err != nil {
		d.internalError(c, "dashboard: load history", err)
		return
	}
	out := historyAnswer{Points: make([]pointJSON, 0, len(points))}
	for _, p := range points {
		pj := pointJSON{At: p.At.UTC(), FuturesMarginBalance: p.FuturesMarginBalance.String(),
			UnrealizedPnL: p.UnrealizedPnL.String()}
		if p.SpotTotalUSDT != nil {
			s := p.SpotTotalUSDT.String()
			pj.SpotTotalUSDT = &s
		}
		pj.EquityUSDT, pj.EquityMissing = decOrNull(p.EquityUSDT), p.EquityMissing
		out.Points = append(out.Points, pj)
	}
	c.JSON(http.StatusOK, out)
}

// timeParam reads a time query parameter; def when absent. On failure it
// has answered.
func timeParam(c *gin.Context, name string, def time.Time) (time.Time, bool) {
	v := c.Query(name)
	if v == "" {
		return def, true
	}
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t, true
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil && secs >= 0 && secs < 1<<40 {
		return time.Unix(secs, 0), true
	}
	writeError(c, http.StatusBadRequest, codeInvalidField,
		fmt.Sprintf("%s must be an RFC 3339 time (2026-01-02T03:04:05Z) or unix seconds", name))
	return time.Time{}, false
}

// spotJSON lists the non-zero balances; total is the exact sum of free and
// locked.
func spotJSON(bs []store.Balance) []balanceJSON {
	out := make([]balanceJSON, 0, len(bs))
	for _, b := range bs {
		total := b.Free.Add(b.Locked)
		if total.IsZero() {
			continue
		}
		out = append(out, balanceJSON{Asset: b.Asset, Free: b.Free.String(), Locked: b.Locked.String(),
			Total: total.String()})
	}
	return out
}

// Kinds of rendered answer an account has.
const (
	kindBalances = iota
	kindSpot
	kindPositions
	kinds
)

// snapCache keeps each account's rendered answers for a short while, so a
// dashboard polled by many clients reads and decodes its snapshot once.
type snapCache struct {
	ttl time.Duration
	now func() time.Time

	mu        sync.Mutex
	entries   map[string]*snapEntry
	lastSweep time.Time
	// epoch counts forgets: an answer rendered from a read that began
	// before one is not kept, since it may predate the sync.
	epoch uint64
}

type snapEntry struct {
	expires time.Time
	// version is the renderVersion of the account the answers were
	// rendered for.
	version renderKey
	body    [kinds][]byte
}

func newSnapCache(ttl time.Duration, now func() time.Time) *snapCache {
	return &snapCache{ttl: ttl, now: now, entries: map[string]*snapEntry{}}
}

// rendered returns a fresh answer, or nil and the epoch to pass to store
// with the answer rendered instead.
func (sc *snapCache) rendered(accountID string, version renderKey, kind int) ([]byte, uint64) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	e := sc.entries[accountID]
	if e == nil || !sc.now().Before(e.expires) || e.version != version {
		return nil, sc.epoch
	}
	return e.body[kind], sc.epoch
}

// store keeps an answer rendered from a snapshot read in epoch. Answers of
// the other kinds rendered from an older read are dropped with a new entry.
func (sc *snapCache) store(accountID string, version renderKey, kind int, body []byte, epoch uint64) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if epoch != sc.epoch {
		return
	}
	now := sc.now()
	e := sc.entries[accountID]
	if e == nil || !now.Before(e.expires) || e.version != version {
		e = &snapEntry{expires: now.Add(sc.ttl), version: version}
		sc.entries[accountID] = e
	}
	e.body[kind] = body
	if now.Sub(sc.lastSweep) > 10*sc.ttl {
		sc.lastSweep = now
		for id, x := range sc.entries {
			if !now.Before(x.expires) {
				delete(sc.entries, id)
			}
		}
	}
}

// forget drops an account's answers: a sync the user asked for shows at once.
func (sc *snapCache) forget(accountID string) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	sc.epoch++
	delete(sc.entries, accountID)
}
