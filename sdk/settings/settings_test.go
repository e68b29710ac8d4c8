package settings_test

import (
	"errors"
	"testing"
	"time"

	"github.com/globalautomation/gahost/sdk/settings"
)

func TestCacheReusesForTheSamePositionsWithinTTL(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	c := settings.New[string](time.Minute, func() time.Time { return now })
	open := settings.Positions([]string{"ETHUSDT", "BOTH", "1"}, []string{"BTCUSDT", "LONG", "0.5"})
	if _, ok := c.Get("key", open); ok {
		t.Fatal("an empty cache answered")
	}
	c.Put("key", open, "cross")
	if v, ok := c.Get("key", open); !ok || v != "cross" {
		t.Fatalf("got %q %v", v, ok)
	}
	// The same rows in another order name the same positions.
	if _, ok := c.Get("key", settings.Positions([]string{"BTCUSDT", "LONG", "0.5"}, []string{"ETHUSDT", "BOTH", "1"})); !ok {
		t.Error("the same positions in another order missed")
	}
	// A changed size, another account, or the TTL passed: read again.
	if _, ok := c.Get("key", settings.Positions([]string{"ETHUSDT", "BOTH", "2"}, []string{"BTCUSDT", "LONG", "0.5"})); ok {
		t.Error("a changed position hit")
	}
	if _, ok := c.Get("other", open); ok {
		t.Error("another account hit")
	}
	now = now.Add(time.Minute)
	if _, ok := c.Get("key", open); ok {
		t.Error("a value a whole TTL old hit")
	}
}

// Entries of accounts no longer synced are dropped when a later Put
// finds them too old.
func TestCachePrunes(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	c := settings.New[int](time.Minute, func() time.Time { return now })
	c.Put("a", "", 1)
	c.Put("b", "", 2)
	now = now.Add(2 * time.Minute)
	c.Put("c", "", 3)
	if n := c.Len(); n != 1 {
		t.Fatalf("%d entries after the others aged out, want 1", n)
	}
}

// Positions tells sets apart by every row's fields.
func TestPositionsNames(t *testing.T) {
	if settings.Positions() != "" {
		t.Error("no positions should name as empty")
	}
	a := settings.Positions([]string{"A", "B"})
	b := settings.Positions([]string{"A", "C"})
	if a == b {
		t.Error("different rows named alike")
	}
}

// Read reads only when nothing fresh is kept, and keeps nothing a failed
// read returned.
func TestCacheRead(t *testing.T) {
	c := settings.New[string](time.Minute, nil)
	reads := 0
	read := func() (string, error) { reads++; return "isolated", nil }
	for range 2 {
		if v, err := c.Read("key", "BTCUSDT/1", read); v != "isolated" || err != nil {
			t.Fatalf("Read = %q, %v", v, err)
		}
	}
	if reads != 1 {
		t.Errorf("%d reads for the same positions, want 1", reads)
	}
	boom := errors.New("down")
	if v, err := c.Read("key", "ETHUSDT/1", func() (string, error) { return "x", boom }); v != "" || err != boom {
		t.Errorf("failed read: %q, %v; want nothing and the error", v, err)
	}
	if _, ok := c.Get("key", "ETHUSDT/1"); ok {
		t.Error("a failed read was kept")
	}
}
