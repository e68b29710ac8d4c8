package secrets

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"
)

// TokenPrefix starts every API token, so a token is recognisable in a
// leaked config or by secret scanners.
const TokenPrefix = "gah_"

// TokenHash is what the store keeps of a token.
type TokenHash [sha256.Size]byte

// NewToken returns a new random token (32 bytes of entropy) and its hash.
// The token is shown once to its owner; only the hash is stored.
func NewToken() (token string, hash TokenHash, err error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", TokenHash{}, fmt.Errorf("new token: %w", err)
	}
	token = TokenPrefix + base64.RawURLEncoding.EncodeToString(b[:])
	return token, HashToken(token), nil
}

// HashToken returns the stored form of a token. A token has 256 bits of
// entropy, so a plain SHA-256 is enough: there is nothing to brute-force.
func HashToken(token string) TokenHash {
	return sha256.Sum256([]byte(token))
}

// LooksLikeToken reports whether s has the shape of a token, to reject
// garbage before touching the store.
func LooksLikeToken(s string) bool {
	return strings.HasPrefix(s, TokenPrefix) && len(s) == len(TokenPrefix)+43
}

// Equal compares two hashes in constant time.
func (h TokenHash) Equal(other []byte) bool {
	return subtle.ConstantTimeCompare(h[:], other) == 1
}
