package sdk

import "testing"

func TestMarginModeOf(t *testing.T) {
	for word, want := range map[string]MarginMode{
		"isolated": MarginIsolate, "ISOLATED": MarginIsolate, "Isolated": MarginIsolate,
		"cross": MarginCross, "CROSSED": MarginCross, "crossed": MarginCross,
	} {
		if got, ok := MarginModeOf(word); !ok || got != want {
			t.Errorf("MarginModeOf(%q) = %q, %v; want %q", word, got, ok, want)
		}
	}
	for _, word := range []string{"", "portfolio", "isolate", "cross "} {
		if got, ok := MarginModeOf(word); ok || got != "" {
			t.Errorf("MarginModeOf(%q) = %q, %v; want no mode", word, got, ok)
		}
	}
}
