package store

import (
	"bytes"
	"context"
	"errors"
	"time"

	"github.com/globalautomation/gahost/host/internal/secrets"
	bolt "go.etcd.io/bbolt"
)

// Sync statuses of an account.
const (
	SyncPending     = "pending"
	SyncOK          = "ok"
	SyncError       = "error"
	SyncAuthFailed  = "auth_failed"
	SyncRateLimited = "rate_limited"
)

// SyncState is where an account's synchronisation stands.
type SyncState struct {
	Status     string    `json:"status"`
	LastSyncAt time.Time `json:"last_sync_at,omitzero"`
	LastError  string    `json:"last_error,omitempty"`
	// NextSyncAt zero means "as soon as possible".
	NextSyncAt time.Time `json:"next_sync_at,omitzero"`
	// FailedParts lists the snapshot parts the last sync could not fetch.
	FailedParts []string `json:"failed_parts,omitempty"`
	// KeysRev is the Account.KeysRev of the credentials the sync used; see
	// PutSyncResult.
	KeysRev uint64 `json:"keys_rev,omitempty"`
}

// Account is an exchange account of a user. Its credentials are sealed;
// open them with secrets.Key.OpenCredentials(a.ID, a.Secrets).
type Account struct {
	ID         string                    `json:"id"`
	UserID     string                    `json:"user_id"`
	Name       string                    `json:"name"`
	Exchange   string                    `json:"exchange"`
	Testnet    bool                      `json:"testnet"`
	IsActive   bool                      `json:"is_active"`
	IsMain     bool                      `json:"is_main"`
	APIKeyHint string                    `json:"api_key_hint"`
	Secrets    secrets.SealedCredentials `json:"secrets"`
	// KeysRev counts changes of the credentials (and of testnet, which
	// changes what they refer to).
	KeysRev   uint64    `json:"keys_rev"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	Sync      SyncState `json:"sync"`
}

// NewAccount is the input of CreateAccount.
type NewAccount struct {
	UserID      string
	Name        string
	Exchange    string
	Testnet     bool
	IsMain      bool
	Credentials secrets.Credentials
}

// AccountPatch changes the fields that are not nil.
type AccountPatch struct {
	Name       *string
	Testnet    *bool
	IsActive   *bool
	IsMain     *bool
	APIKey     *string
	SecretKey  *string
	Passphrase *string // "" removes the passphrase
}

// Hint returns what may be shown of an API key: its first and last 4
// characters. A key shorter than 12 characters shows a quarter at each end,
// so a hint never reveals a whole key.
func Hint(key string) string {
	r := []rune(key)
	n := 4
	if len(r) < 12 {
		n = len(r) / 4
	}
	return string(r[:n]) + "…" + string(r[len(r)-n:])
}

func userAccountKey(userID, accountID string) []byte {
	return append([]byte(userID), accountID...)
}

// CreateAccount seals the credentials under k and adds the account. The
// user's first account becomes main; IsMain clears the flag elsewhere.
func (s *Store) CreateAccount(ctx context.Context, k *secrets.Key, in NewAccount) (Account, error) {
	id := newID()
	sealed, err := k.SealCredentials(id, in.Credentials)
	if err != nil {
		return Account{}, err
	}
	now := s.now().UTC()
	a := Account{
		ID: id, UserID: in.UserID, Name: in.Name, Exchange: in.Exchange, Testnet: in.Testnet,
		IsActive: true, IsMain: in.IsMain, APIKeyHint: Hint(in.Credentials.APIKey), Secrets: sealed,
		KeysRev: 1, CreatedAt: now, UpdatedAt: now, Sync: SyncState{Status: SyncPending},
	}
	err = s.update(ctx, func(tx *bolt.Tx) error {
		if tx.Bucket(bucketUsers).Get([]byte(in.UserID)) == nil {
			return ErrNotFound
		}
		switch first := firstUserAccount(tx, in.UserID); {
		case first == "":
			a.IsMain = true
		case a.IsMain:
			mine, err := userAccounts(tx, in.UserID)
			if err != nil {
				return err
			}
			if err := clearMain(tx, mine, now); err != nil {
				return err
			}
		}
		if err := putJSON(tx.Bucket(bucketAccounts), []byte(a.ID), a); err != nil {
			return err
		}
		return tx.Bucket(bucketUserAccounts).Put(userAccountKey(a.UserID, a.ID), nil)
	})
	if err != nil {
		return Account{}, err
	}
	return a, nil
}

// firstUserAccount returns the id of a user's oldest account, or "".
func firstUserAccount(tx *bolt.Tx, userID string) string {
	prefix := []byte(userID)
	k, _ := tx.Bucket(bucketUserAccounts).Cursor().Seek(prefix)
	if k == nil || !bytes.HasPrefix(k, prefix) {
		return ""
	}
	return string(k[len(prefix):])
}

// userAccounts returns a user's accounts, oldest first.
func userAccounts(tx *bolt.Tx, userID string) ([]Account, error) {
	var out []Account
	prefix := []byte(userID)
	accounts := tx.Bucket(bucketAccounts)
	c := tx.Bucket(bucketUserAccounts).Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		var a Account
		if err := getJSON(accounts, k[len(prefix):], &a); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

// clearMain drops the main flag from every account in list that has it.
func clearMain(tx *bolt.Tx, list []Account, now time.Time) error {
	b := tx.Bucket(bucketAccounts)
	for _, a := range list {
		if !a.IsMain {
			continue
		}
		a.IsMain = false
		a.UpdatedAt = now
		if err := putJSON(b, []byte(a.ID), a); err != nil {
			return err
		}
	}
	return nil
}

// Account returns an account by id, whoever owns it.
func (s *Store) Account(ctx context.Context, id string) (Account, error) {
	var a Account
	err := s.view(ctx, func(tx *bolt.Tx) error { return getJSON(tx.Bucket(bucketAccounts), []byte(id), &a) })
	return a, err
}

// UserAccount returns an account of userID; another user's account is
// ErrNotFound, the same as one that does not exist.
func (s *Store) UserAccount(ctx context.Context, userID, id string) (Account, error) {
	var a Account
	err := s.view(ctx, func(tx *bolt.Tx) error {
		var err error
		a, err = ownedAccount(tx, userID, id)
		return err
	})
	return a, err
}

func ownedAccount(tx *bolt.Tx, userID, id string) (Account, error) {
	var a Account
	if err := getJSON(tx.Bucket(bucketAccounts), []byte(id), &a); err != nil {
		return Account{}, err
	}
	if a.UserID != userID {
		return Account{}, ErrNotFound
	}
	return a, nil
}

// ListAccounts returns a user's accounts, oldest first.
func (s *Store) ListAccounts(ctx context.Context, userID string) ([]Account, error) {
	var out []Account
	err := s.view(ctx, func(tx *bolt.Tx) error {
		var err error
		out, err = userAccounts(tx, userID)
		return err
	})
	return out, err
}

// MainAccount returns a user's main account; ok is false when it has none.
func (s *Store) MainAccount(ctx context.Context, userID string) (Account, bool, error) {
	list, err := s.ListAccounts(ctx, userID)
	if err != nil {
		return Account{}, false, err
	}
	for _, a := range list {
		if a.IsMain {
			return a, true, nil
		}
	}
	return Account{}, false, nil
}

// AllAccounts returns every account of every user (for the scheduler).
func (s *Store) AllAccounts(ctx context.Context) ([]Account, error) {
	var out []Account
	err := s.view(ctx, func(tx *bolt.Tx) error {
		return tx.Bucket(bucketAccounts).ForEach(func(_, v []byte) error {
			var a Account
			if err := unmarshal(v, &a); err != nil {
				return err
			}
			out = append(out, a)
			return nil
		})
	})
	return out, err
}

// UpdateAccount applies p to an account of userID. New credentials are
// sealed under k; changing them (or testnet) counts a new KeysRev and turns
// an auth_failed sync status back to pending, due now.
func (s *Store) UpdateAccount(ctx context.Context, k *secrets.Key, userID, id string, p AccountPatch) (Account, error) {
	sealed := map[string][]byte{}
	for field, v := range map[string]*string{
		secrets.FieldAPIKey: p.APIKey, secrets.FieldSecretKey: p.SecretKey, secrets.FieldPassphrase: p.Passphrase,
	} {
		if v == nil {
			continue
		}
		b, err := k.SealField(id, field, *v)
		if err != nil {
			return Account{}, err
		}
		sealed[field] = b
	}
	now := s.now().UTC()
	var a Account
	err := s.update(ctx, func(tx *bolt.Tx) error {
		var err error
		if a, err = ownedAccount(tx, userID, id); err != nil {
			return err
		}
		keysChanged := len(sealed) > 0
		if p.Name != nil {
			a.Name = *p.Name
		}
		if p.Testnet != nil && *p.Testnet != a.Testnet {
			a.Testnet = *p.Testnet
			keysChanged = true
		}
		if p.IsActive != nil {
			a.IsActive = *p.IsActive
		}
		if p.APIKey != nil {
			a.Secrets.APIKey = sealed[secrets.FieldAPIKey]
			a.APIKeyHint = Hint(*p.APIKey)
		}
		if p.SecretKey != nil {
			a.Secrets.SecretKey = sealed[secrets.FieldSecretKey]
		}
		if p.Passphrase != nil {
			a.Secrets.Passphrase = sealed[secrets.FieldPassphrase]
		}
		if keysChanged {
			a.KeysRev++
			if a.Sync.Status == SyncAuthFailed {
				a.Sync.Status = SyncPending
				a.Sync.NextSyncAt = time.Time{}
			}
		}
		if p.IsMain != nil {
			if *p.IsMain && !a.IsMain {
				mine, err := userAccounts(tx, userID)
				if err != nil {
					return err
				}
				if err := clearMain(tx, mine, now); err != nil {
					return err
				}
			}
			a.IsMain = *p.IsMain
		}
		a.UpdatedAt = now
		return putJSON(tx.Bucket(bucketAccounts), []byte(a.ID), a)
	})
	if err != nil {
		return Account{}, err
	}
	return a, nil
}

// DeleteAccount removes an account of userID with its snapshot, history and
// the webhooks bound to it. When it was main, the user's oldest remaining
// account becomes main.
func (s *Store) DeleteAccount(ctx context.Context, userID, id string) error {
	now := s.now().UTC()
	return s.update(ctx, func(tx *bolt.Tx) error {
		a, err := ownedAccount(tx, userID, id)
		if err != nil {
			return err
		}
		if err := tx.Bucket(bucketAccounts).Delete([]byte(id)); err != nil {
			return err
		}
		if err := tx.Bucket(bucketUserAccounts).Delete(userAccountKey(userID, id)); err != nil {
			return err
		}
		if err := tx.Bucket(bucketSnapshots).Delete([]byte(id)); err != nil {
			return err
		}
		if err := deleteHistory(tx, id); err != nil {
			return err
		}
		// Webhooks bound to the account go with it, in this transaction, so
		// none can trade on an account that no longer exists.
		if err := deleteAccountWebhooks(tx, userID, id); err != nil {
			return err
		}
		if !a.IsMain {
			return nil
		}
		heirID := firstUserAccount(tx, userID)
		if heirID == "" {
			return nil
		}
		var heir Account
		if err := getJSON(tx.Bucket(bucketAccounts), []byte(heirID), &heir); err != nil {
			return err
		}
		heir.IsMain = true
		heir.UpdatedAt = now
		return putJSON(tx.Bucket(bucketAccounts), []byte(heir.ID), heir)
	})
}

// IsNotFound reports whether err means a record does not exist (or belongs
// to another user).
func IsNotFound(err error) bool { return errors.Is(err, ErrNotFound) }
