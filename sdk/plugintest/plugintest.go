// Package plugintest is the conformance suite every gahost connector runs
// in its own tests, against its own fake exchange:
//
//	func TestConformance(t *testing.T) {
//		fx := ...start the fake, fund an account...
//		plugintest.Run(t, binance.New(), plugintest.Fixtures{...})
//	}
//
// Run checks the connector's Info (against its golden file, see
// InfoLines), then drives every capability twice:
// directly, and through the real plugin boundary. On both sides it also
// checks what every connector must do alike, driving it with faults
// injected into the fake (see [Fake]): a slow answer past the call's
// deadline, a gateway error on a read and after an order was sent, a rate
// limit and a ban, the exchange's clock moving away, a wrong secret, an
// order that does not exist. A check whose fixture is missing is skipped
// with the reason, never passed silently, and so is a check of a
// capability the connector does not declare: a connector with none yet (a
// new scaffold) passes. For the latter it starts
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
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/fakex"
	"github.com/globalautomation/gahost/sdk/pluginhost"
	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
)

// Fixtures describe the fake exchange account the suite runs against. A
// zero field skips, with its reason, the checks that need it.
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
	// Fake is the fake exchange Account points at; the checks of shared
	// behaviour inject their faults into it.
	Fake Fake
	// Paths say where on Fake those faults aim.
	Paths Paths
	// ReportsUsage says the exchange sends rate-limit headers, so every
	// call must report usage under a declared limit name.
	ReportsUsage bool
	// Info is the golden file of what Info must say, as InfoLines writes
	// it ("testdata/info.txt" in Reference).
	Info string
	// Prices is a prices request with its exact answer against Fake and
	// the requests per path answering it takes: ReferencePrices, for a
	// fake that lists the reference market with BTC's perpetual marked.
	Prices *PriceCase
}

// Fake is what the suite needs of a connector's fake exchange: the fault
// queue, clock and request log of the *fakex.Server it embeds, and the
// exchange's own words for a rate limit and a ban.
type Fake interface {
	fakex.Dialect
	Inject(fakex.Fault)
	PendingFaults() int
	ClearFaults()
	SetClockOffset(time.Duration)
	Requests() []fakex.Record
}

// Paths name requests of the suite's calls on the fake, so that a fault
// hits the call itself and not a request made along the way.
type Paths struct {
	// Read is the path of the suite's read call: SpotBalances, else
	// FuturesAccount, else Positions, whichever the connector declares
	// first, else ValidateCredentials.
	Read string
	// Order is the path Fixtures.Order is sent to (method POST).
	Order string
	// Cancel is the path a cancel of Fixtures.Order is sent to.
	Cancel string
	// Time is the exchange's server-time path, which the connector reads
	// to measure its clock offset; "" for a connector that keeps none.
	Time string
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
	t.Run("info is as its golden file says", func(t *testing.T) { checkInfoGolden(t, info, fx.Info) })
	t.Run("info is answered locally, in copies", func(t *testing.T) { checkInfoLocal(t, impl, fx.Fake) })
	remote := startPlugin(t)

	t.Run("info across the boundary", func(t *testing.T) {
		got, err := remote.Info(ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		if got.SDKVersion == "" || !slices.Equal(InfoLines(got), InfoLines(info)) {
			t.Fatalf("remote info %+v differs from %+v", got, info)
		}
	})
	sides := map[string]sdk.Exchange{"direct": impl, "remote": remote}
	for _, side := range []string{"direct", "remote"} {
		ex := sides[side]
		t.Run(side, func(t *testing.T) {
			// First, while the connector has not measured the clock yet.
			t.Run("clock skew is corrected", func(t *testing.T) { checkClockSkew(t, ex, info, fx) })
			checkCalls(t, ex, info, fx)
			checkShared(t, ex, info, fx, side == "remote")
			checkMarket(t, ex, impl, info, fx)
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
	knownCap = []string{sdk.CapSpotBalances, sdk.CapFuturesAccount, sdk.CapPositions, sdk.CapOrders, sdk.CapPrices, sdk.CapInstruments, sdk.CapStreams}
)

// secureURL reports whether s is an absolute https or wss URL.
func secureURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "wss") && u.Host != ""
}

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
	// Built-in addresses, when reported, name exactly the endpoint keys,
	// each with a live URL, and a testnet URL where testnet is offered.
	if len(info.DefaultEndpoints) > 0 {
		defaults := map[string]sdk.Endpoint{}
		for _, d := range info.DefaultEndpoints {
			defaults[d.Key] = d
		}
		for _, k := range info.EndpointKeys {
			d, ok := defaults[k]
			switch {
			case !ok:
				bad("endpoint key %q has no built-in address", k)
			case !secureURL(d.Live):
				bad("endpoint %q: live address %q is not an https or wss URL", k, d.Live)
			case info.SupportsTestnet && !secureURL(d.Testnet):
				bad("endpoint %q: testnet is offered but its address is %q", k, d.Testnet)
			}
			delete(defaults, k)
		}
		for k := range defaults {
			bad("built-in address for %q, which is not an endpoint key", k)
		}
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
	// A cost draws on a declared limit, or the host cannot charge it.
	for _, c := range info.Costs {
		if (c.Call != sdk.CapValidate && !info.Has(c.Call)) || !seen[c.Limit] || c.Cost < 0 {
			bad("cost %+v names no capability or no declared rate limit, or is negative", c)
		}
	}
	if len(problems) > 0 {
		t.Fatalf("Info: %s", strings.Join(problems, "; "))
	}
	return info
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
