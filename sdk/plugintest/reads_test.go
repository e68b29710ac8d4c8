package plugintest

import (
	"slices"
	"testing"
)

func TestSpotTotal(t *testing.T) {
	if got := (Spot{Asset: "X", Free: "1.50", Locked: "0.000000000000000001"}).Total(); got != "1.500000000000000001" {
		t.Fatalf("total %s", got)
	}
}

// The rows SpotHoldings must read as leave out the zero row and keep
// every digit of the others, in order.
func TestSharedRows(t *testing.T) {
	want := []string{
		"BTC free=4723846.89208129 locked=0",
		"USDT free=566773.193402631 locked=244.18616265388994",
		"DOGE free=0.00000001 locked=12.5",
		"ETH free=0 locked=1.000000000000000001",
	}
	if got := sharedRows(); !slices.Equal(got, want) {
		t.Fatalf("shared rows %q", got)
	}
}
