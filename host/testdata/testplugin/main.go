// Command testplugin is a connector with canned data for the host's tests.
// It is never shipped. Its name, version, protocol and declared per-IP rate
// limit are set at build time:
//
//	go build -ldflags "-X main.name=alpha -X main.version=1.2.0 -X main.limit=6000 -X main.window=1m" ./testdata/testplugin
//
// The API key of each call tells it how to behave, so one process serves
// every scenario a test needs:
//
//	crash            the process exits mid-call
//	please-panic     the handler panics
//	hang             the call blocks until its deadline
//	sleep:<dur>      answers after <dur>
//	error:<kind>     fails with that sdk error kind (e.g. error:rate_limited:1500 waits 1.5 s)
//	anything else    answers with the canned account below
//
// When the account's "rest" endpoint is set, the balance, futures, position
// and validate calls go instead to the fake exchange of package
// host/internal/scheduler/schedtest at that URL (after the key's behaviour above,
// so "crash" still crashes): the fake decides the answer per key, counts
// the weight, and its usage headers are reported as an exchange's would be.
// Without the endpoint it reports the weight this process has used, under
// its declared limit.
package main

import (
	"context"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/globalautomation/gahost/host/internal/scheduler/schedtest"
	"github.com/globalautomation/gahost/sdk"
	"github.com/shopspring/decimal"
)

var (
	name     = "alpha"
	version  = "1.0.0"
	protocol = ""     // e.g. "2": offer only that protocol version
	limit    = "1200" // declared request weight per window, per IP
	window   = "1m"
)

// rateLimit is the declared limit, read from the build-time strings.
func rateLimit() sdk.RateLimit {
	n, err := strconv.ParseInt(limit, 10, 64)
	if err != nil || n <= 0 {
		n = 1200
	}
	w, err := time.ParseDuration(window)
	if err != nil || w <= 0 {
		w = time.Minute
	}
	return sdk.RateLimit{Name: "request_weight", Limit: n, Interval: w, Scope: sdk.ScopeIP}
}

type connector struct {
	used atomic.Int64 // weight used in this process's life, reported like an exchange header
}

func main() {
	var opts []sdk.ServeOption
	if protocol != "" {
		v, err := strconv.Atoi(protocol)
		if err != nil {
			os.Exit(1)
		}
		opts = append(opts, sdk.WithProtocolVersions(v))
	}
	sdk.Serve(&connector{}, opts...)
}

func (c *connector) Info(context.Context) (sdk.Info, error) {
	return sdk.Info{
		Name:               name,
		DisplayName:        strings.ToUpper(name[:1]) + name[1:] + " (test)",
		Version:            version,
		RequiresPassphrase: name == "passphrased",
		SupportsTestnet:    true,
		EndpointKeys:       []string{"rest"},
		Capabilities:       []string{sdk.CapSpotBalances, sdk.CapFuturesAccount, sdk.CapPositions, sdk.CapOrders},
		RateLimits:         []sdk.RateLimit{rateLimit()},
		CallCosts: map[string]int64{
			sdk.CapSpotBalances: 10, sdk.CapFuturesAccount: 5, sdk.CapPositions: 5, sdk.CapOrders: 1, sdk.CapValidate: 10,
		},
	}, nil
}

var kinds = map[string]sdk.Kind{}

func init() {
	for k := sdk.KindUnknown; k <= sdk.KindUnknownOutcome; k++ {
		kinds[k.String()] = k
	}
}

// behave acts out what the API key asks for; it returns nil to answer normally.
func (c *connector) behave(ctx context.Context, a sdk.Account, cost int64) error {
	if a.Endpoints["rest"] == "" {
		used := c.used.Add(cost)
		rl := rateLimit()
		sdk.ReportUsage(ctx, sdk.RateUsage{Name: rl.Name, Used: used, Limit: rl.Limit, Interval: rl.Interval})
	}
	key := a.APIKey
	switch {
	case key == "crash":
		os.Exit(3)
	case key == "please-panic":
		panic("test plugin told to panic")
	case key == "hang":
		<-ctx.Done()
		return ctx.Err()
	case strings.HasPrefix(key, "sleep:"):
		d, _ := time.ParseDuration(strings.TrimPrefix(key, "sleep:"))
		select {
		case <-time.After(d):
		case <-ctx.Done():
			return ctx.Err()
		}
	case strings.HasPrefix(key, "error:"):
		parts := strings.Split(strings.TrimPrefix(key, "error:"), ":")
		e := &sdk.Error{Kind: kinds[parts[0]], Message: "test plugin error " + parts[0], ExchangeCode: "-1"}
		if len(parts) > 1 {
			ms, _ := strconv.Atoi(parts[1])
			e.RetryAfter = time.Duration(ms) * time.Millisecond
		}
		return e
	}
	return nil
}

func d(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func (c *connector) ValidateCredentials(ctx context.Context, a sdk.Account) (sdk.Permissions, error) {
	if err := c.behave(ctx, a, 10); err != nil {
		return sdk.Permissions{}, err
	}
	if remote(a) {
		if err := schedtest.Get(ctx, httpClient.Do, a.Endpoints["rest"], a.APIKey, schedtest.PathValidate, nil); err != nil {
			return sdk.Permissions{}, err
		}
	}
	return sdk.Permissions{CanRead: true, CanTradeSpot: true, CanTradeFutures: true}, nil
}

func (c *connector) SpotBalances(ctx context.Context, a sdk.Account) ([]sdk.Balance, error) {
	if err := c.behave(ctx, a, 10); err != nil {
		return nil, err
	}
	if remote(a) {
		return schedtest.SpotBalances(ctx, httpClient.Do, a.Endpoints["rest"], a.APIKey)
	}
	return []sdk.Balance{
		{Asset: "BTC", Free: d("0.50000000"), Locked: d("0.10000000")},
		{Asset: "USDT", Free: d("1000.25"), Locked: d("0")},
	}, nil
}

func (c *connector) FuturesAccount(ctx context.Context, a sdk.Account) (sdk.FuturesAccount, error) {
	if err := c.behave(ctx, a, 5); err != nil {
		return sdk.FuturesAccount{}, err
	}
	if remote(a) {
		return schedtest.FuturesAccount(ctx, httpClient.Do, a.Endpoints["rest"], a.APIKey)
	}
	return sdk.FuturesAccount{
		Asset: "USDT", WalletBalance: d("5000.00"), UnrealizedPnL: d("-12.5"),
		MarginBalance: d("4987.50"), AvailableBalance: d("4000"),
	}, nil
}

func (c *connector) Positions(ctx context.Context, a sdk.Account) ([]sdk.Position, error) {
	if err := c.behave(ctx, a, 5); err != nil {
		return nil, err
	}
	if remote(a) {
		return schedtest.Positions(ctx, httpClient.Do, a.Endpoints["rest"], a.APIKey)
	}
	return []sdk.Position{{
		Symbol: "BTC/USDT:USDT", Side: sdk.SideLong, Size: d("0.010"), EntryPrice: d("60000.1"),
		MarkPrice: d("58750.1"), UnrealizedPnL: d("-12.5"), Leverage: d("10"),
		LiquidationPrice: d("54321.9"), MarginMode: sdk.MarginCross,
	}}, nil
}

func (c *connector) PlaceOrder(ctx context.Context, a sdk.Account, r sdk.OrderRequest) (sdk.Order, error) {
	if err := c.behave(ctx, a, 1); err != nil {
		return sdk.Order{}, err
	}
	return sdk.Order{
		ID: "1", ClientOrderID: r.ClientOrderID, Market: r.Market, Symbol: r.Symbol, Side: r.Side,
		Type: r.Type, Status: sdk.StatusNew, Quantity: r.Quantity, Price: r.Price, ReduceOnly: r.ReduceOnly,
		CreatedAt: time.Now(),
	}, nil
}

func (c *connector) CancelOrder(ctx context.Context, a sdk.Account, r sdk.CancelRequest) (sdk.Order, error) {
	if err := c.behave(ctx, a, 1); err != nil {
		return sdk.Order{}, err
	}
	return sdk.Order{ID: r.OrderID, ClientOrderID: r.ClientOrderID, Market: r.Market, Symbol: r.Symbol, Status: sdk.StatusCanceled}, nil
}
