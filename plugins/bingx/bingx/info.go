package bingx

import (
	"time"

	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/ratecard"
)

// Paths the connector calls.
const (
	pathServerTime     = "/openApi/swap/v2/server/time"
	pathAPIPermissions = "/openApi/v1/account/apiPermissions"
	pathPositionMode   = "/openApi/swap/v1/positionSide/dual"
	pathSpotBalance    = "/openApi/spot/v1/account/balance"
	pathSwapBalance    = "/openApi/swap/v3/user/balance"
	pathPositions      = "/openApi/swap/v2/user/positions"
	pathSwapOrder      = "/openApi/swap/v2/trade/order" // POST places, DELETE cancels
	pathSpotOrder      = "/openApi/spot/v1/trade/order"
	pathSpotCancel     = "/openApi/spot/v1/trade/cancel"
	pathContracts      = "/openApi/swap/v2/quote/contracts"
	pathSpotSymbols    = "/openApi/spot/v1/common/symbols"
)

// Rate-limit names as reported in sdk.RateUsage.
const (
	// limitIPEndpoint is the binding per-IP budget: every account and
	// trading endpoint takes at most 300 requests per 10 s from one
	// address. It is declared first, so the host paces by it; counting
	// all of a sync's calls against one endpoint's 300 is conservative.
	limitIPEndpoint = "ip_endpoint_requests"
	limitIPAccount  = "ip_group2_requests" // IP group 2, account
	limitIPTrading  = "ip_group3_requests" // IP group 3, trading and balances
	limitIPMarket   = "ip_market_requests" // IP group 1, public market data
	// Per-key limits, one per endpoint; X-RateLimit-Requests-Remain counts
	// these.
	limitUIDPermissions = "uid_api_permissions"
	limitUIDPositionMod = "uid_position_mode"
	limitUIDSpotBalance = "uid_spot_balance"
	limitUIDSwapBalance = "uid_swap_balance"
	limitUIDPositions   = "uid_swap_positions"
	limitUIDSwapOrder   = "uid_swap_order"
	limitUIDSwapCancel  = "uid_swap_cancel"
	limitUIDSpotOrder   = "uid_spot_order"
	limitUIDSpotCancel  = "uid_spot_cancel"
)

var card = ratecard.Card{
	Limits: []sdk.RateLimit{
		{Name: limitIPEndpoint, Limit: 300, Interval: 10 * time.Second, Scope: sdk.ScopeIP},
		{Name: limitIPTrading, Limit: 2000, Interval: 10 * time.Second, Scope: sdk.ScopeIP},
		{Name: limitIPAccount, Limit: 2000, Interval: 10 * time.Second, Scope: sdk.ScopeIP},
		{Name: limitIPMarket, Limit: 500, Interval: 10 * time.Second, Scope: sdk.ScopeIP},
		{Name: limitUIDPermissions, Limit: 5, Interval: time.Second, Scope: sdk.ScopeAccount},
		{Name: limitUIDPositionMod, Limit: 2, Interval: time.Second, Scope: sdk.ScopeAccount},
		{Name: limitUIDSpotBalance, Limit: 5, Interval: time.Second, Scope: sdk.ScopeAccount},
		{Name: limitUIDSwapBalance, Limit: 5, Interval: time.Second, Scope: sdk.ScopeAccount},
		{Name: limitUIDPositions, Limit: 5, Interval: time.Second, Scope: sdk.ScopeAccount},
		{Name: limitUIDSwapOrder, Limit: 5, Interval: time.Second, Scope: sdk.ScopeAccount},
		{Name: limitUIDSwapCancel, Limit: 5, Interval: time.Second, Scope: sdk.ScopeAccount},
		{Name: limitUIDSpotOrder, Limit: 10, Interval: time.Second, Scope: sdk.ScopeAccount},
		{Name: limitUIDSpotCancel, Limit: 10, Interval: time.Second, Scope: sdk.ScopeAccount},
	},
	// Costs are requests per capability in each per-IP budget they draw
	// on: every call counts in the per-endpoint budget (all endpoints
	// together, which is conservative), and in its IP group: the account
	// reads, orders and cancels in group 3, the permissions check in group
	// 2. The group of the position-mode read the credentials check also
	// sends is not documented, so it counts in both. Hosts older than
	// Costs read the per-endpoint counts, which Fill derives.
	Costs: []sdk.CallCost{
		{Call: sdk.CapSpotBalances, Limit: limitIPEndpoint, Cost: 1}, // spot/v1/account/balance
		{Call: sdk.CapSpotBalances, Limit: limitIPTrading, Cost: 1},
		{Call: sdk.CapFuturesAccount, Limit: limitIPEndpoint, Cost: 1}, // swap/v3/user/balance
		{Call: sdk.CapFuturesAccount, Limit: limitIPTrading, Cost: 1},
		{Call: sdk.CapPositions, Limit: limitIPEndpoint, Cost: 1}, // swap/v2/user/positions
		{Call: sdk.CapPositions, Limit: limitIPTrading, Cost: 1},
		{Call: sdk.CapOrders, Limit: limitIPEndpoint, Cost: 2}, // the order, and a resend in the other position mode
		{Call: sdk.CapOrders, Limit: limitIPTrading, Cost: 2},
		{Call: sdk.CapValidate, Limit: limitIPEndpoint, Cost: 2}, // apiPermissions + positionSide/dual
		{Call: sdk.CapValidate, Limit: limitIPAccount, Cost: 2},
		{Call: sdk.CapValidate, Limit: limitIPTrading, Cost: 1},
		{Call: sdk.CapPrices, Limit: limitIPEndpoint, Cost: 3}, // spot ticker/24hr + swap quote/ticker + quote/premiumIndex
		{Call: sdk.CapPrices, Limit: limitIPMarket, Cost: 3},
		{Call: sdk.CapInstruments, Limit: limitIPEndpoint, Cost: 1}, // common/symbols or quote/contracts
		{Call: sdk.CapInstruments, Limit: limitIPMarket, Cost: 1},
		// Starting one account's streams: POST userDataStream (its group
		// is undocumented; counted in the account group) and the seeds,
		// spot balance, swap balance and positions.
		{Call: sdk.CapStreams, Limit: limitIPEndpoint, Cost: 4},
		{Call: sdk.CapStreams, Limit: limitIPAccount, Cost: 1},
		{Call: sdk.CapStreams, Limit: limitIPTrading, Cost: 3},
	},
}

// uidLimits names the per-key limit of each private endpoint.
var uidLimits = map[string]string{
	"GET " + pathAPIPermissions: limitUIDPermissions,
	"GET " + pathPositionMode:   limitUIDPositionMod,
	"GET " + pathSpotBalance:    limitUIDSpotBalance,
	"GET " + pathSwapBalance:    limitUIDSwapBalance,
	"GET " + pathPositions:      limitUIDPositions,
	"POST " + pathSwapOrder:     limitUIDSwapOrder,
	"DELETE " + pathSwapOrder:   limitUIDSwapCancel,
	"POST " + pathSpotOrder:     limitUIDSpotOrder,
	"POST " + pathSpotCancel:    limitUIDSpotCancel,
}

// info is what Info says of BingX beyond its name, version, default
// endpoints and rate card, which rest.Describe adds.
var info = sdk.Info{
	DisplayName:     "BingX",
	SupportsTestnet: true,
	EndpointKeys:    []string{EndpointREST, EndpointSwapWS, EndpointSpotWS},
	Capabilities:    []string{sdk.CapSpotBalances, sdk.CapFuturesAccount, sdk.CapPositions, sdk.CapOrders, sdk.CapPrices, sdk.CapInstruments, sdk.CapStreams},
	// BingX: 60 open connections per IP; an account holds two (spot and
	// swap, one listenKey each), so the IP carries 30 accounts. New
	// connections are paced to 10 per second.
	StreamLimits: sdk.StreamLimits{MaxConnections: 30, AccountsPerConnection: 1, NewConnections: 10,
		NewConnectionsWindow: time.Second},
}
