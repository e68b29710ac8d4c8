package binance

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/redact"
	"github.com/globalautomation/gahost/sdk/rest"
)

// apiError is Binance's error body on both products.
type apiError struct {
	Code *int64 `json:"code"`
	Msg  string `json:"msg"`
}

// Codes the connector acts on (Binance's error-code pages).
const (
	codeUnknown          = -1000
	codeDisconnected     = -1001
	codeUnauthorized     = -1002
	codeTooManyWeight    = -1003
	codeUnexpectedResp   = -1006
	codeTimeout          = -1007
	codeThrottled        = -1008
	codeTooManyOrders    = -1015
	codeServiceShutdown  = -1016
	codeInvalidTimestamp = -1021
	codeInvalidSignature = -1022
	codeBadSymbol        = -1121
	codeNewOrderRejected = -2010
	codeCancelRejected   = -2011
	codeNoSuchOrder      = -2013
	codeBadAPIKeyFormat  = -2014
	codeRejectedKey      = -2015
	codeBalanceShort     = -2018
	codeMarginShort      = -2019
	codePositionSide     = -4061
	codeStopOrderSwitch  = -4120
)

// msgRejectedKey explains -2015, which Binance uses for three different
// causes it does not tell apart.
const msgRejectedKey = "Binance rejected the API key: the key does not exist on this environment " +
	"(mainnet and testnet keys differ), this server's IP address is not on the key's IP whitelist, " +
	"or the key lacks the permission this call needs (e.g. futures not enabled); " +
	"the credentials check tells which"

// decodeError maps an answer to a typed error; success is decided by HTTP
// status first, since a few futures acknowledgements carry code 200.
func decodeError(r *rest.Response) error {
	if r.Status >= 200 && r.Status <= 299 {
		return nil
	}
	var body apiError
	if json.Unmarshal(r.Body, &body) != nil || body.Code == nil {
		return statusError(r)
	}
	return codeError(r, *body.Code, body.Msg)
}

func statusError(r *rest.Response) error {
	switch r.Status {
	case http.StatusTooManyRequests, http.StatusTeapot:
		return rateLimited(r, "", "too much request weight used (HTTP %d)", r.Status)
	case http.StatusForbidden:
		// 403 is Binance's web application firewall, often rate
		// related; transient, not a permission of the key.
		return r.Errorf(sdk.KindUnavailable, "", "blocked by Binance's web application firewall (HTTP 403)")
	}
	return rest.StatusError(r)
}

// codes is what the codes Binance words unambiguously mean.
var codes = rest.Codes[int64]{
	codeInvalidTimestamp: {Kind: sdk.KindClockSkew, Text: "request timestamp outside Binance's receive window: %s"},
	codeInvalidSignature: {Kind: sdk.KindAuthentication, Text: "signature not valid: the secret key does not belong to this API key"},
	codeBadAPIKeyFormat:  {Kind: sdk.KindAuthentication, Text: "API key format invalid"},
	codeRejectedKey:      {Kind: sdk.KindAuthentication, Text: msgRejectedKey},
	codeUnauthorized:     {Kind: sdk.KindPermission, Text: "not authorized for this request: %s"},
	codeBalanceShort:     {Kind: sdk.KindInsufficientFunds},
	codeMarginShort:      {Kind: sdk.KindInsufficientFunds},
	codeNewOrderRejected: {Kind: sdk.KindInvalidRequest, Text: "order rejected: %s"},
	codeBadSymbol:        {Kind: sdk.KindUnknownSymbol},
	codeNoSuchOrder:      {Kind: sdk.KindOrderNotFound},
	codeCancelRejected:   {Kind: sdk.KindInvalidRequest},
	codePositionSide:     {Kind: sdk.KindInvalidRequest, Text: "position side does not match the account's position mode (one-way or hedge): %s"},
	codeStopOrderSwitch:  {Kind: sdk.KindUnsupported},
	// The request reached Binance and its result is unknown.
	codeTimeout:         {Kind: sdk.KindUnavailable, Unsure: true},
	codeUnexpectedResp:  {Kind: sdk.KindUnavailable, Unsure: true},
	codeUnknown:         {Kind: sdk.KindUnavailable},
	codeDisconnected:    {Kind: sdk.KindUnavailable},
	codeThrottled:       {Kind: sdk.KindUnavailable},
	codeServiceShutdown: {Kind: sdk.KindUnavailable},
}

func codeError(r *rest.Response, code int64, msg string) error {
	c := strconv.FormatInt(code, 10)
	msg = redact.Clip(msg, rest.MaxText)
	switch {
	case code == codeTooManyWeight, code == codeTooManyOrders:
		return rateLimited(r, c, "%s", msg)
	case code == codeNewOrderRejected && strings.Contains(strings.ToLower(msg), "insufficient balance"):
		return r.Errorf(sdk.KindInsufficientFunds, c, "%s", msg)
	case code == codeCancelRejected && strings.HasPrefix(msg, "Unknown order"):
		// -2011 also refuses a cancel for other reasons; "Unknown order
		// sent." is the one that says the order is not there.
		return r.Errorf(sdk.KindOrderNotFound, c, "%s", msg)
	}
	if e, ok := codes.Error(r, code, msg); ok {
		return e
	}
	switch {
	case r.Status == http.StatusTooManyRequests || r.Status == http.StatusTeapot:
		return rateLimited(r, c, "%s", msg)
	case r.Status >= 500:
		return r.Errorf(sdk.KindUnavailable, c, "%s", msg)
	case code <= -1100 && code > -1200, code <= -4000 && code > -5000, code == -1013, code == -1131:
		// -11xx are parameter errors, -4xxx futures order rules, -1013
		// filter failures, -1131 a bad recvWindow.
		return r.Errorf(sdk.KindInvalidRequest, c, "%s", msg)
	case r.Status >= 400:
		return r.Errorf(sdk.KindInvalidRequest, c, "%s", msg)
	}
	return r.Errorf(sdk.KindUnknown, c, "%s", msg)
}

var bannedUntil = regexp.MustCompile(`banned until (\d{12,14})`)

// rateLimited says how long to wait: the Retry-After header when Binance
// sends one, else the end of the ban named in a 418 message, else the next
// minute boundary, when the weight window resets.
func rateLimited(r *rest.Response, code, format string, args ...any) *sdk.Error {
	return rest.RateLimited(r, code, banWait(r, fmt.Sprintf(format, args...)), format, args...)
}

// banWait is the wait until the end of the ban msg names, else until the
// next minute boundary.
func banWait(r *rest.Response, msg string) time.Duration {
	if m := bannedUntil.FindStringSubmatch(msg); m != nil {
		if ms, err := strconv.ParseInt(m[1], 10, 64); err == nil {
			if d := time.UnixMilli(ms).Sub(r.Received); d > 0 {
				return d.Round(time.Second) + time.Second
			}
		}
	}
	return rest.UntilNextWindow(r, time.Minute)
}

// usage reads X-MBX-USED-WEIGHT-1M. The header is per host, so it is
// reported under the budget of the endpoint that answered. /sapi answers
// carry their own X-SAPI-* counters, which are a separate budget and not
// reported.
func usage(r *rest.Response) []sdk.RateUsage {
	name := limitSpotWeight
	if r.Request.Endpoint == EndpointFutures {
		name = limitFuturesWeight
	}
	return card.Used(r.Header, "X-MBX-USED-WEIGHT-1M", name)
}

// exchangeCode returns the Binance code carried by err, or 0.
func exchangeCode(err error) int64 {
	n, _ := strconv.ParseInt(rest.ExchangeCode(err), 10, 64)
	return n
}
