package sdk

import (
	"os"
	"runtime"
	"sync"
	"time"

	"github.com/globalautomation/gahost/sdk/internal/wire"
	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
)

// Version is the sdk's own version, reported to the host in Info.SDKVersion.
const Version = "0.1.0"

// ServeOption adjusts Serve.
type ServeOption func(*serveConfig)

type serveConfig struct {
	versions []int
	logger   hclog.Logger
	maxProcs int
}

// DefaultMaxProcs is the GOMAXPROCS a connector runs with unless its
// author (WithMaxProcs) or the GOMAXPROCS environment variable says
// otherwise. A connector waits on the network almost all the time: one P
// serves hundreds of syncs a second, while every P beyond the first costs
// CPU whenever the process wakes from idle (an idle P looks for work,
// spinning, before its thread sleeps again), which at a sync every few
// hundred milliseconds is most of what the process spends.
const DefaultMaxProcs = 1

// WithMaxProcs sets the connector's GOMAXPROCS (DefaultMaxProcs when not
// given); 0 leaves the Go runtime's own default (the CPUs available). The
// GOMAXPROCS environment variable, when set, wins over both: the host
// passes its GAHOST_PLUGIN_GOMAXPROCS to every plugin under that name.
func WithMaxProcs(n int) ServeOption {
	return func(c *serveConfig) { c.maxProcs = max(n, 0) }
}

// WithProtocolVersions makes the plugin offer other protocol versions than
// the sdk's own (version 1). It exists to test how a host treats a plugin from the
// future or the past; connectors have no use for it.
func WithProtocolVersions(v ...int) ServeOption {
	return func(c *serveConfig) { c.versions = v }
}

var (
	loggerOnce sync.Once
	logger     hclog.Logger
)

// Logger is the connector's logger: JSON on the plugin's original stderr,
// which the host reads and re-logs under the plugin's name at the same
// level (the host sets the level through the environment). Never pass it a
// credential or a signature.
func Logger() hclog.Logger {
	loggerOnce.Do(func() {
		level := hclog.LevelFromString(os.Getenv(wire.LogLevelEnv))
		if level == hclog.NoLevel {
			level = hclog.Info
		}
		logger = hclog.New(&hclog.LoggerOptions{
			Name:       "connector",
			Level:      level,
			JSONFormat: true,
			Output:     os.Stderr, // captured before go-plugin swaps os.Stderr
		})
	})
	return logger
}

// Serve runs impl as a gahost plugin and returns when the host stops it.
// It is the whole main function of a connector. Run by hand, it prints that
// it is a plugin and exits.
func Serve(impl Exchange, opts ...ServeOption) {
	log := Logger()
	cfg := serveConfig{versions: []int{wire.ProtocolVersion}, logger: log, maxProcs: DefaultMaxProcs}
	for _, o := range opts {
		o(&cfg)
	}
	applyMaxProcs(cfg.maxProcs)
	sets := make(map[int]plugin.PluginSet, len(cfg.versions))
	for _, v := range cfg.versions {
		sets[v] = plugin.PluginSet{wire.PluginName: &servePlugin{impl: impl}}
	}
	go exitWithParent(log)
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig:  wire.Handshake,
		VersionedPlugins: sets,
		Logger:           cfg.logger,
		GRPCServer: func(o []grpc.ServerOption) *grpc.Server {
			o = append(o, grpc.ChainUnaryInterceptor(serverInterceptor(cfg.logger)))
			return grpc.NewServer(o...)
		},
	})
}

// applyMaxProcs sets GOMAXPROCS to n, unless n is 0 or the GOMAXPROCS
// variable is set.
func applyMaxProcs(n int) {
	if _, set := os.LookupEnv("GOMAXPROCS"); !set && n > 0 {
		runtime.GOMAXPROCS(n)
	}
}

// exitWithParent ends the plugin when the host is gone. The host also asks
// the kernel for a parent-death signal, but that fires when the thread that
// started us exits, which Go does not promise to keep; waiting on the
// parent here is the belt to those braces. Where the kernel can say when
// the parent exits (waitExit), nothing wakes until it does; elsewhere, or
// should the wait end without the parent gone, the parent pid is polled.
func exitWithParent(log hclog.Logger) {
	parent := os.Getppid()
	if parent <= 1 {
		return
	}
	// A parent that exited before waitExit looked may have left its pid to
	// another process: Getppid, checked after, has changed by then.
	if waitExit(parent) && os.Getppid() != parent {
		log.Warn("host process is gone; exiting")
		os.Exit(2)
	}
	for range time.Tick(500 * time.Millisecond) {
		if os.Getppid() != parent {
			log.Warn("host process is gone; exiting")
			os.Exit(2)
		}
	}
}
