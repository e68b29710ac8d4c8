package bybit

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/plugintest"
	"github.com/globalautomation/gahost/sdk/rest"
	"github.com/globalautomation/gahost/sdk/symbol"
	"github.com/shopspring/decimal"
)

// Computed vectors (made-up inputs,
// checked with openssl, Python and Go).
const (
	vectorSecret = "TESTSECRET456"
	vectorKey    = "TESTKEY123"
	vectorTime   = 1700000000000
	vectorBody   = `{"category":"linear","symbol":"BTCUSDT","side":"Buy","orderType":"Limit","qty":"0.001","price":"30000","timeInForce":"GTC","positionIdx":0}`
)

func TestSignatureVectors(t *testing.T) {
	tests := []struct {
		name, payload, want string
	}{
		{"GET", "accountType=UNIFIED&coin=USDT", "e264bb8a2fc8cf8c408f5705bbff66db77619a310ee67c6140a62a5f4f943ea6"},
		{"POST", vectorBody, "2b34bd811bccd2df932fa6fd10f6bbe56a13ab9f2fa5cb557d3f3699f25020e4"},
		{"GET, no query", "", "2598d3b3dddd228c234e9c7a6d15dc55b910247db20106a79318d392bd3c18bc"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Signature(vectorSecret, "1700000000000", vectorKey, "5000", tt.payload); got != tt.want {
				t.Fatalf("Signature = %s, want %s", got, tt.want)
			}
		})
	}
}

// TestPreSignOfficialExamples checks the concatenation against the strings
// of Bybit's own examples. Their signatures cannot be reproduced, as
// the docs do not give the secret; the strings are authoritative.
func TestPreSignOfficialExamples(t *testing.T) {
	tests := []struct{ ts, payload, want string }{
		{"1658384314791", "category=option&symbol=BTC-29JUL22-25000-C", "1658384314791XXXXXXXXXX5000category=option&symbol=BTC-29JUL22-25000-C"},
		{"1658385579423", `{"category": "option"}`, `1658385579423XXXXXXXXXX5000{"category": "option"}`},
	}
	for _, tt := range tests {
		if got := PreSign(tt.ts, "XXXXXXXXXX", "5000", tt.payload); got != tt.want {
			t.Errorf("PreSign = %s, want %s", got, tt.want)
		}
	}
}

// TestSignRequestHeaders signs as the client does and checks every header
// byte for byte, and that query and body go out exactly as signed.
func TestSignRequestHeaders(t *testing.T) {
	signed := func(name, method, query, body, sig string) plugintest.SignCase {
		return plugintest.SignCase{
			Name: name,
			Req: rest.Signing{Method: method, Path: "/x", Query: query, Body: []byte(body), Time: time.UnixMilli(vectorTime),
				Account: sdk.Account{APIKey: vectorKey, SecretKey: vectorSecret}},
			Header: map[string]string{
				"X-Bapi-Api-Key": vectorKey, "X-Bapi-Timestamp": "1700000000000", "X-Bapi-Recv-Window": "5000",
				"X-Bapi-Sign": sig, "X-Bapi-Sign-Type": "2",
			},
			Query: query, Signature: sig,
		}
	}
	plugintest.RunSigner(t, signRequest, []plugintest.SignCase{
		signed("GET signs the raw query", "GET", "accountType=UNIFIED&coin=USDT", "", "e264bb8a2fc8cf8c408f5705bbff66db77619a310ee67c6140a62a5f4f943ea6"),
		signed("POST signs the body", "POST", "", vectorBody, "2b34bd811bccd2df932fa6fd10f6bbe56a13ab9f2fa5cb557d3f3699f25020e4"),
		signed("GET without a query", "GET", "", "", "2598d3b3dddd228c234e9c7a6d15dc55b910247db20106a79318d392bd3c18bc"),
	})
}

// TestOrderBodyMatchesVector builds the documented POST vector from an order
// request: the connector's body is the vector's byte for byte, so its
// signature is the vector's.
func TestOrderBodyMatchesVector(t *testing.T) {
	req := sdk.OrderRequest{Market: sdk.MarketFutures, Symbol: "BTC/USDT:USDT", Side: "buy", Type: "limit",
		Quantity: decimal.RequireFromString("0.0010"), Price: decimal.RequireFromString("30000.00")}
	o, err := checkOrder(sdk.MarketFutures, req)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(o.body(symbol.Perp("BTC", "USDT", "USDT"), false))
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != vectorBody {
		t.Fatalf("body\n got %s\nwant %s", b, vectorBody)
	}
}

func TestSignRequestNeedsCredentials(t *testing.T) {
	plugintest.RunSignerRefusals(t, signRequest, plugintest.MissingCredentials(sdk.Account{}, sdk.Account{APIKey: "k"}, sdk.Account{SecretKey: "s"}))
}

func TestServerTime(t *testing.T) {
	tests := []struct {
		body string
		want time.Time
		ok   bool
	}{
		{`{"retCode":0,"retMsg":"OK","result":{"timeSecond":"1688639403","timeNano":"1688639403423213947"},"retExtInfo":{},"time":1688639403423}`, time.Unix(0, 1688639403423213947), true},
		{`{"retCode":0,"result":{},"time":1688639403423}`, time.UnixMilli(1688639403423), true},
		{`{"retCode":0,"result":{}}`, time.Time{}, false},
		{`not json`, time.Time{}, false},
	}
	for _, tt := range tests {
		got, err := serverTime.Parse([]byte(tt.body))
		if (err == nil) != tt.ok || !got.Equal(tt.want) {
			t.Errorf("Parse(%s) = %v, %v", tt.body, got, err)
		}
	}
}

func TestUnifiedLinear(t *testing.T) {
	tests := map[string]string{
		"BTCUSDT":         "BTC/USDT:USDT",
		"1000PEPEUSDT":    "1000PEPE/USDT:USDT",
		"BTCUSDT-26DEC25": "BTC/USDT:USDT-251226",
		"BTCUSDT-WEEKLY":  "BTC/USDT:USDT-WEEKLY",
		"BTCPERP":         "BTCPERP",
		"USDT":            "USDT",
	}
	for raw, want := range tests {
		if got := unifiedLinear(raw); got != want {
			t.Errorf("unifiedLinear(%q) = %q, want %q", raw, got, want)
		}
	}
}
