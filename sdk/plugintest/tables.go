package plugintest

// Checks and table runners for a connector's own tests. Every connector
// tests its exchange's codes, vectors and numbers in tables of its own;
// what it does with a row once the call has returned (compare an order
// field by field, a list of positions in order, the error's kind, code
// and wait) is the same everywhere, and lives here.

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/fakex"
	"github.com/globalautomation/gahost/sdk/rest"
	"github.com/shopspring/decimal"
)

// Counter is what a fake tells about the requests it received: how many
// hit a path.
type Counter interface {
	Calls(path string) int
}

// CheckCalls fails t unless c saw exactly want[path] requests on each
// path of want.
func CheckCalls(t *testing.T, c Counter, want map[string]int) {
	t.Helper()
	for _, path := range slices.Sorted(maps.Keys(want)) {
		if got := c.Calls(path); got != want[path] {
			t.Errorf("calls to %s = %d, want %d", path, got, want[path])
		}
	}
}

// CheckParams fails t unless got holds exactly the parameters of want:
// what a connector sent the exchange, its signing parameters left out.
func CheckParams(t *testing.T, got, want map[string]string) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("sent %v, want %v", got, want)
	}
	for _, k := range slices.Sorted(maps.Keys(want)) {
		if got[k] != want[k] {
			t.Errorf("sent %s=%q, want %q (all: %v)", k, got[k], want[k], got)
		}
	}
}

// CheckOrder fails t unless got is want: the same client id, market,
// symbol, side, type, status and reduce-only flag, and the
// same quantity, filled quantity, price and average price by value. The
// id is compared only when want has one (the exchange picks it).
func CheckOrder(t *testing.T, got, want sdk.Order) {
	t.Helper()
	if (want.ID != "" && got.ID != want.ID) || got.ClientOrderID != want.ClientOrderID || got.Market != want.Market ||
		got.Symbol != want.Symbol || got.Side != want.Side || got.Type != want.Type || got.Status != want.Status ||
		got.ReduceOnly != want.ReduceOnly {
		t.Errorf("order %+v, want %+v", got, want)
	}
	sameDecimal(t, "quantity", got.Quantity, want.Quantity)
	sameDecimal(t, "filled", got.FilledQuantity, want.FilledQuantity)
	sameDecimal(t, "price", got.Price, want.Price)
	sameDecimal(t, "average", got.AveragePrice, want.AveragePrice)
}

// CheckBalances fails t unless got is want in the same order: asset,
// free and locked by value.
func CheckBalances(t *testing.T, got, want []sdk.Balance) {
	t.Helper()
	sameList(t, "balances", got, want, func(i int, b, w sdk.Balance) {
		t.Helper()
		if b.Asset != w.Asset {
			t.Fatalf("balance %d asset %q, want %q", i, b.Asset, w.Asset)
		}
		sameDecimal(t, w.Asset+".free", b.Free, w.Free)
		sameDecimal(t, w.Asset+".locked", b.Locked, w.Locked)
		sameDecimal(t, w.Asset+".total", b.Total(), w.Total())
	})
}

// BalancesAre calls SpotBalances, fails t unless it returns want as
// CheckBalances compares them, and returns what it got.
func BalancesAre(t *testing.T, ex sdk.Exchange, acct sdk.Account, want []sdk.Balance) []sdk.Balance {
	t.Helper()
	got, err := ex.SpotBalances(Context(t), acct)
	if err != nil {
		t.Fatal(err)
	}
	CheckBalances(t, got, want)
	return got
}

// FuturesIs calls FuturesAccount, fails t unless it returns want as
// CheckFutures compares them, and returns what it got.
func FuturesIs(t *testing.T, ex sdk.Exchange, acct sdk.Account, want sdk.FuturesAccount) sdk.FuturesAccount {
	t.Helper()
	got, err := ex.FuturesAccount(Context(t), acct)
	if err != nil {
		t.Fatal(err)
	}
	CheckFutures(t, got, want)
	return got
}

// PositionsAre calls Positions, fails t unless it returns want as
// CheckPositions compares them, and returns what it got.
func PositionsAre(t *testing.T, ex sdk.Exchange, acct sdk.Account, want []sdk.Position) []sdk.Position {
	t.Helper()
	got, err := ex.Positions(Context(t), acct)
	if err != nil {
		t.Fatal(err)
	}
	CheckPositions(t, got, want)
	return got
}

// CheckMalformed fails t unless err reports an answer that did not decode:
// KindUnknown, saying "malformed".
func CheckMalformed(t *testing.T, err error) {
	t.Helper()
	if sdk.KindOf(err) != sdk.KindUnknown || !strings.Contains(fmt.Sprint(err), "malformed") {
		t.Fatalf("err = %v, want a malformed answer", err)
	}
}

// CheckFutures fails t unless got is want: asset, wallet balance,
// unrealized PnL, margin balance and available balance by value.
func CheckFutures(t *testing.T, got, want sdk.FuturesAccount) {
	t.Helper()
	if got.Asset != want.Asset {
		t.Errorf("asset %q, want %q", got.Asset, want.Asset)
	}
	sameDecimal(t, "wallet", got.WalletBalance, want.WalletBalance)
	sameDecimal(t, "unrealized", got.UnrealizedPnL, want.UnrealizedPnL)
	sameDecimal(t, "margin", got.MarginBalance, want.MarginBalance)
	sameDecimal(t, "available", got.AvailableBalance, want.AvailableBalance)
}

// CheckPositions fails t unless got is want in the same order: symbol,
// side and margin mode, and every amount by value. An empty want still
// wants a non-nil list.
func CheckPositions(t *testing.T, got, want []sdk.Position) {
	t.Helper()
	sameList(t, "positions", got, want, func(i int, p, w sdk.Position) {
		t.Helper()
		if p.Symbol != w.Symbol || p.Side != w.Side || p.MarginMode != w.MarginMode {
			t.Errorf("position %d: %s %s %s, want %s %s %s", i, p.Symbol, p.Side, p.MarginMode, w.Symbol, w.Side, w.MarginMode)
		}
		sameDecimal(t, "size", p.Size, w.Size)
		sameDecimal(t, "entry", p.EntryPrice, w.EntryPrice)
		sameDecimal(t, "mark", p.MarkPrice, w.MarkPrice)
		sameDecimal(t, "upnl", p.UnrealizedPnL, w.UnrealizedPnL)
		sameDecimal(t, "leverage", p.Leverage, w.Leverage)
		sameDecimal(t, "liquidation", p.LiquidationPrice, w.LiquidationPrice)
	})
}

// PositionRow writes p as one line: "symbol side size entry=… mark=…
// upnl=… lev=… liq=… margin-mode", every amount exact.
func PositionRow(p sdk.Position) string {
	return fmt.Sprintf("%s %s %s entry=%s mark=%s upnl=%s lev=%s liq=%s %s", p.Symbol, p.Side, p.Size,
		p.EntryPrice, p.MarkPrice, p.UnrealizedPnL, p.Leverage, p.LiquidationPrice, p.MarginMode)
}

// PositionsRead calls Positions and fails t unless it returns a list (not
// nil, even when empty) whose rows, as PositionRow writes them, are want
// in order. It returns what it got.
func PositionsRead(t *testing.T, ex sdk.Exchange, acct sdk.Account, want []string) []sdk.Position {
	t.Helper()
	got, err := ex.Positions(Context(t), acct)
	if err != nil {
		t.Fatal(err)
	}
	rows := lines(got, PositionRow)
	if got == nil || !slices.Equal(rows, want) {
		t.Errorf("positions (nil: %v):\n%s\nwant\n%s", got == nil, strings.Join(rows, "\n"), strings.Join(want, "\n"))
	}
	return got
}

// sameList fails t unless got is a list (not nil, an empty want still
// wants an empty list) as long as want, then compares them item by item
// with same.
func sameList[T any](t *testing.T, what string, got, want []T, same func(i int, g, w T)) {
	t.Helper()
	if got == nil || len(got) != len(want) {
		t.Fatalf("%s %+v, want %d of them", what, got, len(want))
	}
	for i := range want {
		same(i, got[i], want[i])
	}
}

func sameDecimal(t *testing.T, field string, got, want decimal.Decimal) {
	t.Helper()
	if !got.Equal(want) {
		t.Errorf("%s = %s, want %s", field, got, want)
	}
}

// Credentials is what a row of a connector's credentials table expects of
// ValidateCredentials: an error of kind Kind when Kind is not zero
// (carrying exactly the exchange code Code, its message containing Text),
// else the permissions Perms with every one of Notes in
// the notes.
type Credentials struct {
	Perms sdk.Permissions
	Notes []string
	Kind  sdk.Kind
	Code  string
	Text  string
}

// CheckCredentials fails t unless got and err are as want says, and
// returns the notes joined, for the connector's own further checks.
func CheckCredentials(t *testing.T, got sdk.Permissions, err error, want Credentials) string {
	t.Helper()
	if want.Kind != 0 {
		if sdk.KindOf(err) != want.Kind || rest.ExchangeCode(err) != want.Code || !strings.Contains(fmt.Sprint(err), want.Text) {
			t.Fatalf("err = %v (kind %v), want kind %v code %q containing %q", err, sdk.KindOf(err), want.Kind, want.Code, want.Text)
		}
		return ""
	}
	if err != nil {
		t.Fatal(err)
	}
	w := want.Perms
	if got.CanRead != w.CanRead || got.CanTradeSpot != w.CanTradeSpot || got.CanTradeFutures != w.CanTradeFutures ||
		got.CanWithdraw != w.CanWithdraw || got.IPRestricted != w.IPRestricted {
		t.Fatalf("permissions %+v, want %+v", got, w)
	}
	notes := strings.Join(got.Notes, " | ")
	for _, n := range want.Notes {
		if !strings.Contains(notes, n) {
			t.Errorf("notes %q lack %q", notes, n)
		}
	}
	return notes
}

// Cancel is what a row of a connector's cancel table expects of
// CancelOrder: an error of kind Kind carrying exactly the exchange code
// Code when Kind is not zero, else the order Want. Want's side and type
// are compared when it names them.
type Cancel struct {
	Want sdk.Order
	Kind sdk.Kind
	Code string
}

// CheckCancel fails t unless got and err are as want says.
func CheckCancel(t *testing.T, got sdk.Order, err error, want Cancel) {
	t.Helper()
	if want.Kind != 0 {
		if sdk.KindOf(err) != want.Kind || rest.ExchangeCode(err) != want.Code {
			t.Fatalf("err = %v (code %q), want %v with code %q", err, rest.ExchangeCode(err), want.Kind, want.Code)
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	w := want.Want
	if got.ID != w.ID || got.ClientOrderID != w.ClientOrderID || got.Market != w.Market || got.Symbol != w.Symbol ||
		got.Status != w.Status || (w.Side != "" && got.Side != w.Side) || (w.Type != "" && got.Type != w.Type) {
		t.Fatalf("cancel = %+v, want %+v", got, w)
	}
}

// MustPlace places req on ex for acct and returns the order; t fails if
// it is refused. It is how a test opens the orders it goes on to cancel.
func MustPlace(t *testing.T, ex sdk.Exchange, acct sdk.Account, req sdk.OrderRequest) sdk.Order {
	t.Helper()
	o, err := ex.PlaceOrder(Context(t), acct, req)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// ErrorRow is one row of a connector's error table: a fault the fake
// answers with, on the connector's read call or on its order call, and
// the error the connector must turn it into.
type ErrorRow struct {
	Name string
	// Order aims the fault at the order call, else at the read call.
	Order      bool
	Fault      fakex.Fault
	Kind       sdk.Kind
	Code       string
	RetryAfter func(time.Duration) bool
}

// ErrorSetup is one subtest's arrangement for an error table: a fresh fake
// (so that a fault cannot leak into the next row), the connector and an
// account on it, and where the two calls of the table go. The read call is
// SpotBalances, the order call PlaceOrder with Order.
type ErrorSetup struct {
	Fake interface {
		Inject(fakex.Fault)
		PendingFaults() int
	}
	Exchange  sdk.Exchange
	Account   sdk.Account
	ReadPath  string
	OrderPath string
	Order     sdk.OrderRequest
	// Check, if not nil, is the connector's own further check of the
	// row's error (that it names the order, say).
	Check func(t *testing.T, row ErrorRow, err *sdk.Error)
}

// TransportRows are the answers that say nothing in any exchange's words:
// a front end's 500 or 502, a body cut off. Every connector treats them
// alike; on a read they are transient, after an order was sent its outcome
// is unknown. RunErrorTable runs them after the connector's own rows.
var TransportRows = []ErrorRow{
	{Name: "500 on a read", Fault: fakex.Fault{Status: 500, Body: "Internal error"}, Kind: sdk.KindUnavailable},
	{Name: "502 on a read", Fault: fakex.Fault{Status: 502, Body: "<html>Bad Gateway</html>"}, Kind: sdk.KindUnavailable},
	{Name: "500 on an order", Order: true, Fault: fakex.Fault{Status: 500, Body: "Internal error"}, Kind: sdk.KindUnknownOutcome},
	{Name: "malformed JSON on a read", Fault: fakex.Fault{Malformed: true}, Kind: sdk.KindUnknown},
	{Name: "malformed JSON on an order", Order: true, Fault: fakex.Fault{Malformed: true}, Kind: sdk.KindUnknownOutcome},
}

// RunErrorTable runs rows, then TransportRows, each in a subtest: setup
// arranges a fresh fake, the row's fault is injected on the path of the
// call it aims at, and the call's error must be as the row says. Every
// injected fault must have fired.
func RunErrorTable(t *testing.T, rows []ErrorRow, setup func(t *testing.T) ErrorSetup) {
	t.Helper()
	for _, row := range slices.Concat(rows, TransportRows) {
		t.Run(row.Name, func(t *testing.T) {
			s := setup(t)
			f := row.Fault
			f.Path = s.ReadPath
			call := func(c context.Context) error { _, err := s.Exchange.SpotBalances(c, s.Account); return err }
			if row.Order {
				f.Path = s.OrderPath
				call = func(c context.Context) error { _, err := s.Exchange.PlaceOrder(c, s.Account, s.Order); return err }
			}
			s.Fake.Inject(f)
			se := CheckError(t, call(Context(t)), WantError{Kind: row.Kind, Code: row.Code, RetryAfter: row.RetryAfter})
			if s.Check != nil {
				s.Check(t, row, se)
			}
			if n := s.Fake.PendingFaults(); n != 0 {
				t.Errorf("%d faults did not fire", n)
			}
		})
	}
}

// LastRequest is the last request fx received; t fails if there was none.
func LastRequest(t *testing.T, fx interface{ Requests() []fakex.Record }) fakex.Record {
	t.Helper()
	reqs := fx.Requests()
	if len(reqs) == 0 {
		t.Fatal("no request reached the fake")
	}
	return reqs[len(reqs)-1]
}

// OrderRow is one row of a table of orders a connector must refuse: the
// request, and the kind (KindInvalidRequest when zero) and exchange code
// ("" for a refusal of the connector's own) of the error.
type OrderRow struct {
	Name string
	Req  sdk.OrderRequest
	Kind sdk.Kind
	Code string
}

// LocalRefusals are orders no connector may send, whatever its exchange:
// the unified request itself is wrong. RefuseLocally runs them before the
// connector's own rows.
var LocalRefusals = []OrderRow{
	{Name: "perp on spot", Req: sdk.OrderRequest{Market: "spot", Symbol: "BTC/USDT:USDT", Side: "buy", Type: "market", Quantity: dec("1")}},
	{Name: "unknown market", Req: sdk.OrderRequest{Market: "margin", Symbol: "BTC/USDT", Side: "buy", Type: "market", Quantity: dec("1")}},
	{Name: "bad side", Req: sdk.OrderRequest{Symbol: "BTC/USDT", Side: "hold", Type: "market", Quantity: dec("1")}},
	{Name: "bad type", Req: sdk.OrderRequest{Symbol: "BTC/USDT", Side: "buy", Type: "stop", Quantity: dec("1")}},
	{Name: "limit without price", Req: sdk.OrderRequest{Symbol: "BTC/USDT", Side: "buy", Type: "limit", Quantity: dec("1")}},
	{Name: "market with price", Req: sdk.OrderRequest{Symbol: "BTC/USDT", Side: "sell", Type: "market", Quantity: dec("1"), Price: dec("1")}},
	{Name: "market with both quantities", Req: sdk.OrderRequest{Symbol: "BTC/USDT", Side: "buy", Type: "market", Quantity: dec("1"), QuoteQuantity: dec("1")}},
	{Name: "market with none", Req: sdk.OrderRequest{Symbol: "BTC/USDT", Side: "buy", Type: "market"}},
	{Name: "negative quantity", Req: sdk.OrderRequest{Symbol: "BTC/USDT", Side: "sell", Type: "market", Quantity: dec("-1")}},
	{Name: "futures by quote", Req: sdk.OrderRequest{Symbol: "BTC/USDT:USDT", Side: "buy", Type: "market", QuoteQuantity: dec("100")}},
	{Name: "reduce-only on spot", Req: sdk.OrderRequest{Symbol: "BTC/USDT", Side: "sell", Type: "market", Quantity: dec("1"), ReduceOnly: true}},
	{Name: "bad position side", Req: sdk.OrderRequest{Symbol: "BTC/USDT:USDT", Side: "buy", Type: "market", Quantity: dec("1"), PositionSide: "both"}},
}

var dec = decimal.RequireFromString

// RefuseLocally places LocalRefusals and then rows on ex for acct, each
// in a subtest, and fails unless every one is refused as its row says;
// then unless fx received no request at all.
func RefuseLocally(t *testing.T, ex sdk.Exchange, acct sdk.Account, fx interface{ TotalCalls() int }, rows []OrderRow) {
	t.Helper()
	for _, row := range slices.Concat(LocalRefusals, rows) {
		t.Run(row.Name, func(t *testing.T) {
			_, err := ex.PlaceOrder(Context(t), acct, row.Req)
			CheckRefused(t, err, row)
		})
	}
	if n := fx.TotalCalls(); n != 0 {
		t.Fatalf("%d requests reached the exchange", n)
	}
}

// CheckRefused fails t unless err is the refusal row describes.
func CheckRefused(t *testing.T, err error, row OrderRow) {
	t.Helper()
	kind := row.Kind
	if kind == 0 {
		kind = sdk.KindInvalidRequest
	}
	if sdk.KindOf(err) != kind || rest.ExchangeCode(err) != row.Code {
		t.Fatalf("err = %v (kind %v), want %v with code %q", err, sdk.KindOf(err), kind, row.Code)
	}
}
