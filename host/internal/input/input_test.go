package input

import (
	"errors"
	"strings"
	"testing"
)

func TestName(t *testing.T) {
	tests := []struct {
		name, code string
	}{
		{"main", ""},
		{strings.Repeat("é", MaxNameLen), ""},
		{"", CodeMissingField},
		{"  \t", CodeMissingField},
		{strings.Repeat("x", MaxNameLen+1), CodeInvalidName},
		{"a\x00b", CodeInvalidName},
		{"a\nb", CodeInvalidName},
		{"bad\xffutf8", CodeInvalidName},
		{"invoice\u202Egpj.exe", CodeInvalidName}, // right-to-left override
		{"a\u202Ab", CodeInvalidName},             // left-to-right embedding
		{"a\u2066b\u2069", CodeInvalidName},       // isolates
		{"a\u200Fb", CodeInvalidName},             // right-to-left mark
		{"a\u061Cb", CodeInvalidName},             // Arabic letter mark
		{"a\u2028b", CodeInvalidName},             // line separator
		{"a\u0085b", CodeInvalidName},             // next line (C1 control)
		{"bad\uFFFDutf8", CodeInvalidName},        // what a JSON decoder makes of invalid UTF-8
		{"family \U0001F468\u200D\U0001F469\u200D\U0001F467", ""},
		{"Binance Haupt-Konto", ""},
		{"\u05D7\u05E9\u05D1\u05D5\u05DF", ""}, // Hebrew text is fine; only the controls are not
	}
	for _, tt := range tests {
		err := Name(tt.name)
		var ie *Error
		switch {
		case tt.code == "" && err != nil:
			t.Errorf("Name(%q) = %v", tt.name, err)
		case tt.code != "" && (!errors.As(err, &ie) || ie.Code != tt.code):
			t.Errorf("Name(%q) = %v, want code %s", tt.name, err, tt.code)
		}
	}
}
