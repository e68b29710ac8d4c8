package fake

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/globalautomation/gahost/sdk/fakex"
	"github.com/globalautomation/gahost/sdk/sign"
)

// The fake must accept the documented signature vectors byte for byte
// and reject a changed byte, independently
// of the connector's own signing code.
const (
	docKey    = "hO6oQotzTE0S5FRYze2Jx2wGx7eVnJGMolpA1nZyehsoMgCcgKNWQHd4QgTFZuwl4Zt4xMe2PqGBegWXO4A"
	docSecret = "mheO6dR8ovSsxZQCOYEFCtelpuxcWGTfHw7te326y6jOwq5WpvFQ9JNljoTwBXZGv5It07m9RXSPpDQEK2w"
)

// envelope is BingX's: code, msg and data.
var envelope = fakex.Envelope{Code: "code", Msg: "msg", Data: "data"}

func send(t *testing.T, s *Server, method, path, query, key string) fakex.Reply {
	t.Helper()
	return envelope.Send(t, method, s.URL()+path, query, "", map[string]string{"X-BX-APIKEY": key})
}

// at moves the fake's clock to ms (plus a little).
func at(s *Server, ms int64) { s.SetClockOffset(time.Until(time.UnixMilli(ms)) + 100*time.Millisecond) }

func TestVerifiesPageVectors(t *testing.T) {
	s := New()
	defer s.Close()
	s.AddKey(FullKey(docKey, docSecret))
	s.Update(docKey, func(a *Account) {
		a.HedgeMode = true
		a.Swap = []SwapAsset{{Asset: "USDT", Balance: "1000", Equity: "1000", UnrealizedProfit: "0", AvailableMargin: "1000"}}
	})
	const order = "positionSide=LONG&quantity=0.001&side=BUY&symbol=BTC-USDT&timestamp=1700000000000&type=MARKET"
	const tp = "%7B%22type%22%3A%22TAKE_PROFIT_MARKET%22%2C%22stopPrice%22%3A31968.0%2C%22workingType%22%3A%22MARK_PRICE%22%7D"
	tests := []struct {
		name, method, path, query string
		ms                        int64
		code                      int
	}{
		{"doc payload", "GET", "/openApi/swap/v2/user/positions",
			"recvWindow=0&symbol=BTC-USDT&timestamp=1696751141337&signature=f8d883609dfd31c824feb4de865b071008dedb1d461451fa70847875c8e7a7a2", 1696751141337, 0},
		{"doc payload, upper-case hex", "GET", "/openApi/swap/v2/user/positions",
			"recvWindow=0&symbol=BTC-USDT&timestamp=1696751141337&signature=F8D883609DFD31C824FEB4DE865B071008DEDB1D461451FA70847875C8E7A7A2", 1696751141337, 0},
		{"the docs' own printed signature does not verify", "GET", "/openApi/swap/v2/user/positions",
			"recvWindow=0&symbol=BTC-USDT&timestamp=1696751141337&signature=1e63e8cfd1c04919881e60cf369e404b9b7c87d3a09bc300f1abfdcce7da57e8", 1696751141337, codeBadSignature},
		{"timestamp only", "GET", "/openApi/spot/v1/account/balance",
			"timestamp=1700000000000&signature=b3efb34f2df51eea2b0e489324ea4aabc84cfbea7f9db9f6fa4bdfc70c589b6d", 1700000000000, 0},
		{"order", "POST", "/openApi/swap/v2/trade/order",
			order + "&signature=962f7a823f915f98b8ceac4fd4bfa90b63ff002afeb2850c2aa995a14ac144fc", 1700000000000, 0},
		{"signature first", "POST", "/openApi/swap/v2/trade/order",
			"signature=962f7a823f915f98b8ceac4fd4bfa90b63ff002afeb2850c2aa995a14ac144fc&" + order, 1700000000000, 0},
		{"JSON value sent encoded, signed raw", "POST", "/openApi/swap/v2/trade/order",
			"positionSide=LONG&quantity=0.001&side=BUY&symbol=BTC-USDT&takeProfit=" + tp + "&timestamp=1700000000000&type=MARKET" +
				"&signature=ec42ef6331a386d73f0a4cf35aa6cd96a42338dcbc5377a61577e879500195b4", 1700000000000, 0},
		{"the same pairs in another order", "POST", "/openApi/swap/v2/trade/order",
			"symbol=BTC-USDT&side=BUY&positionSide=LONG&type=MARKET&quantity=0.001&timestamp=1700000000000" +
				"&signature=" + sign.Hex(docSecret, "symbol=BTC-USDT&side=BUY&positionSide=LONG&type=MARKET&quantity=0.001&timestamp=1700000000000"), 1700000000000, 0},
		{"one byte changed", "POST", "/openApi/swap/v2/trade/order",
			strings.Replace(order, "0.001", "0.002", 1) + "&signature=962f7a823f915f98b8ceac4fd4bfa90b63ff002afeb2850c2aa995a14ac144fc", 1700000000000, codeBadSignature},
		{"pairs reordered under the sorted signature", "POST", "/openApi/swap/v2/trade/order",
			"side=BUY&positionSide=LONG&quantity=0.001&symbol=BTC-USDT&timestamp=1700000000000&type=MARKET&signature=962f7a823f915f98b8ceac4fd4bfa90b63ff002afeb2850c2aa995a14ac144fc", 1700000000000, codeBadSignature},
		{"no signature", "GET", "/openApi/spot/v1/account/balance", "timestamp=1700000000000", 1700000000000, codeNoSignature},
		{"no timestamp", "GET", "/openApi/spot/v1/account/balance", "signature=" + sign.Hex(docSecret, ""), 1700000000000, codeTimestamp},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			at(s, tt.ms)
			got := send(t, s, tt.method, tt.path, tt.query, docKey)
			if got.Status != 200 || got.Code != strconv.Itoa(tt.code) {
				t.Fatalf("got %d %s %q, want 200 %d", got.Status, got.Code, got.Msg, tt.code)
			}
		})
	}
	if n := len(s.Orders(docKey)); n != 4 {
		t.Fatalf("orders = %d, want 4", n)
	}
}

// TestEncodedSignature: the JKorf variant (signing the encoded string) is
// refused unless the fake is told to be lenient (AcceptEncodedSignature).
func TestEncodedSignature(t *testing.T) {
	const q = "note=a%20b&timestamp=1700000000000"
	for _, lenient := range []bool{false, true} {
		var opts []Option
		if lenient {
			opts = append(opts, AcceptEncodedSignature())
		}
		s := New(opts...)
		s.AddKey(FullKey(docKey, docSecret))
		at(s, 1700000000000)
		raw := send(t, s, "GET", "/openApi/spot/v1/account/balance", q+"&signature="+sign.Hex(docSecret, "note=a b&timestamp=1700000000000"), docKey)
		enc := send(t, s, "GET", "/openApi/spot/v1/account/balance", q+"&signature="+sign.Hex(docSecret, q), docKey)
		s.Close()
		if raw.Code != "0" {
			t.Errorf("lenient=%v: raw signature refused: %+v", lenient, raw)
		}
		if want := map[bool]int{false: codeBadSignature, true: 0}[lenient]; enc.Code != strconv.Itoa(want) {
			t.Errorf("lenient=%v: encoded signature answered %s, want %d", lenient, enc.Code, want)
		}
	}
}

func TestAuthChecks(t *testing.T) {
	s := New()
	defer s.Close()
	s.AddKey(FullKey(docKey, docSecret))
	s.AddKey(Key{APIKey: "read-only", Secret: docSecret, Permissions: []int{PermRead}})
	s.AddKey(Key{APIKey: "elsewhere", Secret: docSecret, Permissions: []int{PermRead}, IPAddresses: []string{"203.0.113.9"}})
	signed := func(ms int64, extra string) string {
		p := extra + "timestamp=" + strconv.FormatInt(ms, 10)
		return p + "&signature=" + sign.Hex(docSecret, p)
	}
	const ts = 1700000000000
	tests := []struct {
		name, method, path, query, key string
		offset                         time.Duration // the fake's clock minus the timestamp
		code                           int
	}{
		{"on time", "GET", "/openApi/spot/v1/account/balance", signed(ts, ""), docKey, 100 * time.Millisecond, 0},
		{"at the edge of the 5 s window", "GET", "/openApi/spot/v1/account/balance", signed(ts, ""), docKey, 4900 * time.Millisecond, 0},
		{"too old", "GET", "/openApi/spot/v1/account/balance", signed(ts, ""), docKey, 6 * time.Second, codeTimestamp},
		{"ahead", "GET", "/openApi/spot/v1/account/balance", signed(ts, ""), docKey, -6 * time.Second, codeTimestamp},
		{"recvWindow widens it", "GET", "/openApi/spot/v1/account/balance", signed(ts, "recvWindow=10000&"), docKey, 8 * time.Second, 0},
		{"no key", "GET", "/openApi/spot/v1/account/balance", signed(ts, ""), "", 0, codeBadAPIKey},
		{"unknown key", "GET", "/openApi/spot/v1/account/balance", signed(ts, ""), "nobody", 0, codeBadAPIKey},
		{"IP not whitelisted", "GET", "/openApi/spot/v1/account/balance", signed(ts, ""), "elsewhere", 0, codeIPWhitelist},
		{"read-only key places an order", "POST", "/openApi/spot/v1/trade/order", signed(ts, "quantity=1&side=SELL&symbol=BTC-USDT&type=MARKET&"), "read-only", 0, codePermission},
		{"read-only key reads", "GET", "/openApi/swap/v2/user/positions", signed(ts, ""), "read-only", 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s.SetClockOffset(time.Until(time.UnixMilli(ts)) + tt.offset)
			got := send(t, s, tt.method, tt.path, tt.query, tt.key)
			if got.Status != 200 || got.Code != strconv.Itoa(tt.code) {
				t.Fatalf("got %d %s %q, want 200 %d", got.Status, got.Code, got.Msg, tt.code)
			}
		})
	}
}

func TestIPLimitAndBan(t *testing.T) {
	s := New(WithIPLimits(3, 2000))
	defer s.Close()
	now := time.Now()
	s.SetClockOffset(now.Truncate(ipWindow).Add(ipWindow + 50*time.Millisecond).Sub(now))
	var got []int
	for range 5 {
		got = append(got, send(t, s, "GET", "/openApi/swap/v2/server/time", "", "").Status)
	}
	if want := []int{200, 200, 200, 429, 418}; !equal(got, want) {
		t.Fatalf("statuses %v, want %v", got, want)
	}
	// The ban covers every endpoint, and is over after five minutes.
	if a := send(t, s, "GET", "/openApi/swap/v2/quote/contracts", "", ""); a.Status != 418 || a.Code != strconv.Itoa(codeRateLimit) {
		t.Fatalf("another endpoint while banned: %+v", a)
	}
	s.SetClockOffset(time.Until(s.Now().Add(5*time.Minute + ipWindow)))
	if a := send(t, s, "GET", "/openApi/swap/v2/server/time", "", ""); a.Status != 200 {
		t.Fatalf("after the ban: %+v", a)
	}
}

func TestPerKeyHeaders(t *testing.T) {
	s := New()
	defer s.Close()
	s.AddKey(FullKey(docKey, docSecret))
	now := time.Now()
	s.SetClockOffset(now.Truncate(time.Second).Add(time.Second + 20*time.Millisecond).Sub(now))
	var remain []string
	var last fakex.Reply
	for range 3 {
		q := "timestamp=" + strconv.FormatInt(s.Now().UnixMilli(), 10)
		last = send(t, s, "GET", "/openApi/swap/v1/positionSide/dual", q+"&signature="+sign.Hex(docSecret, q), docKey)
		remain = append(remain, last.Header.Get("X-RateLimit-Requests-Remain"))
	}
	if strings.Join(remain, ",") != "1,0,0" || last.Status != 429 || last.Code != strconv.Itoa(codeRateLimit) {
		t.Fatalf("remain %v, last %+v", remain, last)
	}
	exp, err := strconv.ParseInt(last.Header.Get("X-RateLimit-Requests-Expire"), 10, 64)
	if err != nil || time.UnixMilli(exp).Before(s.Now()) || time.UnixMilli(exp).After(s.Now().Add(time.Second)) {
		t.Fatalf("expire %q", last.Header.Get("X-RateLimit-Requests-Expire"))
	}
}

func TestDemoHost(t *testing.T) {
	s := New(WithVST())
	defer s.Close()
	for path, want := range map[string]int{
		"/openApi/swap/v2/server/time":         200,
		"/openApi/swap/v2/quote/contracts":     200,
		"/openApi/spot/v1/common/symbols":      404,
		"/openApi/spot/v1/account/balance":     404,
		"/openApi/v1/account/apiPermissions":   404,
		"/openApi/swap/v2/user/does-not-exist": 404,
	} {
		if got := send(t, s, "GET", path, "", ""); got.Status != want {
			t.Errorf("%s: %d, want %d", path, got.Status, want)
		}
	}
}

// TestSwapOrderRules: an empty positionSide means LONG, the mode
// decides what is accepted, and finer values are truncated silently.
func TestSwapOrderRules(t *testing.T) {
	s := New(WithoutUIDLimits())
	defer s.Close()
	s.AddKey(FullKey(docKey, docSecret))
	fund := func(hedge bool) {
		s.Update(docKey, func(a *Account) {
			a.HedgeMode, a.Positions, a.Orders = hedge, nil, nil
			a.Swap = []SwapAsset{{Asset: "USDT", AvailableMargin: "100000"}}
		})
	}
	place := func(params string) fakex.Reply {
		p := params + "&timestamp=" + strconv.FormatInt(s.Now().UnixMilli(), 10)
		return send(t, s, "POST", "/openApi/swap/v2/trade/order", p+"&signature="+sign.Hex(docSecret, p), docKey)
	}
	fund(true)
	// A sell meant to open a short closes a long instead, and there is none.
	if a := place("symbol=BTC-USDT&side=SELL&type=MARKET&quantity=0.01"); a.Code != strconv.Itoa(codeNoPosition) {
		t.Fatalf("hedge sell without positionSide: %+v", a)
	}
	if a := place("symbol=BTC-USDT&side=BUY&type=MARKET&quantity=0.01"); a.Code != "0" {
		t.Fatalf("hedge buy without positionSide: %+v", a)
	}
	if p := s.Account(docKey).Positions; len(p) != 1 || p[0].PositionSide != "LONG" {
		t.Fatalf("an empty positionSide did not mean LONG: %+v", p)
	}
	if a := place("symbol=BTC-USDT&side=BUY&positionSide=BOTH&type=MARKET&quantity=0.01"); a.Code != strconv.Itoa(codeMode) || !strings.Contains(a.Msg, "Hedge mode") {
		t.Fatalf("BOTH in hedge mode: %+v", a)
	}
	fund(false)
	if a := place("symbol=BTC-USDT&side=BUY&positionSide=LONG&type=MARKET&quantity=0.01"); a.Code != strconv.Itoa(codeMode) || !strings.Contains(a.Msg, "One-way mode") {
		t.Fatalf("LONG in one-way mode: %+v", a)
	}
	if a := place("symbol=BTC-USDT&side=BUY&positionSide=BOTH&type=LIMIT&quantity=0.123456&price=50000.123"); a.Code != "0" {
		t.Fatalf("fine values: %+v", a)
	}
	if o := s.Orders(docKey); len(o) != 1 || o[0].Quantity != "0.1234" || o[0].Price != "50000.1" {
		t.Fatalf("not truncated: %+v", o)
	}
	if a := place("symbol=BTC-USDT&side=SELL&positionSide=BOTH&type=MARKET&quantity=0.5"); a.Code != "0" {
		t.Fatal(a)
	}
	if p := s.Account(docKey).Positions; len(p) != 1 || p[0].PositionSide != "SHORT" || p[0].PositionAmt != "0.5" {
		t.Fatalf("one-way short: %+v", p)
	}
	var placed struct {
		Order struct {
			OrderID json.Number `json:"orderId"`
		} `json:"order"`
	}
	a := place("symbol=BTC-USDT&side=BUY&positionSide=BOTH&type=MARKET&quantity=0.5&reduceOnly=true")
	if err := json.Unmarshal(a.Data, &placed); err != nil || a.Code != "0" {
		t.Fatalf("close: %+v %v", a, err)
	}
	if len(s.Account(docKey).Positions) != 0 {
		t.Fatalf("position left after closing: %+v", s.Account(docKey).Positions)
	}
	if id, _ := placed.Order.OrderID.Int64(); id <= 1<<53 || int64(float64(id)) == id {
		t.Fatalf("order id %s does not exercise float rounding", placed.Order.OrderID)
	}
}

func equal(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestOrderSymbolChecks: an order or a cancel without its symbol (or an
// order without its side or type) is refused naming the first one
// missing, and one on a symbol not listed is refused, each in its
// market's code and words.
func TestOrderSymbolChecks(t *testing.T) {
	s := New(WithoutUIDLimits())
	defer s.Close()
	s.AddKey(FullKey(docKey, docSecret))
	const unlisted = "The symbol you request is not available to place order currently, please try again later"
	for _, tt := range []struct {
		method, path, params string
		code                 int
		msg                  string
	}{
		{"POST", "/openApi/swap/v2/trade/order", "symbol=BTC-USDT&side=BUY&quantity=0.01", codeInvalidParams, "Invalid parameters,type: This field is required."},
		{"POST", "/openApi/spot/v1/trade/order", "type=MARKET&quantity=0.01", codeBadParameter, "Invalid parameters, symbol: This field is required."},
		{"DELETE", "/openApi/swap/v2/trade/order", "orderId=1", codeInvalidParams, "Invalid parameters,symbol: This field is required."},
		{"POST", "/openApi/spot/v1/trade/cancel", "orderId=1", codeBadParameter, "Invalid parameters, symbol: This field is required."},
		{"POST", "/openApi/swap/v2/trade/order", "symbol=DOGE-USDT&side=BUY&type=MARKET&quantity=1", codeNoSymbol, "symbol not exist"},
		{"POST", "/openApi/spot/v1/trade/order", "symbol=DOGE-USDT&side=BUY&type=MARKET&quoteOrderQty=10", codeTimestamp, unlisted},
		{"DELETE", "/openApi/swap/v2/trade/order", "symbol=DOGE-USDT&orderId=1", codeNoSymbol, "symbol not exist"},
		{"POST", "/openApi/spot/v1/trade/cancel", "symbol=DOGE-USDT&orderId=1", codeTimestamp, unlisted},
	} {
		p := tt.params + "&timestamp=" + strconv.FormatInt(s.Now().UnixMilli(), 10)
		got := send(t, s, tt.method, tt.path, p+"&signature="+sign.Hex(docSecret, p), docKey)
		if got.Code != strconv.Itoa(tt.code) || got.Msg != tt.msg {
			t.Errorf("%s %s %s: got %s %q, want %d %q", tt.method, tt.path, tt.params, got.Code, got.Msg, tt.code, tt.msg)
		}
	}
}

// TestSpotMarketOrderMovesTheWallet: a filled spot market buy, sized in
// quote, spends the quote and credits the base it bought.
func TestSpotMarketOrderMovesTheWallet(t *testing.T) {
	s := New(WithoutUIDLimits())
	defer s.Close()
	s.AddKey(FullKey(docKey, docSecret))
	s.Update(docKey, func(a *Account) { a.Spot = []Balance{{Asset: "USDT", Free: "1000", Locked: "0"}} })
	p := "symbol=BTC-USDT&side=BUY&type=MARKET&quoteOrderQty=600&timestamp=" + strconv.FormatInt(s.Now().UnixMilli(), 10)
	if got := send(t, s, "POST", "/openApi/spot/v1/trade/order", p+"&signature="+sign.Hex(docSecret, p), docKey); got.Code != "0" {
		t.Fatalf("market buy: %+v", got)
	}
	free := map[string]string{}
	for _, b := range s.Account(docKey).Spot {
		free[b.Asset] = b.Free
	}
	if free["USDT"] != "400" || free["BTC"] != "0.01" {
		t.Fatalf("wallet after buying 600 USDT of BTC at 60000: %v", free)
	}
}
