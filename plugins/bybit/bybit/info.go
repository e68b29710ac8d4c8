package bybit

import (
	"time"

	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/ratecard"
)

// Rate-limit names as reported in sdk.RateUsage.
const (
	// limitIP is the per-IP budget across every account behind one
	// address: 600 requests per 5 seconds. Bybit sends no header for it.
	limitIP = "ip_requests"
	// The per-UID limits below are per endpoint, over a rolling second,
	// and each answer reports its own in X-Bapi-Limit / -Status.
	limitWalletBalance = "uid_wallet_balance"
	limitAccountInfo   = "uid_account_info"
	limitPositionList  = "uid_position_list"
	limitQueryAPI      = "uid_query_api"
	limitOrderCreate   = "uid_order_create"
	limitOrderCancel   = "uid_order_cancel"
)

// rateLimits lists the IP budget first: the host paces every account of
// the exchange by the first per-IP limit, and CallCosts count against it.
// The order limits are declared at the linear value (10/s), the lower of
// linear and spot (20/s); the answers report the limit that applied.
var card = ratecard.Card{
	Limits: []sdk.RateLimit{
		{Name: limitIP, Limit: 600, Interval: 5 * time.Second, Scope: sdk.ScopeIP},
		{Name: limitWalletBalance, Limit: 50, Interval: time.Second, Scope: sdk.ScopeAccount},
		{Name: limitAccountInfo, Limit: 50, Interval: time.Second, Scope: sdk.ScopeAccount},
		{Name: limitPositionList, Limit: 50, Interval: time.Second, Scope: sdk.ScopeAccount},
		{Name: limitQueryAPI, Limit: 10, Interval: time.Second, Scope: sdk.ScopeAccount},
		{Name: limitOrderCreate, Limit: 10, Interval: time.Second, Scope: sdk.ScopeAccount},
		{Name: limitOrderCancel, Limit: 10, Interval: time.Second, Scope: sdk.ScopeAccount},
	},
	// Costs are requests per capability in the IP budget (every request
	// counts one there); the per-UID limits are the keys' own, not this
	// host's. Hosts older than Costs read the same counts in the first
	// limit, which Fill derives.
	Costs: []sdk.CallCost{
		{Call: sdk.CapSpotBalances, Limit: limitIP, Cost: 1},   // wallet-balance
		{Call: sdk.CapFuturesAccount, Limit: limitIP, Cost: 1}, // wallet-balance?coin=USDT
		{Call: sdk.CapPositions, Limit: limitIP, Cost: 2},      // position/list (one page of 200) + account/info when its margin mode is due
		{Call: sdk.CapOrders, Limit: limitIP, Cost: 2},         // a linear order reads the position mode first
		{Call: sdk.CapValidate, Limit: limitIP, Cost: 2},       // user/query-api + account/info
		{Call: sdk.CapPrices, Limit: limitIP, Cost: 2},         // market/tickers, spot and linear
		{Call: sdk.CapInstruments, Limit: limitIP, Cost: 1},    // market/instruments-info (one page of 1000)
		{Call: sdk.CapStreams, Limit: limitIP, Cost: 5},        // a stream's seed: account/info, wallet-balance twice, position/list + account/info
	},
}

// limitOfPath names the per-UID limit each private path counts against.
var limitOfPath = map[string]string{
	pathWalletBalance: limitWalletBalance,
	pathAccountInfo:   limitAccountInfo,
	pathPositionList:  limitPositionList,
	pathQueryAPI:      limitQueryAPI,
	pathOrderCreate:   limitOrderCreate,
	pathOrderCancel:   limitOrderCancel,
}

// info is what Info says of Bybit beyond its name, version, default
// endpoints and rate card, which rest.Describe adds.
var info = sdk.Info{
	DisplayName:        "Bybit",
	RequiresPassphrase: false, // there is no passphrase on Bybit
	SupportsTestnet:    true,
	EndpointKeys:       []string{EndpointREST, EndpointWS},
	Capabilities:       []string{sdk.CapSpotBalances, sdk.CapFuturesAccount, sdk.CapPositions, sdk.CapOrders, sdk.CapPrices, sdk.CapInstruments, sdk.CapStreams},
	// Bybit: one account per private connection (one auth each), at most
	// 500 new connections per 5 minutes per IP; no cap on open ones is
	// documented.
	StreamLimits: sdk.StreamLimits{AccountsPerConnection: 1, NewConnections: 500, NewConnectionsWindow: 5 * time.Minute},
}
