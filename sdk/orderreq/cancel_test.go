package orderreq

import (
	"strings"
	"testing"

	"github.com/globalautomation/gahost/sdk"
)

func TestCancel(t *testing.T) {
	r := Rules{Exchange: "ex", Futures: "swap"}
	digits := func(s string) bool { return strings.Trim(s, "0123456789") == "" }
	short := func(s string) bool { return len(s) <= 4 }
	tests := []struct {
		name     string
		req      sdk.CancelRequest
		isClient func(string) bool
		want     Target
		bad      string // a part of the refusal; "" when accepted
	}{
		{"by order id", sdk.CancelRequest{OrderID: "123"}, short, Target{OrderID: "123"}, ""},
		{"order id wins", sdk.CancelRequest{OrderID: "123", ClientOrderID: "far too long"}, short, Target{OrderID: "123"}, ""},
		{"by client id", sdk.CancelRequest{ClientOrderID: "ab"}, short, Target{ClientID: "ab"}, ""},
		{"any client id", sdk.CancelRequest{ClientOrderID: "anything at all"}, nil, Target{ClientID: "anything at all"}, ""},
		{"bad order id", sdk.CancelRequest{OrderID: "12a"}, short, Target{}, `order id "12a" is not one ex issues`},
		{"bad client id", sdk.CancelRequest{ClientOrderID: "abcdef"}, short, Target{}, `client order id "abcdef" is not one ex accepts`},
		{"neither", sdk.CancelRequest{}, short, Target{}, "cancel needs an order id or a client order id"},
		{"huge id", sdk.CancelRequest{OrderID: strings.Repeat("x", 1000)}, short, Target{}, "…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := r.Cancel(tt.req, digits, tt.isClient)
			if tt.bad != "" {
				if sdk.KindOf(err) != sdk.KindInvalidRequest || !strings.HasPrefix(err.Error(), "ex: ") ||
					!strings.Contains(err.Error(), tt.bad) || len(err.Error()) > 400 {
					t.Fatalf("Cancel = %+v, %v; want an invalid_request with %q", got, err, tt.bad)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("Cancel = %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

func TestStatus(t *testing.T) {
	odd := map[string]sdk.OrderStatus{"PENDING_NEW": sdk.StatusNew, "CANCELLED": sdk.StatusCanceled}
	for word, want := range map[string]sdk.OrderStatus{
		"NEW": sdk.StatusNew, "PARTIALLY_FILLED": sdk.StatusPartiallyFilled, "FILLED": sdk.StatusFilled,
		"CANCELED": sdk.StatusCanceled, "REJECTED": sdk.StatusRejected, "EXPIRED": sdk.StatusExpired,
		"PENDING_NEW": sdk.StatusNew, "CANCELLED": sdk.StatusCanceled, "HALTED": "halted",
	} {
		if got := Status(word, odd); got != want {
			t.Errorf("Status(%q) = %q, want %q", word, got, want)
		}
	}
}
