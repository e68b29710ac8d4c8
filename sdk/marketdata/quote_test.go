package marketdata

import (
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
)

func TestQuote(t *testing.T) {
	p, err := Quote("65000.5", "", 1718000000000)
	if err != nil || !p.Last.Equal(decimal.RequireFromString("65000.5")) || !p.Mark.IsZero() ||
		!p.Time.Equal(time.UnixMilli(1718000000000)) || p.Time.Location() != time.UTC {
		t.Fatalf("Quote = %+v, %v", p, err)
	}
	if p, err := Quote("", "1.25", 0); err != nil || !p.Last.IsZero() || !p.Mark.Equal(decimal.RequireFromString("1.25")) || !p.Time.IsZero() {
		t.Fatalf("a row without last price or time: %+v, %v", p, err)
	}
	for _, bad := range [][2]string{{"abc", ""}, {"1", "1e5"}, {"NaN", "1"}} {
		if _, err := Quote(bad[0], bad[1], 1); err == nil {
			t.Errorf("Quote(%q, %q) accepted", bad[0], bad[1])
		}
	}
	if _, err := Quote("1", "x", 1); err == nil || !strings.Contains(err.Error(), "mark price") {
		t.Errorf("a bad mark price: %v, want an error naming it", err)
	}
}

func TestMillis(t *testing.T) {
	for in, want := range map[string]int64{"1718000000000": 1718000000000, " 5 ": 5, "": 0, "-3": 0, "1.5": 0, "x": 0} {
		if got := Millis(in); got != want {
			t.Errorf("Millis(%q) = %d, want %d", in, got, want)
		}
	}
}
