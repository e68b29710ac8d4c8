package bitget

import (
	"net/url"
	"strconv"
	"strings"

	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/rest"
	"github.com/globalautomation/gahost/sdk/sign"
)

// Header names of a signed request.
const (
	headerKey        = "ACCESS-KEY"
	headerSign       = "ACCESS-SIGN"
	headerTimestamp  = "ACCESS-TIMESTAMP"
	headerPassphrase = "ACCESS-PASSPHRASE"
	headerDemo       = "paptrading"
)

// PreHash is the string Bitget signs: the timestamp, the upper-case
// method, the path, then "?" and the query only when there is a query,
// then the body, with nothing between them.
func PreHash(timestamp, method, path, query, body string) string {
	var b strings.Builder
	b.WriteString(timestamp)
	b.WriteString(strings.ToUpper(method))
	b.WriteString(path)
	if query != "" {
		b.WriteByte('?')
		b.WriteString(query)
	}
	b.WriteString(body)
	return b.String()
}

// Signature is ACCESS-SIGN: standard, padded base64 of the
// HMAC-SHA256 of the pre-hash string under the secret as given.
func Signature(secret, preHash string) string {
	return sign.Base64(secret, preHash)
}

// signRequest sets the ACCESS-* headers. Bitget verifies the query
// un-encoded; the connector only ever sends URL-safe values, so the
// raw and the encoded form are the same, and decoding here keeps that true
// should a value ever need encoding. A Demo Trading account gets
// "paptrading: 1" whichever URL it is sent to, endpoint override or not.
func signRequest(s *rest.Signing) error {
	a := s.Account
	if err := needKeys(a); err != nil {
		return err
	}
	raw, err := url.PathUnescape(s.Query)
	if err != nil {
		return sdk.Errorf(sdk.KindInvalidRequest, "bitget: %s %s: the query cannot be signed", s.Method, s.Path)
	}
	ts := strconv.FormatInt(s.Time.UnixMilli(), 10)
	sig := Signature(a.SecretKey, PreHash(ts, s.Method, s.Path, raw, string(s.Body)))
	h := s.Header
	h.Set(headerKey, a.APIKey)
	h.Set(headerSign, sig)
	h.Set(headerTimestamp, ts)
	h.Set(headerPassphrase, a.Passphrase)
	// The docs send the JSON content type on every request, GET too.
	h.Set("Content-Type", "application/json")
	h.Set("locale", "en-US")
	if a.Testnet {
		h.Set(headerDemo, "1")
	}
	s.Redact = append(s.Redact, sig)
	return nil
}

// needKeys refuses an account without its API key, secret key or
// passphrase, before anything is signed or sent.
func needKeys(a sdk.Account) error {
	if err := rest.NeedKeys("bitget", a); err != nil {
		return err
	}
	if a.Passphrase == "" {
		return sdk.Errorf(sdk.KindAuthentication,
			"bitget: the passphrase is missing; Bitget API keys have a passphrase chosen when the key was created, add it to the account")
	}
	return nil
}

// pathServerTime is public and the same for mainnet and demo.
const pathServerTime = "/api/v2/public/time"

// serverTime reads data.serverTime, a string of milliseconds, and falls
// back on requestTime, which every answer carries.
var serverTime = rest.MillisClock(map[string]string{EndpointREST: pathServerTime}, "data.serverTime", "requestTime")
