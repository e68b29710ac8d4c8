package sdk

import (
	"strings"

	"github.com/shopspring/decimal"
)

// PositionSideOf reads a position's side the way every exchange states
// it: word is the exchange's own ("LONG", "short", "Long"), in any case;
// any other word (one-way mode's "BOTH" or "net", or none) leaves the side
// to the sign of size, negative being short.
func PositionSideOf(word string, size decimal.Decimal) PositionSide {
	switch strings.ToLower(word) {
	case string(SideLong):
		return SideLong
	case string(SideShort):
		return SideShort
	}
	if size.IsNegative() {
		return SideShort
	}
	return SideLong
}
