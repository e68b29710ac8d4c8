package bitget

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/plugintest"
	"github.com/globalautomation/gahost/sdk/rest"
)

// vectorSecret is the secret of the documented computed vectors.
const vectorSecret = "TESTSECRET789"

// The page's vectors, split into the parts
// PreHash joins.
var vectors = []struct {
	name                     string
	ts, method, path, query  string
	body, preHash, signature string
}{
	{
		name: "GET with query", ts: "1700000000000", method: "GET", path: "/api/v2/mix/account/accounts", query: "productType=USDT-FUTURES",
		preHash:   "1700000000000GET/api/v2/mix/account/accounts?productType=USDT-FUTURES",
		signature: "HzY1+vEvxGNyM/9RRLH6hbrB2wuTzTP1cEAlPyJqSrw=",
	},
	{
		name: "POST", ts: "1700000000000", method: "POST", path: "/api/v2/spot/trade/place-order",
		body:      `{"symbol":"BTCUSDT","side":"buy","orderType":"limit","force":"gtc","price":"30000","size":"0.001","clientOid":"t-1"}`,
		preHash:   `1700000000000POST/api/v2/spot/trade/place-order{"symbol":"BTCUSDT","side":"buy","orderType":"limit","force":"gtc","price":"30000","size":"0.001","clientOid":"t-1"}`,
		signature: "VgG5eqQPk32Cd0vOCeethEvGiMQSjQAJcZSqvbPQp/Y=",
	},
	{
		name: "GET, no query", ts: "1700000000000", method: "GET", path: "/api/v2/spot/account/info",
		preHash:   "1700000000000GET/api/v2/spot/account/info",
		signature: "rmUh8UtnuXR7cN3YX9GtwgetuMDEtRJxO4HyEwaKNMs=",
	},
	{
		name: "docs' GET pre-sign string", ts: "16273667805456", method: "get", path: "/api/mix/v2/market/depth", query: "limit=20&symbol=BTCUSDT",
		preHash:   "16273667805456GET/api/mix/v2/market/depth?limit=20&symbol=BTCUSDT",
		signature: "Rvy4Od2PDWzePGz5X90M6EwMTC07qx4GHXB2TLhaeco=",
	},
}

func TestSignatureVectors(t *testing.T) {
	for _, v := range vectors {
		t.Run(v.name, func(t *testing.T) {
			pre := PreHash(v.ts, v.method, v.path, v.query, v.body)
			if pre != v.preHash {
				t.Fatalf("pre-hash\n got %s\nwant %s", pre, v.preHash)
			}
			if got := Signature(vectorSecret, pre); got != v.signature {
				t.Fatalf("signature %s, want %s", got, v.signature)
			}
		})
	}
}

// TestSignRequestHeaders runs the vectors through the signer the client
// calls, on the live and the demo environment, checking every header it
// sets.
func TestSignRequestHeaders(t *testing.T) {
	var cases []plugintest.SignCase
	for _, v := range vectors {
		for _, demo := range []bool{false, true} {
			ms, _ := json.Number(v.ts).Int64()
			header := map[string]string{
				"ACCESS-KEY": "key-1", "ACCESS-SIGN": v.signature, "ACCESS-TIMESTAMP": v.ts,
				"ACCESS-PASSPHRASE": "pass phrase", "Content-Type": "application/json", "locale": "en-US",
			}
			if demo {
				header["paptrading"] = "1"
			}
			cases = append(cases, plugintest.SignCase{
				Name: fmt.Sprintf("%s demo=%v", v.name, demo),
				Req: rest.Signing{Method: v.method, Path: v.path, Query: v.query, Body: []byte(v.body), Time: time.UnixMilli(ms),
					Account: sdk.Account{APIKey: "key-1", SecretKey: vectorSecret, Passphrase: "pass phrase", Testnet: demo}},
				Header: header, Query: v.query, Signature: v.signature,
			})
		}
	}
	plugintest.RunSigner(t, signRequest, cases)
}

// TestSignsDecodedQuery: Bitget verifies the un-encoded query, so
// a value that had to be percent-encoded is signed raw.
func TestSignsDecodedQuery(t *testing.T) {
	q := rest.Params{}.Add("symbol", "龙虾USDT").Add("productType", "USDT-FUTURES").Sorted()
	s := &rest.Signing{
		Method: "GET", Path: "/api/v2/mix/account/account", Query: q.Encode(), Header: http.Header{},
		Time:    time.UnixMilli(1700000000000),
		Account: sdk.Account{APIKey: "k", SecretKey: vectorSecret, Passphrase: "p"},
	}
	if err := signRequest(s); err != nil {
		t.Fatal(err)
	}
	want := Signature(vectorSecret, "1700000000000GET/api/v2/mix/account/account?productType=USDT-FUTURES&symbol=龙虾USDT")
	if got := s.Header.Get("ACCESS-SIGN"); got != want || q.Encode() == q.Raw() {
		t.Fatalf("signed %s, want the raw form's %s", got, want)
	}
}

// TestOrderBodyIsThePagesVector: the spot order body the connector builds
// is byte for byte the one of the documented POST vector.
func TestOrderBodyIsThePagesVector(t *testing.T) {
	b, err := json.Marshal(spotOrderBody{Symbol: "BTCUSDT", Side: "buy", OrderType: "limit", Force: "gtc", Price: "30000", Size: "0.001", ClientOid: "t-1"})
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != vectors[1].body {
		t.Fatalf("body\n got %s\nwant %s", b, vectors[1].body)
	}
}

func TestSignRequestNeedsCredentials(t *testing.T) {
	plugintest.RunSignerRefusals(t, signRequest, plugintest.MissingCredentials(sdk.Account{}, sdk.Account{APIKey: "k", Passphrase: "p"},
		sdk.Account{SecretKey: "s", Passphrase: "p"}, sdk.Account{APIKey: "k", SecretKey: "s"}))
}
