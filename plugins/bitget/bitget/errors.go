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

// rule is what one Bitget code means to the host.
type rule struct {
	kind sdk.Kind
	why  string
}

// codes is the documented error table and the few codes beside it that
// the connector acts on. A code not listed is an invalid request, unless
// the HTTP status says otherwise (see codeError).
var codes = map[string]rule{
	// authentication
	"40001": {sdk.KindAuthentication, "the request carried no API key"},
	"40002": {sdk.KindAuthentication, "the request carried no signature"},
	"40003": {sdk.KindAuthentication, "the request carried no signature"},
	"40006": {sdk.KindAuthentication, msgUnknownKey},
	"40037": {sdk.KindAuthentication, msgUnknownKey},
	"40041": {sdk.KindAuthentication, msgUnknownKey},
	"40009": {sdk.KindAuthentication, msgSignature},
	"40011": {sdk.KindAuthentication, "the request carried no passphrase"},
	"40012": {sdk.KindAuthentication, msgPassphrase},
	"40036": {sdk.KindAuthentication, msgPassphrase},
	// permission
	"40014": {sdk.KindPermission, msgPermission},
	"40018": {sdk.KindPermission, msgIP},
	"40038": {sdk.KindPermission, msgIP},
	"40025": {sdk.KindPermission, "the account or API key may not make this call"},
	"40040": {sdk.KindPermission, "the account or API key may not make this call"},
	"40085": {sdk.KindPermission, msgUTA},
	"40084": {sdk.KindPermission, msgClassic},
	// clock
	"40005": {sdk.KindClockSkew, "Bitget did not accept the request timestamp"},
	"40008": {sdk.KindClockSkew, "the request timestamp is outside Bitget's window"},
	"40078": {sdk.KindClockSkew, "the request time is outside the receive window"},
	"40079": {sdk.KindClockSkew, "the request time is outside the receive window"},
	// unavailable
	"40015": {sdk.KindUnavailable, "Bitget reports a system problem"},
	"40200": {sdk.KindUnavailable, "Bitget is being upgraded"},
	"40725": {sdk.KindUnavailable, "Bitget's service answered with an error"},
	"45001": {sdk.KindUnavailable, "Bitget reports a temporary failure"},
	// funds
	"43012": {sdk.KindInsufficientFunds, "insufficient spot balance"},
	"40754": {sdk.KindInsufficientFunds, "insufficient futures balance"},
	"40762": {sdk.KindInsufficientFunds, "the order amount exceeds the futures balance"},
	"40798": {sdk.KindInsufficientFunds, "insufficient futures balance"},
	// symbols
	"40034": {sdk.KindUnknownSymbol, "Bitget does not list this symbol"},
	"40102": {sdk.KindUnknownSymbol, "Bitget does not list this symbol"},
	"42016": {sdk.KindUnknownSymbol, "Bitget does not trade this symbol on spot"},
	"40072": {sdk.KindUnknownSymbol, "Bitget does not trade this contract"},
	"40309": {sdk.KindUnknownSymbol, "the contract has been removed"},
	// requests
	"40017": {sdk.KindInvalidRequest, "a parameter was rejected"},
	"40019": {sdk.KindInvalidRequest, "a parameter is missing"},
	"40020": {sdk.KindInvalidRequest, "a parameter was rejected"},
	"40808": {sdk.KindInvalidRequest, "the size has too many decimals"},
	"41103": {sdk.KindInvalidRequest, "the price has too many decimals"},
	"45110": {sdk.KindInvalidRequest, "the order is below the minimum amount"},
	"43027": {sdk.KindInvalidRequest, "a parameter was rejected"},
	"43001": {sdk.KindOrderNotFound, msgNoOrder},
	"40768": {sdk.KindOrderNotFound, msgNoOrder},
	"22001": {sdk.KindOrderNotFound, msgNoOrder},
	"40774": {sdk.KindInvalidRequest, "the order does not fit the account's position mode (one-way or hedge)"},
}

// codeRateLimited is the body code of a 429 answer.
const codeRateLimited = "429"

// mayHaveActed are the "system busy" codes after which a placed order may
// exist: Bitget does not say it refused the order, only that something
// failed. A server upgrade (40200) turns requests away before acting.
var mayHaveActed = map[string]bool{"40015": true, "40725": true, "45001": true}

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
	if rl, ok := codes[code]; ok {
		if r.Request.Order && mayHaveActed[code] {
			return rest.UnknownOutcome(r.Errorf(rl.kind, code, "%s: %s", rl.why, msg))
		}
		return r.Errorf(rl.kind, code, "%s: %s", rl.why, msg)
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
