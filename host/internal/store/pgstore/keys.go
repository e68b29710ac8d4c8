package pgstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/globalautomation/gahost/host/internal/secrets"
	"github.com/globalautomation/gahost/host/internal/store"
	"github.com/jackc/pgx/v5"
)

// The key check, as in the bbolt store: a known plaintext sealed under the
// master key, so a host started with another key than its peers stops at
// start.
const keyCheckField = "key_check"

var keyCheckPlaintext = []byte("gahost key check v1")

func getKeyCheck(ctx context.Context, tx pgx.Tx) ([]byte, error) {
	var v []byte
	err := tx.QueryRow(ctx, `SELECT value FROM meta WHERE key = 'key_check'`).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	return v, err
}

func putKeyCheck(ctx context.Context, tx pgx.Tx, sealed []byte) error {
	_, err := tx.Exec(ctx, `INSERT INTO meta (key, value) VALUES ('key_check', $1)
ON CONFLICT (key) DO UPDATE SET value = excluded.value`, sealed)
	return err
}

// CheckKey implements secrets.Vault.
func (s *Store) CheckKey(ctx context.Context, k *secrets.Key) error {
	return s.view(ctx, func(tx pgx.Tx) error { return checkKey(ctx, tx, k) })
}

func checkKey(ctx context.Context, tx pgx.Tx, k *secrets.Key) error {
	sealed, err := getKeyCheck(ctx, tx)
	if err != nil {
		return err
	}
	if sealed == nil {
		if err := openAnyAccount(ctx, tx, k); err != nil {
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

func openAnyAccount(ctx context.Context, tx pgx.Tx, k *secrets.Key) error {
	rows, err := tx.Query(ctx, `SELECT data FROM accounts ORDER BY id`)
	if err != nil {
		return err
	}
	list, err := scanAll[store.Account](rows)
	if err != nil {
		return err
	}
	for _, a := range list {
		if _, err := k.OpenCredentials(a.ID, a.Secrets); err != nil {
			return fmt.Errorf("%w: account %s does not open", secrets.ErrWrongKey, a.ID)
		}
	}
	return nil
}

// InitKey implements secrets.Vault. Hosts starting together serialise on
// the meta table's lock, so one key check is written.
func (s *Store) InitKey(ctx context.Context, k *secrets.Key) error {
	return s.update(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `LOCK TABLE meta IN EXCLUSIVE MODE`); err != nil {
			return err
		}
		err := checkKey(ctx, tx, k)
		if !errors.Is(err, secrets.ErrNoKeyCheck) {
			return err
		}
		sealed, err := k.Seal("", keyCheckField, keyCheckPlaintext)
		if err != nil {
			return err
		}
		return putKeyCheck(ctx, tx, sealed)
	})
}

// Reseal implements secrets.Vault: accounts, webhook secrets and the key
// check move from old to new in one transaction.
func (s *Store) Reseal(ctx context.Context, old, new *secrets.Key) (secrets.ResealReport, error) {
	var rep secrets.ResealReport
	err := s.update(ctx, func(tx pgx.Tx) error {
		rep = secrets.ResealReport{}
		if _, err := tx.Exec(ctx, `LOCK TABLE meta, accounts, webhooks IN EXCLUSIVE MODE`); err != nil {
			return err
		}
		if err := checkKey(ctx, tx, old); err != nil && !errors.Is(err, secrets.ErrNoKeyCheck) {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT data FROM accounts ORDER BY id`)
		if err != nil {
			return err
		}
		list, err := scanAll[store.Account](rows)
		if err != nil {
			return err
		}
		for _, a := range list {
			creds, err := old.OpenCredentials(a.ID, a.Secrets)
			if err != nil {
				rep.Unreadable = append(rep.Unreadable, a.ID)
				continue
			}
			sealed, err := new.SealCredentials(a.ID, creds)
			if err != nil {
				return err
			}
			a.Secrets = sealed
			a.KeyFingerprint = new.Fingerprint(store.FingerprintAPIKey, creds.APIKey)
			data, err := encode(a)
			if err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `UPDATE accounts SET data = $2 WHERE id = $1`, a.ID, data); err != nil {
				return err
			}
			rep.Accounts++
		}
		rows, err = tx.Query(ctx, `SELECT data FROM webhooks ORDER BY id`)
		if err != nil {
			return err
		}
		hooks, err := scanAll[store.Webhook](rows)
		if err != nil {
			return err
		}
		for _, w := range hooks {
			plain, err := old.Open(w.ID, store.FieldWebhookSecret, w.Secret)
			if err != nil {
				rep.UnreadableWebhooks = append(rep.UnreadableWebhooks, w.ID)
				continue
			}
			sealed, err := new.Seal(w.ID, store.FieldWebhookSecret, plain)
			clear(plain)
			if err != nil {
				return err
			}
			w.Secret = sealed
			data, err := encode(w)
			if err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `UPDATE webhooks SET data = $2 WHERE id = $1`, w.ID, data); err != nil {
				return err
			}
			rep.Webhooks++
		}
		sealed, err := new.Seal("", keyCheckField, keyCheckPlaintext)
		if err != nil {
			return err
		}
		return putKeyCheck(ctx, tx, sealed)
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

// CountSealed implements secrets.Inventory.
func (s *Store) CountSealed(ctx context.Context) (map[secrets.KeyID]int, error) {
	counts := map[secrets.KeyID]int{}
	count := func(sealed []byte) {
		if id, ok := secrets.SealedKeyID(sealed); ok {
			counts[id]++
		}
	}
	err := s.view(ctx, func(tx pgx.Tx) error {
		kc, err := getKeyCheck(ctx, tx)
		if err != nil {
			return err
		}
		count(kc)
		rows, err := tx.Query(ctx, `SELECT data FROM accounts`)
		if err != nil {
			return err
		}
		list, err := scanAll[store.Account](rows)
		if err != nil {
			return err
		}
		for _, a := range list {
			count(a.Secrets.APIKey)
			count(a.Secrets.SecretKey)
			count(a.Secrets.Passphrase)
		}
		rows, err = tx.Query(ctx, `SELECT data FROM webhooks`)
		if err != nil {
			return err
		}
		hooks, err := scanAll[store.Webhook](rows)
		for _, w := range hooks {
			count(w.Secret)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return counts, nil
}
