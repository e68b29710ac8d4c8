package fake

import (
	"net/http"
	"time"

	"github.com/globalautomation/gahost/sdk/fakex"
)

var _ fakex.Dialect = (*Server)(nil)

// RateLimited is OKX's answer over a limit: HTTP 429 with code 50011 and
// no header saying how long.
func (s *Server) RateLimited(time.Duration) fakex.Fault {
	return fakex.Fault{Status: http.StatusTooManyRequests, Body: `{"msg":"Too Many Requests","code":"50011"}`}
}

// Banned is the zero Fault: OKX documents no ban of an address.
func (s *Server) Banned(time.Duration) fakex.Fault { return fakex.Fault{} }
