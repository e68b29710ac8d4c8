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
// and refuse a changed byte, independently
// of the connector's own signing code.
const (
	vectorSecret = "TESTSECRET789"
	vectorKey    = "bg_vector_key"
	vectorPass   = "vector-pass"
	vectorTime   = 1700000000000
	vectorBody   = `{"symbol":"BTCUSDT","side":"buy","orderType":"limit","force":"gtc","price":"30000","size":"0.001","clientOid":"t-1"}`
)

type request struct {
	method, path, query, body string
	header                    map[string]string // set as given, names not canonicalised
}

// envelope is Bitget's: code, msg and data.
var envelope = fakex.Envelope{Code: "code", Msg: "msg", Data: "data"}

func send(t *testing.T, s *Server, r request) fakex.Reply {
	t.Helper()
	got := envelope.Send(t, r.method, s.URL()+r.path, r.query, r.body, r.header)
	if got.Code == "" {
		t.Fatalf("answer %q is not Bitget's envelope", got.Msg)
	}
	return got
}

// signed returns the headers of a request signed with the vector key at ts.
func signed(ts int64, method, path, query, body string) map[string]string {
	q := ""
	if query != "" {
		q = "?" + query
	}
	tsText := strconv.FormatInt(ts, 10)
	return map[string]string{
		"ACCESS-KEY": vectorKey, "ACCESS-SIGN": sign.Base64(vectorSecret, tsText+method+path+q+body),
		"ACCESS-TIMESTAMP": tsText, "ACCESS-PASSPHRASE": vectorPass, "Content-Type": "application/json",
	}
}

func newVectorFake(t *testing.T, opts ...Option) *Server {
	t.Helper()
	s := New(opts...)
	t.Cleanup(s.Close)
	s.AddKey(FullKey(vectorKey, vectorSecret, vectorPass))
	s.Update(vectorKey, func(a *Account) { a.Spot = []Balance{{Coin: "USDT", Available: "100"}} })
	// Put the fake's clock at the vectors' timestamp.
	s.SetClockOffset(time.Until(time.UnixMilli(vectorTime)) + 100*time.Millisecond)
	return s
}

func TestVerifiesPageVectors(t *testing.T) {
	s := newVectorFake(t)
	hdr := func(sig string, extra map[string]string) map[string]string {
		h := map[string]string{"ACCESS-KEY": vectorKey, "ACCESS-SIGN": sig, "ACCESS-TIMESTAMP": "1700000000000",
			"ACCESS-PASSPHRASE": vectorPass, "Content-Type": "application/json"}
		for k, v := range extra {
			h[k] = v
		}
		return h
	}
	// vector is a row of the table: a request and the answer it must get.
	vector := func(name string, r request, status int, code string) fakex.Case {
		return fakex.Case{Name: name, Method: r.method, Path: r.path, Query: r.query, Body: r.body, Header: r.header, Status: status, Code: code}
	}
	envelope.Run(t, s.URL(), []fakex.Case{
		vector("GET with query", request{"GET", PathFuturesAccounts, "productType=USDT-FUTURES", "", hdr("HzY1+vEvxGNyM/9RRLH6hbrB2wuTzTP1cEAlPyJqSrw=", nil)}, 200, "00000"),
		vector("POST", request{"POST", PathSpotPlace, "", vectorBody, hdr("VgG5eqQPk32Cd0vOCeethEvGiMQSjQAJcZSqvbPQp/Y=", nil)}, 200, "00000"),
		vector("GET, no query", request{"GET", PathAccountInfo, "", "", hdr("rmUh8UtnuXR7cN3YX9GtwgetuMDEtRJxO4HyEwaKNMs=", nil)}, 200, "00000"),
		vector("header names in lower case", request{"GET", PathFuturesAccounts, "productType=USDT-FUTURES", "", map[string]string{
			"access-key": vectorKey, "access-sign": "HzY1+vEvxGNyM/9RRLH6hbrB2wuTzTP1cEAlPyJqSrw=", "access-timestamp": "1700000000000", "access-passphrase": vectorPass}}, 200, "00000"),
		vector("one body byte changed", request{"POST", PathSpotPlace, "", strings.Replace(vectorBody, "30000", "30001", 1), hdr("VgG5eqQPk32Cd0vOCeethEvGiMQSjQAJcZSqvbPQp/Y=", nil)}, 400, "40009"),
		vector("query changed", request{"GET", PathFuturesAccounts, "productType=usdt-futures", "", hdr("HzY1+vEvxGNyM/9RRLH6hbrB2wuTzTP1cEAlPyJqSrw=", nil)}, 400, "40009"),
		vector("signature of another request", request{"GET", PathSpotAssets, "", "", hdr("rmUh8UtnuXR7cN3YX9GtwgetuMDEtRJxO4HyEwaKNMs=", nil)}, 400, "40009"),
		vector("signature without padding", request{"GET", PathPositions, "productType=USDT-FUTURES", "", hdr("HzY1+vEvxGNyM/9RRLH6hbrB2wuTzTP1cEAlPyJqSrw", nil)}, 400, "40009"),
	})
	orders := s.Orders(vectorKey)
	if len(orders) != 1 || orders[0].Body != vectorBody || orders[0].ClientOid != "t-1" || orders[0].Status != "live" {
		t.Fatalf("orders %+v", orders)
	}
}

func TestAuthenticationChecks(t *testing.T) {
	now := int64(vectorTime)
	const path, query = PathSpotAssets, ""
	good := func() map[string]string { return signed(now, "GET", path, query, "") }
	without := func(name string) map[string]string { h := good(); delete(h, name); return h }
	with := func(name, v string) map[string]string { h := good(); h[name] = v; return h }
	at := func(ts int64) map[string]string { return signed(ts, "GET", path, query, "") }
	tests := []struct {
		name   string
		key    *Key
		header map[string]string
		code   string
	}{
		{"good", nil, good(), "00000"},
		{"no key", nil, without("ACCESS-KEY"), "40001"},
		{"no signature", nil, without("ACCESS-SIGN"), "40002"},
		{"no timestamp", nil, without("ACCESS-TIMESTAMP"), "40005"},
		{"timestamp in seconds is stale", nil, at(now / 1000), "40008"},
		{"timestamp not a number", nil, with("ACCESS-TIMESTAMP", "17e11"), "40005"},
		{"no passphrase", nil, without("ACCESS-PASSPHRASE"), "40011"},
		{"unknown key", nil, with("ACCESS-KEY", "someone-else"), "40006"},
		{"wrong passphrase", nil, with("ACCESS-PASSPHRASE", "guess"), "40012"},
		{"29 s old", nil, at(now - 29_000), "00000"},
		{"31 s old", nil, at(now - 31_000), "40008"},
		{"31 s ahead", nil, at(now + 31_000), "40008"},
		{"demo header with a live key", nil, with("paptrading", "1"), "40037"},
		{"demo key without the header", &Key{Demo: true}, good(), "40037"},
		{"demo key with the header", &Key{Demo: true}, with("paptrading", "1"), "00000"},
		{"IP not whitelisted", &Key{IPs: "203.0.113.9,198.51.100.1"}, good(), "40018"},
		{"IP on the whitelist", &Key{IPs: "203.0.113.9,127.0.0.1"}, good(), "00000"},
		{"unified trading account", &Key{UTA: true}, good(), "40085"},
		{"no spot permission", &Key{Authorities: []string{"coor", "coow"}}, good(), "40014"},
		{"the simplified readonly code", &Key{Authorities: []string{"readonly"}}, good(), "00000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newVectorFake(t)
			if tt.key != nil {
				k := FullKey(vectorKey, vectorSecret, vectorPass)
				k.Demo, k.UTA = tt.key.Demo, tt.key.UTA
				if tt.key.IPs != "" {
					k.IPs = tt.key.IPs
				}
				if tt.key.Authorities != nil {
					k.Authorities = tt.key.Authorities
				}
				s.AddKey(k)
			}
			got := send(t, s, request{"GET", path, query, "", tt.header})
			wantStatus := 400
			if tt.code == "00000" {
				wantStatus = 200
			}
			if got.Status != wantStatus || got.Code != tt.code {
				t.Fatalf("got %d %s %q, want %d %s", got.Status, got.Code, got.Msg, wantStatus, tt.code)
			}
		})
	}
}

// TestSignsDecodedQuery: Bitget verifies the un-encoded query.
func TestSignsDecodedQuery(t *testing.T) {
	s := newVectorFake(t)
	const enc = "marginCoin=USDT&productType=USDT-FUTURES&symbol=%E9%BE%99%E8%99%BEUSDT"
	raw := signed(vectorTime, "GET", PathFuturesAccount, "marginCoin=USDT&productType=USDT-FUTURES&symbol=龙虾USDT", "")
	got := send(t, s, request{"GET", PathFuturesAccount, enc, "", raw})
	if got.Code != "40034" {
		t.Fatalf("signed raw: %s %q, want the signature accepted and the symbol unknown (40034)", got.Code, got.Msg)
	}
	got = send(t, s, request{"GET", PathFuturesAccount, enc, "", signed(vectorTime, "GET", PathFuturesAccount, enc, "")})
	if got.Code != "40009" {
		t.Fatalf("signed encoded: %s %q, want 40009", got.Code, got.Msg)
	}
}

func TestPostChecks(t *testing.T) {
	const futuresSmall = `{"symbol":"BTCUSDT","productType":"USDT-FUTURES","marginMode":"crossed","marginCoin":"USDT","size":"0.00001","side":"buy","orderType":"market"}`
	post := func(body string, ct string) request {
		h := signed(vectorTime, "POST", PathSpotPlace, "", body)
		if ct == "" {
			delete(h, "Content-Type")
		} else {
			h["Content-Type"] = ct
		}
		return request{"POST", PathSpotPlace, "", body, h}
	}
	tests := []struct {
		name string
		req  request
		code string
	}{
		{"no content type", post(vectorBody, ""), "40007"},
		{"form content type", post(vectorBody, "application/x-www-form-urlencoded"), "40007"},
		{"not JSON", post("symbol=BTCUSDT", "application/json"), "40017"},
		{"a number where a string belongs", post(`{"symbol":"BTCUSDT","side":"buy","orderType":"limit","force":"gtc","price":30000,"size":"0.001"}`, "application/json"), "40020"},
		{"no size", post(`{"symbol":"BTCUSDT","side":"buy","orderType":"market","force":"gtc"}`, "application/json"), "40019"},
		{"limit without force", post(`{"symbol":"BTCUSDT","side":"buy","orderType":"limit","price":"1","size":"10"}`, "application/json"), "40019"},
		{"unknown symbol", post(`{"symbol":"NOPEUSDT","side":"buy","orderType":"market","force":"gtc","size":"10"}`, "application/json"), "40034"},
		{"futures order below the minimum value", request{"POST", PathFuturesPlace, "", futuresSmall, signed(vectorTime, "POST", PathFuturesPlace, "", futuresSmall)}, "45110"},
		{"size in exponent form", post(`{"symbol":"BTCUSDT","side":"sell","orderType":"market","force":"gtc","size":"1e-3"}`, "application/json"), "40020"},
		{"client id too long", post(`{"symbol":"BTCUSDT","side":"buy","orderType":"market","force":"gtc","size":"10","clientOid":"`+strings.Repeat("x", 51)+`"}`, "application/json"), "40020"},
		{"the vector", post(vectorBody, "application/json; charset=utf-8"), "00000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newVectorFake(t)
			if got := send(t, s, tt.req); got.Code != tt.code {
				t.Fatalf("got %d %s %q, want %s", got.Status, got.Code, got.Msg, tt.code)
			}
		})
	}
}

// TestRateLimits: per-UID endpoint windows of one second with the
// remaining calls in the header, 429 with code 429 past them, and the
// public per-IP window.
func TestRateLimits(t *testing.T) {
	s := newVectorFake(t)
	// Move to the start of a second of the fake's clock, at the vectors'
	// millisecond: 1700000000000 is a whole second.
	s.SetClockOffset(time.Until(time.UnixMilli(vectorTime)) + 10*time.Millisecond)
	info := request{"GET", PathAccountInfo, "", "", signed(vectorTime, "GET", PathAccountInfo, "", "")}
	first, second := send(t, s, info), send(t, s, info)
	if first.Code != "00000" || first.Header.Get(HeaderRemaining) != "0" {
		t.Fatalf("first account info: %+v", first)
	}
	if second.Status != 429 || second.Code != "429" || second.Header.Get(HeaderRemaining) != "0" {
		t.Fatalf("second account info within the second: %+v", second)
	}
	assets := request{"GET", PathSpotAssets, "", "", signed(vectorTime, "GET", PathSpotAssets, "", "")}
	if got := send(t, s, assets); got.Code != "00000" || got.Header.Get(HeaderRemaining) != "9" {
		t.Fatalf("assets: %+v", got)
	}
	for i := range 20 {
		got := send(t, s, request{"GET", PathServerTime, "", "", nil})
		if got.Code != "00000" || got.Header.Get(HeaderRemaining) != strconv.Itoa(19-i) {
			t.Fatalf("time call %d: %+v", i, got)
		}
	}
	if got := send(t, s, request{"GET", PathServerTime, "", "", nil}); got.Status != 429 {
		t.Fatalf("21st time call: %+v", got)
	}
	if s.Calls(PathServerTime) != 21 {
		t.Fatalf("calls %d", s.Calls(PathServerTime))
	}
}

func TestServerTimeAndUnknownPath(t *testing.T) {
	s := New()
	defer s.Close()
	got := send(t, s, request{"GET", PathServerTime, "", "", nil})
	var data struct {
		ServerTime string `json:"serverTime"`
	}
	if err := json.Unmarshal(got.Data, &data); err != nil || got.Code != "00000" {
		t.Fatalf("time: %+v", got)
	}
	ms, err := strconv.ParseInt(data.ServerTime, 10, 64)
	if err != nil || time.Since(time.UnixMilli(ms)).Abs() > time.Minute {
		t.Fatalf("serverTime %q", data.ServerTime)
	}
	if got := send(t, s, request{"GET", "/api/v2/spot/nothing", "", "", nil}); got.Status != 404 || got.Code != "40404" {
		t.Fatalf("unknown path: %+v", got)
	}
}

// TestClientOidIdempotent: a client order id that names a live order
// answers that order again instead of placing another.
func TestClientOidIdempotent(t *testing.T) {
	s := newVectorFake(t)
	req := request{"POST", PathSpotPlace, "", vectorBody, signed(vectorTime, "POST", PathSpotPlace, "", vectorBody)}
	first, second := send(t, s, req), send(t, s, req)
	if first.Code != "00000" || string(first.Data) != string(second.Data) {
		t.Fatalf("answers %s and %s", first.Data, second.Data)
	}
	if n := len(s.Orders(vectorKey)); n != 1 {
		t.Fatalf("orders %d, want 1", n)
	}
	// The order froze its cost: 30000 × 0.001 USDT.
	a := s.Account(vectorKey)
	if a.Spot[0].Available != "70" || a.Spot[0].Frozen != "30" {
		t.Fatalf("USDT %+v", a.Spot[0])
	}
}
