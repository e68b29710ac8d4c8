package scheduler

import (
	"sync"
	"time"

	"github.com/globalautomation/gahost/sdk"
)

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
	b := &budget{}
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
