package stream

import (
	"context"
	"errors"

	"github.com/globalautomation/gahost/sdk"
)

// Move is the error of a session that ended on purpose to move to a fresh
// connection (before the exchange's lifetime cut, say): Keep reports it
// as a resync and reconnects at once, without backoff. Reason is what the
// host is told.
type Move struct{ Reason string }

func (m *Move) Error() string { return m.Reason }

// Keep runs session after session for one account until ctx ends (it
// returns nil) or a session fails for good: keys refused (Permanent), or
// final says so (the cap reached, an account the stream cannot serve);
// that error is returned and the host polls the account. Between
// sessions it emits StreamResyncing with the error as the reason, and
// waits bo's next backoff unless the error is a Move. A session calls
// healthy once it is live, which resets the backoff.
func Keep(ctx context.Context, bo Backoff, emit func(sdk.StreamEvent), final func(error) bool,
	session func(ctx context.Context, healthy func()) error) error {
	for {
		err := session(ctx, bo.Reset)
		if ctx.Err() != nil {
			return nil
		}
		if Permanent(err) || (final != nil && final(err)) {
			return err
		}
		emit(sdk.StreamEvent{State: sdk.StreamResyncing, Reason: err.Error()})
		if _, moved := errors.AsType[*Move](err); moved {
			continue
		}
		if !Sleep(ctx, bo.Next()) {
			return nil
		}
	}
}
