package marketdata

import (
	"testing"

	"github.com/globalautomation/gahost/sdk"
)

func TestByMarket(t *testing.T) {
	if v, err := ByMarket("ex", sdk.MarketSpot, "spot", "linear"); v != "spot" || err != nil {
		t.Errorf("spot: %q, %v", v, err)
	}
	if v, err := ByMarket("ex", sdk.MarketFutures, "spot", "linear"); v != "linear" || err != nil {
		t.Errorf("futures: %q, %v", v, err)
	}
	if v, err := ByMarket("ex", sdk.Market("options"), "spot", "linear"); v != "" || sdk.KindOf(err) != sdk.KindInvalidRequest {
		t.Errorf("another market: %q, %v; want UnknownMarket's refusal", v, err)
	}
}
