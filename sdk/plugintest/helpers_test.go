package plugintest

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/globalautomation/gahost/sdk"
)

func TestCheckErrorPasses(t *testing.T) {
	err := fmtWrap(&sdk.Error{Kind: sdk.KindRateLimited, ExchangeCode: "429", RetryAfter: 3 * time.Second})
	se := CheckError(t, err, WantError{Kind: sdk.KindRateLimited, Code: "429", RetryAfter: func(d time.Duration) bool { return d == 3*time.Second }})
	if se == nil || se.ExchangeCode != "429" {
		t.Fatalf("CheckError returned %+v", se)
	}
}

func fmtWrap(err error) error { return errors.Join(errors.New("wrapped"), err) }

func TestCallPastDeadline(t *testing.T) {
	err := CallPastDeadline(t, 20*time.Millisecond, func(c context.Context) error {
		<-c.Done()
		return c.Err()
	})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the deadline", err)
	}
}

func TestLeaksCollects(t *testing.T) {
	l := NewLeaks()
	l.Keep(nil, nil)
	l.Keep(struct{}{}, sdk.Errorf(sdk.KindAuthentication, "bad key"))
	l.Logger.Debug("call", "path", "/x")
	if got := l.Errors(); len(got) != 2 || got[0] != "bad key" {
		t.Fatalf("errors = %q, want the error twice printed", got)
	}
	out := l.Check(t, "path=/x", []string{"s3cr3t"}, struct{ Name string }{"shown-key"})
	if !strings.Contains(out, "bad key") || !strings.Contains(out, "path=/x") || !strings.Contains(out, "shown-key") {
		t.Fatalf("Check searched too little:\n%s", out)
	}
}
