package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os/signal"
	"syscall"

	"github.com/globalautomation/gahost/host/internal/config"
	"github.com/globalautomation/gahost/host/internal/secrets"
	"github.com/globalautomation/gahost/host/internal/users"
)

// cmdAdminToken mints a new API token for an admin from the local
// database and prints it once: the way back in after admin.token is lost.
// It needs the master key (whoever can open the store runs the host) and a
// stopped daemon (the store's file lock).
func cmdAdminToken(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("gahost admin token", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", "config.hcl", "path of the config file")
	user := fs.String("user", users.AdminUsername, "the admin to mint a token for")
	if err := fs.Parse(args); err != nil {
		return 1
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "gahost admin token: unexpected argument %q\n", fs.Arg(0))
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
	st, ok := openForKeys(ctx, "admin token", cfg, log, stderr)
	if !ok {
		return 1
	}
	defer st.Close()
	if has, err := st.HasUsers(ctx); err != nil || !has {
		fmt.Fprintln(stderr, "gahost admin token: the database has no users yet; start the daemon once to create the admin")
		return 1
	}
	// Proof of running the host: the master key must open the store.
	if _, err := secrets.Unlock(ctx, keySource(cfg), st, log.Named("secrets")); err != nil {
		fmt.Fprintln(stderr, "gahost admin token:", err)
		return 1
	}
	svc, err := users.New(users.Config{Store: st, Logger: log.Named("users")})
	if err != nil {
		fmt.Fprintln(stderr, "gahost admin token:", err)
		return 1
	}
	token, err := svc.MintAdminToken(ctx, *user)
	if err != nil {
		fmt.Fprintln(stderr, "gahost admin token:", err)
		return 1
	}
	// The token goes to stdout alone, so it can be piped; it is not kept
	// anywhere but as a hash.
	fmt.Fprintln(stdout, token)
	return 0
}
