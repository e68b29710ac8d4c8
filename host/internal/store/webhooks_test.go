package store

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

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

// byToken looks a webhook up by its token's hash.
func (f *fixture) byToken(token string) (Webhook, error) {
	return f.st.WebhookByTokenHash(f.ctx, secrets.HashToken(token))
}

func TestWebhookCreateAndLookup(t *testing.T) {
	f := newFixture(t)
	u := f.user(t, "u")
	a := f.account(t, u.ID, "a", false)
	w, c := f.webhook(t, u.ID, a.ID)

	got, err := f.byToken(c.Token)
	if err != nil || got.ID != w.ID || got.MaxNotional.String() != "100.5" || got.TokenHint != w.TokenHint {
		t.Fatalf("by token: %+v %v", got, err)
	}
	pt, err := f.key.Open(w.ID, FieldWebhookSecret, got.Secret)
	if err != nil || string(pt) != c.Secret {
		t.Fatalf("secret does not open to what was stored: %v", err)
	}
	changed := c.Token[:len(c.Token)-1] + "x"
	if strings.HasSuffix(c.Token, "x") {
		changed = c.Token[:len(c.Token)-1] + "y"
	}
	for _, bad := range []string{"", "nope", changed, c.Secret} {
		if _, err := f.byToken(bad); !errors.Is(err, ErrNotFound) {
			t.Fatalf("token %q: %v", bad, err)
		}
	}
}

func TestWebhookOwnership(t *testing.T) {
	f := newFixture(t)
	alice, bob := f.user(t, "alice"), f.user(t, "bob")
	aliceAcct, bobAcct := f.account(t, alice.ID, "a", false), f.account(t, bob.ID, "b", false)
	w, _ := f.webhook(t, alice.ID, aliceAcct.ID)

	stray := w
	stray.ID, stray.AccountID, stray.TokenHash = NewID(), bobAcct.ID, []byte("another-token-hash-of-32-bytes!!")
	if err := f.st.CreateWebhook(f.ctx, stray); !errors.Is(err, ErrAccountNotFound) {
		t.Fatalf("bound to another user's account: %v", err)
	}
	if _, err := f.st.UserWebhook(f.ctx, bob.ID, w.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("bob reads alice's webhook: %v", err)
	}
	if _, err := f.st.ListDeliveries(f.ctx, bob.ID, w.ID, 0); !errors.Is(err, ErrNotFound) {
		t.Fatalf("bob lists alice's deliveries: %v", err)
	}
	rename := func(w *Webhook) error { w.Name = "stolen"; return nil }
	if _, err := f.st.UpdateWebhook(f.ctx, bob.ID, w.ID, rename); !errors.Is(err, ErrNotFound) {
		t.Fatalf("bob renames alice's webhook: %v", err)
	}
	rebind := func(w *Webhook) error { w.AccountID = bobAcct.ID; return nil }
	if _, err := f.st.UpdateWebhook(f.ctx, alice.ID, w.ID, rebind); !errors.Is(err, ErrAccountNotFound) {
		t.Fatalf("alice rebinds to bob's account: %v", err)
	}
	// Neither the id nor the owner can be changed by an edit.
	steal := func(w *Webhook) error { w.UserID, w.ID = bob.ID, "other"; return nil }
	if got, err := f.st.UpdateWebhook(f.ctx, alice.ID, w.ID, steal); err != nil || got.UserID != alice.ID || got.ID != w.ID {
		t.Fatalf("edit changed identity: %+v %v", got, err)
	}
	if err := f.st.DeleteWebhook(f.ctx, bob.ID, w.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("bob deletes alice's webhook: %v", err)
	}
	if list, _ := f.st.ListWebhooks(f.ctx, bob.ID); len(list) != 0 {
		t.Fatalf("bob lists %d webhooks", len(list))
	}
	if list, _ := f.st.ListWebhooks(f.ctx, alice.ID); len(list) != 1 {
		t.Fatalf("alice lists %d webhooks", len(list))
	}
}

func TestWebhookUpdateSwapsTokenAndAborts(t *testing.T) {
	f := newFixture(t)
	u := f.user(t, "u")
	a, b := f.account(t, u.ID, "a", false), f.account(t, u.ID, "b", false)
	w, c := f.webhook(t, u.ID, a.ID)

	newToken := randomText(t, "gahwh_")
	newHash := secrets.HashToken(newToken)
	f.clock.add(time.Minute)
	w2, err := f.st.UpdateWebhook(f.ctx, u.ID, w.ID, func(x *Webhook) error {
		x.AccountID, x.MaxNotional, x.TokenHash = b.ID, nil, newHash[:]
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if w2.AccountID != b.ID || w2.MaxNotional != nil || !w2.UpdatedAt.Equal(f.clock.now()) || !w2.CreatedAt.Equal(w.CreatedAt) {
		t.Fatalf("edit not applied: %+v", w2)
	}
	if _, err := f.byToken(c.Token); !errors.Is(err, ErrNotFound) {
		t.Fatalf("old token still works: %v", err)
	}
	if got, err := f.byToken(newToken); err != nil || got.ID != w.ID {
		t.Fatalf("new token: %v", err)
	}

	// An edit that fails leaves everything as it was.
	_, err = f.st.UpdateWebhook(f.ctx, u.ID, w.ID, func(x *Webhook) error {
		x.Name = "renamed"
		x.TokenHash = []byte("yet-another-token-hash-32-bytes!")
		return errors.New("no")
	})
	if err == nil || err.Error() != "no" {
		t.Fatalf("failed edit: %v", err)
	}
	if got, _ := f.st.UserWebhook(f.ctx, u.ID, w.ID); got.Name != "tv" {
		t.Fatal("failed edit changed the name")
	}
	if _, err := f.byToken(newToken); err != nil {
		t.Fatal("failed edit dropped the token")
	}
}

func delivery(w Webhook, alertID string, at time.Time) Delivery {
	return Delivery{WebhookID: w.ID, ReceivedAt: at, Status: DeliveryPending, AlertID: alertID, Action: "buy",
		Symbol: "BTC/USDT:USDT", Order: &DeliveryOrder{ClientOrderID: "c-" + alertID}}
}

func TestRecordDeliveryClaimsAlertIDOnceUnderConcurrency(t *testing.T) {
	f := newFixture(t)
	u := f.user(t, "u")
	w, _ := f.webhook(t, u.ID, f.account(t, u.ID, "a", false).ID)

	const n = 20
	var wg sync.WaitGroup
	results := make([]Delivery, n)
	firsts := make([]*Delivery, n)
	errs := make([]error, n)
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			results[i], firsts[i], errs[i] = f.st.RecordDelivery(f.ctx, delivery(w, "same-alert", time.Time{}))
		}()
	}
	close(start)
	wg.Wait()
	var claimer string
	for i := range n {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if firsts[i] == nil {
			if claimer != "" {
				t.Fatal("two deliveries claimed one alert id")
			}
			claimer = results[i].ID
		}
	}
	if claimer == "" {
		t.Fatal("nobody claimed the alert id")
	}
	for i := range n {
		if firsts[i] == nil {
			continue
		}
		if results[i].Status != DeliveryDuplicate || results[i].DuplicateOf != claimer || firsts[i].ID != claimer ||
			results[i].Order != nil {
			t.Fatalf("duplicate %d: %+v", i, results[i])
		}
	}
	list, err := f.st.ListDeliveries(f.ctx, u.ID, w.ID, 0)
	if err != nil || len(list) != n {
		t.Fatalf("%d deliveries, %v", len(list), err)
	}
	// Another alert id, and no alert id at all, are not duplicates.
	for _, id := range []string{"other", "", ""} {
		_, first, err := f.st.RecordDelivery(f.ctx, delivery(w, id, time.Time{}))
		if err != nil || first != nil {
			t.Fatalf("alert id %q: first=%v err=%v", id, first, err)
		}
	}
}

func TestFinishDelivery(t *testing.T) {
	f := newFixture(t)
	u := f.user(t, "u")
	w, _ := f.webhook(t, u.ID, f.account(t, u.ID, "a", false).ID)
	d, _, err := f.st.RecordDelivery(f.ctx, delivery(w, "a1", time.Time{}))
	if err != nil {
		t.Fatal(err)
	}
	d.Status, d.Order.ExchangeOrderID = DeliveryExecuted, "X1"
	if err := f.st.FinishDelivery(f.ctx, d); err != nil {
		t.Fatal(err)
	}
	// The duplicate answer shows the finished first delivery.
	_, first, err := f.st.RecordDelivery(f.ctx, delivery(w, "a1", time.Time{}))
	if err != nil || first == nil || first.Status != DeliveryExecuted || first.Order.ExchangeOrderID != "X1" {
		t.Fatalf("first = %+v, %v", first, err)
	}
	if err := f.st.DeleteWebhook(f.ctx, u.ID, w.ID); err != nil {
		t.Fatal(err)
	}
	if err := f.st.FinishDelivery(f.ctx, d); !errors.Is(err, ErrNotFound) {
		t.Fatalf("finish after delete: %v", err)
	}
	if _, _, err := f.st.RecordDelivery(f.ctx, delivery(w, "a2", time.Time{})); !errors.Is(err, ErrNotFound) {
		t.Fatalf("record after delete: %v", err)
	}
}

func TestDeliveriesArePrunedAndListedNewestFirst(t *testing.T) {
	f := newFixture(t)
	u := f.user(t, "u")
	acct := f.account(t, u.ID, "a", false)
	w, _ := f.webhook(t, u.ID, acct.ID)
	other, _ := f.webhook(t, u.ID, acct.ID)
	t0 := f.clock.now()
	if _, _, err := f.st.RecordDelivery(f.ctx, delivery(other, "o1", t0)); err != nil {
		t.Fatal(err)
	}
	// A delivery left pending an hour ago (a daemon that stopped) may go;
	// one pending just now must stay, however old it is in the order.
	stale := delivery(w, "stale-pending", t0.Add(-2*time.Hour))
	if _, _, err := f.st.RecordDelivery(f.ctx, stale); err != nil {
		t.Fatal(err)
	}
	young := delivery(w, "young-pending", t0.Add(-time.Minute))
	young, _, err := f.st.RecordDelivery(f.ctx, young)
	if err != nil {
		t.Fatal(err)
	}
	const extra = 12
	for i := range MaxDeliveries + extra {
		d := delivery(w, fmt.Sprintf("a%03d", i), t0.Add(time.Duration(i)*time.Millisecond))
		d.Status = DeliveryExecuted
		if _, _, err := f.st.RecordDelivery(f.ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	list, err := f.st.ListDeliveries(f.ctx, u.ID, w.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != MaxDeliveries {
		t.Fatalf("%d deliveries kept", len(list))
	}
	for i := 1; i < len(list); i++ {
		if list[i].ReceivedAt.After(list[i-1].ReceivedAt) {
			t.Fatal("not newest first")
		}
	}
	if list[0].AlertID != fmt.Sprintf("a%03d", MaxDeliveries+extra-1) || list[len(list)-1].ID != young.ID {
		t.Fatalf("ends: %s … %s", list[0].AlertID, list[len(list)-1].AlertID)
	}
	if got, _ := f.st.ListDeliveries(f.ctx, u.ID, w.ID, 3); len(got) != 3 || got[0].ID != list[0].ID {
		t.Fatal("limit")
	}
	if got, _ := f.st.ListDeliveries(f.ctx, u.ID, other.ID, 0); len(got) != 1 || got[0].AlertID != "o1" {
		t.Fatalf("the other webhook's deliveries: %+v", got)
	}
	// A pruned delivery's claim went with it; a kept one's is still there.
	for id, dup := range map[string]bool{"a000": false, "stale-pending": false, "a100": true, "young-pending": true} {
		_, first, err := f.st.RecordDelivery(f.ctx, delivery(w, id, time.Time{}))
		if err != nil || (first != nil) != dup {
			t.Fatalf("alert %s after pruning: duplicate=%v, want %v (%v)", id, first != nil, dup, err)
		}
	}
}

func TestDeleteWebhookRemovesEverything(t *testing.T) {
	f := newFixture(t)
	u := f.user(t, "u")
	acct := f.account(t, u.ID, "a", false)
	w, c := f.webhook(t, u.ID, acct.ID)
	keep, keepCreds := f.webhook(t, u.ID, acct.ID)
	for i := range 3 {
		for _, x := range []Webhook{w, keep} {
			if _, _, err := f.st.RecordDelivery(f.ctx, delivery(x, fmt.Sprint(i), time.Time{})); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := f.st.DeleteWebhook(f.ctx, u.ID, w.ID); err != nil {
		t.Fatal(err)
	}
	f.assertGone(t, w, c)
	if got, _ := f.st.ListDeliveries(f.ctx, u.ID, keep.ID, 0); len(got) != 3 {
		t.Fatal("the other webhook lost deliveries")
	}
	if _, err := f.byToken(keepCreds.Token); err != nil {
		t.Fatal("the other webhook lost its token")
	}
}

// assertGone checks that no bucket holds anything of w.
func (f *fixture) assertGone(t *testing.T, w Webhook, c hookCreds) {
	t.Helper()
	if _, err := f.byToken(c.Token); !errors.Is(err, ErrNotFound) {
		t.Fatalf("token still works: %v", err)
	}
	err := f.st.db.View(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketWebhooks, bucketDeliveries, bucketAlertIDs} {
			k, _ := tx.Bucket(b).Cursor().Seek([]byte(w.ID))
			if k != nil && bytes.HasPrefix(k, []byte(w.ID)) {
				return fmt.Errorf("bucket %s still holds %x", b, k)
			}
		}
		if tx.Bucket(bucketUserWebhooks).Get(userWebhookKey(w.UserID, w.ID)) != nil {
			return errors.New("user index still holds it")
		}
		if tx.Bucket(bucketHookTokens).Get(w.TokenHash) != nil {
			return errors.New("token index still holds it")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestDeleteAccountDeletesItsWebhooks(t *testing.T) {
	f := newFixture(t)
	u := f.user(t, "u")
	a, b := f.account(t, u.ID, "a", false), f.account(t, u.ID, "b", false)
	wa, ca := f.webhook(t, u.ID, a.ID)
	wb, _ := f.webhook(t, u.ID, b.ID)
	if _, _, err := f.st.RecordDelivery(f.ctx, delivery(wa, "x", time.Time{})); err != nil {
		t.Fatal(err)
	}
	if err := f.deleteAccount(u.ID, a.ID); err != nil {
		t.Fatal(err)
	}
	f.assertGone(t, wa, ca)
	list, err := f.st.ListWebhooks(f.ctx, u.ID)
	if err != nil || len(list) != 1 || list[0].ID != wb.ID {
		t.Fatalf("left: %+v %v", list, err)
	}
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

// A master key rotation re-seals webhook secrets in the same transaction as
// the accounts', so every webhook still opens afterwards, with the new key only.
func TestResealCoversWebhooks(t *testing.T) {
	f := newFixture(t)
	u := f.user(t, "u")
	a := f.account(t, u.ID, "a", false)
	w, c := f.webhook(t, u.ID, a.ID)
	nk, err := secrets.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	rep, err := f.st.Reseal(f.ctx, f.key, nk)
	if err != nil || rep.Webhooks != 1 || len(rep.UnreadableWebhooks) != 0 {
		t.Fatalf("reseal: %+v %v", rep, err)
	}
	got, err := f.byToken(c.Token)
	if err != nil {
		t.Fatal(err)
	}
	if pt, err := nk.Open(w.ID, FieldWebhookSecret, got.Secret); err != nil || string(pt) != c.Secret {
		t.Fatalf("webhook secret under the new key: %v", err)
	}
	if _, err := f.key.Open(w.ID, FieldWebhookSecret, got.Secret); err == nil {
		t.Fatal("webhook secret still opens with the old key")
	}
}
