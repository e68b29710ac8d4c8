package fake

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/globalautomation/gahost/sdk/fakex"
	"github.com/globalautomation/gahost/sdk/sign"
)

// The fake must accept the documented signature vectors byte for byte
// and reject a changed byte, independently
// of the connector's signing code.
const (
	vSecret = "22582BD0CFF14C41EDBF1AB98506286D"
	vTime   = "2020-12-08T09:08:57.715Z"
	vKey    = "vector-key"
	vPass   = "vector-pass"
	v4Body  = `{"instId":"BTC-USDT","tdMode":"cash","side":"buy","ordType":"limit","px":"2.15","sz":"2"}`
)

type req struct {
	method, target, body string
	header               map[string]string // "" values are left out
}

func signed(method, target, body, ts string) req {
	return req{method: method, target: target, body: body, header: map[string]string{
		"OK-ACCESS-KEY": vKey, "OK-ACCESS-PASSPHRASE": vPass, "OK-ACCESS-TIMESTAMP": ts,
		"OK-ACCESS-SIGN": sign.Base64(vSecret, ts+method+target+body), "Content-Type": "application/json",
	}}
}

func (r req) with(h, v string) req {
	c := map[string]string{}
	for k, x := range r.header {
		c[k] = x
	}
	c[h] = v
	r.header = c
	return r
}

// envelope is OKX's: code, msg and data.
var envelope = fakex.Envelope{Code: "code", Msg: "msg", Data: "data"}

func send(t *testing.T, s *Server, r req) fakex.Reply {
	t.Helper()
	return envelope.Send(t, r.method, s.URL()+r.target, "", r.body, r.header)
}

// newVectorFake puts the fake's clock just after the vectors' timestamp.
func newVectorFake(t *testing.T, k Key, skew time.Duration) *Server {
	t.Helper()
	s := New()
	t.Cleanup(s.Close)
	s.AddKey(k)
	s.Update(k.APIKey, func(a *Account) {
		a.Balances = []Balance{{Ccy: "USDT", Eq: "100", CashBal: "100", AvailBal: "100", AvailEq: "100", FrozenBal: "0", Upl: "0"}}
	})
	at, _ := time.Parse(time.RFC3339Nano, vTime)
	s.SetClockOffset(time.Until(at) + skew)
	return s
}

func vectorKey() Key { return Key{APIKey: vKey, Secret: vSecret, Passphrase: vPass, Trade: true} }

func TestVerifiesTheVectors(t *testing.T) {
	s := newVectorFake(t, vectorKey(), 100*time.Millisecond)
	v1 := signed("GET", "/api/v5/account/balance?ccy=BTC", "", vTime)
	envelope.Run(t, s.URL(), []fakex.Case{
		check("vector 1", v1, 200, "0"),
		check("vector 1's literal signature", v1.with("OK-ACCESS-SIGN", "HiZhvSfMtWJA3uUIVXV3a/bSXNPCWvYFXoGCVS8V4zY="), 200, "0"),
		check("vector 2", signed("GET", "/api/v5/account/balance", "", vTime).with("OK-ACCESS-SIGN", "AkD5YszBhggtIyjDlmTy/9PpNVntel+1Lff8wh0qpQw="), 200, "0"),
		check("vector 3", signed("GET", "/api/v5/account/positions?instType=SWAP", "", vTime).with("OK-ACCESS-SIGN", "2To1co8bnLeUL96pQpWm6LD0VOl6aRBZxckSFPo+Dlg="), 200, "0"),
		check("vector 4", signed("POST", "/api/v5/trade/order", v4Body, vTime).with("OK-ACCESS-SIGN", "iwrdSpN7pm4G4u8+fswZUyH6mOM48+sBF6WvKpj4Dvk="), 200, "0"),
		check("vector 1's signature on another query", v1.with("OK-ACCESS-SIGN", "HiZhvSfMtWJA3uUIVXV3a/bSXNPCWvYFXoGCVS8V4zY=").retarget("/api/v5/account/balance?ccy=ETH"), 401, "50113"),
		check("one body byte changed", signed("POST", "/api/v5/trade/order", v4Body, vTime).with("OK-ACCESS-SIGN", "iwrdSpN7pm4G4u8+fswZUyH6mOM48+sBF6WvKpj4Dvk=").rebody(strings.Replace(v4Body, `"2.15"`, `"2.16"`, 1)), 401, "50113"),
		// the raw query as sent is what counts; ccxt encodes commas,
		// python-okx does not.
		check("encoded comma signed as sent", signed("GET", "/api/v5/account/balance?ccy=BTC%2CETH", "", vTime), 200, "0"),
		check("raw comma signed as sent", signed("GET", "/api/v5/account/balance?ccy=BTC,ETH", "", vTime), 200, "0"),
		check("signed raw, sent encoded", signed("GET", "/api/v5/account/balance?ccy=BTC,ETH", "", vTime).retarget("/api/v5/account/balance?ccy=BTC%2CETH"), 401, "50113"),
		check("no Content-Type on a GET is fine", v1.with("Content-Type", ""), 200, "0"),
		check("demo header 0 is live", v1.with("x-simulated-trading", "0"), 200, "0"),
	})
	orders := s.Orders(vKey)
	if len(orders) != 1 || orders[0].Body != v4Body || orders[0].State != "live" || orders[0].Px != "2.15" {
		t.Fatalf("orders %+v", orders)
	}
}

// check is a row of a table run with envelope.Run: r and the status and
// code it must be answered with.
func check(name string, r req, status int, code string) fakex.Case {
	return fakex.Case{Name: name, Method: r.method, Path: r.target, Body: r.body, Header: r.header, Status: status, Code: code}
}

func (r req) retarget(target string) req { r.target = target; return r }
func (r req) rebody(body string) req     { r.body = body; return r }

// TestAuthChecks covers every auth fakex.Reply OKX documents, in the order OKX checks them
// where a request has several faults.
func TestAuthChecks(t *testing.T) {
	ok := signed("GET", "/api/v5/account/config", "", vTime)
	tests := []struct {
		name   string
		key    Key
		skew   time.Duration // the fake's clock minus the request's timestamp
		r      req
		status int
		code   string
	}{
		{"good", vectorKey(), 0, ok, 200, "0"},
		{"no key", vectorKey(), 0, ok.with("OK-ACCESS-KEY", ""), 401, "50103"},
		{"no passphrase", vectorKey(), 0, ok.with("OK-ACCESS-PASSPHRASE", ""), 401, "50104"},
		{"no signature", vectorKey(), 0, ok.with("OK-ACCESS-SIGN", ""), 401, "50106"},
		{"no timestamp", vectorKey(), 0, ok.with("OK-ACCESS-TIMESTAMP", ""), 401, "50107"},
		{"unknown key", vectorKey(), 0, ok.with("OK-ACCESS-KEY", "other"), 401, "50111"},
		{"unknown key wins over a stale timestamp", vectorKey(), time.Hour, ok.with("OK-ACCESS-KEY", "other"), 401, "50111"},
		{"two fractional digits", vectorKey(), 0, signed("GET", "/api/v5/account/config", "", "2020-12-08T09:08:57.71Z"), 401, "50112"},
		{"no fraction", vectorKey(), 0, signed("GET", "/api/v5/account/config", "", "2020-12-08T09:08:57Z"), 401, "50112"},
		{"a zone offset", vectorKey(), 0, signed("GET", "/api/v5/account/config", "", "2020-12-08T10:08:57.715+01:00"), 401, "50112"},
		{"unix milliseconds", vectorKey(), 0, signed("GET", "/api/v5/account/config", "", "1607418537715"), 401, "50112"},
		{"29 s old", vectorKey(), 29 * time.Second, ok, 200, "0"},
		{"31 s old", vectorKey(), 31 * time.Second, ok, 401, "50102"},
		{"31 s ahead", vectorKey(), -31 * time.Second, ok, 401, "50102"},
		{"demo header on a live key", vectorKey(), 0, ok.with("x-simulated-trading", "1"), 401, "50101"},
		{"demo key without the header", Key{APIKey: vKey, Secret: vSecret, Passphrase: vPass, Demo: true}, 0, ok, 401, "50101"},
		{"demo key with the header", Key{APIKey: vKey, Secret: vSecret, Passphrase: vPass, Demo: true}, 0, ok.with("x-simulated-trading", "1"), 200, "0"},
		{"wrong passphrase", vectorKey(), 0, ok.with("OK-ACCESS-PASSPHRASE", "nope"), 401, "50105"},
		{"wrong passphrase wins over a bad signature", vectorKey(), 0, ok.with("OK-ACCESS-PASSPHRASE", "nope").with("OK-ACCESS-SIGN", "AAAA"), 401, "50105"},
		{"IP not whitelisted", Key{APIKey: vKey, Secret: vSecret, Passphrase: vPass, IPs: []string{"203.0.113.9"}}, 0, ok, 401, "50110"},
		{"loopback whitelisted", Key{APIKey: vKey, Secret: vSecret, Passphrase: vPass, IPs: []string{"203.0.113.9", "127.0.0.1"}}, 0, ok, 200, "0"},
		{"bad signature", vectorKey(), 0, ok.with("OK-ACCESS-SIGN", sign.Base64("another-secret", vTime+"GET/api/v5/account/config")), 401, "50113"},
		{"method signed in lower case", vectorKey(), 0, ok.with("OK-ACCESS-SIGN", sign.Base64(vSecret, vTime+"get/api/v5/account/config")), 401, "50113"},
		{"read-only key placing an order", Key{APIKey: vKey, Secret: vSecret, Passphrase: vPass}, 0, signed("POST", "/api/v5/trade/order", v4Body, vTime), 200, "50120"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newVectorFake(t, tt.key, tt.skew)
			got := send(t, s, tt.r)
			if got.Status != tt.status || got.Code != tt.code {
				t.Fatalf("got %d %s %q, want %d %s", got.Status, got.Code, got.Msg, tt.status, tt.code)
			}
			if tt.status == 401 && got.Data != nil {
				t.Errorf("401 body carries data %s; OKX's captured auth errors have none", got.Data)
			}
		})
	}
}

func TestRequestChecks(t *testing.T) {
	fresh := func(t *testing.T) string { return newVectorFake(t, vectorKey(), 0).URL() }
	envelope.RunEach(t, fresh, []fakex.Case{
		check("GET on a POST route", signed("GET", "/api/v5/trade/order", "", vTime), 405, "50115"),
		check("empty POST body", signed("POST", "/api/v5/trade/order", "", vTime), 400, "50000"),
		check("form content type", signed("POST", "/api/v5/trade/order", v4Body, vTime).with("Content-Type", "application/x-www-form-urlencoded"), 400, "50006"),
		check("broken JSON", signed("POST", "/api/v5/trade/order", `{"instId":`, vTime), 400, "50002"),
		check("a batch array on the single-order route", signed("POST", "/api/v5/trade/order", "["+v4Body+"]", vTime), 400, "50002"),
		check("sz as a JSON number", signed("POST", "/api/v5/trade/order", `{"instId":"BTC-USDT","tdMode":"cash","side":"buy","ordType":"limit","px":"2.15","sz":2}`, vTime), 400, "51000"),
		check("sz in exponent notation", signed("POST", "/api/v5/trade/order", `{"instId":"BTC-USDT","tdMode":"cash","side":"buy","ordType":"limit","px":"2.15","sz":"2e0"}`, vTime), 400, "51000"),
		check("reduceOnly as a string", signed("POST", "/api/v5/trade/order", `{"instId":"BTC-USDT-SWAP","tdMode":"cross","side":"sell","ordType":"market","sz":"1","reduceOnly":"true"}`, vTime), 400, "51000"),
		check("missing tdMode", signed("POST", "/api/v5/trade/order", `{"instId":"BTC-USDT","side":"buy","ordType":"market","sz":"1"}`, vTime), 400, "50014"),
		check("limit without px", signed("POST", "/api/v5/trade/order", `{"instId":"BTC-USDT","tdMode":"cash","side":"buy","ordType":"limit","sz":"1"}`, vTime), 400, "50014"),
		check("unknown instrument", signed("POST", "/api/v5/trade/order", `{"instId":"NOPE-USDT","tdMode":"cash","side":"buy","ordType":"market","sz":"1"}`, vTime), 200, "51001"),
		check("client id with a hyphen", signed("POST", "/api/v5/trade/order", `{"instId":"BTC-USDT","tdMode":"cash","side":"buy","ordType":"limit","px":"2.15","sz":"2","clOrdId":"a-b"}`, vTime), 400, "51000"),
		check("spot tdMode cross in Futures mode", signed("POST", "/api/v5/trade/order", `{"instId":"BTC-USDT","tdMode":"cross","side":"buy","ordType":"limit","px":"2.15","sz":"2"}`, vTime), 400, "51000"),
		check("posSide in net mode", signed("POST", "/api/v5/trade/order", `{"instId":"BTC-USDT-SWAP","tdMode":"cross","side":"buy","ordType":"limit","px":"1","sz":"1","posSide":"long"}`, vTime), 400, "51000"),
		check("swap size off the lot", signed("POST", "/api/v5/trade/order", `{"instId":"BTC-USDT-SWAP","tdMode":"cross","side":"buy","ordType":"limit","px":"1","sz":"1.005"}`, vTime), 200, "1"),
		check("instruments without instType", req{method: "GET", target: "/api/v5/public/instruments"}, 400, "50014"),
		check("unknown path", req{method: "GET", target: "/api/v5/nope"}, 404, "404"),
	})
}

func TestOrderItemAnswers(t *testing.T) {
	s := newVectorFake(t, vectorKey(), 0)
	got := send(t, s, signed("POST", "/api/v5/trade/order", `{"instId":"BTC-USDT-SWAP","tdMode":"cross","side":"buy","ordType":"limit","px":"1","sz":"1.005"}`, vTime))
	var items []map[string]string
	if err := json.Unmarshal(got.Data, &items); err != nil || len(items) != 1 || items[0]["sCode"] != "51121" || items[0]["ordId"] != "" {
		t.Fatalf("items %s (%v)", got.Data, err)
	}
	if got.Msg != "All operations failed" {
		t.Fatalf("msg %q", got.Msg)
	}
	got = send(t, s, signed("POST", "/api/v5/trade/order", v4Body, vTime))
	if err := json.Unmarshal(got.Data, &items); err != nil || items[0]["sCode"] != "0" || items[0]["ordId"] == "" {
		t.Fatalf("items %s", got.Data)
	}
	id := items[0]["ordId"]
	cancel := `{"instId":"BTC-USDT","ordId":"` + id + `"}`
	for i, want := range []string{"0", "1"} {
		got = send(t, s, signed("POST", "/api/v5/trade/cancel-order", cancel, vTime))
		if got.Code != want {
			t.Fatalf("cancel %d: code %s %s", i, got.Code, got.Data)
		}
	}
	if err := json.Unmarshal(got.Data, &items); err != nil || items[0]["sCode"] != "51400" {
		t.Fatalf("second cancel %s", got.Data)
	}
}

// TestRateLimits: private routes count per user, public ones per IP, in
// two-second windows.
func TestRateLimits(t *testing.T) {
	s := New()
	defer s.Close()
	s.AddKey(vectorKey())
	now := time.Now()
	s.SetClockOffset(now.Truncate(2 * time.Second).Add(2*time.Second + 100*time.Millisecond).Sub(now))
	ts := func() string { return s.Now().UTC().Format("2006-01-02T15:04:05.000Z") }
	var codes []string
	for range 6 {
		codes = append(codes, send(t, s, signed("GET", "/api/v5/account/config", "", ts())).Code)
	}
	if strings.Join(codes, ",") != "0,0,0,0,0,50011" {
		t.Fatalf("config codes %v, want five then 50011", codes)
	}
	last := send(t, s, signed("GET", "/api/v5/account/config", "", ts()))
	if last.Status != 429 || last.Msg != "Too Many Requests" {
		t.Fatalf("over the limit: %+v", last)
	}
	codes = nil
	for range 11 {
		codes = append(codes, send(t, s, req{method: "GET", target: "/api/v5/public/time"}).Code)
	}
	if codes[9] != "0" || codes[10] != "50011" {
		t.Fatalf("time codes %v", codes)
	}
	// Instruments count per instType.
	for _, typ := range []string{"SPOT", "SWAP"} {
		if got := send(t, s, req{method: "GET", target: "/api/v5/public/instruments?instType=" + typ}); got.Code != "0" {
			t.Fatalf("%s: %+v", typ, got)
		}
	}
}

// TestReadFilters: the balance's ccy and the positions' instId take a
// comma list and keep the rows it names; without them every row comes.
func TestReadFilters(t *testing.T) {
	s := newVectorFake(t, vectorKey(), 0)
	s.Update(vKey, func(a *Account) {
		a.Balances = append(a.Balances, Balance{Ccy: "BTC", Eq: "1"}, Balance{Ccy: "ETH", Eq: "2"})
		a.Positions = []Position{{InstID: "BTC-USDT-SWAP", Pos: "1"}, {InstID: "ETH-USDT-SWAP", Pos: "2"}, {InstID: "BTC-USD-SWAP", Pos: "3"}}
	})
	read := func(target string, rows any) {
		t.Helper()
		got := send(t, s, signed("GET", target, "", vTime))
		if got.Code != "0" || json.Unmarshal(got.Data, rows) != nil {
			t.Fatalf("%s: %+v", target, got)
		}
	}
	for target, want := range map[string]int{
		"/api/v5/account/balance":             3,
		"/api/v5/account/balance?ccy=BTC,ETH": 2,
		"/api/v5/account/balance?ccy=ETH":     1,
	} {
		var acct []struct{ Details []map[string]string }
		if read(target, &acct); len(acct) != 1 || len(acct[0].Details) != want {
			t.Errorf("%s: %+v, want %d currencies", target, acct, want)
		}
	}
	for target, want := range map[string]int{
		"/api/v5/account/positions":                                   3,
		"/api/v5/account/positions?instId=BTC-USDT-SWAP,BTC-USD-SWAP": 2,
		"/api/v5/account/positions?instId=ETH-USDT-SWAP":              1,
	} {
		var rows []map[string]string
		if read(target, &rows); len(rows) != want {
			t.Errorf("%s: %d rows, want %d", target, len(rows), want)
		}
	}
}
