// Package prices keeps the public prices the host values balances with,
// and does that valuation. Per exchange and network it reads, once a
// cycle, the value in USDT of every asset the accounts there hold (one
// call to the plugin for all of them, paid from the exchange's rate budget
// at the plugin boundary like any other call) and keeps the answer with
// its time. Valuing a snapshot reads only that cache: it never calls an
// exchange, so it may run inside the store's sync transaction and on every
// dashboard request.
//
// It never guesses: an asset is valued only by the price its own exchange
// gives it (USDT is worth 1); anything else has no value and a reason, and
// totals over it have none either. It does not write the database.
package prices

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/globalautomation/gahost/host/internal/store"
	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/redact"
	"github.com/hashicorp/go-hclog"
)

// Catalog hands out the plugin of an exchange (*plugins.Catalog, whose
// exchanges pay each call's cost from the exchange's budget).
type Catalog interface {
	Exchange(name string) (sdk.Exchange, sdk.Info, bool)
}

// Store is what the source reads to learn what the accounts hold
// (*store.Store).
type Store interface {
	AllAccounts(ctx context.Context) ([]store.Account, error)
	LatestSnapshot(ctx context.Context, accountID string) (store.Snapshot, bool, error)
}

// Config tunes a Source. Zero durations take the defaults.
type Config struct {
	Catalog Catalog
	Store   Store
	// Every is the cycle: how often each exchange's prices are read;
	// default 30s (the daemon passes the sync interval).
	Every time.Duration
	// MaxAge is how old prices may be and still value a balance; default
	// five cycles, so one or two failed reads do not blank the dashboard.
	MaxAge time.Duration
	// MinGap is how soon after a read an asset newly held triggers another
	// one, rather than waiting for the next cycle; default 5s.
	MinGap time.Duration
	// CallTimeout bounds one read, the wait for the budget included;
	// default 10s.
	CallTimeout time.Duration
	// Rescan is how often the assets held are read again from every
	// account's snapshot (syncs report them in between); default 10m.
	Rescan time.Duration
	Logger hclog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// key is one exchange on one network.
type key struct {
	exchange string
	testnet  bool
}

// market is what the source knows of one key.
type market struct {
	book Book
	// held maps each account to the assets it holds that need a price.
	held    map[string][]string
	busy    bool      // a read is in flight
	tried   time.Time // when the last read started
	nudging bool      // a nudge is queued
}

// Source is the price cache. Run drives its reads; Value and ValuePoint
// read it from any goroutine.
type Source struct {
	cfg Config
	log hclog.Logger

	mu      sync.Mutex
	markets map[key]*market

	nudge chan key
	reads sync.WaitGroup
}

// New makes a Source; Run starts its reads.
func New(cfg Config) (*Source, error) {
	if cfg.Catalog == nil || cfg.Store == nil {
		return nil, errors.New("prices: a catalog and a store are required")
	}
	if cfg.Every <= 0 {
		cfg.Every = 30 * time.Second
	}
	if cfg.MaxAge <= 0 {
		cfg.MaxAge = 5 * cfg.Every
	}
	if cfg.MinGap <= 0 {
		cfg.MinGap = 5 * time.Second
	}
	if cfg.CallTimeout <= 0 {
		cfg.CallTimeout = 10 * time.Second
	}
	if cfg.Rescan <= 0 {
		cfg.Rescan = 10 * time.Minute
	}
	if cfg.Logger == nil {
		cfg.Logger = hclog.NewNullLogger()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Source{cfg: cfg, log: cfg.Logger, markets: map[key]*market{}, nudge: make(chan key, 64)}, nil
}

// Run reads prices until ctx ends: the assets held from every snapshot
// first, then every exchange's prices once a cycle, and sooner (MinGap
// after the last read) for an exchange where a sync found a new asset.
// Reads in flight are waited for before it returns.
func (s *Source) Run(ctx context.Context) error {
	defer s.reads.Wait()
	s.rescan(ctx)
	s.readAll(ctx)
	cycle := time.NewTicker(s.cfg.Every)
	defer cycle.Stop()
	lastScan := s.cfg.Now()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-cycle.C:
			if s.cfg.Now().Sub(lastScan) >= s.cfg.Rescan {
				s.rescan(ctx)
				lastScan = s.cfg.Now()
			}
			s.readAll(ctx)
		case k := <-s.nudge:
			s.mu.Lock()
			m := s.markets[k]
			m.nudging = false
			wait := s.cfg.MinGap - s.cfg.Now().Sub(m.tried)
			s.mu.Unlock()
			if wait > 0 {
				// Too soon after the last read: the read this asks for
				// happens once the gap has passed.
				s.reads.Go(func() {
					t := time.NewTimer(wait)
					defer t.Stop()
					select {
					case <-ctx.Done():
					case <-t.C:
						s.read(ctx, k)
					}
				})
				continue
			}
			s.reads.Go(func() { s.read(ctx, k) })
		}
	}
}

// readAll starts a read of every exchange whose accounts hold something
// to price. Reads run side by side: one exchange waiting for its budget
// holds up no other.
func (s *Source) readAll(ctx context.Context) {
	s.mu.Lock()
	keys := slices.Collect(maps.Keys(s.markets))
	s.mu.Unlock()
	for _, k := range keys {
		s.reads.Go(func() { s.read(ctx, k) })
	}
}

// Refresh reads the prices of one exchange now, for what its accounts
// hold as far as the source knows, and returns the book it made.
func (s *Source) Refresh(ctx context.Context, exchange string, testnet bool) Book {
	s.read(ctx, key{exchange, testnet})
	return s.Book(exchange, testnet)
}

// read reads the prices of k unless a read of it is in flight or nothing
// there needs a price.
func (s *Source) read(ctx context.Context, k key) {
	s.mu.Lock()
	m := s.marketLocked(k)
	assets := m.assetsLocked()
	if m.busy || len(assets) == 0 {
		s.mu.Unlock()
		return
	}
	m.busy, m.tried = true, s.cfg.Now()
	s.mu.Unlock()

	prices, unsupported, err := s.call(ctx, k, assets)

	s.mu.Lock()
	defer s.mu.Unlock()
	m.busy = false
	switch {
	case unsupported:
		m.book.Unsupported, m.book.Err, m.book.ErrAt = true, "", time.Time{}
		m.book.At, m.book.Asked, m.book.Prices = s.cfg.Now(), assets, sdk.Prices{}
	case err != nil:
		m.book.Err, m.book.ErrAt = redact.Clip(err.Error(), 300), s.cfg.Now()
		if ctx.Err() == nil {
			s.log.Warn("cannot read prices", "exchange", k.exchange, "testnet", k.testnet, "error", err)
		}
	default:
		m.book.Unsupported, m.book.Err, m.book.ErrAt = false, "", time.Time{}
		m.book.At, m.book.Asked, m.book.Prices = s.cfg.Now(), assets, prices
	}
}

// call asks the exchange's plugin for the value of assets. The request is
// public: the account only says which network to ask.
func (s *Source) call(ctx context.Context, k key, assets []string) (sdk.Prices, bool, error) {
	x, info, ok := s.cfg.Catalog.Exchange(k.exchange)
	if !ok {
		return sdk.Prices{}, false, errors.New("no plugin serves the exchange")
	}
	pr, ok := x.(sdk.PriceReader)
	if !ok || !info.Has(sdk.CapPrices) {
		// A plugin is asked only for what it declares.
		return sdk.Prices{}, true, nil
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.CallTimeout)
	defer cancel()
	p, err := pr.Prices(ctx, sdk.Account{Testnet: k.testnet}, sdk.PriceRequest{Assets: assets})
	if sdk.KindOf(err) == sdk.KindUnsupported {
		return sdk.Prices{}, true, nil
	}
	return p, false, err
}

func (s *Source) marketLocked(k key) *market {
	m := s.markets[k]
	if m == nil {
		m = &market{book: Book{Exchange: k.exchange, Testnet: k.testnet}, held: map[string][]string{}}
		s.markets[k] = m
	}
	return m
}

// assetsLocked is the union of the assets held, sorted.
func (m *market) assetsLocked() []string {
	var out []string
	for _, as := range m.held {
		for _, a := range as {
			if !slices.Contains(out, a) {
				out = append(out, a)
			}
		}
	}
	slices.Sort(out)
	return out
}

// needsPrice lists the assets of snap that take a price to value:
// non-zero spot balances and the futures wallet's asset, upper-cased,
// without the valuation asset.
func needsPrice(snap store.Snapshot) []string {
	var out []string
	add := func(a string) {
		a = strings.ToUpper(strings.TrimSpace(a))
		if a != "" && a != sdk.ValuationAsset && !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	for _, b := range snap.Spot {
		if !b.Free.Add(b.Locked).IsZero() {
			add(b.Asset)
		}
	}
	if snap.Futures != nil {
		add(snap.Futures.Asset)
	}
	for _, p := range snap.Positions {
		_, settle, _ := strings.Cut(p.Symbol, ":")
		add(settle)
	}
	return out
}

// hold records what an account holds. An asset the last read did not ask
// for brings the next read forward (a nudge; it never blocks).
func (s *Source) hold(k key, accountID string, assets []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.marketLocked(k)
	if len(assets) == 0 {
		delete(m.held, accountID)
		return
	}
	m.held[accountID] = assets
	if m.book.Unsupported || m.nudging {
		return
	}
	for _, a := range assets {
		if !slices.Contains(m.book.Asked, a) {
			select {
			case s.nudge <- k:
				m.nudging = true
			default: // the queue is full: the next cycle reads it
			}
			return
		}
	}
}

// rescan learns what every active account holds from its snapshot,
// forgetting accounts gone since.
func (s *Source) rescan(ctx context.Context) {
	accts, err := s.cfg.Store.AllAccounts(ctx)
	if err != nil {
		if ctx.Err() == nil {
			s.log.Error("prices: cannot list accounts", "error", err)
		}
		return
	}
	held := map[key]map[string][]string{}
	for _, a := range accts {
		if !a.IsActive {
			continue
		}
		snap, ok, err := s.cfg.Store.LatestSnapshot(ctx, a.ID)
		if err != nil {
			if ctx.Err() == nil {
				s.log.Error("prices: cannot read a snapshot", "account_id", a.ID, "error", err)
			}
			return
		}
		if assets := needsPrice(snap); ok && len(assets) > 0 {
			k := key{a.Exchange, a.Testnet}
			if held[k] == nil {
				held[k] = map[string][]string{}
			}
			held[k][a.ID] = assets
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, m := range s.markets {
		m.held = map[string][]string{}
		if held[k] != nil {
			m.held = held[k]
		}
	}
	for k, h := range held {
		s.marketLocked(k).held = h
	}
}

// Book returns the last prices read of an exchange.
func (s *Source) Book(exchange string, testnet bool) Book {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.markets[key{exchange, testnet}]
	if m == nil {
		return Book{Exchange: exchange, Testnet: testnet}
	}
	b := m.book
	b.Asked = slices.Clone(b.Asked)
	return b
}

// Value values an account's snapshot at the cached prices of its exchange.
func (s *Source) Value(exchange string, testnet bool, snap store.Snapshot) Valuation {
	return Value(snap, s.Book(exchange, testnet), s.cfg.Now(), s.cfg.MaxAge)
}

// ValuePoint adds to the history point of a sync what takes prices: the
// account's equity in USDT at the prices known now (or why it has none),
// and the spot total once every spot balance read has a value. It also
// notes what the account holds, so the next read prices it. It only reads
// memory: it runs inside the store's sync transaction.
func (s *Source) ValuePoint(exchange string, testnet bool, accountID string, snap store.Snapshot, p *store.HistoryPoint) {
	k := key{exchange, testnet}
	s.hold(k, accountID, needsPrice(snap))
	v := s.Value(exchange, testnet, snap)
	p.EquityUSDT, p.EquityMissing, p.PricesAt = v.Equity, v.Missing, v.PricesAt
	if v.SpotValue != nil && !snap.SpotAt.IsZero() {
		p.SpotTotalUSDT = v.SpotValue
	}
}
