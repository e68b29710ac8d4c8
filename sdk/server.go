package sdk

// The plugin's side of the boundary: the gRPC server that exposes an
// Exchange, and the translation of its answers, errors and reported usage
// into what crosses the wire. The host's side is package pluginhost; what
// both must read the same way is in internal/wire.

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"strings"

	pb "github.com/globalautomation/gahost/proto/exchange/v1"
	"github.com/globalautomation/gahost/sdk/internal/wire"
	"github.com/globalautomation/gahost/sdk/redact"
	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// servePlugin is the go-plugin glue of the serving side. It has no client
// half: a plugin never dispenses.
type servePlugin struct {
	plugin.NetRPCUnsupportedPlugin
	impl Exchange
}

func (p *servePlugin) GRPCServer(_ *plugin.GRPCBroker, s *grpc.Server) error {
	pb.RegisterExchangeServer(s, &server{impl: p.impl})
	return nil
}

func (p *servePlugin) GRPCClient(context.Context, *plugin.GRPCBroker, *grpc.ClientConn) (any, error) {
	return nil, errors.New("sdk: a plugin has no client side; the host's is package pluginhost")
}

type server struct {
	pb.UnimplementedExchangeServer
	impl Exchange
}

func (s *server) GetInfo(ctx context.Context, _ *pb.GetInfoRequest) (*pb.GetInfoResponse, error) {
	i, err := s.impl.Info(ctx)
	if err != nil {
		return nil, err
	}
	if i.SDKVersion == "" {
		i.SDKVersion = Version
	}
	return infoToProto(i), nil
}

func (s *server) ValidateCredentials(ctx context.Context, r *pb.ValidateCredentialsRequest) (*pb.ValidateCredentialsResponse, error) {
	p, err := s.impl.ValidateCredentials(ctx, accountFromProto(r.GetAccount()))
	if err != nil {
		return nil, err
	}
	return permsToProto(p), nil
}

func (s *server) GetSpotBalances(ctx context.Context, r *pb.GetSpotBalancesRequest) (*pb.GetSpotBalancesResponse, error) {
	bs, err := s.impl.SpotBalances(ctx, accountFromProto(r.GetAccount()))
	if err != nil {
		return nil, err
	}
	return balancesToProto(bs), nil
}

func (s *server) GetFuturesAccount(ctx context.Context, r *pb.GetFuturesAccountRequest) (*pb.GetFuturesAccountResponse, error) {
	f, err := s.impl.FuturesAccount(ctx, accountFromProto(r.GetAccount()))
	if err != nil {
		return nil, err
	}
	return futuresToProto(f), nil
}

func (s *server) GetPositions(ctx context.Context, r *pb.GetPositionsRequest) (*pb.GetPositionsResponse, error) {
	ps, err := s.impl.Positions(ctx, accountFromProto(r.GetAccount()))
	if err != nil {
		return nil, err
	}
	return positionsToProto(ps), nil
}

func (s *server) PlaceOrder(ctx context.Context, r *pb.PlaceOrderRequest) (*pb.PlaceOrderResponse, error) {
	req, err := orderRequestFromProto(r.GetOrder())
	if err != nil {
		return nil, &Error{Kind: KindInvalidRequest, Message: err.Error()}
	}
	o, err := s.impl.PlaceOrder(ctx, accountFromProto(r.GetAccount()), req)
	if err != nil {
		return nil, err
	}
	return &pb.PlaceOrderResponse{Order: orderToProto(o)}, nil
}

func (s *server) CancelOrder(ctx context.Context, r *pb.CancelOrderRequest) (*pb.CancelOrderResponse, error) {
	o, err := s.impl.CancelOrder(ctx, accountFromProto(r.GetAccount()), cancelFromProto(r))
	if err != nil {
		return nil, err
	}
	return &pb.CancelOrderResponse{Order: orderToProto(o)}, nil
}

// GetPrices answers from the connector's PriceReader; a connector without
// one is Unimplemented, as a plugin built before the call is.
func (s *server) GetPrices(ctx context.Context, r *pb.GetPricesRequest) (*pb.GetPricesResponse, error) {
	pr, ok := s.impl.(PriceReader)
	if !ok {
		return nil, status.Error(codes.Unimplemented, "the connector serves no prices")
	}
	p, err := pr.Prices(ctx, accountFromProto(r.GetAccount()), PriceRequest{Symbols: r.GetSymbols(), Assets: r.GetAssets()})
	if err != nil {
		return nil, err
	}
	return pricesToProto(p), nil
}

// GetInstruments answers from the connector's InstrumentLister, or
// Unimplemented.
func (s *server) GetInstruments(ctx context.Context, r *pb.GetInstrumentsRequest) (*pb.GetInstrumentsResponse, error) {
	il, ok := s.impl.(InstrumentLister)
	if !ok {
		return nil, status.Error(codes.Unimplemented, "the connector lists no instruments")
	}
	m := Market(r.GetMarket())
	if m != MarketSpot && m != MarketFutures {
		return nil, Errorf(KindInvalidRequest, "market %q is neither spot nor futures", redact.Clip(r.GetMarket(), 20))
	}
	is, err := il.Instruments(ctx, accountFromProto(r.GetAccount()), m)
	if err != nil {
		return nil, err
	}
	return instrumentsToProto(is), nil
}

// GetAccountSnapshot answers from the connector's single methods, called
// side by side, each part with its own outcome.
func (s *server) GetAccountSnapshot(ctx context.Context, r *pb.GetAccountSnapshotRequest) (*pb.GetAccountSnapshotResponse, error) {
	acct := accountFromProto(r.GetAccount())
	out := &pb.GetAccountSnapshotResponse{}
	errs := wire.EachPart(r.GetParts(), func(part string) error {
		switch part {
		case CapSpotBalances:
			v, err := s.impl.SpotBalances(ctx, acct)
			if err == nil {
				out.Spot = balancesToProto(v)
			}
			return err
		case CapFuturesAccount:
			v, err := s.impl.FuturesAccount(ctx, acct)
			if err == nil {
				out.Futures = futuresToProto(v)
			}
			return err
		case CapPositions:
			v, err := s.impl.Positions(ctx, acct)
			if err == nil {
				out.Positions = positionsToProto(v)
			}
			return err
		}
		// A part this sdk does not know gets no field in the answer; the
		// host reports it as missing.
		return nil
	})
	secrets := secretsOf(r)
	for part, err := range errs {
		detail := errorDetail(err, secrets)
		switch part {
		case CapSpotBalances:
			out.SpotError = detail
		case CapFuturesAccount:
			out.FuturesError = detail
		case CapPositions:
			out.PositionsError = detail
		}
	}
	return out, nil
}

// serverInterceptor wraps every call: it recovers panics, collects the
// rate-limit usage the connector reports, and turns errors into statuses
// with a typed detail, scrubbed of the call's own credentials.
func serverInterceptor(log hclog.Logger) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (resp any, err error) {
		rec := &UsageRecorder{}
		ctx = WithUsageRecorder(ctx, rec)
		defer func() {
			if r := recover(); r != nil {
				log.Error("connector panicked", "method", info.FullMethod, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
				resp, err = nil, &Error{Kind: KindUnknown, Message: "connector panicked in " + methodName(info.FullMethod)}
			}
			if us := rec.Usage(); len(us) > 0 {
				if b, merr := proto.Marshal(usageToProto(us)); merr == nil {
					_ = grpc.SetTrailer(ctx, metadata.Pairs(wire.UsageTrailer, string(b)))
				}
			}
			if err != nil {
				err = toStatus(err, secretsOf(req))
			}
		}()
		return h(ctx, req)
	}
}

func methodName(full string) string {
	if i := strings.LastIndexByte(full, '/'); i >= 0 {
		return full[i+1:]
	}
	return full
}

type hasAccount interface{ GetAccount() *pb.Account }

func secretsOf(req any) []string {
	r, ok := req.(hasAccount)
	if !ok || r.GetAccount() == nil {
		return nil
	}
	a := r.GetAccount()
	return []string{a.GetApiKey(), a.GetSecretKey(), a.GetPassphrase()}
}

// kindCodes is the gRPC status code each kind travels under. The host
// decides on the typed detail beside it; the code is for plain gRPC tools.
var kindCodes = map[Kind]codes.Code{
	KindUnknown:           codes.Unknown,
	KindAuthentication:    codes.Unauthenticated,
	KindPermission:        codes.PermissionDenied,
	KindRateLimited:       codes.ResourceExhausted,
	KindClockSkew:         codes.FailedPrecondition,
	KindInvalidRequest:    codes.InvalidArgument,
	KindInsufficientFunds: codes.FailedPrecondition,
	KindUnknownSymbol:     codes.NotFound,
	KindUnsupported:       codes.Unimplemented,
	KindUnavailable:       codes.Unavailable,
	KindUnknownOutcome:    codes.Unknown,
	KindOrderNotFound:     codes.NotFound,
}

func toStatus(err error, secrets []string) error {
	// A typed error wins over a context error it may wrap: an order whose
	// deadline passed after sending must stay KindUnknownOutcome.
	var e *Error
	if !errors.As(err, &e) {
		if _, ok := status.FromError(err); ok {
			return err // already a status, e.g. Unimplemented from an older plugin's stub
		}
		switch {
		case errors.Is(err, context.DeadlineExceeded):
			return status.Error(codes.DeadlineExceeded, "deadline exceeded in connector")
		case errors.Is(err, context.Canceled):
			return status.Error(codes.Canceled, "call canceled")
		}
	}
	detail := errorDetail(err, secrets)
	msg := redact.String(err.Error(), secrets...)
	code, ok := kindCodes[KindOf(err)]
	if !ok {
		code = codes.Unknown // a kind from outside the table travels as unknown
	}
	st, serr := status.New(code, msg).WithDetails(detail)
	if serr != nil {
		return status.Error(code, msg)
	}
	return st.Err()
}

// errorDetail is the wire form of err, scrubbed of the call's credentials.
func errorDetail(err error, secrets []string) *pb.ErrorDetail {
	e := &Error{Kind: KindUnknown}
	if !errors.As(err, &e) {
		e = &Error{Kind: KindOf(err)}
	}
	d := &pb.ErrorDetail{
		Kind:         wire.KindToWire(e.Kind.String()),
		Message:      redact.String(e.Message, secrets...),
		ExchangeCode: e.ExchangeCode,
		RetryAfterMs: e.RetryAfter.Milliseconds(),
	}
	if d.Message == "" {
		d.Message = redact.String(err.Error(), secrets...)
	}
	return d
}
