package okx

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

// The page's vectors: OKX's example secret
// and timestamp, checked there with openssl, Python, Go and ccxt.
const (
	vectorSecret = "22582BD0CFF14C41EDBF1AB98506286D"
	vectorTime   = "2020-12-08T09:08:57.715Z"
	vectorBody   = `{"instId":"BTC-USDT","tdMode":"cash","side":"buy","ordType":"limit","px":"2.15","sz":"2"}`
)

func vectorClock(t *testing.T) time.Time {
	t.Helper()
	at, err := time.Parse(time.RFC3339Nano, vectorTime)
	if err != nil {
		t.Fatal(err)
	}
	return at
}

func TestSignatureVectors(t *testing.T) {
	tests := []struct {
		name, method, path, body, want string
	}{
		{"1 GET with a query", "GET", "/api/v5/account/balance?ccy=BTC", "", "HiZhvSfMtWJA3uUIVXV3a/bSXNPCWvYFXoGCVS8V4zY="},
		{"2 GET without a query", "GET", "/api/v5/account/balance", "", "AkD5YszBhggtIyjDlmTy/9PpNVntel+1Lff8wh0qpQw="},
		{"3 positions", "GET", "/api/v5/account/positions?instType=SWAP", "", "2To1co8bnLeUL96pQpWm6LD0VOl6aRBZxckSFPo+Dlg="},
		{"4 POST with a body", "POST", "/api/v5/trade/order", vectorBody, "iwrdSpN7pm4G4u8+fswZUyH6mOM48+sBF6WvKpj4Dvk="},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Signature(vectorSecret, vectorTime, tt.method, tt.path, tt.body); got != tt.want {
				t.Fatalf("Signature = %s, want %s", got, tt.want)
			}
		})
	}
}

// TestSignRequest runs the vectors through the signer as the rest client
// calls it: path and encoded query apart, the clock pinned. The query and
// body go out as they came: OKX signs, it adds nothing.
func TestSignRequest(t *testing.T) {
	acct := sdk.Account{APIKey: "37c541a1-c3ac-4d1b-ae3e-8f1bd22e6a71", SecretKey: vectorSecret, Passphrase: "Passphrase1"}
	signed := func(name, method, path, query, body string, demo bool, sig string) plugintest.SignCase {
		a := acct
		a.Testnet = demo
		header := map[string]string{"OK-ACCESS-KEY": acct.APIKey, "OK-ACCESS-SIGN": sig, "OK-ACCESS-TIMESTAMP": vectorTime, "OK-ACCESS-PASSPHRASE": acct.Passphrase}
		if demo {
			header["X-Simulated-Trading"] = "1"
		}
		return plugintest.SignCase{Name: name, Req: rest.Signing{Method: method, Path: path, Query: query, Body: []byte(body), Time: vectorClock(t), Account: a},
			Header: header, Query: query, Signature: sig}
	}
	plugintest.RunSigner(t, signRequest, []plugintest.SignCase{
		signed("vector 1", "GET", "/api/v5/account/balance", rest.Params{}.Add("ccy", "BTC").Encode(), "", false, "HiZhvSfMtWJA3uUIVXV3a/bSXNPCWvYFXoGCVS8V4zY="),
		signed("vector 2", "GET", "/api/v5/account/balance", "", "", false, "AkD5YszBhggtIyjDlmTy/9PpNVntel+1Lff8wh0qpQw="),
		signed("vector 3 on demo", "GET", "/api/v5/account/positions", "instType=SWAP", "", true, "2To1co8bnLeUL96pQpWm6LD0VOl6aRBZxckSFPo+Dlg="),
		signed("vector 4", "POST", "/api/v5/trade/order", "", vectorBody, false, "iwrdSpN7pm4G4u8+fswZUyH6mOM48+sBF6WvKpj4Dvk="),
	})
}

// TestOrderBodyIsVector4 checks that the connector's own body for a spot
// limit buy is vector 4's bytes, so its signature is the vector's too.
func TestOrderBodyIsVector4(t *testing.T) {
	o, err := checkOrder(sdk.MarketSpot, sdk.OrderRequest{Side: "buy", Type: "limit", Quantity: decimal.RequireFromString("2"), Price: decimal.RequireFromString("2.150")})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(spotBody(o, symbol.Spot("BTC", "USDT"), accountConfig{AcctLv: "2"}))
	if err != nil {
		t.Fatal(err)
	}
	if string(raw) != vectorBody {
		t.Fatalf("body\n got %s\nwant %s", raw, vectorBody)
	}
	if got := Signature(vectorSecret, vectorTime, "POST", "/api/v5/trade/order", string(raw)); got != "iwrdSpN7pm4G4u8+fswZUyH6mOM48+sBF6WvKpj4Dvk=" {
		t.Fatalf("signature %s", got)
	}
}

func TestTimestamp(t *testing.T) {
	berlin := time.FixedZone("CET", 3600)
	tests := []struct {
		in   time.Time
		want string
	}{
		{time.Date(2020, 12, 8, 9, 8, 57, 715_000_000, time.UTC), "2020-12-08T09:08:57.715Z"},
		{time.Date(2020, 12, 8, 9, 8, 57, 0, time.UTC), "2020-12-08T09:08:57.000Z"}, // zeros kept
		{time.Date(2020, 12, 8, 9, 8, 57, 100_000_000, time.UTC), "2020-12-08T09:08:57.100Z"},
		{time.Date(2020, 12, 8, 9, 8, 57, 999_999_999, time.UTC), "2020-12-08T09:08:57.999Z"}, // truncated, not rounded
		{time.Date(2020, 12, 8, 10, 8, 57, 715_000_000, berlin), "2020-12-08T09:08:57.715Z"},  // to UTC
	}
	for _, tt := range tests {
		if got := Timestamp(tt.in); got != tt.want {
			t.Errorf("Timestamp(%v) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestSignRequestNeedsAllThreeCredentials(t *testing.T) {
	plugintest.RunSignerRefusals(t, signRequest, plugintest.MissingCredentials(sdk.Account{}, sdk.Account{APIKey: "k", SecretKey: "s"},
		sdk.Account{APIKey: "k", Passphrase: "p"}, sdk.Account{SecretKey: "s", Passphrase: "p"}))
}
