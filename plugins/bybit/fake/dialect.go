package fake

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/globalautomation/gahost/sdk/fakex"
)

var _ fakex.Dialect = (*Server)(nil)

// RateLimited is Bybit's answer over an endpoint's per-UID limit: HTTP
// 200, retCode 10006, and the X-Bapi-Limit headers naming when the window
// resets.
func (s *Server) RateLimited(retryAfter time.Duration) fakex.Fault {
	h := http.Header{}
	h.Set("X-Bapi-Limit", "10")
	h.Set("X-Bapi-Limit-Status", "0")
	h.Set("X-Bapi-Limit-Reset-Timestamp", strconv.FormatInt(s.Now().Add(retryAfter).UnixMilli(), 10))
	return fakex.Fault{Status: http.StatusOK, Header: h,
		Body: fmt.Sprintf(`{"retCode":10006,"retMsg":"Too many visits!","result":{},"retExtInfo":{},"time":%d}`, s.Now().UnixMilli())}
}

// Banned is Bybit's answer past the per-IP limit: a bare HTTP 403 "access
// too frequent" that says nothing of how long.
func (s *Server) Banned(time.Duration) fakex.Fault {
	return fakex.Fault{Status: http.StatusForbidden, Header: http.Header{"Content-Type": {"text/plain; charset=utf-8"}},
		Body: "access too frequent\n"}
}
