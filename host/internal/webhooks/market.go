package webhooks

// Market data for alerts: the instrument lists tickers are matched against
// and whose lot steps and ticks orders are rounded to, and the prices
// notionals are computed at. Both are public calls to the exchange's plugin,
// paid from the exchange's rate budget by the catalog like any other call,
// so they are cached: instrument lists per exchange, network and market for
// InstrumentTTL (read again sooner when a ticker is not found, in case the
// instrument is new), prices per symbol for PriceTTL.

import (
	"context"
	"sync"
	"time"

	"github.com/globalautomation/gahost/sdk"
)

const (
	// InstrumentTTL is how long an instrument list is used before it is
	// read again. Lot steps and ticks change seldom; new instruments are
	// caught by InstrumentRecheck.
	InstrumentTTL = 15 * time.Minute
	// InstrumentRecheck: a ticker missing from a list at least this old
	// has the list read again before it is refused.
	InstrumentRecheck = time.Minute
	// PriceTTL is how long a price read serves other alerts.
	PriceTTL = 5 * time.Second
)

// listKey names one instrument list.
type listKey struct {
	exchange string
	testnet  bool
	market   sdk.Market
}

// priceKey names one symbol's price.
type priceKey struct {
	exchange string
	testnet  bool
	symbol   string
}

// listSlot holds one list; its mutex is held while the list is read, so
// that alerts arriving together cause one read.
type listSlot struct {
	mu   sync.Mutex
	at   time.Time
	list []sdk.Instrument
}

type cachedPrice struct {
	at    time.Time
	price sdk.Price
}

// marketData is the cache. Safe for concurrent use.
type marketData struct {
	now func() time.Time

	mu     sync.Mutex
	lists  map[listKey]*listSlot
	prices map[priceKey]cachedPrice
}

func newMarketData(now func() time.Time) *marketData {
	return &marketData{now: now, lists: map[listKey]*listSlot{}, prices: map[priceKey]cachedPrice{}}
}

func (m *marketData) slot(k listKey) *listSlot {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.lists[k]
	if s == nil {
		s = &listSlot{}
		m.lists[k] = s
	}
	return s
}

// instruments returns the list of k, read through client when the cached
// one is older than maxAge (or missing), and when it was read. When a read
// fails, a list read before is still used: stale rules beat none.
func (m *marketData) instruments(ctx context.Context, client sdk.Exchange, k listKey, maxAge time.Duration) ([]sdk.Instrument, time.Time, error) {
	il, ok := client.(sdk.InstrumentLister)
	if !ok {
		return nil, time.Time{}, sdk.Errorf(sdk.KindUnsupported, "the plugin lists no instruments")
	}
	s := m.slot(k)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.list != nil && m.now().Sub(s.at) < maxAge {
		return s.list, s.at, nil
	}
	list, err := il.Instruments(ctx, sdk.Account{Testnet: k.testnet}, k.market)
	if err != nil {
		if s.list != nil {
			return s.list, s.at, nil
		}
		return nil, time.Time{}, err
	}
	s.list, s.at = list, m.now()
	return list, s.at, nil
}

// price returns the reference price of symbol (the mark price where the
// market has one, else the last price) and when it was read.
func (m *marketData) price(ctx context.Context, client sdk.Exchange, k priceKey) (sdk.Price, bool, error) {
	m.mu.Lock()
	c, hit := m.prices[k]
	m.mu.Unlock()
	if hit && m.now().Sub(c.at) < PriceTTL {
		return c.price, true, nil
	}
	pr, ok := client.(sdk.PriceReader)
	if !ok {
		return sdk.Price{}, false, sdk.Errorf(sdk.KindUnsupported, "the plugin reads no prices")
	}
	got, err := pr.Prices(ctx, sdk.Account{Testnet: k.testnet}, sdk.PriceRequest{Symbols: []string{k.symbol}})
	if err != nil {
		return sdk.Price{}, false, err
	}
	p, ok := got.Symbol(k.symbol)
	if !ok || !p.Reference().IsPositive() {
		return sdk.Price{}, false, nil
	}
	if p.Time.IsZero() {
		p.Time = m.now().UTC()
	}
	m.mu.Lock()
	if len(m.prices) > 4096 {
		// Old prices are worthless: drop them all rather than track ages.
		clear(m.prices)
	}
	m.prices[k] = cachedPrice{at: m.now(), price: p}
	m.mu.Unlock()
	return p, true, nil
}
