// Package num turns the decimal strings exchanges send into exact decimals,
// strictly: a value that is not a plain decimal number is an error, never a
// silent zero and never a float64.
//
// It owns parsing and formatting only, and Text, the JSON field that
// arrives as a string or as a number and is kept as its text. Whether an empty string means zero
// is the caller's call (ParseOrZero says so explicitly), because for some
// fields an exchange sends "" meaning zero and for others "" is a broken
// answer.
package num

import (
	"errors"
	"fmt"

	"github.com/globalautomation/gahost/sdk/redact"
	"github.com/shopspring/decimal"
)

// ErrSyntax is wrapped by every parse failure.
var ErrSyntax = errors.New("not a decimal number")

// Parse reads a plain decimal string: an optional sign, digits, and an
// optional fraction ("12", "-0.5", "0.00100000", ".5"). Exponents, spaces,
// "NaN", "Infinity" and the empty string are rejected: exchanges document
// their amounts as plain decimals, so anything else is a broken answer that
// must not turn into a wrong balance.
func Parse(s string) (decimal.Decimal, error) {
	if !plain(s) {
		return decimal.Zero, fmt.Errorf("%w: %q", ErrSyntax, redact.Clip(s, 40))
	}
	d, err := decimal.NewFromString(s)
	if err != nil {
		return decimal.Zero, fmt.Errorf("%w: %q", ErrSyntax, redact.Clip(s, 40))
	}
	return d, nil
}

// ParseOrZero is Parse, except that "" is zero. Use it for fields the
// exchange documents as possibly empty when there is nothing to report.
func ParseOrZero(s string) (decimal.Decimal, error) {
	if s == "" {
		return decimal.Zero, nil
	}
	return Parse(s)
}

// Format renders d the way exchanges want amounts sent: plain notation with
// no exponent and no trailing zeros ("0.00001", never "1e-05").
func Format(d decimal.Decimal) string {
	return d.String()
}

// Fields parses several fields of one answer and keeps the first failure,
// so a mapping function reads as a list of fields followed by one check.
//
//	var f num.Fields
//	free := f.Parse("free", b.Free)
//	locked := f.Parse("locked", b.Locked)
//	if err := f.Err(); err != nil { ... }
type Fields struct {
	err error
}

// Parse parses s with Parse, recording the first failure under name.
func (f *Fields) Parse(name, s string) decimal.Decimal {
	d, err := Parse(s)
	f.keep(name, err)
	return d
}

// ParseOrZero parses s with ParseOrZero, recording the first failure.
func (f *Fields) ParseOrZero(name, s string) decimal.Decimal {
	d, err := ParseOrZero(s)
	f.keep(name, err)
	return d
}

// Err returns the first failure, naming the field, or nil.
func (f *Fields) Err() error { return f.err }

func (f *Fields) keep(name string, err error) {
	if err != nil && f.err == nil {
		f.err = fmt.Errorf("field %s: %w", name, err)
	}
}

func plain(s string) bool {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	digits, dot := 0, false
	for ; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			digits++
		case c == '.' && !dot:
			dot = true
		default:
			return false
		}
	}
	return digits > 0
}
