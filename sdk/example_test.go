package sdk_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/globalautomation/gahost/sdk"
	"github.com/shopspring/decimal"
)

// paper is the smallest whole connector: it declares what it can do and
// answers from memory. A real one calls its exchange with package rest.
type paper struct{}

func (paper) Info(context.Context) (sdk.Info, error) {
	return sdk.Info{
		Name: "paper", DisplayName: "Paper", Version: "1.0.0",
		Capabilities: []string{sdk.CapSpotBalances},
		RateLimits:   []sdk.RateLimit{{Name: "requests", Limit: 600, Interval: time.Minute, Scope: sdk.ScopeIP}},
		Costs:        []sdk.CallCost{{Call: sdk.CapSpotBalances, Limit: "requests", Cost: 1}},
	}, nil
}

func (paper) ValidateCredentials(_ context.Context, a sdk.Account) (sdk.Permissions, error) {
	if a.APIKey == "" {
		return sdk.Permissions{}, sdk.Errorf(sdk.KindAuthentication, "paper: no API key given")
	}
	return sdk.Permissions{CanRead: true}, nil
}

func (paper) SpotBalances(context.Context, sdk.Account) ([]sdk.Balance, error) {
	return []sdk.Balance{{Asset: "USDT", Free: decimal.RequireFromString("1000")}}, nil
}

// What a connector does not declare, it refuses as unsupported.
func (paper) FuturesAccount(context.Context, sdk.Account) (sdk.FuturesAccount, error) {
	return sdk.FuturesAccount{}, sdk.Errorf(sdk.KindUnsupported, "paper: no futures")
}

func (paper) Positions(context.Context, sdk.Account) ([]sdk.Position, error) {
	return nil, sdk.Errorf(sdk.KindUnsupported, "paper: no futures")
}

func (paper) PlaceOrder(context.Context, sdk.Account, sdk.OrderRequest) (sdk.Order, error) {
	return sdk.Order{}, sdk.Errorf(sdk.KindUnsupported, "paper: no orders")
}

func (paper) CancelOrder(context.Context, sdk.Account, sdk.CancelRequest) (sdk.Order, error) {
	return sdk.Order{}, sdk.Errorf(sdk.KindUnsupported, "paper: no orders")
}

// Serve is a connector's whole main function. Built as
// gahost-plugin-paper and dropped into the host's plugin directory, the
// connector is found, started and called by the host; run by hand, it
// says it is a plugin and exits.
func ExampleServe() {
	sdk.Serve(paper{})
}

// An exchange failure is an *sdk.Error with a Kind; the host decides on
// the kind alone (errors.Is against the sentinels), never on the text.
func ExampleRateLimited() {
	err := fmt.Errorf("reading balances: %w", sdk.RateLimited(2*time.Second, "paper: weight used up"))
	fmt.Println(errors.Is(err, sdk.ErrRateLimited), sdk.KindOf(err), sdk.RetryAfter(err))
	fmt.Println(err)
	// Output:
	// true rate_limited 2s
	// reading balances: paper: weight used up; retry after 2s
}
