package plugintest

// What every connector must do alike, driven by faults injected into its
// fake: deadlines, unknown outcomes, rate limits and bans, clock skew, a
// wrong secret, an order that does not exist. Each check names the fixture
// it lacks when it skips.

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/fakex"
)

// missingOrderID is an order id no fake holds: numeric, as some exchanges
// want their ids.
const missingOrderID = "987654321987"

func needCapability(t *testing.T, info sdk.Info, c string) {
	t.Helper()
	if c == "" && len(info.Capabilities) == 0 {
		t.Skip("the connector declares no capability yet, so no account can be added to it")
	}
	if c != "" && !info.Has(c) {
		t.Skipf("the connector does not declare %s", c)
	}
}

func needAccount(t *testing.T, fx Fixtures) {
	t.Helper()
	if len(fx.Account.Endpoints) == 0 {
		t.Skip("no Account fixture pointing at a fake exchange")
	}
}

func needOrder(t *testing.T, info sdk.Info, fx Fixtures) {
	t.Helper()
	needCapability(t, info, sdk.CapOrders)
	needAccount(t, fx)
	if fx.Order == nil {
		t.Skip("no Order fixture")
	}
}

func needFake(t *testing.T, fx Fixtures, path, name string) {
	t.Helper()
	needAccount(t, fx)
	if fx.Fake == nil {
		t.Skip("no Fake fixture to inject faults into")
	}
	if path == "" {
		t.Skipf("no Paths.%s fixture to aim the fault at", name)
	}
}

// reads are the credentials check and every declared account part.
func reads(info sdk.Info) map[string]func(context.Context, sdk.Exchange, sdk.Account) error {
	m := map[string]func(context.Context, sdk.Exchange, sdk.Account) error{
		"ValidateCredentials": func(c context.Context, ex sdk.Exchange, a sdk.Account) error {
			_, err := ex.ValidateCredentials(c, a)
			return err
		},
	}
	if info.Has(sdk.CapSpotBalances) {
		m["SpotBalances"] = func(c context.Context, ex sdk.Exchange, a sdk.Account) error {
			_, err := ex.SpotBalances(c, a)
			return err
		}
	}
	if info.Has(sdk.CapFuturesAccount) {
		m["FuturesAccount"] = func(c context.Context, ex sdk.Exchange, a sdk.Account) error {
			_, err := ex.FuturesAccount(c, a)
			return err
		}
	}
	if info.Has(sdk.CapPositions) {
		m["Positions"] = func(c context.Context, ex sdk.Exchange, a sdk.Account) error {
			_, err := ex.Positions(c, a)
			return err
		}
	}
	return m
}

// readCall is the suite's read: the first account part the connector
// declares, else the credentials check.
func readCall(info sdk.Info) (string, func(context.Context, sdk.Exchange, sdk.Account) error) {
	switch {
	case info.Has(sdk.CapSpotBalances):
		return "SpotBalances", func(c context.Context, ex sdk.Exchange, a sdk.Account) error {
			_, err := ex.SpotBalances(c, a)
			return err
		}
	case info.Has(sdk.CapFuturesAccount):
		return "FuturesAccount", func(c context.Context, ex sdk.Exchange, a sdk.Account) error {
			_, err := ex.FuturesAccount(c, a)
			return err
		}
	case info.Has(sdk.CapPositions):
		return "Positions", func(c context.Context, ex sdk.Exchange, a sdk.Account) error {
			_, err := ex.Positions(c, a)
			return err
		}
	}
	return "ValidateCredentials", func(c context.Context, ex sdk.Exchange, a sdk.Account) error {
		_, err := ex.ValidateCredentials(c, a)
		return err
	}
}

// inject queues f on the fake and, when the test ends, fails it if f did
// not fire (the call never reached the path) and drops it so that it
// cannot hit a later check.
func inject(t *testing.T, fake Fake, f fakex.Fault) {
	t.Helper()
	fake.Inject(f)
	t.Cleanup(func() {
		if n := fake.PendingFaults(); n != 0 {
			t.Errorf("%d injected fault(s) did not fire: the call never reached %s", n, f.Path)
			fake.ClearFaults()
		}
	})
}

func wantKind(t *testing.T, what string, err error, k sdk.Kind) {
	t.Helper()
	if got := sdk.KindOf(err); got != k || err == nil {
		t.Errorf("%s: kind %v (%v), want %v", what, got, err, k)
	}
}

func checkShared(t *testing.T, ex sdk.Exchange, info sdk.Info, fx Fixtures, remote bool) {
	readName, read := readCall(info)
	// A read that succeeds before a fault is injected: the connector has
	// measured the clock and loaded what it caches, so the fault hits the
	// call under test.
	warm := func(t *testing.T) {
		t.Helper()
		if err := read(ctx(t), ex, fx.Account); err != nil {
			t.Fatalf("%s before injecting a fault: %v", readName, err)
		}
	}
	placeFn := func(c context.Context) error {
		_, err := ex.PlaceOrder(c, fx.Account, *fx.Order)
		return err
	}

	t.Run("wrong secret is an authentication error", func(t *testing.T) {
		needCapability(t, info, "")
		needAccount(t, fx)
		if fx.BadSecret == nil {
			t.Skip("no BadSecret fixture")
		}
		bad := *fx.BadSecret
		for name, call := range reads(info) {
			err := call(ctx(t), ex, bad)
			wantKind(t, name+" with a wrong secret", err, sdk.KindAuthentication)
			if err != nil && bad.SecretKey != "" && strings.Contains(err.Error(), bad.SecretKey) {
				t.Errorf("%s: the error names the secret", name)
			}
		}
		if fx.Order != nil && info.Has(sdk.CapOrders) {
			_, err := ex.PlaceOrder(ctx(t), bad, *fx.Order)
			wantKind(t, "PlaceOrder with a wrong secret", err, sdk.KindAuthentication)
		}
	})
	t.Run("malformed and unknown symbols", func(t *testing.T) {
		needOrder(t, info, fx)
		req := *fx.Order
		req.Symbol = "not a symbol"
		_, err := ex.PlaceOrder(ctx(t), fx.Account, req)
		wantKind(t, "malformed symbol", err, sdk.KindInvalidRequest)
		if fx.UnknownSymbol == "" {
			t.Skip("no UnknownSymbol fixture")
		}
		req.Symbol = fx.UnknownSymbol
		_, err = ex.PlaceOrder(ctx(t), fx.Account, req)
		wantKind(t, "unknown symbol", err, sdk.KindUnknownSymbol)
	})
	t.Run("cancelling an order that does not exist", func(t *testing.T) {
		needOrder(t, info, fx)
		_, err := ex.CancelOrder(ctx(t), fx.Account, sdk.CancelRequest{Market: fx.Order.Market, Symbol: fx.Order.Symbol, OrderID: missingOrderID})
		wantKind(t, "cancel of order "+missingOrderID, err, sdk.KindOrderNotFound)
	})

	// Deadlines. The fake holds the answer for a minute; the call must end
	// soon after its 200 ms deadline. Across the boundary the host's own
	// deadline may end a read first, as a plain deadline error.
	t.Run("slow read past the deadline", func(t *testing.T) {
		needCapability(t, info, "")
		needFake(t, fx, fx.Paths.Read, "Read")
		warm(t)
		inject(t, fx.Fake, fakex.Slow("", fx.Paths.Read, time.Minute))
		err := CallPastDeadline(t, 200*time.Millisecond, func(c context.Context) error { return read(c, ex, fx.Account) })
		if remote && errors.Is(err, context.DeadlineExceeded) {
			return
		}
		wantKind(t, readName+" past its deadline", err, sdk.KindUnavailable)
	})
	t.Run("order sent and not answered by the deadline", func(t *testing.T) {
		needOrder(t, info, fx)
		needFake(t, fx, fx.Paths.Order, "Order")
		warm(t)
		inject(t, fx.Fake, fakex.Slow(http.MethodPost, fx.Paths.Order, time.Minute))
		err := CallPastDeadline(t, 200*time.Millisecond, placeFn)
		wantKind(t, "order past its deadline", err, sdk.KindUnknownOutcome)
	})

	t.Run("slow cancel past the deadline", func(t *testing.T) {
		needOrder(t, info, fx)
		needFake(t, fx, fx.Paths.Cancel, "Cancel")
		warm(t)
		inject(t, fx.Fake, fakex.Slow("", fx.Paths.Cancel, time.Minute))
		err := CallPastDeadline(t, 200*time.Millisecond, func(c context.Context) error {
			_, err := ex.CancelOrder(c, fx.Account, sdk.CancelRequest{Market: fx.Order.Market, Symbol: fx.Order.Symbol, OrderID: missingOrderID})
			return err
		})
		if remote && errors.Is(err, context.DeadlineExceeded) {
			return
		}
		wantKind(t, "cancel past its deadline", err, sdk.KindUnavailable)
	})

	// A gateway error says nothing of whether the request ran.
	t.Run("5xx on a read", func(t *testing.T) {
		needCapability(t, info, "")
		needFake(t, fx, fx.Paths.Read, "Read")
		warm(t)
		inject(t, fx.Fake, fakex.ServerError("", fx.Paths.Read))
		wantKind(t, readName+" answered 502", read(ctx(t), ex, fx.Account), sdk.KindUnavailable)
	})
	t.Run("5xx after an order was sent", func(t *testing.T) {
		needOrder(t, info, fx)
		needFake(t, fx, fx.Paths.Order, "Order")
		warm(t)
		inject(t, fx.Fake, fakex.ServerError(http.MethodPost, fx.Paths.Order))
		wantKind(t, "order answered 502", placeFn(ctx(t)), sdk.KindUnknownOutcome)
	})

	// Rate limits: the kind, and a wait that is there and sane; a ban asks
	// for a long one, so that nobody retries a banned address each second.
	t.Run("rate limited", func(t *testing.T) {
		needCapability(t, info, "")
		needFake(t, fx, fx.Paths.Read, "Read")
		warm(t)
		f := fx.Fake.RateLimited(7 * time.Second)
		f.Path = fx.Paths.Read
		inject(t, fx.Fake, f)
		err := read(ctx(t), ex, fx.Account)
		wantKind(t, readName+" over the limit", err, sdk.KindRateLimited)
		if d := sdk.RetryAfter(err); d <= 0 || d > 2*time.Minute {
			t.Errorf("over the limit: retry after %v, want a wait of at most the exchange's window", d)
		}
	})
	t.Run("banned", func(t *testing.T) {
		needCapability(t, info, "")
		needFake(t, fx, fx.Paths.Read, "Read")
		f := fx.Fake.Banned(5 * time.Minute)
		if f.Status == 0 {
			t.Skip("the fake's exchange documents no ban")
		}
		warm(t)
		f.Path = fx.Paths.Read
		inject(t, fx.Fake, f)
		err := read(ctx(t), ex, fx.Account)
		wantKind(t, readName+" while banned", err, sdk.KindRateLimited)
		if d := sdk.RetryAfter(err); d < time.Minute || d > time.Hour {
			t.Errorf("banned: retry after %v, want the length of a ban (minutes)", d)
		}
	})
}

// checkClockSkew moves the fake's clock: first before the connector's first
// call (it measures the offset once, and the call goes through), then
// after it has measured (the exchange rejects the timestamp, the connector
// measures again once and resends). It puts the clock back at the end;
// the connector's next call corrects itself again.
func checkClockSkew(t *testing.T, ex sdk.Exchange, info sdk.Info, fx Fixtures) {
	needCapability(t, info, "")
	needFake(t, fx, fx.Paths.Time, "Time")
	readName, read := readCall(info)
	count := func(path string) int {
		n := 0
		for _, r := range fx.Fake.Requests() {
			if r.Path == path {
				n++
			}
		}
		return n
	}
	t.Cleanup(func() { fx.Fake.SetClockOffset(0) })
	const jump = 45 * time.Second

	times := count(fx.Paths.Time)
	fx.Fake.SetClockOffset(jump)
	if err := read(ctx(t), ex, fx.Account); err != nil {
		t.Fatalf("first %s with the exchange's clock %v ahead: %v", readName, jump, err)
	}
	if n := count(fx.Paths.Time) - times; n != 1 {
		t.Fatalf("first call read the server time %d times, want 1", n)
	}

	times = count(fx.Paths.Time)
	fx.Fake.SetClockOffset(-jump)
	if fx.Order == nil || !info.Has(sdk.CapOrders) || fx.Paths.Order == "" {
		if err := read(ctx(t), ex, fx.Account); err != nil {
			t.Fatalf("%s after the clock jumped: %v", readName, err)
		}
	} else {
		orders := count(fx.Paths.Order)
		o, err := ex.PlaceOrder(ctx(t), fx.Account, *fx.Order)
		if err != nil {
			t.Fatalf("order after the clock jumped: %v", err)
		}
		// One order request, or two when the order itself was the first
		// request rejected for its timestamp; never more.
		if n := count(fx.Paths.Order) - orders; n < 1 || n > 2 {
			t.Errorf("order requests %d, want 1 or 2 (one resend after the resync)", n)
		}
		// The retry's order is at the exchange: it cancels.
		if _, err := ex.CancelOrder(ctx(t), fx.Account, sdk.CancelRequest{Market: fx.Order.Market, Symbol: fx.Order.Symbol, OrderID: o.ID}); err != nil {
			t.Errorf("cancel of the order placed after the resync: %v", err)
		}
	}
	if n := count(fx.Paths.Time) - times; n != 1 {
		t.Fatalf("after the jump the server time was read %d times, want 1 (one resync)", n)
	}
}
