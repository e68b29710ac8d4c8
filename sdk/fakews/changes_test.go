package fakews

import (
	"slices"
	"sync"
	"testing"

	"github.com/globalautomation/gahost/sdk/fakex"
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

func TestRowsAndReplace(t *testing.T) {
	type row struct{ Asset, Free string }
	key := func(r row) string { return r.Asset }
	got := Rows([]row{{"BTC", "1"}, {"ETH", "2"}}, []row{{"BTC", "1"}, {"SOL", "3"}}, key, func(r row, gone bool) string {
		if gone {
			return r.Asset + "=0"
		}
		return r.Asset + "=" + r.Free
	})
	if want := []string{"SOL=3", "ETH=0"}; !slices.Equal(got, want) {
		t.Errorf("rows %v, want %v", got, want)
	}

	type account struct{ Rows []row }
	var mu sync.Mutex
	st := fakex.NewStore(&mu, func(k string) string { return k }, fakex.CloneRows[account])
	var pushed []account
	push := func(before account) { pushed = append(pushed, before) }
	Replace(st, "k", "k", account{Rows: []row{{"BTC", "1"}}}, push)
	if len(pushed) != 0 {
		t.Fatalf("a new key pushed from %v", pushed)
	}
	Replace(st, "k", "k", account{Rows: []row{{"BTC", "2"}}}, push)
	if len(pushed) != 1 || !slices.Equal(pushed[0].Rows, []row{{"BTC", "1"}}) || st.Account("k").Rows[0].Free != "2" {
		t.Errorf("replacing pushed from %v; the account is %v", pushed, st.Account("k"))
	}
}
