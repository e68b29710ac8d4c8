package fake

import (
	"fmt"
	"net/http"
	"time"

	"github.com/globalautomation/gahost/sdk/fakex"
)

var _ fakex.Dialect = (*Server)(nil)

// RateLimited is Bitget's answer over a limit: HTTP 429 with code "429".
// Bitget sends no Retry-After; the fault carries one only so that a
// layer in front of it that does is covered too.
func (s *Server) RateLimited(retryAfter time.Duration) fakex.Fault {
	return fakex.Fault{Status: http.StatusTooManyRequests, Header: fakex.RetryAfterHeader(retryAfter),
		Body: fmt.Sprintf(`{"code":"429","msg":"Too Many Requests","requestTime":%d,"data":null}`, s.Now().UnixMilli())}
}

// Banned is the bare HTTP 403 Bitget answers an address it refuses for
// some minutes after it went over its budget.
func (s *Server) Banned(time.Duration) fakex.Fault {
	return fakex.Fault{Status: http.StatusForbidden, Header: http.Header{"Content-Type": {"text/html"}}, Body: "<html>403 Forbidden</html>"}
}
