package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/globalautomation/gahost/host/internal/secrets"
	bolt "go.etcd.io/bbolt"
)

// Record is one stored thing, as a backend's Dump hands it out and its Load
// takes it in: exactly one field is set. Records carry everything as
// stored (sealed secrets, token hashes, password hashes), so a dump moves
// an install from one backend to another and opens there with the same
// master key; nothing in it is ever plaintext.
//
// A dump lists the key check first, then users, tokens, accounts,
// snapshots, history points, webhooks and deliveries, so that everything
// comes after what it belongs to. Alert id claims are not records: each
// delivery that claimed its alert id (one with an alert id that is neither a
// duplicate nor a test) claims it again when loaded.
type Record struct {
	KeyCheck []byte
	User     *User
	Token    *StoredToken
	Account  *Account
	Snapshot *Snapshot
	Point    *StoredPoint
	Webhook  *Webhook
	Delivery *Delivery
}

// StoredToken is a token record with the hash it is stored under.
type StoredToken struct {
	Hash      secrets.TokenHash
	ID        string
	UserID    string
	Kind      string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// StoredPoint is a history point with its account.
type StoredPoint struct {
	AccountID string
	Point     HistoryPoint
}

// Kind names the record's field, for counts and messages.
func (r Record) Kind() string {
	switch {
	case r.KeyCheck != nil:
		return "key_check"
	case r.User != nil:
		return "users"
	case r.Token != nil:
		return "tokens"
	case r.Account != nil:
		return "accounts"
	case r.Snapshot != nil:
		return "snapshots"
	case r.Point != nil:
		return "history"
	case r.Webhook != nil:
		return "webhooks"
	case r.Delivery != nil:
		return "deliveries"
	}
	return ""
}

// Claims reports whether d holds the claim of its alert id (see Record).
func Claims(d Delivery) bool {
	return d.AlertID != "" && d.Status != DeliveryDuplicate && d.Status != DeliveryTest
}

// ErrNotEmpty: Load refuses a database that already holds data.
var ErrNotEmpty = errors.New("the destination database is not empty")

// Dump implements Backend: every record, in one read transaction.
func (s *Store) Dump(ctx context.Context, emit func(Record) error) error {
	if err := s.Flush(); err != nil {
		return err
	}
	return s.view(ctx, func(tx *bolt.Tx) error {
		if kc := tx.Bucket(bucketMeta).Get(keyKeyCheck); kc != nil {
			if err := emit(Record{KeyCheck: append([]byte(nil), kc...)}); err != nil {
				return err
			}
		}
		each := func(bucket []byte, fn func(k, v []byte) (Record, error)) error {
			b := tx.Bucket(bucket)
			if b == nil {
				return nil
			}
			return b.ForEach(func(k, v []byte) error {
				if err := ctx.Err(); err != nil {
					return err
				}
				r, err := fn(k, v)
				if err != nil {
					return err
				}
				return emit(r)
			})
		}
		steps := []struct {
			bucket []byte
			fn     func(k, v []byte) (Record, error)
		}{
			{bucketUsers, func(_, v []byte) (Record, error) {
				var u User
				return Record{User: &u}, unmarshal(v, &u)
			}},
			{bucketTokens, func(k, v []byte) (Record, error) {
				var rec tokenRecord
				if err := unmarshal(v, &rec); err != nil {
					return Record{}, err
				}
				t := &StoredToken{ID: rec.ID, UserID: rec.UserID, Kind: rec.Kind, CreatedAt: rec.CreatedAt, ExpiresAt: rec.ExpiresAt}
				if len(k) != len(t.Hash) {
					return Record{}, fmt.Errorf("token record key has %d bytes", len(k))
				}
				copy(t.Hash[:], k)
				return Record{Token: t}, nil
			}},
			{bucketAccounts, func(_, v []byte) (Record, error) {
				var a Account
				return Record{Account: &a}, unmarshal(v, &a)
			}},
			{bucketSnapshots, func(_, v []byte) (Record, error) {
				var sn Snapshot
				return Record{Snapshot: &sn}, unmarshal(v, &sn)
			}},
			{bucketHistory, func(k, v []byte) (Record, error) {
				if len(k) < 8 {
					return Record{}, fmt.Errorf("history key %x is too short", k)
				}
				p := &StoredPoint{AccountID: string(k[:len(k)-8])}
				return Record{Point: p}, unmarshal(v, &p.Point)
			}},
			{bucketWebhooks, func(_, v []byte) (Record, error) {
				var w Webhook
				return Record{Webhook: &w}, unmarshal(v, &w)
			}},
			{bucketDeliveries, func(_, v []byte) (Record, error) {
				var d Delivery
				return Record{Delivery: &d}, unmarshal(v, &d)
			}},
		}
		for _, st := range steps {
			if err := each(st.bucket, st.fn); err != nil {
				return err
			}
		}
		return nil
	})
}

// Load implements Backend: it writes the records next hands out into this
// store, which must be empty (else ErrNotEmpty), in one transaction: a load
// that fails leaves the store empty.
func (s *Store) Load(ctx context.Context, next func() (Record, bool, error)) error {
	return s.update(ctx, func(tx *bolt.Tx) error {
		if k, _ := tx.Bucket(bucketUsers).Cursor().First(); k != nil || tx.Bucket(bucketMeta).Get(keyKeyCheck) != nil {
			return ErrNotEmpty
		}
		if k, _ := tx.Bucket(bucketAccounts).Cursor().First(); k != nil {
			return ErrNotEmpty
		}
		for {
			if err := ctx.Err(); err != nil {
				return err
			}
			r, ok, err := next()
			if err != nil {
				return err
			}
			if !ok {
				return nil
			}
			if err := loadRecord(tx, r); err != nil {
				return fmt.Errorf("load %s: %w", r.Kind(), err)
			}
		}
	})
}

func loadRecord(tx *bolt.Tx, r Record) error {
	switch {
	case r.KeyCheck != nil:
		return tx.Bucket(bucketMeta).Put(keyKeyCheck, r.KeyCheck)
	case r.User != nil:
		u := *r.User
		names := tx.Bucket(bucketUsernames)
		if names.Get(usernameKey(u.Username)) != nil {
			return ErrUsernameTaken
		}
		if err := names.Put(usernameKey(u.Username), []byte(u.ID)); err != nil {
			return err
		}
		return putJSON(tx.Bucket(bucketUsers), []byte(u.ID), u)
	case r.Token != nil:
		t := r.Token
		return putToken(tx, t.Hash, tokenRecord{ID: t.ID, UserID: t.UserID, Kind: t.Kind, CreatedAt: t.CreatedAt, ExpiresAt: t.ExpiresAt})
	case r.Account != nil:
		a := *r.Account
		if tx.Bucket(bucketUsers).Get([]byte(a.UserID)) == nil {
			return fmt.Errorf("account %s: user %s: %w", a.ID, a.UserID, ErrNotFound)
		}
		if err := putJSON(tx.Bucket(bucketAccounts), []byte(a.ID), a); err != nil {
			return err
		}
		return tx.Bucket(bucketUserAccounts).Put(userAccountKey(a.UserID, a.ID), nil)
	case r.Snapshot != nil:
		return putJSON(tx.Bucket(bucketSnapshots), []byte(r.Snapshot.AccountID), *r.Snapshot)
	case r.Point != nil:
		return putJSON(tx.Bucket(bucketHistory), historyKey(r.Point.AccountID, r.Point.Point.At), r.Point.Point)
	case r.Webhook != nil:
		return putWebhook(tx, *r.Webhook, nil)
	case r.Delivery != nil:
		d := *r.Delivery
		key := deliveryKey(d.WebhookID, d.ReceivedAt, d.ID)
		if Claims(d) {
			claims, ak := tx.Bucket(bucketAlertIDs), alertKey(d.WebhookID, d.AlertID)
			if claims.Get(ak) == nil {
				if err := claims.Put(ak, key); err != nil {
					return err
				}
			}
		}
		return putJSON(tx.Bucket(bucketDeliveries), key, d)
	}
	return errors.New("empty record")
}

// Counts are how many records of each kind (Record.Kind) a store holds.
type Counts map[string]int

// Count counts the records of b.
func Count(ctx context.Context, b Backend) (Counts, error) {
	c := Counts{}
	err := b.Dump(ctx, func(r Record) error {
		c[r.Kind()]++
		return nil
	})
	return c, err
}

// Copy moves every record of src into dst, which must be empty, and then
// verifies that dst holds as many records of each kind as were sent. The
// records stream from src's read transaction into dst's write transaction;
// neither is held in memory whole.
func Copy(ctx context.Context, src, dst Backend) (Counts, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ch := make(chan Record, 256)
	dumped := make(chan error, 1)
	go func() {
		defer close(ch)
		dumped <- src.Dump(ctx, func(r Record) error {
			select {
			case ch <- r:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
	}()
	sent := Counts{}
	err := dst.Load(ctx, func() (Record, bool, error) {
		r, ok := <-ch
		if !ok {
			if err := <-dumped; err != nil {
				return Record{}, false, fmt.Errorf("read the source: %w", err)
			}
			return Record{}, false, nil
		}
		sent[r.Kind()]++
		return r, true, nil
	})
	cancel()
	for range ch {
		// Let the dump see the cancellation and end.
	}
	if err != nil {
		return nil, err
	}
	got, err := Count(context.WithoutCancel(ctx), dst)
	if err != nil {
		return nil, fmt.Errorf("verify the copy: %w", err)
	}
	for _, k := range unionKeys(sent, got) {
		if sent[k] != got[k] {
			return nil, fmt.Errorf("verify the copy: %d %s sent, %d stored", sent[k], k, got[k])
		}
	}
	return sent, nil
}

func unionKeys(a, b Counts) []string {
	seen := map[string]bool{}
	var out []string
	for _, m := range []Counts{a, b} {
		for k := range m {
			if !seen[k] {
				seen[k] = true
				out = append(out, k)
			}
		}
	}
	slices.Sort(out)
	return out
}
