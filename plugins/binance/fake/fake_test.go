package fake

import (
	"strings"
	"testing"
	"time"

	"github.com/globalautomation/gahost/sdk/fakex"
)

// The fake must accept the official signature vectors byte for byte
// and reject a changed byte, independently
// of the connector's own signing code.
const (
	spotKey    = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A"
	spotSecret = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"
	vectorTime = 1499827319559
)

// envelope is Binance's error answer; a success has no code.
var envelope = fakex.Envelope{Code: "code", Msg: "msg"}

// headers are a request's headers with key, a form body declared as such.
func headers(key, body string) map[string]string {
	hdr := map[string]string{"X-MBX-APIKEY": key}
	if body != "" {
		hdr["Content-Type"] = "application/x-www-form-urlencoded"
	}
	return hdr
}

func send(t *testing.T, s *Server, method, path, query, body, key string) fakex.Reply {
	t.Helper()
	return envelope.Send(t, method, s.URL()+path, query, body, headers(key, body))
}

func TestVerifiesOfficialVectors(t *testing.T) {
	s := New()
	defer s.Close()
	s.AddKey(FullKey(spotKey, spotSecret))
	s.ListSpot("LTCBTC", Market{Base: "LTC", Quote: "BTC", Price: "0.1"})
	s.Update(spotKey, func(a *Account) { a.Spot = []Balance{{Asset: "BTC", Free: "10", Locked: "0"}} })
	// Put the fake's clock at the vectors' timestamp.
	s.SetClockOffset(time.Until(time.UnixMilli(vectorTime)) + 100*time.Millisecond)

	const s1 = "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559"
	const sig = "&signature=c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71"
	order := func(name, query, body, key string, status int, code string) fakex.Case {
		return fakex.Case{Name: name, Method: "POST", Path: "/api/v3/order", Query: query, Body: body, Header: headers(key, body), Status: status, Code: code}
	}
	envelope.Run(t, s.URL(), []fakex.Case{
		order("S1 in the query", s1+sig, "", spotKey, 200, ""),
		order("S1 in the body", "", s1+sig, spotKey, 200, ""),
		order("S1 upper-case hex", s1+"&signature=C8DB56825AE71D6D79447849E617115F4A920FA2ACDCAB2B053C4B2838BD6B71", "", spotKey, 200, ""),
		order("S3 split between query and body", "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC",
			"quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559&signature=0fd168b8ddb4876a0358a8d14d0c9f3da0e9b20c5d52b2a00fcf7d1c602f9a77", spotKey, 200, ""),
		order("one byte changed", strings.Replace(s1, "price=0.1", "price=0.2", 1)+sig, "", spotKey, 400, "-1022"),
		order("no signature", s1, "", spotKey, 400, "-1102"),
		order("no key header", s1+sig, "", "", 401, "-2014"),
		order("unknown key", s1+sig, "", "someone-else", 401, "-2015"),
	})
	if n := len(s.Orders(spotKey)); n != 4 {
		t.Fatalf("orders = %d, want 4", n)
	}
}

func TestTimestampWindow(t *testing.T) {
	s := New()
	defer s.Close()
	s.AddKey(FullKey(spotKey, spotSecret))
	const payload = "recvWindow=5000&timestamp=1499827319559"
	query := payload + "&signature=" + hexSig(spotSecret, payload)
	tests := []struct {
		name   string
		offset time.Duration // the fake's clock minus the request's timestamp
		code   string
		msg    string
	}{
		{"on time", 100 * time.Millisecond, "", ""},
		{"at the edge of recvWindow", 4900 * time.Millisecond, "", ""},
		{"too old", 6 * time.Second, "-1021", "outside of the recvWindow"},
		{"ahead by more than 1s", -1500 * time.Millisecond, "-1021", "ahead of the server's time"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s.SetClockOffset(time.Until(time.UnixMilli(vectorTime)) + tt.offset)
			got := send(t, s, "GET", "/api/v3/account", query, "", spotKey)
			if got.Code != tt.code || !strings.Contains(got.Msg, tt.msg) {
				t.Fatalf("got %+v, want code %q msg %q", got, tt.code, tt.msg)
			}
		})
	}
}

func TestWeightLimitAndBans(t *testing.T) {
	s := New(WithWeightLimits(45, 2400))
	defer s.Close()
	s.AddKey(FullKey(spotKey, spotSecret))
	// Start the fake's clock just past a minute boundary so the calls
	// below share one weight window.
	now := time.Now()
	s.SetClockOffset(now.Truncate(time.Minute).Add(time.Minute + time.Second).Sub(now))
	// 45 weight: two account reads (20 each) fit, the third is over, and
	// going on after the 429 earns a ban.
	var got []fakex.Reply
	for range 4 {
		q := "timestamp=" + itoa(s.Now().UnixMilli())
		got = append(got, send(t, s, "GET", "/api/v3/account", q+"&signature="+hexSig(spotSecret, q), "", spotKey))
	}
	want := []int{200, 200, 429, 418}
	for i, g := range got {
		if g.Status != want[i] {
			t.Fatalf("call %d: status %d (%+v), want %d", i, g.Status, g, want[i])
		}
	}
	if got[1].Header.Get("X-MBX-USED-WEIGHT-1M") != "40" {
		t.Fatalf("used weight header = %q", got[1].Header.Get("X-MBX-USED-WEIGHT-1M"))
	}
	if got[2].Code != "-1003" || got[2].Header.Get("Retry-After") == "" || got[2].Header.Get("X-MBX-USED-WEIGHT-1M") != "60" {
		t.Fatalf("429 answer = %+v", got[2])
	}
	if !strings.Contains(got[3].Msg, "IP banned until") || got[3].Header.Get("Retry-After") != "120" {
		t.Fatalf("418 answer = %+v", got[3])
	}
	if s.Weight("/api/v3/account") != 80 || s.Calls("/api/v3/account") != 4 {
		t.Fatalf("weight %d calls %d", s.Weight("/api/v3/account"), s.Calls("/api/v3/account"))
	}
	// The futures host keeps its own budget.
	if g := send(t, s, "GET", "/fapi/v1/time", "", "", ""); g.Status != 200 {
		t.Fatalf("futures time = %+v", g)
	}
	// The ban ends, and a second offence bans for twice as long.
	s.SetClockOffset(s.ClockOffsetForTest() + 3*time.Minute)
	for i, wantStatus := range []int{200, 200, 429, 418} {
		q := "timestamp=" + itoa(s.Now().UnixMilli())
		g := send(t, s, "GET", "/api/v3/account", q+"&signature="+hexSig(spotSecret, q), "", spotKey)
		if g.Status != wantStatus {
			t.Fatalf("after ban, call %d: %+v, want %d", i, g, wantStatus)
		}
		if i == 3 && g.Header.Get("Retry-After") != "240" {
			t.Fatalf("second ban Retry-After = %q, want 240", g.Header.Get("Retry-After"))
		}
	}
}

// TestMandatoryOrderParams: an order without symbol, side or type, or a
// LIMIT order without timeInForce, quantity or price, is refused with
// -1102 naming the first one missing.
func TestMandatoryOrderParams(t *testing.T) {
	s := New()
	defer s.Close()
	s.AddKey(FullKey(spotKey, spotSecret))
	for params, missing := range map[string]string{
		"symbol=BTCUSDT&type=MARKET&quantity=1":                         "side",
		"side=BUY&type=MARKET&quantity=1":                               "symbol",
		"symbol=BTCUSDT&side=BUY&type=LIMIT&quantity=1&price=1":         "timeInForce",
		"symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1": "price",
	} {
		q := params + "&timestamp=" + itoa(s.Now().UnixMilli())
		got := send(t, s, "POST", "/api/v3/order", q+"&signature="+hexSig(spotSecret, q), "", spotKey)
		if want := "Mandatory parameter '" + missing + "'"; got.Status != 400 || got.Code != "-1102" || !strings.Contains(got.Msg, want) {
			t.Errorf("%s: got %d %s %q, want 400 -1102 %q", params, got.Status, got.Code, got.Msg, want)
		}
	}
}
