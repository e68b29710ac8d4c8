//go:build linux

package plugins

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
)

// within runs f and fails the test if it has not returned after d.
func within(t *testing.T, what string, d time.Duration, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { defer close(done); f() }()
	select {
	case <-done:
	case <-time.After(d):
		t.Fatalf("%s did not finish within %s", what, d)
	}
}

// groupMembers lists the live processes in process group pgid.
func groupMembers(pgid int) []int {
	var pids []int
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// Fields after the command name (which may hold spaces): state ppid pgrp.
		rest := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
		if len(rest) > 2 && rest[0] != "Z" && rest[2] == strconv.Itoa(pgid) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// A plugin file that never answers and leaves a child holding its output
// open (a shell script running sleep) must not freeze the catalog: the scan
// refuses it within the start timeout, its whole process group is killed, a
// good plugin dropped in afterwards loads, and Close returns promptly.
func TestStuckPluginDoesNotFreezeTheCatalog(t *testing.T) {
	dir := t.TempDir()
	pidFile := filepath.Join(t.TempDir(), "pid")
	script := fmt.Sprintf("#!/bin/sh\necho $$ > %s\nsleep 600\n", pidFile)
	if err := os.WriteFile(filepath.Join(dir, "gahost-plugin-stuck"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	c := newCatalog(t, Config{Dir: dir, StartTimeout: time.Second, DrainTimeout: time.Second})
	within(t, "the first scan", 8*time.Second, func() {
		if err := c.Start(context.Background()); err != nil {
			t.Error(err)
		}
	})
	c.mu.RLock()
	st := c.slots[filepath.Join(dir, "gahost-plugin-stuck")]
	c.mu.RUnlock()
	if st == nil || st.state != StateDisabled || !strings.Contains(st.lastErr, "timeout") {
		t.Fatalf("stuck plugin: %+v", st)
	}
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	pgid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	waitFor(t, "the stuck plugin's processes to go", 5*time.Second, func() bool { return len(groupMembers(pgid)) == 0 })

	install(t, dir, "alpha-1.0.0", "gahost-plugin-alpha")
	within(t, "a reload after the stuck plugin", 20*time.Second, func() {
		if _, err := c.Reload(context.Background()); err != nil {
			t.Error(err)
		}
	})
	if s, ok := status(c, "alpha"); !ok || s.State != StateReady {
		t.Fatalf("alpha after the stuck plugin: %+v", s)
	}
	within(t, "Close", 10*time.Second, c.Close)
}

// The plain script the issue names: every wait is bounded, even for the
// probe that reads a failed plugin's handshake.
func TestSleepingScriptPlugin(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "gahost-plugin-sleep"), []byte("#!/bin/sh\nsleep 600\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	c := newCatalog(t, Config{Dir: dir, StartTimeout: 500 * time.Millisecond})
	within(t, "Reload", 6*time.Second, func() { _, _ = c.Reload(context.Background()) })
	within(t, "Close", 6*time.Second, c.Close)
}

// countingWriter counts what the host log received.
type countingWriter struct {
	mu sync.Mutex
	n  int
}

func (w *countingWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	w.n += len(p)
	w.mu.Unlock()
	return len(p), nil
}

// A plugin that writes to stderr without pause gets its budget in the host
// log and no more.
func TestPluginOutputIsCapped(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "gahost-plugin-chatty"),
		[]byte("#!/bin/sh\nyes 'plugin output line that goes on and on' >&2\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	w := &countingWriter{}
	cfg := Config{Dir: dir, StartTimeout: 2 * time.Second}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	c.cfg.Logger = hclog.New(&hclog.LoggerOptions{Level: hclog.Trace, Output: w})
	begun := time.Now()
	within(t, "Reload", 10*time.Second, func() { _, _ = c.Reload(context.Background()) })
	c.Close()
	elapsed := time.Since(begun)
	w.mu.Lock()
	n := w.n
	w.mu.Unlock()
	// A line pays for the prefix the host log adds to it, so what was
	// written stays within the budget.
	limit := pluginLogBurst + int((elapsed.Seconds()+1)*pluginLogBytesPerSec)
	if n > limit {
		t.Fatalf("the host log took %d bytes of plugin output in %s, budget bound %d", n, elapsed, limit)
	}
	if n == 0 {
		t.Fatal("nothing of the plugin's output reached the host log")
	}
}

// Socket directories whose owner died are removed; a live catalog's and
// foreign directories stay.
func TestStaleSocketDirsAreCleaned(t *testing.T) {
	parent := t.TempDir()
	mk := func(name string, owner bool) string {
		d := filepath.Join(parent, name)
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(d, "plugin123"), nil, 0o600)
		if owner {
			os.WriteFile(filepath.Join(d, socketOwnerFile), nil, 0o600)
		}
		return d
	}
	stale := mk(socketDirPrefix+"111", true)
	foreign := mk(socketDirPrefix+"222", false)
	other := mk("unrelated", true)
	live := filepath.Join(parent, socketDirPrefix+"333")
	if err := os.Mkdir(live, 0o700); err != nil {
		t.Fatal(err)
	}
	f, err := claimSocketDir(live)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()

	removed, err := cleanStaleSocketDirs(parent)
	if err != nil {
		t.Fatal(err)
	}
	if len(removed) != 1 || removed[0] != stale {
		t.Fatalf("removed %v, want only %s", removed, stale)
	}
	for _, d := range []string{foreign, other, live} {
		if _, err := os.Stat(d); err != nil {
			t.Fatalf("%s: %v", d, err)
		}
	}
	// A new catalog marks its own directory as live.
	c := newCatalog(t, Config{})
	g, err := os.Open(filepath.Join(c.sockDir, socketOwnerFile))
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	if err := syscall.Flock(int(g.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err == nil {
		t.Fatal("a live catalog's socket dir is not locked")
	}
}
