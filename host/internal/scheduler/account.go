package scheduler

// The sync of one account: read it, call its plugin, judge the answers,
// write the result.

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/globalautomation/gahost/host/internal/plugins"
	"github.com/globalautomation/gahost/host/internal/store"
	"github.com/globalautomation/gahost/sdk"
	"github.com/shopspring/decimal"
)

type outKind int

const (
	outOK          outKind = iota // every part fetched
	outPartial                    // some parts fetched; the others keep their old data
	outError                      // transient failure: back off
	outAuthFailed                 // keys refused: parked until they change
	outRateLimited                // the exchange asked to wait: pause it
	outPluginDown                 // no plugin process to ask: pause the exchange, probe
	outGone                       // deleted or deactivated: drop it
	outCancelled                  // shutdown or removal mid-sync: nothing written
)

var outNames = [...]string{
	outOK: "ok", outPartial: "partial", outError: "error", outAuthFailed: "auth_failed",
	outRateLimited: "rate_limited", outPluginDown: "plugin_unavailable", outGone: "gone", outCancelled: "cancelled",
}

func (k outKind) String() string { return outNames[k] }

// outcome is what one sync tells the schedule.
type outcome struct {
	kind     outKind
	next     time.Time // when the account is due again
	failures int       // transient failures in a row after this sync
	lastOK   time.Time // set when this sync fetched something
	keysRev  uint64    // the credentials' revision the sync used
}

// fetched holds the answers of one sync's calls, by capability.
type fetched struct {
	spot      []sdk.Balance
	futures   sdk.FuturesAccount
	positions []sdk.Position
	errs      map[string]error
}

// syncAccount runs one sync. Only a sync whose context ends early writes
// nothing; every other outcome is recorded in the store.
func (s *Scheduler) syncAccount(ctx context.Context, j job) outcome {
	refund := func() {
		if j.cost > 0 {
			j.budget.refund(time.Now(), j.cost)
		}
	}
	a, err := s.st.Account(ctx, j.id)
	switch {
	case err == nil && !a.IsActive, store.IsNotFound(err):
		refund()
		return outcome{kind: outGone}
	case ctx.Err() != nil:
		refund()
		return outcome{kind: outCancelled}
	case err != nil:
		// The store failed, not the account: try again later, and leave
		// the account's record alone.
		refund()
		s.log.Error("cannot read account for its sync", "account_id", j.id, "error", err)
		return outcome{kind: outError, failures: j.failures + 1, next: time.Now().Add(s.backoff(j.failures + 1))}
	}

	x, _, ok := s.cat.Exchange(a.Exchange)
	if !ok {
		refund()
		return s.record(ctx, a, j, outcome{kind: outPluginDown, failures: j.failures}, nil, nil,
			fmt.Sprintf("no plugin serves exchange %q", a.Exchange))
	}
	creds, err := s.keys.OpenCredentials(a.ID, a.Secrets)
	if err != nil {
		// Nothing a retry soon would fix (a restored backup, a wrong key), so
		// it waits the longest backoff; the error names the field only.
		refund()
		s.log.Error("cannot open account credentials", "account_id", a.ID, "error", err)
		return s.record(ctx, a, j, outcome{kind: outError, failures: j.failures + 1,
			next: time.Now().Add(s.cfg.BackoffMax)}, nil, nil,
			"the stored credentials cannot be opened with the master key")
	}
	acct := sdk.Account{APIKey: creds.APIKey, SecretKey: creds.SecretKey, Passphrase: creds.Passphrase, Testnet: a.Testnet}
	secrets := []string{creds.APIKey, creds.SecretKey, creds.Passphrase}

	callCtx := ctx
	if j.budget != nil {
		callCtx = sdk.WithUsageObserver(ctx, func(us []sdk.RateUsage) { j.budget.observe(time.Now(), us) })
	}
	f := s.fetch(callCtx, x, acct, j.caps)
	if ctx.Err() != nil {
		return outcome{kind: outCancelled}
	}
	return s.judge(ctx, a, j, f, secrets, refund)
}

// fetch reads the account's parts: one round trip to the plugin, which
// calls the exchange for each part side by side, all within CallTimeout.
func (s *Scheduler) fetch(ctx context.Context, x sdk.Exchange, acct sdk.Account, caps []string) *fetched {
	cctx, cancel := context.WithTimeout(ctx, s.cfg.CallTimeout)
	defer cancel()
	snap := sdk.FetchSnapshot(cctx, x, acct, caps)
	f := &fetched{spot: snap.Spot, futures: snap.Futures, positions: snap.Positions, errs: snap.Errs}
	if f.errs == nil {
		f.errs = map[string]error{}
	}
	return f
}

// judge turns the answers into an outcome and records it.
func (s *Scheduler) judge(ctx context.Context, a store.Account, j job, f *fetched, secrets []string,
	refund func()) outcome {
	now := time.Now()
	var rateLimited, authFailed bool
	var retry time.Duration
	pluginDown := len(f.errs) > 0
	for _, err := range f.errs {
		switch sdk.KindOf(err) {
		case sdk.KindRateLimited:
			rateLimited = true
			retry = max(retry, sdk.RetryAfter(err))
		case sdk.KindAuthentication, sdk.KindPermission:
			authFailed = true
		}
		if !errors.Is(err, plugins.ErrCrashed) && !errors.Is(err, plugins.ErrNoPlugin) {
			pluginDown = false
		}
	}
	fetchedSome := len(f.errs) < len(j.caps) || len(j.caps) == 0
	msg := sdk.Scrub(partErrors(f.errs), secrets...)

	var out outcome
	switch {
	case pluginDown && !fetchedSome:
		// Nothing reached the exchange: the budget gets its units back.
		refund()
		out = outcome{kind: outPluginDown, failures: j.failures}
	case rateLimited:
		if retry <= 0 {
			// No hint: wait out the exchange's window, or one interval.
			retry = s.cfg.Interval
			if j.budget != nil {
				retry = j.budget.view(now).Window
			}
		}
		out = outcome{kind: outRateLimited, failures: j.failures, next: now.Add(retry)}
	case fetchedSome && len(f.errs) == 0:
		out = outcome{kind: outOK, next: s.nextRegular(j, now)}
	case fetchedSome:
		// A part that keeps failing (say, futures on a key without futures
		// rights) must not hold back the parts that work.
		out = outcome{kind: outPartial, next: s.nextRegular(j, now)}
	case authFailed:
		out = outcome{kind: outAuthFailed}
	default:
		out = outcome{kind: outError, failures: j.failures + 1}
	}
	if fetchedSome {
		out.lastOK = now
	}
	var snap *store.Snapshot
	var point *store.HistoryPoint
	if fetchedSome {
		snap, point = s.snapshot(ctx, a.ID, j.caps, f, now, secrets)
	}
	return s.record(ctx, a, j, out, snap, point, msg)
}

// maxErrorLen bounds the last_error kept with an account.
const maxErrorLen = 1000

// record writes the outcome with the sync's data (snap and point may be
// nil), filling in the account's next due time, and returns the outcome as
// the schedule must apply it.
func (s *Scheduler) record(ctx context.Context, a store.Account, j job, out outcome,
	snap *store.Snapshot, point *store.HistoryPoint, msg string) outcome {
	now := time.Now()
	if len(msg) > maxErrorLen {
		msg = strings.ToValidUTF8(msg[:maxErrorLen], "") + "…"
	}
	out.keysRev = a.KeysRev
	st := store.SyncState{LastSyncAt: a.Sync.LastSyncAt, LastError: msg, KeysRev: a.KeysRev}
	switch out.kind {
	case outOK, outPartial:
		st.Status = store.SyncOK
	case outRateLimited:
		st.Status = store.SyncRateLimited
	case outAuthFailed:
		st.Status = store.SyncAuthFailed
	case outPluginDown:
		st.Status = store.SyncError
		out.next = now.Add(s.cfg.PluginRetry)
	default:
		st.Status = store.SyncError
		if out.next.IsZero() {
			out.next = now.Add(s.backoff(out.failures))
		}
	}
	if !out.lastOK.IsZero() {
		st.LastSyncAt = out.lastOK
	}
	st.NextSyncAt = out.next // zero for a parked account: not scheduled
	if out.kind != outAuthFailed && out.next.IsZero() {
		out.next = now
	}
	err := s.st.PutSyncResult(ctx, a.ID, snap, point, st)
	switch {
	case err == nil:
	case store.IsNotFound(err):
		return outcome{kind: outGone}
	case ctx.Err() != nil:
		return outcome{kind: outCancelled}
	default:
		s.log.Error("cannot record a sync", "account_id", a.ID, "error", err)
		return outcome{kind: outError, failures: j.failures + 1, keysRev: a.KeysRev,
			next: now.Add(s.backoff(j.failures + 1))}
	}
	switch out.kind {
	case outOK:
	case outAuthFailed:
		s.log.Info("exchange refused the account's keys; not syncing it until they change",
			"account_id", a.ID, "exchange", a.Exchange, "error", msg)
	default:
		s.log.Debug("sync did not fully succeed", "account_id", a.ID, "exchange", a.Exchange,
			"outcome", out.kind.String(), "error", msg)
	}
	return out
}

// nextRegular is the next due time after a sync that worked: one effective
// interval after it started, give or take the jitter.
func (s *Scheduler) nextRegular(j job, now time.Time) time.Time {
	next := j.start.Add(j.every + s.jitter())
	if next.Before(now) {
		return now
	}
	return next
}

func (s *Scheduler) jitter() time.Duration {
	if s.cfg.Jitter <= 0 {
		return 0
	}
	return randDur(2*s.cfg.Jitter+1) - s.cfg.Jitter
}

// backoff is the wait after the n-th transient failure in a row: one
// interval, then doubling, capped.
func (s *Scheduler) backoff(n int) time.Duration {
	d := s.cfg.Interval
	for i := 1; i < n && d < s.cfg.BackoffMax; i++ {
		d *= 2
	}
	return min(d, s.cfg.BackoffMax) + s.jitter()
}

// partErrors describes the failed parts, in a stable order.
func partErrors(errs map[string]error) string {
	var b strings.Builder
	for _, c := range []string{sdk.CapSpotBalances, sdk.CapFuturesAccount, sdk.CapPositions} {
		if err, ok := errs[c]; ok {
			if b.Len() > 0 {
				b.WriteString("; ")
			}
			b.WriteString(c)
			b.WriteString(": ")
			b.WriteString(err.Error())
		}
	}
	return b.String()
}

// snapshot builds the stored snapshot of a sync that fetched something, and
// its history point. A failed part keeps the previous sync's data (the store
// merges it); the point takes the same merged view, and is left out while a
// part it needs has never been fetched.
func (s *Scheduler) snapshot(ctx context.Context, id string, caps []string, f *fetched, now time.Time,
	secrets []string) (*store.Snapshot, *store.HistoryPoint) {
	snap := &store.Snapshot{SyncedAt: now}
	has := map[string]bool{}
	for _, c := range caps {
		has[c] = true
	}
	if len(f.errs) > 0 {
		snap.Errors = map[string]string{}
		for c, err := range f.errs {
			snap.Errors[c] = sdk.Scrub(err.Error(), secrets...)
		}
	}
	ok := func(c string) bool { _, failed := f.errs[c]; return has[c] && !failed }
	if ok(sdk.CapSpotBalances) {
		snap.Spot, snap.SpotAt = store.BalancesFromSDK(f.spot), now
	}
	if ok(sdk.CapFuturesAccount) {
		snap.Futures, snap.FuturesAt = store.FuturesFromSDK(f.futures), now
	}
	if ok(sdk.CapPositions) {
		snap.Positions, snap.PositionsAt = store.PositionsFromSDK(f.positions), now
	}

	view := *snap
	if len(f.errs) > 0 {
		prev, found, err := s.st.LatestSnapshot(ctx, id)
		if err != nil || !found {
			prev = store.Snapshot{}
		}
		if _, failed := f.errs[sdk.CapSpotBalances]; failed {
			view.Spot, view.SpotAt = prev.Spot, prev.SpotAt
		}
		if _, failed := f.errs[sdk.CapFuturesAccount]; failed {
			view.Futures, view.FuturesAt = prev.Futures, prev.FuturesAt
		}
		if _, failed := f.errs[sdk.CapPositions]; failed {
			view.Positions, view.PositionsAt = prev.Positions, prev.PositionsAt
		}
	}
	if (has[sdk.CapSpotBalances] && view.SpotAt.IsZero()) || (has[sdk.CapFuturesAccount] && view.Futures == nil) {
		return snap, nil
	}
	return snap, historyPoint(view, has, now)
}

// historyPoint holds what P&L over time needs. The spot total in USDT is
// only given when it is exact: when the wallet holds nothing but USDT, since
// pricing other assets needs market data the host does not have.
func historyPoint(v store.Snapshot, has map[string]bool, now time.Time) *store.HistoryPoint {
	p := &store.HistoryPoint{At: now}
	if has[sdk.CapSpotBalances] {
		total, exact := decimal.Zero, true
		for _, b := range v.Spot {
			if b.Total.IsZero() {
				continue
			}
			if b.Asset != "USDT" {
				exact = false
				break
			}
			total = total.Add(b.Total)
		}
		if exact {
			p.SpotTotalUSDT = &total
		}
	}
	if v.Futures != nil {
		p.FuturesMarginBalance = v.Futures.MarginBalance
		p.UnrealizedPnL = v.Futures.UnrealizedPnL
	} else {
		for _, pos := range v.Positions {
			p.UnrealizedPnL = p.UnrealizedPnL.Add(pos.UnrealizedPnL)
		}
	}
	return p
}
