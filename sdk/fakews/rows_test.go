package fakews

import (
	"slices"
	"testing"
)

func TestSetRow(t *testing.T) {
	type row struct {
		K string
		V int
	}
	key := func(k string) func(row) bool { return func(r row) bool { return r.K == k } }
	rows := []row{{"a", 1}, {"b", 2}}
	for _, tc := range []struct {
		name string
		v    row
		gone bool
		want []row
		old  row
		had  bool
	}{
		{"replace", row{"b", 3}, false, []row{{"a", 1}, {"b", 3}}, row{"b", 2}, true},
		{"add", row{"c", 4}, false, []row{{"a", 1}, {"b", 3}, {"c", 4}}, row{}, false},
		{"drop", row{"a", 0}, true, []row{{"b", 3}, {"c", 4}}, row{"a", 1}, true},
		{"a closed row that is not there stays away", row{"z", 0}, true, []row{{"b", 3}, {"c", 4}}, row{}, false},
	} {
		var old row
		var had bool
		rows, old, had = SetRow(rows, tc.v, tc.gone, key(tc.v.K))
		if !slices.Equal(rows, tc.want) || old != tc.old || had != tc.had {
			t.Errorf("%s: %v, old %v %v; want %v, old %v %v", tc.name, rows, old, had, tc.want, tc.old, tc.had)
		}
	}
}
