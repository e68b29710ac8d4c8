package fakex

// What the fakes' public market data shares: the listed symbols as rows in
// a stable order, the mark prices a test sets on perpetuals, the per-symbol
// trading rules with a default for symbols listed later, and the 8-hourly
// funding clock.

import (
	"maps"
	"slices"
	"sync"
	"time"
)

// Rows is one row per listed symbol, in symbol order, made by row; only,
// when set, keeps that symbol alone (a query's "symbol" parameter). The
// list is empty, never nil, so that it encodes as [].
func Rows[M, R any](listed map[string]M, only string, row func(sym string, m M) R) []R {
	out := []R{}
	for _, sym := range slices.Sorted(maps.Keys(listed)) {
		if only == "" || only == sym {
			out = append(out, row(sym, listed[sym]))
		}
	}
	return out
}

// Marks are the mark prices a test set on a fake's perpetuals. Its zero
// value is ready; the fake guards it with its own mutex.
type Marks struct{ m map[string]string }

// Set marks symbol at mark, under mu.
func (k *Marks) Set(mu *sync.Mutex, symbol, mark string) {
	mu.Lock()
	defer mu.Unlock()
	if k.m == nil {
		k.m = map[string]string{}
	}
	k.m[symbol] = mark
}

// Of is symbol's mark price: the one set, else last, the price market
// orders fill at. The caller holds the fake's mutex.
func (k *Marks) Of(symbol, last string) string {
	if v, ok := k.m[symbol]; ok {
		return v
	}
	return last
}

// Rules are an exchange's trading rules per symbol, R being how the fake
// writes them, with the rules a symbol listed after start gets.
type Rules[R any] struct {
	Listed  map[string]R
	Default R
}

// Of is symbol's rules.
func (r Rules[R]) Of(symbol string) R {
	if v, ok := r.Listed[symbol]; ok {
		return v
	}
	return r.Default
}

// NextFunding is the next funding time after now on the 8-hourly clock
// (00:00, 08:00 and 16:00 UTC) the exchanges' perpetuals share, in Unix
// milliseconds as their answers carry it.
func NextFunding(now time.Time) int64 {
	return now.Truncate(8 * time.Hour).Add(8 * time.Hour).UnixMilli()
}
