package secrets

import (
	"fmt"

	"github.com/globalautomation/gahost/sdk/redact"
)

// Field names of an account's secrets; each is part of the additional data
// of its ciphertext.
const (
	FieldAPIKey     = "api_key"
	FieldSecretKey  = "secret_key"
	FieldPassphrase = "passphrase"
)

// Credentials are an exchange account's secrets in plaintext. They live in
// memory only for the duration of a call.
type Credentials struct {
	APIKey     string
	SecretKey  string
	Passphrase string
}

// String never prints a credential.
func (Credentials) String() string { return "secrets.Credentials{redacted}" }

// GoString keeps %#v from printing credentials.
func (c Credentials) GoString() string { return c.String() }

// SealedCredentials are the stored form of Credentials. An empty passphrase
// is stored as nothing.
type SealedCredentials struct {
	APIKey     []byte `json:"api_key"`
	SecretKey  []byte `json:"secret_key"`
	Passphrase []byte `json:"passphrase,omitempty"`
}

// field returns a pointer to the sealed value of a field name.
func (s *SealedCredentials) field(name string) *[]byte {
	switch name {
	case FieldAPIKey:
		return &s.APIKey
	case FieldSecretKey:
		return &s.SecretKey
	case FieldPassphrase:
		return &s.Passphrase
	}
	return nil
}

var credentialFields = [...]string{FieldAPIKey, FieldSecretKey, FieldPassphrase}

// SealField seals one field's plaintext; an empty passphrase seals to nil.
func (k *Key) SealField(accountID, field, plaintext string) ([]byte, error) {
	if field == FieldPassphrase && plaintext == "" {
		return nil, nil
	}
	return k.Seal(accountID, field, []byte(plaintext))
}

// SealCredentials seals every field of c for an account.
func (k *Key) SealCredentials(accountID string, c Credentials) (SealedCredentials, error) {
	var s SealedCredentials
	plain := map[string]string{FieldAPIKey: c.APIKey, FieldSecretKey: c.SecretKey, FieldPassphrase: c.Passphrase}
	for _, f := range credentialFields {
		v, err := k.SealField(accountID, f, plain[f])
		if err != nil {
			return SealedCredentials{}, err
		}
		*s.field(f) = v
	}
	return s, nil
}

// OpenCredentials opens every field of an account's sealed credentials. The
// error names the field that failed, never its content.
func (k *Key) OpenCredentials(accountID string, s SealedCredentials) (Credentials, error) {
	var c Credentials
	out := map[string]*string{FieldAPIKey: &c.APIKey, FieldSecretKey: &c.SecretKey, FieldPassphrase: &c.Passphrase}
	for _, f := range credentialFields {
		v := *s.field(f)
		if v == nil && f == FieldPassphrase {
			continue
		}
		pt, err := k.Open(accountID, f, v)
		if err != nil {
			return Credentials{}, fmt.Errorf("account %s field %s: %w", accountID, f, err)
		}
		*out[f] = string(pt)
	}
	return c, nil
}

// Reseal opens s with old and seals every field again under k. The result
// is a new value; s is not changed.
func (k *Key) Reseal(old *Key, accountID string, s SealedCredentials) (SealedCredentials, error) {
	c, err := old.OpenCredentials(accountID, s)
	if err != nil {
		return SealedCredentials{}, err
	}
	return k.SealCredentials(accountID, c)
}

// Redact removes every trace of c from msg, by the one redaction policy
// (redact.String).
func (c Credentials) Redact(msg string) string {
	return redact.String(msg, c.APIKey, c.SecretKey, c.Passphrase)
}
