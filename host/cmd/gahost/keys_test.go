package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/globalautomation/gahost/host/internal/config"
	"github.com/globalautomation/gahost/host/internal/store/pgstore"
	"github.com/globalautomation/gahost/host/internal/store/pgstore/pgtest"
)

// The key commands end to end on a real data dir: rotate, list, drop.
func TestKeysCommands(t *testing.T) {
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "config.hcl")
	cfg := "data_dir = \"./data\"\nencryption {\n  key_env = \"\"\n}\n"
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	runOK := func(args ...string) string {
		t.Helper()
		var out, errOut bytes.Buffer
		if code := run(append(args, "-config", cfgPath), &out, &errOut); code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errOut.String())
		}
		return out.String()
	}

	rotated := runOK("keys", "rotate")
	m := regexp.MustCompile(`key ([0-9a-f]{16}) -> ([0-9a-f]{16})`).FindStringSubmatch(rotated)
	if m == nil || !strings.Contains(rotated, "master.key.retired") {
		t.Fatalf("rotate output: %q", rotated)
	}
	oldID, newID := m[1], m[2]

	listed := runOK("keys", "list")
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(newID + `\s+current\s+1\s+\S*master\.key\n`),
		regexp.MustCompile(oldID + `\s+retired\s+0\s+\S*master\.key\.retired/` + oldID + `\n`),
	} {
		if !want.MatchString(listed) {
			t.Fatalf("keys list output lacks %s:\n%s", want, listed)
		}
	}

	var out, errOut bytes.Buffer
	if code := run([]string{"keys", "drop", "-config", cfgPath, newID}, &out, &errOut); code != 1 || !strings.Contains(errOut.String(), "current master key") {
		t.Fatalf("drop of the current key: exit %d, %q", code, errOut.String())
	}
	errOut.Reset()
	if code := run([]string{"keys", "drop", "-config", cfgPath, "nothex"}, &out, &errOut); code != 1 || !strings.Contains(errOut.String(), "not a key id") {
		t.Fatalf("drop of a malformed id: exit %d, %q", code, errOut.String())
	}
	errOut.Reset()
	if code := run([]string{"keys", "drop", "-config", cfgPath}, &out, &errOut); code != 1 || !strings.Contains(errOut.String(), "usage") {
		t.Fatalf("drop without an id: exit %d, %q", code, errOut.String())
	}
	out.Reset()
	if code := run([]string{"keys", "drop", "-config", cfgPath, oldID}, &out, &errOut); code != 0 || !strings.Contains(out.String(), "dropped retired key "+oldID) {
		t.Fatalf("drop of an unused retired key: exit %d, %q %q", code, out.String(), errOut.String())
	}
	if strings.Contains(runOK("keys", "list"), oldID) {
		t.Fatal("dropped key still listed")
	}
}

// On a PostgreSQL store, rotate refuses while another host is running
// (its heartbeat is live), names it, and rotates once it has left.
func TestKeysRotateRefusesLiveHosts(t *testing.T) {
	dsn := pgtest.NewDB(t)
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "config.hcl")
	cfg := "data_dir = \"./data\"\nencryption {\n  key_env = \"\"\n}\nstore {\n  backend = \"postgres\"\n}\n"
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv(config.DSNEnv, dsn)
	ctx := context.Background()
	pg, err := pgstore.Open(ctx, dsn, pgstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	if err := pg.Heartbeat(ctx, "hub-2", map[string]int{}, pgstore.HostStats{}); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	if code := run([]string{"keys", "rotate", "-config", cfgPath}, &out, &errOut); code != 1 ||
		!strings.Contains(errOut.String(), "hub-2") || !strings.Contains(errOut.String(), "stop them all first") {
		t.Fatalf("rotate with a live host: exit %d, %q %q", code, out.String(), errOut.String())
	}
	if err := pg.Leave(ctx, "hub-2"); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	errOut.Reset()
	if code := run([]string{"keys", "rotate", "-config", cfgPath}, &out, &errOut); code != 0 || !strings.Contains(out.String(), "rotated:") {
		t.Fatalf("rotate once the host left: exit %d, %q %q", code, out.String(), errOut.String())
	}
}
