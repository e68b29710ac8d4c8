package prices

import (
	"fmt"
	"strings"
	"time"

	"github.com/globalautomation/gahost/host/internal/store"
	"github.com/globalautomation/gahost/sdk"
	"github.com/shopspring/decimal"
)

// Valuation is what an account's snapshot is worth in USDT at the prices
// of one Book. Every amount is exact (the decimal products and sums of the
// stored amounts and the exchange's prices); where a part cannot be valued
// its value is nil and a reason says why, and every total over it is nil
// too: a total that leaves something out would be a wrong number.
type Valuation struct {
	// Assets are the non-zero spot balances, in the snapshot's order.
	Assets []AssetValue
	// SpotValue is the sum of the assets' values.
	SpotValue *decimal.Decimal
	// FuturesMargin is the futures margin balance (wallet plus unrealized
	// PnL) in USDT: zero without a futures account.
	FuturesMargin *decimal.Decimal
	// UnrealizedPnL is the futures account's unrealized PnL in USDT, or
	// the positions' sum where the account has no futures wallet.
	UnrealizedPnL *decimal.Decimal
	// Equity is SpotValue + FuturesMargin.
	Equity *decimal.Decimal
	// Missing says why Equity is nil; empty when it is not.
	Missing string
	// PricesAt is when the prices used were read; zero when none was
	// needed (nothing but USDT).
	PricesAt time.Time
}

// AssetValue is one spot balance valued in USDT.
type AssetValue struct {
	Asset string
	Total decimal.Decimal
	// Price is the asset's value in USDT, Value is Total × Price; both nil
	// when the asset has no price, and Missing says why.
	Price   *decimal.Decimal
	Value   *decimal.Decimal
	Missing string
}

var one = decimal.NewFromInt(1)

// Value values snap at the prices of b as they stand at now: prices read
// more than maxAge before now are not used (a zero maxAge takes them at
// any age). The valuation asset is worth 1 whatever b holds. A part of the
// snapshot that was never read (its last sync failed it and no earlier one
// fetched it) leaves the equity unknown rather than counting as zero.
func Value(snap store.Snapshot, b Book, now time.Time, maxAge time.Duration) Valuation {
	var v Valuation
	var missing []string
	usedPrices := false
	price := func(asset string) (decimal.Decimal, string) {
		if strings.EqualFold(asset, sdk.ValuationAsset) || asset == "" {
			return one, ""
		}
		usedPrices = true
		return b.price(asset, now, maxAge)
	}

	spot := decimal.Zero
	spotKnown := true
	if snap.SpotAt.IsZero() && snap.Errors[store.PartSpot] != "" {
		spotKnown = false
		missing = append(missing, "the spot balances were never read: "+snap.Errors[store.PartSpot])
	}
	for _, bal := range snap.Spot {
		total := bal.Free.Add(bal.Locked)
		if total.IsZero() {
			continue
		}
		av := AssetValue{Asset: bal.Asset, Total: total}
		if p, why := price(bal.Asset); why == "" {
			value := total.Mul(p)
			av.Price, av.Value = &p, &value
			spot = spot.Add(value)
		} else {
			av.Missing = why
			spotKnown = false
			missing = append(missing, fmt.Sprintf("%s has no value: %s", bal.Asset, why))
		}
		v.Assets = append(v.Assets, av)
	}
	if spotKnown {
		v.SpotValue = &spot
	}

	margin, upnl := decimal.Zero, decimal.Zero
	futuresKnown, upnlKnown := true, true
	switch f := snap.Futures; {
	case f != nil:
		if p, why := price(f.Asset); why == "" {
			margin, upnl = f.MarginBalance.Mul(p), f.UnrealizedPnL.Mul(p)
		} else {
			futuresKnown = false
			missing = append(missing, fmt.Sprintf("the futures wallet in %s has no value: %s", f.Asset, why))
		}
	case snap.Errors[store.PartFutures] != "":
		futuresKnown = false
		missing = append(missing, "the futures account was never read: "+snap.Errors[store.PartFutures])
	default:
		// No futures wallet (or an exchange without one): the positions
		// still carry their PnL, in the asset each settles in.
		for _, pos := range snap.Positions {
			_, settle, _ := strings.Cut(pos.Symbol, ":")
			p, why := price(settle)
			if why != "" {
				// The equity does not count it: only the PnL is unknown.
				upnlKnown = false
				break
			}
			upnl = upnl.Add(pos.UnrealizedPnL.Mul(p))
		}
	}
	if futuresKnown {
		v.FuturesMargin = &margin
		if upnlKnown {
			v.UnrealizedPnL = &upnl
		}
	}
	if spotKnown && futuresKnown {
		equity := spot.Add(margin)
		v.Equity = &equity
	} else {
		v.Missing = strings.Join(missing, "; ")
	}
	if usedPrices {
		v.PricesAt = b.At
	}
	return v
}
