package bybit

import (
	"encoding/json"
	"errors"
	"strconv"
	"time"

	"github.com/globalautomation/gahost/sdk/rest"
	"github.com/globalautomation/gahost/sdk/sign"
)

// recvWindow is how long after its timestamp Bybit accepts a request.
// It is always sent, because it is part of the signed string.
const recvWindow = "5000"

// Header names. Go canonicalises them on the wire; Bybit reads them
// case-insensitively.
const (
	headerAPIKey     = "X-BAPI-API-KEY"
	headerTimestamp  = "X-BAPI-TIMESTAMP"
	headerRecvWindow = "X-BAPI-RECV-WINDOW"
	headerSign       = "X-BAPI-SIGN"
	headerSignType   = "X-BAPI-SIGN-TYPE"
)

// PreSign is the string Bybit signs: timestamp, API key, receive
// window and payload concatenated without separators. The payload is the
// raw query string of a GET (without '?') or the body of a POST, exactly
// as sent.
func PreSign(timestamp, apiKey, recvWindow, payload string) string {
	return timestamp + apiKey + recvWindow + payload
}

// Signature is X-BAPI-SIGN for HMAC keys: lower-case hex
// HMAC-SHA256 of PreSign under the secret.
func Signature(secret, timestamp, apiKey, recvWindow, payload string) string {
	return sign.Hex(secret, PreSign(timestamp, apiKey, recvWindow, payload))
}

// signRequest sets the four X-BAPI headers. The query and body are left as
// built: Bybit verifies against the raw bytes it received, so the client
// sends exactly the query and body signed here.
func signRequest(s *rest.Signing) error {
	if err := rest.NeedKeys("bybit", s.Account); err != nil {
		return err
	}
	payload := s.Query
	if s.Method != "GET" {
		payload = string(s.Body)
	}
	ts := strconv.FormatInt(s.Time.UnixMilli(), 10)
	sig := Signature(s.Account.SecretKey, ts, s.Account.APIKey, recvWindow, payload)
	s.Header.Set(headerAPIKey, s.Account.APIKey)
	s.Header.Set(headerTimestamp, ts)
	s.Header.Set(headerRecvWindow, recvWindow)
	s.Header.Set(headerSign, sig)
	// "2" names HMAC as the official SDKs do; Bybit accepts it absent too.
	s.Header.Set(headerSignType, "2")
	s.Redact = append(s.Redact, sig)
	return nil
}

// serverTime is GET /v5/market/time, public.
var serverTime = &rest.TimeSource{
	Paths: map[string]string{EndpointREST: "/v5/market/time"},
	Parse: func(body []byte) (time.Time, error) {
		var v struct {
			Result struct {
				TimeNano string `json:"timeNano"`
			} `json:"result"`
			Time int64 `json:"time"`
		}
		if err := json.Unmarshal(body, &v); err != nil {
			return time.Time{}, err
		}
		if ns, err := strconv.ParseInt(v.Result.TimeNano, 10, 64); err == nil && ns > 0 {
			return time.Unix(0, ns), nil
		}
		if v.Time > 0 {
			return time.UnixMilli(v.Time), nil
		}
		return time.Time{}, errors.New("no server time")
	},
}
