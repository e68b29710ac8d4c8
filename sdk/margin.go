package sdk

import "strings"

// MarginModeOf reads a position's margin mode the way the exchanges word
// it, in any case: "isolated" is MarginIsolate, "cross" and "crossed" are
// MarginCross. ok is false for any other word, which the connector judges
// (a fallback of its own, or a malformed answer).
func MarginModeOf(word string) (mode MarginMode, ok bool) {
	switch strings.ToLower(word) {
	case "isolated":
		return MarginIsolate, true
	case "cross", "crossed":
		return MarginCross, true
	}
	return "", false
}
