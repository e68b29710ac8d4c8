package sdk

// Public market data: prices to value balances and check an order's
// notional, and the instruments with the rules an order must follow. Both
// are optional interfaces beside Exchange, so a connector written before
// them still builds, and Serve answers the host that they are unsupported.

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// ValuationAsset is the asset balances are valued in.
const ValuationAsset = "USDT"

// PriceReader is a connector that reads public prices. The host calls it
// once per exchange per cycle for everything it needs priced, so an
// implementation reads whole ticker lists (one request per market it
// needs) rather than one request per symbol. The Account only routes the
// call (testnet, endpoint overrides): the requests are unsigned and the
// credentials, when present, are not sent.
type PriceReader interface {
	Prices(ctx context.Context, acct Account, req PriceRequest) (Prices, error)
}

// InstrumentLister is a connector that lists a market's instruments with
// their trading rules. Like PriceReader it is public.
type InstrumentLister interface {
	// Instruments lists the instruments of market (spot, or the linear
	// perpetuals the connector trades as futures). A market the connector
	// does not know is an error of KindInvalidRequest.
	Instruments(ctx context.Context, acct Account, market Market) ([]Instrument, error)
}

// PriceRequest names what to price.
type PriceRequest struct {
	// Symbols are unified symbols, spot ("BTC/USDT") or perpetual
	// ("BTC/USDT:USDT").
	Symbols []string
	// Assets are valued in ValuationAsset through their spot market
	// against it ("BTC" by "BTC/USDT"); ValuationAsset itself is worth 1.
	Assets []string
}

// NeedsSpot reports whether answering r takes the exchange's spot prices.
func (r PriceRequest) NeedsSpot() bool { return len(r.SpotSymbols()) > 0 }

// NeedsFutures reports whether r asks for a perpetual's price.
func (r PriceRequest) NeedsFutures() bool { return len(r.FuturesSymbols()) > 0 }

// SpotSymbols are the spot markets answering r takes, upper-cased and
// without repeats: its spot symbols, and for each asset other than
// ValuationAsset the asset's market against it ("BTC" needs "BTC/USDT").
func (r PriceRequest) SpotSymbols() []string {
	var out []string
	add := func(s string) {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	for _, s := range r.Symbols {
		if s = norm(s); s != "" && !strings.Contains(s, ":") {
			add(s)
		}
	}
	for _, a := range r.Assets {
		if a = norm(a); a != "" && a != ValuationAsset {
			add(a + "/" + ValuationAsset)
		}
	}
	return out
}

// FuturesSymbols are r's perpetual symbols, upper-cased and without
// repeats.
func (r PriceRequest) FuturesSymbols() []string {
	var out []string
	for _, s := range r.Symbols {
		if s = norm(s); strings.Contains(s, ":") && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

func norm(s string) string { return strings.ToUpper(strings.TrimSpace(s)) }

// Price is one price the exchange reported.
type Price struct {
	// Symbol is the unified symbol priced; for an asset's value, its spot
	// market against ValuationAsset, and empty for ValuationAsset itself.
	Symbol string
	// Asset is set when the price answers PriceRequest.Assets; Last is
	// then the asset's value in ValuationAsset.
	Asset string
	// Last is the last traded price, in the quote asset.
	Last decimal.Decimal
	// Mark is the exchange's mark price; zero for spot markets, which have
	// none.
	Mark decimal.Decimal
	// Time is when the exchange produced the price; zero when it did not
	// say.
	Time time.Time
}

// Reference is the price to value a position or an order's notional at:
// the mark price where the market has one, else the last traded price.
func (p Price) Reference() decimal.Decimal {
	if p.Mark.IsPositive() {
		return p.Mark
	}
	return p.Last
}

// MissingPrice is a symbol or asset asked for that has no price, with the
// reason in words a user can act on.
type MissingPrice struct {
	Symbol string // the symbol asked for, or "" for an asset
	Asset  string // the asset asked for, or "" for a symbol
	Reason string
}

// Prices answers a PriceRequest: every symbol and asset asked for is in
// exactly one of the two lists. An asset is never priced through another
// market or another exchange: without its own market it is missing.
type Prices struct {
	Prices  []Price
	Missing []MissingPrice
}

// Symbol returns the price of the unified symbol s.
func (p Prices) Symbol(s string) (Price, bool) {
	for _, x := range p.Prices {
		if x.Asset == "" && strings.EqualFold(x.Symbol, s) {
			return x, true
		}
	}
	return Price{}, false
}

// Asset returns the value of asset a in ValuationAsset.
func (p Prices) Asset(a string) (Price, bool) {
	for _, x := range p.Prices {
		if x.Asset != "" && strings.EqualFold(x.Asset, a) {
			return x, true
		}
	}
	return Price{}, false
}

// AnswerPrices answers req from book, the prices a connector read from the
// exchange's ticker lists keyed by unified symbol (each with its Symbol
// set). It does what every connector does the same way: asks are
// upper-cased and deduplicated, ValuationAsset is worth 1, an asset is
// valued by its spot market against ValuationAsset, and whatever book
// lacks, or has no positive price for, is missing with a reason naming
// exchange.
func AnswerPrices(exchange string, req PriceRequest, book map[string]Price) Prices {
	out := Prices{Prices: []Price{}, Missing: []MissingPrice{}}
	seen := map[string]bool{}
	for _, s := range req.Symbols {
		s = norm(s)
		if seen["s:"+s] {
			continue
		}
		seen["s:"+s] = true
		p, ok := book[s]
		switch {
		case !ok:
			out.Missing = append(out.Missing, MissingPrice{Symbol: s, Reason: exchange + " lists no market " + s})
		case !p.Reference().IsPositive():
			out.Missing = append(out.Missing, MissingPrice{Symbol: s, Reason: exchange + " reports no price for " + s})
		default:
			p.Asset = ""
			out.Prices = append(out.Prices, p)
		}
	}
	for _, a := range req.Assets {
		a = norm(a)
		if seen["a:"+a] {
			continue
		}
		seen["a:"+a] = true
		if a == ValuationAsset {
			out.Prices = append(out.Prices, Price{Asset: a, Last: decimal.NewFromInt(1)})
			continue
		}
		market := a + "/" + ValuationAsset
		p, ok := book[market]
		switch {
		case !ok:
			out.Missing = append(out.Missing, MissingPrice{Asset: a,
				Reason: exchange + " lists no " + market + " spot market to value " + a + " by"})
		case !p.Last.IsPositive():
			out.Missing = append(out.Missing, MissingPrice{Asset: a,
				Reason: exchange + " reports no last price for " + market})
		default:
			out.Prices = append(out.Prices, Price{Symbol: market, Asset: a, Last: p.Last, Time: p.Time})
		}
	}
	return out
}

// InstrumentStatus says whether an instrument takes orders.
type InstrumentStatus string

// Instrument statuses.
const (
	InstrumentTrading InstrumentStatus = "trading"
	// InstrumentHalted is listed but takes no new orders now (suspended,
	// pre-listing, delisting, settling).
	InstrumentHalted InstrumentStatus = "halted"
)

// Instrument is one instrument of a market with its trading rules.
// Quantities are in base units, as OrderRequest.Quantity is, even on an
// exchange that counts contracts.
type Instrument struct {
	Symbol string // unified, "BTC/USDT:USDT"
	// NativeSymbols are the exchange's own names for the instrument, the
	// one its API takes first ("BTC-USDT-SWAP"): what a trading alert may
	// send instead of the unified symbol.
	NativeSymbols []string
	Market        Market
	Base          string
	Quote         string
	Settle        string // "" for spot
	// LotStep: a quantity is a whole multiple of it.
	LotStep     decimal.Decimal
	MinQuantity decimal.Decimal
	// TickSize: a price is a whole multiple of it.
	TickSize decimal.Decimal
	// MinNotional is the smallest quantity x price accepted; zero when the
	// exchange sets none.
	MinNotional decimal.Decimal
	Status      InstrumentStatus
}

// FloorQuantity rounds q down to a multiple of the lot step: what may be
// sold of a balance of q. A zero step leaves q as it is.
func (i Instrument) FloorQuantity(q decimal.Decimal) decimal.Decimal {
	return floorStep(q, i.LotStep)
}

// FloorPrice rounds p down to a multiple of the tick size. A zero tick
// leaves p as it is.
func (i Instrument) FloorPrice(p decimal.Decimal) decimal.Decimal {
	return floorStep(p, i.TickSize)
}

// CeilPrice rounds p up to a multiple of the tick size. A zero tick leaves
// p as it is.
func (i Instrument) CeilPrice(p decimal.Decimal) decimal.Decimal {
	if !i.TickSize.IsPositive() {
		return p
	}
	return p.Div(i.TickSize).Ceil().Mul(i.TickSize)
}

func floorStep(v, step decimal.Decimal) decimal.Decimal {
	if !step.IsPositive() {
		return v
	}
	return v.Div(step).Floor().Mul(step)
}
