package rest

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/redact"
)

// StatusError is the fallback mapping of an HTTP status to a typed error,
// for answers the connector's Decode hook did not recognise.
func StatusError(r *Response) *sdk.Error {
	status := r.Status
	text := http.StatusText(status)
	switch {
	case status == http.StatusTooManyRequests || status == http.StatusTeapot:
		e := r.Errorf(sdk.KindRateLimited, "", "HTTP %d %s", status, text)
		e.RetryAfter, _ = RetryAfter(r.Header, r.Received)
		return e
	case status == http.StatusUnauthorized:
		return r.Errorf(sdk.KindAuthentication, "", "HTTP %d %s", status, text)
	case status == http.StatusForbidden:
		return r.Errorf(sdk.KindPermission, "", "HTTP %d %s", status, text)
	case status == http.StatusRequestTimeout || status >= 500:
		return r.Errorf(sdk.KindUnavailable, "", "HTTP %d %s", status, text)
	case status >= 400:
		return r.Errorf(sdk.KindInvalidRequest, "", "HTTP %d %s", status, text)
	}
	return r.Errorf(sdk.KindUnknown, "", "unexpected HTTP %d %s", status, text)
}

// RetryAfter reads a Retry-After header, in seconds or as an HTTP date
// (relative to now, the exchange's clock).
func RetryAfter(h http.Header, now time.Time) (time.Duration, bool) {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil && n >= 0 {
		return time.Duration(n) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d, true
		}
		return 0, true
	}
	return 0, false
}

// scrub removes every credential and every value a signer marked as
// derived from one from the message of err's *sdk.Error. Messages are built
// never to hold them; this is the belt to that pair of braces, for text an
// exchange echoes back.
func scrub(err error, acct sdk.Account, extra []string) error {
	var e *sdk.Error
	if !errors.As(err, &e) {
		// Every error this package returns is typed; anything else is
		// wrapped so that its text cannot leak.
		return &sdk.Error{Kind: sdk.KindUnknown, Message: redactFor(err.Error(), acct, extra)}
	}
	e.Message = redactFor(e.Message, acct, extra)
	return err
}

// redactFor applies the one redaction policy to s with the account's
// credentials and the signer's extra values as the secrets.
func redactFor(s string, acct sdk.Account, extra []string) string {
	return redact.String(s, append([]string{acct.APIKey, acct.SecretKey, acct.Passphrase}, extra...)...)
}
