package stream

import (
	"context"
	"errors"
	"testing"

	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/rest"
	"github.com/shopspring/decimal"
)

type reader struct {
	calls []string
	fail  string
}

func (r *reader) read(part string) error {
	r.calls = append(r.calls, part)
	if part == r.fail {
		return errors.New("down")
	}
	return nil
}

func (r *reader) SpotBalances(context.Context, sdk.Account) ([]sdk.Balance, error) {
	return []sdk.Balance{{Asset: "USDT", Free: decimal.NewFromInt(5)}}, r.read(sdk.CapSpotBalances)
}

func (r *reader) FuturesAccount(context.Context, sdk.Account) (sdk.FuturesAccount, error) {
	return sdk.FuturesAccount{WalletBalance: decimal.NewFromInt(7)}, r.read(sdk.CapFuturesAccount)
}

func (r *reader) Positions(context.Context, sdk.Account) ([]sdk.Position, error) {
	return []sdk.Position{{Symbol: "BTC/USDT:USDT"}}, r.read(sdk.CapPositions)
}

func TestReadSeed(t *testing.T) {
	r := &reader{}
	acct := sdk.StreamAccount{Parts: []string{sdk.CapPositions, sdk.CapSpotBalances}}
	s, err := ReadSeed(context.Background(), r, acct.Account, Seed{},
		Wanted(acct, sdk.CapSpotBalances, sdk.CapFuturesAccount, sdk.CapPositions)...)
	if err != nil || len(s.Spot) != 1 || s.Futures != nil || len(s.Positions) != 1 {
		t.Fatalf("seed %+v, %v", s, err)
	}
	if got := r.calls; len(got) != 2 || got[0] != sdk.CapSpotBalances || got[1] != sdk.CapPositions {
		t.Fatalf("reads %q: the wanted parts in the order given", got)
	}

	r = &reader{fail: sdk.CapFuturesAccount}
	s, err = ReadSeed(context.Background(), r, sdk.Account{}, Seed{}, sdk.CapFuturesAccount, sdk.CapPositions)
	if err == nil || s.Futures != nil || len(r.calls) != 1 {
		t.Fatalf("a failed read must end it without its part: %+v, %v, reads %q", s, err, r.calls)
	}
	if _, err := ReadSeed(context.Background(), r, sdk.Account{}, Seed{}, "orders"); err == nil {
		t.Fatal("a part without a REST read was accepted")
	}
	r = &reader{}
	s, _ = ReadSeed(context.Background(), r, sdk.Account{}, Seed{}, sdk.CapFuturesAccount)
	if s.Futures == nil || !s.Futures.WalletBalance.Equal(decimal.NewFromInt(7)) {
		t.Fatalf("futures %+v", s.Futures)
	}
}

func TestDeriveFutures(t *testing.T) {
	f := sdk.FuturesAccount{WalletBalance: decimal.RequireFromString("1000"), UnrealizedPnL: decimal.RequireFromString("99")}
	DeriveFutures(&f, []sdk.Position{{UnrealizedPnL: decimal.RequireFromString("-25")}, {UnrealizedPnL: decimal.RequireFromString("5.5")}})
	if !f.UnrealizedPnL.Equal(decimal.RequireFromString("-19.5")) || !f.MarginBalance.Equal(decimal.RequireFromString("980.5")) {
		t.Fatalf("derived %+v", f)
	}
}

func TestBase(t *testing.T) {
	hosts := map[string]rest.Hosts{"ws": {Mainnet: "wss://live.example", Testnet: "wss://demo.example"}}
	for _, tc := range []struct {
		acct sdk.Account
		want string
	}{
		{sdk.Account{}, "wss://live.example"},
		{sdk.Account{Testnet: true}, "wss://demo.example"},
		{sdk.Account{Endpoints: map[string]string{"ws": "ws://127.0.0.1:9/"}}, "ws://127.0.0.1:9"},
	} {
		if got := Base(tc.acct, "ws", hosts); got != tc.want {
			t.Errorf("Base(%+v) = %q, want %q", tc.acct, got, tc.want)
		}
	}
}
