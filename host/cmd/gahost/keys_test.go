package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
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
