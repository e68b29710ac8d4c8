package rest_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/ratecard"
	"github.com/globalautomation/gahost/sdk/rest"
)

func TestDescribe(t *testing.T) {
	card := ratecard.Card{
		Limits: []sdk.RateLimit{{Name: "ip", Limit: 600, Interval: 5 * time.Second, Scope: sdk.ScopeIP}},
		Costs:  []sdk.CallCost{{Call: sdk.CapPositions, Limit: "ip", Cost: 2}},
	}
	type settings struct{ ttl time.Duration }
	own := settings{ttl: time.Minute}
	withTTL := sdk.CustomOption(func(s *settings) { s.ttl = time.Hour })
	http, about := rest.Describe(rest.Spec{
		Config: rest.Config{Exchange: "demo", Hosts: map[string]rest.Hosts{
			"rest": {Mainnet: "https://api.example", Testnet: "https://test.example"},
		}},
		Info: sdk.Info{DisplayName: "Demo", SupportsTestnet: true, EndpointKeys: []string{"rest", "ws"},
			Capabilities: []string{sdk.CapPositions}},
		Card:        card,
		StreamHosts: map[string]rest.Hosts{"ws": {Mainnet: "wss://ws.example"}},
	}, &own, sdk.WithVersion("1.2.3"), withTTL)
	if http == nil || own.ttl != time.Hour {
		t.Fatalf("client %v, own options %+v", http, own)
	}
	got, err := about.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := sdk.Info{
		Name: "demo", DisplayName: "Demo", Version: "1.2.3", SupportsTestnet: true,
		EndpointKeys: []string{"rest", "ws"}, Capabilities: []string{sdk.CapPositions},
		RateLimits: card.Limits, Costs: card.Costs, CallCosts: map[string]int64{sdk.CapPositions: 2},
		DefaultEndpoints: []sdk.Endpoint{
			{Key: "rest", Live: "https://api.example", Testnet: "https://test.example"},
			{Key: "ws", Live: "wss://ws.example"},
		},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Info\n got %+v\nwant %+v", got, want)
	}
	// What a caller does to one answer does not reach the next.
	got.EndpointKeys[0], got.Capabilities[0], got.DefaultEndpoints[0].Key = "x", "x", "x"
	got.RateLimits[0].Limit, got.Costs[0].Cost, got.CallCosts[sdk.CapPositions] = 1, 1, 1
	again, _ := about.Info(context.Background())
	if !reflect.DeepEqual(again, want) {
		t.Fatalf("Info after a caller changed an answer\n got %+v\nwant %+v", again, want)
	}
}
