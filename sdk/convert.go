package sdk

// The converters between the sdk types and the generated protobuf messages.
// They are the only place that knows both; every other file speaks one side.

import (
	"fmt"
	"time"

	pb "github.com/globalautomation/gahost/proto/exchange/v1"
	"github.com/shopspring/decimal"
)

func decStr(d decimal.Decimal) string { return d.String() }

// parseDec reads a wire decimal. An empty string is zero: proto3 cannot tell
// "unset" from "", and every amount here is zero when absent.
func parseDec(field, s string) (decimal.Decimal, error) {
	if s == "" {
		return decimal.Zero, nil
	}
	d, err := decimal.NewFromString(s)
	if err != nil {
		return decimal.Zero, fmt.Errorf("field %s: %q is not a decimal", field, s)
	}
	return d, nil
}

// decs parses several decimals at once, stopping at the first bad one.
type decs struct{ err error }

func (p *decs) parse(field, s string) decimal.Decimal {
	if p.err != nil {
		return decimal.Zero
	}
	d, err := parseDec(field, s)
	p.err = err
	return d
}

func accountToProto(a Account) *pb.Account {
	return &pb.Account{
		ApiKey:     a.APIKey,
		SecretKey:  a.SecretKey,
		Passphrase: a.Passphrase,
		Testnet:    a.Testnet,
		Endpoints:  a.Endpoints,
	}
}

func accountFromProto(a *pb.Account) Account {
	if a == nil {
		return Account{}
	}
	return Account{
		APIKey:     a.ApiKey,
		SecretKey:  a.SecretKey,
		Passphrase: a.Passphrase,
		Testnet:    a.Testnet,
		Endpoints:  a.Endpoints,
	}
}

func infoToProto(i Info) *pb.GetInfoResponse {
	out := &pb.GetInfoResponse{
		Name:               i.Name,
		DisplayName:        i.DisplayName,
		Version:            i.Version,
		SdkVersion:         i.SDKVersion,
		RequiresPassphrase: i.RequiresPassphrase,
		SupportsTestnet:    i.SupportsTestnet,
		EndpointKeys:       i.EndpointKeys,
		Capabilities:       i.Capabilities,
		CallCosts:          i.CallCosts,
	}
	for _, c := range i.Costs {
		out.Costs = append(out.Costs, &pb.CallCost{Call: c.Call, Limit: c.Limit, Cost: c.Cost})
	}
	for _, r := range i.RateLimits {
		out.RateLimits = append(out.RateLimits, &pb.RateLimit{
			Name: r.Name, Limit: r.Limit, IntervalMs: r.Interval.Milliseconds(), Scope: r.Scope,
		})
	}
	return out
}

func infoFromProto(p *pb.GetInfoResponse) Info {
	i := Info{
		Name:               p.GetName(),
		DisplayName:        p.GetDisplayName(),
		Version:            p.GetVersion(),
		SDKVersion:         p.GetSdkVersion(),
		RequiresPassphrase: p.GetRequiresPassphrase(),
		SupportsTestnet:    p.GetSupportsTestnet(),
		EndpointKeys:       p.GetEndpointKeys(),
		Capabilities:       p.GetCapabilities(),
		CallCosts:          p.GetCallCosts(),
	}
	for _, c := range p.GetCosts() {
		i.Costs = append(i.Costs, CallCost{Call: c.GetCall(), Limit: c.GetLimit(), Cost: c.GetCost()})
	}
	for _, r := range p.GetRateLimits() {
		i.RateLimits = append(i.RateLimits, RateLimit{
			Name: r.GetName(), Limit: r.GetLimit(),
			Interval: time.Duration(r.GetIntervalMs()) * time.Millisecond, Scope: r.GetScope(),
		})
	}
	return i
}

func usageToProto(us []RateUsage) *pb.RateUsageReport {
	r := &pb.RateUsageReport{}
	for _, u := range us {
		r.Usage = append(r.Usage, &pb.RateUsage{
			Name: u.Name, Used: u.Used, Limit: u.Limit, IntervalMs: u.Interval.Milliseconds(),
		})
	}
	return r
}

func usageFromProto(r *pb.RateUsageReport) []RateUsage {
	var us []RateUsage
	for _, u := range r.GetUsage() {
		us = append(us, RateUsage{
			Name: u.GetName(), Used: u.GetUsed(), Limit: u.GetLimit(),
			Interval: time.Duration(u.GetIntervalMs()) * time.Millisecond,
		})
	}
	return us
}

func permsToProto(p Permissions) *pb.ValidateCredentialsResponse {
	return &pb.ValidateCredentialsResponse{
		CanRead: p.CanRead, CanTradeSpot: p.CanTradeSpot, CanTradeFutures: p.CanTradeFutures,
		CanWithdraw: p.CanWithdraw, IpRestricted: p.IPRestricted, Notes: p.Notes,
	}
}

func permsFromProto(p *pb.ValidateCredentialsResponse) Permissions {
	return Permissions{
		CanRead: p.GetCanRead(), CanTradeSpot: p.GetCanTradeSpot(), CanTradeFutures: p.GetCanTradeFutures(),
		CanWithdraw: p.GetCanWithdraw(), IPRestricted: p.GetIpRestricted(), Notes: p.GetNotes(),
	}
}

func balancesToProto(bs []Balance) *pb.GetSpotBalancesResponse {
	out := &pb.GetSpotBalancesResponse{Balances: make([]*pb.Balance, 0, len(bs))}
	for _, b := range bs {
		out.Balances = append(out.Balances, &pb.Balance{Asset: b.Asset, Free: decStr(b.Free), Locked: decStr(b.Locked)})
	}
	return out
}

func balancesFromProto(p *pb.GetSpotBalancesResponse) ([]Balance, error) {
	var d decs
	out := make([]Balance, 0, len(p.GetBalances()))
	for _, b := range p.GetBalances() {
		out = append(out, Balance{Asset: b.GetAsset(), Free: d.parse("free", b.GetFree()), Locked: d.parse("locked", b.GetLocked())})
	}
	return out, d.err
}

func futuresToProto(f FuturesAccount) *pb.GetFuturesAccountResponse {
	return &pb.GetFuturesAccountResponse{
		Asset: f.Asset, WalletBalance: decStr(f.WalletBalance), UnrealizedPnl: decStr(f.UnrealizedPnL),
		MarginBalance: decStr(f.MarginBalance), AvailableBalance: decStr(f.AvailableBalance),
	}
}

func futuresFromProto(p *pb.GetFuturesAccountResponse) (FuturesAccount, error) {
	var d decs
	f := FuturesAccount{
		Asset:            p.GetAsset(),
		WalletBalance:    d.parse("wallet_balance", p.GetWalletBalance()),
		UnrealizedPnL:    d.parse("unrealized_pnl", p.GetUnrealizedPnl()),
		MarginBalance:    d.parse("margin_balance", p.GetMarginBalance()),
		AvailableBalance: d.parse("available_balance", p.GetAvailableBalance()),
	}
	return f, d.err
}

func positionsToProto(ps []Position) *pb.GetPositionsResponse {
	out := &pb.GetPositionsResponse{Positions: make([]*pb.Position, 0, len(ps))}
	for _, p := range ps {
		out.Positions = append(out.Positions, &pb.Position{
			Symbol: p.Symbol, Side: p.Side, Size: decStr(p.Size), EntryPrice: decStr(p.EntryPrice),
			MarkPrice: decStr(p.MarkPrice), UnrealizedPnl: decStr(p.UnrealizedPnL), Leverage: decStr(p.Leverage),
			LiquidationPrice: decStr(p.LiquidationPrice), MarginMode: p.MarginMode,
		})
	}
	return out
}

func positionsFromProto(p *pb.GetPositionsResponse) ([]Position, error) {
	var d decs
	out := make([]Position, 0, len(p.GetPositions()))
	for _, x := range p.GetPositions() {
		out = append(out, Position{
			Symbol: x.GetSymbol(), Side: x.GetSide(),
			Size:             d.parse("size", x.GetSize()),
			EntryPrice:       d.parse("entry_price", x.GetEntryPrice()),
			MarkPrice:        d.parse("mark_price", x.GetMarkPrice()),
			UnrealizedPnL:    d.parse("unrealized_pnl", x.GetUnrealizedPnl()),
			Leverage:         d.parse("leverage", x.GetLeverage()),
			LiquidationPrice: d.parse("liquidation_price", x.GetLiquidationPrice()),
			MarginMode:       x.GetMarginMode(),
		})
	}
	return out, d.err
}

// optDec writes zero as "" so that "not given" stays distinguishable on the
// wire for optional order fields.
func optDec(d decimal.Decimal) string {
	if d.IsZero() {
		return ""
	}
	return d.String()
}

func orderRequestToProto(r OrderRequest) *pb.OrderRequest {
	return &pb.OrderRequest{
		Market: r.Market, Symbol: r.Symbol, Side: r.Side, Type: r.Type,
		Quantity: optDec(r.Quantity), QuoteQuantity: optDec(r.QuoteQuantity), Price: optDec(r.Price),
		ReduceOnly: r.ReduceOnly, ClientOrderId: r.ClientOrderID, PositionSide: r.PositionSide,
	}
}

func orderRequestFromProto(p *pb.OrderRequest) (OrderRequest, error) {
	var d decs
	r := OrderRequest{
		Market: p.GetMarket(), Symbol: p.GetSymbol(), Side: p.GetSide(), Type: p.GetType(),
		Quantity:      d.parse("quantity", p.GetQuantity()),
		QuoteQuantity: d.parse("quote_quantity", p.GetQuoteQuantity()),
		Price:         d.parse("price", p.GetPrice()),
		ReduceOnly:    p.GetReduceOnly(), ClientOrderID: p.GetClientOrderId(), PositionSide: p.GetPositionSide(),
	}
	return r, d.err
}

func orderToProto(o Order) *pb.Order {
	var created int64
	if !o.CreatedAt.IsZero() {
		created = o.CreatedAt.UnixMilli()
	}
	return &pb.Order{
		Id: o.ID, ClientOrderId: o.ClientOrderID, Market: o.Market, Symbol: o.Symbol, Side: o.Side,
		Type: o.Type, Status: o.Status, Quantity: decStr(o.Quantity), FilledQuantity: decStr(o.FilledQuantity),
		Price: decStr(o.Price), AveragePrice: decStr(o.AveragePrice), ReduceOnly: o.ReduceOnly, CreatedAtMs: created,
	}
}

func orderFromProto(p *pb.Order) (Order, error) {
	var d decs
	o := Order{
		ID: p.GetId(), ClientOrderID: p.GetClientOrderId(), Market: p.GetMarket(), Symbol: p.GetSymbol(),
		Side: p.GetSide(), Type: p.GetType(), Status: p.GetStatus(),
		Quantity:       d.parse("quantity", p.GetQuantity()),
		FilledQuantity: d.parse("filled_quantity", p.GetFilledQuantity()),
		Price:          d.parse("price", p.GetPrice()),
		AveragePrice:   d.parse("average_price", p.GetAveragePrice()),
		ReduceOnly:     p.GetReduceOnly(),
	}
	if ms := p.GetCreatedAtMs(); ms != 0 {
		o.CreatedAt = time.UnixMilli(ms).UTC()
	}
	return o, d.err
}

func cancelToProto(a Account, r CancelRequest) *pb.CancelOrderRequest {
	return &pb.CancelOrderRequest{
		Account: accountToProto(a), Market: r.Market, Symbol: r.Symbol,
		OrderId: r.OrderID, ClientOrderId: r.ClientOrderID,
	}
}

func cancelFromProto(p *pb.CancelOrderRequest) CancelRequest {
	return CancelRequest{Market: p.GetMarket(), Symbol: p.GetSymbol(), OrderID: p.GetOrderId(), ClientOrderID: p.GetClientOrderId()}
}
