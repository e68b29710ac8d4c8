package api

// Balances valued in USDT, and P&L over time: the valuation the balances
// answer carries, and the summary of all of a user's accounts. Values come
// from the stored snapshot at the prices the host last read (never a call
// to the exchange); P&L compares the equity now with the equity the
// history stored near the start of each window. Amounts are exact
// decimals; a value that cannot be had is null with the reason, and so is
// every total over it.

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/globalautomation/gahost/host/internal/prices"
	"github.com/globalautomation/gahost/host/internal/store"
	"github.com/shopspring/decimal"
)

// Valuer values an account's snapshot in USDT at the prices last read from
// its exchange (*prices.Source). It must not call an exchange.
type Valuer interface {
	Value(exchange string, testnet bool, snap store.Snapshot) prices.Valuation
}

// noPrices is the Valuer of an API built without one: only USDT has a
// value.
type noPrices struct{ now func() time.Time }

func (n noPrices) Value(exchange string, testnet bool, snap store.Snapshot) prices.Valuation {
	return prices.Value(snap, prices.Book{Exchange: exchange, Testnet: testnet}, n.now(), 0)
}

func (h *handler) valuer() Valuer {
	if h.d.Valuer != nil {
		return h.d.Valuer
	}
	return noPrices{h.now}
}

func registerSummary(h *handler, r routes) {
	r.authed.group("/dashboard").handle(http.MethodGet, "/summary", op{id: "getSummary", tag: "dashboard",
		summary: "Every account of the user valued in USDT, with P&L, and the total",
		desc: "From the stored snapshots and history at the prices last read; never a live call. " +
			"The total counts the active accounts; a value any of them lacks leaves the total's null with the reason.",
		res: []res{{http.StatusOK, "The accounts and their total.", summaryAnswer{}}}}, h.getSummary)
}

// pnlWindows are the spans P&L is given over.
var pnlWindows = [...]time.Duration{24 * time.Hour, 7 * 24 * time.Hour, 30 * 24 * time.Hour}

// pnlTolerance is how far from a window's start the history point it
// compares with may be: a twenty-fourth of the window (an hour for a day),
// since history is thinned to hourly points after a while and an account
// is not synced at every instant.
func pnlTolerance(window time.Duration) time.Duration { return window / 24 }

type assetValueJSON struct {
	Asset     string  `json:"asset"`
	Total     string  `json:"total" oas:"decimal"`
	PriceUSDT *string `json:"price_usdt" oas:"decimal" doc:"The asset's value in USDT (its exchange's last price of ASSET/USDT; 1 for USDT); null when it has none."`
	ValueUSDT *string `json:"value_usdt" oas:"decimal" doc:"total × price_usdt, exact; null when the asset has no price."`
	Missing   *string `json:"missing" doc:"Why the asset has no value; null when it has one."`
}

type pnlWindowJSON struct {
	PnLUSDT        *string    `json:"pnl_usdt" oas:"decimal" doc:"Equity now minus equity_then_usdt, exact; null when missing says why."`
	PnLPercent     *string    `json:"pnl_percent" oas:"decimal" doc:"pnl_usdt as a percentage of equity_then_usdt, rounded to 2 decimals; null when that equity was not positive or the P&L is unknown."`
	Since          *time.Time `json:"since" doc:"When the history point compared with was taken: the valued point nearest the window's start, within a 24th of the window; in a total, the earliest of its accounts'."`
	EquityThenUSDT *string    `json:"equity_then_usdt" oas:"decimal"`
	Missing        *string    `json:"missing" doc:"Why there is no P&L over this window (not enough history, the equity unknown); null when there is."`
}

type pnlJSON struct {
	Day   pnlWindowJSON `json:"24h"`
	Week  pnlWindowJSON `json:"7d"`
	Month pnlWindowJSON `json:"30d"`
}

// valuationJSON is what a balances answer, and each account of the
// summary, says of the account's value.
type valuationJSON struct {
	EquityUSDT        *string          `json:"equity_usdt" oas:"decimal" doc:"Spot value plus futures margin balance, in USDT, exact; null when a part has no value (equity_missing says why)."`
	EquityMissing     *string          `json:"equity_missing" doc:"Why equity_usdt is null; null when it is not."`
	SpotValueUSDT     *string          `json:"spot_value_usdt" oas:"decimal" doc:"The sum of the spot balances' values; null when one has none."`
	UnrealizedPnLUSDT *string          `json:"unrealized_pnl_usdt" oas:"decimal" doc:"Unrealized PnL of the futures positions in USDT; null when it cannot be valued."`
	PricesAt          *time.Time       `json:"prices_at" doc:"When the prices used were read; null when none was needed or none was had."`
	Values            []assetValueJSON `json:"values" doc:"Each non-zero spot balance valued in USDT."`
	PnL               pnlJSON          `json:"pnl" doc:"P&L over the last 24 hours, 7 days and 30 days, from the equity history."`
}

type summaryAccountJSON struct {
	AccountID string     `json:"account_id"`
	Name      string     `json:"name"`
	Exchange  string     `json:"exchange"`
	Testnet   bool       `json:"testnet"`
	IsActive  bool       `json:"is_active"`
	IsMain    bool       `json:"is_main"`
	SyncedAt  *time.Time `json:"synced_at"`
	valuationJSON
}

type summaryTotalJSON struct {
	Accounts          int     `json:"accounts" doc:"How many accounts the total counts: the active ones."`
	EquityUSDT        *string `json:"equity_usdt" oas:"decimal" doc:"The sum of the counted accounts' equity; null when one has none."`
	EquityMissing     *string `json:"equity_missing" doc:"Why equity_usdt is null; null when it is not."`
	SpotValueUSDT     *string `json:"spot_value_usdt" oas:"decimal"`
	UnrealizedPnLUSDT *string `json:"unrealized_pnl_usdt" oas:"decimal"`
	PnL               pnlJSON `json:"pnl" doc:"The sums of the counted accounts' P&L; a window any of them lacks is missing here too."`
}

type summaryAnswer struct {
	Accounts []summaryAccountJSON `json:"accounts"`
	Total    summaryTotalJSON     `json:"total"`
}

// window is the P&L of one span, before rendering: pnl and base (the
// equity then) are both set, or missing says why not.
type window struct {
	pnl, base *decimal.Decimal
	since     time.Time
	missing   string
}

// valued is an account's valuation with its P&L.
type valued struct {
	v       prices.Valuation
	windows [len(pnlWindows)]window
}

// value values an account's snapshot (found false: it was never synced)
// and reads its P&L from history.
func (h *handler) value(ctx context.Context, a store.Account, snap store.Snapshot, found bool) (valued, error) {
	var out valued
	if found {
		out.v = h.valuer().Value(a.Exchange, a.Testnet, snap)
	} else {
		out.v.Missing = "the account has not been synced yet"
	}
	now := h.now()
	for i, span := range pnlWindows {
		w, err := h.pnlOver(ctx, a.ID, out.v.Equity, now, span)
		if err != nil {
			return valued{}, err
		}
		out.windows[i] = w
	}
	return out, nil
}

// pnlOver is the change from the valued history point nearest now-span
// (within its tolerance) to equity.
func (h *handler) pnlOver(ctx context.Context, accountID string, equity *decimal.Decimal, now time.Time, span time.Duration) (window, error) {
	if equity == nil {
		return window{missing: "the equity now is unknown"}, nil
	}
	start, tol := now.Add(-span), pnlTolerance(span)
	points, err := h.d.Store.History(ctx, accountID, start.Add(-tol), start.Add(tol))
	if err != nil {
		return window{}, err
	}
	var base *store.HistoryPoint
	for i := range points {
		p := &points[i]
		if p.EquityUSDT == nil {
			continue
		}
		if base == nil || absDur(p.At.Sub(start)) < absDur(base.At.Sub(start)) {
			base = p
		}
	}
	if base == nil {
		return window{missing: fmt.Sprintf("not enough history: no valued equity within %s of %s",
			tol, start.UTC().Format(time.RFC3339))}, nil
	}
	pnl := equity.Sub(*base.EquityUSDT)
	return window{pnl: &pnl, base: base.EquityUSDT, since: base.At}, nil
}

func absDur(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

// valuationOf renders a valuation.
func valuationOf(x valued) valuationJSON {
	out := valuationJSON{
		EquityUSDT: decOrNull(x.v.Equity), EquityMissing: strOrNull(x.v.Missing),
		SpotValueUSDT: decOrNull(x.v.SpotValue), UnrealizedPnLUSDT: decOrNull(x.v.UnrealizedPnL),
		PricesAt: timeOrNull(x.v.PricesAt), Values: make([]assetValueJSON, 0, len(x.v.Assets)),
		PnL: pnlOf(x.windows),
	}
	for _, a := range x.v.Assets {
		out.Values = append(out.Values, assetValueJSON{Asset: a.Asset, Total: a.Total.String(),
			PriceUSDT: decOrNull(a.Price), ValueUSDT: decOrNull(a.Value), Missing: strOrNull(a.Missing)})
	}
	return out
}

func pnlOf(ws [len(pnlWindows)]window) pnlJSON {
	r := func(w window) pnlWindowJSON {
		if w.missing != "" || w.pnl == nil {
			return pnlWindowJSON{Missing: strOrNull(w.missing)}
		}
		out := pnlWindowJSON{PnLUSDT: decOrNull(w.pnl), EquityThenUSDT: decOrNull(w.base), Since: timeOrNull(w.since)}
		if w.base.IsPositive() {
			pct := w.pnl.Mul(decimal.NewFromInt(100)).DivRound(*w.base, 2)
			out.PnLPercent = decOrNull(&pct)
		}
		return out
	}
	return pnlJSON{Day: r(ws[0]), Week: r(ws[1]), Month: r(ws[2])}
}

func decOrNull(d *decimal.Decimal) *string {
	if d == nil {
		return nil
	}
	s := d.String()
	return &s
}

func strOrNull(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// getSummary values every account of the user and totals the active ones.
func (h *handler) getSummary(c *gin.Context) {
	ctx, user := c.Request.Context(), currentUser(c)
	accts, err := h.d.Store.ListAccounts(ctx, user.ID)
	if err != nil {
		h.internalError(c, "summary: list accounts", err)
		return
	}
	out := summaryAnswer{Accounts: make([]summaryAccountJSON, 0, len(accts))}
	var counted []valued
	var names []string
	for _, a := range accts {
		snap, found, err := h.d.Store.LatestSnapshot(ctx, a.ID)
		if err != nil {
			h.internalError(c, "summary: load snapshot", err)
			return
		}
		x, err := h.value(ctx, a, snap, found)
		if err != nil {
			h.internalError(c, "summary: load history", err)
			return
		}
		row := summaryAccountJSON{AccountID: a.ID, Name: a.Name, Exchange: a.Exchange, Testnet: a.Testnet,
			IsActive: a.IsActive, IsMain: a.IsMain, valuationJSON: valuationOf(x)}
		if found {
			row.SyncedAt = timeOrNull(snap.SyncedAt)
		}
		out.Accounts = append(out.Accounts, row)
		if a.IsActive {
			counted = append(counted, x)
			names = append(names, fmt.Sprintf("account %q (%s)", a.Name, a.ID))
		}
	}
	out.Total = totalOf(counted, names)
	c.JSON(http.StatusOK, out)
}

// totalOf sums the valuations xs of the accounts named names. A sum over
// a value one of them lacks is null, with the first reason.
func totalOf(xs []valued, names []string) summaryTotalJSON {
	out := summaryTotalJSON{Accounts: len(xs)}
	sum := func(get func(valued) *decimal.Decimal) *decimal.Decimal {
		total := decimal.Zero
		for _, x := range xs {
			v := get(x)
			if v == nil {
				return nil
			}
			total = total.Add(*v)
		}
		return &total
	}
	out.EquityUSDT = decOrNull(sum(func(x valued) *decimal.Decimal { return x.v.Equity }))
	out.SpotValueUSDT = decOrNull(sum(func(x valued) *decimal.Decimal { return x.v.SpotValue }))
	out.UnrealizedPnLUSDT = decOrNull(sum(func(x valued) *decimal.Decimal { return x.v.UnrealizedPnL }))
	for i, x := range xs {
		if x.v.Equity == nil {
			out.EquityMissing = strOrNull(names[i] + ": " + x.v.Missing)
			break
		}
	}
	var ws [len(pnlWindows)]window
	for w := range ws {
		if len(xs) == 0 {
			ws[w].missing = "no active account"
			continue
		}
		pnl, base := decimal.Zero, decimal.Zero
		var since time.Time
		for i, x := range xs {
			xw := x.windows[w]
			if xw.missing != "" {
				ws[w] = window{missing: names[i] + ": " + xw.missing}
				break
			}
			pnl, base = pnl.Add(*xw.pnl), base.Add(*xw.base)
			if since.IsZero() || xw.since.Before(since) {
				since = xw.since
			}
		}
		if ws[w].missing == "" {
			ws[w] = window{pnl: &pnl, base: &base, since: since}
		}
	}
	out.PnL = pnlOf(ws)
	return out
}

// noAccountValuation is the valuation of a user without any account:
// nothing to value, and every field says why.
func noAccountValuation() valuationJSON {
	why := "no exchange account"
	w := pnlWindowJSON{Missing: &why}
	return valuationJSON{EquityMissing: &why, Values: []assetValueJSON{}, PnL: pnlJSON{Day: w, Week: w, Month: w}}
}
