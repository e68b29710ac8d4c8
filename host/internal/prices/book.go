package prices

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/globalautomation/gahost/sdk"
	"github.com/shopspring/decimal"
)

// Book is the last price read of one exchange on one network (live or
// testnet: they list different markets at different prices).
type Book struct {
	Exchange string
	Testnet  bool
	// At is when Prices were read; zero before the first read that worked.
	At time.Time
	// Asked are the assets that read asked for, upper-cased.
	Asked []string
	// Prices is the exchange's answer: each asked asset priced or missing
	// with the exchange's reason.
	Prices sdk.Prices
	// Unsupported: the exchange's plugin serves no prices (it does not
	// declare the capability, or answered that it cannot).
	Unsupported bool
	// Err is why the last read failed, and ErrAt when; empty after a read
	// that worked. A failed read keeps the prices of the one before.
	Err   string
	ErrAt time.Time
}

// price is the value of asset in the valuation asset, or the reason it has
// none at now.
func (b Book) price(asset string, now time.Time, maxAge time.Duration) (decimal.Decimal, string) {
	asset = strings.ToUpper(asset)
	failure := ""
	if b.Err != "" {
		failure = fmt.Sprintf(" (the last read, at %s, failed: %s)", b.ErrAt.UTC().Format(time.RFC3339), b.Err)
	}
	switch {
	case b.Unsupported:
		return decimal.Zero, fmt.Sprintf("the %s plugin serves no prices", b.name())
	case b.At.IsZero():
		return decimal.Zero, fmt.Sprintf("the prices of %s have not been read yet%s", b.name(), failure)
	case maxAge > 0 && now.Sub(b.At) > maxAge:
		return decimal.Zero, fmt.Sprintf("the prices of %s were last read at %s, more than %s ago%s",
			b.name(), b.At.UTC().Format(time.RFC3339), maxAge, failure)
	}
	if p, ok := b.Prices.Asset(asset); ok && p.Last.IsPositive() {
		return p.Last, ""
	}
	for _, m := range b.Prices.Missing {
		if strings.EqualFold(m.Asset, asset) {
			return decimal.Zero, m.Reason
		}
	}
	if !slices.Contains(b.Asked, asset) {
		// Held since the last read: the next one asks for it.
		return decimal.Zero, fmt.Sprintf("%s was not held when the prices of %s were last read, at %s",
			asset, b.name(), b.At.UTC().Format(time.RFC3339))
	}
	return decimal.Zero, fmt.Sprintf("%s did not price %s", b.name(), asset)
}

func (b Book) name() string {
	if b.Testnet {
		return b.Exchange + " (testnet)"
	}
	return b.Exchange
}
