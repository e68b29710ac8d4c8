package okx

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/num"
	"github.com/globalautomation/gahost/sdk/redact"
	"github.com/globalautomation/gahost/sdk/rest"
)

// envelope is the object every answer comes in: code is a string,
// "0" on success; data is always an array, and may be missing on errors.
type envelope struct {
	Code okxCode         `json:"code"`
	Msg  string          `json:"msg"`
	Data json.RawMessage `json:"data"`
}

// itemResult is the per-item verdict of order and cancel answers.
type itemResult struct {
	SCode   string `json:"sCode"`
	SMsg    string `json:"sMsg"`
	SubCode string `json:"subCode"`
}

// okxCode reads a code written as a string (as documented) or, to be safe
// with error bodies from other layers, as a number.
type okxCode = num.Text

// rateWindow is the length of OKX's rate-limit windows. OKX sends no
// Retry-After, so a rate-limited caller waits one window.
const rateWindow = 2 * time.Second

// Messages for the answers a user has to act on; OKX's own wording names
// the header, not the cause.
const (
	msgUnknownKey  = "OKX does not know this API key: check that it was copied whole and that it was not deleted"
	msgEnvironment = "the API key belongs to the other OKX environment: demo-trading keys need the account marked as testnet, live keys need it unmarked"
	msgPassphrase  = "the passphrase is wrong: it is the one chosen when the API key was created (OKX cannot show it again)"
	msgSignature   = "OKX rejected the signature: the secret key does not belong to this API key"
	msgIP          = "this server's IP address is not on the API key's IP whitelist"
	msgTradePerm   = "the API key lacks the permission this call needs (e.g. Trade for orders); edit the key's permissions on OKX"
	msgAcctMode    = "the OKX account mode does not allow this (e.g. perpetual swaps in Spot mode); switch the account mode in OKX's trading settings"
)

// rule says what an OKX code means to the host. An empty text keeps OKX's
// own message.
type rule struct {
	kind sdk.Kind
	text string
	// outcomeUnknown marks codes that leave an order's fate open.
	outcomeUnknown bool
	// limited marks rate-limit codes, answered with a retry-after.
	limited bool
}

// errorTable is the documented error table, code by code.
var errorTable = map[string]rule{
	"1":     {kind: sdk.KindInvalidRequest},
	"2":     {kind: sdk.KindInvalidRequest},
	"50000": {kind: sdk.KindInvalidRequest},
	"50001": {kind: sdk.KindUnavailable, outcomeUnknown: true},
	"50002": {kind: sdk.KindInvalidRequest},
	"50004": {kind: sdk.KindUnavailable, outcomeUnknown: true},
	"50006": {kind: sdk.KindInvalidRequest},
	"50011": {kind: sdk.KindRateLimited, limited: true},
	// "Systems are busy" is OKX's load, not our rate: transient. It comes
	// as HTTP 429, and any 429 asks for a wait, so it arrives as a
	// rate-limited error with one.
	"50013": {kind: sdk.KindUnavailable},
	"50014": {kind: sdk.KindInvalidRequest},
	"50026": {kind: sdk.KindUnavailable, outcomeUnknown: true},
	"50061": {kind: sdk.KindRateLimited, limited: true, text: "the account's order rate limit (new and amended orders per 2 s) is reached"},
	"50101": {kind: sdk.KindAuthentication, text: msgEnvironment},
	"50102": {kind: sdk.KindClockSkew, text: "request timestamp more than 30 s away from OKX's clock"},
	"50103": {kind: sdk.KindAuthentication, text: "no API key reached OKX"},
	"50104": {kind: sdk.KindAuthentication, text: "no passphrase reached OKX"},
	"50105": {kind: sdk.KindAuthentication, text: msgPassphrase},
	// A missing signature or timestamp header, or a malformed timestamp,
	// is the request's fault (a proxy stripping headers), not the keys'.
	"50106": {kind: sdk.KindInvalidRequest, text: "the OK-ACCESS-SIGN header did not reach OKX"},
	"50107": {kind: sdk.KindInvalidRequest, text: "the OK-ACCESS-TIMESTAMP header did not reach OKX"},
	"50110": {kind: sdk.KindPermission, text: msgIP},
	"50111": {kind: sdk.KindAuthentication, text: msgUnknownKey},
	"50112": {kind: sdk.KindInvalidRequest, text: "OKX could not read the request timestamp"},
	"50113": {kind: sdk.KindAuthentication, text: msgSignature},
	"50114": {kind: sdk.KindAuthentication},
	"50115": {kind: sdk.KindInvalidRequest},
	"50120": {kind: sdk.KindPermission, text: msgTradePerm},
	"51000": {kind: sdk.KindInvalidRequest},
	"51001": {kind: sdk.KindUnknownSymbol},
	"51008": {kind: sdk.KindInsufficientFunds},
	"51010": {kind: sdk.KindUnsupported, text: msgAcctMode},
	"51016": {kind: sdk.KindInvalidRequest},
	"51020": {kind: sdk.KindInvalidRequest},
	"51121": {kind: sdk.KindInvalidRequest},
	"51131": {kind: sdk.KindInsufficientFunds},
	"51400": {kind: sdk.KindOrderNotFound},
}

// Codes the connector acts on beyond their kind.
const (
	codeUnknownKey  = "50111"
	codeEnvironment = "50101"
)

// decodeError maps an answer to a typed error: the code decides, not
// the HTTP status, since business errors come back as 200. For order and
// cancel answers the verdict is in data[].sCode.
func decodeError(r *rest.Response) error {
	var env envelope
	if json.Unmarshal(r.Body, &env) != nil || env.Code == "" {
		if r.Status >= 200 && r.Status <= 299 {
			return nil // not an envelope: the caller's decoding says so
		}
		return statusError(r)
	}
	switch env.Code {
	case "0":
		return nil
	case "1", "2":
		var items []itemResult
		_ = json.Unmarshal(env.Data, &items)
		for _, it := range items {
			if it.SCode != "" && it.SCode != "0" {
				return codeError(r, it.SCode, it.SMsg, true)
			}
		}
	}
	return codeError(r, string(env.Code), env.Msg, false)
}

// statusError handles answers without an OKX envelope (a gateway's page).
func statusError(r *rest.Response) error {
	if r.Status == http.StatusTooManyRequests {
		// Without a Retry-After from a layer in front of OKX, the wait is one of
		// OKX's two-second windows.
		return rest.RateLimited(r, "", rateWindow, "too many requests (HTTP 429)")
	}
	return rest.StatusError(r)
}

// codeError maps one code; item says it is an order's or cancel's sCode,
// the verdict on a request OKX read and refused.
func codeError(r *rest.Response, code, msg string, item bool) error {
	msg = redact.Clip(msg, rest.MaxText)
	ru, known := errorTable[code]
	if !known {
		ru = fallback(r, code, item)
	}
	text := ru.text
	if text == "" {
		text = msg
	}
	if text == "" {
		text = "OKX answered code " + code
	}
	switch {
	case ru.limited || r.Status == http.StatusTooManyRequests:
		return rest.RateLimited(r, code, rateWindow, "%s", text)
	case ru.outcomeUnknown:
		return rest.Unsure(r, ru.kind, code, "%s", text)
	}
	return r.Errorf(ru.kind, code, "%s", text)
}

// fallback classifies a code the table does not list by where it comes
// from: 51xxx and per-item sCodes are order rejections, 401 is OKX's auth
// layer.
func fallback(r *rest.Response, code string, item bool) rule {
	switch {
	case r.Status == http.StatusUnauthorized:
		return rule{kind: sdk.KindAuthentication}
	case r.Status >= 500:
		return rule{kind: sdk.KindUnavailable, outcomeUnknown: true}
	case item, strings.HasPrefix(code, "51"), r.Status >= 400:
		return rule{kind: sdk.KindInvalidRequest}
	}
	return rule{kind: sdk.KindUnknown}
}
