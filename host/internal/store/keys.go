package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/globalautomation/gahost/host/internal/secrets"
	bolt "go.etcd.io/bbolt"
)

// The key check is a known plaintext sealed under the master key, so a
// wrong key is caught at start even in a store without accounts.
const keyCheckField = "key_check"

var keyCheckPlaintext = []byte("gahost key check v1")

// FingerprintAPIKey is the purpose of an account's KeyFingerprint.
const FingerprintAPIKey = "account api_key"

var _ secrets.Vault = (*Store)(nil)

// CheckKey implements secrets.Vault: nil when k opens the store.
func (s *Store) CheckKey(ctx context.Context, k *secrets.Key) error {
	return s.view(ctx, func(tx *bolt.Tx) error { return checkKey(tx, k) })
}

func checkKey(tx *bolt.Tx, k *secrets.Key) error {
	sealed := tx.Bucket(bucketMeta).Get(keyKeyCheck)
	if sealed == nil {
		// Only a store written before the key check existed would have
		// sealed values without it; judge the key by them.
		if err := openAnyAccount(tx, k); err != nil {
			return err
		}
		return secrets.ErrNoKeyCheck
	}
	pt, err := k.Open("", keyCheckField, sealed)
	if err != nil {
		if errors.Is(err, secrets.ErrWrongKey) {
			id, _ := secrets.SealedKeyID(sealed)
			return fmt.Errorf("%w: the store is sealed under key id %s", secrets.ErrWrongKey, id)
		}
		return fmt.Errorf("the store's key check record does not open: %w", err)
	}
	if !bytes.Equal(pt, keyCheckPlaintext) {
		return fmt.Errorf("the store's key check record holds unexpected content: %w", secrets.ErrCorrupt)
	}
	return nil
}

// openAnyAccount returns ErrWrongKey if some account's secrets do not open
// with k.
func openAnyAccount(tx *bolt.Tx, k *secrets.Key) error {
	c := tx.Bucket(bucketAccounts).Cursor()
	for key, v := c.First(); key != nil; key, v = c.Next() {
		var a Account
		if err := unmarshal(v, &a); err != nil {
			return err
		}
		if _, err := k.OpenCredentials(a.ID, a.Secrets); err != nil {
			return fmt.Errorf("%w: account %s does not open", secrets.ErrWrongKey, a.ID)
		}
	}
	return nil
}

// InitKey implements secrets.Vault: it records k in a store with no key
// check yet.
func (s *Store) InitKey(ctx context.Context, k *secrets.Key) error {
	return s.update(ctx, func(tx *bolt.Tx) error {
		err := checkKey(tx, k)
		if !errors.Is(err, secrets.ErrNoKeyCheck) {
			return err
		}
		sealed, err := k.Seal("", keyCheckField, keyCheckPlaintext)
		if err != nil {
			return err
		}
		return tx.Bucket(bucketMeta).Put(keyKeyCheck, sealed)
	})
}

// Reseal implements secrets.Vault: every account's secrets and the key check
// move from old to new in one transaction. Accounts whose secrets do not
// open with old are left untouched and reported.
func (s *Store) Reseal(ctx context.Context, old, new *secrets.Key) (secrets.ResealReport, error) {
	var rep secrets.ResealReport
	err := s.update(ctx, func(tx *bolt.Tx) error {
		rep = secrets.ResealReport{}
		if err := checkKey(tx, old); err != nil && !errors.Is(err, secrets.ErrNoKeyCheck) {
			return err
		}
		b := tx.Bucket(bucketAccounts)
		var updates []Account
		err := b.ForEach(func(_, v []byte) error {
			var a Account
			if err := unmarshal(v, &a); err != nil {
				return err
			}
			creds, err := old.OpenCredentials(a.ID, a.Secrets)
			if err != nil {
				rep.Unreadable = append(rep.Unreadable, a.ID)
				return nil
			}
			sealed, err := new.SealCredentials(a.ID, creds)
			if err != nil {
				return err
			}
			a.Secrets = sealed
			// Fingerprints are keyed by the master key: they move with it.
			a.KeyFingerprint = new.Fingerprint(FingerprintAPIKey, creds.APIKey)
			updates = append(updates, a)
			return nil
		})
		if err != nil {
			return err
		}
		// Puts happen after ForEach: bbolt forbids changing a bucket while
		// iterating it.
		for _, a := range updates {
			if err := putJSON(b, []byte(a.ID), a); err != nil {
				return err
			}
		}
		rep.Accounts = len(updates)
		if rep.Webhooks, rep.UnreadableWebhooks, err = resealWebhooks(tx, old, new); err != nil {
			return err
		}
		sealed, err := new.Seal("", keyCheckField, keyCheckPlaintext)
		if err != nil {
			return err
		}
		return tx.Bucket(bucketMeta).Put(keyKeyCheck, sealed)
	})
	if err != nil {
		return secrets.ResealReport{}, err
	}
	for _, id := range rep.Unreadable {
		s.log.Warn("account secrets did not open with the old key and were left as they were", "account_id", id)
	}
	for _, id := range rep.UnreadableWebhooks {
		s.log.Warn("webhook secret did not open with the old key and was left as it was", "webhook_id", id)
	}
	return rep, nil
}
