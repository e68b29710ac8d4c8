package api

import (
	"context"
	"fmt"
	"testing"

	"github.com/globalautomation/gahost/host/internal/plugins"
	"github.com/globalautomation/gahost/sdk"
)

// twoPlugins is a catalog of two ready plugins with endpoint keys.
type twoPlugins struct{}

func (twoPlugins) List() []plugins.Status {
	return []plugins.Status{
		{Name: "alpha", State: plugins.StateReady, Info: sdk.Info{Name: "alpha", SupportsTestnet: true,
			EndpointKeys: []string{"spot", "futures"}, Capabilities: []string{sdk.CapSpotBalances}}},
		{Name: "beta", State: plugins.StateReady, Info: sdk.Info{Name: "beta", EndpointKeys: []string{"rest"},
			Capabilities: []string{sdk.CapSpotBalances}}},
	}
}
func (p twoPlugins) Reload(context.Context) ([]plugins.Status, error) { return p.List(), nil }
func (twoPlugins) Ready() bool                                        { return true }

// GET /exchanges shows each endpoint key with the live and the testnet
// override apart: a live proxy is never shown (or used) for testnet.
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
			return "<default>"
		}
		return *p
	}
	var got []string
	for _, x := range list {
		for _, ep := range x.Endpoints {
			got = append(got, fmt.Sprintf("%s.%s live=%s testnet=%s", x.Name, ep.Key, str(ep.Live), str(ep.Testnet)))
		}
	}
	want := []string{
		"alpha.spot live=https://live-proxy.example testnet=<default>",
		"alpha.futures live=<default> testnet=https://testnet-proxy.example",
		"beta.rest live=<default> testnet=<default>",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("endpoints\n got %v\nwant %v", got, want)
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
