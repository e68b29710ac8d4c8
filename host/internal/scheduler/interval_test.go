package scheduler_test

import (
	"testing"
	"time"

	"github.com/globalautomation/gahost/host/internal/scheduler"
)

// TestAccountIntervalLengthensStreamedAccounts: an account the hook says
// is streamed is polled at the hook's interval, the others at the regular
// one, and a result below the regular interval changes nothing.
func TestAccountIntervalLengthensStreamedAccounts(t *testing.T) {
	bubble(t, func(t *testing.T) {
		e := newEnv(t, 0, "alpha")
		accts := e.addAccounts("alpha", "alpha", 3)
		streamed, short := accts[0].ID, accts[1].ID
		e.start(scheduler.Config{Interval: time.Second, AccountInterval: func(exchange, id string) time.Duration {
			switch {
			case exchange != "alpha":
				t.Errorf("hook asked about exchange %q", exchange)
			case id == streamed:
				return 10 * time.Second
			case id == short:
				return time.Millisecond
			}
			return 0
		}})
		time.Sleep(25 * time.Second)
		e.stop()
		fx := e.fakes["alpha"]
		if n := len(fx.SpotTimes(keyOf("alpha", 0))); n < 2 || n > 4 {
			t.Errorf("streamed account synced %d times in 25 s at a 10 s interval", n)
		}
		for i := 1; i < 3; i++ {
			if n := len(fx.SpotTimes(keyOf("alpha", i))); n < 20 {
				t.Errorf("account %d synced %d times in 25 s at a 1 s interval", i, n)
			}
		}
	})
}
