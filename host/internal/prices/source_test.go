package prices

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/globalautomation/gahost/host/internal/store"
	"github.com/globalautomation/gahost/sdk"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// fakeExchange prices from a fixed book and records every request.
type fakeExchange struct {
	sdk.Exchange // nil: only Prices is called
	book         map[string]sdk.Price
	err          error

	mu    sync.Mutex
	calls []sdk.PriceRequest
	accts []sdk.Account
}

func (f *fakeExchange) Prices(_ context.Context, a sdk.Account, r sdk.PriceRequest) (sdk.Prices, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, r)
	f.accts = append(f.accts, a)
	if f.err != nil {
		return sdk.Prices{}, f.err
	}
	return sdk.AnswerPrices("fx", r, f.book), nil
}

func (f *fakeExchange) requests() []sdk.PriceRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

type fakeCatalog map[string]struct {
	x    sdk.Exchange
	caps []string
}

func (c fakeCatalog) Exchange(name string) (sdk.Exchange, sdk.Info, bool) {
	e, ok := c[name]
	return e.x, sdk.Info{Name: name, Capabilities: e.caps}, ok
}

// fakeStore holds accounts and their snapshots.
type fakeStore struct {
	accts []store.Account
	snaps map[string]store.Snapshot
}

func (s *fakeStore) AllAccounts(context.Context) ([]store.Account, error) { return s.accts, nil }

func (s *fakeStore) LatestSnapshot(_ context.Context, id string) (store.Snapshot, bool, error) {
	snap, ok := s.snaps[id]
	return snap, ok, nil
}

func (s *fakeStore) add(id, exchange string, testnet, active bool, assets ...string) {
	s.accts = append(s.accts, store.Account{ID: id, Exchange: exchange, Testnet: testnet, IsActive: active})
	var spot []store.Balance
	for _, a := range assets {
		spot = append(spot, store.Balance{Asset: a, Free: d("1")})
	}
	s.snaps[id] = store.Snapshot{AccountID: id, Spot: spot, SpotAt: t0}
}

var fxBook = map[string]sdk.Price{
	"BTC/USDT": {Symbol: "BTC/USDT", Last: d("60000.5")},
	"ETH/USDT": {Symbol: "ETH/USDT", Last: d("3000.25")},
}

func newSource(t *testing.T, cat Catalog, st Store, now func() time.Time) *Source {
	t.Helper()
	s, err := New(Config{Catalog: cat, Store: st, Every: 30 * time.Second, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestOneReadPerExchangeForWhatItsAccountsHold: each exchange and network
// is asked once, for the union of what its active accounts hold, without
// USDT; the request carries no credentials.
func TestOneReadPerExchangeForWhatItsAccountsHold(t *testing.T) {
	live := &fakeExchange{book: fxBook}
	st := &fakeStore{snaps: map[string]store.Snapshot{}}
	st.add("a1", "fx", false, true, "BTC", "USDT")
	st.add("a2", "fx", false, true, "eth", "BTC", "XYZ")
	st.add("a3", "fx", false, false, "DOGE") // inactive: not asked
	st.add("a4", "fx", true, true, "ETH")    // testnet: its own read
	st.add("a5", "fx", false, true, "USDT")  // nothing to price
	cat := fakeCatalog{"fx": {x: live, caps: []string{sdk.CapSpotBalances, sdk.CapPrices}}}
	s := newSource(t, cat, st, func() time.Time { return t0 })
	ctx := context.Background()
	s.rescan(ctx)
	b := s.Refresh(ctx, "fx", false)
	tb := s.Refresh(ctx, "fx", true)

	reqs := live.requests()
	if len(reqs) != 2 || !slices.Equal(reqs[0].Assets, []string{"BTC", "ETH", "XYZ"}) || len(reqs[0].Symbols) != 0 ||
		!slices.Equal(reqs[1].Assets, []string{"ETH"}) {
		t.Fatalf("requests %+v, want BTC ETH XYZ then ETH", reqs)
	}
	for i, a := range live.accts {
		if a.APIKey != "" || a.SecretKey != "" || a.Passphrase != "" || a.Testnet != (i == 1) {
			t.Errorf("request %d went with account %+v", i, a)
		}
	}
	if !b.At.Equal(t0) || b.Unsupported || b.Err != "" || !tb.Testnet {
		t.Errorf("books %+v %+v", b, tb)
	}
	v := s.Value("fx", false, st.snaps["a2"])
	if v.Equity != nil {
		t.Fatal("XYZ has no market: the equity must be unknown")
	}
	if !strings.Contains(v.Missing, "XYZ has no value: fx lists no XYZ/USDT spot market") ||
		str(v.Assets[0].Value) != "3000.25" || str(v.Assets[1].Value) != "60000.5" {
		t.Errorf("valuation %+v", v)
	}
	if v := s.Value("fx", true, st.snaps["a4"]); str(v.Equity) != "3000.25" || !v.PricesAt.Equal(t0) {
		t.Errorf("testnet valuation %+v", v)
	}
	// An exchange nobody holds anything to price on is not asked.
	if b := s.Refresh(ctx, "other", false); !b.At.IsZero() || len(live.requests()) != 2 {
		t.Errorf("an exchange with nothing to price was read: %+v", b)
	}
}

// TestUnsupportedAndFailedReads: a plugin that does not declare prices is
// not called and is reported as such; one that answers unsupported is
// too; a failed read keeps the last prices, which age out.
func TestUnsupportedAndFailedReads(t *testing.T) {
	undeclared := &fakeExchange{book: fxBook}
	refusing := &fakeExchange{err: sdk.Errorf(sdk.KindUnsupported, "no prices here")}
	flaky := &fakeExchange{book: fxBook}
	st := &fakeStore{snaps: map[string]store.Snapshot{}}
	st.add("u", "undeclared", false, true, "BTC")
	st.add("r", "refusing", false, true, "BTC")
	st.add("f", "flaky", false, true, "BTC")
	st.add("g", "gone", false, true, "BTC")
	cat := fakeCatalog{
		"undeclared": {x: undeclared, caps: []string{sdk.CapSpotBalances}},
		"refusing":   {x: refusing, caps: []string{sdk.CapPrices}},
		"flaky":      {x: flaky, caps: []string{sdk.CapPrices}},
	}
	now := t0
	s := newSource(t, cat, st, func() time.Time { return now })
	ctx := context.Background()
	s.rescan(ctx)
	for _, ex := range []string{"undeclared", "refusing"} {
		b := s.Refresh(ctx, ex, false)
		v := s.Value(ex, false, st.snaps[ex[:1]])
		if !b.Unsupported || v.Equity != nil || v.Missing != "BTC has no value: the "+ex+" plugin serves no prices" {
			t.Errorf("%s: book %+v, valuation %+v", ex, b, v)
		}
	}
	if n := len(undeclared.requests()); n != 0 {
		t.Errorf("a plugin that declares no prices was asked %d times", n)
	}
	if b := s.Refresh(ctx, "gone", false); b.Err != "no plugin serves the exchange" {
		t.Errorf("an exchange without a plugin: %+v", b)
	}

	s.Refresh(ctx, "flaky", false)
	now = t0.Add(time.Minute)
	flaky.mu.Lock()
	flaky.err = sdk.Errorf(sdk.KindUnavailable, "maintenance")
	flaky.mu.Unlock()
	b := s.Refresh(ctx, "flaky", false)
	if !b.At.Equal(t0) || !strings.Contains(b.Err, "maintenance") || !b.ErrAt.Equal(now) {
		t.Errorf("a failed read: %+v", b)
	}
	if v := s.Value("flaky", false, st.snaps["f"]); str(v.Equity) != "60000.5" {
		t.Errorf("the last prices still value: %+v", v)
	}
	now = t0.Add(6 * 30 * time.Second) // past MaxAge, five cycles
	v := s.Value("flaky", false, st.snaps["f"])
	if v.Equity != nil || !strings.Contains(v.Missing, "more than 2m30s ago") || !strings.Contains(v.Missing, "maintenance") {
		t.Errorf("stale prices: %+v", v)
	}
}

// TestRunCyclesAndNudges: Run reads each exchange once a cycle; a sync
// that finds a new asset brings a read forward, no sooner than MinGap
// after the last; the point of that sync says the asset has no price yet,
// and the next sync's point has the equity.
func TestRunCyclesAndNudges(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		x := &fakeExchange{book: fxBook}
		st := &fakeStore{snaps: map[string]store.Snapshot{}}
		st.add("a", "fx", false, true, "BTC")
		s := newSource(t, fakeCatalog{"fx": {x: x, caps: []string{sdk.CapPrices}}}, st, time.Now)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error)
		go func() { done <- s.Run(ctx) }()
		synctest.Wait()
		if n := len(x.requests()); n != 1 {
			t.Fatalf("%d reads at start, want 1", n)
		}
		time.Sleep(30 * time.Second)
		synctest.Wait()
		if n := len(x.requests()); n != 2 {
			t.Fatalf("%d reads after a cycle, want 2", n)
		}

		time.Sleep(2 * time.Second)
		snap := store.Snapshot{Spot: []store.Balance{{Asset: "BTC", Free: d("1")}, {Asset: "ETH", Free: d("2")}}, SpotAt: time.Now()}
		var p store.HistoryPoint
		s.ValuePoint("fx", false, "a", snap, &p)
		if p.EquityUSDT != nil || !strings.Contains(p.EquityMissing, "ETH was not held") {
			t.Errorf("point before ETH is priced: %+v", p)
		}
		synctest.Wait()
		if n := len(x.requests()); n != 2 {
			t.Fatalf("read again %d times within MinGap of the last", n-2)
		}
		time.Sleep(3 * time.Second)
		synctest.Wait()
		reqs := x.requests()
		if len(reqs) != 3 || !slices.Equal(reqs[2].Assets, []string{"BTC", "ETH"}) {
			t.Fatalf("after the nudge: %+v", reqs)
		}
		p = store.HistoryPoint{}
		s.ValuePoint("fx", false, "a", snap, &p)
		// 60000.5 + 2 × 3000.25
		if str(p.EquityUSDT) != "66001" || str(p.SpotTotalUSDT) != "66001" || p.EquityMissing != "" || p.PricesAt.IsZero() {
			t.Errorf("point once priced: %+v", p)
		}
		// The same holdings again bring no extra read.
		s.ValuePoint("fx", false, "a", snap, &p)
		time.Sleep(10 * time.Second)
		synctest.Wait()
		if n := len(x.requests()); n != 3 {
			t.Errorf("%d reads, want 3 before the next cycle", n)
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	})
}
