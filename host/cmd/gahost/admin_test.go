package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/globalautomation/gahost/host/internal/config"
	"github.com/globalautomation/gahost/host/internal/secrets"
	"github.com/globalautomation/gahost/host/internal/store"
	"github.com/globalautomation/gahost/host/internal/users"
	"github.com/hashicorp/go-hclog"
)

// gahost admin token mints a working admin token from the local database,
// prints it once, and refuses without the store's master key.
func TestAdminTokenCommand(t *testing.T) {
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "config.hcl")
	if err := os.WriteFile(cfgPath, []byte("data_dir = \"./data\"\nencryption {\n  key_env = \"\"\n}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var out, errOut bytes.Buffer
	if code := run([]string{"admin", "token", "-config", cfgPath}, &out, &errOut); code != 1 || !strings.Contains(errOut.String(), "no users yet") {
		t.Fatalf("empty data dir: exit %d %q", code, errOut.String())
	}
	// A first start: the key, the admin and its token file.
	st, err := store.Open(ctx, store.Path(cfg.DataDir), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := secrets.Unlock(ctx, keySource(cfg), st, hclog.NewNullLogger()); err != nil {
		t.Fatal(err)
	}
	svc, _ := users.New(users.Config{Store: st})
	if _, err := svc.Bootstrap(ctx, filepath.Join(cfg.DataDir, "admin.token")); err != nil {
		t.Fatal(err)
	}
	st.Close()

	out.Reset()
	errOut.Reset()
	if code := run([]string{"admin", "token", "-config", cfgPath}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	token := strings.TrimSpace(out.String())
	if !secrets.LooksLikeToken(token) || strings.Contains(errOut.String(), token) {
		t.Fatalf("output %q, log %q", out.String(), errOut.String())
	}
	st, err = store.Open(ctx, store.Path(cfg.DataDir), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	svc, _ = users.New(users.Config{Store: st})
	u, err := svc.Authenticate(ctx, token)
	st.Close()
	if err != nil || !u.IsAdmin() {
		t.Fatalf("the minted token: %+v %v", u, err)
	}
	if code := run([]string{"admin", "token", "-config", cfgPath, "-user", "nobody"}, &out, &errOut); code != 1 {
		t.Fatalf("a missing user: exit %d", code)
	}

	// Another master key does not open the store: no token.
	raw := make([]byte, secrets.KeySize)
	raw[0] = 1
	if err := os.WriteFile(cfg.Encryption.KeyFile, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	errOut.Reset()
	if code := run([]string{"admin", "token", "-config", cfgPath}, &out, &errOut); code != 1 || out.Len() != 0 {
		t.Fatalf("a wrong key: exit %d, out %q, err %q", code, out.String(), errOut.String())
	}
}
