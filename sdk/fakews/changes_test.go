package fakews

import (
	"slices"
	"testing"
)

func TestChanges(t *testing.T) {
	type row struct{ Asset, Free string }
	key := func(r row) string { return r.Asset }
	before := []row{{"BTC", "1"}, {"ETH", "2"}, {"SOL", "3"}}
	now := []row{{"ETH", "2"}, {"BTC", "1.5"}, {"DOGE", "9"}}
	changed, gone := Changes(before, now, key)
	if want := []row{{"BTC", "1.5"}, {"DOGE", "9"}}; !slices.Equal(changed, want) {
		t.Errorf("changed %v, want %v", changed, want)
	}
	if want := []row{{"SOL", "3"}}; !slices.Equal(gone, want) {
		t.Errorf("gone %v, want %v", gone, want)
	}
	if changed, gone := Changes(now, slices.Clone(now), key); changed != nil || gone != nil {
		t.Errorf("an unchanged list: changed %v, gone %v", changed, gone)
	}
	if changed, gone := Changes(nil, now[:1], key); len(changed) != 1 || gone != nil {
		t.Errorf("from nothing: changed %v, gone %v", changed, gone)
	}
}
