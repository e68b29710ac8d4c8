package plugintest

// Runners for the account-read tables every connector keeps: spot
// balances, the futures account and positions. The rows hold the fake's
// account in the exchange's own shapes; arranging a fresh fake, reading,
// and comparing every amount to the letter with a golden file is the same
// everywhere and lives here.

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/fakex"
	"github.com/shopspring/decimal"
)

// Holding is one row of a connector's table of account reads: its own
// arrangement of a fresh fake (rows in the exchange's shapes, a position
// mode), which its arrange function reads. What the read must return is
// in the golden file's section named Name.
type Holding[S any] struct {
	Name  string
	Setup S
}

// BalanceRow writes b as one line: "asset free=… locked=…", every amount
// exact.
func BalanceRow(b sdk.Balance) string {
	return fmt.Sprintf("%s free=%s locked=%s", b.Asset, b.Free, b.Locked)
}

// FuturesRow writes f as one line: "asset wallet=… upnl=… margin=…
// available=…", every amount exact.
func FuturesRow(f sdk.FuturesAccount) string {
	return fmt.Sprintf("%s wallet=%s upnl=%s margin=%s available=%s", f.Asset, f.WalletBalance, f.UnrealizedPnL,
		f.MarginBalance, f.AvailableBalance)
}

// Empty is the row RunBalances and RunPositions add to a connector's
// own: a fake account holding nothing (the zero Setup), which must read
// as an empty list, not nil and not an error.
const Empty = "empty account"

// Spot is one spot balance as an exchange's answer writes it: the asset,
// and its free and locked amounts as exact strings.
type Spot struct{ Asset, Free, Locked string }

// Total is free plus locked, exact: the field of exchanges that answer
// with the whole holding and what of it is locked.
func (s Spot) Total() string {
	return decimal.RequireFromString(s.Free).Add(decimal.RequireFromString(s.Locked)).String()
}

// SpotHoldings are the balances RunBalances seeds every connector's fake
// with: more digits than a float64 keeps, trailing zeros, a row held at
// zero (which must be left out), one that is all locked to the last of
// 18 decimals. What must come back is every row but the zero one, in the
// same order, each amount the same number.
var SpotHoldings = []Spot{
	{Asset: "BTC", Free: "4723846.89208129", Locked: "0.00000000"},
	{Asset: "LTC", Free: "0.00000000", Locked: "0"},
	{Asset: "USDT", Free: "566773.193402631", Locked: "244.18616265388994"},
	{Asset: "DOGE", Free: "0.00000001", Locked: "12.50000000"},
	{Asset: "ETH", Free: "0", Locked: "1.000000000000000001"},
}

// SharedHoldings is the name of RunBalances' row of SpotHoldings.
const SharedHoldings = "shared holdings"

// RunBalances runs SpotHoldings, each written by row as the fake holds a
// balance, then rows and then Empty, each in a subtest on what arrange
// makes of its Setup: SpotBalances must return a list (not nil, even when
// empty) whose rows, as BalanceRow writes them, are those SpotHoldings
// make, or else the golden file's section named after the row, in order;
// then arrange's Check runs. golden may be "" when rows is empty.
func RunBalances[R any](t *testing.T, golden string, rows []Holding[[]R], row func(Spot) R, arrange func(t *testing.T, setup []R) Arranged) {
	t.Helper()
	var shared []R
	for _, s := range SpotHoldings {
		shared = append(shared, row(s))
	}
	all := slices.Concat([]Holding[[]R]{{Name: SharedHoldings, Setup: shared}}, rows, []Holding[[]R]{{Name: Empty}})
	runReads(t, golden, all, arrange, func(t *testing.T, a Arranged) ([]string, bool) {
		got, err := a.Exchange.SpotBalances(Context(t), a.Account)
		if err != nil {
			t.Fatal(err)
		}
		return lines(got, BalanceRow), got != nil
	})
}

// sharedRows are the rows SpotHoldings must read as.
func sharedRows() []string {
	var out []string
	for _, s := range SpotHoldings {
		b := sdk.Balance{Asset: s.Asset, Free: decimal.RequireFromString(s.Free), Locked: decimal.RequireFromString(s.Locked)}
		if !b.Total().IsZero() {
			out = append(out, BalanceRow(b))
		}
	}
	return out
}

// RunFutures runs rows as RunBalances does, reading FuturesAccount: its
// FuturesRow must be the one row of the section named after the row.
func RunFutures[S any](t *testing.T, golden string, rows []Holding[S], arrange func(t *testing.T, setup S) Arranged) {
	t.Helper()
	runReads(t, golden, rows, arrange, func(t *testing.T, a Arranged) ([]string, bool) {
		got, err := a.Exchange.FuturesAccount(Context(t), a.Account)
		if err != nil {
			t.Fatal(err)
		}
		return []string{FuturesRow(got)}, true
	})
}

// RunPositions runs rows and then Empty as RunBalances does, reading
// Positions, each position written as PositionRow writes it.
func RunPositions[S any](t *testing.T, golden string, rows []Holding[S], arrange func(t *testing.T, setup S) Arranged) {
	t.Helper()
	runReads(t, golden, append(rows, Holding[S]{Name: Empty}), arrange, func(t *testing.T, a Arranged) ([]string, bool) {
		got, err := a.Exchange.Positions(Context(t), a.Account)
		if err != nil {
			t.Fatal(err)
		}
		return lines(got, PositionRow), got != nil
	})
}

// runReads is the runners' loop: read reports what it got as rows, and
// whether it got a list at all.
func runReads[S any](t *testing.T, golden string, rows []Holding[S], arrange func(t *testing.T, setup S) Arranged,
	read func(t *testing.T, a Arranged) ([]string, bool)) {
	t.Helper()
	want := Golden{path: golden}
	if golden != "" {
		want = GoldenSections(t, golden)
	}
	for _, row := range rows {
		t.Run(row.Name, func(t *testing.T) {
			a := arrange(t, row.Setup)
			got, list := read(t, a)
			// Empty wants no rows unless the file says otherwise.
			w, ok := want.sections[row.Name]
			switch {
			case row.Name == SharedHoldings:
				w = sharedRows()
			case !ok && row.Name != Empty:
				w = want.Rows(t, row.Name)
			}
			if !list || !slices.Equal(got, w) {
				t.Errorf("read (a list: %v):\n%s\nwant (%s)\n%s", list, strings.Join(got, "\n"), golden, strings.Join(w, "\n"))
			}
			if a.Check != nil {
				a.Check(t)
			}
		})
	}
}

// SentLast fails t unless the last request fx received is want, written
// as "METHOD path?query" (no "?" without a query), and carried no body:
// what a read must ask the exchange for, to the letter.
func SentLast(t *testing.T, fx interface{ Requests() []fakex.Record }, want string) {
	t.Helper()
	last := LastRequest(t, fx)
	got := last.Method + " " + last.Path
	if last.Query != "" {
		got += "?" + last.Query
	}
	if got != want || len(last.Body) != 0 {
		t.Errorf("sent %s with body %q, want %s and none", got, last.Body, want)
	}
}

// QueriedAs fails t unless fx received a request on path and every one
// carried exactly query: a read that pages or resends asks the same.
func QueriedAs(t *testing.T, fx interface{ Requests() []fakex.Record }, path, query string) {
	t.Helper()
	n := 0
	for _, r := range fx.Requests() {
		if r.Path == path {
			n++
			if r.Query != query {
				t.Errorf("%s asked with %q, want %q", path, r.Query, query)
			}
		}
	}
	if n == 0 {
		t.Errorf("no request on %s", path)
	}
}

func lines[T any](items []T, row func(T) string) []string {
	out := []string{}
	for _, it := range items {
		out = append(out, row(it))
	}
	return out
}

// RunMalformedSpot puts every row of bad on the fake with set, one row at
// a time, and fails the row's subtest unless ex's SpotBalances then
// refuses the answer as malformed (CheckMalformed).
func RunMalformedSpot[R any](t *testing.T, ex sdk.Exchange, acct sdk.Account, bad []R, set func(row R)) {
	t.Helper()
	for i, row := range bad {
		t.Run(fmt.Sprintf("row %d", i), func(t *testing.T) {
			set(row)
			_, err := ex.SpotBalances(Context(t), acct)
			CheckMalformed(t, err)
		})
	}
}

// CachedDetail is a detail of a position that a connector reads with a
// request of its own (leverage, margin mode), once for a set of open
// positions: the next reads reuse it until a position changes.
type CachedDetail struct {
	Exchange sdk.Exchange
	Account  sdk.Account
	// What names the detail in failures: "leverage".
	What string
	// Of is the detail of the one position the account holds, as text.
	Of func(sdk.Position) string
	// Before is the detail at first, After once Change has run.
	Before, After string
	// Reads is how many requests for the detail the fake has taken.
	Reads func() int
	// Change changes the position on the fake, and the detail with it.
	Change func()
}

// RunCachedDetail reads the positions three times and fails t unless
// each shows c.Before and the detail was asked for once; then it runs
// c.Change and fails t unless the next read shows c.After, asked for
// again.
func RunCachedDetail(t *testing.T, c CachedDetail) {
	t.Helper()
	detail := func() string {
		t.Helper()
		ps, err := c.Exchange.Positions(Context(t), c.Account)
		if err != nil {
			t.Fatal(err)
		}
		if len(ps) != 1 {
			t.Fatalf("positions = %v", ps)
		}
		return c.Of(ps[0])
	}
	for range 3 {
		if got := detail(); got != c.Before {
			t.Fatalf("%s = %s, want %s", c.What, got, c.Before)
		}
	}
	if n := c.Reads(); n != 1 {
		t.Fatalf("%s reads over 3 syncs of unchanged positions = %d, want 1", c.What, n)
	}
	c.Change()
	if got := detail(); got != c.After {
		t.Fatalf("%s after the position changed = %s, want %s", c.What, got, c.After)
	}
	if n := c.Reads(); n != 2 {
		t.Fatalf("%s reads = %d, want 2", c.What, n)
	}
}
