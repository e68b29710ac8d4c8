// Package budget paces the calls this host sends to one exchange so that
// they stay inside the exchange's per-IP rate limits, whoever the accounts
// belong to and whatever the call is (a sync, a credential check, an order).
//
// A [Set] holds one pool per rate limit the plugin declares with per-IP
// scope; each call kind costs what the plugin declares per pool. The plugin
// catalog owns one Set per exchange and makes every call pay before it
// leaves; the scheduler asks the same Set, without blocking, whether a sync
// may start. The package only does arithmetic on an injected clock: it
// starts no goroutine and performs no I/O.
package budget

import (
	"context"
	"sync"
	"time"

	"github.com/globalautomation/gahost/sdk"
)

// DefaultSafety is the share of a limit a pool plans for when Options
// leaves Safety zero. The rest absorbs the time between a call paying here
// and the exchange counting it: a call paid just before one of the
// exchange's windows ends may be counted in the next. 2 % of a one-minute
// window is 1.2 s of such spread, far more than a request takes to reach
// it; the burst a pool allows is taken out of the planned share, not
// added to it.
const DefaultSafety = 0.98

// Options tune a Set.
type Options struct {
	// Safety is the share of each limit the Set plans to send, burst
	// included, in (0, 1]; 0 means DefaultSafety.
	Safety float64
	// Now is the clock; nil means time.Now. Take waits on real timers,
	// so outside tests (or a testing/synctest bubble) it must be the
	// wall clock.
	Now func() time.Time
	// Group is how much of a pool's flow may go out at once, beyond the
	// largest take: the syncs that come due within one step of the
	// scheduler's wake-up grid (scheduler.Config.Coalesce) start
	// together, and a burst smaller than what flows in that step would
	// release one of them per wake-up instead (each wake-up of the idle
	// host and plugin costs more CPU than a sync's own work). The burst
	// comes out of the steady rate, so a pool gives it at most 1/60 of
	// its window (one second of a minute: 1.7 % of the plan, which leaves
	// over 95 % of the limit to the steady rate); zero keeps only the
	// room for a caller that wakes late.
	Group time.Duration
}

// maxGroupShare caps Options.Group as a share of a pool's window.
const maxGroupShare = 60

// maxAlignedGroupShare caps Options.Group as a share of the window of a
// pool the exchange counts in clock-aligned windows: there a burst costs
// no rate (the window's count bounds it), so the cap only keeps a group
// from holding back a sizeable share of the window's traffic.
const maxAlignedGroupShare = 6

// alignedSpreadShare is, as a share of an aligned pool's window, how long
// after paying here a call may reach the exchange: a sync pays for all
// its requests at once, then sends them one after another (a few round
// trips, a second on a far link for a minute's window). What is paid
// that close to a window's end counts in the next window too, so that a
// burst sent just before the exchange's count restarts cannot fill the
// next window twice.
const alignedSpreadShare = 60

// lateSlack is how late a waiting caller may wake without the pool losing
// its turn: Go timers on a loaded host fire some milliseconds late. It only
// matters for short windows; on a minute it is a fraction of one call.
const lateSlack = 20 * time.Millisecond

// slots is how finely a pool remembers what it spent: the window is cut
// into this many slots, so "used in the last window" is exact to one
// slot's width, and errs towards counting more, never less.
const slots = 50

// Set is one exchange's rate budget: one pool per per-IP limit. Its methods
// are safe for concurrent use.
type Set struct {
	mu       sync.Mutex
	opts     Options
	exchange string
	pools    []*pool             // in declaration order
	costs    map[string][]charge // by call name
	// fallback is what a call with no declared cost pays: one unit of the
	// first pool for plugins that declare only the older CallCosts (so an
	// exchange with a limit is never unlimited), nothing for plugins that
	// declare Costs (which lists every call that costs something).
	fallback []charge
	held     time.Time
}

// charge is what one call costs in one pool.
type charge struct {
	p *pool
	n int64
}

// pool is a GCRA (a token bucket kept as one "theoretical arrival time")
// over one limit: weight flows out at allowed per window, with at most
// burst taken at once. Over any stretch of time L the pool therefore lets
// out at most burst + allowed×L/window, and allowed + burst is the planned
// share of the limit, so any window the exchange counts (fixed or sliding,
// whatever its phase) holds at most the plan, plus what the latency spread
// moves into it.
type pool struct {
	name     string // the limit's name, to match usage reports
	declared int64  // what the plugin declares
	limit    int64  // declared, or lower if the exchange reported a lower one
	window   time.Duration
	maxTake  int64 // the largest single take expected in this pool
	allowed  int64 // weight per window this host plans to send
	burst    int64 // weight that may go out at once
	// aligned pools are counted by the exchange in fixed windows on the
	// clock's multiples of window: besides the GCRA, the weight paid in
	// each such window is capped at plan, which lets allowed be the whole
	// plan and the burst cost nothing.
	aligned bool
	plan    int64
	wins    [2]slot // the count of an aligned window by its index, two at a time

	tat   time.Time // when all weight taken so far will have "drained"
	slots [slots + 1]slot
	// external is the weight the exchange counted beyond ours, in total.
	external int64
}

type slot struct {
	idx  int64 // slot number since the epoch
	used int64
}

// PoolStats is what metrics and the API read of one pool.
type PoolStats struct {
	Name     string
	Limit    int64 // the limit in force (the exchange may have reported a lower one)
	Allowed  int64 // weight per window the host plans to send
	Burst    int64 // weight that may go out at once
	Used     int64 // weight spent over the last window, by this host and others
	External int64 // weight the exchange counted beyond this host's, in total
	Window   time.Duration
	Aligned  bool // counted in clock-aligned windows: Used is the current window's
}

// NewSet returns the budget of an exchange as its plugin declares it.
func NewSet(info sdk.Info, opts Options) *Set {
	if opts.Safety <= 0 || opts.Safety > 1 {
		opts.Safety = DefaultSafety
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Set{opts: opts}
	s.Configure(info)
	return s
}

// Limited reports whether info declares any per-IP limit, that is whether
// a Set built from it paces anything.
func Limited(info sdk.Info) bool {
	for _, rl := range info.RateLimits {
		if ipLimit(rl) {
			return true
		}
	}
	return false
}

func ipLimit(rl sdk.RateLimit) bool {
	return rl.Scope == sdk.ScopeIP && rl.Limit > 0 && rl.Interval > 0
}

// Configure applies a restarted or upgraded plugin's declaration. Pools it
// still declares (same name and window) keep what they spent; a changed
// declared limit replaces one the exchange reported to the old plugin.
func (s *Set) Configure(info sdk.Info) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.exchange = info.Name
	old := make(map[string]*pool, len(s.pools))
	for _, p := range s.pools {
		old[p.name] = p
	}
	s.pools = s.pools[:0]
	byName := map[string]*pool{}
	for _, rl := range info.RateLimits {
		if !ipLimit(rl) || byName[rl.Name] != nil {
			continue
		}
		p := old[rl.Name]
		if p == nil || p.window != rl.Interval || p.aligned != rl.Aligned {
			p = &pool{name: rl.Name, limit: rl.Limit, aligned: rl.Aligned}
		}
		if p.declared != rl.Limit {
			p.limit = rl.Limit
		}
		p.declared, p.window = rl.Limit, rl.Interval
		s.pools = append(s.pools, p)
		byName[rl.Name] = p
	}

	s.costs, s.fallback = map[string][]charge{}, nil
	if len(info.Costs) > 0 {
		for _, c := range info.Costs {
			if p := byName[c.Limit]; p != nil && c.Cost > 0 {
				s.costs[c.Call] = addCharge(s.costs[c.Call], p, c.Cost)
			}
		}
	} else if len(s.pools) > 0 {
		first := s.pools[0]
		for call, n := range info.CallCosts {
			s.costs[call] = nil // declared, even when free
			if n > 0 {
				s.costs[call] = addCharge(nil, first, n)
			}
		}
		s.fallback = []charge{{first, 1}}
	}

	// A pool's burst must let the largest single take through: a whole
	// sync (every snapshot part the plugin serves, paid at once) or any
	// one call.
	for _, p := range s.pools {
		p.maxTake = 1
	}
	var sync []string
	for _, c := range []string{sdk.CapSpotBalances, sdk.CapFuturesAccount, sdk.CapPositions} {
		if info.Has(c) {
			sync = append(sync, c)
		}
	}
	for _, ch := range s.chargesLocked(sync) {
		ch.p.maxTake = max(ch.p.maxTake, ch.n)
	}
	for call := range s.costs {
		for _, ch := range s.costs[call] {
			ch.p.maxTake = max(ch.p.maxTake, ch.n)
		}
	}
	for _, p := range s.pools {
		p.resize(s.opts)
	}
}

func addCharge(cs []charge, p *pool, n int64) []charge {
	for i := range cs {
		if cs[i].p == p {
			cs[i].n += n
			return cs
		}
	}
	return append(cs, charge{p, n})
}

// chargesLocked sums what calls cost, per pool. s.mu must be held.
func (s *Set) chargesLocked(calls []string) []charge {
	var out []charge
	for _, c := range calls {
		cs, ok := s.costs[c]
		if !ok {
			cs = s.fallback
		}
		for _, ch := range cs {
			out = addCharge(out, ch.p, ch.n)
		}
	}
	return out
}

// resize derives allowed and burst from the limit in force.
func (p *pool) resize(opts Options) {
	plan := int64(float64(p.limit) * opts.Safety)
	p.plan = plan
	take := max(p.maxTake, 1)
	if p.aligned {
		// The window's count caps what goes out in it, whatever the
		// bursts: the steady rate is the whole plan, and the burst is one
		// grid step's flow (at least one more take) on top of a take.
		flow := max(lateSlack, min(opts.Group, p.window/maxAlignedGroupShare))
		p.burst = take + max(take, int64(float64(plan)*float64(flow)/float64(p.window)))
		p.allowed = max(plan, 1)
		return
	}
	// Room for the largest take, to let it through at all, and for what
	// flows in the time a caller may come late (a timer firing late, a
	// host busy elsewhere) or in one step of the scheduler's grid: at
	// least one more take's turn, so that the late caller finds its turn
	// kept rather than lost and a grid step's syncs go together.
	// Anything larger only costs steady rate.
	flow := max(lateSlack, min(opts.Group, p.window/maxGroupShare))
	p.burst = take + max(take, int64(float64(plan)*float64(flow)/float64(p.window)))
	// burst + allowed must fit the plan, or a burst at the end of one of
	// the exchange's windows plus a full window of steady flow would spill.
	p.allowed = plan - p.burst
	if p.allowed < 1 {
		// The limit cannot hold even one take with a margin; send at the
		// limit's own pace and let the exchange's answers do the rest.
		p.allowed = max(p.limit, 1)
	}
}

// span is how long n units take to flow out at the allowed rate.
func (p *pool) span(n int64) time.Duration {
	return time.Duration(n * int64(p.window) / p.allowed)
}

// need says when n units could go: the new theoretical arrival time if
// they go now, and how long to wait before they may.
func (p *pool) need(now time.Time, n int64) (next time.Time, wait time.Duration) {
	base := p.tat
	if base.Before(now) {
		base = now
	}
	next = base.Add(p.span(n))
	return next, max(next.Sub(now)-p.span(max(p.burst, n)), p.windowWait(now, n))
}

// winIdx is the index of the aligned window t falls in.
func (p *pool) winIdx(t time.Time) int64 { return t.UnixNano() / int64(p.window) }

// winStart is when aligned window i starts.
func (p *pool) winStart(i int64) time.Time { return time.Unix(0, i*int64(p.window)) }

// spread is how long before an aligned window's end a payment also counts
// in the next window.
func (p *pool) spread() time.Duration { return p.window / alignedSpreadShare }

// count is what was paid (and reported by the exchange) in aligned window i.
func (p *pool) count(i int64) int64 {
	if w := p.wins[i&1]; w.idx == i {
		return w.used
	}
	return 0
}

// addCount adds n to aligned window i.
func (p *pool) addCount(i, n int64) {
	w := &p.wins[i&1]
	if w.idx != i {
		w.idx, w.used = i, 0
	}
	w.used = max(w.used+n, 0)
}

// windows are the aligned windows a payment of now counts in: its own,
// and the next when now is within the spread of its end.
func (p *pool) windows(now time.Time) (i, j int64) {
	return p.winIdx(now), p.winIdx(now.Add(p.spread()))
}

// windowWait is how long n units must wait for room in the aligned
// windows a payment at now counts in; zero for other pools. A take larger
// than the plan goes alone into an empty window.
func (p *pool) windowWait(now time.Time, n int64) time.Duration {
	if !p.aligned {
		return 0
	}
	i, j := p.windows(now)
	for _, w := range []int64{i, j} {
		if c := p.count(w); c > 0 && c+n > p.plan {
			return p.winStart(w + 1).Sub(now)
		}
	}
	return 0
}

// TryTake pays for calls at now if every pool they draw on allows it, and
// otherwise pays nothing and says how long to wait before they could go.
// It never blocks: it is the scheduler's side of the budget.
func (s *Set) TryTake(now time.Time, calls []string) (ok bool, wait time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tryTakeLocked(now, calls)
}

func (s *Set) tryTakeLocked(now time.Time, calls []string) (bool, time.Duration) {
	if now.Before(s.held) {
		return false, s.held.Sub(now)
	}
	cs := s.chargesLocked(calls)
	nexts := make([]time.Time, len(cs))
	var wait time.Duration
	for i, ch := range cs {
		var w time.Duration
		nexts[i], w = ch.p.need(now, ch.n)
		wait = max(wait, w)
	}
	if wait > 0 {
		return false, wait
	}
	for i, ch := range cs {
		ch.p.tat = nexts[i]
		ch.p.record(now, ch.n)
	}
	return true, 0
}

// Take pays for calls, waiting until every pool they draw on allows them.
// When ctx ends first, or its deadline comes before the wait would, it
// pays nothing and returns a rate-limited sdk error saying how long the
// calls would have waited.
func (s *Set) Take(ctx context.Context, calls []string) error {
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		now := s.opts.Now()
		s.mu.Lock()
		ok, wait := s.tryTakeLocked(now, calls)
		exchange := s.exchange
		s.mu.Unlock()
		if ok {
			return nil
		}
		if dl, has := ctx.Deadline(); has && now.Add(wait).After(dl) {
			return sdk.RateLimited(wait, "%s: this host's rate budget for the exchange is spent; the call would have to wait %s", exchange, wait.Round(time.Millisecond))
		}
		if timer == nil {
			timer = time.NewTimer(wait)
		} else {
			timer.Reset(wait)
		}
		select {
		case <-timer.C:
		case <-ctx.Done():
			return sdk.RateLimited(wait, "%s: this host's rate budget for the exchange is spent, and the call ended while waiting for it: %v", exchange, ctx.Err())
		}
	}
}

// Refund gives back what calls paid when they never reached the exchange
// (the plugin was down).
func (s *Set) Refund(now time.Time, calls []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, ch := range s.chargesLocked(calls) {
		ch.p.tat = ch.p.tat.Add(-ch.p.span(ch.n))
		ch.p.record(now, -ch.n)
	}
}

// Cycle is how long n runs of calls take at the budget's pace, the longest
// over the pools: the shortest interval in which n accounts can each sync
// once.
func (s *Set) Cycle(calls []string, n int) time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	var d time.Duration
	for _, ch := range s.chargesLocked(calls) {
		d = max(d, ch.p.span(ch.n*int64(n)))
	}
	return d
}

// HeldUntil is when a hold set by Hold ends, or the zero time when the
// exchange is not held at now.
func (s *Set) HeldUntil(now time.Time) time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	if now.Before(s.held) {
		return s.held
	}
	return time.Time{}
}

// Hold stops every call until until, after the exchange answered rate
// limited: its window is full, so each pool also restarts then from
// nothing rather than from a saved-up burst.
//
// A hold that ends later than the one in force also says when the
// exchange's count starts afresh: whatever it counted before (this host's
// calls and other traffic on the IP alike) is forgotten then, so a debt
// for other traffic ends there too instead of running on at this host's
// pace. A hold ending no later than the one in force changes nothing.
func (s *Set) Hold(until time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !until.After(s.held) {
		return
	}
	s.held = until
	for _, p := range s.pools {
		// Nothing was taken since the hold began (TryTake refuses while
		// held), so anything beyond until is debt.
		p.tat = until.Add(p.span(p.burst))
	}
}

// Observe takes in what the exchange reported as used. A report names its
// pool; reports of other limits, or counted over another window, say
// nothing about this budget.
func (s *Set) Observe(now time.Time, us []sdk.RateUsage) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, u := range us {
		for _, p := range s.pools {
			if u.Name == p.name && (u.Interval == 0 || u.Interval == p.window) {
				p.observe(now, u, s.opts, s.held)
			}
		}
	}
}

// observe takes in one usage report; held is when the set's hold ends.
func (p *pool) observe(now time.Time, u sdk.RateUsage, opts Options, held time.Time) {
	if u.Limit > 0 && u.Limit < p.limit {
		p.limit = u.Limit
		p.resize(opts)
	}
	if p.aligned {
		p.observeAligned(now, u)
		return
	}
	// What we sent over the last window (plus a slot, for answers in
	// flight) bounds our share of the exchange's count; any more was sent
	// by someone else on this IP and is charged as debt.
	excess := u.Used - p.used(now)
	if excess <= 0 {
		return
	}
	p.record(now, excess)
	p.external += excess
	base := p.tat
	if base.Before(now) {
		base = now
	}
	next := base.Add(p.span(excess))
	// The debt is weight the exchange counted by now, and it counts
	// nothing for longer than one window, fixed or sliding: by now+window
	// (or by the end of a hold, when a rate-limited answer said when its
	// window ends) that weight is out of its count. So the debt ends
	// there, with the pool restarting empty, however much it was; paid
	// off at this host's pace instead, a burst of other traffic several
	// times the limit would stop this host for several windows.
	end := now.Add(p.window)
	if held.After(now) {
		end = held
	}
	if last := end.Add(p.span(p.burst)); next.After(last) {
		next = last
		if p.tat.After(next) {
			next = p.tat // a longer hold already stops it
		}
	}
	p.tat = next
}

// observeAligned takes in a report of an aligned window's count: beyond
// what this host paid in the window, the exchange counted someone else's
// weight, which fills the window too and leaves it when the window ends,
// as the exchange's count does. A report that arrives within the spread
// after a window began may still be the count of the window before, and
// says nothing certain about this one.
func (p *pool) observeAligned(now time.Time, u sdk.RateUsage) {
	i := p.winIdx(now)
	if now.Sub(p.winStart(i)) < p.spread() {
		return
	}
	if excess := u.Used - p.count(i); excess > 0 {
		p.addCount(i, excess)
		p.external += excess
	}
}

// Stats reports each pool at now, in declaration order.
func (s *Set) Stats(now time.Time) []PoolStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]PoolStats, 0, len(s.pools))
	for _, p := range s.pools {
		var used int64
		if p.aligned {
			used = p.count(p.winIdx(now))
		} else {
			used = p.used(now)
		}
		out = append(out, PoolStats{Name: p.name, Limit: p.limit, Allowed: p.allowed, Burst: p.burst,
			Used: used, External: p.external, Window: p.window, Aligned: p.aligned})
	}
	return out
}

// slotWidth is the width of one usage slot.
func (p *pool) slotWidth() int64 { return max(int64(p.window)/slots, 1) }

// record adds n units to the slot of now and, in an aligned pool, to the
// windows a payment of now counts in.
func (p *pool) record(now time.Time, n int64) {
	if p.aligned {
		i, j := p.windows(now)
		p.addCount(i, n)
		if j != i {
			p.addCount(j, n)
		}
	}
	idx := now.UnixNano() / p.slotWidth()
	sl := &p.slots[idx%int64(len(p.slots))]
	if sl.idx != idx {
		sl.idx, sl.used = idx, 0
	}
	sl.used += n
}

// used is the weight spent over the last window and one slot.
func (p *pool) used(now time.Time) int64 {
	cur := now.UnixNano() / p.slotWidth()
	var n int64
	for _, sl := range p.slots {
		if sl.idx > cur-int64(len(p.slots)) && sl.idx <= cur {
			n += sl.used
		}
	}
	return max(n, 0)
}

type prepaidKey struct{}

// Prepaid marks ctx as belonging to calls whose cost the caller has paid
// already (the scheduler pays a whole sync with TryTake before it starts).
func Prepaid(ctx context.Context) context.Context {
	return context.WithValue(ctx, prepaidKey{}, true)
}

// IsPrepaid reports whether ctx was marked by Prepaid.
func IsPrepaid(ctx context.Context) bool {
	v, _ := ctx.Value(prepaidKey{}).(bool)
	return v
}
