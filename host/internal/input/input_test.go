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
