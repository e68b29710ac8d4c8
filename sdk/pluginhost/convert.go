package pluginhost

// The converters of the host's side: requests to the wire, answers from it.
// The serving side (package sdk) has the opposite ones; the text form of
// amounts both use is in internal/wire.

import (
	"time"

	pb "github.com/globalautomation/gahost/proto/exchange/v1"
	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/internal/wire"
)

func accountToProto(a sdk.Account) *pb.Account {
	return &pb.Account{
		ApiKey:     a.APIKey,
		SecretKey:  a.SecretKey,
		Passphrase: a.Passphrase,
		Testnet:    a.Testnet,
		Endpoints:  a.Endpoints,
	}
}

func infoFromProto(p *pb.GetInfoResponse) sdk.Info {
	i := sdk.Info{
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
	if l := p.GetStreamLimits(); l != nil {
		i.StreamLimits = sdk.StreamLimits{MaxConnections: int(l.GetMaxConnections()), AccountsPerConnection: int(l.GetAccountsPerConnection()),
			NewConnections: int(l.GetNewConnections()), NewConnectionsWindow: time.Duration(l.GetNewConnectionsWindowMs()) * time.Millisecond}
	}
	for _, c := range p.GetCosts() {
		i.Costs = append(i.Costs, sdk.CallCost{Call: c.GetCall(), Limit: c.GetLimit(), Cost: c.GetCost()})
	}
	for _, e := range p.GetDefaultEndpoints() {
		i.DefaultEndpoints = append(i.DefaultEndpoints, sdk.Endpoint{Key: e.GetKey(), Live: e.GetLive(), Testnet: e.GetTestnet()})
	}
	for _, r := range p.GetRateLimits() {
		i.RateLimits = append(i.RateLimits, sdk.RateLimit{
			Name: r.GetName(), Limit: r.GetLimit(),
			Interval: time.Duration(r.GetIntervalMs()) * time.Millisecond, Scope: r.GetScope(),
			Aligned: r.GetAligned(),
		})
	}
	return i
}

func usageFromProto(r *pb.RateUsageReport) []sdk.RateUsage {
	var us []sdk.RateUsage
	for _, u := range r.GetUsage() {
		us = append(us, sdk.RateUsage{
			Name: u.GetName(), Used: u.GetUsed(), Limit: u.GetLimit(),
			Interval: time.Duration(u.GetIntervalMs()) * time.Millisecond,
		})
	}
	return us
}

func permsFromProto(p *pb.ValidateCredentialsResponse) sdk.Permissions {
	return sdk.Permissions{
		CanRead: p.GetCanRead(), CanTradeSpot: p.GetCanTradeSpot(), CanTradeFutures: p.GetCanTradeFutures(),
		CanWithdraw: p.GetCanWithdraw(), IPRestricted: p.GetIpRestricted(), Notes: p.GetNotes(),
	}
}

func balancesFromProto(p *pb.GetSpotBalancesResponse) ([]sdk.Balance, error) {
	var d wire.Decs
	out := make([]sdk.Balance, 0, len(p.GetBalances()))
	for _, b := range p.GetBalances() {
		out = append(out, sdk.Balance{Asset: b.GetAsset(), Free: d.Parse("free", b.GetFree()), Locked: d.Parse("locked", b.GetLocked())})
	}
	return out, d.Err
}

func futuresFromProto(p *pb.GetFuturesAccountResponse) (sdk.FuturesAccount, error) {
	var d wire.Decs
	f := sdk.FuturesAccount{
		Asset:            p.GetAsset(),
		WalletBalance:    d.Parse("wallet_balance", p.GetWalletBalance()),
		UnrealizedPnL:    d.Parse("unrealized_pnl", p.GetUnrealizedPnl()),
		MarginBalance:    d.Parse("margin_balance", p.GetMarginBalance()),
		AvailableBalance: d.Parse("available_balance", p.GetAvailableBalance()),
	}
	return f, d.Err
}

func positionsFromProto(p *pb.GetPositionsResponse) ([]sdk.Position, error) {
	var d wire.Decs
	out := make([]sdk.Position, 0, len(p.GetPositions()))
	for _, x := range p.GetPositions() {
		out = append(out, sdk.Position{
			Symbol: x.GetSymbol(), Side: sdk.PositionSide(x.GetSide()),
			Size:             d.Parse("size", x.GetSize()),
			EntryPrice:       d.Parse("entry_price", x.GetEntryPrice()),
			MarkPrice:        d.Parse("mark_price", x.GetMarkPrice()),
			UnrealizedPnL:    d.Parse("unrealized_pnl", x.GetUnrealizedPnl()),
			Leverage:         d.Parse("leverage", x.GetLeverage()),
			LiquidationPrice: d.Parse("liquidation_price", x.GetLiquidationPrice()),
			MarginMode:       sdk.MarginMode(x.GetMarginMode()),
		})
	}
	return out, d.Err
}

func orderRequestToProto(r sdk.OrderRequest) *pb.OrderRequest {
	return &pb.OrderRequest{
		Market: string(r.Market), Symbol: r.Symbol, Side: string(r.Side), Type: string(r.Type),
		Quantity: wire.OptDec(r.Quantity), QuoteQuantity: wire.OptDec(r.QuoteQuantity), Price: wire.OptDec(r.Price),
		ReduceOnly: r.ReduceOnly, ClientOrderId: r.ClientOrderID, PositionSide: string(r.PositionSide),
	}
}

func orderFromProto(p *pb.Order) (sdk.Order, error) {
	var d wire.Decs
	o := sdk.Order{
		ID: p.GetId(), ClientOrderID: p.GetClientOrderId(), Market: sdk.Market(p.GetMarket()), Symbol: p.GetSymbol(),
		Side: sdk.Side(p.GetSide()), Type: sdk.OrderType(p.GetType()), Status: sdk.OrderStatus(p.GetStatus()),
		Quantity:       d.Parse("quantity", p.GetQuantity()),
		FilledQuantity: d.Parse("filled_quantity", p.GetFilledQuantity()),
		Price:          d.Parse("price", p.GetPrice()),
		AveragePrice:   d.Parse("average_price", p.GetAveragePrice()),
		ReduceOnly:     p.GetReduceOnly(),
	}
	if ms := p.GetCreatedAtMs(); ms != 0 {
		o.CreatedAt = time.UnixMilli(ms).UTC()
	}
	return o, d.Err
}

func cancelToProto(a sdk.Account, r sdk.CancelRequest) *pb.CancelOrderRequest {
	return &pb.CancelOrderRequest{
		Account: accountToProto(a), Market: string(r.Market), Symbol: r.Symbol,
		OrderId: r.OrderID, ClientOrderId: r.ClientOrderID,
	}
}
