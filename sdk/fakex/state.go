package fakex

// What the fakes' account state shares: a copy of an account a test can
// keep, rows looked up and made by a key column, how a fill moves a
// position's size and entry price, and what a spot trade moves in a wallet.

import (
	"reflect"
	"strings"

	"github.com/shopspring/decimal"
)

// CloneRows copies *a, a fake's account struct, with each of its slice
// and map fields copied one level deep: the copy a test keeps stays as it
// was while the fake goes on appending rows and changing them in place.
// Rows themselves are copied by value, so an account must keep no
// pointers in them. It is the usual clone to give NewStore.
func CloneRows[A any](a *A) A {
	c := *a
	v := reflect.ValueOf(&c).Elem()
	if v.Kind() != reflect.Struct {
		return c
	}
	for i := range v.NumField() {
		f := v.Field(i)
		if !f.CanSet() || (f.Kind() != reflect.Slice && f.Kind() != reflect.Map) || f.IsNil() {
			continue
		}
		if f.Kind() == reflect.Slice {
			n := reflect.MakeSlice(f.Type(), f.Len(), f.Len())
			reflect.Copy(n, f)
			f.Set(n)
			continue
		}
		n := reflect.MakeMapWithSize(f.Type(), f.Len())
		for it := f.MapRange(); it.Next(); {
			n.SetMapIndex(it.Key(), it.Value())
		}
		f.Set(n)
	}
	return c
}

// Find is the first of rows that match holds for, and whether there is
// one; the zero row when there is none, whose amounts read as zero with
// Amount.
func Find[T any](rows []T, match func(T) bool) (T, bool) {
	for _, r := range rows {
		if match(r) {
			return r, true
		}
	}
	var zero T
	return zero, false
}

// Upsert is the first of *rows that match holds for, appending the row
// made by fresh when there is none. The pointer is good until *rows
// changes again.
func Upsert[T any](rows *[]T, match func(T) bool, fresh func() T) *T {
	for i := range *rows {
		if match((*rows)[i]) {
			return &(*rows)[i]
		}
	}
	*rows = append(*rows, fresh())
	return &(*rows)[len(*rows)-1]
}

// Fill is a position's signed size and entry price after a fill of delta
// (signed: a buy is positive) at price, from size old held at entry, the
// way the exchanges average: adding to a position averages its entry,
// reducing it keeps the entry, crossing zero starts a new entry at price,
// and a closed position has none. Entries are rounded to 8 places.
func Fill(old, entry, delta, price decimal.Decimal) (size, newEntry decimal.Decimal) {
	size = old.Add(delta)
	switch {
	case size.IsZero():
		return size, decimal.Zero
	case old.IsZero() || old.Sign() != size.Sign():
		return size, price
	case old.Sign() == delta.Sign():
		return size, old.Mul(entry).Add(delta.Mul(price)).DivRound(size, 8)
	}
	return size, entry
}

// Trade is what a filled spot trade of qty base for cost quote moves in a
// wallet: a buy gains qty of the base and spends cost of the quote, a sell
// the reverse. side is the exchange's word for it in any case ("BUY",
// "Buy", "buy"); anything but a buy is a sell.
func Trade(side string, qty, cost decimal.Decimal) (base, quote decimal.Decimal) {
	if strings.EqualFold(side, "buy") {
		return qty, cost.Neg()
	}
	return qty.Neg(), cost
}

// Add adds d to the amount *field holds as text (read with Amount, so a
// malformed one counts as zero): how a fake moves a balance a test set.
func Add(field *string, d decimal.Decimal) {
	*field = Amount(*field).Add(d).String()
}
