package rest

// Error helpers every connector's error mapping shares.

import (
	"errors"

	"github.com/globalautomation/gahost/sdk"
)

// MaxText bounds the exchange's own text (a message, an odd value) carried
// into an error: enough to tell what happened, not a whole page. Clip it
// with redact.Clip.
const MaxText = 300

// Malformed reports an answer the exchange should not have sent: what
// names the part that did not decode. It is KindUnknown, so the caller
// treats it as transient.
func Malformed(exchange, what string, err error) error {
	return sdk.Errorf(sdk.KindUnknown, "%s: malformed %s in the answer: %v", exchange, what, err)
}

// ExchangeCode returns the exchange's own code carried by err, or "".
func ExchangeCode(err error) string {
	var e *sdk.Error
	if errors.As(err, &e) {
		return e.ExchangeCode
	}
	return ""
}
