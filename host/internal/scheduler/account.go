package scheduler

// The sync of one account: open its keys, ask its plugin for a snapshot,
// judge the answers, hand the result to the store.

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/globalautomation/gahost/host/internal/plugins"
	"github.com/globalautomation/gahost/host/internal/store"
	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/pluginhost"
	"github.com/globalautomation/gahost/sdk/redact"
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
	outStale                      // the keys changed during the sync: nothing written, run again
)

var outNames = [...]string{
	outOK: "ok", outPartial: "partial", outError: "error", outAuthFailed: "auth_failed",
	outRateLimited: "rate_limited", outPluginDown: "plugin_unavailable", outGone: "gone", outCancelled: "cancelled",
	outStale: "stale",
}

func (k outKind) String() string { return outNames[k] }

// outcome is what one sync tells the schedule.
type outcome struct {
	kind     outKind
	next     time.Time // when the account is due again
	failures int       // transient failures in a row after this sync
	lastOK   time.Time // set when this sync fetched something
}

// syncAccount runs one sync. Only a sync whose context ends early, or
// whose keys changed meanwhile, writes nothing; every other outcome is
// recorded in the store.
func (s *Scheduler) syncAccount(ctx context.Context, j job) outcome {
	x, _, ok := s.cat.Exchange(j.exchange)
	if !ok {
		return s.record(ctx, j, outcome{kind: outPluginDown, failures: j.failures}, nil,
			fmt.Sprintf("no plugin serves exchange %q", j.exchange))
	}
	snapper, ok := x.(pluginhost.Snapshotter)
	if !ok {
		return s.record(ctx, j, outcome{kind: outPluginDown, failures: j.failures}, nil,
			fmt.Sprintf("the client of exchange %q cannot fetch snapshots", j.exchange))
	}
	creds, err := s.keys.OpenCredentials(j.id, j.sealed)
	if err != nil {
		// Nothing a retry soon would fix (a restored backup, a wrong key), so
		// it waits the longest backoff; the error names the field only.
		s.log.Error("cannot open account credentials", "account_id", j.id, "error", err)
		return s.record(ctx, j, outcome{kind: outError, failures: j.failures + 1,
			next: s.clock.Now().Add(s.cfg.BackoffMax)}, nil,
			"the stored credentials cannot be opened with the master key")
	}
	acct := sdk.Account{APIKey: creds.APIKey, SecretKey: creds.SecretKey, Passphrase: creds.Passphrase, Testnet: j.testnet}
	secrets := []string{creds.APIKey, creds.SecretKey, creds.Passphrase}

	callCtx := ctx
	if j.paid {
		callCtx = s.cfg.Prepaid(ctx)
	}
	cctx, cancel := context.WithTimeout(callCtx, s.cfg.CallTimeout)
	snap := snapper.Snapshot(cctx, acct, j.calls)
	cancel()
	if ctx.Err() != nil {
		return outcome{kind: outCancelled}
	}
	return s.judge(ctx, j, snap, secrets)
}

// judge turns the answers into an outcome and records it.
func (s *Scheduler) judge(ctx context.Context, j job, snap pluginhost.Snapshot, secrets []string) outcome {
	now := s.clock.Now()
	var rateLimited, authFailed bool
	var retry time.Duration
	pluginDown := len(snap.Errs) > 0
	for _, err := range snap.Errs {
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
	fetchedSome := len(snap.Errs) < len(j.calls) || len(j.calls) == 0

	var out outcome
	switch {
	case pluginDown && !fetchedSome:
		out = outcome{kind: outPluginDown, failures: j.failures}
	case rateLimited:
		if retry <= 0 {
			// No hint: wait as long as the budget holds the exchange, or
			// one interval.
			retry = s.cfg.Interval
			if j.pacer != nil {
				if until := j.pacer.HeldUntil(now); until.After(now) {
					retry = until.Sub(now)
				}
			}
		}
		out = outcome{kind: outRateLimited, failures: j.failures, next: now.Add(retry)}
	case fetchedSome && len(snap.Errs) == 0:
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
	var fresh *store.Snapshot
	if fetchedSome {
		out.lastOK = now
		fresh = freshParts(j.calls, snap, now, secrets)
	}
	return s.record(ctx, j, out, fresh, partErrors(snap.Errs, secrets))
}

// maxErrorLen bounds the last_error kept with an account.
const maxErrorLen = 1000

// record hands the outcome to the store with the sync's fresh parts (nil
// when it fetched nothing), filling in the account's next due time, and
// returns the outcome as the schedule must apply it. msg must already be
// free of the account's secrets.
func (s *Scheduler) record(ctx context.Context, j job, out outcome, fresh *store.Snapshot, msg string) outcome {
	now := s.clock.Now()
	msg = redact.Clip(msg, maxErrorLen)
	st := store.SyncState{LastSyncAt: j.lastOK, LastError: msg, KeysRev: j.keysRev}
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
	if fresh != nil && len(fresh.Errors) > 0 {
		st.FailedParts = slices.Sorted(maps.Keys(fresh.Errors))
	}
	st.NextSyncAt = out.next // zero for a parked account: not scheduled
	if out.kind != outAuthFailed && out.next.IsZero() {
		out.next = now
	}
	r := store.SyncResult{Started: j.start, Fresh: fresh, State: st, Wait: j.waited}
	if fresh != nil {
		r.Point = func(merged store.Snapshot) (store.HistoryPoint, bool) {
			p, ok := historyPoint(merged, j.calls, now)
			if ok && s.cfg.Value != nil {
				s.cfg.Value(j.exchange, j.testnet, j.id, merged, &p)
			}
			return p, ok
		}
	}
	err := s.st.PutSyncResult(ctx, j.id, r)
	switch {
	case err == nil:
	case store.IsNotFound(err):
		return outcome{kind: outGone}
	case errors.Is(err, store.ErrStale):
		return outcome{kind: outStale}
	case ctx.Err() != nil:
		return outcome{kind: outCancelled}
	default:
		s.log.Error("cannot record a sync", "account_id", j.id, "error", err)
		return outcome{kind: outError, failures: j.failures + 1, next: now.Add(s.backoff(j.failures + 1))}
	}
	switch out.kind {
	case outOK:
	case outAuthFailed:
		s.log.Info("exchange refused the account's keys; not syncing it until they change",
			"account_id", j.id, "exchange", j.exchange, "error", msg)
	default:
		s.log.Debug("sync did not fully succeed", "account_id", j.id, "exchange", j.exchange,
			"outcome", out.kind.String(), "error", msg)
	}
	return out
}

// nextRegular is the next due time after a sync that worked: one effective
// interval after it started, give or take the jitter. The wait for the
// Coalesce grid's next point does not count: counted from a start up to a
// step late, every interval would grow by half a step on average, and
// the exchange's accounts would be synced that much less often than
// asked. Any other lateness (the budget had no room) does count.
func (s *Scheduler) nextRegular(j job, now time.Time) time.Time {
	from := j.start
	if late := j.start.Sub(j.due); late > 0 && !j.due.IsZero() {
		from = j.start.Add(-min(late, s.cfg.Coalesce))
	}
	next := from.Add(j.every + s.jitter())
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

// partErrors describes the failed parts, in a stable order, without the
// account's secrets.
func partErrors(errs map[string]error, secrets []string) string {
	var b strings.Builder
	for _, c := range syncParts {
		if err, ok := errs[c]; ok {
			if b.Len() > 0 {
				b.WriteString("; ")
			}
			b.WriteString(c)
			b.WriteString(": ")
			b.WriteString(err.Error())
		}
	}
	return redact.String(b.String(), secrets...)
}

// freshParts is what a sync that fetched something hands the store: the
// parts it fetched, stamped now, and why the others failed. The store lays
// them over the previous snapshot.
func freshParts(calls []string, snap pluginhost.Snapshot, now time.Time, secrets []string) *store.Snapshot {
	fresh := &store.Snapshot{SyncedAt: now}
	if len(snap.Errs) > 0 {
		fresh.Errors = make(map[string]string, len(snap.Errs))
		for c, err := range snap.Errs {
			fresh.Errors[c] = redact.String(err.Error(), secrets...)
		}
	}
	for _, c := range calls {
		if _, failed := snap.Errs[c]; failed {
			continue
		}
		switch c {
		case sdk.CapSpotBalances:
			fresh.Spot, fresh.SpotAt = store.BalancesFromSDK(snap.Spot), now
		case sdk.CapFuturesAccount:
			fresh.Futures, fresh.FuturesAt = store.FuturesFromSDK(snap.Futures), now
		case sdk.CapPositions:
			fresh.Positions, fresh.PositionsAt = store.PositionsFromSDK(snap.Positions), now
		}
	}
	return fresh
}
