package main

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/globalautomation/gahost/host/internal/api"
	"github.com/globalautomation/gahost/host/internal/budget"
	"github.com/globalautomation/gahost/host/internal/config"
	"github.com/globalautomation/gahost/host/internal/plugins"
	"github.com/globalautomation/gahost/host/internal/scheduler"
)

// catalogConfig turns the config file's plugin and exchange settings into
// the catalog's.
func catalogConfig(cfg *config.Config) plugins.Config {
	ex := make(map[string]plugins.ExchangeConfig, len(cfg.Exchanges))
	for name, e := range cfg.Exchanges {
		ex[name] = plugins.ExchangeConfig{SHA256: e.SHA256, Endpoints: e.Endpoints, TestnetEndpoints: e.TestnetEndpoints}
	}
	return plugins.Config{
		Dir:              cfg.Plugins.Dir,
		Watch:            cfg.Plugins.Watch,
		RequireChecksums: cfg.Plugins.RequireChecksums,
		Exchanges:        ex,
		// The syncs due in one step of the scheduler's grid start at
		// once: the budget lets them.
		Budget: budget.Options{Group: scheduler.FromConfig(cfg).CoalesceStep()},
	}
}

// endpointOverrides are the config's endpoint overrides as the API shows
// them.
func endpointOverrides(cfg *config.Config) map[string]api.ExchangeEndpoints {
	out := make(map[string]api.ExchangeEndpoints, len(cfg.Exchanges))
	for name, e := range cfg.Exchanges {
		out[name] = api.ExchangeEndpoints{Live: e.Endpoints, Testnet: e.TestnetEndpoints}
	}
	return out
}

// cmdPluginsList starts each plugin once to ask what it is, then stops it.
func cmdPluginsList(args []string, stdout, stderr io.Writer) int {
	cfg, ok := loadConfig("plugins list", args, stderr)
	if !ok {
		return 1
	}
	pc := catalogConfig(cfg)
	pc.Watch = false
	pc.Logger = newLogger(cfg, stderr)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	found, err := plugins.Inspect(ctx, pc)
	if err != nil {
		fmt.Fprintln(stderr, "gahost plugins list:", err)
		return 1
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tVERSION\tSTATE\tFILE\tSHA256\tNOTE")
	for _, f := range found {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", orDash(f.Name), orDash(f.Info.Version), f.State, f.FileName, f.SHA256, f.Note)
	}
	tw.Flush()
	return 0
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
