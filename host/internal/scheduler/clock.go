package scheduler

import (
	"context"
	"time"
)

// Clock is the scheduler's time: what it reads as now and how it waits.
// Nothing in the package reads the wall clock or sleeps except through it,
// so a test can run the schedule on a clock of its own.
type Clock interface {
	Now() time.Time
	// NewTimer returns a timer that fires once, d from now.
	NewTimer(d time.Duration) Timer
}

// Timer is a Clock's one-shot timer.
type Timer interface {
	C() <-chan time.Time
	// Reset makes the timer fire d from now, whether or not it fired.
	Reset(d time.Duration)
	Stop()
}

// wallClock is the production Clock.
type wallClock struct{}

func (wallClock) Now() time.Time                 { return time.Now() }
func (wallClock) NewTimer(d time.Duration) Timer { return wallTimer{time.NewTimer(d)} }

type wallTimer struct{ t *time.Timer }

func (w wallTimer) C() <-chan time.Time { return w.t.C }

// Reset needs no draining of C: since Go 1.23 a reset timer never
// delivers a value from before the reset.
func (w wallTimer) Reset(d time.Duration) { w.t.Reset(d) }
func (w wallTimer) Stop()                 { w.t.Stop() }

// sleep waits d on c, or until ctx ends; it reports whether d passed.
func sleep(ctx context.Context, c Clock, d time.Duration) bool {
	t := c.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C():
		return true
	}
}
