// Package holdings is what the connectors' account reads do alike once
// the exchange has answered: turn its rows of balances and positions into
// the sdk's types, leave out what holds nothing, find the futures
// account's row among the wallet's, and word a malformed row, and the
// credentials check's note on the position mode, the same way on every
// exchange.
//
// How a row reads — the exchange's field names, which of its amounts is
// free and which locked, how it tells a position's side — stays in each
// connector, in the read function it passes. The package makes no
// request and knows no exchange.
package holdings

import (
	"errors"

	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/num"
	"github.com/globalautomation/gahost/sdk/redact"
	"github.com/globalautomation/gahost/sdk/rest"
	"github.com/shopspring/decimal"
)

// Balances turns an exchange's balance rows into sdk.Balances. read gives
// a row's balance as the exchange states it, with the first failure to
// read its amounts. A row without an asset name, or whose amounts do not
// read, makes the whole answer malformed (what names the list, e.g. "spot
// balance", and the error the asset). A balance with nothing free and
// nothing locked is left out, since exchanges go on listing assets once
// held; one whose free part is negative (a debt, on exchanges that lend)
// is kept even where the two parts sum to zero.
func Balances[R any](exchange, what string, rows []R, read func(R) (sdk.Balance, error)) ([]sdk.Balance, error) {
	out := make([]sdk.Balance, 0, len(rows))
	for _, r := range rows {
		b, err := read(r)
		switch {
		case b.Asset == "":
			return nil, rest.Malformed(exchange, what, errors.New("no asset name"))
		case err != nil:
			return nil, rest.Malformed(exchange, what+" of "+redact.Clip(b.Asset, rest.MaxText), err)
		case b.Free.IsZero() && b.Locked.IsZero():
			continue
		}
		out = append(out, b)
	}
	return out, nil
}

// Positions keeps the open positions among an exchange's position rows.
// read gives a row's position and whether it is open (a row of size zero,
// which some exchanges list for a symbol with only orders, is not); its
// error ends the read as it is, since read words it with the symbol.
func Positions[R any](rows []R, read func(R) (sdk.Position, bool, error)) ([]sdk.Position, error) {
	out := make([]sdk.Position, 0, len(rows))
	for _, r := range rows {
		p, open, err := read(r)
		if err != nil {
			return nil, err
		}
		if open {
			out = append(out, p)
		}
	}
	return out, nil
}

// Sized is a position row with its size as read, for a connector that
// reads more (leverage, margin mode) about the open positions before it
// turns them into sdk.Positions.
type Sized[R any] struct {
	Row  R
	Size decimal.Decimal // as the exchange states it, sign included
}

// Open keeps the rows whose size is not zero, each with its size read.
// size gives a row's symbol and its size text; a size that does not read
// makes the whole answer malformed, naming the row by its symbol.
func Open[R any](exchange string, rows []R, size func(R) (symbol, amount string)) ([]Sized[R], error) {
	var out []Sized[R]
	for _, r := range rows {
		sym, amount := size(r)
		d, err := num.Parse(amount)
		if err != nil {
			return nil, rest.Malformed(exchange, "position size of "+redact.Clip(sym, rest.MaxText), err)
		}
		if !d.IsZero() {
			out = append(out, Sized[R]{Row: r, Size: d})
		}
	}
	return out, nil
}

// Futures is the futures account kept in asset, the margin asset the
// connector trades ("USDT"): read fills it from the first of rows that
// isAsset says is asset's, with the first failure to read its amounts;
// Futures sets its Asset. A list without such a row is an empty account
// of asset, not an error; a row that does not read makes the answer
// malformed (what names the row, e.g. "futures USDT account").
func Futures[R any](exchange, what, asset string, rows []R, isAsset func(R) bool, read func(R) (sdk.FuturesAccount, error)) (sdk.FuturesAccount, error) {
	for _, r := range rows {
		if !isAsset(r) {
			continue
		}
		a, err := read(r)
		if err != nil {
			return sdk.FuturesAccount{}, rest.Malformed(exchange, what, err)
		}
		a.Asset = asset
		return a, nil
	}
	return sdk.FuturesAccount{Asset: asset}, nil
}

// PositionModeNote is the credentials check's note on the futures position
// mode, a setting the user changes by hand on every exchange: hedge keeps
// long and short positions on a symbol apart, one-way nets them.
func PositionModeNote(hedge bool) string {
	if hedge {
		return "futures position mode: hedge (long and short positions are separate)"
	}
	return "futures position mode: one-way"
}
