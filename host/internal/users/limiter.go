package users

import (
	"container/list"
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
//
// The check and the record of its outcome must not race: an attempt is
// admitted (begin) and settled (done) under one claim, and while a claim on
// a username and client is open every other attempt on it is refused before
// any hashing, so a burst of parallel guesses is checked one at a time and
// each failure is counted before the next guess is admitted. A client also
// holds at most maxLoginsPerClient claims, so one address flooding many
// usernames cannot occupy every hashing slot and starve other logins.
type loginLimiter struct {
	mu  sync.Mutex
	now func() time.Time
	// seen holds the failure records, each also in order (least recently
	// failed first) so the cap and the expiry evict in O(1).
	seen  map[string]*list.Element
	order *list.List
	// inflight are the keys with an attempt being checked; perClient counts
	// the open claims of each client.
	inflight  map[string]struct{}
	perClient map[string]int
}

type loginFailures struct {
	key   string
	count int
	last  time.Time
	until time.Time
}

const (
	freeLoginFailures = 3
	maxLoginBackoff   = 15 * time.Minute
	forgetFailures    = time.Hour
	maxTrackedLogins  = 100_000
	// maxLoginsPerClient is below the service's hashing slots (4), so the
	// other slots stay free for other clients.
	maxLoginsPerClient = 2
	// busyRetry is the Retry-After of an attempt refused because another
	// one for the same username and client (or too many from the client) is
	// being checked: about the time one check takes.
	busyRetry = time.Second
)

func newLoginLimiter(now func() time.Time) *loginLimiter {
	return &loginLimiter{now: now, seen: map[string]*list.Element{}, order: list.New(),
		inflight: map[string]struct{}{}, perClient: map[string]int{}}
}

// loginClaim is the right to check one attempt; settle it with done or
// drop exactly once.
type loginClaim struct {
	l           *loginLimiter
	key, client string
}

// begin admits an attempt for username from client, or returns how long
// the caller must wait: the rest of the backoff, or busyRetry while another
// attempt on the same key, or too many from the client, are being checked.
func (l *loginLimiter) begin(username, client string) (*loginClaim, time.Duration) {
	key := loginKey(username, client)
	l.mu.Lock()
	defer l.mu.Unlock()
	if e := l.seen[key]; e != nil {
		if wait := e.Value.(*loginFailures).until.Sub(l.now()); wait > 0 {
			return nil, wait
		}
	}
	if _, busy := l.inflight[key]; busy || l.perClient[client] >= maxLoginsPerClient {
		return nil, busyRetry
	}
	l.inflight[key] = struct{}{}
	l.perClient[client]++
	return &loginClaim{l: l, key: key, client: client}, 0
}

// done records the outcome of the checked attempt and releases the claim
// in one step; it returns the failure count (0 after a success).
func (c *loginClaim) done(ok bool) int {
	l := c.l
	l.mu.Lock()
	defer l.mu.Unlock()
	c.releaseLocked()
	if ok {
		if e := l.seen[c.key]; e != nil {
			l.order.Remove(e)
			delete(l.seen, c.key)
		}
		return 0
	}
	return l.failLocked(c.key)
}

// drop releases a claim whose attempt was never checked (the caller left,
// or the user could not be read): nothing is recorded.
func (c *loginClaim) drop() {
	c.l.mu.Lock()
	defer c.l.mu.Unlock()
	c.releaseLocked()
}

func (c *loginClaim) releaseLocked() {
	l := c.l
	delete(l.inflight, c.key)
	if l.perClient[c.client] <= 1 {
		delete(l.perClient, c.client)
	} else {
		l.perClient[c.client]--
	}
}

// wait returns how long key must still wait before its next attempt.
func (l *loginLimiter) wait(key string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	e := l.seen[key]
	if e == nil {
		return 0
	}
	return max(0, e.Value.(*loginFailures).until.Sub(l.now()))
}

// fail counts a failure and returns the count.
func (l *loginLimiter) fail(key string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.failLocked(key)
}

func (l *loginLimiter) failLocked(key string) int {
	now := l.now()
	l.expireLocked(now)
	var f *loginFailures
	if e := l.seen[key]; e != nil {
		f = e.Value.(*loginFailures)
		l.order.MoveToBack(e)
		if now.Sub(f.last) > forgetFailures {
			*f = loginFailures{key: key}
		}
	} else {
		if len(l.seen) >= maxTrackedLogins {
			// Full: the record failed longest ago makes room. An attacker
			// must fail maxTrackedLogins times to push out a record, each
			// failure costing a password hash, so a live backoff survives.
			oldest := l.order.Front()
			l.order.Remove(oldest)
			delete(l.seen, oldest.Value.(*loginFailures).key)
		}
		f = &loginFailures{key: key}
		l.seen[key] = l.order.PushBack(f)
	}
	f.count++
	f.last = now
	if f.count >= freeLoginFailures {
		backoff := time.Second << min(f.count-freeLoginFailures, 20)
		f.until = now.Add(min(backoff, maxLoginBackoff))
	}
	return f.count
}

// expireLocked forgets at most a few records from the old end that are
// past both their backoff and forgetFailures; called on every failure, it
// keeps the map from holding the long-forgotten without ever scanning it.
func (l *loginLimiter) expireLocked(now time.Time) {
	for range 2 {
		e := l.order.Front()
		if e == nil {
			return
		}
		f := e.Value.(*loginFailures)
		if now.Sub(f.last) <= forgetFailures || !now.After(f.until) {
			return
		}
		l.order.Remove(e)
		delete(l.seen, f.key)
	}
}

func (l *loginLimiter) succeed(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if e := l.seen[key]; e != nil {
		l.order.Remove(e)
		delete(l.seen, key)
	}
}
