package secrets

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
)

// KeySize is the length of a master key in bytes (AES-256).
const KeySize = 32

// formatV1 is the only sealed format so far; the byte lets a later format
// coexist with stored v1 values.
const formatV1 byte = 1

const (
	keyIDSize  = 8
	nonceSize  = 12
	headerSize = 1 + keyIDSize + nonceSize
	tagSize    = 16
)

// Errors of sealing and opening. Both mean "unreadable": the caller must
// never fall back to a plaintext or another record.
var (
	// ErrWrongKey: the value was sealed under another master key.
	ErrWrongKey = errors.New("sealed under another master key")
	// ErrCorrupt: the value does not open for this account and field with
	// this key (tampered with, truncated, or copied from elsewhere).
	ErrCorrupt = errors.New("sealed value does not open for this account and field")
)

// KeyID names a key without revealing it: the first 8 bytes of a SHA-256
// over a label and the key. It is safe to log.
type KeyID [keyIDSize]byte

func (id KeyID) String() string { return hex.EncodeToString(id[:]) }

// Key is a master key ready to seal and open. It is safe for concurrent use.
// Its String method prints only the key id, so a Key in a log line or error
// leaks nothing.
//
// A Key may carry retired keys (see [Unlock]): they only open values sealed
// under their own key id, such as those in a database restored from a backup
// taken before a rotation. Sealing always uses the key itself.
type Key struct {
	id   KeyID
	aead cipher.AEAD
	// mac keys Fingerprint: derived from the master key, never the key
	// itself, so a fingerprint says nothing of the sealing key.
	mac []byte
	// retired is never written after the Key is built, so reads need no lock.
	retired map[KeyID]*Key
}

// NewKey makes a Key from 32 raw bytes. The bytes are not retained.
func NewKey(raw []byte) (*Key, error) {
	if len(raw) != KeySize {
		return nil, fmt.Errorf("master key must be %d bytes, got %d", KeySize, len(raw))
	}
	block, err := aes.NewCipher(raw)
	if err != nil {
		return nil, fmt.Errorf("master key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("master key: %w", err)
	}
	h := sha256.New()
	h.Write([]byte("gahost master key id v1\x00"))
	h.Write(raw)
	var id KeyID
	copy(id[:], h.Sum(nil))
	mac, err := hkdf.Key(sha256.New, raw, nil, "gahost fingerprint key v1", sha256.Size)
	if err != nil {
		return nil, fmt.Errorf("master key: %w", err)
	}
	return &Key{id: id, aead: aead, mac: mac}, nil
}

// Fingerprint returns a keyed hash (HMAC-SHA-256 under a key derived from
// the master key) of value for purpose: equal values give equal
// fingerprints under one master key, so a secret can be compared with the
// stored ones without being stored in the clear; without the master key a
// fingerprint cannot be checked against guesses, as a plain hash could.
// Fingerprints change with the master key (see Reseal's callers).
func (k *Key) Fingerprint(purpose, value string) []byte {
	m := hmac.New(sha256.New, k.mac)
	m.Write([]byte(purpose))
	m.Write([]byte{0})
	m.Write([]byte(value))
	return m.Sum(nil)
}

// generateRaw returns 32 random bytes for a new key.
func generateRaw() ([]byte, error) {
	raw := make([]byte, KeySize)
	if _, err := rand.Read(raw); err != nil {
		return nil, fmt.Errorf("generate master key: %w", err)
	}
	return raw, nil
}

// GenerateKey returns a new random key (for tests and tools; the daemon gets
// its key from Unlock).
func GenerateKey() (*Key, error) {
	raw, err := generateRaw()
	if err != nil {
		return nil, err
	}
	return NewKey(raw)
}

// ID returns the key id.
func (k *Key) ID() KeyID { return k.id }

// RetiredIDs returns the ids of the retired keys k carries, sorted.
func (k *Key) RetiredIDs() []KeyID {
	ids := make([]KeyID, 0, len(k.retired))
	for id := range k.retired {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, func(a, b KeyID) int { return bytes.Compare(a[:], b[:]) })
	return ids
}

// withRetired returns a copy of k that also opens values sealed under the
// given keys. The current key's own id is never taken from the list.
func (k *Key) withRetired(retired []*Key) *Key {
	c := &Key{id: k.id, aead: k.aead, mac: k.mac}
	for _, r := range retired {
		if r.id == k.id {
			continue
		}
		if c.retired == nil {
			c.retired = map[KeyID]*Key{}
		}
		c.retired[r.id] = &Key{id: r.id, aead: r.aead, mac: r.mac}
	}
	return c
}

func (k *Key) String() string { return "secrets.Key{id=" + k.id.String() + "}" }

// GoString keeps %#v from printing the cipher state.
func (k *Key) GoString() string { return k.String() }

// additionalData binds a sealed value to its header (format and key id), the
// account and the field. Lengths are prefixed so no two (account, field)
// pairs can encode to the same bytes.
func additionalData(header []byte, accountID, field string) []byte {
	ad := make([]byte, 0, 16+len(header)+len(accountID)+len(field)+2*binary.MaxVarintLen64)
	ad = append(ad, "gahost secret\x00"...)
	ad = append(ad, header[:1+keyIDSize]...)
	ad = binary.AppendUvarint(ad, uint64(len(accountID)))
	ad = append(ad, accountID...)
	ad = binary.AppendUvarint(ad, uint64(len(field)))
	ad = append(ad, field...)
	return ad
}

// Seal encrypts plaintext for one field of one account under a fresh random
// nonce.
func (k *Key) Seal(accountID, field string, plaintext []byte) ([]byte, error) {
	out := make([]byte, headerSize, headerSize+len(plaintext)+tagSize)
	out[0] = formatV1
	copy(out[1:], k.id[:])
	if _, err := rand.Read(out[1+keyIDSize : headerSize]); err != nil {
		return nil, fmt.Errorf("seal: nonce: %w", err)
	}
	return k.aead.Seal(out, out[1+keyIDSize:headerSize], plaintext, additionalData(out, accountID, field)), nil
}

// Open decrypts a value sealed by Seal for the same account and field. It
// returns ErrWrongKey or ErrCorrupt (wrapped) when it cannot.
func (k *Key) Open(accountID, field string, sealed []byte) ([]byte, error) {
	if len(sealed) < headerSize+tagSize {
		return nil, fmt.Errorf("%w: too short", ErrCorrupt)
	}
	if sealed[0] != formatV1 {
		return nil, fmt.Errorf("%w: unknown format version %d", ErrCorrupt, sealed[0])
	}
	use := k
	if id, _ := SealedKeyID(sealed); id != k.id {
		if use = k.retired[id]; use == nil {
			return nil, fmt.Errorf("%w: value has key id %s, this key is %s", ErrWrongKey, id, k.id)
		}
	}
	pt, err := use.aead.Open(nil, sealed[1+keyIDSize:headerSize], sealed[headerSize:], additionalData(sealed, accountID, field))
	if err != nil {
		return nil, ErrCorrupt
	}
	return pt, nil
}

// SealedKeyID returns the id of the key a value was sealed under, as its
// header claims; ok is false when the value is not a sealed value.
func SealedKeyID(sealed []byte) (id KeyID, ok bool) {
	if len(sealed) < 1+keyIDSize || sealed[0] != formatV1 {
		return id, false
	}
	copy(id[:], sealed[1:1+keyIDSize])
	return id, true
}
