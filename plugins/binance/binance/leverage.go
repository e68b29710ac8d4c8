package binance

import (
	"crypto/sha256"
	"slices"
	"strings"
	"sync"
	"time"
)

// leverageTTL is how long the leverage and margin type read from
// /fapi/v1/symbolConfig are reused while an account's open positions stay
// as they were. positionRisk v3 no longer carries them, and they change
// only when the user changes them by hand: reading them again on every
// sync cost a fifth request (weight 5) for nothing. A change of the open
// positions (a symbol opened or closed, a size changed) reads them again
// at once; a leverage changed by hand on an unchanged position shows
// within this time.
const leverageTTL = 5 * time.Minute

// leverageCache keeps the last symbolConfig answer of each account,
// with the open positions it was read for. Accounts are keyed by a hash of
// their API key, so the cache holds no credential.
type leverageCache struct {
	mu      sync.Mutex
	now     func() time.Time
	entries map[[sha256.Size]byte]leverageEntry
	pruned  time.Time // when entries too old to use were last dropped
}

type leverageEntry struct {
	positions string // the open positions the configs were read for
	configs   map[string]symbolConfig
	at        time.Time
}

func newLeverageCache(now func() time.Time) *leverageCache {
	return &leverageCache{now: now, entries: map[[sha256.Size]byte]leverageEntry{}}
}

// openKey names a set of open positions: symbol, side and size of each,
// sorted.
func openKey(rows []positionRisk) string {
	keys := make([]string, 0, len(rows))
	for _, r := range rows {
		keys = append(keys, r.Symbol+"/"+r.PositionSide+"/"+r.PositionAmt)
	}
	slices.Sort(keys)
	return strings.Join(keys, ",")
}

// get returns the configs read for the same open positions less than
// leverageTTL ago.
func (c *leverageCache) get(apiKey, positions string) (map[string]symbolConfig, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[sha256.Sum256([]byte(apiKey))]
	if !ok || e.positions != positions || c.now().Sub(e.at) >= leverageTTL {
		return nil, false
	}
	return e.configs, true
}

// put keeps configs for the account's open positions, and drops the
// entries too old to be used (accounts no longer synced).
func (c *leverageCache) put(apiKey, positions string, configs map[string]symbolConfig) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	if now.Sub(c.pruned) >= leverageTTL {
		c.pruned = now
		for k, e := range c.entries {
			if now.Sub(e.at) >= leverageTTL {
				delete(c.entries, k)
			}
		}
	}
	c.entries[sha256.Sum256([]byte(apiKey))] = leverageEntry{positions: positions, configs: configs, at: now}
}
