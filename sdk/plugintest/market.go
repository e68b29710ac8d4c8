package plugintest

// The public market-data calls: prices and instruments. What they hold is
// the fake's own business, so the checks here are what every connector's
// answers must satisfy whatever the exchange lists: instruments that are
// whole and agree with their unified symbols, a price answer that accounts
// for every ask exactly once, assets valued in USDT by their own market
// and never guessed, and both calls served without credentials. A
// connector's own tests check the exact values against its fake.

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/fakex"
	"github.com/globalautomation/gahost/sdk/symbol"
)

// noSuchAsset is an asset no exchange lists.
const noSuchAsset = "NOSUCHASSETZZ"

// checkMarket runs the market-data checks on one side (direct or across
// the boundary). impl is the connector itself, which says whether it
// implements the calls at all.
func checkMarket(t *testing.T, ex, impl sdk.Exchange, info sdk.Info, fx Fixtures) {
	t.Run("market data and streams are declared as implemented", func(t *testing.T) {
		_, prices := impl.(sdk.PriceReader)
		_, instruments := impl.(sdk.InstrumentLister)
		if prices != info.Has(sdk.CapPrices) {
			t.Errorf("implements PriceReader: %v, declares %s: %v", prices, sdk.CapPrices, info.Has(sdk.CapPrices))
		}
		if instruments != info.Has(sdk.CapInstruments) {
			t.Errorf("implements InstrumentLister: %v, declares %s: %v", instruments, sdk.CapInstruments, info.Has(sdk.CapInstruments))
		}
		// Not market data, but the same rule: the host watches accounts
		// only on a connector that declares streams, and a declared
		// capability the connector lacks would fail every watch.
		if _, streams := impl.(sdk.Streamer); streams != info.Has(sdk.CapStreams) {
			t.Errorf("implements Streamer: %v, declares %s: %v", streams, sdk.CapStreams, info.Has(sdk.CapStreams))
		}
	})
	// Public calls: the keys stay behind, only the routing goes.
	public := sdk.Account{Testnet: fx.Account.Testnet, Endpoints: fx.Account.Endpoints}
	listed := map[sdk.Market][]sdk.Instrument{}
	t.Run("instruments", func(t *testing.T) {
		needCapability(t, info, sdk.CapInstruments)
		needAccount(t, fx)
		il := ex.(sdk.InstrumentLister)
		for _, m := range []sdk.Market{sdk.MarketSpot, sdk.MarketFutures} {
			is, err := il.Instruments(ctx(t), public, m)
			if err != nil {
				t.Fatalf("Instruments(%s) without credentials: %v", m, err)
			}
			if len(is) == 0 {
				t.Errorf("Instruments(%s) is empty", m)
			}
			checkInstruments(t, m, is)
			listed[m] = is
		}
		_, err := il.Instruments(ctx(t), public, "options")
		wantKind(t, "Instruments of an unknown market", err, sdk.KindInvalidRequest)
	})
	if ex == impl {
		t.Run("market data fails cleanly with nothing to go on", func(t *testing.T) {
			marketNoPanics(t, impl, info)
		})
	}
	t.Run("prices", func(t *testing.T) {
		needCapability(t, info, sdk.CapPrices)
		needAccount(t, fx)
		pr := ex.(sdk.PriceReader)
		empty, err := pr.Prices(ctx(t), public, sdk.PriceRequest{})
		if err != nil || len(empty.Prices) != 0 || len(empty.Missing) != 0 {
			t.Errorf("an empty request: %+v, %v; want an empty answer", empty, err)
		}

		// Everything the instrument list says trades, a few times over in
		// different spellings, and two things no exchange lists.
		req := sdk.PriceRequest{Assets: []string{sdk.ValuationAsset, noSuchAsset}, Symbols: []string{"NOSUCHASSETZZ/USDT:USDT"}}
		trading := map[string]sdk.Instrument{}
		for _, m := range []sdk.Market{sdk.MarketSpot, sdk.MarketFutures} {
			for _, i := range listed[m] {
				if i.Status != sdk.InstrumentTrading || len(trading) >= 40 {
					continue
				}
				trading[i.Symbol] = i
				req.Symbols = append(req.Symbols, i.Symbol)
				if i.Market == sdk.MarketSpot && i.Quote == sdk.ValuationAsset {
					req.Assets = append(req.Assets, i.Base, strings.ToLower(i.Base))
				}
			}
		}
		if len(trading) == 0 {
			t.Skip("no trading instrument listed (needs the instruments capability) to ask prices of")
		}
		p, err := pr.Prices(ctx(t), public, req)
		if err != nil {
			t.Fatalf("Prices without credentials: %v", err)
		}
		checkPrices(t, req, p, trading)
	})
	t.Run("prices of the fixture", func(t *testing.T) {
		needCapability(t, info, sdk.CapPrices)
		needAccount(t, fx)
		if fx.Prices == nil || fx.Fake == nil {
			t.Skip("no Prices and Fake fixtures")
		}
		runPrices(t, ex.(sdk.PriceReader), fx.Account, fx.Fake.Requests, *fx.Prices)
	})
}

// checkInstruments checks that each instrument is whole and agrees with its
// unified symbol and market.
func checkInstruments(t *testing.T, m sdk.Market, is []sdk.Instrument) {
	t.Helper()
	seen := map[string]bool{}
	for _, i := range is {
		var problems []string
		s, err := symbol.Parse(i.Symbol)
		switch {
		case err != nil:
			problems = append(problems, "symbol does not parse")
		case s.String() != i.Symbol:
			problems = append(problems, "symbol is not in its canonical form "+s.String())
		case s.Base != i.Base || s.Quote != i.Quote || s.Settle != i.Settle:
			problems = append(problems, "base, quote or settle disagree with the symbol")
		case s.Market() != m || i.Market != m:
			problems = append(problems, "listed under the wrong market")
		}
		if seen[i.Symbol] {
			problems = append(problems, "listed twice")
		}
		seen[i.Symbol] = true
		if len(i.NativeSymbols) == 0 || slices.Contains(i.NativeSymbols, "") {
			problems = append(problems, "no native symbol")
		}
		if !i.LotStep.IsPositive() || !i.TickSize.IsPositive() {
			problems = append(problems, "lot step and tick size must be positive")
		}
		if i.MinQuantity.IsNegative() || i.MinNotional.IsNegative() {
			problems = append(problems, "a negative minimum")
		}
		if i.Status != sdk.InstrumentTrading && i.Status != sdk.InstrumentHalted {
			problems = append(problems, "status is neither trading nor halted")
		}
		if len(problems) > 0 {
			t.Errorf("instrument %+v: %s", i, strings.Join(problems, "; "))
		}
	}
}

// checkPrices checks that every ask is answered exactly once, that what
// trades is priced, that assets are valued by their own market against
// USDT, and that the unlisted ones are missing with a reason.
func checkPrices(t *testing.T, req sdk.PriceRequest, p sdk.Prices, trading map[string]sdk.Instrument) {
	t.Helper()
	answered := map[string]int{}
	for _, x := range p.Prices {
		switch {
		case x.Asset != "":
			answered["asset "+x.Asset]++
			if x.Asset == sdk.ValuationAsset {
				if x.Symbol != "" || x.Last.String() != "1" {
					t.Errorf("%s is worth %s by %q, want 1 by itself", x.Asset, x.Last, x.Symbol)
				}
				continue
			}
			if x.Symbol != x.Asset+"/"+sdk.ValuationAsset || !x.Last.IsPositive() {
				t.Errorf("asset %s valued at %s by %q: want a positive last price of %s/%s", x.Asset, x.Last, x.Symbol, x.Asset, sdk.ValuationAsset)
			}
		default:
			answered["symbol "+x.Symbol]++
			if _, ok := trading[x.Symbol]; !ok {
				t.Errorf("a price for %q, which was not asked for in that spelling", x.Symbol)
			}
			if !x.Last.IsPositive() && !x.Mark.IsPositive() || x.Last.IsNegative() || x.Mark.IsNegative() {
				t.Errorf("price of %s: last %s, mark %s", x.Symbol, x.Last, x.Mark)
			}
			if strings.Contains(x.Symbol, ":") != x.Mark.IsPositive() {
				t.Errorf("price of %s: mark %s; a perpetual has a mark price and a spot market none", x.Symbol, x.Mark)
			}
		}
	}
	for _, m := range p.Missing {
		if (m.Asset == "") == (m.Symbol == "") || m.Reason == "" {
			t.Errorf("missing %+v: want exactly one of asset and symbol, and a reason", m)
		}
		if m.Asset != "" {
			answered["asset "+m.Asset]++
		} else {
			answered["symbol "+m.Symbol]++
			if _, ok := trading[m.Symbol]; ok {
				t.Errorf("%s trades but has no price: %s", m.Symbol, m.Reason)
			}
		}
	}
	var problems []error
	for _, a := range req.Assets {
		if n := answered["asset "+strings.ToUpper(a)]; n != 1 {
			problems = append(problems, fmt.Errorf("asset %s answered %d times", a, n))
		}
	}
	for _, s := range req.Symbols {
		if n := answered["symbol "+s]; n != 1 {
			problems = append(problems, fmt.Errorf("symbol %s answered %d times", s, n))
		}
	}
	if err := errors.Join(problems...); err != nil {
		t.Errorf("every ask must be answered once, as a price or as missing: %v", err)
	}
	if _, ok := p.Asset(noSuchAsset); ok {
		t.Errorf("%s, which no exchange lists, has a value", noSuchAsset)
	}
}

// marketNoPanics calls the market-data calls with every endpoint on a
// closed loopback port: each must fail, not panic.
func marketNoPanics(t *testing.T, impl sdk.Exchange, info sdk.Info) {
	c, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	empty := sdk.Account{Endpoints: map[string]string{}}
	for _, k := range info.EndpointKeys {
		empty.Endpoints[k] = "http://127.0.0.1:1"
	}
	calls := map[string]func() error{}
	if pr, ok := impl.(sdk.PriceReader); ok {
		calls["Prices"] = func() error {
			_, err := pr.Prices(c, empty, sdk.PriceRequest{Assets: []string{"BTC"}, Symbols: []string{"BTC/USDT:USDT"}})
			return err
		}
	}
	if il, ok := impl.(sdk.InstrumentLister); ok {
		calls["Instruments"] = func() error { _, err := il.Instruments(c, empty, sdk.MarketSpot); return err }
	}
	if len(calls) == 0 {
		t.Skip("the connector implements neither market-data call")
	}
	for name, fn := range calls {
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Errorf("%s panicked with nothing to go on: %v", name, r)
				}
			}()
			if err := fn(); err == nil {
				t.Errorf("%s succeeded with every endpoint closed", name)
			}
		}()
	}
}

// PriceRows writes each price of p as one line, "symbol asset last mark",
// and each missing one as "missing symbol asset: reason", so a connector's
// own test compares its answer with exact decimals in one table. A zero
// mark is "-".
func PriceRows(p sdk.Prices) []string {
	var out []string
	for _, x := range p.Prices {
		mark := "-"
		if !x.Mark.IsZero() {
			mark = x.Mark.String()
		}
		out = append(out, fmt.Sprintf("%s %s %s %s", dash(x.Symbol), dash(x.Asset), x.Last, mark))
	}
	for _, m := range p.Missing {
		out = append(out, fmt.Sprintf("missing %s %s: %s", dash(m.Symbol), dash(m.Asset), m.Reason))
	}
	return out
}

// InstrumentRow writes i as one line: "symbol native,… market base quote
// settle lot=… min=… tick=… notional=… status", decimals as exact as the
// exchange sent them.
func InstrumentRow(i sdk.Instrument) string {
	return fmt.Sprintf("%s %s %s %s %s %s lot=%s min=%s tick=%s notional=%s %s",
		i.Symbol, strings.Join(i.NativeSymbols, ","), i.Market, i.Base, i.Quote, dash(i.Settle),
		i.LotStep, i.MinQuantity, i.TickSize, i.MinNotional, i.Status)
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// NoCredentials fails t when any of reqs carries one of the secrets (the
// API key among them) in its header, query or body: the public calls must
// send none.
func NoCredentials(t *testing.T, reqs []fakex.Record, secrets ...string) {
	t.Helper()
	for _, r := range reqs {
		for _, s := range secrets {
			if s == "" {
				continue
			}
			inHeader := slices.ContainsFunc(slices.Collect(maps.Values(r.Header)), func(v []string) bool {
				return slices.ContainsFunc(v, func(x string) bool { return strings.Contains(x, s) })
			})
			if inHeader || strings.Contains(r.Query, s) || strings.Contains(string(r.Body), s) {
				t.Errorf("%s %s carried a credential", r.Method, r.Path)
			}
		}
	}
}

// MarketFake is what the market-data runners need of a fake exchange: how
// many requests each path received, and every request as it arrived.
type MarketFake interface {
	Counter
	Requests() []fakex.Record
}

// PriceCase is a connector's prices test: one request and, against its
// fake, the exact answer.
type PriceCase struct {
	Req sdk.PriceRequest
	// Want is the answer as PriceRows writes it, in order.
	Want []string
	// Calls are the requests per path answering Req must take: one per
	// whole list, whatever the number of symbols.
	Calls map[string]int
	// Timed are symbols whose price must carry the exchange's time.
	Timed []string
	// Queries are query parameters of the requests answering Req, each
	// with the values it must have taken in them, in order (a category
	// or product type per list read, say).
	Queries map[string][]string
	// Secrets are further strings no request may carry, besides the
	// account's own key, secret and passphrase, which none ever may.
	Secrets []string
}

// RunPrices asks pr for c.Req with acct on fx and checks the answer, the
// calls and that no credential of acct (nor any of c.Secrets) travelled.
// It returns the answer for the connector's own further checks.
func RunPrices(t *testing.T, pr sdk.PriceReader, acct sdk.Account, fx MarketFake, c PriceCase) sdk.Prices {
	t.Helper()
	return runPrices(t, pr, acct, fx.Requests, c)
}

// runPrices is RunPrices on a fake that may have answered other calls
// before: only the requests made for c count.
func runPrices(t *testing.T, pr sdk.PriceReader, acct sdk.Account, requests func() []fakex.Record, c PriceCase) sdk.Prices {
	t.Helper()
	before := len(requests())
	p, err := pr.Prices(Context(t), acct, c.Req)
	if err != nil {
		t.Fatal(err)
	}
	if got := PriceRows(p); !slices.Equal(got, c.Want) {
		t.Errorf("prices:\n%q\nwant\n%q", got, c.Want)
	}
	for _, s := range c.Timed {
		if x, ok := p.Symbol(s); !ok || x.Time.IsZero() {
			t.Errorf("the price of %s carries no time", s)
		}
	}
	sent := requests()[before:]
	calls := map[string]int{}
	for _, r := range sent {
		calls[r.Path]++
	}
	for _, path := range slices.Sorted(maps.Keys(c.Calls)) {
		if calls[path] != c.Calls[path] {
			t.Errorf("calls to %s = %d, want %d", path, calls[path], c.Calls[path])
		}
	}
	for _, key := range slices.Sorted(maps.Keys(c.Queries)) {
		if got := QueryValues(sent, key); !slices.Equal(got, c.Queries[key]) {
			t.Errorf("%s sent as %q, want %q", key, got, c.Queries[key])
		}
	}
	NoCredentials(t, sent, slices.Concat(credentials(acct), c.Secrets)...)
	return p
}

// credentials are what acct holds that no public request may carry.
func credentials(acct sdk.Account) []string {
	return []string{acct.APIKey, acct.SecretKey, acct.Passphrase}
}

// RunInstruments lists with il and acct on fx each market the golden
// file names and checks the instruments against it, as InstrumentRow
// writes them and in order; then that no request carried a credential of
// acct. The file holds one instrument a line, the lines of one market
// together; blank lines and lines starting with "#" (what the exchange
// lists that must be left out, and why) are passed over.
func RunInstruments(t *testing.T, il sdk.InstrumentLister, acct sdk.Account, fx MarketFake, golden string) {
	t.Helper()
	want := map[sdk.Market][]string{}
	for _, line := range GoldenLines(t, golden) {
		if f := strings.Fields(line); len(f) > 2 {
			want[sdk.Market(f[2])] = append(want[sdk.Market(f[2])], line)
		}
	}
	if len(want) == 0 {
		t.Fatalf("%s lists no instrument", golden)
	}
	for _, m := range slices.Sorted(maps.Keys(want)) {
		is, err := il.Instruments(Context(t), acct, m)
		if err != nil {
			t.Fatalf("%s: %v", m, err)
		}
		var got []string
		for _, i := range is {
			got = append(got, InstrumentRow(i))
		}
		if !slices.Equal(got, want[m]) {
			t.Errorf("%s:\n%s\nwant (%s)\n%s", m, strings.Join(got, "\n"), golden, strings.Join(want[m], "\n"))
		}
	}
	NoCredentials(t, fx.Requests(), credentials(acct)...)
}

// ReferencePrices is the prices case every fake that lists the reference
// market can answer: spot BTC/USDT at 60000, ETH/USDT at 3000 and ETH/BTC
// at 0.05, and the same pairs as perpetuals settled in USDT, BTC's marked
// at 60012.34 (the test sets that mark on its fake) and ETH's at its last
// price. It asks for those, for DOGE/USDT:USDT, which no fake lists, and
// values BTC, ETH, USDT and unlisted, an asset the exchange has but
// lists no USDT market for: both must be missing, worded with exchange.
// The caller adds the calls, times and secrets its exchange needs.
func ReferencePrices(exchange, unlisted string) PriceCase {
	return PriceCase{
		Req: sdk.PriceRequest{
			Symbols: []string{"BTC/USDT:USDT", "ETH/BTC", "ETH/USDT:USDT", "DOGE/USDT:USDT"},
			Assets:  []string{"BTC", "ETH", "USDT", unlisted},
		},
		Want: []string{
			"BTC/USDT:USDT - 60000 60012.34",
			"ETH/BTC - 0.05 -",
			"ETH/USDT:USDT - 3000 3000",
			"BTC/USDT BTC 60000 -",
			"ETH/USDT ETH 3000 -",
			"- USDT 1 -",
			"missing DOGE/USDT:USDT -: " + exchange + " lists no market DOGE/USDT:USDT",
			"missing - " + unlisted + ": " + exchange + " lists no " + unlisted + "/USDT spot market to value " + unlisted + " by",
		},
	}
}
