package marketdata

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/symbol"
	"github.com/shopspring/decimal"
)

func resolve(m sdk.Market, u string) (sdk.Market, symbol.Symbol, error) {
	return symbol.ResolveLinear("test", m, u, sdk.KindUnsupported, "quote-settled only")
}

// A list is read once per market the request needs, symbols are looked up
// by native name, and what the lists lack or the resolver refuses ends as
// missing.
func TestAnswer(t *testing.T) {
	reads := map[sdk.Market]int{}
	l := Lists[string]{
		Exchange: "test",
		Resolve:  resolve,
		Native: func(m sdk.Market, s symbol.Symbol) string {
			if m == sdk.MarketFutures {
				return s.Join("-") + "-PERP"
			}
			return s.Join("-")
		},
		Read: func(_ context.Context, m sdk.Market) (map[string]string, error) {
			reads[m]++
			if m == sdk.MarketSpot {
				return map[string]string{"BTC-USDT": "60000", "ETH-USDT": "3000"}, nil
			}
			return map[string]string{"BTC-USDT-PERP": "60010"}, nil
		},
		Price: func(r string) (sdk.Price, error) {
			d, err := decimal.NewFromString(r)
			return sdk.Price{Last: d, Mark: d}, err
		},
	}
	p, err := l.Answer(context.Background(), sdk.PriceRequest{
		Symbols: []string{"BTC/USDT:USDT", "BTC/USD:BTC", "DOGE/USDT:USDT"},
		Assets:  []string{"ETH", "XRP"},
	})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, x := range p.Prices {
		got = append(got, x.Symbol+"|"+x.Asset+"|"+x.Last.String())
	}
	for _, m := range p.Missing {
		got = append(got, "missing "+m.Symbol+"|"+m.Asset)
	}
	want := []string{"BTC/USDT:USDT||60010", "ETH/USDT|ETH|3000", "missing BTC/USD:BTC|", "missing DOGE/USDT:USDT|", "missing |XRP"}
	if !slices.Equal(got, want) {
		t.Errorf("answer %q, want %q", got, want)
	}
	if reads[sdk.MarketSpot] != 1 || reads[sdk.MarketFutures] != 1 {
		t.Errorf("lists read %v, want each once", reads)
	}

	// Only the lists asked for are read; a row that does not read makes the
	// answer malformed; a list that fails is the answer's error.
	reads = map[sdk.Market]int{}
	if _, err := l.Answer(context.Background(), sdk.PriceRequest{Assets: []string{"USDT"}}); err != nil || len(reads) != 0 {
		t.Errorf("valuing USDT read %v (%v), want nothing", reads, err)
	}
	bad := l
	bad.Price = func(string) (sdk.Price, error) { return sdk.Price{}, errors.New("no number") }
	_, err = bad.Answer(context.Background(), sdk.PriceRequest{Symbols: []string{"BTC/USDT"}})
	if err == nil || sdk.KindOf(err) != sdk.KindUnknown {
		t.Errorf("a malformed row: %v, want a KindUnknown error", err)
	}
	failing := l
	boom := sdk.Errorf(sdk.KindUnavailable, "down")
	failing.Read = func(context.Context, sdk.Market) (map[string]string, error) { return nil, boom }
	if _, err := failing.Answer(context.Background(), sdk.PriceRequest{Symbols: []string{"BTC/USDT"}}); !errors.Is(err, boom) {
		t.Errorf("a failing list: %v", err)
	}
}

func TestInstruments(t *testing.T) {
	i := Instrument(symbol.Perp("BTC", "USDT", "USDT"), "BTCUSDT", true)
	if i.Symbol != "BTC/USDT:USDT" || i.Market != sdk.MarketFutures || i.Settle != "USDT" || i.Status != sdk.InstrumentTrading ||
		!slices.Equal(i.NativeSymbols, []string{"BTCUSDT"}) {
		t.Errorf("perpetual: %+v", i)
	}
	if h := Instrument(symbol.Spot("ETH", "BTC"), "ETHBTC", false); h.Market != sdk.MarketSpot || h.Status != sdk.InstrumentHalted {
		t.Errorf("halted spot: %+v", h)
	}

	rows := []string{"A", "skip", "B"}
	out, err := Collect("test", rows, func(r string) (sdk.Instrument, bool, error) {
		return Instrument(symbol.Spot(r, "USDT"), r+"USDT", true), r != "skip", nil
	})
	if err != nil || len(out) != 2 || out[1].Symbol != "B/USDT" {
		t.Errorf("collected %+v, %v", out, err)
	}
	_, err = Collect("test", rows, func(r string) (sdk.Instrument, bool, error) {
		return Instrument(symbol.Spot(r, "USDT"), r+"USDT", true), true, errors.New("bad tick")
	})
	if err == nil || sdk.KindOf(err) != sdk.KindUnknown || !containsAll(err.Error(), "test:", "AUSDT", "bad tick") {
		t.Errorf("a malformed row: %v", err)
	}

	err = UnknownMarket("test", "options")
	if err == nil || sdk.KindOf(err) != sdk.KindInvalidRequest {
		t.Errorf("unknown market: %v", err)
	}
}

func TestPublic(t *testing.T) {
	acct := sdk.Account{APIKey: "k", SecretKey: "s", Passphrase: "p", Testnet: true, Endpoints: map[string]string{"rest": "http://x"}}
	p := Public(acct)
	if p.APIKey != "" || p.SecretKey != "" || p.Passphrase != "" || !p.Testnet || p.Endpoints["rest"] != "http://x" {
		t.Errorf("public account %+v", p)
	}
}

func containsAll(s string, parts ...string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}
