package bitget

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/redact"
	"github.com/globalautomation/gahost/sdk/rest"
)

// Messages for the answers a user has to act on.
const (
	msgUnknownKey = "Bitget does not know this API key: check that it was copied whole, " +
		"and that a Demo Trading key is used on an account marked testnet and a live key on one that is not"
	msgSignature  = "signature not valid: the secret key does not belong to this API key"
	msgPassphrase = "the passphrase does not match this API key: use the passphrase chosen when the key was created"
	msgIP         = "this server's IP address is not on the API key's IP whitelist: add it in Bitget's API management"
	msgPermission = "the API key lacks a permission this call needs: edit the key's permissions in Bitget's API management"
	// The connector answers these two itself by switching the key's mode
	// (mode.go); they reach the caller only when the account changed mode
	// again in between, e.g. while Bitget upgrades it.
	msgUTA = "this Bitget account is in Unified Trading Account (UTA) mode and the call was for Classic accounts; " +
		"the account may be switching modes, try again"
	msgClassic = "this Bitget account is in Classic mode and the call was for Unified Trading Accounts; " +
		"the account may be switching modes, try again"
	msgNoOrder = "the order does not exist or is no longer open"
)

// codes is the documented error table and the few codes beside it that
// the connector acts on. A code not listed is an invalid request, unless
// the HTTP status says otherwise (see codeError).
var codes = rest.Codes[string]{
	// authentication
	"40001": {Kind: sdk.KindAuthentication, Text: "the request carried no API key: %s"},
	"40002": {Kind: sdk.KindAuthentication, Text: "the request carried no signature: %s"},
	"40003": {Kind: sdk.KindAuthentication, Text: "the request carried no signature: %s"},
	"40006": {Kind: sdk.KindAuthentication, Text: msgUnknownKey + ": %s"},
	"40037": {Kind: sdk.KindAuthentication, Text: msgUnknownKey + ": %s"},
	"40041": {Kind: sdk.KindAuthentication, Text: msgUnknownKey + ": %s"},
	"40009": {Kind: sdk.KindAuthentication, Text: msgSignature + ": %s"},
	"40011": {Kind: sdk.KindAuthentication, Text: "the request carried no passphrase: %s"},
	"40012": {Kind: sdk.KindAuthentication, Text: msgPassphrase + ": %s"},
	"40036": {Kind: sdk.KindAuthentication, Text: msgPassphrase + ": %s"},
	// permission
	"40014": {Kind: sdk.KindPermission, Text: msgPermission + ": %s"},
	"40018": {Kind: sdk.KindPermission, Text: msgIP + ": %s"},
	"40038": {Kind: sdk.KindPermission, Text: msgIP + ": %s"},
	"40025": {Kind: sdk.KindPermission, Text: "the account or API key may not make this call: %s"},
	"40040": {Kind: sdk.KindPermission, Text: "the account or API key may not make this call: %s"},
	"40085": {Kind: sdk.KindPermission, Text: msgUTA + ": %s"},
	"40084": {Kind: sdk.KindPermission, Text: msgClassic + ": %s"},
	// clock
	"40005": {Kind: sdk.KindClockSkew, Text: "Bitget did not accept the request timestamp: %s"},
	"40008": {Kind: sdk.KindClockSkew, Text: "the request timestamp is outside Bitget's window: %s"},
	"40078": {Kind: sdk.KindClockSkew, Text: "the request time is outside the receive window: %s"},
	"40079": {Kind: sdk.KindClockSkew, Text: "the request time is outside the receive window: %s"},
	// unavailable; after the "system busy" ones a placed order may exist
	// (Unsure): Bitget does not say it refused the order, only that
	// something failed. A server upgrade (40200) turns requests away
	// before acting.
	"40015": {Kind: sdk.KindUnavailable, Text: "Bitget reports a system problem: %s", Unsure: true},
	"40200": {Kind: sdk.KindUnavailable, Text: "Bitget is being upgraded: %s"},
	"40725": {Kind: sdk.KindUnavailable, Text: "Bitget's service answered with an error: %s", Unsure: true},
	"45001": {Kind: sdk.KindUnavailable, Text: "Bitget reports a temporary failure: %s", Unsure: true},
	// funds
	"43012": {Kind: sdk.KindInsufficientFunds, Text: "insufficient spot balance: %s"},
	"40754": {Kind: sdk.KindInsufficientFunds, Text: "insufficient futures balance: %s"},
	"40762": {Kind: sdk.KindInsufficientFunds, Text: "the order amount exceeds the futures balance: %s"},
	"40798": {Kind: sdk.KindInsufficientFunds, Text: "insufficient futures balance: %s"},
	// symbols
	"40034": {Kind: sdk.KindUnknownSymbol, Text: "Bitget does not list this symbol: %s"},
	"40102": {Kind: sdk.KindUnknownSymbol, Text: "Bitget does not list this symbol: %s"},
	"42016": {Kind: sdk.KindUnknownSymbol, Text: "Bitget does not trade this symbol on spot: %s"},
	"40072": {Kind: sdk.KindUnknownSymbol, Text: "Bitget does not trade this contract: %s"},
	"40309": {Kind: sdk.KindUnknownSymbol, Text: "the contract has been removed: %s"},
	// requests
	"40017": {Kind: sdk.KindInvalidRequest, Text: "a parameter was rejected: %s"},
	"40019": {Kind: sdk.KindInvalidRequest, Text: "a parameter is missing: %s"},
	"40020": {Kind: sdk.KindInvalidRequest, Text: "a parameter was rejected: %s"},
	"40808": {Kind: sdk.KindInvalidRequest, Text: "the size has too many decimals: %s"},
	"41103": {Kind: sdk.KindInvalidRequest, Text: "the price has too many decimals: %s"},
	"45110": {Kind: sdk.KindInvalidRequest, Text: "the order is below the minimum amount: %s"},
	"43027": {Kind: sdk.KindInvalidRequest, Text: "a parameter was rejected: %s"},
	"43001": {Kind: sdk.KindOrderNotFound, Text: msgNoOrder + ": %s"},
	"40768": {Kind: sdk.KindOrderNotFound, Text: msgNoOrder + ": %s"},
	"22001": {Kind: sdk.KindOrderNotFound, Text: msgNoOrder + ": %s"},
	"40774": {Kind: sdk.KindInvalidRequest, Text: "the order does not fit the account's position mode (one-way or hedge): %s"},
}

// codeRateLimited is the body code of a 429 answer.
const codeRateLimited = "429"

// decodeError maps an answer to a typed error. Success is the body's code
// "00000", whatever the status: Bitget's errors arrive with HTTP 400 or 200
// depending on whom one asks, so the body decides.
func decodeError(r *rest.Response) error {
	var env envelope
	if json.Unmarshal(r.Body, &env) != nil || env.Code == "" {
		if r.Status >= 200 && r.Status <= 299 {
			return nil // a broken success; call reports it
		}
		return statusError(r)
	}
	if string(env.Code) == codeOK {
		return nil
	}
	return codeError(r, string(env.Code), env.text())
}

func codeError(r *rest.Response, code, msg string) error {
	msg = redact.Clip(msg, rest.MaxText)
	if code == codeRateLimited {
		return rateLimited(r, code, "too many requests: %s", msg)
	}
	if e, ok := codes.Error(r, code, msg); ok {
		return e
	}
	switch {
	case r.Status == http.StatusTooManyRequests:
		return rateLimited(r, code, "%s", msg)
	case r.Status >= 500:
		return r.Errorf(sdk.KindUnavailable, code, "%s", msg)
	}
	return r.Errorf(sdk.KindInvalidRequest, code, "%s", msg)
}

// banWait is how long Bitget is reported to refuse an address that went
// over its per-IP budget (third-party notes; not in the exchange's docs).
const banWait = 5 * time.Minute

// statusError maps answers that carry no Bitget body.
func statusError(r *rest.Response) error {
	switch r.Status {
	case http.StatusTooManyRequests:
		return rateLimited(r, "", "too many requests (HTTP 429)")
	case http.StatusForbidden:
		return rest.RateLimited(r, "", banWait,
			"Bitget refused this IP address (HTTP 403): it does so for some minutes after the address went over its request budget, "+
				"and for addresses in regions it does not serve")
	}
	return rest.StatusError(r)
}

// rateLimited asks to wait for Retry-After when Bitget sends one (it is not
// documented to), else one second: every documented limit counts per
// second, and Bitget asks to back off at least that long.
func rateLimited(r *rest.Response, code, format string, args ...any) *sdk.Error {
	return rest.RateLimited(r, code, time.Second, format, args...)
}

// headerRemaining is how many more calls the endpoint takes in the current
// window. The page does not document it; third-party clients read it from
// Bitget's answers, so it is reported when present.
const headerRemaining = "X-Mbx-Used-Remain-Limit"

// usage turns the remaining-calls header into the used share of the
// endpoint's documented limit.
func usage(r *rest.Response) []sdk.RateUsage {
	return card.Remaining(r.Header, headerRemaining, limitOf(r.Request.Path))
}
