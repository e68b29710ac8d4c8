package store

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"testing"

	"github.com/globalautomation/gahost/host/internal/secrets"
	"github.com/shopspring/decimal"
	bolt "go.etcd.io/bbolt"
)

// hookCreds are a test webhook's token and secret in plaintext.
type hookCreds struct{ Token, Secret string }

func randomText(t *testing.T, prefix string) string {
	t.Helper()
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	return prefix + base64.RawURLEncoding.EncodeToString(b[:])
}

// webhook stores a webhook made whole here, as the webhooks service hands
// it over: the store is given the token's hash and the sealed secret.
func (f *fixture) webhook(t *testing.T, userID, accountID string) (Webhook, hookCreds) {
	t.Helper()
	limit := decimal.RequireFromString("100.5")
	c := hookCreds{Token: randomText(t, "gahwh_"), Secret: randomText(t, "gahws_")}
	id := NewID()
	sealed, err := f.key.Seal(id, FieldWebhookSecret, []byte(c.Secret))
	if err != nil {
		t.Fatal(err)
	}
	hash := secrets.HashToken(c.Token)
	now := f.clock.now()
	w := Webhook{ID: id, UserID: userID, Name: "tv", AccountID: accountID, Market: "futures",
		AllowedSymbols: []string{"BTC/USDT:USDT"}, MaxNotional: &limit, TokenHash: hash[:], TokenHint: "gahwh_…",
		Secret: sealed, SecretHint: "gahws_…", CreatedAt: now, UpdatedAt: now}
	if err := f.st.CreateWebhook(f.ctx, w); err != nil {
		t.Fatal(err)
	}
	return w, c
}

func TestMigrationFromSchema1AddsWebhookBuckets(t *testing.T) {
	dir := t.TempDir()
	path := Path(dir)
	// A store as schema 1 left it.
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *bolt.Tx) error {
		if err := migrations[0](tx); err != nil {
			return err
		}
		return tx.Bucket(bucketMeta).Put(keySchemaVersion, binary.BigEndian.AppendUint64(nil, 1))
	}); err != nil {
		t.Fatal(err)
	}
	db.Close()

	st, err := Open(context.Background(), path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	err = st.db.View(func(tx *bolt.Tx) error {
		if v := schemaVersion(tx); v != SchemaVersion || v < 2 {
			return fmt.Errorf("schema %d", v)
		}
		for _, b := range [][]byte{bucketWebhooks, bucketUserWebhooks, bucketHookTokens, bucketDeliveries, bucketAlertIDs} {
			if tx.Bucket(b) == nil {
				return fmt.Errorf("bucket %s missing", b)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestResealWebhooks(t *testing.T) {
	f := newFixture(t)
	u := f.user(t, "u")
	w, c := f.webhook(t, u.ID, f.account(t, u.ID, "a", false).ID)
	bad, _ := f.webhook(t, u.ID, f.account(t, u.ID, "b", false).ID)
	other, _ := secrets.GenerateKey()
	// bad's secret is under a key nobody has any more.
	err := f.st.db.Update(func(tx *bolt.Tx) error {
		var x Webhook
		if err := getJSON(tx.Bucket(bucketWebhooks), []byte(bad.ID), &x); err != nil {
			return err
		}
		x.Secret, _ = other.Seal(x.ID, FieldWebhookSecret, []byte("lost"))
		return putJSON(tx.Bucket(bucketWebhooks), []byte(x.ID), x)
	})
	if err != nil {
		t.Fatal(err)
	}
	next, _ := secrets.GenerateKey()
	var n int
	var unreadable []string
	err = f.st.db.Update(func(tx *bolt.Tx) error {
		var err error
		n, unreadable, err = resealWebhooks(tx, f.key, next)
		return err
	})
	if err != nil || n != 1 || len(unreadable) != 1 || unreadable[0] != bad.ID {
		t.Fatalf("resealed %d, unreadable %v, %v", n, unreadable, err)
	}
	got, _ := f.st.UserWebhook(f.ctx, u.ID, w.ID)
	if pt, err := next.Open(w.ID, FieldWebhookSecret, got.Secret); err != nil || string(pt) != c.Secret {
		t.Fatalf("resealed secret: %v", err)
	}
	if _, err := f.key.Open(w.ID, FieldWebhookSecret, got.Secret); err == nil {
		t.Fatal("the old key still opens it")
	}
}
