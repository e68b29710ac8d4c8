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
	testnet := map[string]string{"spot": "http://127.0.0.1:3"}
	p := &proxy{name: "alpha", endpoints: cfg, testnetEndpoints: testnet}
	if got := p.account(sdk.Account{APIKey: "k"}); !maps.Equal(got.Endpoints, cfg) || got.APIKey != "k" {
		t.Fatalf("account without endpoints: %+v", got.Endpoints)
	}
	// A testnet account gets the testnet overrides only: the live rest
	// proxy never carries its calls.
	if got := p.account(sdk.Account{APIKey: "k", Testnet: true}); !maps.Equal(got.Endpoints, testnet) {
		t.Fatalf("testnet account: %+v", got.Endpoints)
	}
	liveOnly := &proxy{name: "alpha", endpoints: cfg}
	if got := liveOnly.account(sdk.Account{Testnet: true}); len(got.Endpoints) != 0 {
		t.Fatalf("testnet account with only live overrides: %+v", got.Endpoints)
	}
	own := map[string]string{"rest": "http://127.0.0.1:2"}
	if got := p.account(sdk.Account{Endpoints: own}); !maps.Equal(got.Endpoints, own) {
		t.Fatalf("account with its own endpoints: %+v", got.Endpoints)
	}
}
