package store

import (
	"context"

	"github.com/globalautomation/gahost/host/internal/secrets"
	bolt "go.etcd.io/bbolt"
)

var _ secrets.Inventory = (*Store)(nil)

// CountSealed implements secrets.Inventory: per key id, how many sealed
// values the database holds (each account field, each webhook secret and
// the key check). It reads the key id from each value's header only; it
// opens nothing, so it needs no key.
func (s *Store) CountSealed(ctx context.Context) (map[secrets.KeyID]int, error) {
	counts := map[secrets.KeyID]int{}
	count := func(sealed []byte) {
		if id, ok := secrets.SealedKeyID(sealed); ok {
			counts[id]++
		}
	}
	err := s.view(ctx, func(tx *bolt.Tx) error {
		count(tx.Bucket(bucketMeta).Get(keyKeyCheck))
		if err := tx.Bucket(bucketAccounts).ForEach(func(_, v []byte) error {
			var a Account
			if err := unmarshal(v, &a); err != nil {
				return err
			}
			count(a.Secrets.APIKey)
			count(a.Secrets.SecretKey)
			count(a.Secrets.Passphrase)
			return nil
		}); err != nil {
			return err
		}
		b := tx.Bucket(bucketWebhooks)
		if b == nil {
			return nil
		}
		return b.ForEach(func(_, v []byte) error {
			var w Webhook
			if err := unmarshal(v, &w); err != nil {
				return err
			}
			count(w.Secret)
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	return counts, nil
}
