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

// The fake must accept the documented signature vectors byte for byte,
// independently of the connector's own
// signing code, and refuse any change.
const (
	vKey    = "TESTKEY123"
	vSecret = "TESTSECRET456"
	vTime   = 1700000000000
	vBody   = `{"category":"linear","symbol":"BTCUSDT","side":"Buy","orderType":"Limit","qty":"0.001","price":"30000","timeInForce":"GTC","positionIdx":0}`
	sigGET  = "e264bb8a2fc8cf8c408f5705bbff66db77619a310ee67c6140a62a5f4f943ea6"
	sigPOST = "2b34bd811bccd2df932fa6fd10f6bbe56a13ab9f2fa5cb557d3f3699f25020e4"
	sigNone = "2598d3b3dddd228c234e9c7a6d15dc55b910247db20106a79318d392bd3c18bc"
)

// envelope is Bybit's: retCode, retMsg and result.
var envelope = fakex.Envelope{Code: "retCode", Msg: "retMsg", Data: "result"}

// send makes one raw request; header names are sent as written, so a
// test can send them in lower case.
func send(t *testing.T, s *Server, method, path, query, body string, hdr map[string]string) fakex.Reply {
	t.Helper()
	return envelope.Send(t, method, s.URL()+path, query, body, hdr)
}

// signed returns the auth headers of a request at ts.
func signed(key, secret string, ts int64, payload string) map[string]string {
	t := strconv.FormatInt(ts, 10)
	return map[string]string{
		"X-BAPI-API-KEY": key, "X-BAPI-TIMESTAMP": t, "X-BAPI-RECV-WINDOW": "5000",
		"X-BAPI-SIGN": sign.Hex(secret, t+key+"5000"+payload), "Content-Type": "application/json",
	}
}

func vectorServer(t *testing.T) *Server {
	t.Helper()
	s := New()
	t.Cleanup(s.Close)
	s.AddKey(FullKey(vKey, vSecret))
	s.Update(vKey, func(a *Account) { a.Coins = []Coin{{Coin: "USDT", WalletBalance: "1000"}} })
	// Put the fake's clock at the vectors' timestamp.
	s.SetClockOffset(time.Until(time.UnixMilli(vTime)) + 100*time.Millisecond)
	return s
}

func TestVerifiesVectors(t *testing.T) {
	s := vectorServer(t)
	hdr := func(sig string, edit func(map[string]string)) map[string]string {
		h := map[string]string{"X-BAPI-API-KEY": vKey, "X-BAPI-TIMESTAMP": "1700000000000", "X-BAPI-RECV-WINDOW": "5000", "X-BAPI-SIGN": sig}
		if edit != nil {
			edit(h)
		}
		return h
	}
	json := func(h map[string]string) { h["Content-Type"] = "application/json" }
	vector := func(name, method, path, q, body string, hdr map[string]string, status int, code string) fakex.Case {
		return fakex.Case{Name: name, Method: method, Path: path, Query: q, Body: body, Header: hdr, Status: status, Code: code}
	}
	// A bare answer, not Bybit's envelope, has no code.
	envelope.Run(t, s.URL(), []fakex.Case{
		vector("GET vector", "GET", "/v5/account/wallet-balance", "accountType=UNIFIED&coin=USDT", "", hdr(sigGET, nil), 200, "0"),
		vector("POST vector", "POST", "/v5/order/create", "", vBody, hdr(sigPOST, json), 200, "0"),
		vector("GET vector without a query", "GET", "/v5/user/query-api", "", "", hdr(sigNone, nil), 200, "0"),
		vector("header names in lower case", "GET", "/v5/account/wallet-balance", "accountType=UNIFIED&coin=USDT", "",
			map[string]string{"x-bapi-api-key": vKey, "x-bapi-timestamp": "1700000000000", "x-bapi-recv-window": "5000", "x-bapi-sign": sigGET}, 200, "0"),
		vector("with X-BAPI-SIGN-TYPE", "GET", "/v5/user/query-api", "", "", hdr(sigNone, func(h map[string]string) { h["X-BAPI-SIGN-TYPE"] = "2" }), 200, "0"),
		vector("no recv window header: 5000 is signed", "GET", "/v5/user/query-api", "", "", hdr(sigNone, func(h map[string]string) { delete(h, "X-BAPI-RECV-WINDOW") }), 200, "0"),
		vector("query parameters reordered", "GET", "/v5/account/wallet-balance", "coin=USDT&accountType=UNIFIED", "", hdr(sigGET, nil), 200, "10004"),
		vector("one query byte changed", "GET", "/v5/account/wallet-balance", "accountType=UNIFIED&coin=USDC", "", hdr(sigGET, nil), 200, "10004"),
		vector("body re-spaced", "POST", "/v5/order/create", "", strings.Replace(vBody, `":"`, `": "`, 1), hdr(sigPOST, json), 200, "10004"),
		vector("signature in upper case", "GET", "/v5/user/query-api", "", "", hdr(strings.ToUpper(sigNone), nil), 200, "10004"),
		vector("other recv window than signed", "GET", "/v5/user/query-api", "", "", hdr(sigNone, func(h map[string]string) { h["X-BAPI-RECV-WINDOW"] = "6000" }), 200, "10004"),
		vector("unknown key", "GET", "/v5/user/query-api", "", "", hdr(sigNone, func(h map[string]string) { h["X-BAPI-API-KEY"] = "someone-else" }), 200, "10003"),
		vector("no signature", "GET", "/v5/user/query-api", "", "", hdr("", nil), 401, ""),
		vector("no key", "GET", "/v5/user/query-api", "", "", hdr(sigNone, func(h map[string]string) { delete(h, "X-BAPI-API-KEY") }), 401, ""),
		vector("GET with a body", "GET", "/v5/user/query-api", "", "{}", hdr(sigNone, nil), 403, ""),
		vector("POST that is not JSON", "POST", "/v5/order/create", "", "category=linear", hdr(sign.Hex(vSecret, "1700000000000"+vKey+"5000category=linear"), json), 200, "10001"),
		vector("unknown path", "GET", "/v5/nope", "", "", hdr(sigNone, nil), 404, ""),
	})
	orders := s.Orders(vKey)
	if len(orders) != 1 || orders[0].Body != vBody || orders[0].Status != "New" || orders[0].Category != "linear" {
		t.Fatalf("orders %+v", orders)
	}
}

func TestTimestampWindow(t *testing.T) {
	s := vectorServer(t)
	h := map[string]string{"X-BAPI-API-KEY": vKey, "X-BAPI-TIMESTAMP": "1700000000000", "X-BAPI-RECV-WINDOW": "5000", "X-BAPI-SIGN": sigNone}
	tests := []struct {
		name   string
		offset time.Duration // the fake's clock minus the request's timestamp
		code   int
	}{
		{"on time", 100 * time.Millisecond, 0},
		{"near the end of the window", 4900 * time.Millisecond, 0},
		{"too old", 5100 * time.Millisecond, 10002},
		{"ahead by less than 1s", -900 * time.Millisecond, 0},
		{"ahead by more than 1s", -1100 * time.Millisecond, 10002},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s.SetClockOffset(time.Until(time.UnixMilli(vTime)) + tt.offset)
			got := send(t, s, "GET", "/v5/user/query-api", "", "", h)
			if got.Code != strconv.Itoa(tt.code) {
				t.Fatalf("got %+v, want retCode %d", got, tt.code)
			}
			if tt.code == 10002 && !strings.Contains(got.Msg, "req_timestamp[1700000000000]") {
				t.Fatalf("message %q", got.Msg)
			}
		})
	}
}

func TestKeyRules(t *testing.T) {
	s := New()
	defer s.Close()
	s.AddKey(Key{APIKey: "ro", Secret: "s1", ReadOnly: true, Permissions: map[string][]string{"Spot": {"SpotTrade"}}})
	s.AddKey(Key{APIKey: "far", Secret: "s2", IPs: []string{"203.0.113.9"}})
	s.AddKey(Key{APIKey: "old", Secret: "s3", Expired: true})
	s.AddKey(Key{APIKey: "spot", Secret: "s4", IPs: []string{"*"}, Permissions: map[string][]string{"Spot": {"SpotTrade"}}})
	order := `{"category":"spot","symbol":"BTCUSDT","side":"Buy","orderType":"Limit","qty":"0.001","price":"1"}`
	linear := `{"category":"linear","symbol":"BTCUSDT","side":"Buy","orderType":"Limit","qty":"0.001","price":"1","positionIdx":0}`
	tests := []struct {
		name, key, secret, method, path, body string
		code                                  int
	}{
		{"read-only key reads", "ro", "s1", "GET", "/v5/account/info", "", 0},
		{"read-only key cannot trade", "ro", "s1", "POST", "/v5/order/create", order, 10005},
		{"IP not bound", "far", "s2", "GET", "/v5/account/info", "", 10010},
		{"expired key", "old", "s3", "GET", "/v5/account/info", "", 33004},
		{"spot key trades spot", "spot", "s4", "POST", "/v5/order/create", order, 170131},
		{"spot key cannot trade linear", "spot", "s4", "POST", "/v5/order/create", linear, 10005},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := send(t, s, tt.method, tt.path, "", tt.body, signed(tt.key, tt.secret, s.Now().UnixMilli(), tt.body))
			if got.Code != strconv.Itoa(tt.code) {
				t.Fatalf("got %+v, want %d", got, tt.code)
			}
		})
	}
}

func TestOrderBodyRules(t *testing.T) {
	s := New()
	defer s.Close()
	s.AddKey(FullKey("k", "s"))
	s.Update("k", func(a *Account) { a.Coins = []Coin{{Coin: "USDT", WalletBalance: "100000"}}; a.HedgeMode = true })
	tests := []struct {
		name, body string
		code       int
	}{
		{"hedge mode wants a side index", `{"category":"linear","symbol":"BTCUSDT","side":"Buy","orderType":"Market","qty":"0.001","positionIdx":0}`, 10001},
		{"hedge mode long side", `{"category":"linear","symbol":"BTCUSDT","side":"Buy","orderType":"Market","qty":"0.001","positionIdx":1}`, 0},
		{"qty as a JSON number", `{"category":"linear","symbol":"BTCUSDT","side":"Buy","orderType":"Market","qty":0.001,"positionIdx":1}`, 10001},
		{"reduceOnly as a string", `{"category":"linear","symbol":"BTCUSDT","side":"Sell","orderType":"Market","qty":"0.001","positionIdx":1,"reduceOnly":"true"}`, 10001},
		{"positionIdx as a string", `{"category":"linear","symbol":"BTCUSDT","side":"Buy","orderType":"Market","qty":"0.001","positionIdx":"1"}`, 10001},
		{"side in upper case", `{"category":"spot","symbol":"BTCUSDT","side":"BUY","orderType":"Market","qty":"10"}`, 10001},
		{"limit without price", `{"category":"spot","symbol":"BTCUSDT","side":"Buy","orderType":"Limit","qty":"1"}`, 10001},
		{"unknown linear symbol", `{"category":"linear","symbol":"NOPEUSDT","side":"Buy","orderType":"Market","qty":"1","positionIdx":1}`, 10001},
		{"unknown spot symbol", `{"category":"spot","symbol":"NOPEUSDT","side":"Buy","orderType":"Market","qty":"1"}`, 170121},
		{"spot market buy by quote", `{"category":"spot","symbol":"BTCUSDT","side":"Buy","orderType":"Market","qty":"600","marketUnit":"quoteCoin"}`, 0},
		{"marketUnit on a limit order", `{"category":"spot","symbol":"BTCUSDT","side":"Buy","orderType":"Limit","qty":"1","price":"1","marketUnit":"baseCoin"}`, 10001},
		{"orderLinkId too long", `{"category":"spot","symbol":"BTCUSDT","side":"Buy","orderType":"Market","qty":"1","orderLinkId":"` + strings.Repeat("x", 37) + `"}`, 10001},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := send(t, s, "POST", "/v5/order/create", "", tt.body, signed("k", "s", s.Now().UnixMilli(), tt.body))
			if got.Code != strconv.Itoa(tt.code) {
				t.Fatalf("got %+v, want %d", got, tt.code)
			}
		})
	}
	a := s.Account("k")
	if len(a.Positions) != 1 || a.Positions[0].Size != "0.001" || a.Positions[0].PositionIdx != 1 || a.Positions[0].Side != "Buy" {
		t.Fatalf("positions %+v", a.Positions)
	}
	if i := 1; a.Coins[i].Coin != "BTC" || a.Coins[i].WalletBalance != "0.01" || a.Coins[0].WalletBalance != "99400" {
		t.Fatalf("coins after a 600 USDT market buy at 60000: %+v", a.Coins)
	}
}

func TestPositionCursor(t *testing.T) {
	s := New()
	defer s.Close()
	s.AddKey(FullKey("k", "s"))
	s.Update("k", func(a *Account) {
		for _, sym := range []string{"AUSDT", "BUSDT", "CUSDT"} {
			a.Positions = append(a.Positions, Position{Symbol: sym, Side: "Buy", Size: "1"})
		}
	})
	get := func(q string) fakex.Reply {
		return send(t, s, "GET", "/v5/position/list", q, "", signed("k", "s", s.Now().UnixMilli(), q))
	}
	first := get("category=linear&limit=2&settleCoin=USDT")
	var page struct {
		Next string `json:"nextPageCursor"`
		List []struct {
			Symbol string `json:"symbol"`
		} `json:"list"`
	}
	if err := json.Unmarshal(first.Data, &page); err != nil || len(page.List) != 2 || page.Next != "offset%3D2" {
		t.Fatalf("first page %s (%v)", first.Data, err)
	}
	if got := get("category=linear&cursor=" + page.Next + "&limit=2&settleCoin=USDT"); got.Code != "0" || !strings.Contains(string(got.Data), `"CUSDT"`) {
		t.Fatalf("second page %+v", got)
	}
	if got := get("category=linear&cursor=offset%253D2&limit=2&settleCoin=USDT"); got.Code != "10001" {
		t.Fatalf("a cursor encoded twice: %+v", got)
	}
	if got := get("category=linear&limit=2"); got.Code != "10001" {
		t.Fatalf("neither symbol nor settleCoin: %+v", got)
	}
	// With symbol= a flat symbol still has its row.
	if got := get("category=linear&symbol=ETHUSDT"); got.Code != "0" || !strings.Contains(string(got.Data), `"positionIdx":0`) {
		t.Fatalf("flat symbol %+v", got)
	}
}

func TestLimits(t *testing.T) {
	s := New(WithIPLimit(6), WithUIDLimit("/v5/account/info", 2))
	defer s.Close()
	s.AddKey(FullKey("k", "s"))
	now := time.Now()
	s.SetClockOffset(now.Truncate(5 * time.Second).Add(5*time.Second + 5*time.Millisecond).Sub(now))
	var got []fakex.Reply
	for range 3 {
		got = append(got, send(t, s, "GET", "/v5/account/info", "", "", signed("k", "s", s.Now().UnixMilli(), "")))
	}
	for i, want := range []struct {
		code          int
		limit, status string
		resetAfterNow bool
	}{{0, "2", "1", false}, {0, "2", "0", false}, {10006, "2", "0", true}} {
		g := got[i]
		reset, _ := strconv.ParseInt(g.Header.Get("X-Bapi-Limit-Reset-Timestamp"), 10, 64)
		if g.Code != strconv.Itoa(want.code) || g.Header.Get("X-Bapi-Limit") != want.limit || g.Header.Get("X-Bapi-Limit-Status") != want.status ||
			(reset > s.Now().UnixMilli()) != want.resetAfterNow {
			t.Fatalf("call %d: %+v headers %v", i, g, g.Header)
		}
	}
	// Three more requests reach the per-IP budget of six; the seventh is
	// refused and the address blocked for ten minutes.
	for range 3 {
		if g := send(t, s, "GET", "/v5/market/time", "", "", nil); g.Status != 200 {
			t.Fatalf("time %+v", g)
		}
	}
	if g := send(t, s, "GET", "/v5/market/time", "", "", nil); g.Status != 403 || g.Msg != "access too frequent\n" {
		t.Fatalf("over the IP budget: %+v", g)
	}
	s.SetClockOffset(time.Until(s.Now()) + 6*time.Second)
	if g := send(t, s, "GET", "/v5/market/time", "", "", nil); g.Status != 403 {
		t.Fatalf("next window, still blocked: %+v", g)
	}
	s.SetClockOffset(time.Until(s.Now()) + 10*time.Minute)
	if g := send(t, s, "GET", "/v5/market/time", "", "", nil); g.Status != 200 || s.Calls("/v5/market/time") != 6 {
		t.Fatalf("after the block: %+v, %d calls", g, s.Calls("/v5/market/time"))
	}
}

// TestWalletCoinFilter: coin= takes a comma list and answers those coins,
// a coin not held at zero; without it only the coins with a balance.
func TestWalletCoinFilter(t *testing.T) {
	s := vectorServer(t)
	s.Update(vKey, func(a *Account) {
		a.Coins = append(a.Coins, Coin{Coin: "BTC", WalletBalance: "0"}, Coin{Coin: "ETH", WalletBalance: "2"})
	})
	for query, want := range map[string]string{
		"accountType=UNIFIED":              "USDT,ETH",
		"accountType=UNIFIED&coin=BTC,ETH": "BTC,ETH",
		"accountType=UNIFIED&coin=SOL":     "SOL",
	} {
		got := send(t, s, "GET", "/v5/account/wallet-balance", query, "", signed(vKey, vSecret, vTime, query))
		var res struct {
			List []struct{ Coin []struct{ Coin string } }
		}
		if got.Code != "0" || json.Unmarshal(got.Data, &res) != nil || len(res.List) != 1 {
			t.Fatalf("%s: %+v", query, got)
		}
		var coins []string
		for _, co := range res.List[0].Coin {
			coins = append(coins, co.Coin)
		}
		if strings.Join(coins, ",") != want {
			t.Errorf("%s: coins %v, want %s", query, coins, want)
		}
	}
}
