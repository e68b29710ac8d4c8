package orderreq

import (
	"strings"
	"time"

	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/symbol"
)

// Ack is what an exchange that acknowledges an order before matching it
// answers: the ids it gave the order and, when it says, the time it took
// it.
type Ack struct {
	OrderID  string
	ClientID string
	At       time.Time // zero when the answer has no time
}

// Accepted is the order an Ack stands for: status new, with the side,
// type, quantity and price of req (a spot market order sized in the quote
// asset has no base quantity yet). sentClientID, the client order id the
// order went out with, stands in when the answer leaves its own out;
// reduceOnly says whether it went out reduce-only.
func Accepted(mkt sdk.Market, sym symbol.Symbol, req sdk.OrderRequest, ack Ack, sentClientID string, reduceOnly bool) sdk.Order {
	out := sdk.Order{
		ID:            ack.OrderID,
		ClientOrderID: ack.ClientID,
		Market:        mkt,
		Symbol:        sym.String(),
		Side:          sdk.Side(strings.ToLower(string(req.Side))),
		Type:          sdk.OrderType(strings.ToLower(string(req.Type))),
		Status:        sdk.StatusNew,
		Quantity:      req.Quantity,
		Price:         req.Price,
		ReduceOnly:    reduceOnly,
		CreatedAt:     ack.At,
	}
	if out.ClientOrderID == "" {
		out.ClientOrderID = sentClientID
	}
	return out
}

// Canceled is the order a cancel acknowledgement describes: status
// canceled, named by the ids in the answer, and where the answer leaves
// one out by the one in sent, the ids the cancel went out with.
func Canceled(mkt sdk.Market, sym symbol.Symbol, answer, sent Target) sdk.Order {
	out := sdk.Order{
		ID: answer.OrderID, ClientOrderID: answer.ClientID,
		Market: mkt, Symbol: sym.String(), Status: sdk.StatusCanceled,
	}
	if out.ID == "" {
		out.ID = sent.OrderID
	}
	if out.ClientOrderID == "" {
		out.ClientOrderID = sent.ClientID
	}
	return out
}
