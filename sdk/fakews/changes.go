package fakews

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
