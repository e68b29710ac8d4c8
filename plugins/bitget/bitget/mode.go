package bitget

import (
	"context"
	"crypto/sha256"
	"sync"

	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/orderreq"
	"github.com/globalautomation/gahost/sdk/rest"
	"github.com/globalautomation/gahost/sdk/symbol"
)

// Bitget runs two account models behind one host: Classic accounts
// use the V2 API and Unified Trading Accounts (UTA) the V3 API. Each
// refuses the other's keys with a code that names the key's mode: a UTA
// key gets 40085 on V2, a Classic key 40084 on V3. The connector learns a
// key's mode from one call: it sends the call for the mode it knows, or
// for Classic when it knows none, and on either code it knows the mode,
// remembers it and sends the call again, once, the other way. Both codes
// refuse before anything is done, so sending an order again is safe. The
// mode is kept per API key for the life of the process, and learnt again
// the same way should the account switch modes later.

// accountMode is a key's account model.
type accountMode int

const (
	modeUnknown accountMode = iota
	modeClassic
	modeUTA
)

func (m accountMode) String() string {
	switch m {
	case modeClassic:
		return "classic"
	case modeUTA:
		return "uta"
	}
	return "unknown"
}

// Codes of a call sent to the wrong account model.
const (
	codeClassicOnUTA = "40085" // a V2 call with a UTA key
	codeUTAOnClassic = "40084" // a V3 call with a Classic key
)

// modeFrom is the mode an error names, if it is one of the two codes.
func modeFrom(err error) accountMode {
	switch rest.ExchangeCode(err) {
	case codeClassicOnUTA:
		return modeUTA
	case codeUTAOnClassic:
		return modeClassic
	}
	return modeUnknown
}

// modeCache remembers the mode of each key. It is keyed by a hash of the
// API key and the demo flag, so that no credential is held beyond a call;
// the zero value is ready. One entry per account the host serves keeps it
// small.
type modeCache struct {
	m sync.Map // [32]byte -> accountMode
}

func modeKey(acct sdk.Account) [32]byte {
	demo := "live\x00"
	if acct.Testnet {
		demo = "demo\x00"
	}
	return sha256.Sum256([]byte(demo + acct.APIKey))
}

func (c *modeCache) get(acct sdk.Account) accountMode {
	if v, ok := c.m.Load(modeKey(acct)); ok {
		return v.(accountMode)
	}
	return modeUnknown
}

func (c *modeCache) set(acct sdk.Account, m accountMode) { c.m.Store(modeKey(acct), m) }

// routed runs the call for the key's mode: classic for a Classic (or not
// yet known) key, uta for a UTA key. A code naming the other mode switches
// the key's mode and runs the call once more that way; a second mode code
// (an account in the middle of switching) is returned as it is, and so is
// a code naming the mode the call was sent for, which would make no sense.
func routed[T any](c *Connector, acct sdk.Account, classic, uta func() (T, error)) (T, error) {
	known := c.modes.get(acct)
	m := known
	if m == modeUnknown {
		m = modeClassic
	}
	for tries := 0; ; tries++ {
		run := classic
		if m == modeUTA {
			run = uta
		}
		v, err := run()
		switch next := modeFrom(err); {
		case err == nil && m != known:
			c.modes.set(acct, m)
		case next != modeUnknown && next != m:
			c.modes.set(acct, next)
			if tries == 0 {
				m = next
				continue
			}
		}
		return v, err
	}
}

// ValidateCredentials checks the key in its account's mode: a Classic key
// through V2's account info, a UTA key through V3's.
func (c *Connector) ValidateCredentials(ctx context.Context, acct sdk.Account) (sdk.Permissions, error) {
	return routed(c, acct,
		func() (sdk.Permissions, error) { return c.classicValidate(ctx, acct) },
		func() (sdk.Permissions, error) { return c.utaValidate(ctx, acct) })
}

// SpotBalances lists the spot wallet of a Classic account or the unified
// wallet of a UTA account.
func (c *Connector) SpotBalances(ctx context.Context, acct sdk.Account) ([]sdk.Balance, error) {
	return routed(c, acct,
		func() ([]sdk.Balance, error) { return c.classicSpotBalances(ctx, acct) },
		func() ([]sdk.Balance, error) { return c.utaSpotBalances(ctx, acct) })
}

// FuturesAccount reports the USDT-margined futures account: the
// USDT-FUTURES account of a Classic account, the USDT of a UTA account's
// unified wallet.
func (c *Connector) FuturesAccount(ctx context.Context, acct sdk.Account) (sdk.FuturesAccount, error) {
	return routed(c, acct,
		func() (sdk.FuturesAccount, error) { return c.classicFuturesAccount(ctx, acct) },
		func() (sdk.FuturesAccount, error) { return c.utaFuturesAccount(ctx, acct) })
}

// Positions lists open USDT-margined perpetual positions in either mode.
func (c *Connector) Positions(ctx context.Context, acct sdk.Account) ([]sdk.Position, error) {
	return routed(c, acct,
		func() ([]sdk.Position, error) { return c.classicPositions(ctx, acct) },
		func() ([]sdk.Position, error) { return c.utaPositions(ctx, acct) })
}

// placeRouted sends a checked order through the key's mode.
func (c *Connector) placeRouted(ctx context.Context, acct sdk.Account, mkt sdk.Market, sym symbol.Symbol, o order) (sdk.Order, error) {
	return routed(c, acct,
		func() (sdk.Order, error) {
			if mkt == sdk.MarketSpot {
				return c.placeSpot(ctx, acct, sym, o)
			}
			return c.placeFutures(ctx, acct, sym, o)
		},
		func() (sdk.Order, error) { return c.utaPlace(ctx, acct, mkt, sym, o) })
}

// cancelRouted sends a checked cancel through the key's mode.
func (c *Connector) cancelRouted(ctx context.Context, acct sdk.Account, mkt sdk.Market, sym symbol.Symbol, t orderreq.Target) (sdk.Order, error) {
	return routed(c, acct,
		func() (sdk.Order, error) { return c.classicCancel(ctx, acct, mkt, sym, t) },
		func() (sdk.Order, error) { return c.utaCancel(ctx, acct, mkt, sym, t) })
}
