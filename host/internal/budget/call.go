package budget

// The budget's side of one call at the plugin boundary: pay before it
// leaves, take in the usage the exchange reports, hold the exchange after
// a rate-limited answer, refund what never left. The plugin catalog's
// proxy runs every call through Call; Wrap does the same around any
// sdk.Exchange, for an exchange served in this process (the scheduler's
// test catalog).

import (
	"context"
	"errors"

	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/pluginhost"
)

// Call runs fn, one call to an exchange that costs calls (capability
// names), against the exchange's budget set:
//   - unless ctx is Prepaid it pays first, waiting as Take does, and fails
//     without running fn when Take does;
//   - the usage the exchange reports while fn runs is observed, whether it
//     arrives from a plugin process (pluginhost.WithUsageObserver) or from
//     connector code running in this process (sdk.ReportUsage);
//   - a rate-limited answer holds the whole exchange (see holdAfter);
//   - when fn's error is marked with NotSent, what Call paid is refunded
//     and the mark is taken off.
//
// A nil set paces nothing: fn just runs.
func Call[T any](ctx context.Context, set *Set, calls []string, fn func(context.Context) (T, error)) (T, error) {
	if set == nil {
		v, err := fn(ctx)
		if ns, ok := errors.AsType[notSent](err); ok {
			err = ns.error
		}
		return v, err
	}
	paid := false
	if len(calls) > 0 && !IsPrepaid(ctx) {
		if err := set.Take(ctx, calls); err != nil {
			var zero T
			return zero, err
		}
		paid = true
	}
	observe := func(us []sdk.RateUsage) { set.Observe(set.opts.Now(), us) }
	// Usage from a plugin process comes back with its answer and reaches
	// the observer; a connector running in process reports into the
	// recorder instead. Only one of the two ever hears anything.
	rec := &sdk.UsageRecorder{}
	cctx := sdk.WithUsageRecorder(pluginhost.WithUsageObserver(ctx, observe), rec)
	v, err := fn(cctx)
	if us := rec.Usage(); len(us) > 0 {
		observe(us)
	}
	if ns, ok := errors.AsType[notSent](err); ok {
		err = ns.error
		if paid {
			set.Refund(set.opts.Now(), calls)
		}
	}
	set.holdAfter(err)
	return v, err
}

// NotSent marks err as the failure of a call that never reached the
// exchange (no plugin process was there to take it), so that Call gives
// back what it paid. The mark changes neither the message nor what
// errors.Is finds, and Call removes it.
func NotSent(err error) error {
	if err == nil {
		return nil
	}
	return notSent{err}
}

type notSent struct{ error }

func (e notSent) Unwrap() error { return e.error }

// holdAfter holds the exchange after an answer that says it is rate
// limited: for as long as the answer asks, or else for the set's longest
// window (by then any window the exchange counts has started afresh).
func (s *Set) holdAfter(err error) {
	if sdk.KindOf(err) != sdk.KindRateLimited {
		return
	}
	now := s.opts.Now()
	d := sdk.RetryAfter(err)
	if d <= 0 {
		for _, st := range s.Stats(now) {
			d = max(d, st.Window)
		}
	}
	s.Hold(now.Add(d))
}

// SnapshotErr is the error that stands for a whole snapshot: a part the
// exchange answered rate limited (that answer holds every part), else the
// first failed part in parts' order, else nil.
func SnapshotErr(s pluginhost.Snapshot, parts []string) error {
	var first error
	for _, part := range parts {
		if e := s.Errs[part]; e != nil {
			if sdk.KindOf(e) == sdk.KindRateLimited {
				return e
			}
			if first == nil {
				first = e
			}
		}
	}
	return first
}

// Exchange is an sdk.Exchange whose every call pays an exchange's budget
// through Call, as the plugin catalog's proxy does. Info is free; a
// snapshot pays for all its parts at once.
type Exchange struct {
	x   sdk.Exchange
	set *Set
}

var (
	_ sdk.Exchange           = (*Exchange)(nil)
	_ pluginhost.Snapshotter = (*Exchange)(nil)
)

// Wrap returns x paying set (nil: nothing is paced).
func Wrap(x sdk.Exchange, set *Set) *Exchange { return &Exchange{x: x, set: set} }

func (e *Exchange) Info(ctx context.Context) (sdk.Info, error) {
	return Call(ctx, e.set, nil, e.x.Info)
}

func (e *Exchange) ValidateCredentials(ctx context.Context, a sdk.Account) (sdk.Permissions, error) {
	return Call(ctx, e.set, []string{sdk.CapValidate}, func(ctx context.Context) (sdk.Permissions, error) {
		return e.x.ValidateCredentials(ctx, a)
	})
}

func (e *Exchange) SpotBalances(ctx context.Context, a sdk.Account) ([]sdk.Balance, error) {
	return Call(ctx, e.set, []string{sdk.CapSpotBalances}, func(ctx context.Context) ([]sdk.Balance, error) {
		return e.x.SpotBalances(ctx, a)
	})
}

func (e *Exchange) FuturesAccount(ctx context.Context, a sdk.Account) (sdk.FuturesAccount, error) {
	return Call(ctx, e.set, []string{sdk.CapFuturesAccount}, func(ctx context.Context) (sdk.FuturesAccount, error) {
		return e.x.FuturesAccount(ctx, a)
	})
}

func (e *Exchange) Positions(ctx context.Context, a sdk.Account) ([]sdk.Position, error) {
	return Call(ctx, e.set, []string{sdk.CapPositions}, func(ctx context.Context) ([]sdk.Position, error) {
		return e.x.Positions(ctx, a)
	})
}

func (e *Exchange) PlaceOrder(ctx context.Context, a sdk.Account, r sdk.OrderRequest) (sdk.Order, error) {
	return Call(ctx, e.set, []string{sdk.CapOrders}, func(ctx context.Context) (sdk.Order, error) {
		return e.x.PlaceOrder(ctx, a, r)
	})
}

func (e *Exchange) CancelOrder(ctx context.Context, a sdk.Account, r sdk.CancelRequest) (sdk.Order, error) {
	return Call(ctx, e.set, []string{sdk.CapOrders}, func(ctx context.Context) (sdk.Order, error) {
		return e.x.CancelOrder(ctx, a, r)
	})
}

// Snapshot reads parts of an account (one call when the wrapped exchange
// can, else one per part) and pays for all of them before the first
// leaves. When the budget refuses, every part fails with its error.
func (e *Exchange) Snapshot(ctx context.Context, a sdk.Account, parts []string) pluginhost.Snapshot {
	snap, err := Call(ctx, e.set, parts, func(ctx context.Context) (pluginhost.Snapshot, error) {
		s := pluginhost.FetchSnapshot(ctx, e.x, a, parts)
		return s, SnapshotErr(s, parts)
	})
	if snap.Errs == nil && err != nil {
		snap.Errs = make(map[string]error, len(parts))
		for _, part := range parts {
			snap.Errs[part] = err
		}
	}
	return snap
}
