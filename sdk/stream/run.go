package stream

// Sessions that hold no goroutine while they are live. Keep runs an
// account's sessions on a goroutine that waits in a select for as long as
// the account streams: with thousands of accounts on a few shared
// connections, that parked goroutine's stack (8 KiB once a session's
// setup has grown it) is most of what an account costs. Run keeps the
// same loop, but a session's setup runs on a goroutine that ends once the
// session is live, and whatever ends a live session (its connection's
// reader, a timer, a lease's expiry, ctx) calls End from where it is.

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/globalautomation/gahost/sdk"
)

// Session is one session of a Run: subscribe, seed, live, until End.
type Session struct {
	ctx    context.Context
	cancel context.CancelFunc
	bo     *Backoff
	setup  sync.WaitGroup // open, and what Hold keeps going past it
	next   func(*Session)

	mu       sync.Mutex
	ended    bool
	err      error
	cleanups []func()
}

// Context ends when the session does; the session's calls use it.
func (s *Session) Context() context.Context { return s.ctx }

// Hold keeps the session's setup going past open's return, for a step
// that waits its turn without a goroutine (a seed queued with
// Limiter.Schedule): the session's defers, and the next session, wait
// for release. Call it from open, or from a step another Hold keeps.
func (s *Session) Hold() (release func()) {
	s.setup.Add(1)
	var once sync.Once
	return func() { once.Do(s.setup.Done) }
}

// Healthy says the session is live (seeded): the backoff starts over.
// Call it from open, or from a step Hold keeps (a queued seed).
func (s *Session) Healthy() { s.bo.Reset() }

// Defer runs f once the session has ended and its open has returned,
// before the next session starts: the defers of a Keep session, run in
// the reverse order of registration.
func (s *Session) Defer(f func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cleanups = append(s.cleanups, f)
}

// End ends the session with err, the reason the host is told (a *Move
// to reconnect without backoff); only the first call counts. It does not
// block, so a connection's reader may call it.
func (s *Session) End(err error) {
	s.mu.Lock()
	if s.ended {
		s.mu.Unlock()
		return
	}
	if err == nil {
		err = &sdk.Error{Kind: sdk.KindUnavailable, Message: "the stream session ended"}
	}
	s.ended, s.err = true, err
	s.mu.Unlock()
	s.cancel()
	go s.next(s)
}

// Every calls f every d while the session lives (a keepalive); an error
// from f ends the session with it.
func (s *Session) Every(d time.Duration, f func(ctx context.Context) error) {
	var mu sync.Mutex // the timer is read in its own callback
	mu.Lock()
	defer mu.Unlock()
	var t *time.Timer
	t = time.AfterFunc(d, func() {
		if err := f(s.ctx); err != nil {
			s.End(err)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if s.ctx.Err() == nil {
			t.Reset(d)
		}
	})
	s.Defer(func() {
		mu.Lock()
		defer mu.Unlock()
		t.Stop()
	})
}

// Run is Keep without a goroutine while a session is live. It returns at
// once; open runs each session's setup on a goroutine of its own and
// returns nil once the session is live (seeded, Healthy called) or a
// step Hold keeps will make it so, having arranged for End to be called
// when it ends; an error from open ends the session with it. Between sessions Run does what Keep does: it
// stops for good on ctx's end, on an error Permanent or final says is
// final (final may be nil), and otherwise emits StreamResyncing with the
// reason and opens the next session after bo's backoff, at once after a
// Move. It then calls done once — nil when ctx ended, else the error —
// after the last session's open and defers have returned.
func Run(ctx context.Context, bo Backoff, emit func(sdk.StreamEvent), final func(error) bool,
	open func(*Session) error, done func(error)) {
	r := &runner{ctx: ctx, bo: bo, emit: emit, final: final, open: open, done: done}
	go r.session()
}

type runner struct {
	ctx   context.Context
	bo    Backoff
	emit  func(sdk.StreamEvent)
	final func(error) bool
	open  func(*Session) error
	done  func(error)
}

func (r *runner) session() {
	if r.ctx.Err() != nil {
		r.done(nil)
		return
	}
	ctx, cancel := context.WithCancel(r.ctx)
	s := &Session{ctx: ctx, cancel: cancel, bo: &r.bo, next: r.finish}
	s.setup.Add(1)
	// The watch's end ends the session. Registered on the watch's context
	// rather than the session's, it gives the session's context no
	// children of its own to keep.
	stop := context.AfterFunc(r.ctx, func() { s.End(r.ctx.Err()) })
	s.Defer(func() { stop() })
	err := r.open(s)
	if err != nil {
		s.End(err)
	}
	s.setup.Done()
}

// finish runs after a session's End: it waits for the session's open
// (and what Hold kept going), runs its defers, and starts the next
// session or stops.
func (r *runner) finish(s *Session) {
	s.setup.Wait()
	s.mu.Lock()
	cleanups, err := s.cleanups, s.err
	s.cleanups = nil
	s.mu.Unlock()
	for i := len(cleanups) - 1; i >= 0; i-- {
		cleanups[i]()
	}
	if r.ctx.Err() != nil {
		r.done(nil)
		return
	}
	if Permanent(err) || (r.final != nil && r.final(err)) {
		r.done(err)
		return
	}
	r.emit(sdk.StreamEvent{State: sdk.StreamResyncing, Reason: err.Error()})
	if _, moved := errors.AsType[*Move](err); moved {
		r.session()
		return
	}
	r.after(r.bo.Next())
}

// after opens the next session once d has passed, or stops if ctx ends
// first, holding a timer and not a goroutine meanwhile.
func (r *runner) after(d time.Duration) {
	var claimed atomic.Bool // the timer or ctx's end, whichever is first
	var mu sync.Mutex       // each callback reads what the other set up
	mu.Lock()
	defer mu.Unlock()
	var t *time.Timer
	var stop func() bool
	t = time.AfterFunc(d, func() {
		mu.Lock()
		stopCtx := stop
		mu.Unlock()
		if claimed.CompareAndSwap(false, true) {
			stopCtx()
			r.session()
		}
	})
	stop = context.AfterFunc(r.ctx, func() {
		mu.Lock()
		timer := t
		mu.Unlock()
		if claimed.CompareAndSwap(false, true) {
			timer.Stop()
			r.done(nil)
		}
	})
}
