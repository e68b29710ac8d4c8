package plugintest

import (
	"context"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/globalautomation/gahost/sdk"
	"github.com/shopspring/decimal"
)

func TestCheckErrorPasses(t *testing.T) {
	err := fmtWrap(&sdk.Error{Kind: sdk.KindRateLimited, ExchangeCode: "429", RetryAfter: 3 * time.Second})
	se := CheckError(t, err, WantError{Kind: sdk.KindRateLimited, Code: "429", RetryAfter: func(d time.Duration) bool { return d == 3*time.Second }})
	if se == nil || se.ExchangeCode != "429" {
		t.Fatalf("CheckError returned %+v", se)
	}
}

func fmtWrap(err error) error { return errors.Join(errors.New("wrapped"), err) }

func TestCallPastDeadline(t *testing.T) {
	err := CallPastDeadline(t, 20*time.Millisecond, func(c context.Context) error {
		<-c.Done()
		return c.Err()
	})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the deadline", err)
	}
}

func TestLeaksCollects(t *testing.T) {
	l := NewLeaks()
	l.Keep(nil, nil)
	l.Keep(struct{}{}, sdk.Errorf(sdk.KindAuthentication, "bad key"))
	l.Logger.Debug("call", "path", "/x")
	if got := l.Errors(); len(got) != 2 || got[0] != "bad key" {
		t.Fatalf("errors = %q, want the error twice printed", got)
	}
	out := l.Check(t, "path=/x", []string{"s3cr3t"}, struct{ Name string }{"shown-key"})
	if !strings.Contains(out, "bad key") || !strings.Contains(out, "path=/x") || !strings.Contains(out, "shown-key") {
		t.Fatalf("Check searched too little:\n%s", out)
	}
}

func TestGoldenSections(t *testing.T) {
	path := t.TempDir() + "/g.txt"
	body := "# a comment\n== first ==\n  one  \n\ntwo\n== empty ==\n# dropped\n== last ==\nthree\n"
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	g := GoldenSections(t, path)
	if got := g.Rows(t, "first"); !slices.Equal(got, []string{"one", "two"}) {
		t.Errorf("first = %q", got)
	}
	if got := g.Rows(t, "empty"); got == nil || len(got) != 0 {
		t.Errorf("empty = %#v, want an empty list", got)
	}
	if got := g.Rows(t, "last"); !slices.Equal(got, []string{"three"}) {
		t.Errorf("last = %q", got)
	}
}

func TestOrderLine(t *testing.T) {
	d := decimal.RequireFromString
	o := sdk.Order{Market: sdk.MarketFutures, Symbol: "BTC/USDT:USDT", Side: sdk.Sell, Type: sdk.OrderMarket, Status: sdk.StatusFilled,
		Quantity: d("0.010"), FilledQuantity: d("0.01"), AveragePrice: d("60000"), ReduceOnly: true, CreatedAt: time.Unix(1, 0)}
	want := "- futures BTC/USDT:USDT sell market filled qty=0.01 filled=0.01 price=0 avg=60000 reduce-only timed"
	if got := OrderLine(o); got != want {
		t.Errorf("OrderLine = %q, want %q", got, want)
	}
}
