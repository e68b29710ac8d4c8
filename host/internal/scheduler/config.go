package scheduler

import (
	"context"
	"time"

	"github.com/globalautomation/gahost/host/internal/budget"
	"github.com/globalautomation/gahost/host/internal/config"
	"github.com/globalautomation/gahost/host/internal/plugins"
	"github.com/globalautomation/gahost/host/internal/secrets"
	"github.com/globalautomation/gahost/host/internal/store"
	"github.com/globalautomation/gahost/sdk"
	"github.com/hashicorp/go-hclog"
	"github.com/prometheus/client_golang/prometheus"
)

// Config tunes a Scheduler. Zero fields take the defaults of config.hcl's
// sync block.
type Config struct {
	Interval       time.Duration // how often each account is synced; default 30s
	Jitter         time.Duration // each interval varies by up to ± this much; default 0
	MaxConcurrency int           // account syncs in flight at once; default 64
	CallTimeout    time.Duration // bound of one plugin call; default 10s

	// Coalesce is the grid the loop wakes on to start syncs that came due:
	// the syncs due within one step of it start together, up to one step
	// late, so that a paced exchange wakes the host and its plugin once
	// for several syncs instead of once for each (each wake-up of an idle
	// Go process costs more CPU than a sync's own work). The wait for
	// the grid does not lengthen an account's interval. It never holds
	// back a manual sync or a budget's wait. Zero takes Jitter, at most
	// five seconds: a sync already moves by up to Jitter either way, so
	// the grid keeps each within the spread asked for; negative turns it
	// off.
	Coalesce time.Duration

	// BackoffMax caps the exponential backoff after transient failures;
	// default 10 minutes (never below Interval).
	BackoffMax time.Duration
	// PluginRetry is how long an exchange whose plugin is down waits before
	// one account probes it again; default 2s.
	PluginRetry time.Duration
	// ShutdownGrace is how long Run lets syncs in flight finish after its
	// context ends before cancelling them; default 5s.
	ShutdownGrace time.Duration
	// Rescan is how often the schedule is checked against the store, to
	// catch changes nobody announced with AccountChanged; default 1 minute.
	Rescan time.Duration

	// HistoryKeepAll and HistoryHourlyFor are the history retention (see
	// config.History); PruneEvery is how often it is applied, default 1h.
	// A zero HistoryHourlyFor keeps history for ever.
	HistoryKeepAll   time.Duration
	HistoryHourlyFor time.Duration
	PruneEvery       time.Duration

	Logger     hclog.Logger
	Registerer prometheus.Registerer // nil: metrics are not registered

	// Clock is the scheduler's time; nil is the wall clock.
	Clock Clock
	// Pacers hands out the rate budget of an exchange, the one the
	// catalog's exchanges pay at their boundary (*budget.Set, from
	// plugins.Catalog.Budget); a nil Pacers, or a nil Pacer for an
	// exchange, means no budget: only MaxConcurrency bounds it.
	Pacers func(exchange string) Pacer
	// AccountInterval, when set, may lengthen one account's interval: an
	// account whose changes arrive over a private stream is only
	// reconciled by REST now and then. A result not above the account's
	// regular interval (say zero, for an account not streamed) keeps the
	// regular one. It is called with the scheduler's lock held and must
	// not call back into the scheduler.
	AccountInterval func(exchange, accountID string) time.Duration
	// Prepaid marks the context of a sync the scheduler has paid for, so
	// that the calls it makes are not charged again downstream; nil is
	// budget.Prepaid, which the catalog's boundary reads.
	Prepaid func(context.Context) context.Context
	// Value adds to each history point what takes market data (the
	// account's equity in USDT at the prices known at sync time); nil
	// leaves it out. It runs inside the store's write transaction, so it
	// must only read memory (*prices.Source.ValuePoint does).
	Value func(exchange string, testnet bool, accountID string, merged store.Snapshot, p *store.HistoryPoint)
}

// maxCoalesce caps the default Coalesce step: five seconds of a 30 s
// interval groups a sixth of an exchange's syncs per wake-up.
const maxCoalesce = 5 * time.Second

// FromConfig takes the sync and history settings of config.hcl.
func FromConfig(c *config.Config) Config {
	return Config{
		Interval:         c.Sync.Interval,
		Jitter:           c.Sync.Jitter,
		MaxConcurrency:   c.Sync.MaxConcurrency,
		CallTimeout:      c.Sync.CallTimeout,
		HistoryKeepAll:   c.History.KeepAll,
		HistoryHourlyFor: c.History.HourlyFor,
	}
}

func (c Config) withDefaults() Config {
	if c.Interval <= 0 {
		c.Interval = 30 * time.Second
	}
	c.Jitter = min(max(c.Jitter, 0), c.Interval/2)
	if c.Coalesce == 0 {
		c.Coalesce = min(c.Jitter, maxCoalesce)
	}
	c.Coalesce = max(c.Coalesce, 0)
	if c.MaxConcurrency <= 0 {
		c.MaxConcurrency = 64
	}
	if c.CallTimeout <= 0 {
		c.CallTimeout = 10 * time.Second
	}
	if c.BackoffMax <= 0 {
		c.BackoffMax = 10 * time.Minute
	}
	c.BackoffMax = max(c.BackoffMax, c.Interval)
	if c.PluginRetry <= 0 {
		c.PluginRetry = 2 * time.Second
	}
	if c.ShutdownGrace <= 0 {
		c.ShutdownGrace = 5 * time.Second
	}
	if c.Rescan <= 0 {
		c.Rescan = time.Minute
	}
	if c.PruneEvery <= 0 {
		c.PruneEvery = time.Hour
	}
	if c.Logger == nil {
		c.Logger = hclog.NewNullLogger()
	}
	if c.Clock == nil {
		c.Clock = wallClock{}
	}
	if c.Pacers == nil {
		c.Pacers = func(string) Pacer { return nil }
	}
	if c.Prepaid == nil {
		c.Prepaid = budget.Prepaid
	}
	return c
}

// CoalesceStep is the Coalesce grid's step in effect (zero when it is
// off): how much of the rate budget's flow the syncs that start together
// take at once (budget.Options.Group).
func (c Config) CoalesceStep() time.Duration { return c.withDefaults().Coalesce }

// Store is what the scheduler needs of the database (*store.Store).
type Store interface {
	Account(ctx context.Context, id string) (store.Account, error)
	AllAccounts(ctx context.Context) ([]store.Account, error)
	PutSyncResult(ctx context.Context, accountID string, r store.SyncResult) error
	PruneHistory(ctx context.Context, now time.Time, keepAll, hourlyFor time.Duration) (int, error)
}

// Catalog hands out the plugin of an exchange (*plugins.Catalog). The
// exchange it hands out is also an pluginhost.Snapshotter: it decides how a
// snapshot is fetched from the plugin (one call, or one per part for a
// plugin that cannot do it in one), so the scheduler asks for one snapshot
// and never decides that itself.
type Catalog interface {
	Exchange(name string) (sdk.Exchange, sdk.Info, bool)
}

// Keyring opens an account's sealed credentials (*secrets.Key).
type Keyring interface {
	OpenCredentials(accountID string, s secrets.SealedCredentials) (secrets.Credentials, error)
}

var (
	_ Store   = (*store.Store)(nil)
	_ Catalog = (*plugins.Catalog)(nil)
	_ Keyring = (*secrets.Key)(nil)
)
