// Package plugintest is the conformance suite every gahost connector runs
// in its own tests, against its own fake exchange:
//
//	func TestConformance(t *testing.T) {
//		fx := ...start the fake, fund an account...
//		plugintest.Run(t, binance.New(), plugintest.Fixtures{...})
//	}
//
// Run checks the connector's Info, then drives every capability twice:
// directly, and through the real plugin boundary. For the latter it starts
// the test binary again as a plugin process (the child re-enters the same
// test, and Run, seeing it is the child, serves impl with sdk.Serve), and
// talks to it over go-plugin's gRPC exactly as the host does. So typed
// errors, decimals, usage reports and deadlines are checked across the
// boundary, not only in process.
//
// It must not know any exchange: what the fake holds comes in Fixtures.
package plugintest

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/pluginhost"
	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
)

// Fixtures describe the fake exchange account the suite runs against. Zero
// fields skip the checks that need them.
type Fixtures struct {
	// Account is a working account on the fake (keys, Endpoints pointing
	// at it).
	Account sdk.Account
	// SpotBalances is what SpotBalances must return (any order).
	SpotBalances []sdk.Balance
	// ZeroAssets are assets the fake holds at zero, which must be left out.
	ZeroAssets []string
	// FuturesAccount is what FuturesAccount must return.
	FuturesAccount *sdk.FuturesAccount
	// Positions is what Positions must return (any order); the fake should
	// also hold a zero-size row, which must be left out.
	Positions []sdk.Position
	// Order is an order the fake accepts and leaves open, so that the
	// suite can cancel it afterwards.
	Order *sdk.OrderRequest
	// UnknownSymbol is a well-formed unified symbol the exchange does not
	// list; an order on it must fail with KindUnknownSymbol.
	UnknownSymbol string
	// BadSecret is the Account with a wrong secret: every call must fail
	// with KindAuthentication.
	BadSecret *sdk.Account
	// Hang makes the fake hold back its next answer(s) for much longer
	// than the suite's short deadline.
	Hang func()
	// ReportsUsage says the exchange sends rate-limit headers, so every
	// call must report usage under a declared limit name.
	ReportsUsage bool
}

// childEnv marks the plugin child process.
const childEnv = "GAHOST_PLUGINTEST_CHILD"

// Run runs the suite. In the plugin child it serves impl and never returns.
func Run(t *testing.T, impl sdk.Exchange, fx Fixtures) {
	if os.Getenv(childEnv) == "1" {
		sdk.Serve(impl)
		os.Exit(0)
	}
	t.Helper()
	info := checkInfo(t, impl)
	remote := startPlugin(t)

	t.Run("info across the boundary", func(t *testing.T) {
		got, err := remote.Info(ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		if got.Name != info.Name || got.Version != info.Version || got.SDKVersion == "" ||
			!slices.Equal(got.Capabilities, info.Capabilities) || !slices.Equal(got.EndpointKeys, info.EndpointKeys) ||
			!slices.Equal(got.RateLimits, info.RateLimits) {
			t.Fatalf("remote info %+v differs from %+v", got, info)
		}
	})
	sides := map[string]sdk.Exchange{"direct": impl, "remote": remote}
	for _, side := range []string{"direct", "remote"} {
		ex := sides[side]
		t.Run(side, func(t *testing.T) {
			checkCalls(t, ex, info, fx)
			checkErrors(t, ex, fx)
			checkDeadline(t, ex, info, fx)
		})
	}
	t.Run("no panics on empty input", func(t *testing.T) { checkNoPanics(t, impl, info) })
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return c
}

var (
	nameRe   = regexp.MustCompile(`^[a-z][a-z0-9]*$`)
	keyRe    = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	semverRe = regexp.MustCompile(`^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$`)
	knownCap = []string{sdk.CapSpotBalances, sdk.CapFuturesAccount, sdk.CapPositions, sdk.CapOrders}
)

func checkInfo(t *testing.T, impl sdk.Exchange) sdk.Info {
	t.Helper()
	info, err := impl.Info(context.Background())
	if err != nil {
		t.Fatalf("Info: %v", err)
	}
	var problems []string
	bad := func(f string, a ...any) { problems = append(problems, fmt.Sprintf(f, a...)) }
	if !nameRe.MatchString(info.Name) {
		bad("name %q is not a lower-case word", info.Name)
	}
	if info.DisplayName == "" {
		bad("no display name")
	}
	if !semverRe.MatchString(info.Version) {
		bad("version %q is not a semantic version", info.Version)
	}
	if len(info.EndpointKeys) == 0 {
		bad("no endpoint keys")
	}
	seen := map[string]bool{}
	for _, k := range info.EndpointKeys {
		if !keyRe.MatchString(k) || seen[k] {
			bad("endpoint key %q is malformed or repeated", k)
		}
		seen[k] = true
	}
	if len(info.Capabilities) == 0 {
		bad("no capabilities")
	}
	seen = map[string]bool{}
	for _, c := range info.Capabilities {
		if !slices.Contains(knownCap, c) || seen[c] {
			bad("capability %q is unknown or repeated", c)
		}
		seen[c] = true
		if cost, ok := info.CallCosts[c]; !ok || cost < 0 {
			bad("capability %q has no call cost", c)
		}
	}
	for c, cost := range info.CallCosts {
		if (c != sdk.CapValidate && !info.Has(c)) || cost < 0 {
			bad("call cost for %q (%d) names no capability or is negative", c, cost)
		}
	}
	if len(info.RateLimits) == 0 {
		bad("no rate limits")
	}
	seen = map[string]bool{}
	for _, l := range info.RateLimits {
		if !keyRe.MatchString(l.Name) || seen[l.Name] || l.Limit <= 0 || l.Interval <= 0 ||
			(l.Scope != sdk.ScopeIP && l.Scope != sdk.ScopeAccount) {
			bad("rate limit %+v is not sane", l)
		}
		seen[l.Name] = true
	}
	if len(problems) > 0 {
		t.Fatalf("Info: %s", strings.Join(problems, "; "))
	}
	return info
}

func checkCalls(t *testing.T, ex sdk.Exchange, info sdk.Info, fx Fixtures) {
	var (
		usage []sdk.RateUsage
		rec   *sdk.UsageRecorder
	)
	// Across the boundary usage arrives at the observer; in process a
	// recorder stands in for the one Serve installs.
	call := func(t *testing.T) context.Context {
		usage, rec = nil, &sdk.UsageRecorder{}
		c := pluginhost.WithUsageObserver(ctx(t), func(us []sdk.RateUsage) { usage = us })
		return sdk.WithUsageRecorder(c, rec)
	}
	checkUsage := func(t *testing.T, _ context.Context) {
		t.Helper()
		if !fx.ReportsUsage {
			return
		}
		us := usage
		if len(us) == 0 {
			us = rec.Usage()
		}
		if len(us) == 0 {
			t.Errorf("no rate-limit usage reported")
		}
		for _, u := range us {
			if !slices.ContainsFunc(info.RateLimits, func(l sdk.RateLimit) bool { return l.Name == u.Name }) || u.Used < 0 {
				t.Errorf("usage %+v names no declared limit", u)
			}
		}
	}
	t.Run("validate credentials", func(t *testing.T) {
		c := call(t)
		p, err := ex.ValidateCredentials(c, fx.Account)
		if err != nil {
			t.Fatal(err)
		}
		if !p.CanRead {
			t.Errorf("fixture account cannot read: %+v", p)
		}
		checkUsage(t, c)
	})
	if info.Has(sdk.CapSpotBalances) {
		t.Run("spot balances", func(t *testing.T) {
			c := call(t)
			got, err := ex.SpotBalances(c, fx.Account)
			if err != nil {
				t.Fatal(err)
			}
			for _, b := range got {
				if b.Total().IsZero() || slices.Contains(fx.ZeroAssets, b.Asset) {
					t.Errorf("zero balance %s not left out", b.Asset)
				}
			}
			if fx.SpotBalances != nil {
				sameBalances(t, got, fx.SpotBalances)
			}
			checkUsage(t, c)
		})
	}
	if info.Has(sdk.CapFuturesAccount) {
		t.Run("futures account", func(t *testing.T) {
			c := call(t)
			got, err := ex.FuturesAccount(c, fx.Account)
			if err != nil {
				t.Fatal(err)
			}
			if w := fx.FuturesAccount; w != nil {
				if got.Asset != w.Asset || !got.WalletBalance.Equal(w.WalletBalance) || !got.UnrealizedPnL.Equal(w.UnrealizedPnL) ||
					!got.MarginBalance.Equal(w.MarginBalance) || !got.AvailableBalance.Equal(w.AvailableBalance) {
					t.Errorf("futures account %+v, want %+v", got, *w)
				}
			}
			checkUsage(t, c)
		})
	}
	if info.Has(sdk.CapPositions) {
		t.Run("positions", func(t *testing.T) {
			c := call(t)
			got, err := ex.Positions(c, fx.Account)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range got {
				if !p.Size.IsPositive() || (p.Side != sdk.SideLong && p.Side != sdk.SideShort) ||
					(p.MarginMode != sdk.MarginCross && p.MarginMode != sdk.MarginIsolate) || !strings.Contains(p.Symbol, "/") {
					t.Errorf("position %+v: size must be positive, side long/short, margin cross/isolated, symbol unified", p)
				}
			}
			if fx.Positions != nil {
				samePositions(t, got, fx.Positions)
			}
			checkUsage(t, c)
		})
	}
	var parts []string
	for _, c := range []string{sdk.CapSpotBalances, sdk.CapFuturesAccount, sdk.CapPositions} {
		if info.Has(c) {
			parts = append(parts, c)
		}
	}
	if len(parts) > 0 {
		// What a sync reads: every declared part in one snapshot, the same
		// as the single calls give.
		t.Run("snapshot", func(t *testing.T) {
			c := call(t)
			snap := pluginhost.FetchSnapshot(c, ex, fx.Account, parts)
			for part, err := range snap.Errs {
				t.Errorf("snapshot part %s: %v", part, err)
			}
			if fx.SpotBalances != nil && info.Has(sdk.CapSpotBalances) {
				sameBalances(t, snap.Spot, fx.SpotBalances)
			}
			if w := fx.FuturesAccount; w != nil && info.Has(sdk.CapFuturesAccount) {
				if !snap.Futures.WalletBalance.Equal(w.WalletBalance) || !snap.Futures.MarginBalance.Equal(w.MarginBalance) {
					t.Errorf("snapshot futures %+v, want %+v", snap.Futures, *w)
				}
			}
			if fx.Positions != nil && info.Has(sdk.CapPositions) {
				samePositions(t, snap.Positions, fx.Positions)
			}
			checkUsage(t, c)
		})
	}
	if info.Has(sdk.CapOrders) && fx.Order != nil {
		t.Run("place and cancel an order", func(t *testing.T) {
			c := call(t)
			o, err := ex.PlaceOrder(c, fx.Account, *fx.Order)
			if err != nil {
				t.Fatal(err)
			}
			if o.ID == "" || o.Symbol != fx.Order.Symbol || o.Side != fx.Order.Side || o.Type != fx.Order.Type ||
				(fx.Order.ClientOrderID != "" && o.ClientOrderID != fx.Order.ClientOrderID) || o.Status != sdk.StatusNew {
				t.Errorf("placed %+v for %+v", o, *fx.Order)
			}
			if !o.Quantity.Equal(fx.Order.Quantity) || !o.Price.Equal(fx.Order.Price) {
				t.Errorf("placed quantity %s price %s, want %s %s", o.Quantity, o.Price, fx.Order.Quantity, fx.Order.Price)
			}
			checkUsage(t, c)
			cc, err := ex.CancelOrder(ctx(t), fx.Account, sdk.CancelRequest{Market: fx.Order.Market, Symbol: fx.Order.Symbol, OrderID: o.ID})
			if err != nil {
				t.Fatal(err)
			}
			if cc.ID != o.ID || cc.Status != sdk.StatusCanceled {
				t.Errorf("cancel answered %+v", cc)
			}
		})
	}
}

func checkErrors(t *testing.T, ex sdk.Exchange, fx Fixtures) {
	t.Run("errors keep their kind", func(t *testing.T) {
		if fx.BadSecret != nil {
			_, err := ex.SpotBalances(ctx(t), *fx.BadSecret)
			wantKind(t, "wrong secret", err, sdk.KindAuthentication)
			if err != nil && fx.BadSecret.SecretKey != "" && strings.Contains(err.Error(), fx.BadSecret.SecretKey) {
				t.Errorf("the error names the secret")
			}
		}
		if fx.Order != nil {
			req := *fx.Order
			req.Symbol = "not a symbol"
			_, err := ex.PlaceOrder(ctx(t), fx.Account, req)
			wantKind(t, "malformed symbol", err, sdk.KindInvalidRequest)
			if fx.UnknownSymbol != "" {
				req.Symbol = fx.UnknownSymbol
				_, err = ex.PlaceOrder(ctx(t), fx.Account, req)
				wantKind(t, "unknown symbol", err, sdk.KindUnknownSymbol)
			}
		}
	})
}

func wantKind(t *testing.T, what string, err error, k sdk.Kind) {
	t.Helper()
	if got := sdk.KindOf(err); got != k {
		t.Errorf("%s: kind %v (%v), want %v", what, got, err, k)
	}
}

// checkDeadline holds an answer back and checks that the call ends soon
// after its deadline. The bound is generous: it tests that the call ends,
// not how fast.
func checkDeadline(t *testing.T, ex sdk.Exchange, info sdk.Info, fx Fixtures) {
	if fx.Hang == nil {
		return
	}
	t.Run("deadline ends a held-back call", func(t *testing.T) {
		fx.Hang()
		c, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		done := make(chan error, 1)
		go func() {
			var err error
			switch {
			case info.Has(sdk.CapSpotBalances):
				_, err = ex.SpotBalances(c, fx.Account)
			case info.Has(sdk.CapFuturesAccount):
				_, err = ex.FuturesAccount(c, fx.Account)
			default:
				_, err = ex.ValidateCredentials(c, fx.Account)
			}
			done <- err
		}()
		select {
		case err := <-done:
			if err == nil {
				t.Fatal("a held-back call succeeded")
			}
		case <-time.After(15 * time.Second):
			t.Fatal("the call did not end after its deadline")
		}
	})
}

func checkNoPanics(t *testing.T, impl sdk.Exchange, info sdk.Info) {
	c, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	// No credentials, and every endpoint on a closed loopback port, so a
	// connector that calls out anyway reaches nothing real.
	empty := sdk.Account{Endpoints: map[string]string{}}
	for _, k := range info.EndpointKeys {
		empty.Endpoints[k] = "http://127.0.0.1:1"
	}
	calls := map[string]func() error{
		"ValidateCredentials": func() error { _, err := impl.ValidateCredentials(c, empty); return err },
		"SpotBalances":        func() error { _, err := impl.SpotBalances(c, empty); return err },
		"FuturesAccount":      func() error { _, err := impl.FuturesAccount(c, empty); return err },
		"Positions":           func() error { _, err := impl.Positions(c, empty); return err },
		"PlaceOrder":          func() error { _, err := impl.PlaceOrder(c, empty, sdk.OrderRequest{}); return err },
		"CancelOrder":         func() error { _, err := impl.CancelOrder(c, empty, sdk.CancelRequest{}); return err },
	}
	for name, fn := range calls {
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Errorf("%s panicked on empty input: %v", name, r)
				}
			}()
			if err := fn(); err == nil {
				t.Errorf("%s accepted an empty account", name)
			}
		}()
	}
}

func sameBalances(t *testing.T, got, want []sdk.Balance) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("balances %v, want %v", got, want)
		return
	}
	for _, w := range want {
		i := slices.IndexFunc(got, func(b sdk.Balance) bool { return b.Asset == w.Asset })
		if i < 0 || !got[i].Free.Equal(w.Free) || !got[i].Locked.Equal(w.Locked) {
			t.Errorf("balance of %s: got %v, want %+v", w.Asset, got, w)
		}
	}
}

func samePositions(t *testing.T, got, want []sdk.Position) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("positions %+v, want %+v", got, want)
		return
	}
	for _, w := range want {
		i := slices.IndexFunc(got, func(p sdk.Position) bool { return p.Symbol == w.Symbol && p.Side == w.Side })
		if i < 0 {
			t.Errorf("no %s %s position in %+v", w.Side, w.Symbol, got)
			continue
		}
		g := got[i]
		if !g.Size.Equal(w.Size) || !g.EntryPrice.Equal(w.EntryPrice) || !g.MarkPrice.Equal(w.MarkPrice) ||
			!g.UnrealizedPnL.Equal(w.UnrealizedPnL) || !g.Leverage.Equal(w.Leverage) ||
			!g.LiquidationPrice.Equal(w.LiquidationPrice) || g.MarginMode != w.MarginMode {
			t.Errorf("position %+v, want %+v", g, w)
		}
	}
}

// startPlugin runs this test binary again as a plugin process and returns
// the host-side Exchange for it, as the host would get it.
func startPlugin(t *testing.T) sdk.Exchange {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(t.Name(), "/")
	for i, p := range parts {
		parts[i] = "^" + regexp.QuoteMeta(p) + "$"
	}
	cmd := exec.Command(exe, "-test.run="+strings.Join(parts, "/"), "-test.count=1", "-test.v=false")
	cmd.Env = append(os.Environ(), childEnv+"=1")
	client := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  pluginhost.Handshake,
		VersionedPlugins: pluginhost.PluginSets(),
		Cmd:              cmd,
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		AutoMTLS:         true,
		Logger:           hclog.NewNullLogger(),
		SyncStdout:       io.Discard,
		SyncStderr:       io.Discard,
		StartTimeout:     30 * time.Second,
	})
	t.Cleanup(client.Kill)
	rpc, err := client.Client()
	if err != nil {
		t.Fatalf("plugintest: starting the plugin child: %v", err)
	}
	raw, err := rpc.Dispense(pluginhost.PluginName)
	if err != nil {
		t.Fatalf("plugintest: dispense: %v", err)
	}
	ex, ok := raw.(sdk.Exchange)
	if !ok {
		t.Fatalf("plugintest: dispensed %T, not an sdk.Exchange", raw)
	}
	return ex
}
