package binance

import (
	"strconv"

	"github.com/globalautomation/gahost/sdk/rest"
	"github.com/globalautomation/gahost/sdk/sign"
)

// recvWindow is how long after its timestamp Binance accepts a request.
// The default; a corrected clock keeps us well inside it.
const recvWindow = "5000"

// Signature is Binance's HMAC-SHA256 signature: lower-case hex over
// the query string exactly as sent followed directly by the body exactly
// as sent, with no separator between them.
func Signature(secret, query, body string) string {
	return sign.Hex(secret, query+body)
}

// signRequest appends recvWindow, timestamp and signature to the query
// (the connector sends every parameter in the query and an empty body, as
// the official SDK does) and sets the key header.
func signRequest(s *rest.Signing) error {
	if err := rest.NeedKeys("binance", s.Account); err != nil {
		return err
	}
	s.Query = rest.JoinQuery(s.Query, "recvWindow="+recvWindow+"&timestamp="+strconv.FormatInt(s.Time.UnixMilli(), 10))
	sig := Signature(s.Account.SecretKey, s.Query, string(s.Body))
	s.Query += "&signature=" + sig
	s.Header.Set("X-MBX-APIKEY", s.Account.APIKey)
	s.Redact = append(s.Redact, sig)
	return nil
}

// serverTime is where each host publishes its clock.
var serverTime = rest.MillisClock(map[string]string{
	EndpointSpot:    "/api/v3/time",
	EndpointFutures: "/fapi/v1/time",
}, "serverTime")
