package fake

import (
	"fmt"
	"net/http"
	"time"

	"github.com/globalautomation/gahost/sdk/fakex"
)

var _ fakex.Dialect = (*Server)(nil)

// RateLimited is Binance's answer over the weight budget: 429, -1003 and
// a Retry-After header.
func (s *Server) RateLimited(retryAfter time.Duration) fakex.Fault {
	return fakex.Fault{Status: http.StatusTooManyRequests, Header: fakex.RetryAfterHeader(retryAfter),
		Body: `{"code":-1003,"msg":"Too much request weight used; current limit is 6000 request weight per 1 MINUTE."}`}
}

// Banned is Binance's 418 to an address that went on past a 429: -1003
// naming when the ban ends, and a Retry-After header.
func (s *Server) Banned(d time.Duration) fakex.Fault {
	return fakex.Fault{Status: http.StatusTeapot, Header: fakex.RetryAfterHeader(d),
		Body: fmt.Sprintf(`{"code":-1003,"msg":"Way too much request weight used; IP banned until %d."}`, s.Now().Add(d).UnixMilli())}
}
