package marketdata

import (
	"reflect"
	"testing"
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
