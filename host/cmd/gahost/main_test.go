package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/globalautomation/gahost/host/internal/config"
)

func TestKeySource(t *testing.T) {
	t.Setenv("GAHOST_MASTER_KEY", "from-env")
	t.Setenv("OTHER_KEY", "")
	cases := []struct {
		keyEnv      string
		wantKeyEnv  string
		envDisabled bool
	}{
		{keyEnv: "GAHOST_MASTER_KEY", wantKeyEnv: "GAHOST_MASTER_KEY"},
		{keyEnv: "OTHER_KEY", wantKeyEnv: ""}, // named but unset: the key file
		{keyEnv: "", wantKeyEnv: "", envDisabled: true},
	}
	for _, tc := range cases {
		cfg := config.Default()
		cfg.Encryption.KeyEnv = tc.keyEnv
		src := keySource(cfg)
		if src.KeyEnv != tc.wantKeyEnv || src.KeyFile != cfg.Encryption.KeyFile {
			t.Errorf("key_env %q: source %+v", tc.keyEnv, src)
		}
		if disabled := src.Getenv != nil && src.Getenv("GAHOST_MASTER_KEY") == ""; disabled != tc.envDisabled {
			t.Errorf("key_env %q: environment disabled = %v, want %v", tc.keyEnv, disabled, tc.envDisabled)
		}
	}
}

func TestConfigValidateCommand(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.hcl")
	bad := filepath.Join(dir, "bad.hcl")
	os.WriteFile(good, []byte("log_level = \"debug\"\n"), 0o600)
	os.WriteFile(bad, []byte("log_level = \"debug\"\nsync {\n  interval = \"soon\"\n}\n"), 0o600)

	var out, errOut bytes.Buffer
	if code := run([]string{"config", "validate", "-config", good}, &out, &errOut); code != 0 {
		t.Fatalf("good config: exit %d: %s", code, errOut.String())
	}
	out.Reset()
	errOut.Reset()
	if code := run([]string{"config", "validate", "-config", bad}, &out, &errOut); code != 1 {
		t.Fatalf("bad config: exit %d", code)
	}
	if !strings.Contains(errOut.String(), "bad.hcl line 3") {
		t.Fatalf("bad config: no file:line in %q", errOut.String())
	}
	if code := run([]string{"frobnicate"}, &out, &errOut); code != 2 {
		t.Fatalf("unknown command: exit %d", code)
	}
}
