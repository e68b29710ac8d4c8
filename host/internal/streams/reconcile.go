package streams

import (
	"context"
	"time"

	"github.com/globalautomation/gahost/host/internal/store"
	"github.com/globalautomation/gahost/sdk"
)

// Reconcile checks a poll of an account against what its stream wrote,
// before the poll is written (the scheduler's write path calls it; the
// write that follows repairs whatever differs). It compares only while the
// account is streamed, and only the parts the stream has not rewritten
// since the poll started: those are the stream's claim about the same
// moment the poll read.
//
// A difference may be a change the poll read a moment before its event
// arrived. So the verdict waits Config.Grace, then looks at each value the
// poll found different (an asset's balance, the wallet, a position): if
// the stream has since moved it, the stream saw that change (or a newer
// one) itself; if the stream still holds the value the poll contradicted,
// it missed the change. Such a part is counted as a mismatch and the
// account's stream is subscribed and seeded again, because a stream that
// lost one event cannot tell whether it lost others, and its next event
// would write its stale values back over the poll's repair.
func (m *Manager) Reconcile(ctx context.Context, accountID string, r store.SyncResult) {
	if r.Fresh == nil {
		return
	}
	m.mu.Lock()
	a := m.accounts[accountID]
	streamed := a != nil && a.state == sdk.StreamConnected && !a.held
	var name string
	if a != nil {
		name = a.exchange
	}
	m.mu.Unlock()
	if !streamed {
		return
	}
	old, ok, err := m.st.LatestSnapshot(ctx, accountID)
	if err != nil || !ok {
		return
	}
	var suspect []string
	for _, p := range parts {
		if !fetched(*r.Fresh, p) || !fetched(old, p) || (!r.Started.IsZero() && !old.PartsStarted[p].Before(r.Started)) {
			continue
		}
		if len(changed(values(old, p), values(*r.Fresh, p))) > 0 {
			suspect = append(suspect, p)
		}
	}
	if len(suspect) == 0 {
		return
	}
	select {
	case <-m.running:
		return
	default:
	}
	m.checks.Add(1)
	go func() {
		defer m.checks.Done()
		t := time.NewTimer(m.cfg.Grace)
		defer t.Stop()
		select {
		case <-m.running:
			return
		case <-t.C:
		}
		m.verdict(name, accountID, r, old, suspect)
	}()
}

// verdict counts the parts in which the stream, by the end of the grace,
// still holds a value the poll contradicted, and resubscribes the account
// if there are any.
func (m *Manager) verdict(name, accountID string, r store.SyncResult, old store.Snapshot, suspect []string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	now, ok, err := m.st.LatestSnapshot(ctx, accountID)
	if err != nil || !ok {
		return
	}
	var wrong []string
	for _, p := range suspect {
		if !now.PartsStarted[p].After(r.Started) {
			// The stream wrote nothing since the poll: it did not report
			// the change the poll found.
			wrong = append(wrong, p)
			continue
		}
		was, rest, is := values(old, p), values(*r.Fresh, p), values(now, p)
		for _, k := range changed(was, rest) {
			if is[k] == was[k] {
				wrong = append(wrong, p)
				break
			}
		}
	}
	if len(wrong) == 0 {
		return
	}
	m.mu.Lock()
	es := m.exchangeStateLocked(name)
	for _, p := range wrong {
		es.mismatches[p]++
	}
	if a := m.accounts[accountID]; a != nil && a.exchange == name {
		a.resync = true
	}
	m.mu.Unlock()
	for _, p := range wrong {
		m.m.mismatches.WithLabelValues(name, p).Inc()
	}
	m.log.Info("reconciliation found the stream behind REST; repaired from REST, resubscribing",
		"account_id", accountID, "exchange", name, "parts", wrong)
	m.kickExchange(name)
}

func fetched(s store.Snapshot, part string) bool {
	switch part {
	case store.PartSpot:
		return !s.SpotAt.IsZero()
	case store.PartFutures:
		return !s.FuturesAt.IsZero()
	case store.PartPositions:
		return !s.PositionsAt.IsZero()
	}
	return false
}

// values are the figures of a part that a stream reports as absolute
// values, by key: each asset's free and locked balance; the futures
// wallet balance (unrealized P&L and what derives from it move with the
// mark price between any two reads); each open position's size and entry
// price. Zero balances and flat positions are left out, as absent.
func values(s store.Snapshot, part string) map[string]string {
	out := map[string]string{}
	switch part {
	case store.PartSpot:
		for _, b := range s.Spot {
			if !b.Free.IsZero() || !b.Locked.IsZero() {
				out[b.Asset] = b.Free.String() + "/" + b.Locked.String()
			}
		}
	case store.PartFutures:
		if f := s.Futures; f != nil {
			out[f.Asset] = f.WalletBalance.String()
		}
	case store.PartPositions:
		for _, p := range s.Positions {
			if !p.Size.IsZero() {
				out[p.Symbol+"/"+p.Side] = p.Size.String() + "@" + p.EntryPrice.String()
			}
		}
	}
	return out
}

// changed lists the keys whose value differs between a and b (absent
// counts as a value).
func changed(a, b map[string]string) []string {
	var out []string
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			out = append(out, k)
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			out = append(out, k)
		}
	}
	return out
}
