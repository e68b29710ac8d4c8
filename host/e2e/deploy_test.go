package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/globalautomation/gahost/host/internal/hosttest"
)

// unitPath is the systemd unit shipped in the repository.
func unitPath(t *testing.T) string {
	return filepath.Join(hosttest.RepoRoot(t), "deploy", "gahost.service")
}

// verifyUnit runs `systemd-analyze verify` on a unit file and returns its
// output. systemd-analyze only warns (exit 0) about unknown keys and bad
// values, so any output at all counts as a finding.
func verifyUnit(t *testing.T, analyze, path string) (string, error) {
	t.Helper()
	cmd := exec.Command(analyze, "verify", "--man=no", path)
	out, err := cmd.CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

// The unit must pass systemd's own checker. The real daemon binary stands
// in for /usr/local/bin/gahost, because verify insists that ExecStart
// names an executable.
func TestSystemdUnitVerifies(t *testing.T) {
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze is not installed here (.ci/run installs it where apt-get is available)")
	}
	src, err := os.ReadFile(unitPath(t))
	if err != nil {
		t.Fatal(err)
	}
	unit := string(src)
	const execStart = "ExecStart=/usr/local/bin/gahost serve -config /etc/gahost/config.hcl"
	if !strings.Contains(unit, execStart+"\n") {
		t.Fatalf("the unit no longer has %q; the docs and this test name that line", execStart)
	}
	unit = strings.Replace(unit, execStart, "ExecStart="+bins.daemon+" serve -config /etc/gahost/config.hcl", 1)
	dir := t.TempDir()
	good := filepath.Join(dir, "gahost.service")
	if err := os.WriteFile(good, []byte(unit), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := verifyUnit(t, analyze, good); err != nil || out != "" {
		t.Fatalf("systemd-analyze verify: %v\n%s", err, out)
	}

	// The check must be able to fail here: a misspelt key is reported.
	bad := filepath.Join(dir, "bad.service")
	if err := os.WriteFile(bad, []byte(strings.Replace(unit, "NoNewPrivileges=", "NoNewPrivilege=", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, _ := verifyUnit(t, analyze, bad); !strings.Contains(out, "NoNewPrivilege") {
		t.Fatalf("systemd-analyze did not report a misspelt key; output:\n%s", out)
	}
}

// The hardening the operations page promises is in the unit.
func TestSystemdUnitIsHardened(t *testing.T) {
	src, err := os.ReadFile(unitPath(t))
	if err != nil {
		t.Fatal(err)
	}
	lines := map[string]bool{}
	for _, l := range strings.Split(string(src), "\n") {
		lines[strings.TrimSpace(l)] = true
	}
	for _, want := range []string{
		"User=gahost",
		"StateDirectory=gahost",
		"StateDirectoryMode=0700",
		"NoNewPrivileges=yes",
		"ProtectSystem=strict",
		"ReadWritePaths=/var/lib/gahost",
		"ProtectHome=yes",
		"PrivateTmp=yes",
		"EnvironmentFile=-/etc/gahost/gahost.env",
		"Restart=on-failure",
		"UMask=0077",
		"CapabilityBoundingSet=",
	} {
		if !lines[want] {
			t.Errorf("deploy/gahost.service lacks the line %q", want)
		}
	}
}
