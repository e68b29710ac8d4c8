package rest

// Error helpers every connector's error mapping shares.

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/globalautomation/gahost/sdk"
)

// MaxText bounds the exchange's own text (a message, an odd value) carried
// into an error: enough to tell what happened, not a whole page. Clip it
// with redact.Clip.
const MaxText = 300

// Malformed reports an answer the exchange should not have sent: what
// names the part that did not decode. It is KindUnknown, so the caller
// treats it as transient.
func Malformed(exchange, what string, err error) error {
	return sdk.Errorf(sdk.KindUnknown, "%s: malformed %s in the answer: %v", exchange, what, err)
}

// ExchangeCode returns the exchange's own code carried by err, or "".
func ExchangeCode(err error) string {
	var e *sdk.Error
	if errors.As(err, &e) {
		return e.ExchangeCode
	}
	return ""
}

// RateLimited is r's answer that the client went over a limit: a
// KindRateLimited error asking to wait for the Retry-After header when the
// exchange, or a layer in front of it, sends a positive one, else for
// wait, which is what the connector knows of the exchange's windows.
func RateLimited(r *Response, code string, wait time.Duration, format string, args ...any) *sdk.Error {
	e := r.Errorf(sdk.KindRateLimited, code, format, args...)
	e.RetryAfter = wait
	if d, ok := RetryAfter(r.Header, r.Received); ok && d > 0 {
		e.RetryAfter = d
	}
	return e
}

// UntilNextWindow is the wait from r's arrival, on the exchange's clock,
// to the next multiple of window, rounded to a second and at least one:
// when a fixed window of that size, counted from the epoch, resets.
func UntilNextWindow(r *Response, window time.Duration) time.Duration {
	next := r.Received.Truncate(window).Add(window)
	return max(next.Sub(r.Received).Round(time.Second), time.Second)
}

// Unsure is r's answer that the request reached the exchange and its
// result is not known (a timeout behind the gateway, an internal error):
// after an order was sent, KindUnknownOutcome, saying the order may have
// been placed; on any other call, kind.
func Unsure(r *Response, kind sdk.Kind, code, format string, args ...any) *sdk.Error {
	e := r.Errorf(kind, code, format, args...)
	if r.Request.Order {
		return UnknownOutcome(e)
	}
	return e
}

// Meaning is what one of an exchange's error codes means to the host.
type Meaning struct {
	Kind sdk.Kind
	// Text is the error's message: a format with one %s, where the
	// exchange's own message goes, or a fixed text that replaces it
	// (where the exchange's is unhelpful or misleading). Empty is the
	// exchange's message alone.
	Text string
	// Unsure says the exchange may have acted before it failed: after an
	// order, the outcome is unknown (see Unsure).
	Unsure bool
}

// Codes is an exchange's error table, its codes (as the connector keys
// them, numbers or text) to what they mean. A connector looks a code up
// after the cases its exchange words ambiguously (one code, several
// meanings told apart by the text) and before its fallbacks by status.
type Codes[C comparable] map[C]Meaning

// Error is r's error for code, msg being the exchange's message, already
// clipped; ok is false when the table does not list code.
func (t Codes[C]) Error(r *Response, code C, msg string) (e *sdk.Error, ok bool) {
	m, ok := t[code]
	if !ok {
		return nil, false
	}
	format, args := "%s", []any{msg}
	switch {
	case strings.Contains(m.Text, "%s"):
		format = m.Text
	case m.Text != "":
		args = []any{m.Text}
	}
	c := fmt.Sprint(code)
	if m.Unsure {
		return Unsure(r, m.Kind, c, format, args...), true
	}
	return r.Errorf(m.Kind, c, format, args...), true
}
