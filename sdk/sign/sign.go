// Package sign holds the HMAC primitives that exchange connectors and their
// fake servers share: HMAC-SHA256 rendered as lower-case hex or standard
// base64, and a constant-time comparison for the fakes' signature checks.
//
// It knows nothing about any exchange: what bytes are signed (query,
// timestamp, body, in which order) is each connector's business. It must
// never log or return a secret or a signature inside an error.
package sign

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"strings"
)

// HMACSHA256 returns the raw 32-byte HMAC-SHA256 of payload under secret.
// The secret is used as its UTF-8 bytes, which is what every supported
// exchange does (none of them hex- or base64-decodes the secret first).
func HMACSHA256(secret, payload []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write(payload)
	return m.Sum(nil)
}

// Hex returns the lower-case hex HMAC-SHA256 of payload (Binance, Bybit,
// BingX).
func Hex(secret, payload string) string {
	return hex.EncodeToString(HMACSHA256([]byte(secret), []byte(payload)))
}

// Base64 returns the standard, padded base64 HMAC-SHA256 of payload (OKX,
// Bitget).
func Base64(secret, payload string) string {
	return base64.StdEncoding.EncodeToString(HMACSHA256([]byte(secret), []byte(payload)))
}

// Equal compares two signatures in constant time, so that a fake server
// does not teach a timing attack to anyone who copies it.
func Equal(got, want string) bool {
	return subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// EqualHexFold is Equal for hex signatures that the exchange compares
// case-insensitively (Binance, BingX).
func EqualHexFold(got, want string) bool {
	return Equal(strings.ToLower(got), strings.ToLower(want))
}
