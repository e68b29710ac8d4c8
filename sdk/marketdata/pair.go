package marketdata

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
