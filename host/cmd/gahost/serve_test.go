package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/globalautomation/gahost/host/internal/config"
	"github.com/globalautomation/gahost/host/internal/plugins"
	"github.com/globalautomation/gahost/host/internal/secrets"
	"github.com/globalautomation/gahost/host/internal/store"
	"github.com/hashicorp/go-hclog"
)

// A service that cannot be built stops the daemon with an error naming it,
// instead of the daemon running without it.
func TestServicesThatCannotStartStopTheDaemon(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, err := store.Open(ctx, filepath.Join(dir, "gahost.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	cat, err := plugins.New(plugins.Config{Dir: dir, Logger: hclog.NewNullLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer cat.Close()
	cfg := config.Default()
	log := hclog.NewNullLogger()

	if _, err := newServices(cfg, log, st, nil, cat); err == nil || !strings.HasPrefix(err.Error(), "accounts service: ") {
		t.Fatalf("without a master key: %v", err)
	}
	key, err := secrets.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	svc, err := newServices(cfg, log, st, key, cat)
	if err != nil || svc.accounts == nil || svc.users == nil || svc.webhooks == nil {
		t.Fatalf("newServices = %+v, %v", svc, err)
	}
}
