package binance

import (
	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/rest"
	"github.com/globalautomation/gahost/sdk/settings"
)

// Endpoint keys accepted in sdk.Account.Endpoints.
const (
	EndpointSpot    = "spot"
	EndpointFutures = "futures"
)

// Default hosts. Binance's demo trading issues one key for both
// demo-api and demo-fapi, so the test environment pairs those two; a spot
// testnet.binance.vision key can still be used through the spot override.
var hosts = map[string]rest.Hosts{
	EndpointSpot:    {Mainnet: "https://api.binance.com", Testnet: "https://demo-api.binance.com"},
	EndpointFutures: {Mainnet: "https://fapi.binance.com", Testnet: "https://demo-fapi.binance.com"},
}

// Connector implements sdk.Exchange for Binance. It is safe for concurrent
// use; one serves every account.
type Connector struct {
	rest.Described // Info (info.go)

	http *rest.Client
	// leverage keeps each account's symbolConfig answers while its open
	// positions stay as they were (positionRisk v3 no longer carries
	// leverage and margin type; reading them on every sync cost a fifth
	// request, weight 5, for nothing).
	leverage *settings.Cache[map[string]symbolConfig]
	streams  streamState // the private streams (stream.go)
}

// What the connector implements, checked where its type is declared
// (the private streams' sdk.Streamer is checked in stream.go).
var (
	_ sdk.Exchange         = (*Connector)(nil)
	_ sdk.PriceReader      = (*Connector)(nil)
	_ sdk.InstrumentLister = (*Connector)(nil)
)

// New returns a connector. It does not touch the network. It takes the
// options every connector takes (sdk.WithVersion, sdk.WithLogger,
// sdk.WithHTTPClient).
func New(opts ...sdk.Option) *Connector {
	http, about := rest.Describe[struct{}](rest.Spec{
		Config: rest.Config{
			Exchange: "binance",
			Hosts:    hosts,
			Sign:     signRequest,
			Decode:   decodeError,
			Usage:    usage,
			Time:     serverTime,
		},
		Info: info, Card: card, StreamHosts: wsHosts,
	}, nil, opts...)
	return &Connector{Described: about, http: http, leverage: settings.New[map[string]symbolConfig](settings.TTL, nil)}
}
