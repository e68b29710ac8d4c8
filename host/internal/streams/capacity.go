package streams

import (
	"slices"
	"time"

	"github.com/globalautomation/gahost/sdk"
)

// exchangeState is what the manager keeps of one exchange across its
// stream sessions (a plugin restart opens a new session, not a new
// exchange): its limits, the pace of new watches, and its counters.
// Guarded by Manager.mu.
type exchangeState struct {
	limits     sdk.StreamLimits
	cap        int // accounts it may stream; 0: no cap
	pace       pacer
	resyncs    uint64
	mismatches map[string]uint64 // by part
	events     uint64
	lags       [512]time.Duration // the latest lags, a ring
	nlags      int
}

func (m *Manager) exchangeState(name string) *exchangeState {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.exchangeStateLocked(name)
}

func (m *Manager) exchangeStateLocked(name string) *exchangeState {
	es := m.exch[name]
	if es == nil {
		es = &exchangeState{mismatches: map[string]uint64{}}
		m.exch[name] = es
	}
	return es
}

func (es *exchangeState) lag(d time.Duration) {
	es.lags[es.nlags%len(es.lags)] = d
	es.nlags++
}

// lagP99 is the 99th percentile of the latest lags; zero before any.
func (es *exchangeState) lagP99() time.Duration {
	n := min(es.nlags, len(es.lags))
	if n == 0 {
		return 0
	}
	ls := slices.Clone(es.lags[:n])
	slices.Sort(ls)
	return ls[(n*99+99)/100-1]
}

// pacer spaces the accounts handed to a stream to the exchange's
// connection rate: NewConnections per window, each connection carrying
// AccountsPerConnection accounts. Handing over more would only queue them
// inside the plugin (or, with a plugin that does not pace itself, earn the
// IP a ban); held here, they are polled meanwhile and counted as polled.
type pacer struct {
	n      int // accounts per window; 0: no limit
	window time.Duration
	spent  []handout // within the last window, oldest first
}

type handout struct {
	at time.Time
	n  int
}

func (p *pacer) setLimits(l sdk.StreamLimits) {
	p.n, p.window = 0, 0
	if l.NewConnections > 0 && l.NewConnectionsWindow > 0 {
		p.n, p.window = l.NewConnections*max(l.AccountsPerConnection, 1), l.NewConnectionsWindow
	}
}

func (p *pacer) expire(now time.Time) int {
	for len(p.spent) > 0 && now.Sub(p.spent[0].at) >= p.window {
		p.spent = p.spent[1:]
	}
	used := 0
	for _, h := range p.spent {
		used += h.n
	}
	return used
}

// take grants up to want new watches now and counts them.
func (p *pacer) take(want int, now time.Time) int {
	if p.n <= 0 || want == 0 {
		return want
	}
	got := min(want, max(p.n-p.expire(now), 0))
	if got > 0 {
		p.spent = append(p.spent, handout{at: now, n: got})
	}
	return got
}

// wait is how long until take grants more.
func (p *pacer) wait(now time.Time) time.Duration {
	p.expire(now)
	if p.n <= 0 || len(p.spent) == 0 {
		return 0
	}
	return max(p.spent[0].at.Add(p.window).Sub(now), time.Millisecond)
}

// Stats is what an exchange's streams are doing, for GET /exchanges.
type Stats struct {
	Limits sdk.StreamLimits
	// Cap is how many accounts may be streamed (the plugin's limits,
	// lowered by config); zero: no cap.
	Cap int
	// Accounts by what keeps them fresh.
	Streamed, Subscribing, Resyncing, Polled int
	// Resyncs counts the times an account's stream lost continuity;
	// Mismatches the parts reconciliation found wrong, by part.
	Resyncs    uint64
	Mismatches map[string]uint64
	// Changes is how many changes the streams pushed; LagP99 the 99th
	// percentile of the latest ones' lag from the exchange's event time
	// to the store.
	Changes uint64
	LagP99  time.Duration
}

// ExchangeStats reports an exchange's streams; ok is false for an
// exchange the manager never streamed.
func (m *Manager) ExchangeStats(name string) (Stats, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	es := m.exch[name]
	if es == nil {
		return Stats{}, false
	}
	s := Stats{Limits: es.limits, Cap: es.cap, Resyncs: es.resyncs, Changes: es.events, LagP99: es.lagP99(),
		Mismatches: make(map[string]uint64, len(parts))}
	for _, p := range parts {
		s.Mismatches[p] = es.mismatches[p]
	}
	for _, a := range m.accounts {
		if a.exchange != name {
			continue
		}
		switch {
		case a.held, a.state == sdk.StreamFailed:
			s.Polled++
		case a.state == sdk.StreamConnected:
			s.Streamed++
		case a.state == sdk.StreamResyncing:
			s.Resyncing++
		default:
			s.Subscribing++
		}
	}
	return s, true
}
