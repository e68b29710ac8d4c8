package stream

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/globalautomation/gahost/sdk"
)

func TestKeep(t *testing.T) {
	transient := &sdk.Error{Kind: sdk.KindUnavailable, Message: "cut"}
	refused := &sdk.Error{Kind: sdk.KindAuthentication, Message: "refused"}
	capErr := errors.New("cap")
	for _, tc := range []struct {
		name    string
		errs    []error // what each session returns, in turn
		final   func(error) bool
		want    error
		reasons []string
		minWait time.Duration
	}{
		{"a move reconnects at once", []error{&Move{Reason: "moved"}, &Move{Reason: "moved"}, refused}, nil, refused,
			[]string{"moved", "moved"}, 0},
		{"a transient error backs off", []error{transient, refused}, nil, refused, []string{"cut"}, 40 * time.Millisecond},
		{"final ends the watch", []error{transient, capErr}, func(err error) bool { return err == capErr }, capErr, []string{"cut"}, 40 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var reasons []string
			n := 0
			start := time.Now()
			err := Keep(context.Background(), Backoff{Min: 80 * time.Millisecond, Max: 80 * time.Millisecond},
				func(ev sdk.StreamEvent) {
					if ev.State != sdk.StreamResyncing {
						t.Errorf("emitted %v", ev.State)
					}
					reasons = append(reasons, ev.Reason)
				}, tc.final, func(context.Context, func()) error { n++; return tc.errs[n-1] })
			if err != tc.want || n != len(tc.errs) {
				t.Fatalf("Keep = %v after %d sessions, want %v after %d", err, n, tc.want, len(tc.errs))
			}
			if len(reasons) != len(tc.reasons) || (len(reasons) > 0 && reasons[0] != tc.reasons[0]) {
				t.Fatalf("resync reasons %q, want %q", reasons, tc.reasons)
			}
			if took := time.Since(start); took < tc.minWait || (tc.minWait == 0 && took > 40*time.Millisecond) {
				t.Fatalf("took %v", took)
			}
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
