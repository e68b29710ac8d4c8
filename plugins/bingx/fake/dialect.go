package fake

import (
	"net/http"
	"time"

	"github.com/globalautomation/gahost/sdk/fakex"
)

var _ fakex.Dialect = (*Server)(nil)

// RateLimited is BingX's answer over a per-IP limit: HTTP 429 with code
// 100410 and no header saying how long.
func (s *Server) RateLimited(time.Duration) fakex.Fault {
	return fakex.Fault{Status: http.StatusTooManyRequests, Body: `{"code":100410,"msg":"rate limit exceeded","data":{}}`}
}

// Banned is BingX's 418 to an address that went on after a 429: five
// minutes, said only in the message.
func (s *Server) Banned(time.Duration) fakex.Fault {
	return fakex.Fault{Status: http.StatusTeapot,
		Body: `{"code":100410,"msg":"IP banned for sending requests after HTTP 429; it restores after 5 minutes","data":{}}`}
}
