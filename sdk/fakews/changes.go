package fakews

import "github.com/globalautomation/gahost/sdk/fakex"

// Changes compares two versions of one list of an account's rows, each row
// named by key (an asset, a symbol and side): changed holds the rows of
// now that are new or differ from the row of the same key in before, and
// gone the rows of before whose key now lacks, each in its list's order.
// It is what a fake pushes when a test or a demo replaces a whole account
// at once: the exchanges send events for what moved, nothing for what
// stayed as it was.
func Changes[T, K comparable](before, now []T, key func(T) K) (changed, gone []T) {
	was := make(map[K]T, len(before))
	for _, r := range before {
		was[key(r)] = r
	}
	is := make(map[K]bool, len(now))
	for _, r := range now {
		is[key(r)] = true
		if old, ok := was[key(r)]; !ok || old != r {
			changed = append(changed, r)
		}
	}
	for _, r := range before {
		if !is[key(r)] {
			gone = append(gone, r)
		}
	}
	return changed, gone
}

// Rows are what an event carries for the changes from before to now: row
// of each row that changed or was added, then of each one gone (gone
// true; the exchanges send a vanished balance or a closed position at
// zero), in their lists' order.
func Rows[T, K comparable, R any](before, now []T, key func(T) K, row func(r T, gone bool) R) []R {
	changed, gone := Changes(before, now, key)
	out := make([]R, 0, len(changed)+len(gone))
	for _, r := range changed {
		out = append(out, row(r, false))
	}
	for _, r := range gone {
		out = append(out, row(r, true))
	}
	return out
}

// Replace is a fake command's Add that pushes: it stores a as k's
// account in st, as Seed does, and when apiKey (k's) already had an
// account calls push with the account it replaced, for the fake to send
// its live streams the events its exchange sends for what changed (see
// Changes and Rows). A key new to the fake pushes nothing: no stream can
// be watching it yet. It is what POST /accounts calls, so that a demo
// that replaces whole accounts is streamed as a live exchange would be.
//
// The old account is read before the new one is stored, not in the same
// step: a change the fake makes in between (an order filled) is left out
// of the events, as a dropped event would be, and the client's
// reconciliation repairs it.
func Replace[K, A any](st *fakex.Store[K, A], apiKey string, k K, a A, push func(before A)) {
	_, had := st.Key(apiKey)
	before := st.Account(apiKey)
	st.Seed(k, a)
	if had {
		push(before)
	}
}
