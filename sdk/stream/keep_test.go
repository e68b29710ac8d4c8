package stream

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/globalautomation/gahost/sdk"
)

// loopCase is how a run of sessions ends, for Keep and Run alike.
type loopCase struct {
	name    string
	errs    []error // how each session ends, in turn
	live    bool    // each session goes live (healthy) before it ends
	final   func(error) bool
	want    error
	reasons []string
	minWait time.Duration
}

func loopCases() []loopCase {
	transient := &sdk.Error{Kind: sdk.KindUnavailable, Message: "cut"}
	refused := &sdk.Error{Kind: sdk.KindAuthentication, Message: "refused"}
	capErr := errors.New("cap")
	return []loopCase{
		{"a move reconnects at once", []error{&Move{Reason: "moved"}, &Move{Reason: "moved"}, refused}, false, nil, refused,
			[]string{"moved", "moved"}, 0},
		{"a transient error backs off", []error{transient, refused}, false, nil, refused, []string{"cut"}, 40 * time.Millisecond},
		{"final ends the watch", []error{transient, capErr}, false, func(err error) bool { return err == capErr }, capErr, []string{"cut"}, 40 * time.Millisecond},
		{"live sessions that end", []error{&Move{Reason: "moved"}, transient, refused}, true, nil, refused,
			[]string{"moved", "cut"}, 40 * time.Millisecond},
	}
}

// check runs tc through loop, which runs sessions (each ending as
// tc.errs says) until it returns, and checks the result, the resyncs and
// the time taken.
func (tc loopCase) check(t *testing.T, loop func(emit func(sdk.StreamEvent), session func() error) error) {
	var mu sync.Mutex
	var reasons []string
	n := 0
	start := time.Now()
	err := loop(func(ev sdk.StreamEvent) {
		if ev.State != sdk.StreamResyncing {
			t.Errorf("emitted %v", ev.State)
		}
		mu.Lock()
		reasons = append(reasons, ev.Reason)
		mu.Unlock()
	}, func() error {
		mu.Lock()
		defer mu.Unlock()
		n++
		return tc.errs[n-1]
	})
	mu.Lock()
	defer mu.Unlock()
	if err != tc.want || n != len(tc.errs) {
		t.Fatalf("%v after %d sessions, want %v after %d", err, n, tc.want, len(tc.errs))
	}
	if len(reasons) != len(tc.reasons) || (len(reasons) > 0 && reasons[0] != tc.reasons[0]) {
		t.Fatalf("resync reasons %q, want %q", reasons, tc.reasons)
	}
	if took := time.Since(start); took < tc.minWait || (tc.minWait == 0 && took > 40*time.Millisecond) {
		t.Fatalf("took %v", took)
	}
}

func TestKeep(t *testing.T) {
	transient := &sdk.Error{Kind: sdk.KindUnavailable, Message: "cut"}
	for _, tc := range loopCases() {
		t.Run(tc.name, func(t *testing.T) {
			tc.check(t, func(emit func(sdk.StreamEvent), session func() error) error {
				return Keep(context.Background(), Backoff{Min: 80 * time.Millisecond, Max: 80 * time.Millisecond}, emit, tc.final,
					func(_ context.Context, healthy func()) error {
						err := session()
						if tc.live {
							healthy()
						}
						return err
					})
			})
		})
	}
	t.Run("the context ending returns nil", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		err := Keep(ctx, Backoff{}, func(sdk.StreamEvent) {}, nil, func(context.Context, func()) error { cancel(); return transient })
		if err != nil {
			t.Fatalf("Keep = %v", err)
		}
	})
}
