package fake

import (
	"strconv"
	"time"

	"github.com/globalautomation/gahost/sdk/sign"
)

func hexSig(secret, payload string) string { return sign.Hex(secret, payload) }
func itoa(n int64) string                  { return strconv.FormatInt(n, 10) }

// ClockOffsetForTest reads back the offset set with SetClockOffset.
func (s *Server) ClockOffsetForTest() time.Duration {
	return time.Until(s.Now()).Round(time.Second)
}
