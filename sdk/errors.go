package sdk

import (
	"errors"
	"fmt"
	"time"
)

// Kind says what went wrong, in terms the host acts on. The host never
// parses message text: it decides on the Kind alone.
type Kind int

// The kinds of error that cross the plugin boundary.
const (
	KindUnknown           Kind = iota // anything else; treated as transient
	KindAuthentication                // key unknown, bad signature, bad passphrase
	KindPermission                    // key lacks a permission, IP not whitelisted
	KindRateLimited                   // 429, ban; RetryAfter says how long to wait
	KindClockSkew                     // timestamp outside the exchange's window
	KindInvalidRequest                // the request itself is wrong
	KindInsufficientFunds             // not enough balance or margin
	KindUnknownSymbol                 // no such market
	KindUnsupported                   // the connector or exchange cannot do this
	KindUnavailable                   // exchange down, maintenance, plugin gone
	KindUnknownOutcome                // an order may or may not have been placed
	KindOrderNotFound                 // no such order (to cancel or to query)
)

var kindNames = [...]string{
	KindUnknown:           "unknown",
	KindAuthentication:    "authentication",
	KindPermission:        "permission",
	KindRateLimited:       "rate_limited",
	KindClockSkew:         "clock_skew",
	KindInvalidRequest:    "invalid_request",
	KindInsufficientFunds: "insufficient_funds",
	KindUnknownSymbol:     "unknown_symbol",
	KindUnsupported:       "unsupported",
	KindUnavailable:       "unavailable",
	KindUnknownOutcome:    "unknown_outcome",
	KindOrderNotFound:     "order_not_found",
}

// String is the stable snake_case name of the kind, used as an API error code.
func (k Kind) String() string {
	if k < 0 || int(k) >= len(kindNames) {
		return "unknown"
	}
	return kindNames[k]
}

// MarshalText writes the kind's name, so a Kind reads the same in JSON and
// logs as in the API's error codes.
func (k Kind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// UnmarshalText reads a kind's name, as String writes it. A name this sdk
// does not know is an error and leaves k unchanged.
func (k *Kind) UnmarshalText(b []byte) error {
	for i, n := range kindNames {
		if n == string(b) {
			*k = Kind(i)
			return nil
		}
	}
	return fmt.Errorf("sdk: unknown error kind %q", b)
}

// Sentinels to compare with errors.Is. Every *Error matches the sentinel of
// its Kind.
var (
	ErrAuthentication    = errors.New("authentication failed")
	ErrPermission        = errors.New("permission denied")
	ErrRateLimited       = errors.New("rate limited")
	ErrClockSkew         = errors.New("clock skew")
	ErrInvalidRequest    = errors.New("invalid request")
	ErrInsufficientFunds = errors.New("insufficient funds")
	ErrUnknownSymbol     = errors.New("unknown symbol")
	ErrUnsupported       = errors.New("unsupported")
	ErrUnavailable       = errors.New("exchange unavailable")
	ErrUnknownOutcome    = errors.New("unknown outcome")
	ErrOrderNotFound     = errors.New("order not found")
)

var sentinels = map[Kind]error{
	KindAuthentication:    ErrAuthentication,
	KindPermission:        ErrPermission,
	KindRateLimited:       ErrRateLimited,
	KindClockSkew:         ErrClockSkew,
	KindInvalidRequest:    ErrInvalidRequest,
	KindInsufficientFunds: ErrInsufficientFunds,
	KindUnknownSymbol:     ErrUnknownSymbol,
	KindUnsupported:       ErrUnsupported,
	KindUnavailable:       ErrUnavailable,
	KindUnknownOutcome:    ErrUnknownOutcome,
	KindOrderNotFound:     ErrOrderNotFound,
}

// Error is an exchange failure with a meaning the host can act on.
type Error struct {
	Kind Kind
	// Message says what happened in words a user can act on. It must never
	// contain a key, secret, passphrase or signature.
	Message string
	// ExchangeCode is the exchange's own error code, e.g. "-2015".
	ExchangeCode string
	// RetryAfter is how long to wait before calling again (rate limits).
	RetryAfter time.Duration
}

func (e *Error) Error() string {
	msg := e.Message
	if msg == "" {
		msg = e.Kind.String()
	}
	if e.ExchangeCode != "" {
		msg = fmt.Sprintf("%s (exchange code %s)", msg, e.ExchangeCode)
	}
	if e.RetryAfter > 0 {
		msg = fmt.Sprintf("%s; retry after %s", msg, e.RetryAfter)
	}
	return msg
}

// Is makes errors.Is(err, ErrRateLimited) and the like true for an *Error of
// that kind.
func (e *Error) Is(target error) bool {
	if s, ok := sentinels[e.Kind]; ok && s == target {
		return true
	}
	return false
}

// Errorf returns an *Error of kind k with a formatted message.
func Errorf(k Kind, format string, args ...any) *Error {
	return &Error{Kind: k, Message: fmt.Sprintf(format, args...)}
}

// RateLimited returns a KindRateLimited error that asks to wait d.
func RateLimited(d time.Duration, format string, args ...any) *Error {
	e := Errorf(KindRateLimited, format, args...)
	e.RetryAfter = d
	return e
}

// KindOf returns the Kind of err: that of the first *Error in its chain, or
// the kind whose sentinel it matches, else KindUnknown.
func KindOf(err error) Kind {
	if err == nil {
		return KindUnknown
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	for k, s := range sentinels {
		if errors.Is(err, s) {
			return k
		}
	}
	return KindUnknown
}

// RetryAfter returns how long err asks to wait, or 0.
func RetryAfter(err error) time.Duration {
	var e *Error
	if errors.As(err, &e) {
		return e.RetryAfter
	}
	return 0
}
