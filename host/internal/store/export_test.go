package store

import (
	"bytes"
	"fmt"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// Raw access for the conformance harness (conformance_test.go), which as
// an external test package sees only what is exported.

// RawSnapshot returns the stored JSON of an account's snapshot.
func RawSnapshot(t *testing.T, s *Store, accountID string) []byte {
	t.Helper()
	var raw []byte
	if err := s.db.View(func(tx *bolt.Tx) error {
		raw = bytes.Clone(tx.Bucket(bucketSnapshots).Get([]byte(accountID)))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return raw
}

// AddPoints writes history points in one transaction (PutSyncResult waits
// for a batch each time).
func AddPoints(t *testing.T, s *Store, accountID string, pts []HistoryPoint) {
	t.Helper()
	if err := s.db.Update(func(tx *bolt.Tx) error {
		for _, p := range pts {
			if err := putJSON(tx.Bucket(bucketHistory), historyKey(accountID, p.At), p); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// WebhookLeftovers lists the keys any bucket still holds of w.
func WebhookLeftovers(t *testing.T, s *Store, w Webhook) []string {
	t.Helper()
	var left []string
	if err := s.db.View(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketWebhooks, bucketDeliveries, bucketAlertIDs} {
			k, _ := tx.Bucket(b).Cursor().Seek([]byte(w.ID))
			if k != nil && bytes.HasPrefix(k, []byte(w.ID)) {
				left = append(left, fmt.Sprintf("bucket %s holds %x", b, k))
			}
		}
		if tx.Bucket(bucketUserWebhooks).Get(userWebhookKey(w.UserID, w.ID)) != nil {
			left = append(left, "user index")
		}
		if tx.Bucket(bucketHookTokens).Get(w.TokenHash) != nil {
			left = append(left, "token index")
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return left
}
