package rest

// Error helpers every connector's error mapping shares.

import (
	"errors"
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
