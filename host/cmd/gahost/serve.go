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

	"github.com/globalautomation/gahost/host/internal/accounts"
	"github.com/globalautomation/gahost/host/internal/api"
	"github.com/globalautomation/gahost/host/internal/budget"
	"github.com/globalautomation/gahost/host/internal/config"
	"github.com/globalautomation/gahost/host/internal/plugins"
	"github.com/globalautomation/gahost/host/internal/prices"
	"github.com/globalautomation/gahost/host/internal/scheduler"
	"github.com/globalautomation/gahost/host/internal/secrets"
	"github.com/globalautomation/gahost/host/internal/store"
	"github.com/globalautomation/gahost/host/internal/users"
	"github.com/globalautomation/gahost/host/internal/web"
	"github.com/globalautomation/gahost/host/internal/webhooks"
	"github.com/hashicorp/go-hclog"
	lifecycle "github.com/oklog/run"
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
	if err := serve(context.Background(), cfg, log); err != nil {
		log.Error("gahost stopped", "error", err)
		return 1
	}
	log.Info("gahost stopped")
	return 0
}

// openStore opens the database and proves the master key opens it. A wrong
// key stops here, before anything is written.
func openStore(ctx context.Context, cfg *config.Config, log hclog.Logger) (store.Backend, *secrets.Key, error) {
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, nil, fmt.Errorf("data dir: %w", err)
	}
	st, err := openBackend(ctx, cfg, "", log)
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

// services are the domain services the API calls, built before anything
// listens: one that cannot start stops the daemon.
type services struct {
	accounts *accounts.Service
	users    *users.Service
	webhooks *webhooks.Service
}

func newServices(cfg *config.Config, log hclog.Logger, st store.Backend, key *secrets.Key, cat *plugins.Catalog) (services, error) {
	var (
		svc services
		err error
	)
	svc.accounts, err = accounts.New(accounts.Config{Store: st, Keys: key, Exchanges: cat,
		Logger: log.Named("accounts"), ValidateTimeout: cfg.Sync.CallTimeout, MaxAccounts: cfg.Limits.AccountsPerUser})
	if err != nil {
		return services{}, fmt.Errorf("accounts service: %w", err)
	}
	if svc.users, err = users.New(users.Config{Store: st, Logger: log.Named("users")}); err != nil {
		return services{}, fmt.Errorf("users service: %w", err)
	}
	svc.webhooks, err = webhooks.New(webhooks.Config{Store: st, Keys: key, Exchanges: cat,
		Logger: log.Named("webhooks"),
		// The same deadline as any other plugin call of the API.
		CallTimeout: cfg.Sync.CallTimeout, MaxWebhooks: cfg.Limits.WebhooksPerUser,
		ReplayWindow: replayWindow(cfg.Webhooks.ReplayWindow)})
	if err != nil {
		return services{}, fmt.Errorf("webhooks service: %w", err)
	}
	return svc, nil
}

// serve runs the daemon until a signal or a failing part stops it. The
// parts are actors of one run.Group: signals, the HTTP server, the plugin
// catalog (start, SIGHUP reloads), the sync scheduler and the price reads
// that value balances. When one ends,
// the others are stopped in that order, so requests drain before syncs stop
// and syncs before the plugins they call; the store closes last.
func serve(ctx context.Context, cfg *config.Config, log hclog.Logger) error {
	log.Info("starting gahost", "version", version, "config", cfg.Path, "data_dir", cfg.DataDir)
	st, key, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer st.Close()

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

	svc, err := newServices(cfg, log, st, key, cat)
	if err != nil {
		return err
	}
	// Orders still in flight when the daemon stops get their outcome
	// recorded before the plugins they go through are stopped.
	defer svc.webhooks.Wait()
	if _, err := svc.users.Bootstrap(ctx, filepath.Join(cfg.DataDir, "admin.token")); err != nil {
		return fmt.Errorf("create admin user: %w", err)
	}

	sc := scheduler.FromConfig(cfg)
	sc.Logger, sc.Registerer, sc.ShutdownGrace = log.Named("sync"), reg, shutdownGrace
	sc.Pacers, sc.Prepaid = catalogPacers(cat), budget.Prepaid
	// Prices are read once a sync interval per exchange, paid from the
	// same budgets through the catalog; syncs value their history points
	// at them.
	// With a shared PostgreSQL store, this host syncs only the accounts it
	// holds a lease on, and writes their results under that lease.
	var sched *scheduler.Scheduler
	syncSoon := func(id string) {
		sched.AccountChanged(id)
		go func() {
			sctx, cancel := context.WithTimeout(ctx, time.Minute)
			defer cancel()
			_ = sched.SyncNow(sctx, id) // the outcome is in the account's sync state
		}()
	}
	keeper, err := newKeeper(cfg, log, reg, st, cat, sc.Interval, func(id string) { sched.AccountChanged(id) }, syncSoon)
	if err != nil {
		return err
	}
	var syncStore interface {
		scheduler.Store
		prices.Store
	} = st
	if keeper != nil {
		log.Info("sharing the store with other hosts", "host_id", keeper.HostID(), "lease_ttl", keeper.TTL())
		syncStore = keeper.Store()
	}
	px, err := prices.New(prices.Config{Catalog: cat, Store: syncStore, Every: sc.Interval, CallTimeout: sc.CallTimeout,
		Logger: log.Named("prices")})
	if err != nil {
		return err
	}
	sc.Value = px.ValuePoint
	strm, err := newStreams(cfg, log, reg, syncStore, cat, key, &sc, &sched)
	if err != nil {
		return err
	}
	sched, err = scheduler.New(sc, schedulerStore(syncStore, strm), cat, key)
	if err != nil {
		return err
	}

	// Listen before loading plugins, so /healthz answers (and /readyz says
	// 503) while they start.
	ln, err := net.Listen("tcp", cfg.API.Listen)
	if err != nil {
		return fmt.Errorf("api listen: %w", err)
	}
	if ln, err = api.LimitListener(ln, cfg.API.MaxConnections, reg); err != nil {
		return fmt.Errorf("api listen: %w", err)
	}
	var metricsLn net.Listener
	if cfg.API.MetricsListen != "" {
		if metricsLn, err = net.Listen("tcp", cfg.API.MetricsListen); err != nil {
			ln.Close()
			return fmt.Errorf("metrics listen: %w", err)
		}
	}
	deps := api.Deps{
		Store:              st,
		Accounts:           svc.accounts,
		Users:              svc.users,
		Webhooks:           svc.webhooks,
		Plugins:            cat,
		Endpoints:          endpointOverrides(cfg),
		Syncer:             apiSyncer(sched, strm),
		Streams:            apiStreams(strm),
		Valuer:             px,
		Metrics:            reg,
		MetricsToken:       cfg.API.MetricsToken,
		MetricsElsewhere:   metricsLn != nil,
		Logger:             log.Named("api"),
		CORSAllowedOrigins: cfg.API.CORSAllowedOrigins,
		PublicURL:          cfg.API.PublicURL,
	}
	if keeper != nil {
		// A manual sync or an edit of an account another host holds is
		// passed to that host.
		deps.Cluster, deps.Syncer = keeper, keeper.Syncer(ctx, sched)
	}
	router := api.New(deps)
	errorLog := log.StandardLogger(&hclog.StandardLoggerOptions{InferLevels: true})
	limits := api.ServerLimits{ReadTimeout: cfg.API.ReadTimeout, WriteTimeout: cfg.API.WriteTimeout,
		IdleTimeout: cfg.API.IdleTimeout, MaxConnections: cfg.API.MaxConnections}
	srv := api.NewServer(web.Handler(router), limits, errorLog) // the dashboard at /, the API beside it

	var g lifecycle.Group
	g.Add(lifecycle.SignalHandler(ctx, syscall.SIGTERM, syscall.SIGINT))
	g.Add(func() error {
		log.Info("api listening", "addr", ln.Addr().String())
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("api server: %w", err)
		}
		return nil
	}, func(error) {
		shutdownHTTP(srv, log)
	})

	if metricsLn != nil {
		msrv := api.NewServer(api.MetricsHandler(reg, cfg.API.MetricsToken), limits, errorLog)
		g.Add(func() error {
			log.Info("metrics listening", "addr", metricsLn.Addr().String())
			if err := msrv.Serve(metricsLn); !errors.Is(err, http.ErrServerClosed) {
				return fmt.Errorf("metrics server: %w", err)
			}
			return nil
		}, func(error) {
			shutdownHTTP(msrv, log)
		})
	}

	// The scheduler starts once the plugins are loaded.
	pluginsReady := make(chan struct{})
	catCtx, stopCat := context.WithCancel(ctx)
	g.Add(func() error {
		if err := cat.Start(catCtx); err != nil {
			return err
		}
		close(pluginsReady)
		return watchReloads(catCtx, cat, log)
	}, func(error) {
		stopCat()
	})

	syncCtx, stopSync := context.WithCancel(ctx)
	g.Add(func() error {
		select {
		case <-pluginsReady:
		case <-syncCtx.Done():
			return nil
		}
		if keeper != nil {
			// The keeper stops after the scheduler, so syncs finishing
			// in the shutdown grace still write under their leases; it
			// then frees them for the other hosts.
			kctx, stopKeeper := context.WithCancel(context.WithoutCancel(syncCtx))
			done := make(chan struct{})
			go func() { defer close(done); _ = keeper.Run(kctx) }()
			defer func() { stopKeeper(); <-done }()
		}
		if strm != nil {
			done := make(chan struct{})
			go func() { defer close(done); _ = strm.Run(syncCtx) }()
			defer func() { <-done }()
		}
		if err := sched.Run(syncCtx); err != nil {
			return fmt.Errorf("sync scheduler: %w", err)
		}
		return nil
	}, func(error) {
		stopSync()
	})

	priceCtx, stopPrices := context.WithCancel(ctx)
	g.Add(func() error {
		select {
		case <-pluginsReady:
		case <-priceCtx.Done():
			return nil
		}
		return px.Run(priceCtx)
	}, func(error) {
		stopPrices()
	})

	err = g.Run()
	var sig lifecycle.SignalError
	if errors.As(err, &sig) {
		log.Info("shutting down", "signal", sig.Signal.String())
		return nil
	}
	return err
}

// replayWindow maps webhooks.replay_window, where "0s" turns the replay
// check off, to the service's setting, where off is negative.
func replayWindow(d time.Duration) time.Duration {
	if d == 0 {
		return -1
	}
	return d
}

// watchReloads rescans the plugin directory on SIGHUP until ctx ends.
func watchReloads(ctx context.Context, cat *plugins.Catalog, log hclog.Logger) error {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	for {
		select {
		case <-ctx.Done():
			return nil
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

// catalogPacers hands the scheduler the budgets the plugin catalog keeps at
// its boundary, so a sync is paced and paid in one place. An exchange
// without a per-IP limit has no budget: the interface gets an untyped nil.
func catalogPacers(cat *plugins.Catalog) func(string) scheduler.Pacer {
	return func(exchange string) scheduler.Pacer {
		if b := cat.Budget(exchange); b != nil {
			return b
		}
		return nil
	}
}
