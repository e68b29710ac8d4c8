package binance

import (
	"net/http"

	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/rest"
)

// Endpoint keys accepted in sdk.Account.Endpoints.
const (
	EndpointSpot    = "spot"
	EndpointFutures = "futures"
)

// Default hosts (§1). Binance's demo trading issues one key for both
// demo-api and demo-fapi, so the test environment pairs those two; a spot
// testnet.binance.vision key can still be used through the spot override.
var hosts = map[string]rest.Hosts{
	EndpointSpot:    {Mainnet: "https://api.binance.com", Testnet: "https://demo-api.binance.com"},
	EndpointFutures: {Mainnet: "https://fapi.binance.com", Testnet: "https://demo-fapi.binance.com"},
}

// Connector implements sdk.Exchange for Binance. It is safe for concurrent
// use; one serves every account.
type Connector struct {
	version string
	http    *rest.Client
}

var _ sdk.Exchange = (*Connector)(nil)

// Option adjusts New.
type Option func(*options)

type options struct {
	version string
	logger  rest.Logger
	client  *http.Client
}

// WithVersion sets the plugin version reported in Info.
func WithVersion(v string) Option { return func(o *options) { o.version = v } }

// WithLogger receives one debug line per exchange call (never a credential).
func WithLogger(l rest.Logger) Option { return func(o *options) { o.logger = l } }

// WithHTTPClient replaces the HTTP client (tests, proxies).
func WithHTTPClient(c *http.Client) Option { return func(o *options) { o.client = c } }

// New returns a connector. It does not touch the network.
func New(opts ...Option) *Connector {
	o := options{version: "0.0.0-dev"}
	for _, fn := range opts {
		fn(&o)
	}
	return &Connector{
		version: o.version,
		http: rest.New(rest.Config{
			Exchange:   "binance",
			Hosts:      hosts,
			Sign:       signRequest,
			Decode:     decodeError,
			Usage:      usage,
			Time:       serverTime,
			Logger:     o.logger,
			HTTPClient: o.client,
		}),
	}
}
