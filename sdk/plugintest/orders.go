package plugintest

// Runners for the order tables every connector keeps: orders its exchange
// refuses, and cancels. The rows hold the connector's own symbols, codes
// and bodies; arranging a fresh fake, placing, and checking what the
// exchange holds afterwards is the same everywhere and lives here.

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/fakex"
	"github.com/shopspring/decimal"
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
// account on it, how many orders the fake holds, what it holds of the
// order just placed (for RunPlacements), and, when not nil, the
// connector's own check once the row's order was refused or placed.
type Arranged struct {
	Exchange sdk.Exchange
	Account  sdk.Account
	Orders   func() int
	Placed   func(t *testing.T) Placed
	Check    func(t *testing.T)
}

// Placement is one row of a connector's table of orders its exchange
// takes: the request, and the connector's own arrangement of a fresh fake
// for it (a position mode, open positions). What must come of it is in
// the golden file's section named Name.
type Placement[S any] struct {
	Name  string
	Setup S
	Req   sdk.OrderRequest
}

// Book is an account's position mode and the positions it holds, P
// being the fake's own position row: what most rows of a placement table
// arrange before their order.
type Book[P any] struct {
	Hedge     bool
	Positions []P
}

// Placed is what a connector's fake holds of the order just placed: the
// id the exchange gave it, and facts, lines in the connector's own words
// of what the exchange received and did ("sent …", "requests …").
type Placed struct {
	ID    string
	Facts []string
}

// QueryPlaced is Placed for an exchange that takes an order as a signed
// query: id, and as facts "sent " and the query without the signing
// parameters in drop, its keys sorted, then "order requests " and tries,
// how many order requests the placing took.
func QueryPlaced(t *testing.T, id, query string, tries int, drop ...string) Placed {
	t.Helper()
	sent := url.Values{}
	for k, v := range Params(t, query, drop...) {
		sent.Set(k, v)
	}
	return Placed{ID: id, Facts: []string{"sent " + sent.Encode(), fmt.Sprintf("order requests %d", tries)}}
}

// OrderLine writes o as one line: "client market symbol side type status
// qty=… filled=… price=… avg=…", then "reduce-only" and "timed" (it
// carries a creation time) when they hold; "-" stands for no client id.
// The id is left out: the exchange picks it.
func OrderLine(o sdk.Order) string {
	row := fmt.Sprintf("%s %s %s %s %s %s qty=%s filled=%s price=%s avg=%s", dash(o.ClientOrderID), o.Market, o.Symbol,
		o.Side, o.Type, o.Status, o.Quantity, o.FilledQuantity, o.Price, o.AveragePrice)
	if o.ReduceOnly {
		row += " reduce-only"
	}
	if !o.CreatedAt.IsZero() {
		row += " timed"
	}
	return row
}

// RunPlacements runs rows, each in a subtest on what arrange makes of its
// Setup: Req must be taken, under the id the fake reports, and the fake's
// facts followed by "order " and the order's OrderLine must be the rows of
// the golden file's section named after the row.
func RunPlacements[S any](t *testing.T, golden string, rows []Placement[S], arrange func(t *testing.T, setup S) Arranged) {
	t.Helper()
	want := GoldenSections(t, golden)
	for _, row := range rows {
		t.Run(row.Name, func(t *testing.T) {
			a := arrange(t, row.Setup)
			got := MustPlace(t, a.Exchange, a.Account, row.Req)
			placed := a.Placed(t)
			if got.ID == "" || got.ID != placed.ID {
				t.Errorf("id %q, the fake has %q", got.ID, placed.ID)
			}
			lines := append(placed.Facts, "order "+OrderLine(got))
			if w := want.Rows(t, row.Name); !slices.Equal(lines, w) {
				t.Errorf("placed:\n%s\nwant (%s)\n%s", strings.Join(lines, "\n"), golden, strings.Join(w, "\n"))
			}
			if a.Check != nil {
				a.Check(t)
			}
		})
	}
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

// RestingOrders places, with ex and acct, the two orders a cancel table
// works on: a spot limit buy of 0.001 BTC/USDT at 10000 with client order
// id clientID, and a perpetual limit buy of 0.5 ETH/USDT:USDT at 2000,
// both far enough below the reference market (BTC at 60000, ETH at 3000)
// to stay open.
func RestingOrders(t *testing.T, ex sdk.Exchange, acct sdk.Account, clientID string) (spot, futures sdk.Order) {
	t.Helper()
	d := decimal.RequireFromString
	spot = MustPlace(t, ex, acct, sdk.OrderRequest{Symbol: "BTC/USDT", Side: sdk.Buy, Type: sdk.OrderLimit, Quantity: d("0.001"), Price: d("10000"), ClientOrderID: clientID})
	futures = MustPlace(t, ex, acct, sdk.OrderRequest{Symbol: "ETH/USDT:USDT", Side: sdk.Buy, Type: sdk.OrderLimit, Quantity: d("0.5"), Price: d("2000")})
	return spot, futures
}

// noIDCancel is the cancel every connector refuses itself: one that names
// no order.
var noIDCancel = CancelRow{Name: "no order id nor client order id", Req: sdk.CancelRequest{Symbol: "BTC/USDT"}, Kind: sdk.KindInvalidRequest}

// RunCancels runs rows in order, each in a subtest, on ex with acct: the
// answer must be as the row says, and the last request fx received must
// carry the row's Body to its Path. Then a cancel that names no order must
// be refused as KindInvalidRequest without a request.
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
	t.Run(noIDCancel.Name, func(t *testing.T) {
		before := len(fx.Requests())
		got, err := ex.CancelOrder(Context(t), acct, noIDCancel.Req)
		CheckCancel(t, got, err, Cancel{Kind: noIDCancel.Kind})
		if n := len(fx.Requests()) - before; n != 0 {
			t.Errorf("the refused cancel sent %d requests", n)
		}
	})
}
