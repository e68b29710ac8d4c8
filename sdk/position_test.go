package sdk_test

import (
	"testing"

	"github.com/globalautomation/gahost/sdk"
	"github.com/shopspring/decimal"
)

func TestPositionSideOf(t *testing.T) {
	d := decimal.RequireFromString
	for _, c := range []struct {
		word string
		size string
		want sdk.PositionSide
	}{
		{"LONG", "-1", sdk.SideLong}, {"short", "1", sdk.SideShort}, {"Long", "0", sdk.SideLong},
		{"BOTH", "-0.5", sdk.SideShort}, {"net", "0.5", sdk.SideLong}, {"", "-2", sdk.SideShort}, {"", "0", sdk.SideLong},
	} {
		if got := sdk.PositionSideOf(c.word, d(c.size)); got != c.want {
			t.Errorf("PositionSideOf(%q, %s) = %s, want %s", c.word, c.size, got, c.want)
		}
	}
}
