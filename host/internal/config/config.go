package config

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
)

// Config is a decoded and checked config.hcl. Paths in it are absolute when
// it came from Load; Default leaves them relative to the working directory.
type Config struct {
	// Path is the absolute path of the file Load read; empty for Default.
	Path string

	DataDir   string
	LogLevel  string // trace, debug, info, warn or error
	LogFormat string // text or json

	API        API
	Encryption Encryption
	Plugins    Plugins
	Sync       Sync
	Streams    Streams
	History    History
	Limits     Limits
	Webhooks   Webhooks
	Store      Store
	Cluster    Cluster

	// Exchanges holds one entry per exchange block, keyed by its label.
	// It is never nil.
	Exchanges map[string]Exchange
}

// API is the api block: where the REST API listens, which browser origins
// may call it, the HTTP server's limits and how /metrics is protected.
type API struct {
	Listen             string
	CORSAllowedOrigins []string
	// ReadTimeout bounds reading a whole request, body included.
	ReadTimeout time.Duration
	// WriteTimeout bounds a request from the end of its headers to the end
	// of its answer.
	WriteTimeout time.Duration
	// IdleTimeout closes a keep-alive connection that waits this long for
	// its next request.
	IdleTimeout time.Duration
	// MaxConnections caps the connections open at once; more are closed as
	// soon as they are accepted.
	MaxConnections int
	// MetricsToken, when set, is the bearer token /metrics requires.
	MetricsToken string
	// MetricsListen, when set, serves /metrics on this address only
	// instead of on Listen.
	MetricsListen string
	// PublicURL is the address the outside world reaches the daemon at
	// ("https://hub.example.com", perhaps with a path prefix), without a
	// trailing slash; empty when not set. Webhook answers join it to their
	// /hooks/ path so the URL can be pasted into TradingView as it is.
	PublicURL string
}

// Webhooks is the webhooks block.
type Webhooks struct {
	// ReplayWindow: an alert without alert_id whose body is byte for byte
	// the same as one the webhook received this recently is a duplicate.
	// 0 turns the check off.
	ReplayWindow time.Duration
}

// Encryption is the encryption block: where the master key comes from.
// KeyEnv names an environment variable; it never holds the key itself.
type Encryption struct {
	KeyFile string
	KeyEnv  string
}

// Plugins is the plugins block.
type Plugins struct {
	Dir              string
	Watch            bool
	RequireChecksums bool
}

// Sync is the sync block: how often each account is synced and how hard
// the host may press the plugins while doing it.
type Sync struct {
	Interval       time.Duration
	Jitter         time.Duration
	CallTimeout    time.Duration
	MaxConcurrency int
}

// History is the history block: how long snapshot points are kept. Both
// durations are ages counted back from now. A point younger than KeepAll is
// always kept; between KeepAll and HourlyFor one point per hour is kept;
// older points are dropped. HourlyFor equal to KeepAll means no hourly tier.
type History struct {
	KeepAll   time.Duration
	HourlyFor time.Duration
}

// Streams is the streams block: whether accounts of exchanges whose plugin
// serves private streams are watched through them, and how often each
// streamed account is still read over REST to repair what a stream missed.
type Streams struct {
	Enabled           bool
	ReconcileInterval time.Duration
}

// Limits is the limits block: per-user quotas, so one user cannot fill the
// database or the exchanges' shared rate budgets on their own.
type Limits struct {
	AccountsPerUser int
	WebhooksPerUser int
}

// Store backends.
const (
	BackendBbolt    = "bbolt"
	BackendPostgres = "postgres"
)

// Store is the store block: where the database is. bbolt is one file in
// data_dir, for a single host; postgres is a PostgreSQL database that
// several hosts share.
type Store struct {
	Backend string
	// DSN is the PostgreSQL connection string; empty means the value of
	// the environment variable DSNEnv at start. It holds a password:
	// never log it.
	DSN string
	// DSNSource is where dsn was set, as "file:line" (empty when unset),
	// for messages that must point at it without quoting it.
	DSNSource string
}

// DSNEnv is the environment variable a postgres store's DSN comes from
// when the file does not set one.
const DSNEnv = "GAHOST_STORE_DSN"

// Cluster is the cluster block: this host's place among the hosts that
// share a postgres store.
type Cluster struct {
	// HostID names this host; empty means the machine's host name.
	HostID string
	// LeaseTTL is how long a host's claim on an account lasts without
	// renewal: a host that dies has its accounts taken over after at most
	// this plus one sync interval.
	LeaseTTL time.Duration
}

// Exchange is one exchange "<name>" block.
type Exchange struct {
	Name string
	// SHA256 pins the plugin binary: lower-case hex, or empty when unpinned.
	SHA256 string
	// Endpoints overrides REST base URLs, keyed by the plugin's endpoint
	// keys, for live accounts only. Never nil.
	Endpoints map[string]string
	// TestnetEndpoints overrides the base URLs of testnet (demo) accounts,
	// by the same keys. Kept apart from Endpoints so that a proxy set up
	// for one kind of account never carries the other's traffic. Never nil.
	TestnetEndpoints map[string]string
	// MaxStreamedAccounts caps how many of the exchange's accounts are
	// watched through its private streams, below what the plugin declares
	// its per-IP limits carry; the rest are polled. Zero: the plugin's
	// limits alone.
	MaxStreamedAccounts int
	// Source is where the block starts, as "file:line", so that a later
	// complaint about this exchange (a checksum mismatch, an endpoint key
	// the plugin rejects) can point back into the file.
	Source string
}

// The documented defaults (the "default" column of docs/configuration.md),
// as written in the file before path resolution.
const (
	defaultDataDir           = "./data"
	defaultKeyFileName       = "master.key" // inside data_dir
	defaultLogLevel          = "info"
	defaultLogFormat         = "text"
	defaultListen            = "127.0.0.1:8080"
	defaultKeyEnv            = "GAHOST_MASTER_KEY"
	defaultPluginDir         = "./bin/plugins"
	defaultWatch             = true
	defaultRequireSums       = false
	defaultInterval          = 30 * time.Second
	defaultJitter            = 5 * time.Second
	defaultMaxConcurrency    = 64
	defaultCallTimeout       = 10 * time.Second
	defaultKeepAll           = 7 * 24 * time.Hour
	defaultHourlyFor         = 90 * 24 * time.Hour
	defaultAccountsPerUser   = 50
	defaultWebhooksPerUser   = 100
	defaultReadTimeout       = 30 * time.Second
	defaultWriteTimeout      = 2 * time.Minute
	defaultIdleTimeout       = 2 * time.Minute
	defaultMaxConnections    = 1024
	defaultReplayWindow      = 60 * time.Second
	defaultStreamsEnabled    = false
	defaultReconcileInterval = 10 * time.Minute
	defaultBackend           = BackendBbolt
	defaultLeaseTTL          = 30 * time.Second
)

// Default returns the configuration an empty file gives, with paths left
// relative to the working directory.
func Default() *Config {
	dataDir := filepath.Clean(defaultDataDir)
	return &Config{
		DataDir:   dataDir,
		LogLevel:  defaultLogLevel,
		LogFormat: defaultLogFormat,
		API: API{
			Listen:             defaultListen,
			CORSAllowedOrigins: []string{},
			ReadTimeout:        defaultReadTimeout,
			WriteTimeout:       defaultWriteTimeout,
			IdleTimeout:        defaultIdleTimeout,
			MaxConnections:     defaultMaxConnections,
		},
		Encryption: Encryption{
			KeyFile: filepath.Join(dataDir, defaultKeyFileName),
			KeyEnv:  defaultKeyEnv,
		},
		Plugins: Plugins{
			Dir:              filepath.Clean(defaultPluginDir),
			Watch:            defaultWatch,
			RequireChecksums: defaultRequireSums,
		},
		Sync: Sync{
			Interval:       defaultInterval,
			Jitter:         defaultJitter,
			CallTimeout:    defaultCallTimeout,
			MaxConcurrency: defaultMaxConcurrency,
		},
		History: History{
			KeepAll:   defaultKeepAll,
			HourlyFor: defaultHourlyFor,
		},
		Streams: Streams{
			Enabled:           defaultStreamsEnabled,
			ReconcileInterval: defaultReconcileInterval,
		},
		Limits: Limits{
			AccountsPerUser: defaultAccountsPerUser,
			WebhooksPerUser: defaultWebhooksPerUser,
		},
		Webhooks:  Webhooks{ReplayWindow: defaultReplayWindow},
		Store:     Store{Backend: defaultBackend},
		Cluster:   Cluster{LeaseTTL: defaultLeaseTTL},
		Exchanges: map[string]Exchange{},
	}
}

// Load reads, decodes and checks the config file at path. Relative paths
// inside it are resolved against the file's directory, so the daemon
// behaves the same from any working directory.
//
// A file that cannot be read gives an error wrapping the os error (so
// errors.Is(err, fs.ErrNotExist) works). A file with problems gives a
// *DiagnosticsError holding every problem found, not just the first.
func Load(path string) (*Config, error) {
	name := filepath.Clean(path)
	abs, err := filepath.Abs(name)
	if err != nil {
		return nil, fmt.Errorf("config: resolve %s: %w", name, err)
	}
	src, err := os.ReadFile(abs)
	if err != nil {
		return nil, fmt.Errorf("config: read %s: %w", name, unwrapPathError(err))
	}

	// Diagnostics name the file as the caller spelled it, since that is what
	// the person at the terminal typed and will recognise.
	parser := hclparse.NewParser()
	file, diags := parser.ParseHCL(src, name)
	if diags.HasErrors() {
		// The parser recovers from syntax errors, but decoding the
		// half-understood body mostly adds noise; fix the syntax first.
		return nil, &DiagnosticsError{diags: diags, files: parser.Files()}
	}

	cfg, decodeDiags := decode(file.Body, filepath.Dir(abs))
	diags = append(diags, decodeDiags...)
	if diags.HasErrors() {
		return nil, &DiagnosticsError{diags: diags, files: parser.Files()}
	}
	cfg.Path = abs
	return cfg, nil
}

// unwrapPathError drops the *fs.PathError layer so the message does not
// name the file twice; the underlying errno still satisfies errors.Is.
func unwrapPathError(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

// resolvePath makes p absolute against base unless it already is.
func resolvePath(base, p string) string {
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	return filepath.Join(base, p)
}

// rangeSource formats where a range starts as "file:line".
func rangeSource(r hcl.Range) string {
	return fmt.Sprintf("%s:%d", r.Filename, r.Start.Line)
}
