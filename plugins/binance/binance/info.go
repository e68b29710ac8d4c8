package binance

import (
	"context"
	"time"

	"github.com/globalautomation/gahost/sdk"
)

// Rate-limit names as reported in sdk.RateUsage: spot and futures count
// IP weight on separate hosts with separate budgets (§6).
const (
	limitSpotWeight    = "request_weight"
	limitFuturesWeight = "futures_request_weight"
)

var rateLimits = []sdk.RateLimit{
	{Name: limitSpotWeight, Limit: 6000, Interval: time.Minute, Scope: sdk.ScopeIP},
	{Name: limitFuturesWeight, Limit: 2400, Interval: time.Minute, Scope: sdk.ScopeIP},
}

// callCosts are the request weights of each capability's calls (§5). They
// are summed against the first (spot) budget, as sdk.Info asks; adding the
// futures weights there makes a full sync's estimate conservative for both
// hosts.
var callCosts = map[string]int64{
	sdk.CapSpotBalances:   20, // GET /api/v3/account
	sdk.CapFuturesAccount: 5,  // GET /fapi/v3/account
	sdk.CapPositions:      10, // GET /fapi/v3/positionRisk + /fapi/v1/symbolConfig
	sdk.CapOrders:         1,  // POST or DELETE order
	sdk.CapValidate:       6,  // GET /sapi/v1/account/apiRestrictions + /fapi/v1/accountConfig
}

// Info describes the connector without calling Binance.
func (c *Connector) Info(context.Context) (sdk.Info, error) {
	costs := make(map[string]int64, len(callCosts))
	for k, v := range callCosts {
		costs[k] = v
	}
	return sdk.Info{
		Name:               "binance",
		DisplayName:        "Binance",
		Version:            c.version,
		RequiresPassphrase: false,
		SupportsTestnet:    true,
		EndpointKeys:       []string{EndpointSpot, EndpointFutures},
		Capabilities:       []string{sdk.CapSpotBalances, sdk.CapFuturesAccount, sdk.CapPositions, sdk.CapOrders},
		RateLimits:         append([]sdk.RateLimit(nil), rateLimits...),
		CallCosts:          costs,
	}, nil
}
