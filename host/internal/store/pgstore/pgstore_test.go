package pgstore_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/globalautomation/gahost/host/internal/secrets"
	"github.com/globalautomation/gahost/host/internal/store"
	"github.com/globalautomation/gahost/host/internal/store/pgstore"
	"github.com/globalautomation/gahost/host/internal/store/pgstore/pgtest"
)

// Hosts starting together on a new database migrate it once, and a later
// open leaves the schema as it is.
func TestConcurrentOpensMigrateOnce(t *testing.T) {
	dsn := pgtest.NewDB(t)
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st, err := pgstore.Open(context.Background(), dsn, pgstore.Options{})
			if err == nil {
				st.Close()
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	st := open(t, dsn, nil)
	var n, max int
	if err := st.Pool().QueryRow(context.Background(), `SELECT count(*), max(version) FROM schema_migrations`).Scan(&n, &max); err != nil {
		t.Fatal(err)
	}
	if n != pgstore.SchemaVersion || max != pgstore.SchemaVersion {
		t.Fatalf("%d migrations recorded, newest %d; want %d", n, max, pgstore.SchemaVersion)
	}
}

func TestNewerSchemaIsRefused(t *testing.T) {
	dsn := pgtest.NewDB(t)
	st := open(t, dsn, nil)
	if _, err := st.Pool().Exec(context.Background(), `INSERT INTO schema_migrations (version) VALUES (99)`); err != nil {
		t.Fatal(err)
	}
	if _, err := pgstore.Open(context.Background(), dsn, pgstore.Options{}); err == nil || !strings.Contains(err.Error(), "newer") {
		t.Fatalf("err = %v", err)
	}
}

// A DSN's password never shows in an error.
func TestDSNNotInErrors(t *testing.T) {
	dsn := "postgres://gahost:Sup3rSecretPw@127.0.0.1:1/gahost?connect_timeout=1"
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := pgstore.Open(ctx, dsn, pgstore.Options{})
	if err == nil {
		t.Fatal("open of a closed port worked")
	}
	if strings.Contains(err.Error(), "Sup3rSecretPw") {
		t.Fatalf("password in error: %v", err)
	}
	_, err = pgstore.Open(ctx, "postgres://u:Sup3rSecretPw@host:notaport/db", pgstore.Options{})
	if err == nil || strings.Contains(err.Error(), "Sup3rSecretPw") {
		t.Fatalf("bad DSN: %v", err)
	}
}

// Two hosts (two pools) recording the same alert at once: the database
// lets exactly one claim it.
func TestAlertIdempotentAcrossHosts(t *testing.T) {
	dsn := pgtest.NewDB(t)
	a, b := open(t, dsn, nil), open(t, dsn, nil)
	ctx := context.Background()
	k, _ := secrets.GenerateKey()
	_, h, _ := secrets.NewToken()
	u, err := a.CreateUser(ctx, store.NewUser{Username: "u", Role: store.RoleUser, Token: h})
	if err != nil {
		t.Fatal(err)
	}
	acct := store.Account{ID: store.NewID(), UserID: u.ID, Name: "a", Exchange: "fake", IsActive: true, KeysRev: 1}
	if err := a.EditAccounts(ctx, u.ID, func([]store.Account) (store.AccountChange, error) {
		return store.AccountChange{Put: []store.Account{acct}}, nil
	}); err != nil {
		t.Fatal(err)
	}
	hookID := store.NewID()
	sealed, _ := k.Seal(hookID, store.FieldWebhookSecret, []byte("s"))
	_, th, _ := secrets.NewToken()
	w := store.Webhook{ID: hookID, UserID: u.ID, Name: "w", AccountID: acct.ID, Market: "spot", TokenHash: th[:], Secret: sealed}
	if err := a.CreateWebhook(ctx, w); err != nil {
		t.Fatal(err)
	}
	for round := range 20 {
		alert := fmt.Sprint("alert-", round)
		var wg sync.WaitGroup
		firsts := make(chan bool, 8)
		for i := range 8 {
			st := a
			if i%2 == 1 {
				st = b
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				d, first, err := st.RecordDelivery(ctx, store.Delivery{WebhookID: hookID, Status: store.DeliveryPending, AlertID: alert})
				if err != nil {
					t.Error(err)
					return
				}
				firsts <- first == nil && d.Status == store.DeliveryPending
			}()
		}
		wg.Wait()
		close(firsts)
		n := 0
		for f := range firsts {
			if f {
				n++
			}
		}
		if n != 1 {
			t.Fatalf("round %d: %d deliveries recorded as first", round, n)
		}
	}
}

// The database holds no plaintext credential or token.
func TestDatabaseHoldsNoPlaintext(t *testing.T) {
	dsn := pgtest.NewDB(t)
	st := open(t, dsn, nil)
	ctx := context.Background()
	k, _ := secrets.GenerateKey()
	if err := st.InitKey(ctx, k); err != nil {
		t.Fatal(err)
	}
	token, h, _ := secrets.NewToken()
	u, err := st.CreateUser(ctx, store.NewUser{Username: "u", Role: store.RoleUser, Token: h})
	if err != nil {
		t.Fatal(err)
	}
	c := secrets.Credentials{APIKey: "PLAINAPIKEYxxxxxxxxxxxxxxxxxxxx", SecretKey: "PLAINSECRETyyyyyyyyyyy", Passphrase: "PLAINPASSzzzz"}
	id := store.NewID()
	sealed, _ := k.SealCredentials(id, c)
	if err := st.EditAccounts(ctx, u.ID, func([]store.Account) (store.AccountChange, error) {
		return store.AccountChange{Put: []store.Account{{ID: id, UserID: u.ID, Name: "a", Exchange: "fake", Secrets: sealed}}}, nil
	}); err != nil {
		t.Fatal(err)
	}
	var all bytes.Buffer
	for _, tbl := range []string{"meta", "users", "tokens", "accounts", "snapshots", "history", "webhooks", "deliveries"} {
		rows, err := st.Pool().Query(ctx, `SELECT t::text FROM `+tbl+` t`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			all.WriteString(s)
		}
		rows.Close()
	}
	if all.Len() == 0 {
		t.Fatal("read nothing")
	}
	for _, p := range []string{c.APIKey[:20], c.SecretKey, c.Passphrase, token} {
		if bytes.Contains(all.Bytes(), []byte(p)) {
			t.Fatalf("database holds a secret (%d bytes)", len(p))
		}
	}
}

// A backup of a PostgreSQL store is a bbolt file that opens with the key.
func TestBackupIsABboltFile(t *testing.T) {
	st := open(t, pgtest.NewDB(t), nil)
	ctx := context.Background()
	k, _ := secrets.GenerateKey()
	if err := st.InitKey(ctx, k); err != nil {
		t.Fatal(err)
	}
	_, h, _ := secrets.NewToken()
	u, err := st.CreateUser(ctx, store.NewUser{Username: "u", Role: store.RoleUser, Token: h})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	size := int64(-1)
	if err := st.BackupTo(ctx, func(n int64) (io.Writer, error) {
		size = n
		return &buf, nil
	}); err != nil {
		t.Fatal(err)
	}
	if size != int64(buf.Len()) {
		t.Fatalf("announced %d bytes, wrote %d", size, buf.Len())
	}
	path := filepath.Join(t.TempDir(), "backup.db")
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	restored, err := store.Open(ctx, path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer restored.Close()
	if err := restored.CheckKey(ctx, k); err != nil {
		t.Fatal(err)
	}
	if got, err := restored.User(ctx, u.ID); err != nil || got.Username != "u" {
		t.Fatalf("user in the backup: %v", err)
	}
	if _, err := restored.User(ctx, "x"); !errors.Is(err, store.ErrNotFound) {
		t.Fatal(err)
	}
}
