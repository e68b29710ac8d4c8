// Package redact makes text safe to log or to return in an error: it removes
// credentials, whole or in part, and clips quoted exchange answers to a
// readable length without cutting a character in half.
//
// It is the one redaction policy of gahost: the sdk's boundary, its HTTP
// client and the host all call it, so a message that one of them lets
// through would not be caught by another with a stricter rule.
package redact

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Window is the length of the shortest run of a secret that is removed: any
// 8 consecutive bytes of a secret are as telling as the whole of it.
const Window = 8

// Mark replaces what is removed.
const Mark = "[redacted]"

// String removes from msg every secret and every run of Window or more bytes
// taken from one, so a message that an exchange or a plugin wrote cannot
// hand a key back even in part (a truncated echo, a key inside a URL).
// Secrets shorter than 3 bytes are left alone: they would blank out ordinary
// words and protect nothing. The result is valid UTF-8.
func String(msg string, secrets ...string) string {
	if msg == "" {
		return msg
	}
	var mask []bool // allocated only when something matches
	mark := func(sub string) {
		for from := 0; from <= len(msg)-len(sub); {
			i := strings.Index(msg[from:], sub)
			if i < 0 {
				return
			}
			if mask == nil {
				mask = make([]bool, len(msg))
			}
			for j := from + i; j < from+i+len(sub); j++ {
				mask[j] = true
			}
			from += i + 1
		}
	}
	for _, s := range secrets {
		switch {
		case len(s) < 3:
		case len(s) < Window:
			mark(s)
		default:
			for i := 0; i+Window <= len(s); i++ {
				mark(s[i : i+Window])
			}
		}
	}
	if mask == nil {
		return strings.ToValidUTF8(msg, "")
	}
	var b strings.Builder
	b.Grow(len(msg))
	for i := 0; i < len(msg); {
		if mask[i] {
			for i < len(msg) && mask[i] {
				i++
			}
			b.WriteString(Mark)
			continue
		}
		b.WriteByte(msg[i])
		i++
	}
	// A secret that began or ended inside a multi-byte character leaves a
	// partial one behind.
	return strings.ToValidUTF8(b.String(), "")
}

// Clip shortens s to at most n bytes, cutting at a character boundary and
// ending with "…" when anything was cut. Invalid UTF-8 is dropped and
// control characters (line breaks, escapes) become spaces first, so the
// result is valid and printable: a value echoed in a message or a log line
// cannot forge another line.
func Clip(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(s, ""))
	if len(s) <= n {
		return s
	}
	const ellipsis = "…"
	cut := n - len(ellipsis)
	if cut <= 0 {
		cut = min(n, len(s))
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		return s[:cut]
	}
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + ellipsis
}
