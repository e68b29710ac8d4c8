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
// MaxNameLen characters, no control characters.
func Name(name string) error {
	switch {
	case strings.TrimSpace(name) == "":
		return &Error{Code: CodeMissingField, Message: "name is required"}
	case utf8.RuneCountInString(name) > MaxNameLen || !utf8.ValidString(name) || strings.IndexFunc(name, unicode.IsControl) >= 0:
		return Errorf(CodeInvalidName, "name must be at most %d characters without control characters", MaxNameLen)
	}
	return nil
}
