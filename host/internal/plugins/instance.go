package plugins

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/pluginhost"
	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
)

// instance is one running plugin process.
type instance struct {
	bin    Binary
	client *plugin.Client
	exch   sdk.Exchange
	info   sdk.Info
	pid    int
	done   <-chan struct{} // closed when the process has exited

	inflight sync.WaitGroup
	stopOnce sync.Once
	stop     chan struct{} // closed to ask the owning goroutine to kill
	stopped  chan struct{} // closed once the process is gone
}

// envAllowed are the only host variables a plugin inherits: what TLS, proxies
// and time zones need. Everything else, the master key first of all, stays
// in the host.
var envAllowed = []string{
	"PATH", "HOME", "TMPDIR", "TZ", "LANG", "LC_ALL",
	"SSL_CERT_FILE", "SSL_CERT_DIR",
	"HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy",
}

func pluginEnv(level hclog.Level) []string {
	var env []string
	for _, k := range envAllowed {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	// A connector runs with one P unless told otherwise (sdk.Serve); the
	// operator tells it here, without giving the host's own GOMAXPROCS
	// to every plugin.
	if v, ok := os.LookupEnv(PluginMaxProcsEnv); ok {
		env = append(env, "GOMAXPROCS="+v)
	}
	return append(env, pluginhost.LogLevelEnv+"="+level.String())
}

// PluginMaxProcsEnv is the host variable every plugin gets as GOMAXPROCS.
const PluginMaxProcsEnv = "GAHOST_PLUGIN_GOMAXPROCS"

// launchConfig is what starting a process needs from the catalog.
type launchConfig struct {
	log          hclog.Logger
	socketDir    string
	startTimeout time.Duration
	pin          string // expected sha256, "" when not pinned
}

// launch starts bin, dispenses its Exchange and asks for its Info. The
// process is started from a goroutine locked to its OS thread, which stays
// until the process is stopped, so that the parent-death signal is tied to
// a thread that lives as long as the plugin (see spawn_linux.go).
func launch(ctx context.Context, bin Binary, lc launchConfig) (*instance, error) {
	if lc.pin != "" {
		// Checked again by go-plugin right before exec; this gives the clear message.
		if got, err := hashFile(bin.Path); err != nil {
			return nil, fmt.Errorf("hash %s: %w", bin.FileName, err)
		} else if got != lc.pin {
			return nil, fmt.Errorf("%s: sha256 %s does not match the pinned %s", bin.FileName, got, lc.pin)
		}
	}
	inst := &instance{bin: bin, stop: make(chan struct{}), stopped: make(chan struct{})}
	started := make(chan error, 1)
	go inst.run(bin, lc, started)
	select {
	case err := <-started:
		if err != nil {
			return nil, err
		}
	case <-ctx.Done():
		inst.kill()
		return nil, ctx.Err()
	}
	ictx, cancel := context.WithTimeout(ctx, lc.startTimeout)
	defer cancel()
	info, err := inst.exch.Info(ictx)
	if err != nil {
		inst.kill()
		return nil, fmt.Errorf("%s: info: %w", bin.FileName, err)
	}
	if err := checkInfo(info); err != nil {
		inst.kill()
		return nil, fmt.Errorf("%s: %w", bin.FileName, err)
	}
	inst.info = info
	return inst, nil
}

func (inst *instance) run(bin Binary, lc launchConfig, started chan<- error) {
	lockThread() // never unlocked: the thread ends with this goroutine, after the kill
	defer close(inst.stopped)

	cmd := exec.Command(bin.Path)
	// go-plugin only passes UnixSocketConfig.TempDir on to a plugin it runs
	// through a RunnerFunc; with a plain Cmd the plugin must be told itself,
	// or it binds under its own (possibly too long) TMPDIR.
	cmd.Env = append(pluginEnv(lc.log.GetLevel()), plugin.EnvUnixSocketDir+"="+lc.socketDir)
	prepareCmd(cmd)
	var secure *plugin.SecureConfig
	if lc.pin != "" {
		sum, _ := hex.DecodeString(lc.pin)
		secure = &plugin.SecureConfig{Checksum: sum, Hash: sha256.New()}
	}
	sets := pluginhost.PluginSets()
	client := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  pluginhost.Handshake,
		VersionedPlugins: sets,
		Cmd:              cmd,
		SecureConfig:     secure,
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		AutoMTLS:         true,
		SkipHostEnv:      true,
		StartTimeout:     lc.startTimeout,
		Logger:           lc.log,
		UnixSocketConfig: &plugin.UnixSocketConfig{TempDir: lc.socketDir},
	})
	inst.client = client
	begun := time.Now()
	rpc, err := client.Client()
	if err != nil {
		stopProcess(client, cmd, lc.log, false)
		// A plugin that said nothing until the start timeout will not say
		// its protocol to a probe either; only a quick failure is probed.
		probe := time.Since(begun) < lc.startTimeout
		started <- describeStartError(bin, lc, sets, err, probe)
		return
	}
	raw, err := rpc.Dispense(pluginhost.PluginName)
	if err != nil {
		stopProcess(client, cmd, lc.log, false)
		started <- fmt.Errorf("%s: dispense: %w", bin.FileName, err)
		return
	}
	exch, ok := raw.(sdk.Exchange)
	done, ok2 := raw.(interface{ Done() <-chan struct{} })
	if !ok || !ok2 {
		stopProcess(client, cmd, lc.log, false)
		started <- fmt.Errorf("%s: plugin client has unexpected type %T", bin.FileName, raw)
		return
	}
	inst.exch, inst.done = exch, done.Done()
	inst.pid, _ = strconv.Atoi(client.ID())
	started <- nil

	<-inst.stop
	stopProcess(client, cmd, lc.log, true)
}

// How long stopping a plugin may take: go-plugin gives a graceful exit 2s
// before it kills; then the whole process group is killed, and its output
// pipes get reapTimeout to close.
const (
	gracefulStop = 3 * time.Second
	reapTimeout  = 2 * time.Second
)

// stopProcess stops a plugin process and everything it started, within
// gracefulStop+reapTimeout whatever the plugin does. go-plugin's Kill kills
// only the process it started and then waits for the plugin's stdout and
// stderr to close, which a child of the plugin (a shell script's sleep, a
// helper it forked) holds open for as long as it lives; so the plugin's
// process group is killed too, and a wait that still does not end (a child
// that left the group) is abandoned with an error in the log rather than
// blocking a reload or the shutdown.
func stopProcess(client *plugin.Client, cmd *exec.Cmd, log hclog.Logger, graceful bool) {
	if !graceful {
		killGroup(cmd)
	}
	killed := make(chan struct{})
	go func() {
		client.Kill()
		close(killed)
	}()
	timer := time.NewTimer(gracefulStop)
	defer timer.Stop()
	select {
	case <-killed:
		// Children the plugin left behind go with the group.
		killGroup(cmd)
		return
	case <-timer.C:
	}
	killGroup(cmd)
	timer.Reset(reapTimeout)
	select {
	case <-killed:
	case <-timer.C:
		log.Error("plugin output is still held open after its process group was killed; no longer waiting for it",
			"path", cmd.Path)
	}
}

// describeStartError gives a failed start the message a user can act on.
// The checksum case is go-plugin's sentinel error. A protocol mismatch has
// no type in go-plugin, so it is recognised by our own check: the plugin's
// handshake is read again (probeProtocol) and its protocol version compared
// with those the host speaks.
func describeStartError(bin Binary, lc launchConfig, sets map[int]plugin.PluginSet, err error, probe bool) error {
	if errors.Is(err, plugin.ErrChecksumsDoNotMatch) {
		return fmt.Errorf("%s: binary changed since it was pinned: %w", bin.FileName, err)
	}
	if !probe {
		return fmt.Errorf("start %s: %w", bin.FileName, err)
	}
	if v, ok := probeProtocol(bin, lc, sets); ok {
		if _, spoken := sets[v]; !spoken {
			return fmt.Errorf("%s speaks a plugin protocol this host does not (host speaks version %d; rebuild the plugin with a matching sdk): %w",
				bin.FileName, pluginhost.ProtocolVersion, &ProtocolError{Plugin: v, Host: slices.Sorted(maps.Keys(sets))})
		}
	}
	return fmt.Errorf("start %s: %w", bin.FileName, err)
}

// ProtocolError is a plugin that speaks no plugin protocol version the host
// speaks.
type ProtocolError struct {
	Plugin int   // the version the plugin offered
	Host   []int // the versions the host speaks
}

func (e *ProtocolError) Error() string {
	return fmt.Sprintf("plugin protocol version %d, host speaks %v", e.Plugin, e.Host)
}

// probeProtocol starts bin once more as go-plugin would, reads the
// handshake line it prints first ("CORE|APP|NETWORK|ADDR|PROTOCOL|…") and
// stops it. ok is false when no handshake line came within the start
// timeout, so the failure was something else.
func probeProtocol(bin Binary, lc launchConfig, sets map[int]plugin.PluginSet) (version int, ok bool) {
	var offered []string
	for v := range sets {
		offered = append(offered, strconv.Itoa(v))
	}
	cmd := exec.Command(bin.Path)
	cmd.Env = append(pluginEnv(lc.log.GetLevel()),
		pluginhost.Handshake.MagicCookieKey+"="+pluginhost.Handshake.MagicCookieValue,
		"PLUGIN_PROTOCOL_VERSIONS="+strings.Join(offered, ","),
		plugin.EnvUnixSocketDir+"="+lc.socketDir)
	prepareCmd(cmd)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return 0, false
	}
	if err := cmd.Start(); err != nil {
		return 0, false
	}
	defer func() {
		killGroup(cmd)
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}()
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(out).ReadString('\n')
		line <- s
	}()
	timer := time.NewTimer(lc.startTimeout)
	defer timer.Stop()
	var handshake string
	select {
	case handshake = <-line:
	case <-timer.C:
		return 0, false
	}
	parts := strings.Split(strings.TrimSpace(handshake), "|")
	if len(parts) < 2 {
		return 0, false
	}
	v, err := strconv.Atoi(parts[1])
	return v, err == nil
}

// kill stops the process without waiting for calls in flight.
func (inst *instance) kill() {
	inst.stopOnce.Do(func() { close(inst.stop) })
	<-inst.stopped
}

// drainAndKill waits up to grace for calls in flight, then stops the process.
func (inst *instance) drainAndKill(grace time.Duration) {
	idle := make(chan struct{})
	go func() { inst.inflight.Wait(); close(idle) }()
	select {
	case <-idle:
	case <-time.After(grace):
	}
	inst.kill()
}

// checkInfo refuses an Info the host cannot register.
func checkInfo(i sdk.Info) error {
	if i.Name == "" {
		return fmt.Errorf("plugin reports no name")
	}
	for _, r := range i.Name {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return fmt.Errorf("plugin name %q is not lower case [a-z0-9_-]", i.Name)
		}
	}
	if _, ok := canonicalVersion(i.Version); !ok {
		return fmt.Errorf("plugin %s reports version %q, not a semantic version", i.Name, i.Version)
	}
	return nil
}
