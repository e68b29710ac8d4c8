package users

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

// A burst of parallel guesses is checked one at a time: at most the free
// failures reach the password check and every other attempt is refused
// without hashing.
func TestLoginThrottleHoldsUnderConcurrency(t *testing.T) {
	f := newFixture(t)
	const pw = "correct-horse-battery"
	if _, _, err := f.svc.Create(f.ctx, NewUser{Username: "alice", Password: ptr(pw)}); err != nil {
		t.Fatal(err)
	}
	var calls int
	var mu sync.Mutex
	verify := f.svc.verify
	f.svc.verify = func(hash, password string) bool {
		mu.Lock()
		calls++
		mu.Unlock()
		return verify(hash, password)
	}
	const n = 100
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			_, errs[i] = f.svc.Login(f.ctx, Login{Username: "alice", Password: fmt.Sprintf("wrong-%03d", i), Client: "a"})
		})
	}
	wg.Wait()
	var invalid, throttled int
	for i, err := range errs {
		var wait *TooManyAttemptsError
		switch {
		case errors.Is(err, ErrInvalidCredentials):
			invalid++
		case errors.As(err, &wait) && wait.RetryAfter > 0:
			throttled++
		default:
			t.Fatalf("attempt %d: %v", i, err)
		}
	}
	if invalid == 0 || invalid > freeLoginFailures || invalid+throttled != n || calls != invalid {
		t.Fatalf("%d parallel guesses: %d checked (%d hashed), %d throttled; want at most %d checked",
			n, invalid, calls, throttled, freeLoginFailures)
	}
}

// One client sending many usernames at once holds at most
// maxLoginsPerClient hashing slots; a login from another client still gets
// a slot and succeeds while those are stuck.
func TestLoginFloodDoesNotStarveOtherClients(t *testing.T) {
	f := newFixture(t)
	const pw = "correct-horse-battery"
	if _, _, err := f.svc.Create(f.ctx, NewUser{Username: "bob", Password: ptr(pw)}); err != nil {
		t.Fatal(err)
	}
	release := make(chan struct{})
	verify := f.svc.verify
	f.svc.verify = func(hash, password string) bool {
		if password == "flood-password" {
			<-release
			return false
		}
		return verify(hash, password)
	}
	const n = 40
	var wg sync.WaitGroup
	var mu sync.Mutex
	busy := 0
	for i := range n {
		wg.Go(func() {
			_, err := f.svc.Login(f.ctx, Login{Username: fmt.Sprintf("user%02d", i), Password: "flood-password", Client: "evil"})
			var wait *TooManyAttemptsError
			if errors.As(err, &wait) {
				mu.Lock()
				busy++
				mu.Unlock()
			}
		})
	}
	done := make(chan error, 1)
	go func() {
		_, err := f.svc.Login(f.ctx, Login{Username: "bob", Password: pw, Client: "good"})
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("login beside a flood: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Errorf("a login from another client waited 10s behind a flood")
		defer func() { <-done }()
	}
	close(release)
	wg.Wait()
	if busy < n-maxLoginsPerClient {
		t.Fatalf("%d of %d flooding attempts refused, want at least %d", busy, n, n-maxLoginsPerClient)
	}
}

// The cap on tracked failures holds: past it the oldest record makes room,
// in constant time, and the newest records keep their backoff.
func TestLoginLimiterCapEvictsOldest(t *testing.T) {
	c := &clock{t: time.Unix(0, 0)}
	l := newLoginLimiter(c.now)
	for i := range maxTrackedLogins + 10 {
		l.fail(fmt.Sprint(i))
	}
	if len(l.seen) != maxTrackedLogins || l.order.Len() != maxTrackedLogins {
		t.Fatalf("tracking %d (%d ordered), cap %d", len(l.seen), l.order.Len(), maxTrackedLogins)
	}
	if l.seen["0"] != nil || l.seen[fmt.Sprint(maxTrackedLogins+9)] == nil {
		t.Fatal("the cap did not evict the oldest record")
	}
	for range freeLoginFailures {
		l.fail("hot")
	}
	for i := range maxTrackedLogins - 1 {
		l.fail(fmt.Sprint("x", i))
	}
	if l.wait("hot") == 0 {
		t.Fatal("a recent backoff was evicted before older records")
	}
}

// Old records go on their own as failures come in, without a scan.
func TestLoginLimiterForgetsOldRecords(t *testing.T) {
	c := &clock{t: time.Unix(0, 0)}
	l := newLoginLimiter(c.now)
	l.fail("a")
	l.fail("b")
	c.add(forgetFailures + time.Second)
	l.fail("c")
	if l.seen["a"] != nil || l.seen["b"] != nil || len(l.seen) != 1 {
		t.Fatalf("old records kept: %d tracked", len(l.seen))
	}
}

// A claim not settled by done (the caller left) records nothing and frees
// the key for the next attempt.
func TestLoginClaimDrop(t *testing.T) {
	l := newLoginLimiter(time.Now)
	claim, _ := l.begin("alice", "a")
	if again, wait := l.begin("ALICE", "a"); again != nil || wait != busyRetry {
		t.Fatalf("second claim on one key: %v %v", again, wait)
	}
	claim.drop()
	claim, _ = l.begin("alice", "a")
	if claim == nil || len(l.seen) != 0 {
		t.Fatal("a dropped claim left state behind")
	}
	claim.done(false)
	if len(l.inflight) != 0 || len(l.perClient) != 0 || len(l.seen) != 1 {
		t.Fatalf("after done: inflight %d clients %d seen %d", len(l.inflight), len(l.perClient), len(l.seen))
	}
}
