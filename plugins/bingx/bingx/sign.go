package bingx

import (
	"net/url"
	"strconv"
	"strings"

	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/rest"
	"github.com/globalautomation/gahost/sdk/sign"
)

// Signature is BingX's request signature: HMAC-SHA256 of the
// parameter string under the secret key, as lower-case hex.
func Signature(secret, payload string) string {
	return sign.Hex(secret, payload)
}

// SignedQuery is the query string BingX gets for params at ms:
// timestamp joins the parameters, all are sorted by key (as ccxt does;
// BingX checks the order sent, not a fixed one), the raw k=v&... string
// is signed, and the same pairs go out with only their values
// percent-encoded, followed by the signature. No recvWindow is sent: the
// server's default window is 5000 ms, and leaving it out keeps the
// signed bytes equal to the documented vectors.
func SignedQuery(secret string, params rest.Params, ms int64) (query, signature string) {
	p := append(rest.Params(nil), params...).Add("timestamp", strconv.FormatInt(ms, 10)).Sorted()
	signature = Signature(secret, p.Raw())
	return p.Encode() + "&signature=" + signature, signature
}

// signRequest signs the query the client built and sets the key header.
// Every parameter travels in the query, for GET, POST and DELETE
// alike, with an empty body.
func signRequest(s *rest.Signing) error {
	if err := needKeys(s.Account); err != nil {
		return err
	}
	if len(s.Body) > 0 {
		return sdk.Errorf(sdk.KindInvalidRequest, "bingx: %s %s: parameters go in the query, not the body", s.Method, s.Path)
	}
	// The client hands over the encoded query; BingX signs the raw values
	// (rest.Signing carries no unencoded form, see the report).
	params, err := decodeQuery(s.Query)
	if err != nil {
		return sdk.Errorf(sdk.KindInvalidRequest, "bingx: %s %s: the query cannot be decoded for signing", s.Method, s.Path)
	}
	query, sig := SignedQuery(s.Account.SecretKey, params, s.Time.UnixMilli())
	s.Query = query
	s.Header.Set("X-BX-APIKEY", s.Account.APIKey)
	s.Redact = append(s.Redact, sig)
	return nil
}

// needKeys fails a call without credentials before anything is sent,
// public rule lookups included.
func needKeys(acct sdk.Account) error { return rest.NeedKeys("bingx", acct) }

// decodeQuery splits an encoded query into pairs in order, decoding the
// values (keys are sent as they are).
func decodeQuery(q string) (rest.Params, error) {
	var p rest.Params
	if q == "" {
		return p, nil
	}
	for _, pair := range strings.Split(q, "&") {
		k, v, _ := strings.Cut(pair, "=")
		raw, err := url.PathUnescape(v)
		if err != nil {
			return nil, err
		}
		p = p.Add(k, raw)
	}
	return p, nil
}

// serverTime is where BingX publishes its clock. The swap path is
// used because the demo host, which serves only the swap, has it too.
var serverTime = rest.MillisClock(map[string]string{EndpointREST: pathServerTime}, "data.serverTime")
