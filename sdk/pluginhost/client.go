package pluginhost

import (
	"context"
	"errors"
	"fmt"
	"time"

	pb "github.com/globalautomation/gahost/proto/exchange/v1"
	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/internal/wire"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// Client is the host's sdk.Exchange for one plugin process, over its gRPC
// connection. It is what go-plugin dispenses through [PluginSets].
type Client struct {
	rpc  pb.ExchangeClient
	done context.Context // cancelled when the plugin process exits
}

var (
	_ sdk.Exchange = (*Client)(nil)
	_ Snapshotter  = (*Client)(nil)
)

// NewClient returns the client for the plugin behind conn. done ends with
// the plugin process: a call made after it ended fails at once as
// unavailable, and a call in flight when it ends is cut short.
func NewClient(done context.Context, conn grpc.ClientConnInterface) *Client {
	return &Client{rpc: pb.NewExchangeClient(conn), done: done}
}

// Done is closed when the plugin process behind this client has exited.
func (c *Client) Done() <-chan struct{} { return c.done.Done() }

// call runs one RPC bound both to ctx and to the plugin's life, hands the
// reported usage to the caller's observer and turns statuses back into
// typed errors. midCall says the failure is of the boundary itself, after
// the request left for the plugin: the plugin may have acted on it.
func call[Req, Resp any](c *Client, ctx context.Context, fn func(context.Context, Req, ...grpc.CallOption) (Resp, error), req Req) (resp Resp, midCall bool, err error) {
	var zero Resp
	if c.done.Err() != nil {
		return zero, false, &sdk.Error{Kind: sdk.KindUnavailable, Message: "plugin process has exited"}
	}
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(c.done, cancel)
	defer stop()

	var md metadata.MD
	resp, err = fn(cctx, req, grpc.Trailer(&md))
	if vals := md.Get(wire.UsageTrailer); len(vals) > 0 {
		var rep pb.RateUsageReport
		if proto.Unmarshal([]byte(vals[0]), &rep) == nil {
			observeUsage(ctx, usageFromProto(&rep))
		}
	}
	if err != nil {
		if ctx.Err() == nil && c.done.Err() != nil {
			return zero, true, &sdk.Error{Kind: sdk.KindUnavailable, Message: "plugin process exited during the call"}
		}
		midCall, err = fromStatus(ctx, err)
		return zero, midCall, err
	}
	return resp, false, nil
}

// fromStatus turns a status back into the connector's typed error.
func fromStatus(ctx context.Context, err error) (midCall bool, _ error) {
	st, ok := status.FromError(err)
	if !ok {
		return false, err
	}
	for _, d := range st.Details() {
		if ed, ok := d.(*pb.ErrorDetail); ok {
			return false, errorFromDetail(ed)
		}
	}
	switch st.Code() {
	case codes.DeadlineExceeded:
		return false, fmt.Errorf("plugin call: %w", context.DeadlineExceeded)
	case codes.Canceled:
		if ctx.Err() != nil {
			return false, fmt.Errorf("plugin call: %w", ctx.Err())
		}
		return false, fmt.Errorf("plugin call: %w", context.Canceled)
	case codes.Unavailable:
		return true, &sdk.Error{Kind: sdk.KindUnavailable, Message: "plugin unavailable: " + st.Message()}
	case codes.Unimplemented:
		return false, &sdk.Error{Kind: sdk.KindUnsupported, Message: "plugin does not implement this call"}
	}
	return false, &sdk.Error{Kind: sdk.KindUnknown, Message: st.Message()}
}

// kindFromWire reads a proto error kind through the shared table; a value
// from a newer plugin that this host does not know is KindUnknown.
func kindFromWire(w pb.ErrorKind) sdk.Kind {
	var k sdk.Kind
	if k.UnmarshalText([]byte(wire.KindFromWire(w))) != nil {
		return sdk.KindUnknown
	}
	return k
}

func errorFromDetail(d *pb.ErrorDetail) *sdk.Error {
	return &sdk.Error{
		Kind:         kindFromWire(d.GetKind()),
		Message:      d.GetMessage(),
		ExchangeCode: d.GetExchangeCode(),
		RetryAfter:   time.Duration(d.GetRetryAfterMs()) * time.Millisecond,
	}
}

// Info asks the connector to describe itself.
func (c *Client) Info(ctx context.Context) (sdk.Info, error) {
	r, _, err := call(c, ctx, c.rpc.GetInfo, &pb.GetInfoRequest{})
	if err != nil {
		return sdk.Info{}, err
	}
	return infoFromProto(r), nil
}

// ValidateCredentials checks an account's keys.
func (c *Client) ValidateCredentials(ctx context.Context, a sdk.Account) (sdk.Permissions, error) {
	r, _, err := call(c, ctx, c.rpc.ValidateCredentials, &pb.ValidateCredentialsRequest{Account: accountToProto(a)})
	if err != nil {
		return sdk.Permissions{}, err
	}
	return permsFromProto(r), nil
}

// SpotBalances reads an account's spot wallet.
func (c *Client) SpotBalances(ctx context.Context, a sdk.Account) ([]sdk.Balance, error) {
	r, _, err := call(c, ctx, c.rpc.GetSpotBalances, &pb.GetSpotBalancesRequest{Account: accountToProto(a)})
	if err != nil {
		return nil, err
	}
	return wireErr(balancesFromProto(r))
}

// FuturesAccount reads an account's USDT-margined futures wallet.
func (c *Client) FuturesAccount(ctx context.Context, a sdk.Account) (sdk.FuturesAccount, error) {
	r, _, err := call(c, ctx, c.rpc.GetFuturesAccount, &pb.GetFuturesAccountRequest{Account: accountToProto(a)})
	if err != nil {
		return sdk.FuturesAccount{}, err
	}
	return wireErr(futuresFromProto(r))
}

// Positions reads an account's open positions.
func (c *Client) Positions(ctx context.Context, a sdk.Account) ([]sdk.Position, error) {
	r, _, err := call(c, ctx, c.rpc.GetPositions, &pb.GetPositionsRequest{Account: accountToProto(a)})
	if err != nil {
		return nil, err
	}
	return wireErr(positionsFromProto(r))
}

// PlaceOrder places an order. A failure of the boundary itself after the
// request was sent (the plugin died, the connection broke, the deadline
// passed or the call was cancelled) is sdk.KindUnknownOutcome: the plugin
// may have placed the order before the host lost sight of it.
func (c *Client) PlaceOrder(ctx context.Context, a sdk.Account, req sdk.OrderRequest) (sdk.Order, error) {
	r, midCall, err := call(c, ctx, c.rpc.PlaceOrder, &pb.PlaceOrderRequest{Account: accountToProto(a), Order: orderRequestToProto(req)})
	if err != nil {
		var e *sdk.Error
		if midCall || (!errors.As(err, &e) && (errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled))) {
			return sdk.Order{}, &sdk.Error{Kind: sdk.KindUnknownOutcome, Message: "the order may have been placed: " + err.Error()}
		}
		return sdk.Order{}, err
	}
	o, err := orderFromProto(r.GetOrder())
	if err != nil {
		// The order was placed; only its echo is unreadable.
		return o, &sdk.Error{Kind: sdk.KindUnknownOutcome, Message: "order answer unreadable: " + err.Error()}
	}
	return o, nil
}

// CancelOrder cancels an order.
func (c *Client) CancelOrder(ctx context.Context, a sdk.Account, req sdk.CancelRequest) (sdk.Order, error) {
	r, _, err := call(c, ctx, c.rpc.CancelOrder, cancelToProto(a, req))
	if err != nil {
		return sdk.Order{}, err
	}
	return wireErr(orderFromProto(r.GetOrder()))
}

// Snapshot reads parts in one round trip. A plugin built before the
// snapshot call answers Unimplemented, and the parts are read one by one.
func (c *Client) Snapshot(ctx context.Context, a sdk.Account, parts []string) Snapshot {
	r, _, err := call(c, ctx, c.rpc.GetAccountSnapshot, &pb.GetAccountSnapshotRequest{Account: accountToProto(a), Parts: parts})
	if err != nil {
		if sdk.KindOf(err) == sdk.KindUnsupported {
			return fetchParts(ctx, c, a, parts)
		}
		snap := Snapshot{Errs: make(map[string]error, len(parts))}
		for _, p := range parts {
			snap.Errs[p] = err
		}
		return snap
	}
	var snap Snapshot
	for _, p := range parts {
		var err error
		switch p {
		case sdk.CapSpotBalances:
			if d := r.GetSpotError(); d != nil {
				err = errorFromDetail(d)
			} else {
				snap.Spot, err = wireErr(balancesFromProto(r.GetSpot()))
			}
		case sdk.CapFuturesAccount:
			if d := r.GetFuturesError(); d != nil {
				err = errorFromDetail(d)
			} else {
				snap.Futures, err = wireErr(futuresFromProto(r.GetFutures()))
			}
		case sdk.CapPositions:
			if d := r.GetPositionsError(); d != nil {
				err = errorFromDetail(d)
			} else {
				snap.Positions, err = wireErr(positionsFromProto(r.GetPositions()))
			}
		default:
			err = noPart(p)
		}
		if err != nil {
			if snap.Errs == nil {
				snap.Errs = map[string]error{}
			}
			snap.Errs[p] = err
		}
	}
	return snap
}

// wireErr marks a decoding failure of a plugin's answer as a plugin fault.
func wireErr[T any](v T, err error) (T, error) {
	if err != nil {
		return v, &sdk.Error{Kind: sdk.KindUnknown, Message: "plugin answered with " + err.Error()}
	}
	return v, nil
}
