package orderreq

import (
	"strings"

	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/redact"
)

// Target is the order a cancel names, as Cancel checked it: the
// exchange's order id when the request gives one, else the client order
// id. Exactly one of the two is set.
type Target struct {
	OrderID  string
	ClientID string
}

// Cancel checks which order req names. The exchange's order id wins when
// both ids are given, and must pass isID; a client order id must pass
// isClientID, or is left to the exchange to judge when isClientID is nil.
// A request naming neither is refused. A refusal is an *sdk.Error of
// KindInvalidRequest, worded like Check's.
func (r Rules) Cancel(req sdk.CancelRequest, isID, isClientID func(string) bool) (Target, error) {
	switch {
	case req.OrderID != "":
		if !isID(req.OrderID) {
			return Target{}, r.Invalid("order id %q is not one %s issues", redact.Clip(req.OrderID, 300), r.Exchange)
		}
		return Target{OrderID: req.OrderID}, nil
	case req.ClientOrderID != "":
		if isClientID != nil && !isClientID(req.ClientOrderID) {
			return Target{}, r.Invalid("client order id %q is not one %s accepts", redact.Clip(req.ClientOrderID, 300), r.Exchange)
		}
		return Target{ClientID: req.ClientOrderID}, nil
	}
	return Target{}, r.Invalid("cancel needs an order id or a client order id")
}

// Status is an exchange's word for an order's status in the sdk's terms.
// Most exchanges write the sdk's words upper-case (NEW, PARTIALLY_FILLED,
// FILLED, CANCELED, REJECTED, EXPIRED), which are taken as they are, lower
// case; odd lists the exchange's other words (PENDING_NEW, CANCELLED, …).
// A word neither covers is passed on lower-case rather than guessed at.
func Status(word string, odd map[string]sdk.OrderStatus) sdk.OrderStatus {
	if s, ok := odd[word]; ok {
		return s
	}
	return sdk.OrderStatus(strings.ToLower(word))
}
