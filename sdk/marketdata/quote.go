package marketdata

import (
	"strconv"
	"strings"
	"time"

	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/num"
)

// Quote reads a price row written the way most exchanges write one: the
// last and the mark price as decimal texts, either empty where the row has
// none (a spot row has no mark price), and the row's time in Unix
// milliseconds, 0 or less when the exchange sends none. A price that is
// there but is not a decimal is an error naming which one, for Lists to
// report as a malformed answer.
func Quote(last, mark string, ms int64) (sdk.Price, error) {
	var f num.Fields
	p := sdk.Price{Last: f.ParseOrZero("last price", last), Mark: f.ParseOrZero("mark price", mark)}
	if ms > 0 {
		p.Time = time.UnixMilli(ms).UTC()
	}
	return p, f.Err()
}

// Millis is a time in Unix milliseconds that an exchange writes as text
// ("1718000000000"), or 0 when the text is empty or not a positive whole
// number: a price without a time is still a price.
func Millis(text string) int64 {
	ms, err := strconv.ParseInt(strings.TrimSpace(text), 10, 64)
	if err != nil || ms < 0 {
		return 0
	}
	return ms
}
