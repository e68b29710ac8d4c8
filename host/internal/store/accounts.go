package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
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
	// KeyFingerprint is a keyed hash of the API key (see
	// secrets.Key.Fingerprint): equal keys of one user show as equal
	// without the key being stored in the clear. Empty for accounts stored
	// before fingerprints existed.
	KeyFingerprint []byte `json:"key_fingerprint,omitempty"`
	// LastCheck is the exchange's last verdict on the credentials; nil
	// until they are checked.
	LastCheck *CredentialCheck `json:"last_check,omitempty"`
	// KeysRev counts changes of the credentials (and of testnet, which
	// changes what they refer to).
	KeysRev   uint64    `json:"keys_rev"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	Sync      SyncState `json:"sync"`
}

// Outcomes of a credentials check.
const (
	CheckOK       = "ok"       // the exchange accepted the keys
	CheckRejected = "rejected" // the exchange turned them down
)

// CredentialCheck is what the exchange said of an account's keys.
type CredentialCheck struct {
	At      time.Time `json:"at"`
	Outcome string    `json:"outcome"`
	// KeysRev is the Account.KeysRev of the keys checked.
	KeysRev uint64 `json:"keys_rev"`
	// Permissions are what the exchange reported the keys may do; nil when
	// it rejected them.
	Permissions *Permissions `json:"permissions,omitempty"`
	// Message is the exchange's reason for a rejection, clean of the keys.
	Message string `json:"message,omitempty"`
}

// Permissions are what an exchange reported a key may do.
type Permissions struct {
	Read         bool     `json:"read"`
	SpotTrade    bool     `json:"spot_trade"`
	FuturesTrade bool     `json:"futures_trade"`
	Withdraw     bool     `json:"withdraw"`
	IPRestricted bool     `json:"ip_restricted"`
	Notes        []string `json:"notes,omitempty"`
}

func userAccountKey(userID, accountID string) []byte {
	return append([]byte(userID), accountID...)
}

// AccountChange is what an edit of a user's accounts writes: new and
// changed accounts, and the ids of accounts to delete with their snapshot,
// history and the webhooks bound to them.
type AccountChange struct {
	Put    []Account
	Delete []string
}

// EditAccounts runs fn on the accounts of userID (oldest first) inside one
// write transaction and writes the change it returns, deletions first. The
// rules (which account is main, what a change of keys does) are fn's; this
// only keeps the accounts and their indexes consistent. A user that does
// not exist is ErrNotFound, as is a deletion of an account that is not
// userID's; an error of fn aborts and is returned as is.
func (s *Store) EditAccounts(ctx context.Context, userID string, fn func(mine []Account) (AccountChange, error)) error {
	return s.update(ctx, func(tx *bolt.Tx) error {
		if tx.Bucket(bucketUsers).Get([]byte(userID)) == nil {
			return ErrNotFound
		}
		mine, err := userAccounts(tx, userID)
		if err != nil {
			return err
		}
		ch, err := fn(mine)
		if err != nil {
			return err
		}
		for _, id := range ch.Delete {
			if err := deleteAccount(tx, userID, id); err != nil {
				return err
			}
		}
		for _, a := range ch.Put {
			if a.UserID != userID || a.ID == "" {
				return fmt.Errorf("edit accounts of %s: account %q belongs to %q", userID, a.ID, a.UserID)
			}
			if err := putJSON(tx.Bucket(bucketAccounts), []byte(a.ID), a); err != nil {
				return err
			}
			if err := tx.Bucket(bucketUserAccounts).Put(userAccountKey(a.UserID, a.ID), nil); err != nil {
				return err
			}
		}
		return nil
	})
}

// deleteAccount removes an account of userID with its snapshot, history
// and the webhooks bound to it.
func deleteAccount(tx *bolt.Tx, userID, id string) error {
	if _, err := ownedAccount(tx, userID, id); err != nil {
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
	return deleteAccountWebhooks(tx, userID, id)
}

// NewID returns a new record id (a ULID: sortable by creation time). A
// caller that must know an id before the record is written (to bind sealed
// credentials to it) takes one here.
func NewID() string { return newID() }

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

// Account returns an account by id, whoever owns it.
func (s *Store) Account(ctx context.Context, id string) (Account, error) {
	if err := ctx.Err(); err != nil {
		return Account{}, err
	}
	if a, ok := s.cache.accountRecord(id); ok {
		return a, nil
	}
	gen := s.cache.accountGen(id)
	var a Account
	err := s.view(ctx, func(tx *bolt.Tx) error { return getJSON(tx.Bucket(bucketAccounts), []byte(id), &a) })
	if err == nil {
		s.cache.keepAccount(gen, a)
	}
	return a, err
}

// UserAccount returns an account of userID; another user's account is
// ErrNotFound, the same as one that does not exist.
func (s *Store) UserAccount(ctx context.Context, userID, id string) (Account, error) {
	a, err := s.Account(ctx, id)
	if err == nil && a.UserID != userID {
		return Account{}, ErrNotFound
	}
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

// ListAccountsPage returns up to limit of a user's accounts whose id sorts
// after the cursor after ("" for the first page), oldest first, and the
// cursor of the next page ("" when this one is the last).
func (s *Store) ListAccountsPage(ctx context.Context, userID, after string, limit int) ([]Account, string, error) {
	var (
		out  []Account
		next string
	)
	err := s.view(ctx, func(tx *bolt.Tx) error {
		out, next = nil, ""
		prefix := []byte(userID)
		accounts := tx.Bucket(bucketAccounts)
		c := tx.Bucket(bucketUserAccounts).Cursor()
		start := userAccountKey(userID, after)
		k, _ := c.Seek(start)
		if after != "" && bytes.Equal(k, start) {
			k, _ = c.Next()
		}
		for ; k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			if len(out) == limit {
				next = out[len(out)-1].ID
				break
			}
			var a Account
			if err := getJSON(accounts, k[len(prefix):], &a); err != nil {
				return err
			}
			out = append(out, a)
		}
		return nil
	})
	return out, next, err
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

// IsNotFound reports whether err means a record does not exist (or belongs
// to another user).
func IsNotFound(err error) bool { return errors.Is(err, ErrNotFound) }
