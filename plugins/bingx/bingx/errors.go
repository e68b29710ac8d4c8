package bingx

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/redact"
	"github.com/globalautomation/gahost/sdk/rest"
)

// apiError is the part of BingX's envelope that says whether a call
// failed: a non-zero code, usually with HTTP 200.
type apiError struct {
	Code *int64 `json:"code"`
	Msg  string `json:"msg"`
}

// Codes of BingX's error table, with its timestamp and rate-limit codes.
const (
	codeBadSignature       = 100001
	codePermission         = 100004
	codeInsufficientSpot   = 100202
	codeBadParameter       = 100400
	codeRateLimit          = 100410
	codeNoSignature        = 100412
	codeBadAPIKey          = 100413
	codeIPWhitelist        = 100419
	codeTimestampOrSymbol  = 100421 // overloaded: stale timestamp or unknown spot symbol
	codeSpotSymbolOffline  = 100490
	codeSystemError        = 100500
	codeSystemBusy         = 100503
	codeBatchMargin        = 80001
	codeSwapBusy           = 80012
	codeInvalidParameters  = 80014
	codeOrderNotFound      = 80016
	codePositionNotFound   = 80017
	codeInsufficientMargin = 101204
	codeNotTradable        = 101400
	codeDuplicateClientID  = 101481
	codeSwapSystemError    = 101500
	codeSymbolOrMode       = 109400
	codeSymbolNotExist     = 109500
	codeMinNotional        = 110425
)

// decodeError maps an answer to a typed error. Success is code 0; a 2xx
// answer without any code is also a success, because some endpoints are
// documented without the envelope.
func decodeError(r *rest.Response) error {
	var body apiError
	if json.Unmarshal(r.Body, &body) != nil || body.Code == nil {
		if r.Status >= 200 && r.Status <= 299 {
			return nil
		}
		return statusError(r)
	}
	if *body.Code == 0 {
		if r.Status >= 200 && r.Status <= 299 {
			return nil
		}
		return statusError(r)
	}
	return codeError(r, *body.Code, body.Msg)
}

// statusError maps HTTP statuses that carry no BingX code.
func statusError(r *rest.Response) error {
	switch r.Status {
	case http.StatusTooManyRequests:
		return rateLimited(r, "", false, "too many requests from this IP address (HTTP 429)")
	case http.StatusTeapot:
		return rateLimited(r, "", true, "this IP address is banned for going on after HTTP 429 (HTTP 418)")
	case http.StatusForbidden:
		// BingX's firewall, normally a five-minute ban of the address.
		return rateLimited(r, "", true, "blocked by BingX's firewall (HTTP 403)")
	case http.StatusUnauthorized:
		return r.Errorf(sdk.KindAuthentication, "", "BingX rejected the API key (HTTP 401): check that it was copied whole and still exists")
	}
	return rest.StatusError(r)
}

// codes is what the codes BingX words unambiguously mean.
var codes = rest.Codes[int64]{
	codeBadSignature:       {Kind: sdk.KindAuthentication, Text: "signature not valid: the secret key does not belong to this API key"},
	codeNoSignature:        {Kind: sdk.KindAuthentication, Text: "the request reached BingX without a signature"},
	codeBadAPIKey:          {Kind: sdk.KindAuthentication, Text: "BingX does not know this API key: check that it was copied whole and has not been deleted"},
	codeIPWhitelist:        {Kind: sdk.KindPermission, Text: "this server's IP address is not on the API key's IP whitelist; add it in BingX's API management"},
	codePermission:         {Kind: sdk.KindPermission, Text: "the API key lacks the permission this call needs (BingX: %s); enable it in API management"},
	codeInsufficientSpot:   {Kind: sdk.KindInsufficientFunds},
	codeInsufficientMargin: {Kind: sdk.KindInsufficientFunds},
	codeSymbolNotExist:     {Kind: sdk.KindUnknownSymbol},
	codeSpotSymbolOffline:  {Kind: sdk.KindUnknownSymbol},
	codeOrderNotFound:      {Kind: sdk.KindOrderNotFound},
	codePositionNotFound:   {Kind: sdk.KindInvalidRequest},
	codeMinNotional:        {Kind: sdk.KindInvalidRequest},
	codeDuplicateClientID:  {Kind: sdk.KindInvalidRequest},
	// "System busy / timeout": for an order BingX may or may not have
	// acted on it.
	codeSwapBusy:        {Kind: sdk.KindUnavailable, Unsure: true},
	codeSystemError:     {Kind: sdk.KindUnavailable, Unsure: true},
	codeSystemBusy:      {Kind: sdk.KindUnavailable, Unsure: true},
	codeSwapSystemError: {Kind: sdk.KindUnavailable, Unsure: true},
}

func codeError(r *rest.Response, code int64, msg string) error {
	c := strconv.FormatInt(code, 10)
	msg = redact.Clip(msg, rest.MaxText)
	low := strings.ToLower(msg)
	switch code {
	case codeTimestampOrSymbol:
		// one code for a stale timestamp and for a spot symbol that
		// cannot be traded; only the text tells them apart.
		switch {
		case strings.Contains(low, "timestamp"):
			return r.Errorf(sdk.KindClockSkew, c, "request timestamp outside BingX's window: %s", msg)
		case strings.Contains(low, "symbol"), strings.Contains(low, "contract not exist"):
			return r.Errorf(sdk.KindUnknownSymbol, c, "%s", msg)
		}
		return r.Errorf(sdk.KindInvalidRequest, c, "%s", msg)
	case codeBatchMargin:
		if strings.Contains(low, "insufficient") {
			return r.Errorf(sdk.KindInsufficientFunds, c, "%s", msg)
		}
		return r.Errorf(sdk.KindInvalidRequest, c, "%s", msg)
	case codeSymbolOrMode:
		if strings.Contains(low, "symbol") && strings.Contains(low, "not exist") {
			return r.Errorf(sdk.KindUnknownSymbol, c, "%s", msg)
		}
		if strings.Contains(low, "one-way mode") || strings.Contains(low, "hedge mode") {
			return r.Errorf(sdk.KindInvalidRequest, c, "position side does not match the account's position mode (one-way or hedge): %s", msg)
		}
		return r.Errorf(sdk.KindInvalidRequest, c, "%s", msg)
	case codeNotTradable:
		if strings.Contains(low, "nominal") || strings.Contains(low, "minimum") {
			return r.Errorf(sdk.KindInvalidRequest, c, "%s", msg)
		}
		return r.Errorf(sdk.KindUnknownSymbol, c, "%s", msg)
	case codeInvalidParameters, codeBadParameter:
		// Spot has no code of its own for an unknown order: it says so
		// in the generic parameter error.
		if strings.Contains(low, "order not exist") || strings.Contains(low, "order does not exist") {
			return r.Errorf(sdk.KindOrderNotFound, c, "%s", msg)
		}
		if strings.Contains(low, "symbol") && !strings.Contains(low, "required") {
			return r.Errorf(sdk.KindUnknownSymbol, c, "%s", msg)
		}
		return r.Errorf(sdk.KindInvalidRequest, c, "%s", msg)
	case codeRateLimit:
		return rateLimited(r, c, banned(r), "%s", msg)
	}
	if e, ok := codes.Error(r, code, msg); ok {
		return e
	}
	switch {
	case r.Status == http.StatusTooManyRequests || r.Status == http.StatusTeapot:
		return rateLimited(r, c, banned(r), "%s", msg)
	case r.Status >= 500:
		return r.Errorf(sdk.KindUnavailable, c, "%s", msg)
	case strings.Contains(low, "insufficient"):
		return r.Errorf(sdk.KindInsufficientFunds, c, "%s", msg)
	case r.Status >= 400:
		return r.Errorf(sdk.KindInvalidRequest, c, "%s", msg)
	}
	return r.Errorf(sdk.KindUnknown, c, "%s", msg)
}

// Waits after a rate-limit answer when BingX names none: the rest of
// the 10-second window, or five minutes after a ban.
const (
	rateWindow = 10 * time.Second
	banTime    = 5 * time.Minute
)

// rateLimited says how long to wait: a Retry-After header if one ever
// comes, else five minutes for a ban, else the end of the per-key window
// that X-RateLimit-Requests-Expire names, else the end of the current
// 10-second IP window.
func rateLimited(r *rest.Response, code string, ban bool, format string, args ...any) *sdk.Error {
	wait := rest.UntilNextWindow(r, rateWindow)
	if end, ok := expires(r.Header); ok && end.After(r.Received) && end.Sub(r.Received) <= rateWindow {
		wait = end.Sub(r.Received).Round(time.Millisecond)
	}
	if ban {
		wait = banTime
	}
	return rest.RateLimited(r, code, wait, format, args...)
}

// banned says the status is one of BingX's bans: 418 after going on past a
// 429, or 403 from the firewall.
func banned(r *rest.Response) bool {
	return r.Status == http.StatusTeapot || r.Status == http.StatusForbidden
}

// Rate-limit headers: the per-key limiter of the endpoint called.
const (
	headerRemain = "X-RateLimit-Requests-Remain"
	headerExpire = "X-RateLimit-Requests-Expire"
)

// expires reads X-RateLimit-Requests-Expire. The page does not give its
// unit; a value that is plainly a Unix time in milliseconds is used and
// anything else ignored.
func expires(h http.Header) (time.Time, bool) {
	v, err := strconv.ParseInt(strings.TrimSpace(h.Get(headerExpire)), 10, 64)
	if err != nil || v < 1e12 || v > 1e14 {
		return time.Time{}, false
	}
	return time.UnixMilli(v), true
}

// usage reports X-RateLimit-Requests-Remain under the per-key limit of the
// endpoint that answered. It is never reported under a per-IP
// name: the host must not mistake one key's count for the address's.
func usage(r *rest.Response) []sdk.RateUsage {
	return card.Remaining(r.Header, headerRemain, uidLimits[r.Request.Method+" "+r.Request.Path])
}

// exchangeError returns the BingX code and message text of err, if it
// carries one.
func exchangeError(err error) (int64, string) {
	var e *sdk.Error
	if errors.As(err, &e) && e.ExchangeCode != "" {
		n, _ := strconv.ParseInt(e.ExchangeCode, 10, 64)
		return n, e.Message
	}
	return 0, ""
}
