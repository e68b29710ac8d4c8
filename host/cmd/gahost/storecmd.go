package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"syscall"

	"github.com/globalautomation/gahost/host/internal/config"
	"github.com/globalautomation/gahost/host/internal/store"
	"github.com/globalautomation/gahost/host/internal/store/pgstore"
	"github.com/hashicorp/go-hclog"
)

// storeDSN is the PostgreSQL connection string of cfg: the file's, else
// the environment's.
func storeDSN(cfg *config.Config) (string, error) {
	if cfg.Store.DSN != "" {
		return cfg.Store.DSN, nil
	}
	if dsn := os.Getenv(config.DSNEnv); dsn != "" {
		return dsn, nil
	}
	return "", fmt.Errorf("store backend %q needs a connection string: set store.dsn in the config or the environment variable %s",
		config.BackendPostgres, config.DSNEnv)
}

// openBackend opens the database of cfg with the given backend ("" is the
// configured one). A bbolt store lives in cfg.DataDir.
func openBackend(ctx context.Context, cfg *config.Config, backend string, log hclog.Logger) (store.Backend, error) {
	if backend == "" {
		backend = cfg.Store.Backend
	}
	switch backend {
	case config.BackendBbolt:
		if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
			return nil, fmt.Errorf("data dir: %w", err)
		}
		// Sync results are written behind: see store.DefaultSyncFlush.
		return store.Open(ctx, store.Path(cfg.DataDir), store.Options{Logger: log.Named("store"), SyncFlush: store.DefaultSyncFlush})
	case config.BackendPostgres:
		dsn, err := storeDSN(cfg)
		if err != nil {
			return nil, err
		}
		return pgstore.Open(ctx, dsn, pgstore.Options{Logger: log.Named("store")})
	}
	return nil, fmt.Errorf("unknown store backend %q", backend)
}

// cmdStoreMigrate copies every record of one backend into another, empty
// one, and verifies the counts. The daemon must be stopped (a bbolt
// source is locked by a running one; a PostgreSQL source would go on
// changing under the copy).
func cmdStoreMigrate(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("gahost store migrate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", "config.hcl", "path of the config file")
	from := fs.String("from", config.BackendBbolt, "backend to read: bbolt or postgres")
	to := fs.String("to", config.BackendPostgres, "backend to write (must be empty): bbolt or postgres")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	backends := []string{config.BackendBbolt, config.BackendPostgres}
	if !slices.Contains(backends, *from) || !slices.Contains(backends, *to) || *from == *to {
		fmt.Fprintf(stderr, "gahost store migrate: -from and -to must be two different backends of %v\n", backends)
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "gahost store migrate: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	cfg, err := config.Load(*path)
	if err != nil {
		printConfigError(stderr, err)
		return 1
	}
	log := newLogger(cfg, stderr)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	src, err := openBackend(ctx, cfg, *from, log)
	if err != nil {
		fmt.Fprintln(stderr, "gahost store migrate: open the source:", err)
		return 1
	}
	defer src.Close()
	dst, err := openBackend(ctx, cfg, *to, log)
	if err != nil {
		fmt.Fprintln(stderr, "gahost store migrate: open the destination:", err)
		return 1
	}
	defer dst.Close()
	counts, err := store.Copy(ctx, src, dst)
	if errors.Is(err, store.ErrNotEmpty) {
		fmt.Fprintf(stderr, "gahost store migrate: the %s store already holds data; migrate only into an empty one\n", *to)
		return 1
	}
	if err != nil {
		fmt.Fprintln(stderr, "gahost store migrate:", err)
		return 1
	}
	fmt.Fprintf(stdout, "migrated %s -> %s, verified:", *from, *to)
	for _, k := range []string{"users", "tokens", "accounts", "snapshots", "history", "webhooks", "deliveries"} {
		fmt.Fprintf(stdout, " %d %s", counts[k], k)
	}
	fmt.Fprintln(stdout)
	fmt.Fprintf(stdout, "set store.backend = %q in the config before the next start\n", *to)
	return 0
}
