package okx

import (
	"context"
	"sync"
	"time"

	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/num"
	"github.com/globalautomation/gahost/sdk/rest"
	"github.com/globalautomation/gahost/sdk/symbol"
	"github.com/shopspring/decimal"
)

// instrument is one row of GET /api/v5/public/instruments.
type instrument struct {
	InstType   string `json:"instType"`
	InstID     string `json:"instId"`
	InstFamily string `json:"instFamily"`
	Uly        string `json:"uly"`
	SettleCcy  string `json:"settleCcy"`
	CtVal      string `json:"ctVal"`
	CtMult     string `json:"ctMult"`
	CtType     string `json:"ctType"`
	LotSz      string `json:"lotSz"`
	MinSz      string `json:"minSz"`
	State      string `json:"state"`
}

// contract is what the connector needs of a swap: its unified symbol and
// how many base units one contract is, to turn OKX's contract counts into
// the base quantities of the sdk and back.
type contract struct {
	symbol symbol.Symbol
	linear bool
	// size is ctVal × ctMult: base units per contract for a linear swap.
	size     decimal.Decimal
	lot, min decimal.Decimal // in contracts
}

// toContract reads an instrument row; ok is false for rows that cannot be
// used (no family, no contract value), which are left out of the cache
// rather than failing every lookup.
func toContract(in instrument) (contract, bool) {
	family := in.InstFamily
	if family == "" {
		family = in.Uly
	}
	if family == "" {
		family = in.InstID
	}
	base, quote, ok := pairOf(family)
	if !ok || in.SettleCcy == "" {
		return contract{}, false
	}
	var f num.Fields
	val := f.Parse("ctVal", in.CtVal)
	mult := f.ParseOrZero("ctMult", in.CtMult)
	lot := f.ParseOrZero("lotSz", in.LotSz)
	minSz := f.ParseOrZero("minSz", in.MinSz)
	if f.Err() != nil || !val.IsPositive() || mult.IsNegative() {
		return contract{}, false
	}
	if mult.IsZero() {
		mult = decimal.NewFromInt(1)
	}
	return contract{
		symbol: symbol.Perp(base, quote, in.SettleCcy),
		linear: in.CtType == "linear",
		size:   val.Mul(mult),
		lot:    lot,
		min:    minSz,
	}, true
}

// minRefresh bounds how often a lookup of an id the cache lacks may fetch
// the list again, so that a stream of orders on an unlisted symbol cannot
// spend the per-IP public budget.
const minRefresh = time.Minute

// instrumentCache holds the swap list per base URL (the demo environment
// reached through an override is another URL). It is shared by every
// account: the list is public and the same for all of them.
type instrumentCache struct {
	http *rest.Client
	ttl  time.Duration

	mu   sync.Mutex
	sets map[string]*instrumentSet
}

type instrumentSet struct {
	refresh chan struct{} // a one-slot semaphore: one fetch at a time

	mu      sync.Mutex
	byID    map[string]contract
	fetched time.Time
}

func newInstrumentCache(c *rest.Client, ttl time.Duration) *instrumentCache {
	return &instrumentCache{http: c, ttl: ttl, sets: map[string]*instrumentSet{}}
}

func (ic *instrumentCache) set(base string) *instrumentSet {
	ic.mu.Lock()
	defer ic.mu.Unlock()
	s := ic.sets[base]
	if s == nil {
		s = &instrumentSet{refresh: make(chan struct{}, 1)}
		ic.sets[base] = s
	}
	return s
}

// swap returns the contract of a SWAP instrument id; ok is false when OKX
// does not list it.
func (ic *instrumentCache) swap(ctx context.Context, acct sdk.Account, id string) (contract, bool, error) {
	base, err := ic.http.BaseURL(acct, EndpointREST)
	if err != nil {
		return contract{}, false, err
	}
	s := ic.set(base)
	if k, ok, fresh := s.get(id, ic.ttl); fresh {
		return k, ok, nil
	}
	select {
	case s.refresh <- struct{}{}:
	case <-ctx.Done():
		return contract{}, false, sdk.Errorf(sdk.KindUnavailable, "okx: no answer before the deadline while reading the instrument list")
	}
	defer func() { <-s.refresh }()
	// Someone may have fetched while we waited.
	if k, ok, fresh := s.get(id, ic.ttl); fresh {
		return k, ok, nil
	}
	var a struct {
		Data []instrument `json:"data"`
	}
	err = ic.http.Do(ctx, acct, rest.Request{
		Method: "GET", Endpoint: EndpointREST, Path: "/api/v5/public/instruments",
		Query: rest.Params{}.Add("instType", "SWAP"),
	}, &a)
	if err != nil {
		// A stale list still knows the contract size of a listed swap.
		if k, ok := s.stale(id); ok {
			return k, true, nil
		}
		return contract{}, false, err
	}
	byID := make(map[string]contract, len(a.Data))
	for _, in := range a.Data {
		if k, ok := toContract(in); ok && in.InstID != "" {
			byID[in.InstID] = k
		}
	}
	s.mu.Lock()
	s.byID, s.fetched = byID, time.Now()
	s.mu.Unlock()
	k, ok := byID[id]
	return k, ok, nil
}

// get answers from the cache. fresh says the answer can be trusted: the id
// is there and the list is younger than ttl, or the id is missing from a
// list fetched less than minRefresh ago.
func (s *instrumentSet) get(id string, ttl time.Duration) (k contract, ok, fresh bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.byID == nil {
		return contract{}, false, false
	}
	age := time.Since(s.fetched)
	k, ok = s.byID[id]
	if ok {
		return k, true, age < ttl
	}
	return contract{}, false, age < min(ttl, minRefresh)
}

func (s *instrumentSet) stale(id string) (contract, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k, ok := s.byID[id]
	return k, ok
}
