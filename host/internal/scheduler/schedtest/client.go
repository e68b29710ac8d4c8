package schedtest

// The connector's side of the fake: how a call to the fake is made and its
// answer mapped the way a real connector maps an exchange's (typed errors,
// usage from headers, decimal strings to decimals). The host's test plugin
// speaks to the fake over HTTP with it; the scheduler's tests run the same
// code in process (see Plugin).

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/globalautomation/gahost/sdk"
	"github.com/shopspring/decimal"
)

// Doer sends a request: an *http.Client's Do, or a handler served in
// process.
type Doer func(*http.Request) (*http.Response, error)

// Get calls path on the fake at base with key's header and decodes its
// answer into out (nil: ignore).
func Get(ctx context.Context, do Doer, base, key, path string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+path, nil)
	if err != nil {
		return sdk.Errorf(sdk.KindInvalidRequest, "bad rest endpoint")
	}
	req.Header.Set(HeaderKey, key)
	resp, err := do(req)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return sdk.Errorf(sdk.KindUnavailable, "test exchange unreachable")
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return sdk.Errorf(sdk.KindUnavailable, "test exchange answer cut off")
	}
	reportUsage(ctx, resp.Header)
	if resp.StatusCode == http.StatusOK {
		if out == nil {
			return nil
		}
		if err := json.Unmarshal(body, out); err != nil {
			return sdk.Errorf(sdk.KindUnknown, "test exchange answered malformed JSON")
		}
		return nil
	}
	var eb ErrorBody
	_ = json.Unmarshal(body, &eb)
	e := &sdk.Error{Message: "test exchange: " + eb.Message, ExchangeCode: strconv.Itoa(resp.StatusCode)}
	switch {
	case resp.StatusCode == http.StatusUnauthorized:
		e.Kind = sdk.KindAuthentication
	case resp.StatusCode == http.StatusForbidden:
		e.Kind = sdk.KindPermission
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusTeapot:
		e.Kind = sdk.KindRateLimited
		ms, _ := strconv.ParseInt(resp.Header.Get(HeaderRetryMillis), 10, 64)
		e.RetryAfter = time.Duration(ms) * time.Millisecond
	case resp.StatusCode >= 500:
		e.Kind = sdk.KindUnavailable
	default:
		e.Kind = sdk.KindUnknown
	}
	return e
}

func reportUsage(ctx context.Context, h http.Header) {
	used, err1 := strconv.ParseInt(h.Get(HeaderUsedWeight), 10, 64)
	lim, err2 := strconv.ParseInt(h.Get(HeaderWeightLimit), 10, 64)
	ms, err3 := strconv.ParseInt(h.Get(HeaderWindowMillis), 10, 64)
	if errors.Join(err1, err2, err3) != nil {
		return
	}
	sdk.ReportUsage(ctx, sdk.RateUsage{Name: WeightName, Used: used, Limit: lim,
		Interval: time.Duration(ms) * time.Millisecond})
}

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// The reads of the fake, mapped to the sdk's types.

func SpotBalances(ctx context.Context, do Doer, base, key string) ([]sdk.Balance, error) {
	var out struct{ Balances []Balance }
	if err := Get(ctx, do, base, key, PathSpot, &out); err != nil {
		return nil, err
	}
	bs := make([]sdk.Balance, 0, len(out.Balances))
	for _, b := range out.Balances {
		bs = append(bs, sdk.Balance{Asset: b.Asset, Free: dec(b.Free), Locked: dec(b.Locked)})
	}
	return bs, nil
}

func FuturesAccount(ctx context.Context, do Doer, base, key string) (sdk.FuturesAccount, error) {
	var f Futures
	if err := Get(ctx, do, base, key, PathFutures, &f); err != nil {
		return sdk.FuturesAccount{}, err
	}
	return sdk.FuturesAccount{Asset: f.Asset, WalletBalance: dec(f.WalletBalance), UnrealizedPnL: dec(f.UnrealizedPnL),
		MarginBalance: dec(f.MarginBalance), AvailableBalance: dec(f.AvailableBalance)}, nil
}

func Positions(ctx context.Context, do Doer, base, key string) ([]sdk.Position, error) {
	var out struct{ Positions []Position }
	if err := Get(ctx, do, base, key, PathPositions, &out); err != nil {
		return nil, err
	}
	ps := make([]sdk.Position, 0, len(out.Positions))
	for _, p := range out.Positions {
		ps = append(ps, sdk.Position{Symbol: p.Symbol, Side: sdk.PositionSide(p.Side), Size: dec(p.Size), EntryPrice: dec(p.EntryPrice),
			MarkPrice: dec(p.MarkPrice), UnrealizedPnL: dec(p.UnrealizedPnL), Leverage: dec(p.Leverage),
			LiquidationPrice: dec(p.LiquidationPrice), MarginMode: sdk.MarginMode(p.MarginMode)})
	}
	return ps, nil
}
