package fakex

import (
	"net/http"
	"strconv"
	"time"
)

// Dialect says the exchange-neutral faults in one exchange's words. Every
// connector's fake implements it, so that the conformance kit
// (sdk/plugintest) can drive the same misbehaviour through each of them
// without knowing any exchange: what status, header and body a real
// exchange answers when a client goes over its limit, or has been banned.
type Dialect interface {
	// RateLimited is the exchange's answer to a request over its limit.
	// retryAfter is the wait to announce where the exchange announces one
	// (a Retry-After or reset header); an exchange that announces nothing
	// ignores it.
	RateLimited(retryAfter time.Duration) Fault
	// Banned is the exchange's answer once it refuses the address
	// altogether for going on past its limit, for about d. An exchange
	// that documents no ban returns the zero Fault.
	Banned(d time.Duration) Fault
}

// Slow holds back the next answer on path (any method when method is "")
// for d: long enough past a caller's deadline, it shows whether the
// connector gives up when its caller does.
func Slow(method, path string, d time.Duration) Fault {
	return Fault{Method: method, Path: path, Delay: d}
}

// ServerError is the next answer on path replaced by a gateway's 502, which
// every exchange's front end can give and which says nothing about whether
// the request ran: on a read it is transient, after an order was sent its
// outcome is unknown.
func ServerError(method, path string) Fault {
	return Fault{Method: method, Path: path, Status: http.StatusBadGateway,
		Header: http.Header{"Content-Type": {"text/html"}}, Body: "<html><body>502 Bad Gateway</body></html>"}
}

// RetryAfterHeader is a Retry-After header asking for d.
func RetryAfterHeader(d time.Duration) http.Header {
	return http.Header{"Retry-After": {RetryAfter(d)}}
}

// RetryAfter is d as a Retry-After header carries it: whole seconds,
// rounded up so that a client waiting that long is not early.
func RetryAfter(d time.Duration) string {
	return strconv.FormatInt(int64((d+time.Second-1)/time.Second), 10)
}
