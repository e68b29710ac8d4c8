package fakex

import (
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"
)

type cloneRow struct{ N string }

type cloneAccount struct {
	Rows    []cloneRow
	Empty   []cloneRow
	ByName  map[string]int
	Mode    string
	private []int
}

// A clone keeps its rows while the original changes them in place or
// appends, and keeps nil and empty apart.
func TestCloneRows(t *testing.T) {
	a := &cloneAccount{Rows: []cloneRow{{"1"}}, Empty: []cloneRow{}, ByName: map[string]int{"x": 1}, Mode: "m", private: []int{1}}
	c := CloneRows(a)
	a.Rows[0].N = "changed"
	a.Rows = append(a.Rows, cloneRow{"2"})
	a.ByName["x"] = 2
	a.ByName["y"] = 3
	if len(c.Rows) != 1 || c.Rows[0].N != "1" || c.ByName["x"] != 1 || len(c.ByName) != 1 || c.Mode != "m" {
		t.Fatalf("clone changed with the original: %+v", c)
	}
	if c.Empty == nil || len(c.Empty) != 0 || len(c.private) != 1 {
		t.Fatalf("clone = %+v", c)
	}
	var z cloneAccount
	if c := CloneRows(&z); c.Rows != nil || c.ByName != nil {
		t.Fatalf("nil fields made: %+v", c)
	}
}

func TestFindAndUpsert(t *testing.T) {
	rows := []cloneRow{{"a"}, {"b"}}
	is := func(n string) func(cloneRow) bool { return func(r cloneRow) bool { return r.N == n } }
	if r, ok := Find(rows, is("b")); !ok || r.N != "b" {
		t.Fatalf("Find b = %v %v", r, ok)
	}
	if r, ok := Find(rows, is("c")); ok || r != (cloneRow{}) {
		t.Fatalf("Find c = %v %v", r, ok)
	}
	Upsert(&rows, is("a"), func() cloneRow { t.Fatal("made a row that exists"); return cloneRow{} }).N = "A"
	Upsert(&rows, is("c"), func() cloneRow { return cloneRow{"c"} }).N = "C"
	if len(rows) != 3 || rows[0].N != "A" || rows[2].N != "C" {
		t.Fatalf("rows = %v", rows)
	}
}

func TestFill(t *testing.T) {
	d := decimal.RequireFromString
	tests := []struct {
		name                     string
		old, entry, delta, price string
		size, wantEntry          string
	}{
		{"open", "0", "0", "2", "100", "2", "100"},
		{"add averages", "2", "100", "2", "200", "4", "150"},
		{"add to a short averages", "-1", "300", "-3", "100", "-4", "150"},
		{"reduce keeps the entry", "4", "150", "-1", "500", "3", "150"},
		{"close has no entry", "3", "150", "-3", "500", "0", "0"},
		{"cross zero starts anew", "1", "150", "-3", "90", "-2", "90"},
		{"rounds to 8 places", "1", "1", "2", "2", "3", "1.66666667"},
	}
	for _, tt := range tests {
		size, entry := Fill(d(tt.old), d(tt.entry), d(tt.delta), d(tt.price))
		if !size.Equal(d(tt.size)) || !entry.Equal(d(tt.wantEntry)) {
			t.Errorf("%s: got %s @ %s, want %s @ %s", tt.name, size, entry, tt.size, tt.wantEntry)
		}
	}
}

func TestAdd(t *testing.T) {
	for _, tt := range []struct{ was, add, want string }{
		{"1.5", "2.25", "3.75"}, {"", "-1", "-1"}, {"garbage", "0.1", "0.1"}, {"10", "-10", "0"},
	} {
		f := tt.was
		if Add(&f, decimal.RequireFromString(tt.add)); f != tt.want {
			t.Errorf("%q + %s = %q, want %q", tt.was, tt.add, f, tt.want)
		}
	}
}

func TestTrade(t *testing.T) {
	d := decimal.RequireFromString
	tests := []struct{ side, base, quote string }{
		{"BUY", "0.5", "-30000"},
		{"Buy", "0.5", "-30000"},
		{"buy", "0.5", "-30000"},
		{"SELL", "-0.5", "30000"},
		{"Sell", "-0.5", "30000"},
	}
	for _, tt := range tests {
		base, quote := Trade(tt.side, d("0.5"), d("30000"))
		if !base.Equal(d(tt.base)) || !quote.Equal(d(tt.quote)) {
			t.Errorf("Trade(%s) = %s base, %s quote; want %s, %s", tt.side, base, quote, tt.base, tt.quote)
		}
	}
}

func TestWindows(t *testing.T) {
	var ws Windows
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	w := ws.Get("a", 2, time.Second)
	w.Spend(now, 2)
	if ws.Get("a", 2, time.Second) != w || ws.Get("b", 2, time.Second) == w {
		t.Fatal("a window is not kept by its name")
	}
	if n := ws.Get("a", 5, time.Second); n == w || n.Used(now) != 0 || n.Limit != 5 {
		t.Fatal("a changed limit kept the old window")
	}
}

func TestIsDecimal(t *testing.T) {
	for _, tt := range []struct {
		s      string
		digits int
		ok     bool
	}{
		{"1", 0, true}, {"0.001", 0, true}, {"30000", 20, true}, {"1.5", 20, true},
		{"", 0, false}, {".5", 0, false}, {"5.", 0, false}, {"-1", 0, false}, {"+1", 0, false},
		{"1e5", 0, false}, {"1.2.3", 0, false}, {" 1", 0, false}, {"1,5", 0, false},
		{"123456789012345678901", 20, false}, {"123456789012345678901", 0, true},
		{"1.123456789012345678901", 20, false}, {"12345678901234567890.12345678901234567890", 20, true},
	} {
		if got := IsDecimal(tt.s, tt.digits); got != tt.ok {
			t.Errorf("IsDecimal(%q, %d) = %v", tt.s, tt.digits, got)
		}
	}
}

// Start serves the handler and keeps accounts whose copies do not change
// with the fake's own.
func TestStart(t *testing.T) {
	var mu sync.Mutex
	srv, st := Start[ctlKey, cloneAccount](&mu, func(k ctlKey) string { return k.APIKey },
		func(w http.ResponseWriter, r *http.Request) { WriteJSON(w, http.StatusTeapot, nil) })
	defer srv.Close()
	st.Seed(ctlKey{APIKey: "k"}, cloneAccount{Rows: []cloneRow{{"1"}}})
	kept := st.Account("k")
	st.Update("k", func(a *cloneAccount) { a.Rows[0].N = "2" })
	if kept.Rows[0].N != "1" || st.Account("k").Rows[0].N != "2" {
		t.Fatalf("kept %+v, now %+v", kept, st.Account("k"))
	}
	resp, err := http.Get(srv.URL() + "/x")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusTeapot || srv.Calls("/x") != 1 {
		t.Fatalf("status %d, calls %d", resp.StatusCode, srv.Calls("/x"))
	}
}
