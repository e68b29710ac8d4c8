package scheduler

// Today's rate budget, kept behind the Pacer seam until the plugin
// boundary pays for every call itself: one budget per exchange, sized from
// the first per-IP limit its plugin declares, that the scheduler pays a
// sync's calls from, and a wrapper around the catalog's exchanges that
// feeds the budget the usage the exchange reports, holds it after a
// rate-limited answer and refunds the calls that never reached the
// exchange. Everything about it is in this file (and its test).

import (
	"context"
	"errors"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/globalautomation/gahost/host/internal/plugins"
	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/pluginhost"
	"github.com/prometheus/client_golang/prometheus"
)

// legacyPacers are the scheduler's own budgets, one per exchange.
type legacyPacers struct {
	cat    Catalog
	safety float64
	now    func() time.Time

	mu      sync.Mutex
	budgets map[string]*budget
	infos   map[string]sdk.Info
}

func newLegacyPacers(cfg Config, cat Catalog) (*legacyPacers, error) {
	lp := &legacyPacers{cat: cat, safety: cfg.Safety, now: cfg.Clock.Now,
		budgets: map[string]*budget{}, infos: map[string]sdk.Info{}}
	if cfg.Registerer != nil {
		if err := cfg.Registerer.Register(budgetCollector{lp}); err != nil {
			return nil, err
		}
	}
	return lp, nil
}

// pacer is the budget of an exchange, following its plugin's current
// declaration; nil when it declares no per-IP limit.
func (lp *legacyPacers) pacer(exchange string) Pacer {
	if b := lp.budget(exchange); b != nil {
		return b
	}
	return nil
}

func (lp *legacyPacers) budget(exchange string) *budget {
	_, info, ok := lp.cat.Exchange(exchange)
	lp.mu.Lock()
	defer lp.mu.Unlock()
	b := lp.budgets[exchange]
	if !ok || sameDeclaration(info, lp.infos[exchange]) {
		return b
	}
	lp.infos[exchange] = info
	rl, limited := ipLimit(info)
	switch {
	case !limited:
		delete(lp.budgets, exchange)
		return nil
	case b == nil:
		b = newBudget(info, lp.safety, syncCost(info))
		lp.budgets[exchange] = b
	default:
		b.configure(rl, lp.safety, syncCost(info))
		b.mu.Lock()
		b.costs = info.CallCosts
		b.mu.Unlock()
	}
	return b
}

func sameDeclaration(a, b sdk.Info) bool {
	return a.Name == b.Name && a.Version == b.Version && sameInfo(a, b) &&
		slices.Equal(a.RateLimits, b.RateLimits) && maps.Equal(a.CallCosts, b.CallCosts)
}

// syncCost is the weight of one sync: the largest single take.
func syncCost(info sdk.Info) int64 {
	var n int64
	for _, c := range syncParts {
		if info.Has(c) {
			n += callCost(info.CallCosts, c)
		}
	}
	return n
}

// callCost is what one call of capability c costs; an undeclared cost
// counts as one unit, so an exchange with a limit is never unlimited.
func callCost(costs map[string]int64, c string) int64 {
	if v, ok := costs[c]; ok && v >= 0 {
		return v
	}
	return 1
}

type prepaidKey struct{}

// prepaid marks a sync the scheduler paid for: its calls may be refunded
// when they never reach the exchange.
func (lp *legacyPacers) prepaid(ctx context.Context) context.Context {
	return context.WithValue(ctx, prepaidKey{}, true)
}

// catalog wraps cat so that the snapshots it fetches feed the budgets.
func (lp *legacyPacers) catalog() Catalog { return legacyCatalog{lp} }

type legacyCatalog struct{ lp *legacyPacers }

func (c legacyCatalog) Exchange(name string) (sdk.Exchange, sdk.Info, bool) {
	x, info, ok := c.lp.cat.Exchange(name)
	if _, snaps := x.(pluginhost.Snapshotter); !ok || !snaps {
		return x, info, ok
	}
	return legacyExchange{Exchange: x, lp: c.lp, name: name}, info, true
}

// legacyExchange is an exchange whose snapshots pay into its budget.
type legacyExchange struct {
	sdk.Exchange
	lp   *legacyPacers
	name string
}

func (x legacyExchange) Snapshot(ctx context.Context, acct sdk.Account, parts []string) pluginhost.Snapshot {
	inner := x.Exchange.(pluginhost.Snapshotter) // see legacyCatalog.Exchange
	b := x.lp.budget(x.name)
	if b == nil {
		return inner.Snapshot(ctx, acct, parts)
	}
	ctx2 := pluginhost.WithUsageObserver(ctx, func(us []sdk.RateUsage) { b.observe(x.lp.now(), us) })
	snap := inner.Snapshot(ctx2, acct, parts)
	now := x.lp.now()
	down, limited := len(snap.Errs) == len(parts) && len(parts) > 0, false
	var retry time.Duration
	for _, err := range snap.Errs {
		if !errors.Is(err, plugins.ErrCrashed) && !errors.Is(err, plugins.ErrNoPlugin) {
			down = false
		}
		if sdk.KindOf(err) == sdk.KindRateLimited {
			limited = true
			retry = max(retry, sdk.RetryAfter(err))
		}
	}
	switch {
	case down && ctx.Value(prepaidKey{}) != nil:
		// Nothing reached the exchange: the budget gets its units back.
		var n int64
		for _, p := range parts {
			n += callCost(b.callCosts(), p)
		}
		b.refund(now, n)
	case limited:
		if retry <= 0 {
			retry = b.view(now).Window
		}
		b.hold(now.Add(retry))
	}
	return snap
}

// TryTake, Cycle and HeldUntil make a budget a Pacer.

func (b *budget) TryTake(now time.Time, calls []string) (bool, time.Duration) {
	return b.take(now, b.costOf(calls))
}

func (b *budget) Cycle(calls []string, n int) time.Duration {
	return b.cycle(int64(n) * b.costOf(calls))
}

func (b *budget) HeldUntil(now time.Time) time.Time {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.held.After(now) {
		return b.held
	}
	return time.Time{}
}

// hold drains the budget and holds the exchange until t.
func (b *budget) hold(t time.Time) {
	b.drain(t)
	b.mu.Lock()
	defer b.mu.Unlock()
	if t.After(b.held) {
		b.held = t
	}
}

func (b *budget) callCosts() map[string]int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.costs
}

func (b *budget) costOf(calls []string) int64 {
	costs := b.callCosts()
	var n int64
	for _, c := range calls {
		n += callCost(costs, c)
	}
	return n
}

var (
	descBudgetLimit = prometheus.NewDesc("gahost_sync_budget_limit",
		"The exchange's per-IP limit per window, as declared by the plugin or lower if the exchange reported less.",
		[]string{"exchange"}, nil)
	descBudgetAllowed = prometheus.NewDesc("gahost_sync_budget_allowed",
		"Weight per window the scheduler allows itself (a safety share of the limit).",
		[]string{"exchange"}, nil)
	descBudgetUsed = prometheus.NewDesc("gahost_sync_budget_used",
		"Weight spent over the last window, including what the exchange counted from other traffic on the IP.",
		[]string{"exchange"}, nil)
	descBudgetWindow = prometheus.NewDesc("gahost_sync_budget_window_seconds",
		"Length of the exchange's rate-limit window.",
		[]string{"exchange"}, nil)
	descBudgetExternal = prometheus.NewDesc("gahost_sync_budget_external_total",
		"Weight the exchange reported beyond what this host sent (other traffic sharing the IP).",
		[]string{"exchange"}, nil)
)

// budgetCollector reads the budgets when scraped.
type budgetCollector struct{ lp *legacyPacers }

func (c budgetCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descBudgetLimit, descBudgetAllowed, descBudgetUsed, descBudgetWindow, descBudgetExternal} {
		ch <- d
	}
}

func (c budgetCollector) Collect(ch chan<- prometheus.Metric) {
	now := c.lp.now()
	c.lp.mu.Lock()
	budgets := maps.Clone(c.lp.budgets)
	c.lp.mu.Unlock()
	gauge := func(d *prometheus.Desc, v float64, name string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, name)
	}
	for name, b := range budgets {
		v := b.view(now)
		gauge(descBudgetLimit, float64(v.Limit), name)
		gauge(descBudgetAllowed, float64(v.Allowed), name)
		gauge(descBudgetUsed, float64(v.Used), name)
		gauge(descBudgetWindow, v.Window.Seconds(), name)
		ch <- prometheus.MustNewConstMetric(descBudgetExternal, prometheus.CounterValue, float64(v.External), name)
	}
}

// budgetSlots is how finely the budget remembers what it spent: the window
// is cut into this many slots, so "used in the last window" is exact to one
// slot's width (and errs towards counting more, never less).
const budgetSlots = 50

// budget paces one exchange's calls so that the weight sent from this host
// stays inside the exchange's per-IP limit, whoever the accounts belong to.
//
// It is a GCRA (a token bucket kept as one "theoretical arrival time"):
// weight flows out at allowed per window, with at most burst taken at once.
// Over any stretch of time L the host therefore sends at most
// burst + allowed×L/window, and allowed is chosen so that burst + allowed
// stays below the exchange's limit with room for the latency spread between
// our clock and the exchange's window (see resize).
//
// The exchange's own count, reported from its response headers, corrects
// the estimate: if it counted more than this host sent in the last window,
// something else shares the IP, and the difference is charged as debt.
type budget struct {
	mu sync.Mutex

	name     string // the rate limit's name, to match usage reports
	declared int64  // what the plugin declares
	limit    int64  // declared, or lower if the exchange reported a lower one
	window   time.Duration
	safety   float64 // share of limit to plan for: a ratio, not an amount
	maxCost  int64   // the largest single take expected (one account's sync)
	allowed  int64   // weight per window this host plans to send
	burst    int64   // weight that may go out at once

	tat   time.Time // when all weight taken so far will have "drained"
	slots [budgetSlots + 1]budgetSlot
	// external is the weight the exchange counted beyond ours, in total.
	external int64
	costs    map[string]int64 // declared cost per call
	held     time.Time        // held after a rate-limited answer until then
}

type budgetSlot struct {
	idx  int64 // slot number since the epoch
	used int64
}

// newBudget returns the budget of an exchange's first per-IP limit, or nil
// when it declares none (then only max_concurrency bounds it).
func newBudget(info sdk.Info, safety float64, maxCost int64) *budget {
	rl, ok := ipLimit(info)
	if !ok {
		return nil
	}
	b := &budget{costs: info.CallCosts}
	b.configure(rl, safety, maxCost)
	return b
}

// ipLimit is the limit the budget follows: the first one shared per IP.
func ipLimit(info sdk.Info) (sdk.RateLimit, bool) {
	for _, rl := range info.RateLimits {
		if rl.Scope == sdk.ScopeIP && rl.Limit > 0 && rl.Interval > 0 {
			return rl, true
		}
	}
	return sdk.RateLimit{}, false
}

// configure (re)applies a declared limit, keeping what was already spent.
func (b *budget) configure(rl sdk.RateLimit, safety float64, maxCost int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.name != rl.Name || b.window != rl.Interval {
		b.slots = [budgetSlots + 1]budgetSlot{}
	}
	if b.declared != rl.Limit {
		// A new declaration (a new plugin version) wins over a limit the
		// exchange reported to the old one.
		b.limit = rl.Limit
	}
	b.name, b.declared, b.window, b.safety, b.maxCost = rl.Name, rl.Limit, rl.Interval, safety, maxCost
	b.resize()
}

// resize derives allowed and burst from limit. b.mu must be held.
func (b *budget) resize() {
	allowed := int64(float64(b.limit) * b.safety)
	burst := max(b.maxCost, allowed/20, 1)
	// burst + allowed must fit the limit, or a burst at the end of one of
	// the exchange's windows plus a full window of steady flow would spill.
	allowed = min(allowed, b.limit-burst)
	if allowed < 1 {
		// The limit cannot hold even one sync with a margin; send at the
		// limit's own pace and let the exchange's answers do the rest.
		allowed = max(b.limit, 1)
	}
	b.allowed, b.burst = allowed, burst
}

// span is how long n units take to flow out at the allowed rate.
func (b *budget) span(n int64) time.Duration {
	return time.Duration(n * int64(b.window) / b.allowed)
}

// take spends n units at now if the budget allows it. Otherwise it spends
// nothing and says how long to wait before n could go.
func (b *budget) take(now time.Time, n int64) (ok bool, wait time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	base := b.tat
	if base.Before(now) {
		base = now
	}
	next := base.Add(b.span(n))
	if over := next.Sub(now) - b.span(max(b.burst, n)); over > 0 {
		return false, over
	}
	b.tat = next
	b.record(now, n)
	return true, 0
}

// refund gives back units taken for calls that never reached the exchange
// (the plugin was down).
func (b *budget) refund(now time.Time, n int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.tat = b.tat.Add(-b.span(n))
	b.record(now, -n)
}

// drain empties the budget until t: after a rate-limited answer the
// exchange's window is full, so the host restarts from nothing rather than
// from a saved-up burst.
func (b *budget) drain(t time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if t2 := t.Add(b.span(b.burst)); t2.After(b.tat) {
		b.tat = t2
	}
}

// observe takes in what the exchange reported as used. Reports of other
// limits, or counted over another window, say nothing about this budget.
func (b *budget) observe(now time.Time, us []sdk.RateUsage) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, u := range us {
		if u.Name != b.name || (u.Interval != 0 && u.Interval != b.window) {
			continue
		}
		if u.Limit > 0 && u.Limit < b.limit {
			b.limit = u.Limit
			b.resize()
		}
		// What we sent over the last window (plus a slot, for answers in
		// flight) bounds our share of the exchange's count; any more was
		// sent by someone else on this IP and is charged as debt.
		if excess := u.Used - b.usedLocked(now); excess > 0 {
			base := b.tat
			if base.Before(now) {
				base = now
			}
			b.tat = base.Add(b.span(excess))
			b.record(now, excess)
			b.external += excess
		}
	}
}

// slotWidth is the width of one usage slot.
func (b *budget) slotWidth() int64 { return max(int64(b.window)/budgetSlots, 1) }

// record adds n units to the slot of now. b.mu must be held.
func (b *budget) record(now time.Time, n int64) {
	idx := now.UnixNano() / b.slotWidth()
	s := &b.slots[idx%int64(len(b.slots))]
	if s.idx != idx {
		s.idx, s.used = idx, 0
	}
	s.used += n
}

// usedLocked is the weight spent over the last window and one slot.
func (b *budget) usedLocked(now time.Time) int64 {
	cur := now.UnixNano() / b.slotWidth()
	var n int64
	for _, s := range b.slots {
		if s.idx > cur-int64(len(b.slots)) && s.idx <= cur {
			n += s.used
		}
	}
	return max(n, 0)
}

// budgetView is what metrics and the scheduler read of a budget.
type budgetView struct {
	Limit, Allowed, Burst, Used, External int64
	Window                                time.Duration
}

func (b *budget) view(now time.Time) budgetView {
	b.mu.Lock()
	defer b.mu.Unlock()
	return budgetView{Limit: b.limit, Allowed: b.allowed, Burst: b.burst, Used: b.usedLocked(now),
		External: b.external, Window: b.window}
}

// cycle is how long serving demand units takes at the allowed rate: the
// shortest interval that lets every account of the exchange sync once.
func (b *budget) cycle(demand int64) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.span(demand)
}
