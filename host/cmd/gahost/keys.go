package main

import (
	"context"
	"fmt"
	"io"
	"os/signal"
	"syscall"

	"github.com/globalautomation/gahost/host/internal/secrets"
	"github.com/globalautomation/gahost/host/internal/store"
)

// cmdKeysRotate re-encrypts every stored secret under a new master key. The
// daemon must be stopped: the store's file lock makes a running one refuse.
func cmdKeysRotate(args []string, stdout, stderr io.Writer) int {
	cfg, ok := loadConfig("keys rotate", args, stderr)
	if !ok {
		return 1
	}
	log := newLogger(cfg, stderr)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	st, err := store.Open(ctx, store.Path(cfg.DataDir), store.Options{Logger: log.Named("store")})
	if err != nil {
		fmt.Fprintln(stderr, "gahost keys rotate:", err)
		return 1
	}
	defer st.Close()
	res, err := secrets.Rotate(ctx, keySource(cfg), st, log.Named("secrets"))
	if err != nil {
		fmt.Fprintln(stderr, "gahost keys rotate:", err)
		return 1
	}
	fmt.Fprintf(stdout, "rotated: %d accounts and %d webhooks re-encrypted, key %s -> %s\n", res.Accounts, res.Webhooks, res.OldKeyID, res.NewKeyID)
	if len(res.UnreadableWebhooks) > 0 {
		fmt.Fprintf(stdout, "webhooks left as they were (their secrets did not open with the old key): %v\n", res.UnreadableWebhooks)
	}
	if len(res.Unreadable) > 0 {
		fmt.Fprintf(stdout, "left as they were (they did not open with the old key either): %v\n", res.Unreadable)
	}
	switch {
	case res.KeyFile != "":
		fmt.Fprintf(stdout, "the new key is in %s; keep a copy of the old key only as long as you keep backups made before now\n", res.KeyFile)
	case res.KeyEnv != "":
		fmt.Fprintf(stdout, "now set %s to the value of %s and unset %s before the next start\n", res.KeyEnv, secrets.NewKeyEnv, secrets.NewKeyEnv)
	}
	return 0
}
