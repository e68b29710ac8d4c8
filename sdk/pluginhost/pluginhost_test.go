package pluginhost

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	pb "github.com/globalautomation/gahost/proto/exchange/v1"
	"github.com/globalautomation/gahost/sdk"
	"github.com/shopspring/decimal"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// The calls that cross a real connection with a real connector are tested
// in package sdk (boundary_test.go); these cover what only the host side
// decides.

// plain is an Exchange that is no Snapshotter, with spot failing.
type plain struct{ sdk.Exchange }

func (plain) SpotBalances(context.Context, sdk.Account) ([]sdk.Balance, error) {
	return []sdk.Balance{{Asset: "LOST"}}, sdk.Errorf(sdk.KindUnavailable, "down")
}

func (plain) Positions(context.Context, sdk.Account) ([]sdk.Position, error) {
	return []sdk.Position{{Symbol: "BTC/USDT:USDT", Side: sdk.SideShort, Size: decimal.RequireFromString("2")}}, nil
}

func TestFetchSnapshotPartByPart(t *testing.T) {
	snap := FetchSnapshot(context.Background(), plain{}, sdk.Account{}, []string{sdk.CapSpotBalances, sdk.CapPositions, "margin_loans"})
	if snap.Spot != nil {
		t.Errorf("a failed part kept a value: %+v", snap.Spot)
	}
	if len(snap.Positions) != 1 || snap.Positions[0].Side != sdk.SideShort {
		t.Errorf("positions = %+v", snap.Positions)
	}
	if len(snap.Errs) != 2 || !errors.Is(snap.Errs[sdk.CapSpotBalances], sdk.ErrUnavailable) ||
		!errors.Is(snap.Errs["margin_loans"], sdk.ErrInvalidRequest) {
		t.Errorf("errs = %v", snap.Errs)
	}
}

// stuck is a plugin whose PlaceOrder never answers.
type stuck struct {
	pb.UnimplementedExchangeServer
	called chan struct{}
}

func (s *stuck) PlaceOrder(ctx context.Context, _ *pb.PlaceOrderRequest) (*pb.PlaceOrderResponse, error) {
	close(s.called)
	<-ctx.Done()
	return nil, ctx.Err()
}

func dial(t *testing.T, srv pb.ExchangeServer, done context.Context) *Client {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gs := grpc.NewServer()
	pb.RegisterExchangeServer(gs, srv)
	go gs.Serve(l)
	t.Cleanup(gs.Stop)
	conn, err := grpc.NewClient(l.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return NewClient(done, conn)
}

// A plugin that dies while an order is in flight leaves its outcome
// unknown; a call after it died fails at once as unavailable.
func TestPluginExitDuringOrder(t *testing.T) {
	done, exit := context.WithCancel(context.Background())
	s := &stuck{called: make(chan struct{})}
	c := dial(t, s, done)
	go func() { <-s.called; exit() }()
	_, err := c.PlaceOrder(context.Background(), sdk.Account{}, sdk.OrderRequest{Side: sdk.Buy})
	if !errors.Is(err, sdk.ErrUnknownOutcome) {
		t.Fatalf("order when the plugin exits: %v, want unknown outcome", err)
	}
	select {
	case <-c.Done():
	case <-time.After(time.Second):
		t.Fatal("Done not closed")
	}
	start := time.Now()
	if _, err := c.SpotBalances(context.Background(), sdk.Account{}); !errors.Is(err, sdk.ErrUnavailable) || time.Since(start) > time.Second {
		t.Fatalf("a call after exit: %v", err)
	}
	if _, err := c.PlaceOrder(context.Background(), sdk.Account{}, sdk.OrderRequest{}); !errors.Is(err, sdk.ErrUnavailable) {
		t.Fatalf("an order after exit was not refused before sending: %v", err)
	}
}
