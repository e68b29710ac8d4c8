// Package ratecard holds what a connector declares about its exchange's
// rate limits: the limits themselves and what each call costs against
// them, written once as a Card. From it come the three forms sdk.Info
// carries (RateLimits, Costs and the older CallCosts), and the limit a
// connector reports a usage header under.
//
// It only declares; it counts nothing and makes no calls. Pacing is the
// host's business, driven by what Info says.
package ratecard

import (
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/globalautomation/gahost/sdk"
)

// Card is a connector's rate limits and the cost of each of its calls.
type Card struct {
	// Limits come first-per-IP-limit first: a host older than Costs
	// paces every account of the exchange by the first per-IP limit.
	Limits []sdk.RateLimit
	// Costs says what one call of each capability costs, per limit it
	// draws on.
	Costs []sdk.CallCost
	// Legacy is the CallCosts older hosts read (capability -> cost
	// against the first limit), for a connector whose older figures are
	// not simply its Costs in the first limit. Nil derives them so.
	Legacy map[string]int64
}

// Fill returns info with RateLimits, Costs and CallCosts set from c, each
// a copy the caller may change.
func (c Card) Fill(info sdk.Info) sdk.Info {
	info.RateLimits = slices.Clone(c.Limits)
	info.Costs = slices.Clone(c.Costs)
	info.CallCosts = c.CallCosts()
	return info
}

// CallCosts is the older per-capability form of Costs: Legacy when set,
// else what each call costs against the first limit (a call that draws
// nothing from it costs 0 there but is still listed, as hosts that read
// this map treat a missing call as unknown rather than free).
func (c Card) CallCosts() map[string]int64 {
	if c.Legacy != nil {
		return maps.Clone(c.Legacy)
	}
	out := map[string]int64{}
	first := ""
	if len(c.Limits) > 0 {
		first = c.Limits[0].Name
	}
	for _, cc := range c.Costs {
		if _, seen := out[cc.Call]; !seen {
			out[cc.Call] = 0
		}
		if cc.Limit == first {
			out[cc.Call] += cc.Cost
		}
	}
	return out
}

// Limit is the limit called name; ok is false when c declares none.
func (c Card) Limit(name string) (l sdk.RateLimit, ok bool) {
	i := slices.IndexFunc(c.Limits, func(l sdk.RateLimit) bool { return l.Name == name })
	if i < 0 {
		return sdk.RateLimit{}, false
	}
	return c.Limits[i], true
}

// Used reads header of h as the units used of the limit called name, as
// one usage report. It reports nothing when the header is absent or not a
// whole number of at least 0, or when c declares no such limit: a wrong
// report would mislead the host's pacing more than none.
func (c Card) Used(h http.Header, header, name string) []sdk.RateUsage {
	return c.report(h, header, name, func(_ sdk.RateLimit, n int64) int64 { return n })
}

// Remaining is Used for a header that tells what is left of the limit
// rather than what is used.
func (c Card) Remaining(h http.Header, header, name string) []sdk.RateUsage {
	return c.report(h, header, name, func(l sdk.RateLimit, n int64) int64 { return max(l.Limit-n, 0) })
}

func (c Card) report(h http.Header, header, name string, used func(sdk.RateLimit, int64) int64) []sdk.RateUsage {
	v := strings.TrimSpace(h.Get(header))
	if v == "" {
		return nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	l, ok := c.Limit(name)
	if err != nil || n < 0 || !ok {
		return nil
	}
	return []sdk.RateUsage{{Name: l.Name, Used: used(l, n), Limit: l.Limit, Interval: l.Interval}}
}
