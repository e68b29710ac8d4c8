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

// TestAccountStreamedWhileQueuedWaitsForItsReconcile: an account queued at
// the regular interval that becomes streamed before its turn is not
// polled at that turn (its changes come over the stream) but at its last
// poll plus the hook's interval, so a backlog of polls built up before
// the streams connected does not run after they did.
func TestAccountStreamedWhileQueuedWaitsForItsReconcile(t *testing.T) {
	bubble(t, func(t *testing.T) {
		e := newEnv(t, 0, "alpha")
		accts := e.addAccounts("alpha", "alpha", 2)
		fx := e.fakes["alpha"]
		// The first account counts as streamed once its second poll is
		// done, while its third (at the 2 s interval) is queued.
		e.start(scheduler.Config{Interval: 2 * time.Second, AccountInterval: func(_, id string) time.Duration {
			if id == accts[0].ID && len(fx.SpotTimes(keyOf("alpha", 0))) >= 2 {
				return 10 * time.Second
			}
			return 0
		}})
		time.Sleep(16 * time.Second)
		e.stop()
		polls := fx.SpotTimes(keyOf("alpha", 0))
		// The next poll is the reconciliation 10 s after the second.
		if len(polls) != 3 {
			t.Fatalf("streamed account polled %d times in 16 s (at %v), want 3: two 2 s apart, then 10 s later", len(polls), polls)
		}
		if gap := polls[2].Sub(polls[1]); gap < 9*time.Second {
			t.Errorf("streamed account polled %s after its last poll, want its 10 s reconcile interval", gap)
		}
		if n := len(fx.SpotTimes(keyOf("alpha", 1))); n < 7 {
			t.Errorf("the other account polled %d times in 15 s at a 2 s interval", n)
		}
	})
}

// TestAccountStreamedBeforeItsFirstPollWaits: an account whose stream
// connected before its first poll came up (its seed read it whole) is
// first polled one hook interval after the schedule learned of it, not at
// once: a fleet brought up on streams does not poll every account once
// more after it has connected.
func TestAccountStreamedBeforeItsFirstPollWaits(t *testing.T) {
	bubble(t, func(t *testing.T) {
		e := newEnv(t, 0, "alpha")
		accts := e.addAccounts("alpha", "alpha", 2)
		fx := e.fakes["alpha"]
		start := time.Now()
		e.start(scheduler.Config{Interval: 2 * time.Second, AccountInterval: func(_, id string) time.Duration {
			if id == accts[0].ID {
				return 10 * time.Second
			}
			return 0
		}})
		time.Sleep(13 * time.Second)
		e.stop()
		polls := fx.SpotTimes(keyOf("alpha", 0))
		if len(polls) != 1 || polls[0].Sub(start) < 9*time.Second {
			t.Fatalf("account streamed from the start polled at %v (start %v), want once, about 10 s in", polls, start)
		}
		if n := len(fx.SpotTimes(keyOf("alpha", 1))); n < 5 {
			t.Errorf("the other account polled %d times in 13 s at a 2 s interval", n)
		}
	})
}
