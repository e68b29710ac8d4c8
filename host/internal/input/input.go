// Package input holds what the services share about judging what a client
// sent: the error that turns a request down with a stable snake_case code
// and a message safe to show, the checks more than one service applies
// (names), and the clipping of a client's text before it is echoed.
//
// A service returns *Error for a request that is wrong as sent; the api
// package answers it 400 with the code and the message as they are. This
// package knows nothing of HTTP and must never put a secret in a message.
package input

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Codes of the errors this package makes; services define their own too.
// They are part of the REST API: add, never rename.
const (
	CodeMissingField = "missing_field"
	CodeInvalidField = "invalid_field"
	CodeInvalidName  = "invalid_name"
)

// Error is a request turned down as sent: Code is stable, Message says
// what is wrong without echoing anything secret.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Message }

// Errorf makes an *Error with a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// MaxNameLen bounds the name of an account or a webhook, in characters.
const MaxNameLen = 100

// Name checks the name of an account or a webhook: not blank, at most
// MaxNameLen characters, and nothing that would show other admins a name
// that is not what it seems: no control characters, line or paragraph
// separators, text-direction controls (U+202E turns "gpj.exe" around) and
// no invalid UTF-8, including what a JSON decoder already turned into
// U+FFFD.
func Name(name string) error {
	switch {
	case strings.TrimSpace(name) == "":
		return &Error{Code: CodeMissingField, Message: "name is required"}
	case utf8.RuneCountInString(name) > MaxNameLen || !utf8.ValidString(name) || strings.IndexFunc(name, hiddenRune) >= 0:
		return Errorf(CodeInvalidName,
			"name must be at most %d characters of valid UTF-8, without control or text-direction characters", MaxNameLen)
	}
	return nil
}

// hiddenRune reports a character a name must not hold.
func hiddenRune(r rune) bool {
	return unicode.IsControl(r) || unicode.In(r, unicode.Bidi_Control, unicode.Zl, unicode.Zp) || r == utf8.RuneError
}
