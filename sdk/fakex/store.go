package fakex

import (
	"io"
	"net"
	"net/http"
	"strings"
	"sync"

	"github.com/shopspring/decimal"
)

// Store is a fake exchange's API keys and the account behind each key, K
// and A being the fake's own key and account types. It shares the fake's
// one lock, given to NewStore, so that a handler that already holds it for
// other state (listings, limits) reads keys and accounts in the same
// critical section.
//
// AddKey, Seed, Update, Change and Account take the lock themselves: they are
// what a test calls, and a fake that embeds the store offers them as its
// own. KeyLocked and AccountLocked are for handlers and expect the caller
// to hold it.
type Store[K, A any] struct {
	// Complete, when set, fills in what a fake hands out itself (user ids)
	// on a key being added; known is how many keys are registered so far.
	Complete func(k K, known int) K

	mu       *sync.Mutex
	id       func(K) string
	keys     map[string]K
	accounts map[string]*A
	clone    func(*A) A
}

// NewStore returns an empty store guarded by mu. id is the API key a key
// answers to, the value a request names it by. clone copies an account
// deeply enough (its slices and maps) that a test can keep the copy
// Account returns while the fake goes on changing the original.
func NewStore[K, A any](mu *sync.Mutex, id func(K) string, clone func(*A) A) *Store[K, A] {
	return &Store[K, A]{mu: mu, id: id, keys: map[string]K{}, accounts: map[string]*A{}, clone: clone}
}

// Start starts a fake exchange on loopback with its keys and accounts:
// requests go to h behind the fault queue and the request log (see New),
// and the accounts live in a Store under mu, the fake's one lock, copied
// for tests with CloneRows. id is the API key a key answers to.
func Start[K, A any](mu *sync.Mutex, id func(K) string, h http.HandlerFunc) (*Server, *Store[K, A]) {
	st := NewStore(mu, id, CloneRows[A])
	return New(h), st
}

// AddKey registers k with an empty account, or keeps the account its API
// key already has.
func (s *Store[K, A]) AddKey(k K) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.addLocked(k)
}

// Seed registers k with a as its account, replacing any account the key
// had: what a fake's seed file and control address add (see Main).
func (s *Store[K, A]) Seed(k K, a A) {
	s.mu.Lock()
	defer s.mu.Unlock()
	*s.addLocked(k) = a
}

func (s *Store[K, A]) addLocked(k K) *A {
	if s.Complete != nil {
		k = s.Complete(k, len(s.keys))
	}
	apiKey := s.id(k)
	s.keys[apiKey] = k
	if s.accounts[apiKey] == nil {
		s.accounts[apiKey] = new(A)
	}
	return s.accounts[apiKey]
}

// Update changes the account of apiKey under the lock, creating an empty
// one for a key not registered yet.
func (s *Store[K, A]) Update(apiKey string, fn func(a *A)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.accounts[apiKey]
	if a == nil {
		a = new(A)
		s.accounts[apiKey] = a
	}
	fn(a)
}

// Change runs do on the live account of apiKey under the lock and reports
// whether there was one: unlike Update it creates no account, so a
// setter that changes an account and pushes the event in one step does
// nothing for a key the fake does not know. do must not keep the pointer.
func (s *Store[K, A]) Change(apiKey string, do func(a *A)) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.accounts[apiKey]
	if a == nil {
		return false
	}
	do(a)
	return true
}

// Account returns a copy of the account of apiKey, or the zero account.
func (s *Store[K, A]) Account(apiKey string) A {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.accounts[apiKey]
	if a == nil {
		var zero A
		return zero
	}
	return s.clone(a)
}

// KeyLocked looks apiKey up. The caller holds the lock.
func (s *Store[K, A]) KeyLocked(apiKey string) (K, bool) {
	k, ok := s.keys[apiKey]
	return k, ok
}

// Key looks apiKey up under the lock.
func (s *Store[K, A]) Key(apiKey string) (K, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.KeyLocked(apiKey)
}

// AccountLocked is the live account of apiKey, nil for an unknown key.
// The caller holds the lock and must not keep the pointer past it.
func (s *Store[K, A]) AccountLocked(apiKey string) *A { return s.accounts[apiKey] }

// ReadBody reads a request's body. The fake's Server has already capped
// it at 1 MiB and kept a copy for the request log.
func ReadBody(r *http.Request) ([]byte, error) {
	return io.ReadAll(io.LimitReader(r.Body, 1<<20))
}

// RemoteIP is the address a request came from, without its port: what an
// exchange compares with a key's IP whitelist.
func RemoteIP(r *http.Request) string {
	h, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return h
}

// Symbols is what a fake lists on one market, symbol -> M (the fake's own
// market or instrument type). It is a plain map, which handlers read
// under the fake's one lock, the lock its Store shares.
type Symbols[M any] map[string]M

// List lists symbol as m, or changes what it was listed as, under mu (the
// fake's lock): it is what a test calls.
func (s Symbols[M]) List(mu *sync.Mutex, symbol string, m M) {
	mu.Lock()
	defer mu.Unlock()
	s[symbol] = m
}

// IsDecimal reports whether s is an amount written as the exchanges take
// one in a request: digits, then at most one point with digits after it;
// no sign, exponent or space. digits, when not 0, caps the digits on each
// side of the point, as Binance's documented pattern does (20).
func IsDecimal(s string, digits int) bool {
	whole, frac, dotted := strings.Cut(s, ".")
	ok := func(part string) bool {
		if part == "" || digits > 0 && len(part) > digits {
			return false
		}
		return strings.Trim(part, "0123456789") == ""
	}
	return ok(whole) && (!dotted || ok(frac))
}

// Missing is the first of names that get reads as empty, and whether
// there is one: the parameter a fake names when it refuses a request that
// lacks a mandatory one, checked in the order the exchange checks them.
// get is how the fake reads the request: a query's or form's Get, or a
// lookup in the fields of a JSON body.
func Missing(get func(name string) string, names ...string) (string, bool) {
	for _, n := range names {
		if get(n) == "" {
			return n, true
		}
	}
	return "", false
}

// List is the values of a parameter that takes several separated by
// commas ("BTC,ETH"), nil when it is empty: the filter a balance or
// position read applies, nil meaning every row.
func List(v string) []string {
	if v == "" {
		return nil
	}
	return strings.Split(v, ",")
}

// Amount reads a decimal a test put in a fake's state. Garbage counts as
// zero here, because tests feed malformed values on purpose to see what
// the connector makes of them, and the fake must still answer.
func Amount(s string) decimal.Decimal {
	d, err := decimal.NewFromString(s)
	if err != nil {
		return decimal.Zero
	}
	return d
}
