package plugintest

// Helpers for a connector's own tests: what every connector's error table,
// deadline test and secrets test would otherwise write again. They know no
// exchange either; the connector passes its calls and fakes in.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/globalautomation/gahost/sdk"
	"github.com/shopspring/decimal"
)

// Context is a test's context: it ends after 10 s, or when the test does.
func Context(t *testing.T) context.Context {
	t.Helper()
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return c
}

// EqualDecimal fails t unless got equals want by value (scale aside:
// "1.50" equals "1.5").
func EqualDecimal(t *testing.T, field string, got decimal.Decimal, want string) {
	t.Helper()
	if !got.Equal(decimal.RequireFromString(want)) {
		t.Errorf("%s = %s, want %s", field, got, want)
	}
}

// WantError is what a row of an error table expects of a connector's
// error.
type WantError struct {
	Kind sdk.Kind
	// Code is the exchange's own code the error must carry, "" for none.
	Code string
	// RetryAfter accepts the wait the error asks for; nil wants none.
	RetryAfter func(time.Duration) bool
	// Text must be part of the error's message, "" for any.
	Text string
}

// CheckError fails t unless err is a non-nil *sdk.Error as want describes,
// and returns it for the connector's own further checks.
func CheckError(t *testing.T, err error, want WantError) *sdk.Error {
	t.Helper()
	if got := sdk.KindOf(err); got != want.Kind || err == nil {
		t.Fatalf("kind %v (%v), want %v", got, err, want.Kind)
	}
	var se *sdk.Error
	if !errors.As(err, &se) {
		t.Fatalf("%T is not an *sdk.Error", err)
	}
	if se.ExchangeCode != want.Code {
		t.Errorf("exchange code %q, want %q", se.ExchangeCode, want.Code)
	}
	if !strings.Contains(err.Error(), want.Text) {
		t.Errorf("error %q does not say %q", err, want.Text)
	}
	if want.RetryAfter != nil && !want.RetryAfter(se.RetryAfter) {
		t.Errorf("retry after %v", se.RetryAfter)
	} else if want.RetryAfter == nil && se.RetryAfter != 0 {
		t.Errorf("unexpected retry after %v", se.RetryAfter)
	}
	return se
}

// CallPastDeadline runs call with a context that ends after d and returns
// its error. The test fails if call has not returned 10 s later: a
// connector must give up when its caller does, whatever the exchange is
// doing.
func CallPastDeadline(t *testing.T, d time.Duration, call func(context.Context) error) error {
	t.Helper()
	c, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- call(c) }()
	select {
	case err := <-done:
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("the call did not return after its deadline")
		return nil
	}
}

// Leaks collects everything a connector says, its debug log and its
// errors in every printed form, so that a test can prove no key, secret,
// passphrase or signature is in any of it.
type Leaks struct {
	// Logger writes at debug level into the collection; give it to the
	// connector under test.
	Logger *slog.Logger

	mu   sync.Mutex
	logs bytes.Buffer
	errs []string
}

// NewLeaks returns an empty collection.
func NewLeaks() *Leaks {
	l := &Leaks{}
	l.Logger = slog.New(slog.NewTextHandler(lockedWriter{l}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	return l
}

// Keep collects err, if any, as Error() and as %+v and %#v print it. Its
// shape fits a connector call directly: l.Keep(c.Positions(ctx, acct)).
func (l *Leaks) Keep(_ any, err error) {
	if err == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.errs = append(l.errs, err.Error(), fmt.Sprintf("%+v %#v", err, err))
}

// Errors is what Keep collected: two strings for each error.
func (l *Leaks) Errors() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.errs...)
}

// Logs is the debug log so far.
func (l *Leaks) Logs() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.logs.String()
}

// Check fails t if the log lacks logMark (proof that debug logging ran)
// or if any of secrets appears in the errors, the log, or shown printed
// with %v, %+v and %#v (an account, say). It returns everything it
// searched, for the connector's own checks.
func (l *Leaks) Check(t *testing.T, logMark string, secrets []string, shown ...any) string {
	t.Helper()
	logs := l.Logs()
	out := strings.Join(l.Errors(), "\n") + "\n" + logs
	for _, v := range shown {
		out += fmt.Sprintf("%v %+v %#v", v, v, v)
	}
	if !strings.Contains(logs, logMark) {
		t.Fatalf("debug logging did not run:\n%s", logs)
	}
	for _, s := range secrets {
		if strings.Contains(out, s) {
			t.Fatalf("a secret (%s…) appears in logs or errors:\n%s", s[:min(4, len(s))], out)
		}
	}
	return out
}

type lockedWriter struct{ l *Leaks }

func (w lockedWriter) Write(p []byte) (int, error) {
	w.l.mu.Lock()
	defer w.l.mu.Unlock()
	return w.l.logs.Write(p)
}
