package api

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/globalautomation/gahost/host/internal/budget"
	"github.com/globalautomation/gahost/host/internal/plugins"
	"github.com/globalautomation/gahost/sdk"
)

// twoPlugins is a catalog of two ready plugins with endpoint keys.
type twoPlugins struct{}

func (twoPlugins) List() []plugins.Status {
	return []plugins.Status{
		{Name: "alpha", State: plugins.StateReady, Info: sdk.Info{Name: "alpha", SupportsTestnet: true,
			EndpointKeys: []string{"spot", "futures"}, Capabilities: []string{sdk.CapSpotBalances},
			DefaultEndpoints: []sdk.Endpoint{
				{Key: "futures", Live: "https://f.alpha.example", Testnet: "https://demo-f.alpha.example"},
				{Key: "spot", Live: "https://s.alpha.example", Testnet: "https://demo-s.alpha.example"},
			}},
			Budget: []budget.PoolStats{{Name: "weight", Limit: 6000, Allowed: 5880, Used: 1500, Window: time.Minute, Aligned: true}}},
		// An older plugin, which reports no built-in addresses.
		{Name: "beta", State: plugins.StateReady, Info: sdk.Info{Name: "beta", EndpointKeys: []string{"rest"},
			Capabilities: []string{sdk.CapSpotBalances}}},
	}
}
func (p twoPlugins) Reload(context.Context) ([]plugins.Status, error) { return p.List(), nil }
func (twoPlugins) Ready() bool                                        { return true }

// GET /exchanges shows where each endpoint key's calls go, live and
// testnet apart: the config's override, else the plugin's built-in
// address. A live proxy is never shown (or used) for testnet.
func TestExchangesShowEndpoints(t *testing.T) {
	e := newEnv(t)
	e.deps.Plugins = twoPlugins{}
	e.deps.Endpoints = map[string]ExchangeEndpoints{"alpha": {
		Live:    map[string]string{"spot": "https://live-proxy.example"},
		Testnet: map[string]string{"futures": "https://testnet-proxy.example"},
	}}
	e.h = e.checked(New(e.deps))
	var list []exchangeJSON
	r := e.do("GET", "/api/v1/exchanges", e.adminToken, nil)
	r.decode(t, &list)
	if r.Code != 200 || len(list) != 2 {
		t.Fatalf("%d %s", r.Code, r.Body)
	}
	str := func(p *string) string {
		if p == nil {
			return "<unknown>"
		}
		return *p
	}
	mark := func(overridden bool) string {
		if overridden {
			return "(config)"
		}
		return ""
	}
	var got []string
	for _, x := range list {
		for _, ep := range x.Endpoints {
			got = append(got, fmt.Sprintf("%s.%s live=%s%s testnet=%s%s", x.Name, ep.Key,
				str(ep.Live), mark(ep.LiveOverridden), str(ep.Testnet), mark(ep.TestnetOverridden)))
		}
	}
	want := []string{
		"alpha.spot live=https://live-proxy.example(config) testnet=https://demo-s.alpha.example",
		"alpha.futures live=https://f.alpha.example testnet=https://testnet-proxy.example(config)",
		"beta.rest live=<unknown> testnet=<unknown>",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("endpoints\n got %v\nwant %v", got, want)
	}
	// The rate budget in use, per pool; none for a plugin without one.
	wantBudget := []budgetPoolJSON{{Pool: "weight", Limit: 6000, WindowMS: 60000, Aligned: true, Allowed: 5880, Used: 1500, UsedPercent: 25}}
	if !reflect.DeepEqual(list[0].Budget, wantBudget) || list[1].Budget == nil || len(list[1].Budget) != 0 {
		t.Fatalf("budgets %+v / %+v", list[0].Budget, list[1].Budget)
	}
	r = e.do("GET", "/api/v1/exchanges?limit=1", e.adminToken, nil)
	r.decode(t, &list)
	if len(list) != 1 || r.Header().Get("X-Next-Cursor") != "alpha" {
		t.Fatalf("first page: %s %q", r.Body, r.Header().Get("X-Next-Cursor"))
	}
	r = e.do("GET", "/api/v1/exchanges?limit=1&cursor=alpha", e.adminToken, nil)
	r.decode(t, &list)
	if len(list) != 1 || list[0].Name != "beta" || r.Header().Get("X-Next-Cursor") != "" {
		t.Fatalf("last page: %s", r.Body)
	}
}
