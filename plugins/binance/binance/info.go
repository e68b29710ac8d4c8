package binance

import (
	"time"

	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/ratecard"
)

// Rate-limit names as reported in sdk.RateUsage. Binance counts request
// weight per IP, separately for the spot host (/api, 6000 a minute) and
// the USDⓈ-M futures host (/fapi, 2400 a minute); each answer's
// X-MBX-USED-WEIGHT-1M is the count of the host that answered, and usage
// reports it under that host's limit.
const (
	limitSpotWeight    = "request_weight"
	limitFuturesWeight = "futures_request_weight"
)

var card = ratecard.Card{
	// Binance counts the weight of each clock minute: X-MBX-USED-WEIGHT-1M
	// is the IP's weight "for the current minute" and starts again from
	// zero on the minute, so both limits are aligned.
	Limits: []sdk.RateLimit{
		{Name: limitSpotWeight, Limit: 6000, Interval: time.Minute, Scope: sdk.ScopeIP, Aligned: true},
		{Name: limitFuturesWeight, Limit: 2400, Interval: time.Minute, Scope: sdk.ScopeIP, Aligned: true},
	},
	// Costs are the request weights of each capability's calls, in the
	// budget of the host they go to.
	Costs: []sdk.CallCost{
		// GET /api/v3/account
		{Call: sdk.CapSpotBalances, Limit: limitSpotWeight, Cost: 20},
		// GET /fapi/v3/account
		{Call: sdk.CapFuturesAccount, Limit: limitFuturesWeight, Cost: 5},
		// GET /fapi/v3/positionRisk (5) + GET /fapi/v1/symbolConfig (5) when
		// a position is open and its leverage is due to be read again (the
		// open positions changed, or settings.TTL passed): the worst case, so
		// the budget never plans less than a sync may send.
		{Call: sdk.CapPositions, Limit: limitFuturesWeight, Cost: 10},
		// One call places or cancels on one host: POST /api/v3/order (1),
		// DELETE /api/v3/order (1), POST /fapi/v1/order (0), DELETE
		// /fapi/v1/order (1). The cost is declared per call, not per market, so
		// each host's budget counts the 1 its orders may take.
		{Call: sdk.CapOrders, Limit: limitSpotWeight, Cost: 1},
		{Call: sdk.CapOrders, Limit: limitFuturesWeight, Cost: 1},
		// On mainnet GET /sapi/v1/account/apiRestrictions, weight 1 in the
		// separate /sapi budget; in the test environment, which has no /sapi,
		// GET /api/v3/account (20) instead. Then GET /fapi/v1/accountConfig (5).
		{Call: sdk.CapValidate, Limit: limitSpotWeight, Cost: 20},
		{Call: sdk.CapValidate, Limit: limitFuturesWeight, Cost: 5},
		// Whole lists, whatever the number of symbols: GET /api/v3/ticker/price
		// (4); GET /fapi/v1/ticker/price (2) + GET /fapi/v1/premiumIndex (10).
		{Call: sdk.CapPrices, Limit: limitSpotWeight, Cost: 4},
		{Call: sdk.CapPrices, Limit: limitFuturesWeight, Cost: 12},
		// One market per call: GET /api/v3/exchangeInfo (20) or GET
		// /fapi/v1/exchangeInfo (1).
		{Call: sdk.CapInstruments, Limit: limitSpotWeight, Cost: 20},
		{Call: sdk.CapInstruments, Limit: limitFuturesWeight, Cost: 1},
		// Starting one account's streams: userDataStream.subscribe.signature
		// (2) and the spot seed GET /api/v3/account (20); POST
		// /fapi/v1/listenKey (1) and the futures seed (5 + 10).
		{Call: sdk.CapStreams, Limit: limitSpotWeight, Cost: 22},
		{Call: sdk.CapStreams, Limit: limitFuturesWeight, Cost: 16},
	},
	// Legacy are the same weights for hosts older than Costs, which charge
	// them all against the first (spot) budget; adding the futures weights
	// there makes a full sync's estimate conservative for both hosts.
	Legacy: map[string]int64{
		sdk.CapSpotBalances:   20, // GET /api/v3/account
		sdk.CapFuturesAccount: 5,  // GET /fapi/v3/account
		sdk.CapPositions:      10, // GET /fapi/v3/positionRisk + /fapi/v1/symbolConfig
		sdk.CapOrders:         1,  // POST or DELETE order
		sdk.CapValidate:       6,  // GET /sapi/v1/account/apiRestrictions + /fapi/v1/accountConfig
		sdk.CapPrices:         16, // both ticker lists and the mark prices
		sdk.CapInstruments:    21, // both exchange infos
		sdk.CapStreams:        38, // subscribing and seeding both products
	},
}

// info is what Info says of Binance beyond its name, version, default
// endpoints and rate card, which rest.Describe adds.
var info = sdk.Info{
	DisplayName:     "Binance",
	SupportsTestnet: true,
	EndpointKeys:    []string{EndpointSpot, EndpointFutures, EndpointSpotWS, EndpointFuturesWS},
	Capabilities:    []string{sdk.CapSpotBalances, sdk.CapFuturesAccount, sdk.CapPositions, sdk.CapOrders, sdk.CapPrices, sdk.CapInstruments, sdk.CapStreams},
	// Spot shares WebSocket API connections, 1,000 accounts each, and
	// USDⓈ-M shares /private/stream connections, FuturesPerConnection
	// (200) listenKeys each: the binding figure is 200 accounts a
	// connection. The concurrent cap per IP is undocumented; new
	// connections are 300 per 5 minutes.
	StreamLimits: sdk.StreamLimits{AccountsPerConnection: 200, NewConnections: 300, NewConnectionsWindow: 5 * time.Minute},
}
