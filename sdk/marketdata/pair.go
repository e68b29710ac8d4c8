package marketdata

import (
	"context"

	"github.com/globalautomation/gahost/sdk"
)

// Pair is a symbol's row of an exchange's last-price list and, for a
// perpetual, its row of the mark-price list, for the exchanges that
// publish the two as separate lists. Mark is the zero M on spot.
type Pair[L, M any] struct {
	Last L
	Mark M
}

// Lone pairs every row of a last-price list with no mark price: a spot
// list, where there is none.
func Lone[L, M any](last map[string]L) map[string]Pair[L, M] {
	out := make(map[string]Pair[L, M], len(last))
	for k, l := range last {
		out[k] = Pair[L, M]{Last: l}
	}
	return out
}

// Join pairs each row of marks with the row of last under the same
// exchange symbol (the zero L when last has none). A symbol that is in
// last but not in marks is left out: a perpetual is priced only with a
// mark price.
func Join[L, M any](last map[string]L, marks map[string]M) map[string]Pair[L, M] {
	out := make(map[string]Pair[L, M], len(marks))
	for k, m := range marks {
		out[k] = Pair[L, M]{Last: last[k], Mark: m}
	}
	return out
}

// List reads one whole list of an exchange, keyed by native name (Index).
type List[R any] func(ctx context.Context) (map[string]R, error)

// Apart is Lists.Read for an exchange that publishes mark prices in a list
// of their own: a spot symbol is priced from the spot list alone (Lone), a
// perpetual from the futures last-price list joined with the mark-price
// list (Join), the two read in that order. A list that fails ends the read
// with its error.
func Apart[L, M any](spot, last List[L], marks List[M]) func(context.Context, sdk.Market) (map[string]Pair[L, M], error) {
	return func(ctx context.Context, m sdk.Market) (map[string]Pair[L, M], error) {
		if m == sdk.MarketSpot {
			rows, err := spot(ctx)
			if err != nil {
				return nil, err
			}
			return Lone[L, M](rows), nil
		}
		l, err := last(ctx)
		if err != nil {
			return nil, err
		}
		k, err := marks(ctx)
		if err != nil {
			return nil, err
		}
		return Join(l, k), nil
	}
}
