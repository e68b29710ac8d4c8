package rest_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/rest"
)

func TestCodes(t *testing.T) {
	table := rest.Codes[int64]{
		-1021: {Kind: sdk.KindClockSkew, Text: "timestamp outside the window: %s"},
		-1022: {Kind: sdk.KindAuthentication, Text: "signature not valid (100% sure)"},
		-1121: {Kind: sdk.KindUnknownSymbol},
		-1007: {Kind: sdk.KindUnavailable, Unsure: true},
	}
	read := &rest.Response{Request: &rest.Request{Path: "/read"}}
	order := &rest.Response{Request: &rest.Request{Path: "/order", Order: true}}
	tests := []struct {
		name string
		r    *rest.Response
		code int64
		kind sdk.Kind
		text string
	}{
		{"format with the exchange's text", read, -1021, sdk.KindClockSkew, "timestamp outside the window: late"},
		{"fixed text replaces it, taken literally", read, -1022, sdk.KindAuthentication, "signature not valid (100% sure)"},
		{"no text keeps the exchange's", read, -1121, sdk.KindUnknownSymbol, "late"},
		{"unsure on a read keeps its kind", read, -1007, sdk.KindUnavailable, "late"},
		{"unsure after an order", order, -1007, sdk.KindUnknownOutcome, "late"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, ok := table.Error(tt.r, tt.code, "late")
			if !ok {
				t.Fatal("listed code not found")
			}
			if e.Kind != tt.kind || !strings.Contains(e.Message, tt.text) || e.ExchangeCode != strconv.FormatInt(tt.code, 10) {
				t.Errorf("got %v %q code %q, want %v containing %q", e.Kind, e.Message, e.ExchangeCode, tt.kind, tt.text)
			}
		})
	}
	if _, ok := table.Error(read, 42, "x"); ok {
		t.Error("an unlisted code was found")
	}
}
