package plugins

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/globalautomation/gahost/host/internal/budget"
	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/pluginhost"
	"github.com/hashicorp/go-hclog"
	"go.uber.org/goleak"
)

// Test plugin binaries built once for the package: name -> path.
var builds = map[string]string{}

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "gahost-plugins-test")
	if err != nil {
		panic(err)
	}
	code := func() int {
		defer os.RemoveAll(dir)
		for key, flags := range map[string]string{
			"alpha-1.0.0":  "-X main.name=alpha -X main.version=1.0.0",
			"alpha-1.1.0":  "-X main.name=alpha -X main.version=1.1.0",
			"beta-1.0.0":   "-X main.name=beta -X main.version=1.0.0",
			"future-1.0.0": "-X main.name=future -X main.version=1.0.0 -X main.protocol=2",
			"paced-1.0.0":  "-X main.name=paced -X main.version=1.0.0 -X main.limit=1000 -X main.window=10s",
		} {
			out := filepath.Join(dir, key)
			cmd := exec.Command("go", "build", "-ldflags", flags, "-o", out, "../../testdata/testplugin")
			cmd.Stderr = os.Stderr
			if err := cmd.Run(); err != nil {
				fmt.Fprintln(os.Stderr, "building test plugin:", err)
				return 1
			}
			builds[key] = out
		}
		code := m.Run()
		// Every test stops what it started: no watcher, reader or plugin
		// goroutine may outlive the tests.
		if err := goleak.Find(); code == 0 && err != nil {
			fmt.Fprintln(os.Stderr, "goroutine leak:", err)
			return 1
		}
		return code
	}()
	os.Exit(code)
}

// install copies a built test plugin into dir under fileName, the way an
// installer should: write a hidden temp file, then rename it into place.
func install(t testing.TB, dir, build, fileName string) string {
	t.Helper()
	src, err := os.Open(builds[build])
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	tmp := filepath.Join(dir, "."+fileName+".tmp")
	dst, err := os.OpenFile(tmp, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
	final := filepath.Join(dir, fileName)
	if err := os.Rename(tmp, final); err != nil {
		t.Fatal(err)
	}
	return final
}

func newCatalog(t testing.TB, cfg Config) *Catalog {
	t.Helper()
	if cfg.Dir == "" {
		cfg.Dir = t.TempDir()
	}
	cfg.Logger = hclog.New(&hclog.LoggerOptions{Level: hclog.Warn, Output: io.Discard})
	if cfg.RestartBackoff == 0 {
		cfg.RestartBackoff = 50 * time.Millisecond
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func waitFor(t testing.TB, what string, within time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", within, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func status(c *Catalog, name string) (Status, bool) {
	for _, s := range c.List() {
		if s.Name == name {
			return s, true
		}
	}
	return Status{}, false
}

func TestLoadAndCall(t *testing.T) {
	dir := t.TempDir()
	install(t, dir, "alpha-1.0.0", "gahost-plugin-alpha")
	// Not plugins: wrong prefix, hidden, not executable.
	os.WriteFile(filepath.Join(dir, "README"), []byte("x"), 0o755)
	os.WriteFile(filepath.Join(dir, ".gahost-plugin-tmp"), []byte("x"), 0o755)
	os.WriteFile(filepath.Join(dir, "gahost-plugin-noexec"), []byte("x"), 0o644)

	c := newCatalog(t, Config{Dir: dir})
	if err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	sts := c.List()
	if len(sts) != 1 || sts[0].Name != "alpha" || sts[0].State != StateReady || sts[0].Info.Version != "1.0.0" {
		t.Fatalf("List = %+v", sts)
	}
	if sts[0].Info.SDKVersion != sdk.Version {
		t.Errorf("sdk version %q, want %q", sts[0].Info.SDKVersion, sdk.Version)
	}
	x, info, ok := c.Exchange("alpha")
	if !ok || info.Name != "alpha" {
		t.Fatal("alpha not served")
	}
	var usage []sdk.RateUsage
	ctx := pluginhost.WithUsageObserver(context.Background(), func(u []sdk.RateUsage) { usage = u })
	bs, err := x.SpotBalances(ctx, sdk.Account{APIKey: "k", SecretKey: "s"})
	if err != nil {
		t.Fatal(err)
	}
	if len(bs) != 2 || bs[0].Asset != "BTC" || bs[0].Total().String() != "0.6" || bs[1].Free.String() != "1000.25" {
		t.Fatalf("balances = %+v", bs)
	}
	if len(usage) != 1 || usage[0].Name != "request_weight" || usage[0].Used != 10 || usage[0].Limit != 1200 {
		t.Fatalf("usage = %+v", usage)
	}
	if _, _, ok := c.Exchange("nope"); ok {
		t.Fatal("unknown exchange served")
	}
}

// A long TMPDIR must not push the plugin's socket path past the 108 bytes
// a unix socket name may have.
func TestLongTempDir(t *testing.T) {
	long := filepath.Join(t.TempDir(), strings.Repeat("d", 100))
	if err := os.MkdirAll(long, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("TMPDIR", long)
	dir := t.TempDir()
	install(t, dir, "alpha-1.0.0", "gahost-plugin-alpha")
	c := newCatalog(t, Config{Dir: dir})
	if err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	if st, ok := status(c, "alpha"); !ok || st.State != StateReady {
		t.Fatalf("alpha with a long TMPDIR: %+v", c.List())
	}
}

func TestErrorsKeepTheirKind(t *testing.T) {
	dir := t.TempDir()
	install(t, dir, "alpha-1.0.0", "gahost-plugin-alpha")
	c := newCatalog(t, Config{Dir: dir})
	if err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	x, _, _ := c.Exchange("alpha")
	cases := []struct {
		key   string
		is    error
		kind  sdk.Kind
		retry time.Duration
	}{
		{"error:authentication", sdk.ErrAuthentication, sdk.KindAuthentication, 0},
		{"error:permission", sdk.ErrPermission, sdk.KindPermission, 0},
		{"error:rate_limited:1500", sdk.ErrRateLimited, sdk.KindRateLimited, 1500 * time.Millisecond},
		{"error:clock_skew", sdk.ErrClockSkew, sdk.KindClockSkew, 0},
		{"error:invalid_request", sdk.ErrInvalidRequest, sdk.KindInvalidRequest, 0},
		{"error:insufficient_funds", sdk.ErrInsufficientFunds, sdk.KindInsufficientFunds, 0},
		{"error:unknown_symbol", sdk.ErrUnknownSymbol, sdk.KindUnknownSymbol, 0},
		{"error:unsupported", sdk.ErrUnsupported, sdk.KindUnsupported, 0},
		{"error:unavailable", sdk.ErrUnavailable, sdk.KindUnavailable, 0},
		{"error:unknown_outcome", sdk.ErrUnknownOutcome, sdk.KindUnknownOutcome, 0},
	}
	for _, tc := range cases {
		t.Run(tc.key, func(t *testing.T) {
			_, err := x.PlaceOrder(context.Background(), sdk.Account{APIKey: tc.key}, sdk.OrderRequest{Symbol: "BTC/USDT"})
			if !errors.Is(err, tc.is) {
				t.Fatalf("err = %v, want Is %v", err, tc.is)
			}
			var se *sdk.Error
			if !errors.As(err, &se) || se.Kind != tc.kind || se.RetryAfter != tc.retry || se.ExchangeCode != "-1" {
				t.Fatalf("err = %#v", err)
			}
			if sdk.RetryAfter(err) != tc.retry {
				t.Fatalf("RetryAfter = %v", sdk.RetryAfter(err))
			}
		})
	}
	t.Run("panic", func(t *testing.T) {
		_, err := x.Positions(context.Background(), sdk.Account{APIKey: "please-panic"})
		if err == nil || !strings.Contains(err.Error(), "panicked") {
			t.Fatalf("err = %v", err)
		}
		// The process survives its panic.
		if _, err := x.Positions(context.Background(), sdk.Account{APIKey: "ok"}); err != nil {
			t.Fatal(err)
		}
	})
}

func TestDeadlineInsidePlugin(t *testing.T) {
	dir := t.TempDir()
	install(t, dir, "alpha-1.0.0", "gahost-plugin-alpha")
	c := newCatalog(t, Config{Dir: dir})
	if err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	x, _, _ := c.Exchange("alpha")
	// Warm up the connection so its goroutines are not counted as leaks.
	if _, err := x.Info(context.Background()); err != nil {
		t.Fatal(err)
	}
	before := runtime.NumGoroutine()
	for range 20 {
		// Prepaid: twenty reads in a row would otherwise spend the rate
		// budget and wait in the host, and this is about the plugin.
		ctx, cancel := context.WithTimeout(budget.Prepaid(context.Background()), 30*time.Millisecond)
		_, err := x.SpotBalances(ctx, sdk.Account{APIKey: "hang"})
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v, want deadline exceeded", err)
		}
	}
	waitFor(t, "goroutines to settle", 2*time.Second, func() bool { return runtime.NumGoroutine() <= before+2 })
}

func TestCrashRestart(t *testing.T) {
	dir := t.TempDir()
	install(t, dir, "alpha-1.0.0", "gahost-plugin-alpha")
	install(t, dir, "beta-1.0.0", "gahost-plugin-beta")
	c := newCatalog(t, Config{Dir: dir, RestartBackoff: 300 * time.Millisecond})
	if err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	x, _, _ := c.Exchange("alpha")
	y, _, _ := c.Exchange("beta")
	st, _ := status(c, "alpha")
	oldPID := st.PID

	_, err := x.SpotBalances(context.Background(), sdk.Account{APIKey: "crash"})
	if !errors.Is(err, sdk.ErrUnavailable) {
		t.Fatalf("call that crashed the plugin: err = %v, want unavailable", err)
	}
	waitFor(t, "alpha crashed", 2*time.Second, func() bool { s, _ := status(c, "alpha"); return s.State == StateCrashed })
	// Meanwhile calls fail fast, typed, and beta is untouched.
	start := time.Now()
	_, err = x.SpotBalances(context.Background(), sdk.Account{APIKey: "ok"})
	if !errors.Is(err, ErrCrashed) || !errors.Is(err, sdk.ErrUnavailable) {
		t.Fatalf("call while crashed: err = %v", err)
	}
	if d := time.Since(start); d > 100*time.Millisecond {
		t.Fatalf("call while crashed took %s; want it to fail fast", d)
	}
	if _, err := y.SpotBalances(context.Background(), sdk.Account{APIKey: "ok"}); err != nil {
		t.Fatalf("beta hurt by alpha's crash: %v", err)
	}
	waitFor(t, "alpha restarted", 5*time.Second, func() bool { s, _ := status(c, "alpha"); return s.State == StateReady })
	st, _ = status(c, "alpha")
	if st.PID == oldPID || st.Restarts != 1 {
		t.Fatalf("after restart: %+v (old pid %d)", st, oldPID)
	}
	if _, err := x.SpotBalances(context.Background(), sdk.Account{APIKey: "ok"}); err != nil {
		t.Fatalf("old handle after restart: %v", err)
	}
}

func TestHotLoadSwapRemove(t *testing.T) {
	dir := t.TempDir()
	install(t, dir, "alpha-1.0.0", "gahost-plugin-alpha")
	c := newCatalog(t, Config{Dir: dir, Watch: true, DrainTimeout: 5 * time.Second})
	if err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	x, _, _ := c.Exchange("alpha")

	// A new binary is served within a second.
	added := time.Now()
	install(t, dir, "beta-1.0.0", "gahost-plugin-beta")
	waitFor(t, "beta served", time.Second, func() bool { _, ok := status(c, "beta"); return ok })
	t.Logf("beta served %s after install", time.Since(added))

	// A call in flight on the old alpha finishes on it while a new version replaces it.
	st, _ := status(c, "alpha")
	oldPID := st.PID
	var wg sync.WaitGroup
	var inflightErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		_, inflightErr = x.SpotBalances(context.Background(), sdk.Account{APIKey: "sleep:700ms"})
	}()
	time.Sleep(100 * time.Millisecond)
	install(t, dir, "alpha-1.1.0", "gahost-plugin-alpha")
	waitFor(t, "alpha 1.1.0", 2*time.Second, func() bool { s, _ := status(c, "alpha"); return s.Info.Version == "1.1.0" })
	wg.Wait()
	if inflightErr != nil {
		t.Fatalf("call in flight during the swap failed: %v", inflightErr)
	}
	waitFor(t, "old alpha process gone", 3*time.Second, func() bool { return !alive(oldPID) })

	// Removing a binary stops its plugin.
	st, _ = status(c, "beta")
	os.Remove(filepath.Join(dir, "gahost-plugin-beta"))
	waitFor(t, "beta gone", time.Second, func() bool { _, ok := status(c, "beta"); return !ok })
	waitFor(t, "beta process gone", 3*time.Second, func() bool { return !alive(st.PID) })
}

func TestHigherVersionWins(t *testing.T) {
	dir := t.TempDir()
	install(t, dir, "alpha-1.1.0", "gahost-plugin-alpha_v1.1.0")
	install(t, dir, "alpha-1.0.0", "gahost-plugin-alpha_v1.0.0")
	c := newCatalog(t, Config{Dir: dir})
	if err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	sts := c.List()
	if len(sts) != 1 || sts[0].Info.Version != "1.1.0" || !strings.HasSuffix(sts[0].Path, "_v1.1.0") {
		t.Fatalf("List = %+v", sts)
	}
}

func TestRefusals(t *testing.T) {
	t.Run("protocol", func(t *testing.T) {
		dir := t.TempDir()
		install(t, dir, "future-1.0.0", "gahost-plugin-future")
		install(t, dir, "alpha-1.0.0", "gahost-plugin-alpha")
		c := newCatalog(t, Config{Dir: dir})
		if err := c.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		if _, ok := status(c, "future"); ok {
			t.Fatal("plugin with an unknown protocol was registered")
		}
		c.mu.RLock()
		s := c.slots[filepath.Join(dir, "gahost-plugin-future")]
		c.mu.RUnlock()
		if s == nil || s.state != StateDisabled || !strings.Contains(s.lastErr, "protocol") {
			t.Fatalf("refused slot = %+v", s)
		}
		if _, ok := status(c, "alpha"); !ok {
			t.Fatal("a refused plugin kept another from loading")
		}
	})
	t.Run("checksum", func(t *testing.T) {
		dir := t.TempDir()
		path := install(t, dir, "alpha-1.0.0", "gahost-plugin-alpha")
		install(t, dir, "beta-1.0.0", "gahost-plugin-beta")
		sum, _ := hashFile(path)
		c := newCatalog(t, Config{Dir: dir, RequireChecksums: true, Exchanges: map[string]ExchangeConfig{
			"alpha": {SHA256: sum},
		}})
		if err := c.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		if _, ok := status(c, "alpha"); !ok {
			t.Fatal("pinned plugin not loaded")
		}
		if _, ok := status(c, "beta"); ok {
			t.Fatal("unpinned plugin loaded with require_checksums")
		}
	})
	t.Run("wrong pin", func(t *testing.T) {
		dir := t.TempDir()
		install(t, dir, "alpha-1.0.0", "gahost-plugin-alpha")
		c := newCatalog(t, Config{Dir: dir, Exchanges: map[string]ExchangeConfig{
			"alpha": {SHA256: strings.Repeat("ab", 32)},
		}})
		if err := c.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		if _, ok := status(c, "alpha"); ok {
			t.Fatal("plugin with a wrong pin loaded")
		}
	})
	t.Run("unknown endpoint key", func(t *testing.T) {
		dir := t.TempDir()
		install(t, dir, "alpha-1.0.0", "gahost-plugin-alpha")
		c := newCatalog(t, Config{Dir: dir, Exchanges: map[string]ExchangeConfig{
			"alpha": {Endpoints: map[string]string{"spott": "http://127.0.0.1:1"}},
		}})
		if err := c.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		if _, ok := status(c, "alpha"); ok {
			t.Fatal("plugin loaded although its endpoint override has an unknown key")
		}
	})
}

func TestCloseStopsPlugins(t *testing.T) {
	dir := t.TempDir()
	install(t, dir, "alpha-1.0.0", "gahost-plugin-alpha")
	c := newCatalog(t, Config{Dir: dir})
	if err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	st, _ := status(c, "alpha")
	c.Close()
	if alive(st.PID) {
		t.Fatalf("plugin pid %d alive after Close", st.PID)
	}
	x, _, _ := c.Exchange("alpha")
	if x != nil {
		if _, err := x.Info(context.Background()); !errors.Is(err, sdk.ErrUnavailable) {
			t.Fatalf("call after Close: %v", err)
		}
	}
}

// alive reports whether pid is a running (not zombie) process.
func alive(pid int) bool {
	if pid <= 0 {
		return false
	}
	if err := syscall.Kill(pid, 0); err != nil {
		return false
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	f := strings.Fields(string(b))
	return len(f) > 2 && f[2] != "Z"
}
