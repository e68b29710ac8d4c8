package scheduler

import "time"

// Pacer is one exchange's rate budget as the scheduler sees it. Call names
// are the capability names of package sdk.
type Pacer interface {
	// TryTake pays for calls at now if the budget allows them, all or
	// nothing, without blocking; otherwise it says how long to wait.
	TryTake(now time.Time, calls []string) (ok bool, wait time.Duration)
	// Cycle is how long n runs of calls take at the budget's pace: the
	// scheduler stretches the exchange's interval to at least this.
	Cycle(calls []string, n int) time.Duration
	// HeldUntil is not zero while the exchange is held after a
	// rate-limited answer.
	HeldUntil(now time.Time) time.Time
}
