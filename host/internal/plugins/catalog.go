// Package plugins finds exchange connectors in the plugin directory, runs
// each as a child process through go-plugin, and hands the rest of the host
// one sdk.Exchange per exchange name.
//
// It owns the processes: checksum pins before every start, hot load of new
// and replaced binaries (start the new, then drain and stop the old), restart
// with backoff after a crash, and a clean stop. It also owns each exchange's
// rate budget (package budget), sized from the serving plugin's declaration,
// and makes every call through its handles pay it. It knows no exchange by name:
// a plugin is registered under the name it reports. It does not store
// anything and never sees the master key; credentials only pass through.
package plugins

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"sync"
	"time"

	"github.com/globalautomation/gahost/host/internal/budget"
	"github.com/globalautomation/gahost/sdk"
	"github.com/hashicorp/go-hclog"
	"github.com/prometheus/client_golang/prometheus"
)

// Plugin states, as the API reports them.
const (
	StateStarting = "starting"
	StateReady    = "ready"
	StateCrashed  = "crashed"
	StateDisabled = "disabled"
	// StateNoCapabilities is a ready plugin that declares no capability
	// (a connector just scaffolded): it is listed, but no account can be
	// added to it.
	StateNoCapabilities = "no_capabilities"
)

// ErrCrashed is returned, typed as sdk.ErrUnavailable too, by calls to an
// exchange whose plugin is down and waiting for its restart.
var ErrCrashed = errors.New("plugin crashed")

// ErrNoPlugin is returned, typed as sdk.ErrUnavailable too, by calls to an
// exchange that no plugin serves (any more).
var ErrNoPlugin = errors.New("no plugin serves this exchange")

type unavailable struct {
	sentinel error
	msg      string
}

func (e *unavailable) Error() string { return e.msg }
func (e *unavailable) Is(target error) bool {
	return target == e.sentinel || target == sdk.ErrUnavailable
}

// ExchangeConfig is the host's config for one exchange.
type ExchangeConfig struct {
	SHA256    string            // pin; "" when not pinned
	Endpoints map[string]string // REST base URL overrides of live accounts, by the plugin's endpoint keys
	// TestnetEndpoints are the overrides of testnet accounts, kept apart so
	// a proxy meant for one kind of account never carries the other's calls.
	TestnetEndpoints map[string]string
}

// Config sets up a Catalog.
type Config struct {
	Dir              string
	Watch            bool
	RequireChecksums bool
	Exchanges        map[string]ExchangeConfig
	Logger           hclog.Logger
	Registerer       prometheus.Registerer // nil: metrics are not registered
	StartTimeout     time.Duration         // handshake and Info; default 15s
	DrainTimeout     time.Duration         // how long a swap or stop waits for calls in flight; default 30s
	RestartBackoff   time.Duration         // first restart delay; default 500ms, doubling to RestartMax
	RestartMax       time.Duration         // default 1m
	// Budget tunes every exchange's rate budget; its zero value plans 98 %
	// of each declared limit on the wall clock.
	Budget budget.Options
}

// Status is what the catalog knows of one exchange's plugin.
type Status struct {
	Name      string
	Info      sdk.Info
	State     string
	Path      string
	SHA256    string
	PID       int
	Restarts  int
	LastError string
	// Budget is the exchange's rate budget, one entry per per-IP pool;
	// empty when the plugin declares no per-IP limit.
	Budget []budget.PoolStats
}

// slot is one plugin binary (by path) and the process running it.
type slot struct {
	bin      Binary
	name     string // reported name, once it has run
	info     sdk.Info
	state    string
	inst     *instance
	restarts int
	lastErr  string
	shadowed bool // another binary with a higher version serves its name
	gen      int  // bumped whenever inst changes, so a stale restart loop stops
}

// Catalog is the set of running plugins. Its methods are safe for concurrent use.
type Catalog struct {
	cfg     Config
	log     hclog.Logger
	metrics *metrics
	sockDir string
	// sockOwner holds the lock that marks sockDir as in use.
	sockOwner *os.File

	scanMu sync.Mutex // one scan at a time

	mu      sync.RWMutex
	slots   map[string]*slot       // by binary path
	byName  map[string]*slot       // the slot serving each exchange name
	proxies map[string]*proxy      // stable handles given out by Exchange
	budgets map[string]*budget.Set // by exchange name, for plugins declaring a per-IP limit
	// logBudgets cap each plugin binary's output in the host log, by path.
	logBudgets map[string]*logBudget
	loaded     bool // the first scan has finished
	closed     bool

	ctx    context.Context // lives until Close
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// New returns a catalog; Start loads the plugins.
func New(cfg Config) (*Catalog, error) {
	if cfg.Logger == nil {
		cfg.Logger = hclog.NewNullLogger()
	}
	if cfg.StartTimeout <= 0 {
		cfg.StartTimeout = 15 * time.Second
	}
	if cfg.DrainTimeout <= 0 {
		cfg.DrainTimeout = 30 * time.Second
	}
	if cfg.RestartBackoff <= 0 {
		cfg.RestartBackoff = 500 * time.Millisecond
	}
	if cfg.RestartMax <= 0 {
		cfg.RestartMax = time.Minute
	}
	if cfg.Budget.Now == nil {
		cfg.Budget.Now = time.Now
	}
	log := cfg.Logger.Named("plugins")
	if stale, err := cleanStaleSocketDirs(socketParent()); err != nil {
		log.Warn("could not remove every plugin socket dir left by a stopped daemon", "error", err)
	} else if len(stale) > 0 {
		log.Info("removed plugin socket dirs left by a stopped daemon", "dirs", stale)
	}
	sockDir, err := os.MkdirTemp(socketParent(), socketDirPrefix)
	if err != nil {
		return nil, fmt.Errorf("plugin socket dir: %w", err)
	}
	owner, err := claimSocketDir(sockDir)
	if err != nil {
		_ = os.RemoveAll(sockDir)
		return nil, err
	}
	m, err := newMetrics(cfg.Registerer)
	if err != nil {
		closeOwner(owner)
		_ = os.RemoveAll(sockDir)
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	c := &Catalog{
		cfg: cfg, log: log, metrics: m, sockDir: sockDir, sockOwner: owner,
		slots: map[string]*slot{}, byName: map[string]*slot{}, proxies: map[string]*proxy{},
		budgets: map[string]*budget.Set{}, logBudgets: map[string]*logBudget{},
		ctx: ctx, cancel: cancel,
	}
	if cfg.Registerer != nil {
		if err := cfg.Registerer.Register(budgetCollector{c}); err != nil {
			cancel()
			closeOwner(owner)
			_ = os.RemoveAll(sockDir)
			return nil, fmt.Errorf("budget metrics: %w", err)
		}
	}
	return c, nil
}

// The plugins' socket directory is socketDirPrefix and a random suffix;
// socketOwnerFile in it is locked while the catalog lives.
const (
	socketDirPrefix = "gah"
	socketOwnerFile = "owner"
)

func closeOwner(f *os.File) {
	if f != nil {
		_ = f.Close()
	}
}

// Start scans the plugin directory, starts every plugin found and, with
// watch on, keeps following the directory until Close.
func (c *Catalog) Start(ctx context.Context) error {
	if err := os.MkdirAll(c.cfg.Dir, 0o755); err != nil {
		return fmt.Errorf("plugin dir: %w", err)
	}
	if _, err := c.Reload(ctx); err != nil {
		return err
	}
	if c.cfg.Watch {
		w, err := newWatcher(c.cfg.Dir, c.log)
		if err != nil {
			return err
		}
		c.wg.Add(1)
		go func() {
			defer c.wg.Done()
			w.run(c.ctx, func() {
				if _, err := c.Reload(c.ctx); err != nil && c.ctx.Err() == nil {
					c.log.Error("reload after change in plugin dir failed", "error", err)
				}
			})
		}()
	}
	return nil
}

// Ready reports whether the first scan has finished.
func (c *Catalog) Ready() bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.loaded && !c.closed
}

// Reload rescans the plugin directory: new binaries are started, replaced
// ones swapped in once their successor answers, removed ones stopped.
func (c *Catalog) Reload(ctx context.Context) ([]Status, error) {
	c.scanMu.Lock()
	defer c.scanMu.Unlock()
	if c.ctx.Err() != nil {
		return nil, errors.New("plugin catalog is closed")
	}

	c.mu.RLock()
	prev := make(map[string]Binary, len(c.slots))
	for p, s := range c.slots {
		prev[p] = s.bin
	}
	c.mu.RUnlock()

	bins, err := scan(c.cfg.Dir, prev)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var wg sync.WaitGroup
	for _, b := range bins {
		seen[b.Path] = true
		old, ok := prev[b.Path]
		if ok && old.SHA256 == b.SHA256 {
			c.mu.Lock()
			c.slots[b.Path].bin = b // new stamp, same content
			c.mu.Unlock()
			continue
		}
		wg.Add(1)
		go func(b Binary) { // start plugins side by side: each waits on its own handshake
			defer wg.Done()
			c.load(ctx, b)
		}(b)
	}
	wg.Wait()
	for p := range prev {
		if !seen[p] {
			c.remove(p)
		}
	}

	c.mu.Lock()
	c.elect()
	c.loaded = true
	c.mu.Unlock()
	return c.List(), nil
}

// pinFor returns the pin that applies to a binary claiming name, and an
// error when checksums are required and there is none.
func (c *Catalog) pinFor(name string) (string, error) {
	pin := c.cfg.Exchanges[name].SHA256
	if pin == "" && c.cfg.RequireChecksums {
		return "", fmt.Errorf("require_checksums is on and exchange %q has no sha256 pin", name)
	}
	return pin, nil
}

// load starts b and puts it into its slot, replacing (after a drain) the
// process that ran the slot's previous content.
func (c *Catalog) load(ctx context.Context, b Binary) {
	log := c.log.With("binary", b.FileName, "sha256", b.SHA256[:12])
	pin, err := c.pinFor(b.Name)
	if err == nil {
		var inst *instance
		inst, err = launch(ctx, b, c.launchConfig(b, pin))
		if err == nil {
			err = c.accept(b, inst)
			if err != nil {
				inst.kill()
			}
		}
	}
	if err != nil {
		log.Error("plugin refused", "error", err)
		c.mu.Lock()
		s := c.slots[b.Path]
		if s == nil {
			c.slots[b.Path] = &slot{bin: b, state: StateDisabled, lastErr: err.Error()}
		} else {
			// Keep serving the old content if it runs; remember the new hash
			// so the same refused binary is not retried on every scan.
			s.bin = b
			s.lastErr = err.Error()
			if s.inst == nil {
				s.state = StateDisabled
			}
		}
		c.mu.Unlock()
		return
	}
	log.Info("plugin loaded", "exchange", b.Name)
}

// accept checks a started instance against its pins and config and puts it
// into the slot for its path.
func (c *Catalog) accept(b Binary, inst *instance) error {
	info := inst.info
	if info.Name != b.Name {
		// The file name claimed one exchange, the plugin reports another:
		// the pin looked up before start may belong to the wrong name.
		pin, err := c.pinFor(info.Name)
		if err != nil {
			return err
		}
		if pin != "" && pin != b.SHA256 {
			return fmt.Errorf("plugin reports exchange %q whose pinned sha256 is %s, not this binary's", info.Name, pin)
		}
	}
	if err := checkEndpoints(info, c.cfg.Exchanges[info.Name].Endpoints); err != nil {
		return err
	}
	if err := checkEndpoints(info, c.cfg.Exchanges[info.Name].TestnetEndpoints); err != nil {
		return err
	}
	c.mu.Lock()
	s := c.slots[b.Path]
	var old *instance
	if s == nil {
		s = &slot{}
		c.slots[b.Path] = s
	} else {
		old = s.inst
	}
	s.bin, s.name, s.info, s.inst, s.state, s.lastErr = b, info.Name, info, inst, StateReady, ""
	s.gen++
	gen := s.gen
	c.elect()
	c.mu.Unlock()

	c.log.Info("plugin ready", "exchange", info.Name, "version", info.Version, "pid", inst.pid, "path", b.Path)
	c.watchExit(b.Path, inst, gen)
	if old != nil {
		c.retire(old)
	}
	return nil
}

// checkEndpoints refuses endpoint overrides the plugin does not know: a typo
// must not send a testnet account's orders to mainnet.
func checkEndpoints(info sdk.Info, eps map[string]string) error {
	for k := range eps {
		known := false
		for _, x := range info.EndpointKeys {
			known = known || x == k
		}
		if !known {
			return fmt.Errorf("config for exchange %q overrides endpoint %q, which the plugin does not have (it has %v)", info.Name, k, info.EndpointKeys)
		}
	}
	return nil
}

// retire drains and stops a process that no longer serves, in the background.
func (c *Catalog) retire(inst *instance) {
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		inst.drainAndKill(c.cfg.DrainTimeout)
	}()
}

// remove stops the plugin of a binary that left the directory.
func (c *Catalog) remove(path string) {
	c.mu.Lock()
	s := c.slots[path]
	delete(c.slots, path)
	if s != nil {
		s.gen++
	}
	c.elect()
	c.mu.Unlock()
	if s != nil && s.inst != nil {
		c.log.Info("plugin binary removed; stopping it", "exchange", s.name, "path", path)
		c.retire(s.inst)
	}
}

// elect picks, for each exchange name, the slot that serves it: the highest
// version among the binaries that report the name. Losers are stopped and
// logged, not silently dropped. c.mu must be held.
func (c *Catalog) elect() {
	best := map[string]*slot{}
	for _, s := range c.slots {
		if s.name == "" || s.info.Name == "" {
			continue
		}
		cur := best[s.name]
		if cur == nil || compareVersions(s.info.Version, cur.info.Version) > 0 ||
			(compareVersions(s.info.Version, cur.info.Version) == 0 && c.byName[s.name] == s) {
			best[s.name] = s
		}
	}
	for name, s := range best {
		for _, other := range c.slots {
			if other.name != name || other == s {
				continue
			}
			if !other.shadowed {
				c.log.Warn("two plugin binaries serve one exchange; the higher version wins",
					"exchange", name, "serving", s.bin.FileName, "version", s.info.Version,
					"ignored", other.bin.FileName, "ignored_version", other.info.Version)
			}
			other.shadowed = true
			other.state = StateDisabled
			other.lastErr = fmt.Sprintf("shadowed by %s version %s", s.bin.FileName, s.info.Version)
			if other.inst != nil {
				inst := other.inst
				other.inst = nil
				other.gen++
				c.retire(inst)
			}
		}
		s.shadowed = false
	}
	c.byName = best
	c.budgetsLocked()
	c.metrics.setStates(c.statusesLocked())
}

// budgetsLocked (re)sizes each exchange's budget to the declaration of the
// plugin that now serves it. A budget outlives restarts and upgrades, so
// what was spent stays spent; it goes when no plugin declares a per-IP
// limit for the name any more. c.mu must be held.
func (c *Catalog) budgetsLocked() {
	for name, s := range c.byName {
		set := c.budgets[name]
		switch {
		case !budget.Limited(s.info):
			delete(c.budgets, name)
		case set == nil:
			c.budgets[name] = budget.NewSet(s.info, c.cfg.Budget)
		default:
			set.Configure(s.info)
		}
	}
	for name := range c.budgets {
		if c.byName[name] == nil {
			delete(c.budgets, name)
		}
	}
}

// Budget returns the rate budget of an exchange, or nil when its plugin
// declares no per-IP limit (or no plugin serves it).
func (c *Catalog) Budget(exchange string) *budget.Set {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.budgets[exchange]
}

func (c *Catalog) now() time.Time { return c.cfg.Budget.Now() }

// watchExit restarts the plugin of a slot, with backoff, when its process
// dies while it is still the slot's current one.
func (c *Catalog) watchExit(path string, inst *instance, gen int) {
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		select {
		case <-inst.done:
		case <-inst.stop:
			return
		case <-c.ctx.Done():
			return
		}
		c.mu.Lock()
		s := c.slots[path]
		if s == nil || s.gen != gen || c.closed {
			c.mu.Unlock()
			return
		}
		s.inst = nil
		s.state = StateCrashed
		s.restarts++
		s.lastErr = "plugin process exited"
		name := s.name
		c.metrics.restarts.WithLabelValues(name).Inc()
		c.metrics.setStates(c.statusesLocked())
		c.mu.Unlock()
		c.log.Error("plugin process exited; restarting it", "exchange", name, "pid", inst.pid)
		inst.kill() // reap and clean up the client
		c.restart(path, gen)
	}()
}

func (c *Catalog) restart(path string, gen int) {
	delay := c.cfg.RestartBackoff
	for {
		select {
		case <-time.After(delay):
		case <-c.ctx.Done():
			return
		}
		c.mu.RLock()
		s := c.slots[path]
		stale := s == nil || s.gen != gen
		var b Binary
		var name string
		if !stale {
			b, name = s.bin, s.name
		}
		c.mu.RUnlock()
		if stale {
			return
		}
		pin, err := c.pinFor(name)
		var inst *instance
		if err == nil {
			inst, err = launch(c.ctx, b, c.launchConfig(b, pin))
		}
		if err == nil {
			c.mu.Lock()
			s := c.slots[path]
			if s == nil || s.gen != gen || c.closed {
				c.mu.Unlock()
				inst.kill()
				return
			}
			s.inst, s.info, s.state, s.lastErr = inst, inst.info, StateReady, ""
			s.gen++
			newGen := s.gen
			c.elect()
			c.mu.Unlock()
			c.log.Info("plugin restarted", "exchange", name, "pid", inst.pid)
			c.watchExit(path, inst, newGen)
			return
		}
		if c.ctx.Err() != nil {
			return
		}
		c.mu.Lock()
		if s := c.slots[path]; s != nil && s.gen == gen {
			s.lastErr = err.Error()
		}
		c.mu.Unlock()
		c.log.Error("plugin restart failed", "exchange", name, "error", err, "next_try_in", delay*2)
		delay = min(delay*2, c.cfg.RestartMax)
	}
}

func (c *Catalog) launchConfig(b Binary, pin string) launchConfig {
	c.mu.Lock()
	lb := c.logBudgets[b.Path]
	if lb == nil {
		lb = newLogBudget(time.Now)
		c.logBudgets[b.Path] = lb
	}
	c.mu.Unlock()
	return launchConfig{
		log:          capLogger(c.cfg.Logger.Named(b.Name), lb),
		socketDir:    c.sockDir,
		startTimeout: c.cfg.StartTimeout,
		pin:          pin,
	}
}

// socketParent is where the plugins' socket directory goes. A unix socket
// path longer than 108 bytes fails to bind, and TMPDIR may be long enough
// for that; /tmp is the short fallback.
func socketParent() string {
	const room = 40 // "/gahNNNNNNNNN/plugin123456789" and some spare
	if d := os.TempDir(); len(d)+room < 108 {
		return d
	}
	return "/tmp"
}

// List reports every exchange's plugin, sorted by name.
func (c *Catalog) List() []Status {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.statusesLocked()
}

func (c *Catalog) statusesLocked() []Status {
	out := make([]Status, 0, len(c.byName))
	for name, s := range c.byName {
		st := Status{
			Name: name, Info: s.info, State: s.state, Path: s.bin.Path, SHA256: s.bin.SHA256,
			Restarts: s.restarts, LastError: s.lastErr,
		}
		if s.inst != nil {
			st.PID = s.inst.pid
		}
		if st.State == StateReady && len(s.info.Capabilities) == 0 {
			st.State = StateNoCapabilities
		}
		if set := c.budgets[name]; set != nil {
			st.Budget = set.Stats(c.now())
		}
		out = append(out, st)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Exchange returns a handle for the exchange's plugin and its info. The
// handle stays valid across restarts and swaps: each call goes to whichever
// process serves the name at that moment, or fails fast with ErrCrashed.
func (c *Catalog) Exchange(name string) (sdk.Exchange, sdk.Info, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.byName[name]
	if s == nil {
		return nil, sdk.Info{}, false
	}
	p := c.proxies[name]
	if p == nil {
		ex := c.cfg.Exchanges[name]
		p = &proxy{c: c, name: name, endpoints: ex.Endpoints, testnetEndpoints: ex.TestnetEndpoints}
		c.proxies[name] = p
	}
	return p, s.info, true
}

// Close stops every plugin: calls in flight get DrainTimeout to finish.
func (c *Catalog) Close() {
	c.scanMu.Lock()
	defer c.scanMu.Unlock()
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.closed = true
	var insts []*instance
	for _, s := range c.slots {
		if s.inst != nil {
			insts = append(insts, s.inst)
			s.inst = nil
		}
		s.gen++
	}
	c.mu.Unlock()
	c.cancel()
	var wg sync.WaitGroup
	for _, inst := range insts {
		wg.Add(1)
		go func() { defer wg.Done(); inst.drainAndKill(c.cfg.DrainTimeout) }()
	}
	wg.Wait()
	c.wg.Wait()
	_ = os.RemoveAll(c.sockDir)
	closeOwner(c.sockOwner)
}

// acquire picks the process serving name for one call and counts the call
// in flight on it.
func (c *Catalog) acquire(name string) (*instance, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	s := c.byName[name]
	switch {
	case s == nil:
		return nil, &unavailable{ErrNoPlugin, fmt.Sprintf("no plugin serves exchange %q", name)}
	case s.inst == nil || s.state != StateReady:
		return nil, &unavailable{ErrCrashed, fmt.Sprintf("plugin for exchange %q is %s; it is being restarted", name, s.state)}
	}
	s.inst.inflight.Add(1)
	return s.inst, nil
}

// Found is one binary of the plugin directory as Inspect saw it.
type Found struct {
	FileName string
	Path     string
	SHA256   string
	Name     string // as the plugin reports it; "" when it did not start
	Info     sdk.Info
	State    string
	Note     string // why it is not serving, if it is not
}

// Inspect starts every plugin in the directory once, reports what each
// binary is (including refused and shadowed ones), and stops them all.
func Inspect(ctx context.Context, cfg Config) ([]Found, error) {
	cfg.Watch = false
	c, err := New(cfg)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	if _, err := c.Reload(ctx); err != nil {
		return nil, err
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	out := make([]Found, 0, len(c.slots))
	for _, s := range c.slots {
		out = append(out, Found{
			FileName: s.bin.FileName, Path: s.bin.Path, SHA256: s.bin.SHA256,
			Name: s.name, Info: s.info, State: s.state, Note: s.lastErr,
		})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].FileName < out[j].FileName })
	return out, nil
}
