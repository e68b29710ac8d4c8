package bybit

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/redact"
	"github.com/globalautomation/gahost/sdk/rest"
)

// retCodes the connector acts on (-1 is the generic system error). Business errors arrive
// with HTTP 200 and a non-zero retCode.
const (
	codeRequestExpired  = -1
	codeKeyExpiredSpot  = -2015
	codeSystemBusy      = 429
	codeServerTimeout   = 10000
	codeParams          = 10001
	codeTimestamp       = 10002
	codeInvalidKey      = 10003
	codeBadSign         = 10004
	codePermission      = 10005
	codeTooManyVisits   = 10006
	codeAuthFailed      = 10007
	codeRegionBlocked   = 10009
	codeIPNotBound      = 10010
	codeServerError     = 10016
	codeIPRateLimit     = 10018 // Bybit's error table: "Exceeded the IP Rate Limit"
	codeCompliance      = 10024
	codeUnifiedOnly     = 10028
	codeSymbolWhitelist = 10029
	codeKeyExpired      = 33004

	codeOrderNotExist    = 110001
	codeWalletShort      = 110004
	codeAvailableShort   = 110007
	codeOrderFinished    = 110008
	codeOrderCancelled   = 110010
	codeAvailableShort2  = 110012
	codeQtyTruncated     = 110017
	codeMarginShort      = 110044
	codeDuplicateLinkID  = 110072
	codeNotionalTooSmall = 110094

	codeSpotBadSymbol     = 170121
	codeSpotBalanceShort  = 170131
	codeSpotTooPrecise    = 170134
	codeSpotQtyTooSmall   = 170136
	codeSpotTooPrecise2   = 170137
	codeSpotValueTooSmall = 170140
	codeSpotDuplicateID   = 170141
	codeSpotNoSuchOrder   = 170213
)

// Headers of the per-UID limit on every private answer.
const (
	headerLimit       = "X-Bapi-Limit"
	headerLimitStatus = "X-Bapi-Limit-Status"
	headerLimitReset  = "X-Bapi-Limit-Reset-Timestamp"
)

// ipBanWait is how long Bybit blocks an IP over its limit: "stop all
// traffic and wait at least 10 minutes".
const ipBanWait = 10 * time.Minute

// Messages for the failures a user fixes in Bybit's API management.
const (
	msgInvalidKey = "Bybit does not know this API key on this environment: mainnet, testnet and demo-trading keys " +
		"are separate (a testnet key needs the account's testnet flag, a demo-trading key the rest endpoint " +
		"https://api-demo.bybit.com), or the key was deleted"
	msgBadSign    = "signature not valid: the secret key does not belong to this API key (was it copied whole?)"
	msgKeyExpired = "the API key has expired: Bybit expires keys that are not bound to an IP address after 90 days; " +
		"create a new key, ideally bound to this server's IP address"
	msgIPNotBound = "this server's IP address is not among the API key's bound IP addresses; add it in Bybit's API management"
	msgRegion     = "Bybit refuses this request for regulatory reasons (region or compliance): %s"
	msgTimestamp  = "request timestamp outside Bybit's receive window: %s"
)

// decodeError maps an answer to a typed error. Success is retCode 0 in a
// 2xx answer, whatever retMsg says.
func decodeError(r *rest.Response) error {
	var env struct {
		RetCode *int64 `json:"retCode"`
		RetMsg  string `json:"retMsg"`
	}
	readable := json.Unmarshal(r.Body, &env) == nil && env.RetCode != nil
	success := r.Status >= 200 && r.Status <= 299
	switch {
	case readable && *env.RetCode != 0:
		return codeError(r, *env.RetCode, env.RetMsg)
	case success && readable:
		return nil
	case success:
		return rest.Unsure(r, sdk.KindUnknown, "", "unreadable answer without a retCode")
	}
	return statusError(r)
}

// statusError reads the HTTP statuses Bybit documents for answers
// without a retCode.
func statusError(r *rest.Response) error {
	switch r.Status {
	case http.StatusForbidden:
		body := strings.ToLower(string(r.Body))
		switch {
		case strings.Contains(body, "get request"):
			return r.Errorf(sdk.KindInvalidRequest, "", "Bybit refused a GET request that carried a body (HTTP 403)")
		case strings.Contains(body, "country") || strings.Contains(body, "region"):
			return r.Errorf(sdk.KindPermission, "", "Bybit refuses requests from this server's country or region (HTTP 403; US and mainland-China addresses are blocked)")
		}
		// "access too frequent": the per-IP limit; the block lifts by
		// itself after at least ten minutes.
		e := r.Errorf(sdk.KindRateLimited, "", "Bybit's per-IP limit of 600 requests per 5 seconds was exceeded (HTTP 403); all traffic from this address must pause")
		e.RetryAfter = ipBanWait
		return e
	case http.StatusTooManyRequests:
		return rateLimited(r, "", time.Second, "Bybit's system-level frequency protection (HTTP 429)")
	case http.StatusUnauthorized:
		return r.Errorf(sdk.KindAuthentication, "", "Bybit refused the request as unauthenticated (HTTP 401): the API key is missing or unknown")
	}
	return rest.StatusError(r)
}

// codes is what the retCodes Bybit words unambiguously mean.
var codes = rest.Codes[int64]{
	codeInvalidKey:      {Kind: sdk.KindAuthentication, Text: msgInvalidKey},
	codeBadSign:         {Kind: sdk.KindAuthentication, Text: msgBadSign},
	codeKeyExpired:      {Kind: sdk.KindAuthentication, Text: msgKeyExpired},
	codeKeyExpiredSpot:  {Kind: sdk.KindAuthentication, Text: msgKeyExpired},
	codeAuthFailed:      {Kind: sdk.KindAuthentication, Text: "user authentication failed: %s"},
	codeIPNotBound:      {Kind: sdk.KindPermission, Text: msgIPNotBound},
	codePermission:      {Kind: sdk.KindPermission, Text: "the API key lacks the permission this call needs; enable it in Bybit's API management: %s"},
	codeSymbolWhitelist: {Kind: sdk.KindPermission, Text: "the symbol is not on the API key's symbol whitelist: %s"},
	codeUnifiedOnly:     {Kind: sdk.KindPermission, Text: "this call needs a Unified Trading Account; upgrade the Bybit account to UTA: %s"},
	codeRegionBlocked:   {Kind: sdk.KindPermission, Text: msgRegion},
	codeCompliance:      {Kind: sdk.KindPermission, Text: msgRegion},
	codeTimestamp:       {Kind: sdk.KindClockSkew, Text: msgTimestamp},
	codeRequestExpired:  {Kind: sdk.KindClockSkew, Text: msgTimestamp},
	// A server timeout: the order may have gone through.
	codeServerTimeout:    {Kind: sdk.KindUnavailable, Unsure: true},
	codeServerError:      {Kind: sdk.KindUnavailable, Unsure: true},
	codeWalletShort:      {Kind: sdk.KindInsufficientFunds},
	codeAvailableShort:   {Kind: sdk.KindInsufficientFunds},
	codeAvailableShort2:  {Kind: sdk.KindInsufficientFunds},
	codeMarginShort:      {Kind: sdk.KindInsufficientFunds},
	codeSpotBalanceShort: {Kind: sdk.KindInsufficientFunds},
	codeSpotBadSymbol:    {Kind: sdk.KindUnknownSymbol},
	codeOrderNotExist:    {Kind: sdk.KindOrderNotFound},
	codeSpotNoSuchOrder:  {Kind: sdk.KindOrderNotFound},
	// The rest of the order rejections Bybit names.
	codeOrderFinished:     {Kind: sdk.KindInvalidRequest},
	codeOrderCancelled:    {Kind: sdk.KindInvalidRequest},
	codeDuplicateLinkID:   {Kind: sdk.KindInvalidRequest},
	codeSpotDuplicateID:   {Kind: sdk.KindInvalidRequest},
	codeQtyTruncated:      {Kind: sdk.KindInvalidRequest},
	codeNotionalTooSmall:  {Kind: sdk.KindInvalidRequest},
	codeSpotQtyTooSmall:   {Kind: sdk.KindInvalidRequest},
	codeSpotValueTooSmall: {Kind: sdk.KindInvalidRequest},
	codeSpotTooPrecise:    {Kind: sdk.KindInvalidRequest},
	codeSpotTooPrecise2:   {Kind: sdk.KindInvalidRequest},
}

func codeError(r *rest.Response, code int64, msg string) error {
	c := strconv.FormatInt(code, 10)
	msg = redact.Clip(msg, rest.MaxText)
	switch code {
	case codeTooManyVisits:
		return rateLimited(r, c, time.Second, "too many requests to this endpoint for the account: %s", msg)
	case codeSystemBusy:
		return rateLimited(r, c, time.Second, "Bybit's system-level frequency protection: %s", msg)
	case codeIPRateLimit:
		return rateLimited(r, c, ipBanWait, "Bybit's per-IP limit was exceeded: %s", msg)
	case codeParams:
		// One code for every parameter error; an unknown symbol says
		// "symbol invalid" in the text.
		if unknownSymbolText(msg) {
			return r.Errorf(sdk.KindUnknownSymbol, c, "%s", msg)
		}
		return r.Errorf(sdk.KindInvalidRequest, c, "%s", msg)
	}
	if e, ok := codes.Error(r, code, msg); ok {
		return e
	}
	if r.Status >= 500 {
		return r.Errorf(sdk.KindUnavailable, c, "%s", msg)
	}
	return r.Errorf(sdk.KindInvalidRequest, c, "%s", msg)
}

func unknownSymbolText(msg string) bool {
	m := strings.ToLower(msg)
	return strings.Contains(m, "symbol") &&
		(strings.Contains(m, "invalid") || strings.Contains(m, "not exist") || strings.Contains(m, "not found"))
}

// rateLimited says how long to wait: Retry-After when sent, else until
// X-Bapi-Limit-Reset-Timestamp (what pybit does), else fallback.
func rateLimited(r *rest.Response, code string, fallback time.Duration, format string, args ...any) *sdk.Error {
	if d, ok := resetIn(r); ok {
		fallback = d
	}
	return rest.RateLimited(r, code, fallback, format, args...)
}

// resetIn is the time until X-Bapi-Limit-Reset-Timestamp, rounded up to a
// millisecond; false when the header is absent or already past.
func resetIn(r *rest.Response) (time.Duration, bool) {
	ms, err := strconv.ParseInt(strings.TrimSpace(r.Header.Get(headerLimitReset)), 10, 64)
	if err != nil || ms <= 0 {
		return 0, false
	}
	d := time.UnixMilli(ms).Sub(r.Received)
	if d <= 0 {
		return 0, false
	}
	return (d + time.Millisecond - 1).Truncate(time.Millisecond), true
}

// usage reads the per-UID limit headers and reports them under the
// limit of the endpoint that answered. Bybit sends nothing for the per-IP
// budget, so that one is never reported.
func usage(r *rest.Response) []sdk.RateUsage {
	name := limitOfPath[r.Request.Path]
	limit, err1 := strconv.ParseInt(strings.TrimSpace(r.Header.Get(headerLimit)), 10, 64)
	left, err2 := strconv.ParseInt(strings.TrimSpace(r.Header.Get(headerLimitStatus)), 10, 64)
	if name == "" || err1 != nil || err2 != nil || limit <= 0 {
		return nil
	}
	return []sdk.RateUsage{{Name: name, Used: max(limit-left, 0), Limit: limit, Interval: time.Second}}
}
