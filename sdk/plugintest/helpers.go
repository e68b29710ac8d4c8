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
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/fakex"
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

// KeepEvery calls every method of ex once with acct and keeps what each
// returns: ValidateCredentials, SpotBalances, FuturesAccount, Positions,
// PlaceOrder with order, and CancelOrder of an order that does not exist.
func (l *Leaks) KeepEvery(c context.Context, ex sdk.Exchange, acct sdk.Account, order sdk.OrderRequest) {
	l.Keep(ex.ValidateCredentials(c, acct))
	l.Keep(ex.SpotBalances(c, acct))
	l.Keep(ex.FuturesAccount(c, acct))
	l.Keep(ex.Positions(c, acct))
	l.Keep(ex.PlaceOrder(c, acct, order))
	l.Keep(ex.CancelOrder(c, acct, sdk.CancelRequest{Symbol: "BTC/USDT", OrderID: "42"}))
}

// KeepPastDeadline keeps the error of call made with a context that ends
// after 50 ms; hold it back on the fake for longer first, so that the
// error is the connector's own words for giving up.
func (l *Leaks) KeepPastDeadline(c context.Context, call func(context.Context) (any, error)) {
	slow, cancel := context.WithTimeout(c, 50*time.Millisecond)
	defer cancel()
	l.Keep(call(slow))
}

// LeakCheck is what CheckAll looks for.
type LeakCheck struct {
	// LogMark must be in the log: proof that debug logging ran.
	LogMark string
	// MinErrors is how many errors Keep must have collected at least; a
	// test that collects fewer has lost its teeth.
	MinErrors int
	// Secrets must appear nowhere: keys, secrets, passphrases.
	Secrets []string
	// Signatures are the signatures the fake received, of which there
	// must be MinSignatures at least; none may appear either.
	Signatures    []string
	MinSignatures int
}

// CheckAll fails t unless enough errors and signatures were collected,
// then runs Check with the secrets and the signatures, and returns what
// it searched.
func (l *Leaks) CheckAll(t *testing.T, lc LeakCheck, shown ...any) string {
	t.Helper()
	if n := len(l.Errors()) / 2; n < lc.MinErrors {
		t.Fatalf("only %d errors collected; the test lost its teeth", n)
	}
	if len(lc.Signatures) < lc.MinSignatures {
		t.Fatalf("only %d signatures seen", len(lc.Signatures))
	}
	return l.Check(t, lc.LogMark, slices.Concat(lc.Secrets, lc.Signatures), shown...)
}

// HeaderValues is every non-empty value of header name in reqs: the
// signatures of an exchange that signs in a header.
func HeaderValues(reqs []fakex.Record, name string) []string {
	var out []string
	for _, r := range reqs {
		if v := r.Header.Get(name); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// QueryValues is every value of the last query parameter key in reqs:
// the signatures of an exchange that appends them to the query.
func QueryValues(reqs []fakex.Record, key string) []string {
	var out []string
	for _, r := range reqs {
		if _, v, ok := fakex.CutParam(r.Query, key); ok {
			out = append(out, v)
		}
	}
	return out
}

// KeepAfter injects f into fx, then keeps what call returns: the
// connector's words for an answer the fault made up.
func (l *Leaks) KeepAfter(fx interface{ Inject(fakex.Fault) }, f fakex.Fault, call func() (any, error)) {
	fx.Inject(f)
	l.Keep(call())
}

// KeepWrongSecret keeps what SpotBalances and ValidateCredentials return
// for acct with a wrong secret ("wrong-" and the right one), and returns
// that account.
func (l *Leaks) KeepWrongSecret(c context.Context, ex sdk.Exchange, acct sdk.Account) sdk.Account {
	acct.SecretKey = "wrong-" + acct.SecretKey
	l.Keep(ex.SpotBalances(c, acct))
	l.Keep(ex.ValidateCredentials(c, acct))
	return acct
}

// KeepUnreachable keeps what SpotBalances and ValidateCredentials return
// for acct with every endpoint pointed at a closed port.
func (l *Leaks) KeepUnreachable(c context.Context, ex sdk.Exchange, acct sdk.Account) {
	acct.Endpoints = maps.Clone(acct.Endpoints)
	for k := range acct.Endpoints {
		acct.Endpoints[k] = "http://127.0.0.1:1"
	}
	l.Keep(ex.SpotBalances(c, acct))
	l.Keep(ex.ValidateCredentials(c, acct))
}

// ClockSetter is a fake exchange whose clock can be moved.
type ClockSetter interface{ SetClockOffset(time.Duration) }

// StartWindow moves fx's clock to past after the start of its next
// window of length window, so that the calls a test makes next all fall
// into one of the fake's rate-limit windows.
func StartWindow(fx ClockSetter, window, past time.Duration) {
	now := time.Now()
	fx.SetClockOffset(now.Truncate(window).Add(window + past).Sub(now))
}

// Recording is a test's Context that records rate-limit usage into the
// recorder it returns, as the host's does.
func Recording(t *testing.T) (context.Context, *sdk.UsageRecorder) {
	t.Helper()
	rec := &sdk.UsageRecorder{}
	return sdk.WithUsageRecorder(Context(t), rec), rec
}
