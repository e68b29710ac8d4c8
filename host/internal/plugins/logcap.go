package plugins

import (
	"fmt"
	"sync"
	"time"

	"github.com/globalautomation/gahost/sdk/redact"
	"github.com/hashicorp/go-hclog"
	"golang.org/x/time/rate"
)

// A plugin's output (its stderr, which go-plugin turns into log lines) is
// copied into the host log within a budget per plugin binary: a plugin that
// writes without pause must not fill the host's disk or drown its log.
const (
	pluginLogBytesPerSec = 64 << 10
	pluginLogBurst       = 1 << 20
	pluginLogLineMax     = 8 << 10 // longer lines are clipped
	pluginLogArgCost     = 64      // what one key/value pair is counted as
	// pluginLogLineCost is what a line costs beyond its message: the time,
	// level and logger names the host log adds to each.
	pluginLogLineCost = 100
)

// logBudget is one plugin binary's share of the host log. It outlives the
// plugin's restarts, so a crash loop does not refill it.
type logBudget struct {
	lim *rate.Limiter
	now func() time.Time

	mu      sync.Mutex
	dropped int
}

func newLogBudget(now func() time.Time) *logBudget {
	return &logBudget{lim: rate.NewLimiter(pluginLogBytesPerSec, pluginLogBurst), now: now}
}

// take reports whether a line of cost bytes may be written, and how many
// lines were dropped since the last one that was.
func (b *logBudget) take(cost int) (ok bool, droppedBefore int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.lim.AllowN(b.now(), min(cost, pluginLogBurst)) {
		b.dropped++
		return false, 0
	}
	n := b.dropped
	b.dropped = 0
	return true, n
}

// cappedLogger is an hclog.Logger whose lines pay into a logBudget; lines
// over budget are dropped and counted, and the count is logged once output
// flows again. Loggers derived from it (Named, With) share the budget.
type cappedLogger struct {
	hclog.Logger
	budget *logBudget
}

func capLogger(l hclog.Logger, b *logBudget) hclog.Logger { return &cappedLogger{Logger: l, budget: b} }

func (l *cappedLogger) Log(level hclog.Level, msg string, args ...any) {
	if level < l.Logger.GetLevel() || level == hclog.Off {
		return // below the level: free, it is not written
	}
	ok, dropped := l.budget.take(pluginLogLineCost + len(msg) + pluginLogArgCost*len(args)/2)
	if !ok {
		return
	}
	if dropped > 0 {
		l.Logger.Warn(fmt.Sprintf("dropped %d lines of plugin output over its log budget (%d KiB/s)",
			dropped, pluginLogBytesPerSec>>10))
	}
	if len(msg) > pluginLogLineMax {
		msg = redact.Clip(msg, pluginLogLineMax)
	}
	l.Logger.Log(level, msg, args...)
}

func (l *cappedLogger) Trace(msg string, args ...any) { l.Log(hclog.Trace, msg, args...) }
func (l *cappedLogger) Debug(msg string, args ...any) { l.Log(hclog.Debug, msg, args...) }
func (l *cappedLogger) Info(msg string, args ...any)  { l.Log(hclog.Info, msg, args...) }
func (l *cappedLogger) Warn(msg string, args ...any)  { l.Log(hclog.Warn, msg, args...) }
func (l *cappedLogger) Error(msg string, args ...any) { l.Log(hclog.Error, msg, args...) }

func (l *cappedLogger) With(args ...any) hclog.Logger {
	return &cappedLogger{Logger: l.Logger.With(args...), budget: l.budget}
}

func (l *cappedLogger) Named(name string) hclog.Logger {
	return &cappedLogger{Logger: l.Logger.Named(name), budget: l.budget}
}

func (l *cappedLogger) ResetNamed(name string) hclog.Logger {
	return &cappedLogger{Logger: l.Logger.ResetNamed(name), budget: l.budget}
}
