package marketdata

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"testing"

	"github.com/globalautomation/gahost/sdk"
)

func TestLoneAndJoin(t *testing.T) {
	last := map[string]string{"A": "1", "B": "2"}
	if got := Lone[string, int](last); !reflect.DeepEqual(got, map[string]Pair[string, int]{"A": {Last: "1"}, "B": {Last: "2"}}) {
		t.Errorf("Lone = %v", got)
	}
	marks := map[string]int{"B": 20, "C": 30}
	want := map[string]Pair[string, int]{"B": {Last: "2", Mark: 20}, "C": {Mark: 30}}
	if got := Join(last, marks); !reflect.DeepEqual(got, want) {
		t.Errorf("Join = %v, want %v (A has no mark price and is left out)", got, want)
	}
}

// Apart reads the spot list alone for spot, and the last and mark lists,
// in that order, for futures; a failing list is the read's error.
func TestApart(t *testing.T) {
	var reads []string
	list := func(name string, rows map[string]string, err error) List[string] {
		return func(context.Context) (map[string]string, error) {
			reads = append(reads, name)
			return rows, err
		}
	}
	read := Apart(list("spot", map[string]string{"A": "1"}, nil), list("last", map[string]string{"A": "2", "B": "3"}, nil), list("marks", map[string]string{"B": "4"}, nil))
	got, err := read(context.Background(), sdk.MarketSpot)
	if err != nil || !reflect.DeepEqual(got, map[string]Pair[string, string]{"A": {Last: "1"}}) || !slices.Equal(reads, []string{"spot"}) {
		t.Errorf("spot: %v, %v after reading %q; want A's spot row alone", got, err, reads)
	}
	reads = nil
	got, err = read(context.Background(), sdk.MarketFutures)
	if err != nil || !reflect.DeepEqual(got, map[string]Pair[string, string]{"B": {Last: "3", Mark: "4"}}) || !slices.Equal(reads, []string{"last", "marks"}) {
		t.Errorf("futures: %v, %v after reading %q; want B joined with its mark", got, err, reads)
	}

	boom := errors.New("down")
	for name, r := range map[string]func(context.Context, sdk.Market) (map[string]Pair[string, string], error){
		"spot":  Apart(list("spot", nil, boom), list("last", nil, nil), list("marks", nil, nil)),
		"last":  Apart(list("spot", nil, nil), list("last", nil, boom), list("marks", nil, nil)),
		"marks": Apart(list("spot", nil, nil), list("last", nil, nil), list("marks", nil, boom)),
	} {
		m := sdk.MarketFutures
		if name == "spot" {
			m = sdk.MarketSpot
		}
		if _, err := r(context.Background(), m); !errors.Is(err, boom) {
			t.Errorf("a failing %s list: %v", name, err)
		}
	}
	reads = nil
	if _, err := Apart(list("spot", nil, nil), list("last", nil, boom), list("marks", nil, nil))(context.Background(), sdk.MarketFutures); err == nil || slices.Contains(reads, "marks") {
		t.Errorf("a failing last list: %v after reading %q; want the error and no mark read", err, reads)
	}
}
