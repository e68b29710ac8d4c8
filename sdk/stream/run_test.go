package stream

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/globalautomation/gahost/sdk"
)

// runSync is Run waited for, as Keep would return.
func runSync(ctx context.Context, bo Backoff, emit func(sdk.StreamEvent), final func(error) bool, open func(*Session) error) error {
	done := make(chan error, 1)
	Run(ctx, bo, emit, final, open, func(err error) { done <- err })
	return <-done
}

// TestRunAsKeep holds Run to Keep's loop: the same sessions' errors give
// the same resyncs, waits and result.
func TestRunAsKeep(t *testing.T) {
	transient := &sdk.Error{Kind: sdk.KindUnavailable, Message: "cut"}
	for _, tc := range loopCases() {
		t.Run(tc.name, func(t *testing.T) {
			tc.check(t, func(emit func(sdk.StreamEvent), session func() error) error {
				return runSync(context.Background(), Backoff{Min: 80 * time.Millisecond, Max: 80 * time.Millisecond}, emit, tc.final,
					func(s *Session) error {
						err := session()
						if !tc.live {
							return err
						}
						s.Healthy()
						time.AfterFunc(time.Millisecond, func() { s.End(err) })
						return nil
					})
			})
		})
	}
	t.Run("the context ending gives nil", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		err := runSync(ctx, Backoff{}, func(sdk.StreamEvent) {}, nil, func(*Session) error { cancel(); return transient })
		if err != nil {
			t.Fatalf("Run = %v", err)
		}
	})
	t.Run("the context ending during the backoff gives nil at once", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(20*time.Millisecond, cancel)
		start := time.Now()
		err := runSync(ctx, Backoff{Min: time.Hour, Max: time.Hour}, func(sdk.StreamEvent) {}, nil, func(*Session) error { return transient })
		if err != nil || time.Since(start) > time.Second {
			t.Fatalf("Run = %v after %v", err, time.Since(start))
		}
	})
}

// TestRunLiveHoldsNoGoroutine: a live session ends when its context's
// parent does, and until then no goroutine waits for it; its defers run
// in reverse order, after open has returned and before done.
func TestRunLiveHoldsNoGoroutine(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	const n = 200
	var mu sync.Mutex
	var order []string
	var done sync.WaitGroup
	live := make(chan struct{}, n)
	before := runtime.NumGoroutine()
	for i := range n {
		done.Add(1)
		Run(ctx, Backoff{}, func(sdk.StreamEvent) { t.Error("a session ending with the watch resynced") }, nil, func(s *Session) error {
			if i == 0 {
				s.Defer(func() { mu.Lock(); order = append(order, "first"); mu.Unlock() })
				s.Defer(func() {
					mu.Lock()
					order = append(order, "second")
					mu.Unlock()
					if s.Context().Err() == nil {
						t.Error("a defer ran before the session's context ended")
					}
				})
			}
			s.Healthy()
			live <- struct{}{}
			return nil
		}, func(err error) {
			if err != nil {
				t.Errorf("done(%v)", err)
			}
			if i == 0 {
				mu.Lock()
				order = append(order, "done")
				mu.Unlock()
			}
			done.Done()
		})
	}
	for range n {
		<-live
	}
	// The setup goroutines end once open returns.
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before+n/10 {
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines for %d live sessions", runtime.NumGoroutine()-before, n)
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	done.Wait()
	mu.Lock()
	defer mu.Unlock()
	if len(order) != 3 || order[0] != "second" || order[1] != "first" || order[2] != "done" {
		t.Fatalf("order %q, want the defers in reverse, then done", order)
	}
}

// TestSessionEvery: the keepalive runs while the session lives, and its
// error ends the session with that reason.
func TestSessionEvery(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	failed := errors.New("keepalive refused")
	var mu sync.Mutex
	calls := 0
	var reasons []string
	sessions := 0
	done := make(chan error, 1)
	Run(ctx, Backoff{Min: time.Millisecond, Max: time.Millisecond}, func(ev sdk.StreamEvent) {
		mu.Lock()
		reasons = append(reasons, ev.Reason)
		mu.Unlock()
	}, func(err error) bool { return true }, func(s *Session) error {
		mu.Lock()
		sessions++
		mu.Unlock()
		s.Every(10*time.Millisecond, func(context.Context) error {
			mu.Lock()
			defer mu.Unlock()
			calls++
			if calls == 3 {
				return failed
			}
			return nil
		})
		return nil
	}, func(err error) { done <- err })
	select {
	case err := <-done:
		if err != failed {
			t.Fatalf("done(%v), want the keepalive's error", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the failed keepalive did not end the session")
	}
	time.Sleep(50 * time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	if calls != 3 || sessions != 1 {
		t.Fatalf("%d keepalives over %d sessions: the keepalive must stop with its session", calls, sessions)
	}
}
