package okx

import (
	"time"

	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/ratecard"
)

// Rate-limit names. OKX counts private endpoints per User ID (each
// sub-account has its own) and only public ones per IP; every budget is a
// window of two seconds.
const (
	limitPublic  = "public_requests"
	limitAccount = "account_requests"
	limitOrders  = "order_requests"
)

// rateLimits lead with the one budget all accounts behind this host's IP
// share, as the host paces by the first per-IP limit: the public endpoints,
// at the tightest of them (GET /api/v5/public/time, 10 per 2 s). The
// per-user budgets follow as hints: balance and positions allow 10 per 2 s
// each, placing and cancelling 60 per 2 s per instrument.
var card = ratecard.Card{
	Limits: []sdk.RateLimit{
		{Name: limitPublic, Limit: 10, Interval: 2 * time.Second, Scope: sdk.ScopeIP},
		{Name: limitAccount, Limit: 10, Interval: 2 * time.Second, Scope: sdk.ScopeAccount},
		{Name: limitOrders, Limit: 60, Interval: 2 * time.Second, Scope: sdk.ScopeAccount},
	},
	// Costs are what each capability spends from the per-IP public
	// budget, the only per-IP one. All are zero: syncs and orders call
	// private endpoints only, which OKX counts per User ID, not per IP;
	// the two public calls the connector makes, the server clock and the
	// instrument list, are cached per process and shared by every account
	// (rest.Config.ResyncEvery, instrumentCache), so one more call spends
	// nothing from the IP's budget. Hosts older than Costs read the same
	// zeros, which Fill derives.
	Costs: []sdk.CallCost{
		{Call: sdk.CapSpotBalances, Limit: limitPublic, Cost: 0},   // GET /api/v5/account/balance (per user)
		{Call: sdk.CapFuturesAccount, Limit: limitPublic, Cost: 0}, // GET /api/v5/account/balance (per user)
		{Call: sdk.CapPositions, Limit: limitPublic, Cost: 0},      // GET /api/v5/account/positions (per user) + cached instruments
		{Call: sdk.CapOrders, Limit: limitPublic, Cost: 0},         // GET /account/config + POST /trade/order (per user)
		{Call: sdk.CapValidate, Limit: limitPublic, Cost: 0},       // GET /api/v5/account/config (per user)
		{Call: sdk.CapPrices, Limit: limitPublic, Cost: 3},         // tickers SPOT and SWAP, mark prices SWAP
		{Call: sdk.CapInstruments, Limit: limitPublic, Cost: 1},    // GET /api/v5/public/instruments
		{Call: sdk.CapStreams, Limit: limitPublic, Cost: 0},        // the snapshot comes over the socket; instruments cached
	},
}

// info is what Info says of OKX beyond its name, version, default
// endpoints and rate card, which rest.Describe adds.
var info = sdk.Info{
	DisplayName:        "OKX",
	RequiresPassphrase: true,
	SupportsTestnet:    true,
	EndpointKeys:       []string{EndpointREST, EndpointWS},
	Capabilities:       []string{sdk.CapSpotBalances, sdk.CapFuturesAccount, sdk.CapPositions, sdk.CapOrders, sdk.CapPrices, sdk.CapInstruments, sdk.CapStreams},
	// OKX: one login per connection, at most 3 new connections per second
	// per IP; no cap on open ones is documented.
	StreamLimits: sdk.StreamLimits{AccountsPerConnection: 1, NewConnections: 3, NewConnectionsWindow: time.Second},
}
