// Package hosttest runs the real gahost daemon for end-to-end tests: it
// builds the daemon, plugin binaries and fake exchanges from this
// repository, starts `gahost serve` on a free loopback port with a config
// the test writes, talks to its REST API with the admin token, and starts a
// connector's fake exchange as a process (its fake/cmd command) so that the
// daemon, the plugin and the fake are three processes, as in production.
//
// It lives in the host module and needs a checkout of the repository (it
// finds host/ and plugins/ above the test's directory); it never imports a
// plugin module, it builds and runs them. A connector developed outside the
// repository tests against the sdk's conformance suite instead.
package hosttest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// RepoRoot returns the directory holding host/ and plugins/.
func RepoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if fileExists(filepath.Join(dir, "host", "cmd", "gahost")) && fileExists(filepath.Join(dir, "plugins")) {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("hosttest: no gahost checkout (host/ and plugins/) above the test directory")
		}
		dir = parent
	}
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

var buildMu sync.Mutex

// Build compiles the Go main package pkgDir (relative to the repo root) into
// out, with optional -ldflags.
func Build(t testing.TB, pkgDir, out, ldflags string) string {
	t.Helper()
	buildMu.Lock()
	defer buildMu.Unlock()
	root := RepoRoot(t)
	args := []string{"build", "-o", out}
	if ldflags != "" {
		args = append(args, "-ldflags", ldflags)
	}
	args = append(args, ".")
	cmd := exec.Command("go", args...)
	cmd.Dir = filepath.Join(root, pkgDir)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("hosttest: go build %s: %v\n%s", pkgDir, err, b)
	}
	return out
}

// BuildDaemon builds bin/gahost into dir and returns its path.
func BuildDaemon(t testing.TB, dir string) string {
	return Build(t, "host/cmd/gahost", filepath.Join(dir, "gahost"), "")
}

// FreePort returns a loopback address with a port free right now.
func FreePort(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// Daemon is a running `gahost serve`.
type Daemon struct {
	t       testing.TB
	Bin     string
	Dir     string // data dir and config live here
	Config  string // path of the config file
	Addr    string // 127.0.0.1:port
	Token   string // the admin token
	Env     []string
	cmd     *exec.Cmd
	logMu   sync.Mutex
	log     bytes.Buffer
	exited  chan struct{}
	exitErr error
}

// Options configure Start.
type Options struct {
	// ConfigBody is appended to the generated config (data_dir, api.listen
	// and plugins.dir are set by Start). Use it for sync and exchange blocks.
	ConfigBody string
	// PluginDir is where plugins are found; defaults to <dir>/plugins.
	PluginDir string
	// Env adds environment variables (e.g. GAHOST_MASTER_KEY).
	Env []string
	// NoWait returns right after the process starts, without waiting for /readyz.
	NoWait bool
	// API adds settings inside the api block (whose listen Start sets),
	// such as public_url.
	API string
	// LogLevel is the daemon's log_level; default "debug".
	LogLevel string
}

// Start runs the daemon binary bin with a fresh data dir under dir.
func Start(t testing.TB, bin, dir string, o Options) *Daemon {
	t.Helper()
	if o.PluginDir == "" {
		o.PluginDir = filepath.Join(dir, "plugins")
	}
	if err := os.MkdirAll(o.PluginDir, 0o755); err != nil {
		t.Fatal(err)
	}
	d := &Daemon{t: t, Bin: bin, Dir: dir, Addr: FreePort(t), Env: o.Env}
	d.Config = filepath.Join(dir, "config.hcl")
	if o.LogLevel == "" {
		o.LogLevel = "debug"
	}
	cfg := fmt.Sprintf("data_dir = %q\nlog_level = %q\napi {\n  listen = %q\n%s\n}\nplugins {\n  dir = %q\n  watch = true\n}\n%s\n",
		filepath.Join(dir, "data"), o.LogLevel, d.Addr, o.API, o.PluginDir, o.ConfigBody)
	if err := os.WriteFile(d.Config, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	d.start(o.NoWait)
	t.Cleanup(func() {
		d.Stop()
		if t.Failed() {
			t.Logf("daemon log:\n%s", d.Log())
		}
	})
	return d
}

func (d *Daemon) start(noWait bool) {
	d.t.Helper()
	d.cmd = exec.Command(d.Bin, "serve", "-config", d.Config)
	d.cmd.Env = append(os.Environ(), d.Env...)
	d.cmd.Stdout = &lockedWriter{mu: &d.logMu, w: &d.log}
	d.cmd.Stderr = d.cmd.Stdout
	if err := d.cmd.Start(); err != nil {
		d.t.Fatal(err)
	}
	d.exited = make(chan struct{})
	go func() { d.exitErr = d.cmd.Wait(); close(d.exited) }()
	if noWait {
		return
	}
	d.WaitReady(30 * time.Second)
	tok, err := os.ReadFile(filepath.Join(d.Dir, "data", "admin.token"))
	if err != nil {
		d.t.Fatalf("hosttest: admin token: %v", err)
	}
	d.Token = strings.TrimSpace(string(tok))
}

// Restart starts the daemon again on the same data dir and config.
func (d *Daemon) Restart() {
	d.t.Helper()
	d.Stop()
	d.start(false)
}

// WaitReady waits until /readyz answers 200.
func (d *Daemon) WaitReady(within time.Duration) {
	d.t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		select {
		case <-d.exited:
			d.t.Fatalf("hosttest: daemon exited before ready: %v\n%s", d.exitErr, d.Log())
		default:
		}
		resp, err := http.Get("http://" + d.Addr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	d.t.Fatalf("hosttest: daemon not ready within %s\n%s", within, d.Log())
}

// PID is the daemon's process id.
func (d *Daemon) PID() int { return d.cmd.Process.Pid }

// Exited is closed when the daemon process has exited.
func (d *Daemon) Exited() <-chan struct{} { return d.exited }

// ExitErr is the daemon's exit error once Exited is closed.
func (d *Daemon) ExitErr() error { return d.exitErr }

// Signal sends sig to the daemon.
func (d *Daemon) Signal(sig syscall.Signal) {
	_ = d.cmd.Process.Signal(sig)
}

// Stop sends SIGTERM and waits up to 20 s, then kills.
func (d *Daemon) Stop() {
	if d.cmd == nil || d.cmd.Process == nil {
		return
	}
	select {
	case <-d.exited:
		return
	default:
	}
	_ = d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-d.exited:
	case <-time.After(20 * time.Second):
		_ = d.cmd.Process.Kill()
		<-d.exited
	}
}

// Log returns everything the daemon printed so far.
func (d *Daemon) Log() string {
	d.logMu.Lock()
	defer d.logMu.Unlock()
	return d.log.String()
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// Do sends a request with the admin token (or token, when given) and
// decodes a JSON answer into out (when non-nil). It returns the status.
func (d *Daemon) Do(method, path string, body any, out any) int {
	return d.DoAs(d.Token, method, path, body, out)
}

// DoAs is Do with another bearer token ("" for none).
func (d *Daemon) DoAs(token, method, path string, body any, out any) int {
	d.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			d.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, "http://"+d.Addr+path, rd)
	if err != nil {
		d.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	client := &http.Client{Timeout: 60 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		d.t.Fatalf("hosttest: %s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			d.t.Fatalf("hosttest: %s %s: decode %q: %v", method, path, b, err)
		}
	}
	return resp.StatusCode
}

// Exchange is one entry of GET /api/v1/exchanges.
type Exchange struct {
	Name               string   `json:"name"`
	DisplayName        string   `json:"display_name"`
	PluginVersion      string   `json:"plugin_version"`
	ProtocolVersion    int      `json:"protocol_version"`
	RequiresPassphrase bool     `json:"requires_passphrase"`
	SupportsTestnet    bool     `json:"supports_testnet"`
	Capabilities       []string `json:"capabilities"`
	Status             string   `json:"status"`
	Restarts           int      `json:"restarts"`
}

// Exchanges returns GET /api/v1/exchanges.
func (d *Daemon) Exchanges() []Exchange {
	d.t.Helper()
	var out []Exchange
	if code := d.Do("GET", "/api/v1/exchanges", nil, &out); code != 200 {
		d.t.Fatalf("hosttest: GET /api/v1/exchanges: status %d", code)
	}
	return out
}

// WaitExchange polls GET /api/v1/exchanges until cond holds for the entry
// called name (absent: a zero Exchange with ok false).
func (d *Daemon) WaitExchange(name string, within time.Duration, cond func(e Exchange, ok bool) bool) Exchange {
	d.t.Helper()
	deadline := time.Now().Add(within)
	for {
		var found Exchange
		ok := false
		for _, e := range d.Exchanges() {
			if e.Name == name {
				found, ok = e, true
			}
		}
		if cond(found, ok) {
			return found
		}
		if time.Now().After(deadline) {
			d.t.Fatalf("hosttest: exchange %s: condition not met within %s (last: %+v, present %v)\n%s", name, within, found, ok, d.Log())
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// InstallPlugin copies the binary src into the plugin dir as fileName the
// way an installer should (temp file, then rename) and returns its path.
func InstallPlugin(t testing.TB, src, pluginDir, fileName string) string {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	tmp := filepath.Join(pluginDir, "."+fileName+".tmp")
	if err := os.WriteFile(tmp, b, 0o755); err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(pluginDir, fileName)
	if err := os.Rename(tmp, dst); err != nil {
		t.Fatal(err)
	}
	return dst
}

// pids calls fn for every process id in /proc.
func pids(fn func(pid int)) {
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		var p int
		if _, err := fmt.Sscanf(e.Name(), "%d", &p); err == nil {
			fn(p)
		}
	}
}

// ChildPIDs lists the live processes whose parent is pid.
func ChildPIDs(pid int) []int {
	var out []int
	pids(func(p int) {
		if ppid, ok := parentOf(p); ok && ppid == pid {
			out = append(out, p)
		}
	})
	return out
}

func parentOf(pid int) (int, bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 2 || f[0] == "Z" {
		return 0, false
	}
	var ppid int
	fmt.Sscanf(f[1], "%d", &ppid)
	return ppid, true
}

// Alive reports whether pid runs (zombies count as gone).
func Alive(pid int) bool {
	_, ok := parentOf(pid)
	return ok
}

// ProcessesRunning lists live processes whose executable path is exe.
func ProcessesRunning(exe string) []int {
	var out []int
	pids(func(p int) {
		if l, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", p)); err == nil && strings.TrimSuffix(l, " (deleted)") == exe && Alive(p) {
			out = append(out, p)
		}
	})
	return out
}
