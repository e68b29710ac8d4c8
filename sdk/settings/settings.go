// Package settings keeps, per account, the settings a connector reads
// beside the positions themselves (leverage, margin type, margin mode)
// that an exchange reports on another, slower endpoint and that change
// only when the user changes them by hand. Reading them on every sync
// costs a request and rate weight for nothing; a Cache reuses what was
// read for the same open positions for a while, and reads again at once
// when the positions change (a symbol opened or closed, a size changed),
// which is when a setting matters to a new figure.
//
// Accounts are keyed by a hash of their API key, so a Cache never holds a
// credential.
package settings

import (
	"crypto/sha256"
	"slices"
	"strings"
	"sync"
	"time"
)

// TTL is the reuse time the connectors in this repository use: a setting
// changed by hand on an unchanged position shows within it.
const TTL = 5 * time.Minute

// Cache holds one value of type V per account, with the open positions it
// was read for. Its methods are safe for concurrent use.
type Cache[V any] struct {
	ttl time.Duration
	now func() time.Time

	mu      sync.Mutex
	entries map[[sha256.Size]byte]entry[V]
	pruned  time.Time // when entries too old to use were last dropped
}

type entry[V any] struct {
	positions string
	v         V
	at        time.Time
}

// New returns a cache whose values are reused for ttl; a nil now is
// time.Now.
func New[V any](ttl time.Duration, now func() time.Time) *Cache[V] {
	if now == nil {
		now = time.Now
	}
	return &Cache[V]{ttl: ttl, now: now, entries: map[[sha256.Size]byte]entry[V]{}}
}

// Get returns the value read for the account of apiKey with the same open
// positions less than the cache's ttl ago.
func (c *Cache[V]) Get(apiKey, positions string) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[sha256.Sum256([]byte(apiKey))]
	if !ok || e.positions != positions || c.now().Sub(e.at) >= c.ttl {
		var zero V
		return zero, false
	}
	return e.v, true
}

// Put keeps v as read now for the account's open positions, and drops the
// entries too old to be used (accounts no longer synced).
func (c *Cache[V]) Put(apiKey, positions string, v V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	if now.Sub(c.pruned) >= c.ttl {
		c.pruned = now
		for k, e := range c.entries {
			if now.Sub(e.at) >= c.ttl {
				delete(c.entries, k)
			}
		}
	}
	c.entries[sha256.Sum256([]byte(apiKey))] = entry[V]{positions: positions, v: v, at: now}
}

// Read returns the value kept for the account of apiKey and the open
// positions named positions when it is fresh (Get); otherwise it calls
// read and keeps what it returns (Put). A failed read keeps nothing and
// is returned as it is.
func (c *Cache[V]) Read(apiKey, positions string, read func() (V, error)) (V, error) {
	if v, ok := c.Get(apiKey, positions); ok {
		return v, nil
	}
	v, err := read()
	if err != nil {
		var zero V
		return zero, err
	}
	c.Put(apiKey, positions, v)
	return v, nil
}

// Len is the number of accounts held.
func (c *Cache[V]) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}

// Positions names a set of open positions by their rows, each given as
// the fields that identify it and its size (say symbol, side and size),
// in any order: two sets name alike exactly when they hold the same rows.
func Positions(rows ...[]string) string {
	keys := make([]string, 0, len(rows))
	for _, r := range rows {
		keys = append(keys, strings.Join(r, "/"))
	}
	slices.Sort(keys)
	return strings.Join(keys, ",")
}
