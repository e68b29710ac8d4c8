package store

// The read cache: what every authenticated API request looks up (its
// token's session, and the account it is about) is kept decoded in memory,
// so a dashboard poll costs no read transaction and no JSON decoding.
//
// Invalidation is by generation, never by time. records counts commits of
// update (every write of users, tokens, accounts, webhooks and keys goes
// through it); account[id] counts the sync results written for account id
// (PutSyncResult changes the account record's sync state, nothing else).
// A lookup captures both counters before it reads the database and keeps
// what it read under them; an entry is served only while both still hold.
// The counters move after the commit, so a write that has returned is seen
// by every lookup after it, and a read that raced a commit is never kept
// past it.

import (
	"slices"
	"sync"

	"github.com/globalautomation/gahost/host/internal/secrets"
)

// cacheMax bounds each map of the cache; a full map starts over.
const cacheMax = 1 << 14

type readCache struct {
	mu       sync.Mutex
	records  uint64
	account  map[string]uint64
	sessions map[secrets.TokenHash]sessionEntry
	accounts map[string]accountEntry
}

// cacheGen is what a cached value was read under.
type cacheGen struct{ records, account uint64 }

type sessionEntry struct {
	gen  uint64
	user User
	tok  Token
}

type accountEntry struct {
	gen cacheGen
	a   Account
}

func newReadCache() *readCache {
	return &readCache{account: map[string]uint64{}, sessions: map[secrets.TokenHash]sessionEntry{},
		accounts: map[string]accountEntry{}}
}

// recordsChanged follows a commit that may have changed any record.
func (c *readCache) recordsChanged() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.records++
	// Every entry is now stale; the per-account counters may start over.
	clear(c.sessions)
	clear(c.accounts)
	clear(c.account)
}

// accountSynced follows a commit of a sync result of account id.
func (c *readCache) accountSynced(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.account[id]++
	delete(c.accounts, id)
}

func (c *readCache) sessionGen() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.records
}

func (c *readCache) session(hash secrets.TokenHash) (User, Token, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.sessions[hash]
	if !ok || e.gen != c.records {
		return User{}, Token{}, false
	}
	return e.user, e.tok, true
}

func (c *readCache) keepSession(gen uint64, hash secrets.TokenHash, u User, t Token) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.records {
		return
	}
	if len(c.sessions) >= cacheMax {
		clear(c.sessions)
	}
	c.sessions[hash] = sessionEntry{gen: gen, user: u, tok: t}
}

func (c *readCache) accountGen(id string) cacheGen {
	c.mu.Lock()
	defer c.mu.Unlock()
	return cacheGen{c.records, c.account[id]}
}

// accountRecord returns a copy of the cached account id: callers own what
// they get and may change it.
func (c *readCache) accountRecord(id string) (Account, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.accounts[id]
	if !ok || e.gen != (cacheGen{c.records, c.account[id]}) {
		return Account{}, false
	}
	return cloneAccount(e.a), true
}

func (c *readCache) keepAccount(gen cacheGen, a Account) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != (cacheGen{c.records, c.account[a.ID]}) {
		return
	}
	if len(c.accounts) >= cacheMax {
		clear(c.accounts)
	}
	c.accounts[a.ID] = accountEntry{gen: gen, a: cloneAccount(a)}
}

// cloneAccount copies everything of a that a caller could change in place.
func cloneAccount(a Account) Account {
	// The byte fields share one allocation, each capped at its own end so
	// that an append to one cannot reach the next.
	buf := make([]byte, 0, len(a.Secrets.APIKey)+len(a.Secrets.SecretKey)+len(a.Secrets.Passphrase)+
		len(a.KeyFingerprint))
	take := func(b []byte) []byte {
		if b == nil {
			return nil
		}
		start := len(buf)
		buf = append(buf, b...)
		return buf[start:len(buf):len(buf)]
	}
	a.Secrets = secrets.SealedCredentials{APIKey: take(a.Secrets.APIKey), SecretKey: take(a.Secrets.SecretKey),
		Passphrase: take(a.Secrets.Passphrase)}
	a.KeyFingerprint = take(a.KeyFingerprint)
	if a.LastCheck != nil {
		lc := *a.LastCheck
		if lc.Permissions != nil {
			p := *lc.Permissions
			p.Notes = slices.Clone(p.Notes)
			lc.Permissions = &p
		}
		a.LastCheck = &lc
	}
	a.Sync.FailedParts = slices.Clone(a.Sync.FailedParts)
	return a
}
