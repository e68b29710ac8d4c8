package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/globalautomation/gahost/host/internal/api"
	"github.com/globalautomation/gahost/host/internal/config"
	"github.com/globalautomation/gahost/host/internal/plugins"
	"github.com/globalautomation/gahost/host/internal/scheduler"
	"github.com/globalautomation/gahost/host/internal/secrets"
	"github.com/globalautomation/gahost/host/internal/store"
	"github.com/hashicorp/go-hclog"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// shutdownGrace bounds a clean stop: HTTP requests, syncs and plugin calls
// in flight get this long before they are cut.
const shutdownGrace = 15 * time.Second

func cmdServe(args []string, stderr io.Writer) int {
	cfg, ok := loadConfig("serve", args, stderr)
	if !ok {
		return 1
	}
	log := newLogger(cfg, stderr)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	if err := serve(ctx, cfg, log); err != nil {
		log.Error("gahost stopped", "error", err)
		return 1
	}
	log.Info("gahost stopped")
	return 0
}

// openStore opens the database and proves the master key opens it. A wrong
// key stops here, before anything is written.
func openStore(ctx context.Context, cfg *config.Config, log hclog.Logger) (*store.Store, *secrets.Key, error) {
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, nil, fmt.Errorf("data dir: %w", err)
	}
	st, err := store.Open(ctx, store.Path(cfg.DataDir), store.Options{Logger: log.Named("store")})
	if err != nil {
		return nil, nil, err
	}
	key, err := secrets.Unlock(ctx, keySource(cfg), st, log.Named("secrets"))
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	return st, key, nil
}

func serve(ctx context.Context, cfg *config.Config, log hclog.Logger) error {
	log.Info("starting gahost", "version", version, "config", cfg.Path, "data_dir", cfg.DataDir)
	st, key, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer st.Close()
	tokenFile := filepath.Join(cfg.DataDir, "admin.token")
	if _, err := st.Bootstrap(ctx, tokenFile); err != nil {
		return fmt.Errorf("create admin user: %w", err)
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	pc := catalogConfig(cfg)
	pc.Logger = log
	pc.Registerer = reg
	cat, err := plugins.New(pc)
	if err != nil {
		return err
	}
	defer cat.Close()

	sc := scheduler.FromConfig(cfg)
	sc.Logger, sc.Registerer, sc.ShutdownGrace = log.Named("sync"), reg, shutdownGrace
	sched, err := scheduler.New(sc, st, cat, key)
	if err != nil {
		return err
	}

	// Listen before loading plugins, so /healthz answers (and /readyz says
	// 503) while they start.
	ln, err := net.Listen("tcp", cfg.API.Listen)
	if err != nil {
		return fmt.Errorf("api listen: %w", err)
	}
	router := api.New(api.Deps{
		Store:              st,
		Keys:               key,
		Exchanges:          cat,
		Plugins:            cat,
		Syncer:             sched,
		Metrics:            reg,
		Logger:             log.Named("api"),
		CORSAllowedOrigins: cfg.API.CORSAllowedOrigins,
		ValidateTimeout:    cfg.Sync.CallTimeout,
	})
	srv := &http.Server{
		Handler:           router,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          log.StandardLogger(&hclog.StandardLoggerOptions{InferLevels: true}),
	}
	srvErr := make(chan error, 1)
	go func() { srvErr <- srv.Serve(ln) }()
	log.Info("api listening", "addr", ln.Addr().String())

	if err := cat.Start(ctx); err != nil {
		shutdownHTTP(srv, log)
		return err
	}
	// The scheduler stops before the deferred catalog and store closes run.
	syncCtx, stopSync := context.WithCancel(ctx)
	syncDone := make(chan error, 1)
	go func() { syncDone <- sched.Run(syncCtx) }()
	defer func() {
		stopSync()
		if err := <-syncDone; err != nil {
			log.Error("sync scheduler stopped with an error", "error", err)
		}
	}()

	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)

	for {
		select {
		case <-ctx.Done():
			log.Info("shutting down")
			shutdownHTTP(srv, log)
			return nil
		case err := <-srvErr:
			if errors.Is(err, http.ErrServerClosed) {
				return nil
			}
			return fmt.Errorf("api server: %w", err)
		case <-hup:
			log.Info("SIGHUP: rescanning the plugin directory")
			if _, err := cat.Reload(ctx); err != nil {
				log.Error("plugin reload failed", "error", err)
			}
		}
	}
}

func shutdownHTTP(srv *http.Server, log hclog.Logger) {
	ctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		log.Warn("api shutdown cut requests in flight", "error", err)
	}
}

// keySource says where the master key comes from: the variable named by
// encryption.key_env when it is set in the environment, else the key file.
// key_env = "" turns the environment off altogether.
func keySource(cfg *config.Config) secrets.Source {
	src := secrets.Source{KeyFile: cfg.Encryption.KeyFile}
	switch {
	case cfg.Encryption.KeyEnv == "":
		src.Getenv = func(string) string { return "" }
	case os.Getenv(cfg.Encryption.KeyEnv) != "":
		src.KeyEnv = cfg.Encryption.KeyEnv
	}
	return src
}
