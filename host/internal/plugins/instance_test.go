package plugins

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/globalautomation/gahost/sdk/pluginhost"
	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
)

// The classification of a failed start goes by go-plugin's sentinel error
// and by our own protocol probe, never by go-plugin's message text.
func TestDescribeStartError(t *testing.T) {
	dir := t.TempDir()
	lc := launchConfig{log: hclog.NewNullLogger(), socketDir: dir, startTimeout: 10 * time.Second}
	sets := pluginhost.PluginSets()
	bin := func(build, name string) Binary {
		path := install(t, dir, build, name)
		return Binary{Path: path, FileName: name}
	}

	t.Run("checksum sentinel", func(t *testing.T) {
		b := bin("alpha-1.0.0", "gahost-plugin-alpha")
		// A message that says nothing of checksums: only the type counts.
		cause := fmt.Errorf("wrapped: %w", plugin.ErrChecksumsDoNotMatch)
		err := describeStartError(b, lc, sets, cause, true)
		if !errors.Is(err, plugin.ErrChecksumsDoNotMatch) ||
			err.Error() != "gahost-plugin-alpha: binary changed since it was pinned: wrapped: checksums did not match" {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("protocol probe", func(t *testing.T) {
		b := bin("future-1.0.0", "gahost-plugin-future")
		err := describeStartError(b, lc, sets, errors.New("any text at all"), true)
		var pe *ProtocolError
		if !errors.As(err, &pe) || pe.Plugin != 2 || len(pe.Host) != 1 || pe.Host[0] != pluginhost.ProtocolVersion {
			t.Fatalf("err = %v (%T)", err, errors.Unwrap(err))
		}
		want := fmt.Sprintf("gahost-plugin-future speaks a plugin protocol this host does not (host speaks version %d; rebuild the plugin with a matching sdk)", pluginhost.ProtocolVersion)
		if !strings.HasPrefix(err.Error(), want) {
			t.Fatalf("message = %q", err)
		}
	})
	t.Run("other failure", func(t *testing.T) {
		// A plugin that speaks our protocol failed for another reason: the
		// probe finds its version spoken and the error stays generic.
		b := bin("alpha-1.0.0", "gahost-plugin-alpha2")
		cause := errors.New("plugin exited before we could connect")
		err := describeStartError(b, lc, sets, cause, true)
		var pe *ProtocolError
		if errors.As(err, &pe) || !errors.Is(err, cause) || err.Error() != "start gahost-plugin-alpha2: "+cause.Error() {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("not a plugin", func(t *testing.T) {
		b := Binary{Path: "/bin/true", FileName: "gahost-plugin-true"}
		cause := errors.New("boom")
		if err := describeStartError(b, lc, sets, cause, true); err.Error() != "start gahost-plugin-true: boom" {
			t.Fatalf("err = %v", err)
		}
	})
}

// A plugin gets GOMAXPROCS from GAHOST_PLUGIN_GOMAXPROCS only, never the
// host's own.
func TestPluginEnvMaxProcs(t *testing.T) {
	t.Setenv("GOMAXPROCS", "8")
	has := func(env []string, kv string) bool { return slices.Contains(env, kv) }
	t.Setenv(PluginMaxProcsEnv, "")
	os.Unsetenv(PluginMaxProcsEnv)
	env := pluginEnv(hclog.Info)
	for _, kv := range env {
		if strings.HasPrefix(kv, "GOMAXPROCS=") {
			t.Fatalf("plugin inherits the host's %s", kv)
		}
	}
	t.Setenv(PluginMaxProcsEnv, "3")
	if env := pluginEnv(hclog.Info); !has(env, "GOMAXPROCS=3") {
		t.Fatalf("plugin env %q lacks GOMAXPROCS=3", env)
	}
}
