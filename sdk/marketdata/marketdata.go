// Package marketdata is what the connectors' public market-data calls
// (sdk.PriceReader and sdk.InstrumentLister) do the same way on every
// exchange: send no credentials, read each whole price list once, look the
// asked symbols up by the exchange's own names, answer through
// sdk.AnswerPrices, read a price row's decimal texts and time (Quote),
// pair separate last- and mark-price lists (Join, Apart), turn instrument rows
// into sdk.Instruments with a status, and word a malformed row or an
// unknown market alike.
//
// What a list is called, what its rows hold and how a row reads (the
// exchange's field names, its precision rules, when it says a symbol
// trades) stays in each connector. The package makes no request itself:
// the connector's own functions do, through its own client.
package marketdata

import (
	"context"

	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/redact"
	"github.com/globalautomation/gahost/sdk/rest"
	"github.com/globalautomation/gahost/sdk/symbol"
)

// Public is acct without its credentials: the market-data endpoints are
// unsigned, and nothing of the keys needs to travel to them. The routing
// (testnet, endpoint overrides) stays.
func Public(acct sdk.Account) sdk.Account {
	return sdk.Account{Testnet: acct.Testnet, Endpoints: acct.Endpoints}
}

// Lists is how one connector prices symbols from the exchange's whole
// ticker lists, R being a row as the connector reads it (for perpetuals
// often the last-price row and the mark-price row together).
type Lists[R any] struct {
	// Exchange names the exchange in the missing reasons and errors.
	Exchange string
	// Resolve is the connector's symbol rule (symbol.ResolveLinear with
	// its own wording); a symbol it refuses, or places on another market
	// than asked, is missing rather than an error.
	Resolve func(m sdk.Market, unified string) (sdk.Market, symbol.Symbol, error)
	// Native is the exchange's name of s on m, as Read keys its rows.
	Native func(m sdk.Market, s symbol.Symbol) string
	// Read fetches the whole lists of m (sdk.MarketSpot or
	// sdk.MarketFutures), keyed by native name. It is called at most once
	// per market per answer, and only for a market the request needs.
	Read func(ctx context.Context, m sdk.Market) (map[string]R, error)
	// Price reads one row. Its Symbol is set by Answer; an error makes the
	// whole answer malformed.
	Price func(r R) (sdk.Price, error)
}

// Answer reads the lists req needs, prices each symbol it asks for (and
// each asset's market against sdk.ValuationAsset) from them, and answers
// through sdk.AnswerPrices. A symbol the exchange cannot list, or that its
// list lacks, is missing with sdk.AnswerPrices's reason.
func (l Lists[R]) Answer(ctx context.Context, req sdk.PriceRequest) (sdk.Prices, error) {
	book := map[string]sdk.Price{}
	for _, side := range []struct {
		market sdk.Market
		want   []string
	}{{sdk.MarketSpot, req.SpotSymbols()}, {sdk.MarketFutures, req.FuturesSymbols()}} {
		if len(side.want) == 0 {
			continue
		}
		rows, err := l.Read(ctx, side.market)
		if err != nil {
			return sdk.Prices{}, err
		}
		for _, u := range side.want {
			m, s, err := l.Resolve(side.market, u)
			if err != nil || m != side.market {
				continue // missing: not a symbol the exchange can list there
			}
			native := l.Native(side.market, s)
			r, ok := rows[native]
			if !ok {
				continue
			}
			p, err := l.Price(r)
			if err != nil {
				return sdk.Prices{}, rest.Malformed(l.Exchange, "price of "+redact.Clip(native, rest.MaxText), err)
			}
			p.Symbol = u
			book[u] = p
		}
	}
	return sdk.AnswerPrices(l.Exchange, req, book), nil
}

// Index keys rows by the native name key gives each: a list as the
// exchange sends it, ready for Lists.Read to return.
func Index[R any](rows []R, key func(R) string) map[string]R {
	out := make(map[string]R, len(rows))
	for _, r := range rows {
		out[key(r)] = r
	}
	return out
}

// UnknownMarket is the error for an Instruments call on a market that is
// neither spot nor futures.
func UnknownMarket(exchange string, m sdk.Market) error {
	return sdk.Errorf(sdk.KindInvalidRequest, "%s: market %q is neither spot nor futures", exchange, redact.Clip(string(m), 20))
}

// Instrument starts the instrument of s, which the exchange names native:
// symbol, market, assets and status are set; the connector fills the
// trading rules. trading is the exchange's word that s takes orders now;
// anything else (suspended, pre-listing, settling) is halted.
func Instrument(s symbol.Symbol, native string, trading bool) sdk.Instrument {
	i := sdk.Instrument{
		Symbol: s.String(), NativeSymbols: []string{native}, Market: s.Market(),
		Base: s.Base, Quote: s.Quote, Settle: s.Settle, Status: sdk.InstrumentHalted,
	}
	if trading {
		i.Status = sdk.InstrumentTrading
	}
	return i
}

// Collect turns an exchange's rows into instruments. each returns a row's
// instrument, false to leave the row out (a market the connector does not
// trade), or an error when a field does not read, which makes the whole
// list malformed: half a rule book would let orders through that the
// exchange refuses. The error names the row by its first native symbol.
func Collect[R any](exchange string, rows []R, each func(R) (sdk.Instrument, bool, error)) ([]sdk.Instrument, error) {
	out := make([]sdk.Instrument, 0, len(rows))
	for _, r := range rows {
		i, ok, err := each(r)
		if err != nil {
			native := ""
			if len(i.NativeSymbols) > 0 {
				native = i.NativeSymbols[0]
			}
			return nil, rest.Malformed(exchange, "instrument "+redact.Clip(native, rest.MaxText), err)
		}
		if ok {
			out = append(out, i)
		}
	}
	return out, nil
}

// ByMarket picks what a connector keeps per market (a path, a category, a
// reader): spot's for sdk.MarketSpot, futures' for sdk.MarketFutures, and
// UnknownMarket's refusal for any other market.
func ByMarket[T any](exchange string, m sdk.Market, spot, futures T) (T, error) {
	switch m {
	case sdk.MarketSpot:
		return spot, nil
	case sdk.MarketFutures:
		return futures, nil
	}
	var none T
	return none, UnknownMarket(exchange, m)
}
