package plugintest

// What a connector's Info must say, kept as a golden file: every name,
// flag, limit and cost, so that a changed figure shows in review as a
// changed line.

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/globalautomation/gahost/sdk"
)

// InfoLines writes info as the rows of an Info golden file, one fact a
// row, in a fixed order. SDKVersion, which Serve fills in, is left out.
func InfoLines(info sdk.Info) []string {
	out := []string{
		"name " + info.Name,
		"display name " + info.DisplayName,
		"version " + info.Version,
		fmt.Sprintf("requires passphrase %v", info.RequiresPassphrase),
		fmt.Sprintf("supports testnet %v", info.SupportsTestnet),
		"endpoint keys " + strings.Join(info.EndpointKeys, " "),
		"capabilities " + strings.Join(info.Capabilities, " "),
	}
	for _, e := range info.DefaultEndpoints {
		out = append(out, fmt.Sprintf("default endpoint %s live=%s testnet=%s", e.Key, dash(e.Live), dash(e.Testnet)))
	}
	for _, l := range info.RateLimits {
		line := fmt.Sprintf("rate limit %s %d per %v per %s", l.Name, l.Limit, l.Interval, l.Scope)
		if l.Aligned {
			line += ", counted per clock window"
		}
		out = append(out, line)
	}
	for _, c := range info.Costs {
		out = append(out, fmt.Sprintf("cost %s %d on %s", c.Call, c.Cost, c.Limit))
	}
	for _, c := range slices.Sorted(maps.Keys(info.CallCosts)) {
		out = append(out, fmt.Sprintf("call cost %s %d", c, info.CallCosts[c]))
	}
	if l := info.StreamLimits; l != (sdk.StreamLimits{}) {
		out = append(out, fmt.Sprintf("stream limits: %d connections, %d accounts each, %d new per %v",
			l.MaxConnections, l.AccountsPerConnection, l.NewConnections, l.NewConnectionsWindow))
	}
	return out
}

// checkInfoGolden fails t unless info, as InfoLines writes it, is the
// golden file at path line for line. A connector without the file is
// skipped with the reason.
func checkInfoGolden(t *testing.T, info sdk.Info, path string) {
	t.Helper()
	if path == "" {
		t.Skip("no Info golden file in the fixtures")
	}
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		t.Skipf("no %s: write InfoLines of the connector's Info there to check it", path)
	}
	got, want := InfoLines(info), GoldenLines(t, path)
	if !slices.Equal(got, want) {
		t.Errorf("Info differs from %s\n got:\n\t%s\nwant:\n\t%s", path, strings.Join(got, "\n\t"), strings.Join(want, "\n\t"))
	}
}

// checkInfoLocal fails t if Info calls the exchange (fake, when set,
// receives a request) or hands out slices or maps it keeps: a caller that
// changes one answer must not change the next.
func checkInfoLocal(t *testing.T, impl sdk.Exchange, fake Fake) {
	t.Helper()
	before := 0
	if fake != nil {
		before = len(fake.Requests())
	}
	first, err := impl.Info(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	want := InfoLines(first)
	for i := range first.EndpointKeys {
		first.EndpointKeys[i] = "changed"
	}
	for i := range first.Capabilities {
		first.Capabilities[i] = "changed"
	}
	for i := range first.RateLimits {
		first.RateLimits[i].Limit = -1
	}
	for i := range first.Costs {
		first.Costs[i].Cost = -1
	}
	for i := range first.DefaultEndpoints {
		first.DefaultEndpoints[i].Live = "changed"
	}
	for c := range first.CallCosts {
		first.CallCosts[c] = -1
	}
	again, err := impl.Info(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if got := InfoLines(again); !slices.Equal(got, want) {
		t.Errorf("changing one Info answer changed the next:\n\t%s", strings.Join(got, "\n\t"))
	}
	if fake != nil {
		if n := len(fake.Requests()) - before; n != 0 {
			t.Errorf("Info sent %d requests to the exchange; it must answer from what the connector knows", n)
		}
	}
}
