package okx

import (
	"context"
	"crypto/sha256"
	"sync"
	"time"

	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/rest"
)

// modesTTL is how long an account's modes are trusted for orders. The
// modes change only when the user switches them on OKX, and an order that
// OKX rejects for a mode reason re-reads them at once (PlaceOrder).
const modesTTL = 5 * time.Minute

// modeCache remembers the account and position mode of each account, so
// that an order does not spend the account config's small budget (5 per
// 2 s per user) on every call. Entries are keyed by a SHA-256 of the
// environment and the API key: the cache holds no credential, and nothing
// from which one could be read back.
type modeCache struct {
	mu      sync.Mutex
	entries map[[32]byte]modeEntry
}

type modeEntry struct {
	acctLv, posMode string
	at              time.Time
}

func newModeCache() *modeCache { return &modeCache{entries: map[[32]byte]modeEntry{}} }

func modeKey(hc *rest.Client, acct sdk.Account) [32]byte {
	base, _ := hc.BaseURL(acct, EndpointREST)
	demo := "live"
	if acct.Testnet {
		demo = "demo"
	}
	return sha256.Sum256([]byte(base + "\x00" + demo + "\x00" + acct.APIKey))
}

func (m *modeCache) get(hc *rest.Client, acct sdk.Account) (accountConfig, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.entries[modeKey(hc, acct)]
	if !ok || time.Since(e.at) > modesTTL {
		return accountConfig{}, false
	}
	return accountConfig{AcctLv: e.acctLv, PosMode: e.posMode}, true
}

func (m *modeCache) put(hc *rest.Client, acct sdk.Account, cfg accountConfig) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.entries) >= 10000 {
		for k, e := range m.entries {
			if time.Since(e.at) > modesTTL {
				delete(m.entries, k)
			}
		}
	}
	m.entries[modeKey(hc, acct)] = modeEntry{acctLv: cfg.AcctLv, posMode: cfg.PosMode, at: time.Now()}
}

func (m *modeCache) forget(hc *rest.Client, acct sdk.Account) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.entries, modeKey(hc, acct))
}

// accountModes returns the account's modes, from the cache when fresh;
// cached says so.
func (c *Connector) accountModes(ctx context.Context, acct sdk.Account) (cfg accountConfig, cached bool, err error) {
	if cfg, ok := c.modes.get(c.http, acct); ok {
		return cfg, true, nil
	}
	cfg, err = c.config(ctx, acct)
	return cfg, false, err
}
