// Package e2e runs the real gahost binary with real plugin processes.
package e2e

import (
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/globalautomation/gahost/host/internal/api/apitest"
	"github.com/globalautomation/gahost/host/internal/hosttest"
	"github.com/globalautomation/gahost/host/internal/store/pgstore/pgtest"
)

// bins holds the binaries built once for the package.
var bins struct {
	daemon, alpha, alpha2, beta string
	binance, fakeBinance        string // a real connector and its fake exchange's command
	// dir holds the binaries; tests that need more build them into it.
	dir string
}

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "gahost-e2e")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	t := &buildT{}
	bins.dir = dir
	bins.daemon = hosttest.BuildDaemon(t, dir)
	bins.alpha = hosttest.Build(t, "host/testdata/testplugin", filepath.Join(dir, "alpha-1.0.0"), "-X main.name=alpha -X main.version=1.0.0")
	bins.alpha2 = hosttest.Build(t, "host/testdata/testplugin", filepath.Join(dir, "alpha-1.1.0"), "-X main.name=alpha -X main.version=1.1.0")
	bins.beta = hosttest.Build(t, "host/testdata/testplugin", filepath.Join(dir, "beta-1.0.0"), "-X main.name=beta -X main.version=1.0.0")
	bins.binance = hosttest.Build(t, "plugins/binance", filepath.Join(dir, "gahost-plugin-binance"), "")
	bins.fakeBinance = hosttest.Build(t, "plugins/binance/fake/cmd/fakebinance", filepath.Join(dir, "fakebinance"), "")
	if t.failed {
		return 1
	}
	// Every answer a test gets from a daemon is checked against the
	// OpenAPI document that daemon serves.
	contract := apitest.NewTransport(http.DefaultTransport)
	http.DefaultTransport = contract
	// pgtest.Main stops the PostgreSQL server the cluster tests start.
	code := pgtest.Main(m)
	for _, v := range contract.Violations() {
		fmt.Fprintln(os.Stderr, "contract:", v)
		code = 1
	}
	// A whole run makes HTTP calls; none checked means the check is off.
	if code == 0 && contract.Checked() == 0 && flag.Lookup("test.run").Value.String() == "" {
		fmt.Fprintln(os.Stderr, "contract: no answer was checked; the transport is not in use")
		code = 1
	}
	return code
}

// buildT lets the hosttest builders run from TestMain.
type buildT struct {
	testing.TB
	failed bool
}

func (b *buildT) Helper()           {}
func (b *buildT) Fatal(args ...any) { b.failed = true; panic(fmt.Sprint(args...)) }
func (b *buildT) Fatalf(format string, args ...any) {
	b.failed = true
	panic(fmt.Sprintf(format, args...)) // carries the compiler's output
}

func TestPluginLifecycle(t *testing.T) {
	dir := t.TempDir()
	pdir := filepath.Join(dir, "plugins")
	os.MkdirAll(pdir, 0o755)
	hosttest.InstallPlugin(t, bins.alpha, pdir, "gahost-plugin-alpha")
	d := hosttest.Start(t, bins.daemon, dir, hosttest.Options{PluginDir: pdir})

	alpha := d.WaitExchange("alpha", 5*time.Second, func(e hosttest.Exchange, ok bool) bool { return ok && e.Status == "ready" })
	if alpha.PluginVersion != "1.0.0" || alpha.ProtocolVersion != 1 || len(alpha.Capabilities) != 4 || alpha.DisplayName == "" {
		t.Fatalf("alpha = %+v", alpha)
	}

	// A second plugin copied in while the daemon runs is served within the watch window.
	start := time.Now()
	hosttest.InstallPlugin(t, bins.beta, pdir, "gahost-plugin-beta")
	d.WaitExchange("beta", 2*time.Second, func(e hosttest.Exchange, ok bool) bool { return ok && e.Status == "ready" })
	t.Logf("beta served %s after install", time.Since(start))

	// A newer version replaces the old one in place.
	hosttest.InstallPlugin(t, bins.alpha2, pdir, "gahost-plugin-alpha")
	d.WaitExchange("alpha", 3*time.Second, func(e hosttest.Exchange, ok bool) bool { return ok && e.PluginVersion == "1.1.0" })

	// kill -9 of a plugin: crashed, then ready again.
	alphaPath, _ := filepath.Abs(filepath.Join(pdir, "gahost-plugin-alpha"))
	pids := hosttest.ProcessesRunning(alphaPath)
	if len(pids) != 1 {
		t.Fatalf("alpha processes: %v", pids)
	}
	syscall.Kill(pids[0], syscall.SIGKILL)
	d.WaitExchange("alpha", 2*time.Second, func(e hosttest.Exchange, ok bool) bool { return ok && e.Status == "crashed" })
	d.WaitExchange("alpha", 10*time.Second, func(e hosttest.Exchange, ok bool) bool { return ok && e.Status == "ready" })
	if pids2 := hosttest.ProcessesRunning(alphaPath); len(pids2) != 1 || pids2[0] == pids[0] {
		t.Fatalf("alpha processes after restart: %v (before %v)", pids2, pids)
	}

	// The reload route rescans on demand.
	os.Remove(filepath.Join(pdir, "gahost-plugin-beta"))
	var list []hosttest.Exchange
	if code := d.Do("POST", "/api/v1/plugins/reload", nil, &list); code != 200 {
		t.Fatalf("reload: %d", code)
	}
	for _, e := range list {
		if e.Name == "beta" {
			t.Fatalf("beta still listed after its binary was removed and a reload: %+v", list)
		}
	}

	// SIGTERM: the host stops cleanly and no plugin process is left.
	children := hosttest.ChildPIDs(d.PID())
	if len(children) == 0 {
		t.Fatal("no plugin processes under the daemon")
	}
	d.Signal(syscall.SIGTERM)
	select {
	case <-d.Exited():
		if err := d.ExitErr(); err != nil {
			t.Fatalf("daemon exit after SIGTERM: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("daemon did not stop on SIGTERM")
	}
	waitGone(t, children)
}

func TestHostKill9LeavesNoPlugins(t *testing.T) {
	dir := t.TempDir()
	pdir := filepath.Join(dir, "plugins")
	os.MkdirAll(pdir, 0o755)
	hosttest.InstallPlugin(t, bins.alpha, pdir, "gahost-plugin-alpha")
	hosttest.InstallPlugin(t, bins.beta, pdir, "gahost-plugin-beta")
	d := hosttest.Start(t, bins.daemon, dir, hosttest.Options{PluginDir: pdir})
	d.WaitExchange("beta", 5*time.Second, func(e hosttest.Exchange, ok bool) bool { return ok && e.Status == "ready" })
	d.WaitExchange("alpha", 5*time.Second, func(e hosttest.Exchange, ok bool) bool { return ok && e.Status == "ready" })
	children := hosttest.ChildPIDs(d.PID())
	if len(children) != 2 {
		t.Fatalf("plugin processes: %v", children)
	}
	d.Signal(syscall.SIGKILL)
	<-d.Exited()
	waitGone(t, children)
}

func waitGone(t *testing.T, pids []int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for _, p := range pids {
		for hosttest.Alive(p) {
			if time.Now().After(deadline) {
				t.Fatalf("plugin process %d outlived the host", p)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}
