package plugins

import (
	"maps"
	"testing"

	"github.com/globalautomation/gahost/sdk"
)

// The config's endpoint overrides reach the plugin through the catalog,
// the one place that adds them; an account that brings its own keeps them.
func TestProxyFillsConfiguredEndpoints(t *testing.T) {
	cfg := map[string]string{"rest": "http://127.0.0.1:1"}
	p := &proxy{name: "alpha", endpoints: cfg}
	if got := p.account(sdk.Account{APIKey: "k"}); !maps.Equal(got.Endpoints, cfg) || got.APIKey != "k" {
		t.Fatalf("account without endpoints: %+v", got.Endpoints)
	}
	own := map[string]string{"rest": "http://127.0.0.1:2"}
	if got := p.account(sdk.Account{Endpoints: own}); !maps.Equal(got.Endpoints, own) {
		t.Fatalf("account with its own endpoints: %+v", got.Endpoints)
	}
}
