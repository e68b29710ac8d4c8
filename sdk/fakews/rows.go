package fakews

import "slices"

// SetRow is what the fakes' setters (SetSpot, SetPosition, ...) do to
// one list of an account before they push the event: the row that same
// matches becomes v, or is dropped when gone (a position closed); with no
// match, v is added unless gone. It returns the rows and the row that was
// replaced or dropped, if one was.
func SetRow[T any](rows []T, v T, gone bool, same func(T) bool) (out []T, old T, had bool) {
	i := slices.IndexFunc(rows, same)
	switch {
	case i >= 0 && gone:
		old = rows[i]
		return slices.Delete(rows, i, i+1), old, true
	case i >= 0:
		old = rows[i]
		rows[i] = v
		return rows, old, true
	case !gone:
		rows = append(rows, v)
	}
	return rows, old, false
}
