package okx

import (
	"time"

	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/rest"
	"github.com/globalautomation/gahost/sdk/sign"
)

// Request headers.
const (
	headerKey        = "OK-ACCESS-KEY"
	headerSign       = "OK-ACCESS-SIGN"
	headerTimestamp  = "OK-ACCESS-TIMESTAMP"
	headerPassphrase = "OK-ACCESS-PASSPHRASE"
	headerSimulated  = "x-simulated-trading"
)

// timestampLayout has exactly three fractional digits and a literal Z:
// RFC3339Nano would trim trailing zeros and OKX answers 50112.
const timestampLayout = "2006-01-02T15:04:05.000Z"

// Timestamp renders t as OK-ACCESS-TIMESTAMP wants it, in UTC.
func Timestamp(t time.Time) string { return t.UTC().Format(timestampLayout) }

// Signature is OK-ACCESS-SIGN: standard base64 of HMAC-SHA256 under
// the secret's own bytes, over timestamp, upper-case method, the request
// path with its query string, and the body exactly as sent ("" for a GET).
func Signature(secret, timestamp, method, requestPath, body string) string {
	return sign.Base64(secret, timestamp+method+requestPath+body)
}

// signRequest sets the four OK-ACCESS headers, and the demo header for a
// testnet account. The demo header goes out whatever base URL the account
// resolves to, so a testnet account with an endpoint override still
// reaches the demo environment. The query is signed exactly
// as the client sends it: s.Query is already encoded.
func signRequest(s *rest.Signing) error {
	a := s.Account
	if a.APIKey == "" || a.SecretKey == "" || a.Passphrase == "" {
		return sdk.Errorf(sdk.KindAuthentication, "okx: an API key, a secret key and the key's passphrase are all required")
	}
	path := s.Path
	if s.Query != "" {
		path += "?" + s.Query
	}
	ts := Timestamp(s.Time)
	sig := Signature(a.SecretKey, ts, s.Method, path, string(s.Body))
	s.Header.Set(headerKey, a.APIKey)
	s.Header.Set(headerSign, sig)
	s.Header.Set(headerTimestamp, ts)
	s.Header.Set(headerPassphrase, a.Passphrase)
	if a.Testnet {
		s.Header.Set(headerSimulated, "1")
	}
	s.Redact = append(s.Redact, sig)
	return nil
}

// serverTime is GET /api/v5/public/time: Unix milliseconds as a
// string inside the usual envelope.
var serverTime = rest.MillisClock(map[string]string{EndpointREST: "/api/v5/public/time"}, "data.ts")
