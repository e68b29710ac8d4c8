package plugintest

// The run every connector's secrets test makes: every method through
// success and through the failures a fake can make up, with debug logging
// collected, then the proof that no credential or signature is in any of
// it. The connector names its paths, answers and signature header.

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/fakex"
	"github.com/shopspring/decimal"
)

// A Call is one connector method called with an account, its answer
// dropped; the Call* values and Placing name the usual ones.
type Call func(c context.Context, ex sdk.Exchange, acct sdk.Account) (any, error)

// The methods of sdk.Exchange that read, as Calls.
var (
	CallCredentials Call = func(c context.Context, ex sdk.Exchange, a sdk.Account) (any, error) {
		return ex.ValidateCredentials(c, a)
	}
	CallSpotBalances   Call = func(c context.Context, ex sdk.Exchange, a sdk.Account) (any, error) { return ex.SpotBalances(c, a) }
	CallFuturesAccount Call = func(c context.Context, ex sdk.Exchange, a sdk.Account) (any, error) { return ex.FuturesAccount(c, a) }
	CallPositions      Call = func(c context.Context, ex sdk.Exchange, a sdk.Account) (any, error) { return ex.Positions(c, a) }
)

// Small market orders of 0.001 BTC that the connectors' error and secrets
// tables place: on the USDT perpetual (FuturesBuy, and HedgedBuy with the
// long position side a hedge-mode account needs) and on spot (SpotBuy).
var (
	FuturesBuy = sdk.OrderRequest{Symbol: "BTC/USDT:USDT", Side: "buy", Type: "market", Quantity: decimal.RequireFromString("0.001")}
	HedgedBuy  = sdk.OrderRequest{Symbol: "BTC/USDT:USDT", Side: "buy", Type: "market", Quantity: decimal.RequireFromString("0.001"), PositionSide: "long"}
	SpotBuy    = sdk.OrderRequest{Symbol: "BTC/USDT", Side: "buy", Type: "market", Quantity: decimal.RequireFromString("0.001")}
)

// Placing is the Call that places req.
func Placing(req sdk.OrderRequest) Call {
	return func(c context.Context, ex sdk.Exchange, a sdk.Account) (any, error) { return ex.PlaceOrder(c, a, req) }
}

// Faulted is a call made right after the fake was told to answer it with
// Fault.
type Faulted struct {
	Fault fakex.Fault
	Call  Call
}

// LeakFake is what RunLeaks needs of a fake exchange.
type LeakFake interface {
	Inject(fakex.Fault)
	Requests() []fakex.Record
}

// LeakRun is one connector's secrets test, run by RunLeaks.
type LeakRun struct {
	// New returns the connector under test, logging to logger.
	New func(logger *slog.Logger) sdk.Exchange
	// Fake is the fake exchange Account points at.
	Fake LeakFake
	// Account is a working, funded account on Fake.
	Account sdk.Account
	// Order is placed along with every other method (Leaks.KeepEvery).
	Order sdk.OrderRequest
	// Faults are the answers Fake makes up, in order, each met by its
	// call: one that echoes the credentials, a server error, a malformed
	// answer to an order.
	Faults []Faulted
	// Wrong are further accounts with a wrong credential (a wrong
	// passphrase, an unknown key), each read with Call. They come after
	// SpotBalances and ValidateCredentials with a wrong secret
	// (Leaks.KeepWrongSecret), whose account WrongSecret may use.
	Wrong func(wrongSecret sdk.Account) []Wrong
	// Slow is the call held back past its deadline: its Fault only says
	// where (a Delay of a minute is set on it).
	Slow Faulted
	// Check is what Leaks.CheckAll checks; the wrong secret is added to its
	// Secrets, and to its Signatures those that Signatures finds in what
	// the fake received.
	Check      LeakCheck
	Signatures func(reqs []fakex.Record) []string
	// Redacted says the exchange echoes the credentials in an error
	// message, which must then show "[redacted]" in their place.
	Redacted bool
}

// Wrong is an account with a wrong credential, and the call made with it.
type Wrong struct {
	Account sdk.Account
	Call    Call
}

// RunLeaks drives run's connector through every method, the faults, the
// wrong credentials, an unreachable exchange and a call past its deadline,
// then fails t if a key, secret, passphrase or signature appears in any
// error or log line, or in the account as printed.
func RunLeaks(t *testing.T, run LeakRun) {
	t.Helper()
	leaks := NewLeaks()
	ex := run.New(leaks.Logger)
	c := Context(t)
	leaks.KeepEvery(c, ex, run.Account, run.Order)
	for _, f := range run.Faults {
		leaks.KeepAfter(run.Fake, f.Fault, func() (any, error) { return f.Call(c, ex, run.Account) })
	}
	bad := leaks.KeepWrongSecret(c, ex, run.Account)
	secrets := slices.Concat(run.Check.Secrets, []string{bad.SecretKey})
	if run.Wrong != nil {
		for _, w := range run.Wrong(bad) {
			leaks.Keep(w.Call(c, ex, w.Account))
			secrets = append(secrets, w.Account.APIKey, w.Account.Passphrase)
		}
	}
	leaks.KeepUnreachable(c, ex, run.Account)
	slow := run.Slow.Fault
	slow.Delay = time.Minute
	run.Fake.Inject(slow)
	leaks.KeepPastDeadline(c, func(c context.Context) (any, error) { return run.Slow.Call(c, ex, run.Account) })

	check := run.Check
	check.Secrets = nonEmpty(secrets)
	check.Signatures = run.Signatures(run.Fake.Requests())
	out := leaks.CheckAll(t, check, run.Account)
	if run.Redacted && !strings.Contains(out, "[redacted]") {
		t.Fatalf("the echoed credentials were not redacted:\n%s", out)
	}
}

// nonEmpty is ss without its empty strings, which every text contains.
func nonEmpty(ss []string) []string {
	var out []string
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}
