// Package sdk is what an exchange connector for gahost is written against.
//
// A connector implements [Exchange] and calls [Serve] from its main function:
//
//	func main() { sdk.Serve(&binance.Connector{}) }
//
// Serve hides the process boundary (hashicorp/go-plugin over gRPC, the
// handshake, protocol negotiation, panic recovery, logging) so an author
// imports neither go-plugin nor gRPC. The host's side of the boundary is
// package [github.com/globalautomation/gahost/sdk/pluginhost]; a connector
// has no use for it.
//
// While serving a call, a connector reports what the exchange said about its
// rate limits with [ReportUsage] (the signed HTTP client of package rest does
// so on every answer) and logs through [Logger].
//
// Amounts are [decimal.Decimal] inside and decimal strings on the wire; never
// float64. Symbols are unified: "BTC/USDT" for spot and "BTC/USDT:USDT" for a
// USDT-margined perpetual (see package symbol for helpers).
//
// A connector may also serve public market data: [PriceReader] (last and
// mark prices, and the value of assets in USDT) and [InstrumentLister]
// (instruments with their lot step, tick size and minimums). Both are
// optional; Serve tells the host a connector without them does not serve
// them, and [AnswerPrices] does the part of a price answer every connector
// does the same way.
//
// Errors that an exchange returns are reported as *[Error] values with a
// [Kind]; they cross the boundary typed and match the sentinels of this
// package, such as [ErrRateLimited], with errors.Is on the host side.
//
// Markets, order sides, types and statuses, position sides and margin modes
// are named string types ([Market], [Side], [OrderType], [OrderStatus],
// [PositionSide], [MarginMode]); their values are the lower-case words the
// protocol carries.
package sdk

import (
	"context"
	"time"

	"github.com/shopspring/decimal"
)

// Exchange is the interface a connector implements. Every method is called
// with a context that carries the host's deadline; an implementation must
// stop and return when it is done. Credentials travel with every call in
// [Account] and must never be stored, logged or put into an error.
//
// A connector may also serve public market data by implementing
// [PriceReader] and [InstrumentLister]; one that does not still builds and
// serves, and the host is told those calls are unsupported.
type Exchange interface {
	// Info describes the connector. It must not call the exchange.
	Info(ctx context.Context) (Info, error)
	// ValidateCredentials checks the keys and reports what they may do. Bad
	// keys are an error of KindAuthentication or KindPermission whose message
	// says why, in words a user can act on.
	ValidateCredentials(ctx context.Context, acct Account) (Permissions, error)
	// SpotBalances lists non-zero spot balances.
	SpotBalances(ctx context.Context, acct Account) ([]Balance, error)
	// FuturesAccount reports the USDT-margined futures wallet.
	FuturesAccount(ctx context.Context, acct Account) (FuturesAccount, error)
	// Positions lists open positions; zero-size entries are left out.
	Positions(ctx context.Context, acct Account) ([]Position, error)
	// PlaceOrder places an order. When the outcome cannot be known (a 5xx or
	// a timeout after the request was sent) it must return an error of
	// KindUnknownOutcome, never a plain failure.
	PlaceOrder(ctx context.Context, acct Account, req OrderRequest) (Order, error)
	// CancelOrder cancels an open order by exchange id or client order id.
	CancelOrder(ctx context.Context, acct Account, req CancelRequest) (Order, error)
}

// Capability names, as listed in Info.Capabilities and used as keys of
// Info.CallCosts.
const (
	CapSpotBalances   = "spot_balances"
	CapFuturesAccount = "futures_account"
	CapPositions      = "positions"
	CapOrders         = "orders"
	// CapPrices is served by a connector that implements PriceReader.
	CapPrices = "prices"
	// CapInstruments is served by a connector that implements
	// InstrumentLister.
	CapInstruments = "instruments"
	// CapValidate is only a cost key: what ValidateCredentials costs.
	CapValidate = "validate_credentials"
)

// Info describes a connector.
type Info struct {
	Name               string // lower case exchange name, e.g. "binance"
	DisplayName        string
	Version            string // semantic version of the plugin, e.g. "1.2.0"
	SDKVersion         string // filled in by Serve
	RequiresPassphrase bool
	SupportsTestnet    bool
	EndpointKeys       []string // keys accepted in Account.Endpoints
	Capabilities       []string
	RateLimits         []RateLimit
	// Costs says what one call of each kind costs, per rate limit it draws
	// on. A call may draw on several limits; a call not listed is free.
	Costs []CallCost
	// DefaultEndpoints are the built-in base URLs of the endpoint keys,
	// for live and testnet accounts (rest.DefaultEndpoints builds them
	// from a client's hosts). The host shows them where config does not
	// override them.
	DefaultEndpoints []Endpoint
	// CallCosts is the older form of Costs: capability -> cost against the
	// first RateLimit. The host reads it only when Costs is empty.
	CallCosts map[string]int64
	// StreamLimits are the exchange's per-IP limits on private streams,
	// for a connector with CapStreams; the zero value declares none.
	StreamLimits StreamLimits
}

// Endpoint is where one endpoint key's calls go by default.
type Endpoint struct {
	Key     string
	Live    string
	Testnet string // empty: no test environment for this key
}

// CallCost is what one call costs against one rate limit.
type CallCost struct {
	Call  string // a capability name or CapValidate
	Limit string // the Name of the RateLimit it draws on
	Cost  int64
}

// Has reports whether the connector declares capability c.
func (i Info) Has(c string) bool {
	for _, x := range i.Capabilities {
		if x == c {
			return true
		}
	}
	return false
}

// Rate-limit scopes.
const (
	ScopeIP      = "ip"      // shared by every account behind one source address
	ScopeAccount = "account" // per API key
)

// RateLimit is one budget the exchange enforces.
type RateLimit struct {
	Name     string // e.g. "request_weight"
	Limit    int64
	Interval time.Duration
	Scope    string
	// Aligned says the exchange counts this limit in fixed windows that
	// start at every multiple of Interval since the Unix epoch (a count
	// per clock minute, say, reset on the minute), rather than over a
	// sliding or unknown window. The host can then let calls go in
	// bursts inside a window at no cost to the rate; for a limit whose
	// windows are not known to be aligned, any burst is taken out of the
	// steady rate. Leave it false unless the exchange says so.
	Aligned bool
}

// RateUsage is what the exchange reported as used in a window.
type RateUsage struct {
	Name     string
	Used     int64
	Limit    int64 // 0 when unknown
	Interval time.Duration
}

// Account is the exchange account a call acts for.
type Account struct {
	APIKey     string
	SecretKey  string
	Passphrase string
	Testnet    bool
	// Endpoints overrides REST base URLs by the connector's endpoint keys.
	Endpoints map[string]string
}

// String never prints a credential, so an Account that ends up in a log
// line or an error message leaks nothing.
func (a Account) String() string {
	return "sdk.Account{credentials redacted}"
}

// GoString keeps %#v from printing credentials too.
func (a Account) GoString() string { return a.String() }

// Endpoint returns the override for key, or def when there is none.
func (a Account) Endpoint(key, def string) string {
	if v := a.Endpoints[key]; v != "" {
		return v
	}
	return def
}

// Notes a credentials check adds to Permissions.Notes, worded once for every
// connector.
const (
	// NoteAnyIP is the note on a key that no IP address binds.
	NoteAnyIP = "the key accepts calls from any IP address; binding it to this server's address is safer"
	// NoteWithdraw is the note on a key that may withdraw funds.
	NoteWithdraw = "the key can withdraw funds; gahost never needs that, consider turning it off"
)

// Permissions is what ValidateCredentials found the keys may do.
type Permissions struct {
	CanRead         bool
	CanTradeSpot    bool
	CanTradeFutures bool
	CanWithdraw     bool
	IPRestricted    bool
	Notes           []string
}

// Balance is one asset of a spot wallet.
type Balance struct {
	Asset  string
	Free   decimal.Decimal
	Locked decimal.Decimal
}

// Total is Free + Locked.
func (b Balance) Total() decimal.Decimal { return b.Free.Add(b.Locked) }

// FuturesAccount is the USDT-margined futures wallet.
type FuturesAccount struct {
	Asset            string // "USDT"
	WalletBalance    decimal.Decimal
	UnrealizedPnL    decimal.Decimal
	MarginBalance    decimal.Decimal
	AvailableBalance decimal.Decimal
}

// PositionSide is the direction of a futures position: [SideLong] or
// [SideShort].
type PositionSide string

// Position sides.
const (
	SideLong  PositionSide = "long"
	SideShort PositionSide = "short"
)

// MarginMode is how a futures position is margined: [MarginCross] or
// [MarginIsolate].
type MarginMode string

// Margin modes.
const (
	MarginCross   MarginMode = "cross"
	MarginIsolate MarginMode = "isolated"
)

// Position is one open futures position.
type Position struct {
	Symbol           string // unified, "BTC/USDT:USDT"
	Side             PositionSide
	Size             decimal.Decimal
	EntryPrice       decimal.Decimal
	MarkPrice        decimal.Decimal
	UnrealizedPnL    decimal.Decimal
	Leverage         decimal.Decimal
	LiquidationPrice decimal.Decimal
	MarginMode       MarginMode
}

// Market is where an order goes: [MarketSpot] or [MarketFutures] (the
// USDT-margined perpetuals).
type Market string

// Markets.
const (
	MarketSpot    Market = "spot"
	MarketFutures Market = "futures"
)

// Side is the side of an order: [Buy] or [Sell].
type Side string

// Order sides.
const (
	Buy  Side = "buy"
	Sell Side = "sell"
)

// OrderType is the type of an order: [OrderMarket] or [OrderLimit].
type OrderType string

// Order types.
const (
	OrderMarket OrderType = "market"
	OrderLimit  OrderType = "limit"
)

// OrderStatus is the state of an order as the exchange reports it.
type OrderStatus string

// Order statuses.
const (
	StatusNew             OrderStatus = "new"
	StatusPartiallyFilled OrderStatus = "partially_filled"
	StatusFilled          OrderStatus = "filled"
	StatusCanceled        OrderStatus = "canceled"
	StatusRejected        OrderStatus = "rejected"
	StatusExpired         OrderStatus = "expired"
)

// OrderRequest asks for a new order. Quantity is in base units; a spot
// market buy may give QuoteQuantity instead.
type OrderRequest struct {
	Market        Market
	Symbol        string
	Side          Side
	Type          OrderType
	Quantity      decimal.Decimal
	QuoteQuantity decimal.Decimal
	Price         decimal.Decimal
	ReduceOnly    bool
	ClientOrderID string
	PositionSide  PositionSide // "", or SideLong or SideShort for hedge-mode accounts
}

// CancelRequest names an order by exchange id or client order id.
type CancelRequest struct {
	Market        Market
	Symbol        string
	OrderID       string
	ClientOrderID string
}

// Order is an order as the exchange reports it.
type Order struct {
	ID             string
	ClientOrderID  string
	Market         Market
	Symbol         string
	Side           Side
	Type           OrderType
	Status         OrderStatus
	Quantity       decimal.Decimal
	FilledQuantity decimal.Decimal
	Price          decimal.Decimal
	AveragePrice   decimal.Decimal
	ReduceOnly     bool
	CreatedAt      time.Time
}
