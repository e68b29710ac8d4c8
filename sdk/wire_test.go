package sdk

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	pb "github.com/globalautomation/gahost/proto/exchange/v1"
	"github.com/hashicorp/go-hclog"
	"github.com/shopspring/decimal"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// echo is an Exchange whose answers a test sets.
type echo struct {
	err      error
	balances []Balance
	usage    []RateUsage
	gotAcct  Account
}

func (e *echo) Info(context.Context) (Info, error) {
	return Info{Name: "echo", Version: "1.0.0", RateLimits: []RateLimit{{Name: "w", Limit: 10, Interval: time.Minute, Scope: ScopeIP}}}, nil
}
func (e *echo) ValidateCredentials(context.Context, Account) (Permissions, error) {
	return Permissions{}, e.err
}
func (e *echo) SpotBalances(ctx context.Context, a Account) ([]Balance, error) {
	e.gotAcct = a
	ReportUsage(ctx, e.usage...)
	return e.balances, e.err
}
func (e *echo) FuturesAccount(context.Context, Account) (FuturesAccount, error) {
	return FuturesAccount{}, e.err
}
func (e *echo) Positions(context.Context, Account) ([]Position, error) { return nil, e.err }
func (e *echo) PlaceOrder(_ context.Context, _ Account, r OrderRequest) (Order, error) {
	return Order{Quantity: r.Quantity, Price: r.Price}, e.err
}
func (e *echo) CancelOrder(context.Context, Account, CancelRequest) (Order, error) {
	return Order{}, e.err
}

// pair connects a host-side client to impl over a real gRPC connection on
// loopback, with the interceptor Serve installs.
func pair(t *testing.T, impl Exchange) Exchange {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer(grpc.ChainUnaryInterceptor(serverInterceptor(hclog.NewNullLogger())))
	if err := GRPCPlugin(impl).(*grpcPlugin).GRPCServer(nil, srv); err != nil {
		t.Fatal(err)
	}
	go srv.Serve(l)
	t.Cleanup(srv.Stop)
	conn, err := grpc.NewClient(l.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	raw, err := GRPCPlugin(nil).(*grpcPlugin).GRPCClient(t.Context(), nil, conn)
	if err != nil {
		t.Fatal(err)
	}
	return raw.(Exchange)
}

func TestErrorsCrossTyped(t *testing.T) {
	impl := &echo{}
	x := pair(t, impl)
	acct := Account{APIKey: "AKEY-123456", SecretKey: "SECRET-abcdef", Passphrase: "pass-phrase-1"}
	cases := []struct {
		name string
		err  error
		want error
		kind Kind
	}{
		{"typed", RateLimited(3*time.Second, "slow down"), ErrRateLimited, KindRateLimited},
		{"wrapped typed", fmt.Errorf("placing: %w", &Error{Kind: KindInsufficientFunds, Message: "no money"}), ErrInsufficientFunds, KindInsufficientFunds},
		{"typed around a deadline", &Error{Kind: KindUnknownOutcome, Message: "timed out after sending: " + context.DeadlineExceeded.Error()}, ErrUnknownOutcome, KindUnknownOutcome},
		{"sentinel", fmt.Errorf("x: %w", ErrUnknownSymbol), ErrUnknownSymbol, KindUnknownSymbol},
		{"plain", errors.New("boom"), nil, KindUnknown},
		{"deadline", fmt.Errorf("read: %w", context.DeadlineExceeded), context.DeadlineExceeded, KindUnknown},
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
			if KindOf(err) != tc.kind {
				t.Fatalf("kind = %v, want %v", KindOf(err), tc.kind)
			}
			if tc.kind == KindRateLimited && RetryAfter(err) != 3*time.Second {
				t.Fatalf("retry after = %v", RetryAfter(err))
			}
		})
	}
}

func TestSecretsScrubbedFromErrors(t *testing.T) {
	acct := Account{APIKey: "AKEY-123456", SecretKey: "SECRET-abcdef", Passphrase: "pass-phrase-1"}
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
		balances: []Balance{{Asset: "BTC", Free: decimal.RequireFromString("0.00000001"), Locked: decimal.RequireFromString("123456789.123456789")}},
		usage:    []RateUsage{{Name: "w", Used: 7, Limit: 10, Interval: time.Minute}},
	}
	x := pair(t, impl)
	var got []RateUsage
	ctx := WithUsageObserver(context.Background(), func(u []RateUsage) { got = u })
	acct := Account{APIKey: "k", Testnet: true, Endpoints: map[string]string{"rest": "http://127.0.0.1:1"}}
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
	o, err := x.PlaceOrder(ctx, acct, OrderRequest{Quantity: decimal.RequireFromString("1.50"), Price: decimal.RequireFromString("60000.5")})
	if err != nil || o.Quantity.String() != "1.5" || o.Price.String() != "60000.5" {
		t.Fatalf("order = %+v, %v", o, err)
	}
}

type hanging struct{ echo }

func (h *hanging) PlaceOrder(ctx context.Context, _ Account, _ OrderRequest) (Order, error) {
	<-ctx.Done()
	return Order{}, ctx.Err()
}

func (h *hanging) SpotBalances(ctx context.Context, _ Account) ([]Balance, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

// An order call that the host loses sight of after sending is an unknown
// outcome, never a plain failure; a read that times out stays a deadline.
func TestLostOrderIsUnknownOutcome(t *testing.T) {
	x := pair(t, &hanging{})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := x.PlaceOrder(ctx, Account{}, OrderRequest{})
	if !errors.Is(err, ErrUnknownOutcome) {
		t.Fatalf("order past its deadline: %v, want unknown outcome", err)
	}
	ctx2, cancel2 := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel2()
	_, err = x.SpotBalances(ctx2, Account{})
	if !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, ErrUnknownOutcome) {
		t.Fatalf("read past its deadline: %v, want deadline exceeded", err)
	}
}

// partial fails some parts of a snapshot and serves the others.
type partial struct{ echo }

func (p *partial) FuturesAccount(context.Context, Account) (FuturesAccount, error) {
	return FuturesAccount{}, RateLimited(2*time.Second, "futures weight used up")
}

func (p *partial) Positions(context.Context, Account) ([]Position, error) {
	return []Position{{Symbol: "BTC/USDT:USDT", Side: SideLong, Size: decimal.RequireFromString("0.5")}}, nil
}

func TestSnapshotPartsCrossWithTheirOwnOutcome(t *testing.T) {
	impl := &partial{echo{balances: []Balance{{Asset: "ETH", Free: decimal.RequireFromString("1.25")}}}}
	x := pair(t, impl)
	if _, ok := x.(Snapshotter); !ok {
		t.Fatal("the host-side client does not read snapshots in one call")
	}
	snap := FetchSnapshot(context.Background(), x, Account{APIKey: "k"}, []string{CapSpotBalances, CapFuturesAccount, CapPositions})
	if len(snap.Spot) != 1 || snap.Spot[0].Free.String() != "1.25" {
		t.Fatalf("spot = %+v", snap.Spot)
	}
	if len(snap.Positions) != 1 || snap.Positions[0].Size.String() != "0.5" {
		t.Fatalf("positions = %+v", snap.Positions)
	}
	if len(snap.Errs) != 1 || !errors.Is(snap.Errs[CapFuturesAccount], ErrRateLimited) || RetryAfter(snap.Errs[CapFuturesAccount]) != 2*time.Second {
		t.Fatalf("errs = %v", snap.Errs)
	}
}

// legacyServer is a plugin built before the snapshot call existed.
type legacyServer struct {
	pb.UnimplementedExchangeServer
	s *server
}

func (l legacyServer) GetSpotBalances(ctx context.Context, r *pb.GetSpotBalancesRequest) (*pb.GetSpotBalancesResponse, error) {
	return l.s.GetSpotBalances(ctx, r)
}

func TestSnapshotFallsBackForOlderPlugins(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer(grpc.ChainUnaryInterceptor(serverInterceptor(hclog.NewNullLogger())))
	pb.RegisterExchangeServer(srv, legacyServer{s: &server{impl: &echo{balances: []Balance{{Asset: "BTC", Free: decimal.RequireFromString("2")}}}}})
	go srv.Serve(l)
	t.Cleanup(srv.Stop)
	conn, err := grpc.NewClient(l.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	raw, _ := GRPCPlugin(nil).(*grpcPlugin).GRPCClient(t.Context(), nil, conn)
	snap := FetchSnapshot(context.Background(), raw.(Exchange), Account{}, []string{CapSpotBalances})
	if len(snap.Errs) != 0 || len(snap.Spot) != 1 || snap.Spot[0].Free.String() != "2" {
		t.Fatalf("snapshot from an older plugin: %+v", snap)
	}
}

// Observers nest: the host's boundary observes a call whose caller observes
// it too, and both hear the usage.
func TestUsageObserversNest(t *testing.T) {
	impl := &echo{usage: []RateUsage{{Name: "w", Used: 7, Limit: 10, Interval: time.Minute}}}
	x := pair(t, impl)
	var outer, inner []RateUsage
	ctx := WithUsageObserver(context.Background(), func(u []RateUsage) { outer = u })
	ctx = WithUsageObserver(ctx, func(u []RateUsage) { inner = u })
	if _, err := x.SpotBalances(ctx, Account{APIKey: "k"}); err != nil {
		t.Fatal(err)
	}
	if len(outer) != 1 || outer[0] != impl.usage[0] || len(inner) != 1 || inner[0] != impl.usage[0] {
		t.Fatalf("outer heard %+v, inner %+v", outer, inner)
	}
}
