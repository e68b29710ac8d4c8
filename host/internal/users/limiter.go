package users

import (
	"strings"
	"sync"
	"time"
)

// loginKey is what the backoff counts failures by: the username in any
// case, from one client.
func loginKey(username, client string) string { return strings.ToLower(username) + "\x00" + client }

// loginLimiter slows down guessing: after a few failures for one username
// from one address, further attempts are refused for a time that doubles
// with each failure, whether the password is right or not.
type loginLimiter struct {
	mu   sync.Mutex
	now  func() time.Time
	seen map[string]*loginFailures
}

type loginFailures struct {
	count int
	last  time.Time
	until time.Time
}

const (
	freeLoginFailures = 3
	maxLoginBackoff   = 15 * time.Minute
	forgetFailures    = time.Hour
	maxTrackedLogins  = 100_000
)

func newLoginLimiter(now func() time.Time) *loginLimiter {
	return &loginLimiter{now: now, seen: map[string]*loginFailures{}}
}

// wait returns how long key must still wait before its next attempt.
func (l *loginLimiter) wait(key string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	f := l.seen[key]
	if f == nil {
		return 0
	}
	return max(0, f.until.Sub(l.now()))
}

// fail counts a failure and returns the count.
func (l *loginLimiter) fail(key string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if len(l.seen) >= maxTrackedLogins {
		l.forgetOld(now)
	}
	f := l.seen[key]
	if f == nil || now.Sub(f.last) > forgetFailures {
		f = &loginFailures{}
		l.seen[key] = f
	}
	f.count++
	f.last = now
	if f.count >= freeLoginFailures {
		backoff := time.Second << min(f.count-freeLoginFailures, 20)
		f.until = now.Add(min(backoff, maxLoginBackoff))
	}
	return f.count
}

func (l *loginLimiter) succeed(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.seen, key)
}

func (l *loginLimiter) forgetOld(now time.Time) {
	for k, f := range l.seen {
		if now.Sub(f.last) > forgetFailures && now.After(f.until) {
			delete(l.seen, k)
		}
	}
}
