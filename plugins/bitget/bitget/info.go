package bitget

import (
	"time"

	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/ratecard"
)

// Rate-limit names as reported in sdk.RateUsage.
const (
	// limitIP is the budget the host paces every account behind one
	// address by. The page documents no overall per-IP figure for private
	// calls (they count per UID); third-party notes on Bitget's rate-limit
	// page give 6000 requests a minute per IP for all calls together, so
	// that is declared, and CallCosts count requests against it.
	limitIP = "ip_requests"
	// limitPublic is each public endpoint's own per-IP limit (20/s).
	limitPublic = "ip_public_requests"
	// limitUID is the per-UID, per-endpoint limit of the account reads
	// and of placing and cancelling orders (10/s).
	limitUID = "uid_requests"
	// limitPositions is GET all-position's per-UID limit (5/s).
	limitPositions = "uid_positions"
	// limitAccountInfo is GET spot account info's per-UID limit (1/s),
	// the credentials check.
	limitAccountInfo = "uid_account_info"
	// limitUTARead is the per-UID limit of the V3 (UTA) account reads:
	// assets, settings and positions (20/s; the docs give it for assets,
	// the SDKs for the others).
	limitUTARead = "uid_uta_requests"
	// limitUTAInfo is V3 account info's per-UID limit (5/s, the SDKs'
	// figure, unconfirmed), the credentials check of a UTA key. V3 orders
	// count against limitUID like V2's.
	limitUTAInfo = "uid_uta_account_info"
)

var card = ratecard.Card{
	Limits: []sdk.RateLimit{
		{Name: limitIP, Limit: 6000, Interval: time.Minute, Scope: sdk.ScopeIP},
		{Name: limitPublic, Limit: 20, Interval: time.Second, Scope: sdk.ScopeIP},
		{Name: limitUID, Limit: 10, Interval: time.Second, Scope: sdk.ScopeAccount},
		{Name: limitPositions, Limit: 5, Interval: time.Second, Scope: sdk.ScopeAccount},
		{Name: limitAccountInfo, Limit: 1, Interval: time.Second, Scope: sdk.ScopeAccount},
		{Name: limitUTARead, Limit: 20, Interval: time.Second, Scope: sdk.ScopeAccount},
		{Name: limitUTAInfo, Limit: 5, Interval: time.Second, Scope: sdk.ScopeAccount},
	},
	// Costs count the requests each capability sends in the IP budget.
	// The public per-IP limit is spent only by the server clock, which is
	// cached per process, and the per-UID limits are the keys' own. Hosts
	// older than Costs read the same counts, which Fill derives.
	Costs: []sdk.CallCost{
		{Call: sdk.CapSpotBalances, Limit: limitIP, Cost: 1},   // GET spot/account/assets
		{Call: sdk.CapFuturesAccount, Limit: limitIP, Cost: 1}, // GET mix/account/accounts
		{Call: sdk.CapPositions, Limit: limitIP, Cost: 1},      // GET mix/position/all-position
		{Call: sdk.CapOrders, Limit: limitIP, Cost: 2},         // futures: GET mix/account/account, then POST place-order
		{Call: sdk.CapValidate, Limit: limitIP, Cost: 2},       // GET spot/account/info + GET mix/account/account
		{Call: sdk.CapPrices, Limit: limitIP, Cost: 2},         // GET spot/market/tickers + mix/market/tickers
		{Call: sdk.CapPrices, Limit: limitPublic, Cost: 1},
		{Call: sdk.CapInstruments, Limit: limitIP, Cost: 1}, // GET spot/public/symbols or mix/market/contracts
		{Call: sdk.CapInstruments, Limit: limitPublic, Cost: 1},
		// Starting an account's stream: the snapshots come over the socket;
		// one REST read learns the key's mode when it is not known yet
		// (and seeds a channel whose snapshot never came).
		{Call: sdk.CapStreams, Limit: limitIP, Cost: 1},
	},
}

// limitOf names the rate limit a path counts against, for the usage header.
func limitOf(path string) string {
	switch path {
	case pathServerTime, pathSpotTickers, pathFuturesTickers, pathSpotSymbols, pathContracts:
		return limitPublic
	case pathPositions:
		return limitPositions
	case pathAccountInfo:
		return limitAccountInfo
	case pathUTAAssets, pathUTASettings, pathUTAPositions:
		return limitUTARead
	case pathUTAInfo:
		return limitUTAInfo
	}
	return limitUID
}

// info is what Info says of Bitget beyond its name, version, default
// endpoints and rate card, which rest.Describe adds.
var info = sdk.Info{
	DisplayName:        "Bitget",
	RequiresPassphrase: true,
	SupportsTestnet:    true, // Demo Trading
	EndpointKeys:       []string{EndpointREST, EndpointWS},
	Capabilities:       []string{sdk.CapSpotBalances, sdk.CapFuturesAccount, sdk.CapPositions, sdk.CapOrders, sdk.CapPrices, sdk.CapInstruments, sdk.CapStreams},
	// Bitget: one login per connection, at most 100 open connections and
	// 300 new ones per 5 minutes per IP.
	StreamLimits: sdk.StreamLimits{MaxConnections: 100, AccountsPerConnection: 1, NewConnections: 300,
		NewConnectionsWindow: 5 * time.Minute},
}
