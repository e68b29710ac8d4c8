package plugintest

// Runners for the order tables every connector keeps: orders its exchange
// refuses, and cancels. The rows hold the connector's own symbols, codes
// and bodies; arranging a fresh fake, placing, and checking what the
// exchange holds afterwards is the same everywhere and lives here.

import (
	"strings"
	"testing"

	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/fakex"
)

// Refusal is one row of a connector's table of orders its exchange
// refuses: the request, the kind and exchange code of the error, and the
// connector's own arrangement of a fresh fake for it (a position mode, a
// key with fewer rights), which its arrange function reads.
type Refusal[S any] struct {
	Name  string
	Setup S
	// Before, when set, is placed first and must be taken: the order the
	// refused one clashes with (the same client order id, say).
	Before *sdk.OrderRequest
	Req    sdk.OrderRequest
	Kind   sdk.Kind
	Code   string
	// Text, when not empty, must be part of the error's message: where
	// the code alone does not tell the refusal from others.
	Text string
}

// Arranged is a fresh fake made ready for one row: the connector and the
// account on it, how many orders the fake holds, and, when not nil, the
// connector's own check once the row's order was refused.
type Arranged struct {
	Exchange sdk.Exchange
	Account  sdk.Account
	Orders   func() int
	Check    func(t *testing.T)
}

// RunRefusals runs rows, each in a subtest on what arrange makes of its
// Setup: it places Before if set, then Req, which must be refused as the
// row says and leave no order at the exchange.
func RunRefusals[S any](t *testing.T, rows []Refusal[S], arrange func(t *testing.T, setup S) Arranged) {
	t.Helper()
	for _, row := range rows {
		t.Run(row.Name, func(t *testing.T) {
			a := arrange(t, row.Setup)
			if row.Before != nil {
				MustPlace(t, a.Exchange, a.Account, *row.Before)
			}
			held := a.Orders()
			_, err := a.Exchange.PlaceOrder(Context(t), a.Account, row.Req)
			CheckRefused(t, err, OrderRow{Kind: row.Kind, Code: row.Code})
			if !strings.Contains(err.Error(), row.Text) {
				t.Errorf("err = %v, want it to say %q", err, row.Text)
			}
			if n := a.Orders(); n != held {
				t.Errorf("the fake holds %d orders after the refusal, %d before", n, held)
			}
			if a.Check != nil {
				a.Check(t)
			}
		})
	}
}

// CancelRow is one row of a connector's cancel table: the request, and
// what CancelOrder must answer (see Cancel). Body and Path, when not
// empty, are what a cancel that succeeds must have sent, and where.
type CancelRow struct {
	Name string
	Req  sdk.CancelRequest
	Body string
	Path string
	Want sdk.Order
	Kind sdk.Kind
	Code string
}

// RunCancels runs rows in order, each in a subtest, on ex with acct: the
// answer must be as the row says, and the last request fx received must
// carry the row's Body to its Path.
func RunCancels(t *testing.T, ex sdk.Exchange, acct sdk.Account, fx interface{ Requests() []fakex.Record }, rows []CancelRow) {
	t.Helper()
	for _, row := range rows {
		t.Run(row.Name, func(t *testing.T) {
			got, err := ex.CancelOrder(Context(t), acct, row.Req)
			CheckCancel(t, got, err, Cancel{Want: row.Want, Kind: row.Kind, Code: row.Code})
			if row.Kind != 0 {
				return
			}
			last := LastRequest(t, fx)
			if row.Path != "" && last.Path != row.Path {
				t.Errorf("sent to %s %s, want %s", last.Method, last.Path, row.Path)
			}
			if row.Body != "" && string(last.Body) != row.Body {
				t.Errorf("%s %s sent\n %s\nwant\n %s", last.Method, last.Path, last.Body, row.Body)
			}
		})
	}
}
