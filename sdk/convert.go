package sdk

// The converters of the serving side: requests from the wire, answers to it.
// The host's side has the opposite ones (package pluginhost); the text form
// of amounts both use is in internal/wire.

import (
	pb "github.com/globalautomation/gahost/proto/exchange/v1"
	"github.com/globalautomation/gahost/sdk/internal/wire"
)

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
	if l := i.StreamLimits; l != (StreamLimits{}) {
		out.StreamLimits = &pb.StreamLimits{MaxConnections: int32(l.MaxConnections), AccountsPerConnection: int32(l.AccountsPerConnection),
			NewConnections: int32(l.NewConnections), NewConnectionsWindowMs: l.NewConnectionsWindow.Milliseconds()}
	}
	for _, c := range i.Costs {
		out.Costs = append(out.Costs, &pb.CallCost{Call: c.Call, Limit: c.Limit, Cost: c.Cost})
	}
	for _, e := range i.DefaultEndpoints {
		out.DefaultEndpoints = append(out.DefaultEndpoints, &pb.Endpoint{Key: e.Key, Live: e.Live, Testnet: e.Testnet})
	}
	for _, r := range i.RateLimits {
		out.RateLimits = append(out.RateLimits, &pb.RateLimit{
			Name: r.Name, Limit: r.Limit, IntervalMs: r.Interval.Milliseconds(), Scope: r.Scope, Aligned: r.Aligned,
		})
	}
	return out
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

func permsToProto(p Permissions) *pb.ValidateCredentialsResponse {
	return &pb.ValidateCredentialsResponse{
		CanRead: p.CanRead, CanTradeSpot: p.CanTradeSpot, CanTradeFutures: p.CanTradeFutures,
		CanWithdraw: p.CanWithdraw, IpRestricted: p.IPRestricted, Notes: p.Notes,
	}
}

func balancesToProto(bs []Balance) *pb.GetSpotBalancesResponse {
	out := &pb.GetSpotBalancesResponse{Balances: make([]*pb.Balance, 0, len(bs))}
	for _, b := range bs {
		out.Balances = append(out.Balances, &pb.Balance{Asset: b.Asset, Free: wire.Dec(b.Free), Locked: wire.Dec(b.Locked)})
	}
	return out
}

func futuresToProto(f FuturesAccount) *pb.GetFuturesAccountResponse {
	return &pb.GetFuturesAccountResponse{
		Asset: f.Asset, WalletBalance: wire.Dec(f.WalletBalance), UnrealizedPnl: wire.Dec(f.UnrealizedPnL),
		MarginBalance: wire.Dec(f.MarginBalance), AvailableBalance: wire.Dec(f.AvailableBalance),
	}
}

func positionsToProto(ps []Position) *pb.GetPositionsResponse {
	out := &pb.GetPositionsResponse{Positions: make([]*pb.Position, 0, len(ps))}
	for _, p := range ps {
		out.Positions = append(out.Positions, &pb.Position{
			Symbol: p.Symbol, Side: string(p.Side), Size: wire.Dec(p.Size), EntryPrice: wire.Dec(p.EntryPrice),
			MarkPrice: wire.Dec(p.MarkPrice), UnrealizedPnl: wire.Dec(p.UnrealizedPnL), Leverage: wire.Dec(p.Leverage),
			LiquidationPrice: wire.Dec(p.LiquidationPrice), MarginMode: string(p.MarginMode),
		})
	}
	return out
}

func orderRequestFromProto(p *pb.OrderRequest) (OrderRequest, error) {
	var d wire.Decs
	r := OrderRequest{
		Market: Market(p.GetMarket()), Symbol: p.GetSymbol(), Side: Side(p.GetSide()), Type: OrderType(p.GetType()),
		Quantity:      d.Parse("quantity", p.GetQuantity()),
		QuoteQuantity: d.Parse("quote_quantity", p.GetQuoteQuantity()),
		Price:         d.Parse("price", p.GetPrice()),
		ReduceOnly:    p.GetReduceOnly(), ClientOrderID: p.GetClientOrderId(), PositionSide: PositionSide(p.GetPositionSide()),
	}
	return r, d.Err
}

func orderToProto(o Order) *pb.Order {
	var created int64
	if !o.CreatedAt.IsZero() {
		created = o.CreatedAt.UnixMilli()
	}
	return &pb.Order{
		Id: o.ID, ClientOrderId: o.ClientOrderID, Market: string(o.Market), Symbol: o.Symbol, Side: string(o.Side),
		Type: string(o.Type), Status: string(o.Status), Quantity: wire.Dec(o.Quantity), FilledQuantity: wire.Dec(o.FilledQuantity),
		Price: wire.Dec(o.Price), AveragePrice: wire.Dec(o.AveragePrice), ReduceOnly: o.ReduceOnly, CreatedAtMs: created,
	}
}

func cancelFromProto(p *pb.CancelOrderRequest) CancelRequest {
	return CancelRequest{Market: Market(p.GetMarket()), Symbol: p.GetSymbol(), OrderID: p.GetOrderId(), ClientOrderID: p.GetClientOrderId()}
}
