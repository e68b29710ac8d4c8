package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/globalautomation/gahost/host/internal/config"
	"github.com/globalautomation/gahost/host/internal/secrets"
	"github.com/globalautomation/gahost/host/internal/store"
	"github.com/globalautomation/gahost/host/internal/store/pgstore"
	"github.com/globalautomation/gahost/host/internal/store/pgstore/pgtest"
	"github.com/globalautomation/gahost/host/internal/users"
	"github.com/hashicorp/go-hclog"
)

// gahost store migrate moves a bbolt install into an empty PostgreSQL
// database with everything in it, verifies the counts, and refuses a
// second run into the now-used database. The DSN, given in the
// environment, shows in no output.
func TestStoreMigrateCommand(t *testing.T) {
	dsn := pgtest.NewDB(t)
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "config.hcl")
	if err := os.WriteFile(cfgPath, []byte("data_dir = \"./data\"\nencryption {\n  key_env = \"\"\n}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv(config.DSNEnv, dsn)
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	st, err := store.Open(ctx, store.Path(cfg.DataDir), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	key, err := secrets.Unlock(ctx, keySource(cfg), st, hclog.NewNullLogger())
	if err != nil {
		t.Fatal(err)
	}
	svc, _ := users.New(users.Config{Store: st})
	admin, err := svc.Bootstrap(ctx, filepath.Join(cfg.DataDir, "admin.token"))
	if err != nil {
		t.Fatal(err)
	}
	tokenRaw, err := os.ReadFile(filepath.Join(cfg.DataDir, "admin.token"))
	if err != nil {
		t.Fatal(err)
	}
	token := strings.TrimSpace(string(tokenRaw))
	u, err := svc.Authenticate(ctx, token)
	if err != nil {
		t.Fatal(err)
	}
	var accountIDs []string
	for i := range 3 {
		id := store.NewID()
		sealed, _ := key.SealCredentials(id, secrets.Credentials{APIKey: "key-0123456789", SecretKey: "secret"})
		a := store.Account{ID: id, UserID: u.ID, Name: "a", Exchange: "fake", IsActive: true, IsMain: i == 0, Secrets: sealed, KeysRev: 1}
		if err := st.EditAccounts(ctx, u.ID, func([]store.Account) (store.AccountChange, error) {
			return store.AccountChange{Put: []store.Account{a}}, nil
		}); err != nil {
			t.Fatal(err)
		}
		at := time.Date(2026, 1, 1, 0, i, 0, 0, time.UTC)
		if err := st.PutSyncResult(ctx, id, store.SyncResult{Started: at, Fresh: &store.Snapshot{SyncedAt: at},
			Point: func(store.Snapshot) (store.HistoryPoint, bool) { return store.HistoryPoint{At: at}, true },
			State: store.SyncState{Status: store.SyncOK, LastSyncAt: at}}); err != nil {
			t.Fatal(err)
		}
		accountIDs = append(accountIDs, id)
	}
	st.Close()
	_ = admin

	var out, errOut bytes.Buffer
	code := run([]string{"store", "migrate", "-config", cfgPath, "-from", "bbolt", "-to", "postgres"}, &out, &errOut)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	if !strings.Contains(out.String(), "1 users 1 tokens 3 accounts 3 snapshots 3 history 0 webhooks 0 deliveries") {
		t.Fatalf("output %q", out.String())
	}
	if strings.Contains(out.String()+errOut.String(), dsn) {
		t.Fatal("the DSN was printed")
	}
	pg, err := pgstore.Open(ctx, dsn, pgstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	if err := pg.CheckKey(ctx, key); err != nil {
		t.Fatal(err)
	}
	psvc, _ := users.New(users.Config{Store: pg})
	if got, err := psvc.Authenticate(ctx, token); err != nil || got.ID != u.ID || !got.IsAdmin() {
		t.Fatalf("the admin token after the move: %v", err)
	}
	for _, id := range accountIDs {
		a, err := pg.UserAccount(ctx, u.ID, id)
		if err != nil {
			t.Fatal(err)
		}
		if c, err := key.OpenCredentials(a.ID, a.Secrets); err != nil || c.SecretKey != "secret" {
			t.Fatalf("credentials after the move: %v", err)
		}
		if pts, _ := pg.History(ctx, id, time.Time{}, time.Time{}); len(pts) != 1 {
			t.Fatalf("history after the move: %d", len(pts))
		}
	}

	out.Reset()
	errOut.Reset()
	if code := run([]string{"store", "migrate", "-config", cfgPath, "-from", "bbolt", "-to", "postgres"}, &out, &errOut); code != 1 ||
		!strings.Contains(errOut.String(), "already holds data") {
		t.Fatalf("second migrate: exit %d %q", code, errOut.String())
	}
	if code := run([]string{"store", "migrate", "-config", cfgPath, "-from", "bbolt", "-to", "bbolt"}, &out, &errOut); code != 2 {
		t.Fatalf("same backend twice: exit %d", code)
	}
}

// TestMain stops the PostgreSQL server the store tests start, if any.
func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
