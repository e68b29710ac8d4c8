package sdk_test

// The boundary as the host meets it: this package's serving side and
// package pluginhost's client over a real gRPC connection on loopback.

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	pb "github.com/globalautomation/gahost/proto/exchange/v1"
	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/pluginhost"
	"github.com/shopspring/decimal"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// echo is an Exchange whose answers a test sets.
type echo struct {
	err      error
	balances []sdk.Balance
	usage    []sdk.RateUsage
	gotAcct  sdk.Account
}

func (e *echo) Info(context.Context) (sdk.Info, error) {
	return sdk.Info{Name: "echo", Version: "1.0.0", RateLimits: []sdk.RateLimit{{Name: "w", Limit: 10, Interval: time.Minute, Scope: sdk.ScopeIP}}}, nil
}
func (e *echo) ValidateCredentials(context.Context, sdk.Account) (sdk.Permissions, error) {
	return sdk.Permissions{}, e.err
}
func (e *echo) SpotBalances(ctx context.Context, a sdk.Account) ([]sdk.Balance, error) {
	e.gotAcct = a
	sdk.ReportUsage(ctx, e.usage...)
	return e.balances, e.err
}
func (e *echo) FuturesAccount(context.Context, sdk.Account) (sdk.FuturesAccount, error) {
	return sdk.FuturesAccount{}, e.err
}
func (e *echo) Positions(context.Context, sdk.Account) ([]sdk.Position, error) { return nil, e.err }
func (e *echo) PlaceOrder(_ context.Context, _ sdk.Account, r sdk.OrderRequest) (sdk.Order, error) {
	return sdk.Order{Quantity: r.Quantity, Price: r.Price}, e.err
}
func (e *echo) CancelOrder(context.Context, sdk.Account, sdk.CancelRequest) (sdk.Order, error) {
	return sdk.Order{}, e.err
}

// pair connects a host-side client to impl over a real gRPC connection on
// loopback, with the interceptor Serve installs.
func pair(t testing.TB, impl sdk.Exchange) *pluginhost.Client {
	t.Helper()
	return connect(t, sdk.NewServer(impl))
}

func connect(t testing.TB, srv pb.ExchangeServer) *pluginhost.Client {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gs := grpc.NewServer(grpc.ChainUnaryInterceptor(sdk.ServerInterceptor()))
	pb.RegisterExchangeServer(gs, srv)
	go gs.Serve(l)
	t.Cleanup(gs.Stop)
	conn, err := grpc.NewClient(l.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return pluginhost.NewClient(context.Background(), conn)
}

func TestErrorsCrossTyped(t *testing.T) {
	impl := &echo{}
	x := pair(t, impl)
	acct := sdk.Account{APIKey: "AKEY-123456", SecretKey: "SECRET-abcdef", Passphrase: "pass-phrase-1"}
	cases := []struct {
		name string
		err  error
		want error
		kind sdk.Kind
	}{
		{"typed", sdk.RateLimited(3*time.Second, "slow down"), sdk.ErrRateLimited, sdk.KindRateLimited},
		{"wrapped typed", fmt.Errorf("placing: %w", &sdk.Error{Kind: sdk.KindInsufficientFunds, Message: "no money"}), sdk.ErrInsufficientFunds, sdk.KindInsufficientFunds},
		{"typed around a deadline", &sdk.Error{Kind: sdk.KindUnknownOutcome, Message: "timed out after sending: " + context.DeadlineExceeded.Error()}, sdk.ErrUnknownOutcome, sdk.KindUnknownOutcome},
		{"sentinel", fmt.Errorf("x: %w", sdk.ErrUnknownSymbol), sdk.ErrUnknownSymbol, sdk.KindUnknownSymbol},
		{"plain", errors.New("boom"), nil, sdk.KindUnknown},
		{"deadline", fmt.Errorf("read: %w", context.DeadlineExceeded), context.DeadlineExceeded, sdk.KindUnknown},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			impl.err = tc.err
			_, err := x.SpotBalances(context.Background(), acct)
			if err == nil {
				t.Fatal("no error")
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want Is %v", err, tc.want)
			}
			if sdk.KindOf(err) != tc.kind {
				t.Fatalf("kind = %v, want %v", sdk.KindOf(err), tc.kind)
			}
			if tc.kind == sdk.KindRateLimited && sdk.RetryAfter(err) != 3*time.Second {
				t.Fatalf("retry after = %v", sdk.RetryAfter(err))
			}
		})
	}
}

func TestSecretsScrubbedFromErrors(t *testing.T) {
	acct := sdk.Account{APIKey: "AKEY-123456", SecretKey: "SECRET-abcdef", Passphrase: "pass-phrase-1"}
	impl := &echo{err: fmt.Errorf("exchange said: bad key AKEY-123456 with SECRET-abcdef and pass-phrase-1")}
	x := pair(t, impl)
	_, err := x.SpotBalances(context.Background(), acct)
	for _, s := range []string{acct.APIKey, acct.SecretKey, acct.Passphrase} {
		if strings.Contains(err.Error(), s) {
			t.Fatalf("error %q leaks %q", err, s)
		}
	}
	if !strings.Contains(err.Error(), "[redacted]") {
		t.Fatalf("error %q not scrubbed", err)
	}
	if s := fmt.Sprintf("%v %+v %#v", acct, acct, acct); strings.Contains(s, "SECRET") || strings.Contains(s, "AKEY") {
		t.Fatalf("Account formats its credentials: %s", s)
	}
}

func TestValuesCrossExactly(t *testing.T) {
	impl := &echo{
		balances: []sdk.Balance{{Asset: "BTC", Free: decimal.RequireFromString("0.00000001"), Locked: decimal.RequireFromString("123456789.123456789")}},
		usage:    []sdk.RateUsage{{Name: "w", Used: 7, Limit: 10, Interval: time.Minute}},
	}
	x := pair(t, impl)
	var got []sdk.RateUsage
	ctx := pluginhost.WithUsageObserver(context.Background(), func(u []sdk.RateUsage) { got = u })
	acct := sdk.Account{APIKey: "k", Testnet: true, Endpoints: map[string]string{"rest": "http://127.0.0.1:1"}}
	bs, err := x.SpotBalances(ctx, acct)
	if err != nil {
		t.Fatal(err)
	}
	if len(bs) != 1 || bs[0].Free.String() != "0.00000001" || bs[0].Locked.String() != "123456789.123456789" {
		t.Fatalf("balances = %+v", bs)
	}
	if len(got) != 1 || got[0] != impl.usage[0] {
		t.Fatalf("usage = %+v", got)
	}
	if !impl.gotAcct.Testnet || impl.gotAcct.Endpoints["rest"] != "http://127.0.0.1:1" {
		t.Fatalf("account crossed as %+v", impl.gotAcct.Endpoints)
	}
	o, err := x.PlaceOrder(ctx, acct, sdk.OrderRequest{Quantity: decimal.RequireFromString("1.50"), Price: decimal.RequireFromString("60000.5")})
	if err != nil || o.Quantity.String() != "1.5" || o.Price.String() != "60000.5" {
		t.Fatalf("order = %+v, %v", o, err)
	}
}

type hanging struct{ echo }

func (h *hanging) PlaceOrder(ctx context.Context, _ sdk.Account, _ sdk.OrderRequest) (sdk.Order, error) {
	<-ctx.Done()
	return sdk.Order{}, ctx.Err()
}

func (h *hanging) SpotBalances(ctx context.Context, _ sdk.Account) ([]sdk.Balance, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

// An order call that the host loses sight of after sending is an unknown
// outcome, never a plain failure; a read that times out stays a deadline.
func TestLostOrderIsUnknownOutcome(t *testing.T) {
	x := pair(t, &hanging{})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := x.PlaceOrder(ctx, sdk.Account{}, sdk.OrderRequest{})
	if !errors.Is(err, sdk.ErrUnknownOutcome) {
		t.Fatalf("order past its deadline: %v, want unknown outcome", err)
	}
	ctx2, cancel2 := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel2()
	_, err = x.SpotBalances(ctx2, sdk.Account{})
	if !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, sdk.ErrUnknownOutcome) {
		t.Fatalf("read past its deadline: %v, want deadline exceeded", err)
	}
}

// partial fails some parts of a snapshot and serves the others.
type partial struct{ echo }

func (p *partial) FuturesAccount(context.Context, sdk.Account) (sdk.FuturesAccount, error) {
	return sdk.FuturesAccount{}, sdk.RateLimited(2*time.Second, "futures weight used up")
}

func (p *partial) Positions(context.Context, sdk.Account) ([]sdk.Position, error) {
	return []sdk.Position{{Symbol: "BTC/USDT:USDT", Side: sdk.SideLong, Size: decimal.RequireFromString("0.5")}}, nil
}

func TestSnapshotPartsCrossWithTheirOwnOutcome(t *testing.T) {
	impl := &partial{echo{balances: []sdk.Balance{{Asset: "ETH", Free: decimal.RequireFromString("1.25")}}}}
	x := pair(t, impl)
	snap := pluginhost.FetchSnapshot(context.Background(), x, sdk.Account{APIKey: "k"}, []string{sdk.CapSpotBalances, sdk.CapFuturesAccount, sdk.CapPositions})
	if len(snap.Spot) != 1 || snap.Spot[0].Free.String() != "1.25" {
		t.Fatalf("spot = %+v", snap.Spot)
	}
	if len(snap.Positions) != 1 || snap.Positions[0].Size.String() != "0.5" {
		t.Fatalf("positions = %+v", snap.Positions)
	}
	if len(snap.Errs) != 1 || !errors.Is(snap.Errs[sdk.CapFuturesAccount], sdk.ErrRateLimited) || sdk.RetryAfter(snap.Errs[sdk.CapFuturesAccount]) != 2*time.Second {
		t.Fatalf("errs = %v", snap.Errs)
	}
}

// legacyServer is a plugin built before the snapshot call existed.
type legacyServer struct {
	pb.UnimplementedExchangeServer
	s pb.ExchangeServer
}

func (l legacyServer) GetSpotBalances(ctx context.Context, r *pb.GetSpotBalancesRequest) (*pb.GetSpotBalancesResponse, error) {
	return l.s.GetSpotBalances(ctx, r)
}

func TestSnapshotFallsBackForOlderPlugins(t *testing.T) {
	x := connect(t, legacyServer{s: sdk.NewServer(&echo{balances: []sdk.Balance{{Asset: "BTC", Free: decimal.RequireFromString("2")}}})})
	snap := pluginhost.FetchSnapshot(context.Background(), x, sdk.Account{}, []string{sdk.CapSpotBalances})
	if len(snap.Errs) != 0 || len(snap.Spot) != 1 || snap.Spot[0].Free.String() != "2" {
		t.Fatalf("snapshot from an older plugin: %+v", snap)
	}
}

// Every kind crosses a real connection intact and matches its sentinel.
func TestEveryKindCrossesTheWire(t *testing.T) {
	impl := &echo{}
	x := pair(t, impl)
	sentinels := map[sdk.Kind]error{
		sdk.KindAuthentication: sdk.ErrAuthentication, sdk.KindPermission: sdk.ErrPermission, sdk.KindRateLimited: sdk.ErrRateLimited,
		sdk.KindClockSkew: sdk.ErrClockSkew, sdk.KindInvalidRequest: sdk.ErrInvalidRequest, sdk.KindInsufficientFunds: sdk.ErrInsufficientFunds,
		sdk.KindUnknownSymbol: sdk.ErrUnknownSymbol, sdk.KindUnsupported: sdk.ErrUnsupported, sdk.KindUnavailable: sdk.ErrUnavailable,
		sdk.KindUnknownOutcome: sdk.ErrUnknownOutcome, sdk.KindOrderNotFound: sdk.ErrOrderNotFound,
	}
	for k := sdk.KindUnknown + 1; k.String() != "unknown"; k++ {
		impl.err = sdk.Errorf(k, "failed as %v", k)
		_, err := x.SpotBalances(context.Background(), sdk.Account{})
		if sdk.KindOf(err) != k {
			t.Errorf("sent %v, got %v (%v)", k, sdk.KindOf(err), err)
		}
		if !errors.Is(err, sentinels[k]) {
			t.Errorf("%v does not match its sentinel", k)
		}
		delete(sentinels, k)
	}
	for k := range sentinels {
		t.Errorf("kind %v was not sent", k)
	}
	// A kind from outside the table (a newer sdk's) arrives as unknown.
	impl.err = &sdk.Error{Kind: sdk.Kind(99), Message: "from the future"}
	if _, err := x.SpotBalances(context.Background(), sdk.Account{}); err == nil || sdk.KindOf(err) != sdk.KindUnknown {
		t.Errorf("an unknown kind arrived as %v (%v)", sdk.KindOf(err), err)
	}
}

// BenchmarkInProcessGRPC is one Info call over an in-process gRPC
// connection: what the boundary costs without a second process.
func BenchmarkInProcessGRPC(b *testing.B) {
	x := pair(b, &echo{})
	ctx := context.Background()
	b.ResetTimer()
	for b.Loop() {
		if _, err := x.Info(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// The host's plugin boundary and the caller above it may both observe a
// call's usage: nesting observers keeps both.
func TestUsageObserversNest(t *testing.T) {
	impl := &echo{usage: []sdk.RateUsage{{Name: "w", Used: 7, Limit: 10, Interval: time.Minute}}}
	x := pair(t, impl)
	var outer, inner []sdk.RateUsage
	ctx := pluginhost.WithUsageObserver(context.Background(), func(u []sdk.RateUsage) { outer = u })
	ctx = pluginhost.WithUsageObserver(ctx, func(u []sdk.RateUsage) { inner = u })
	if _, err := x.SpotBalances(ctx, sdk.Account{APIKey: "k"}); err != nil {
		t.Fatal(err)
	}
	if len(outer) != 1 || outer[0] != impl.usage[0] || len(inner) != 1 || inner[0] != impl.usage[0] {
		t.Fatalf("outer heard %+v, inner %+v", outer, inner)
	}
}

// described is an echo connector declaring info.
type described struct {
	echo
	info sdk.Info
}

func (d *described) Info(context.Context) (sdk.Info, error) { return d.info, nil }

// Every field of a rate limit crosses: the host plans bursts on an aligned
// window that it would take out of the steady rate on any other.
func TestRateLimitsCross(t *testing.T) {
	want := []sdk.RateLimit{
		{Name: "weight", Limit: 6000, Interval: time.Minute, Scope: sdk.ScopeIP, Aligned: true},
		{Name: "orders", Limit: 50, Interval: 10 * time.Second, Scope: sdk.ScopeAccount},
	}
	x := pair(t, &described{info: sdk.Info{Name: "d", Version: "1.0.0", RateLimits: want}})
	got, err := x.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.RateLimits, want) {
		t.Fatalf("rate limits arrived as %+v, want %+v", got.RateLimits, want)
	}
}
