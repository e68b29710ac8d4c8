package sdk

// The gRPC side of the boundary: the server adapter that exposes an Exchange,
// the client adapter that is one on the host, and the error and usage
// translation between them.

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"strings"
	"time"

	pb "github.com/globalautomation/gahost/proto/exchange/v1"
	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// ProtocolVersion is the plugin protocol this sdk speaks. It changes only
// with a new proto package (exchange.v2); go-plugin negotiates it.
const ProtocolVersion = 1

// PluginName is the name under which the exchange service is dispensed.
const PluginName = "exchange"

// Handshake is shared by host and plugins. The cookie only tells a user who
// runs a plugin by hand that it is not a program of its own; it is no
// security boundary.
var Handshake = plugin.HandshakeConfig{
	ProtocolVersion:  ProtocolVersion,
	MagicCookieKey:   "GAHOST_PLUGIN",
	MagicCookieValue: "exchange-connector-4f1c9d2e",
}

// usageTrailer carries a serialized pb.RateUsageReport beside every answer.
const usageTrailer = "gahost-rate-usage-bin"

// PluginSets is what the host passes as go-plugin's VersionedPlugins.
func PluginSets() map[int]plugin.PluginSet {
	return map[int]plugin.PluginSet{ProtocolVersion: {PluginName: GRPCPlugin(nil)}}
}

// GRPCPlugin returns the go-plugin glue for impl (nil on the host side).
// Plugin authors use Serve instead; this is for hosts and test harnesses.
func GRPCPlugin(impl Exchange) plugin.Plugin {
	return &grpcPlugin{impl: impl}
}

type grpcPlugin struct {
	plugin.NetRPCUnsupportedPlugin
	impl Exchange
}

func (p *grpcPlugin) GRPCServer(_ *plugin.GRPCBroker, s *grpc.Server) error {
	pb.RegisterExchangeServer(s, &server{impl: p.impl})
	return nil
}

// GRPCClient returns an Exchange whose calls end when ctx does: go-plugin
// cancels ctx when the plugin process exits, so no call outlives it.
func (p *grpcPlugin) GRPCClient(ctx context.Context, _ *plugin.GRPCBroker, c *grpc.ClientConn) (any, error) {
	return &client{rpc: pb.NewExchangeClient(c), done: ctx}, nil
}

// ---- server side ----

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
					_ = grpc.SetTrailer(ctx, metadata.Pairs(usageTrailer, string(b)))
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

// Scrub replaces every occurrence of the given secrets in s. Secrets shorter
// than four characters are left alone: masking them would garble ordinary
// words and they are not credentials any exchange issues.
func Scrub(s string, secrets ...string) string {
	for _, sec := range secrets {
		if len(sec) >= 4 && strings.Contains(s, sec) {
			s = strings.ReplaceAll(s, sec, "[redacted]")
		}
	}
	return s
}

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

// kindWire pairs every Kind with its proto enum value. The two are listed
// side by side rather than cast by position, so that reordering either enum
// cannot silently change what crosses the boundary; a test checks that every
// Kind has exactly one entry.
var kindWire = [...]struct {
	kind Kind
	wire pb.ErrorKind
}{
	{KindUnknown, pb.ErrorKind_ERROR_KIND_UNSPECIFIED},
	{KindAuthentication, pb.ErrorKind_ERROR_KIND_AUTHENTICATION},
	{KindPermission, pb.ErrorKind_ERROR_KIND_PERMISSION},
	{KindRateLimited, pb.ErrorKind_ERROR_KIND_RATE_LIMITED},
	{KindClockSkew, pb.ErrorKind_ERROR_KIND_CLOCK_SKEW},
	{KindInvalidRequest, pb.ErrorKind_ERROR_KIND_INVALID_REQUEST},
	{KindInsufficientFunds, pb.ErrorKind_ERROR_KIND_INSUFFICIENT_FUNDS},
	{KindUnknownSymbol, pb.ErrorKind_ERROR_KIND_UNKNOWN_SYMBOL},
	{KindUnsupported, pb.ErrorKind_ERROR_KIND_UNSUPPORTED},
	{KindUnavailable, pb.ErrorKind_ERROR_KIND_UNAVAILABLE},
	{KindUnknownOutcome, pb.ErrorKind_ERROR_KIND_UNKNOWN_OUTCOME},
	{KindOrderNotFound, pb.ErrorKind_ERROR_KIND_ORDER_NOT_FOUND},
}

// kindToWire is the proto value of k; a kind the table lacks travels as
// unspecified, which the other side reads as KindUnknown (transient).
func kindToWire(k Kind) pb.ErrorKind {
	for _, e := range kindWire {
		if e.kind == k {
			return e.wire
		}
	}
	return pb.ErrorKind_ERROR_KIND_UNSPECIFIED
}

// kindFromWire is the Kind of a proto value; a value from a newer peer that
// this side does not know is KindUnknown.
func kindFromWire(w pb.ErrorKind) Kind {
	for _, e := range kindWire {
		if e.wire == w {
			return e.kind
		}
	}
	return KindUnknown
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
	msg := Scrub(err.Error(), secrets...)
	code := kindCodes[kindFromWire(detail.GetKind())]
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
		Kind:         kindToWire(e.Kind),
		Message:      Scrub(e.Message, secrets...),
		ExchangeCode: e.ExchangeCode,
		RetryAfterMs: e.RetryAfter.Milliseconds(),
	}
	if d.Message == "" {
		d.Message = Scrub(err.Error(), secrets...)
	}
	return d
}

func errorFromDetail(d *pb.ErrorDetail) *Error {
	return &Error{
		Kind:         kindFromWire(d.GetKind()),
		Message:      d.GetMessage(),
		ExchangeCode: d.GetExchangeCode(),
		RetryAfter:   time.Duration(d.GetRetryAfterMs()) * time.Millisecond,
	}
}

// GetAccountSnapshot answers from the connector's single methods, called
// side by side, each part with its own outcome.
func (s *server) GetAccountSnapshot(ctx context.Context, r *pb.GetAccountSnapshotRequest) (*pb.GetAccountSnapshotResponse, error) {
	acct := accountFromProto(r.GetAccount())
	snap := fetchParts(ctx, s.impl, acct, r.GetParts())
	secrets := secretsOf(r)
	out := &pb.GetAccountSnapshotResponse{}
	for _, p := range r.GetParts() {
		err := snap.Errs[p]
		var detail *pb.ErrorDetail
		if err != nil {
			detail = errorDetail(err, secrets)
		}
		switch p {
		case CapSpotBalances:
			if out.SpotError = detail; err == nil {
				out.Spot = balancesToProto(snap.Spot)
			}
		case CapFuturesAccount:
			if out.FuturesError = detail; err == nil {
				out.Futures = futuresToProto(snap.Futures)
			}
		case CapPositions:
			if out.PositionsError = detail; err == nil {
				out.Positions = positionsToProto(snap.Positions)
			}
		}
	}
	return out, nil
}

// ---- client side ----

type client struct {
	rpc  pb.ExchangeClient
	done context.Context // cancelled when the plugin process exits
}

// call runs one RPC bound both to ctx and to the plugin's life, hands the
// reported usage to the caller's observer and turns statuses back into
// typed errors.
func call[Req, Resp any](c *client, ctx context.Context, fn func(context.Context, Req, ...grpc.CallOption) (Resp, error), req Req) (Resp, error) {
	var zero Resp
	if c.done.Err() != nil {
		return zero, &Error{Kind: KindUnavailable, Message: "plugin process has exited"}
	}
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(c.done, cancel)
	defer stop()

	var md metadata.MD
	resp, err := fn(cctx, req, grpc.Trailer(&md))
	if vals := md.Get(usageTrailer); len(vals) > 0 {
		var rep pb.RateUsageReport
		if proto.Unmarshal([]byte(vals[0]), &rep) == nil {
			observeUsage(ctx, usageFromProto(&rep))
		}
	}
	if err != nil {
		if ctx.Err() == nil && c.done.Err() != nil {
			return zero, &Error{Kind: KindUnavailable, Message: "plugin process exited during the call", midCall: true}
		}
		return zero, fromStatus(ctx, err)
	}
	return resp, nil
}

func fromStatus(ctx context.Context, err error) error {
	st, ok := status.FromError(err)
	if !ok {
		return err
	}
	for _, d := range st.Details() {
		if ed, ok := d.(*pb.ErrorDetail); ok {
			return errorFromDetail(ed)
		}
	}
	switch st.Code() {
	case codes.DeadlineExceeded:
		return fmt.Errorf("plugin call: %w", context.DeadlineExceeded)
	case codes.Canceled:
		if ctx.Err() != nil {
			return fmt.Errorf("plugin call: %w", ctx.Err())
		}
		return fmt.Errorf("plugin call: %w", context.Canceled)
	case codes.Unavailable:
		return &Error{Kind: KindUnavailable, Message: "plugin unavailable: " + st.Message(), midCall: true}
	case codes.Unimplemented:
		return &Error{Kind: KindUnsupported, Message: "plugin does not implement this call"}
	}
	return &Error{Kind: KindUnknown, Message: st.Message()}
}

func (c *client) Info(ctx context.Context) (Info, error) {
	r, err := call(c, ctx, c.rpc.GetInfo, &pb.GetInfoRequest{})
	if err != nil {
		return Info{}, err
	}
	return infoFromProto(r), nil
}

func (c *client) ValidateCredentials(ctx context.Context, a Account) (Permissions, error) {
	r, err := call(c, ctx, c.rpc.ValidateCredentials, &pb.ValidateCredentialsRequest{Account: accountToProto(a)})
	if err != nil {
		return Permissions{}, err
	}
	return permsFromProto(r), nil
}

func (c *client) SpotBalances(ctx context.Context, a Account) ([]Balance, error) {
	r, err := call(c, ctx, c.rpc.GetSpotBalances, &pb.GetSpotBalancesRequest{Account: accountToProto(a)})
	if err != nil {
		return nil, err
	}
	return wireErr(balancesFromProto(r))
}

func (c *client) FuturesAccount(ctx context.Context, a Account) (FuturesAccount, error) {
	r, err := call(c, ctx, c.rpc.GetFuturesAccount, &pb.GetFuturesAccountRequest{Account: accountToProto(a)})
	if err != nil {
		return FuturesAccount{}, err
	}
	return wireErr(futuresFromProto(r))
}

func (c *client) Positions(ctx context.Context, a Account) ([]Position, error) {
	r, err := call(c, ctx, c.rpc.GetPositions, &pb.GetPositionsRequest{Account: accountToProto(a)})
	if err != nil {
		return nil, err
	}
	return wireErr(positionsFromProto(r))
}

func (c *client) PlaceOrder(ctx context.Context, a Account, req OrderRequest) (Order, error) {
	r, err := call(c, ctx, c.rpc.PlaceOrder, &pb.PlaceOrderRequest{Account: accountToProto(a), Order: orderRequestToProto(req)})
	if err != nil {
		return Order{}, orderOutcome(err)
	}
	o, err := orderFromProto(r.GetOrder())
	if err != nil {
		// The order was placed; only its echo is unreadable.
		return o, &Error{Kind: KindUnknownOutcome, Message: "order answer unreadable: " + err.Error()}
	}
	return o, nil
}

// Snapshot reads parts in one round trip. A plugin built before the
// snapshot call answers Unimplemented, and the parts are read one by one.
func (c *client) Snapshot(ctx context.Context, a Account, parts []string) Snapshot {
	r, err := call(c, ctx, c.rpc.GetAccountSnapshot, &pb.GetAccountSnapshotRequest{Account: accountToProto(a), Parts: parts})
	if err != nil {
		if KindOf(err) == KindUnsupported {
			return fetchParts(ctx, c, a, parts)
		}
		snap := Snapshot{Errs: make(map[string]error, len(parts))}
		for _, p := range parts {
			snap.Errs[p] = err
		}
		return snap
	}
	var snap Snapshot
	fail := func(part string, err error) {
		if snap.Errs == nil {
			snap.Errs = map[string]error{}
		}
		snap.Errs[part] = err
	}
	for _, p := range parts {
		var err error
		switch p {
		case CapSpotBalances:
			if d := r.GetSpotError(); d != nil {
				err = errorFromDetail(d)
			} else {
				snap.Spot, err = wireErr(balancesFromProto(r.GetSpot()))
			}
		case CapFuturesAccount:
			if d := r.GetFuturesError(); d != nil {
				err = errorFromDetail(d)
			} else {
				snap.Futures, err = wireErr(futuresFromProto(r.GetFutures()))
			}
		case CapPositions:
			if d := r.GetPositionsError(); d != nil {
				err = errorFromDetail(d)
			} else {
				snap.Positions, err = wireErr(positionsFromProto(r.GetPositions()))
			}
		default:
			err = Errorf(KindInvalidRequest, "no snapshot part %q", p)
		}
		if err != nil {
			fail(p, err)
		}
	}
	return snap
}

// orderOutcome turns a failure of the boundary itself during PlaceOrder
// (the plugin died, the connection broke, the deadline passed or the call
// was cancelled after it was sent) into KindUnknownOutcome: the plugin may
// have placed the order before the host lost sight of it.
func orderOutcome(err error) error {
	var e *Error
	typed := errors.As(err, &e)
	if (typed && e.midCall) || (!typed && (errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled))) {
		return &Error{Kind: KindUnknownOutcome, Message: "the order may have been placed: " + err.Error()}
	}
	return err
}

func (c *client) CancelOrder(ctx context.Context, a Account, req CancelRequest) (Order, error) {
	r, err := call(c, ctx, c.rpc.CancelOrder, cancelToProto(a, req))
	if err != nil {
		return Order{}, err
	}
	return wireErr(orderFromProto(r.GetOrder()))
}

// wireErr marks a decoding failure of a plugin's answer as a plugin fault.
func wireErr[T any](v T, err error) (T, error) {
	if err != nil {
		return v, &Error{Kind: KindUnknown, Message: "plugin answered with " + err.Error()}
	}
	return v, nil
}

// Done is closed when the plugin process behind this client has exited.
// Hosts use it to notice a crash without polling.
func (c *client) Done() <-chan struct{} { return c.done.Done() }
