package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os/signal"
	"strings"
	"syscall"
	"text/tabwriter"

	"github.com/globalautomation/gahost/host/internal/config"
	"github.com/globalautomation/gahost/host/internal/secrets"
	"github.com/globalautomation/gahost/host/internal/store"
	"github.com/globalautomation/gahost/host/internal/store/pgstore"
	"github.com/hashicorp/go-hclog"
)

// cmdKeysRotate re-encrypts every stored secret under a new master key. The
// daemon must be stopped: the store's file lock makes a running one refuse,
// and on a PostgreSQL store, which has no such lock, the command refuses
// while any host's heartbeat is live (a host still running with the old key
// would fail to open what the rotation re-sealed).
func cmdKeysRotate(args []string, stdout, stderr io.Writer) int {
	cfg, ok := loadConfig("keys rotate", args, stderr)
	if !ok {
		return 1
	}
	log := newLogger(cfg, stderr)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	st, err := openBackend(ctx, cfg, "", log)
	if err != nil {
		fmt.Fprintln(stderr, "gahost keys rotate:", err)
		return 1
	}
	defer st.Close()
	if err := refuseLiveHosts(ctx, cfg, st); err != nil {
		fmt.Fprintln(stderr, "gahost keys rotate:", err)
		return 1
	}
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
		fmt.Fprintf(stdout, "the new key is in %s; the old key is kept in %s so backups made before now still open "+
			"(back it up with the key file; `gahost keys drop` removes it once no backup needs it)\n", res.KeyFile, res.RetiredFile)
	case res.KeyEnv != "":
		fmt.Fprintf(stdout, "now set %s to the value of %s and unset %s before the next start; "+
			"keep the old key as long as you keep backups made before now\n", res.KeyEnv, secrets.NewKeyEnv, secrets.NewKeyEnv)
	}
	return 0
}

// openForKeys opens the store of cfg for a key command; the daemon must be
// stopped, as for a rotation.
func openForKeys(ctx context.Context, name string, cfg *config.Config, log hclog.Logger, stderr io.Writer) (store.Backend, bool) {
	st, err := openBackend(ctx, cfg, "", log)
	if err != nil {
		fmt.Fprintf(stderr, "gahost %s: %v\n", name, err)
		return nil, false
	}
	return st, true
}

// cmdKeysList prints the current master key, the retired keys and any key
// id the database uses that no known key matches, each with the number of
// values sealed under it.
func cmdKeysList(args []string, stdout, stderr io.Writer) int {
	cfg, ok := loadConfig("keys list", args, stderr)
	if !ok {
		return 1
	}
	log := newLogger(cfg, stderr)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	st, ok := openForKeys(ctx, "keys list", cfg, log, stderr)
	if !ok {
		return 1
	}
	defer st.Close()
	keys, err := secrets.ListKeys(ctx, keySource(cfg), st, log.Named("secrets"))
	if err != nil {
		fmt.Fprintln(stderr, "gahost keys list:", err)
		return 1
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "KEY ID\tSTATE\tSEALED VALUES\tFILE")
	for _, k := range keys {
		state := "retired"
		switch {
		case k.Current:
			state = "current"
		case !k.Known:
			state = "missing"
		}
		file := k.File
		if file == "" {
			file = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\n", k.ID, state, k.Sealed, file)
	}
	if err := tw.Flush(); err != nil {
		fmt.Fprintln(stderr, "gahost keys list:", err)
		return 1
	}
	return 0
}

// cmdKeysDrop deletes one retired key: gahost keys drop -config FILE KEYID.
// It refuses while the database holds a value sealed under that key.
func cmdKeysDrop(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("gahost keys drop", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", "config.hcl", "path of the config file")
	if err := fs.Parse(args); err != nil {
		return 1
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, "usage: gahost keys drop -config FILE KEYID   (the key ids are printed by `gahost keys list`)")
		return 1
	}
	id, err := secrets.ParseKeyID(fs.Arg(0))
	if err != nil {
		fmt.Fprintln(stderr, "gahost keys drop:", err)
		return 1
	}
	cfg, err := config.Load(*path)
	if err != nil {
		printConfigError(stderr, err)
		return 1
	}
	log := newLogger(cfg, stderr)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	st, ok := openForKeys(ctx, "keys drop", cfg, log, stderr)
	if !ok {
		return 1
	}
	defer st.Close()
	if err := secrets.DropRetired(ctx, keySource(cfg), st, id, log.Named("secrets")); err != nil {
		fmt.Fprintln(stderr, "gahost keys drop:", err)
		return 1
	}
	fmt.Fprintf(stdout, "dropped retired key %s; backups made while it was current can no longer be opened\n", id)
	return 0
}

// refuseLiveHosts fails when st is a PostgreSQL store that hosts still
// use: one whose heartbeat is younger than the lease time.
func refuseLiveHosts(ctx context.Context, cfg *config.Config, st store.Backend) error {
	pg, ok := st.(*pgstore.Store)
	if !ok {
		return nil
	}
	hosts, _, _, err := pg.Cluster(ctx, cfg.Cluster.LeaseTTL)
	if err != nil {
		return err
	}
	var live []string
	for _, h := range hosts {
		if h.Live {
			live = append(live, h.HostID)
		}
	}
	if len(live) > 0 {
		return fmt.Errorf("%d gahost hosts are running on this database (%s); stop them all first "+
			"(a host stopped cleanly leaves at once, one that died counts as running for %s)",
			len(live), strings.Join(live, ", "), cfg.Cluster.LeaseTTL)
	}
	return nil
}
