package bitget

import (
	"net/http"

	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/rest"
)

// EndpointREST is the one endpoint key (CONTRACT §3): spot and futures
// share a host.
const EndpointREST = "rest"

// mainnet is Bitget's only REST host (§1). Demo trading uses it too, told
// apart by a header, so the "testnet" default is the same URL.
const mainnet = "https://api.bitget.com"

var hosts = map[string]rest.Hosts{
	EndpointREST: {Mainnet: mainnet, Testnet: mainnet},
}

// Connector implements sdk.Exchange for Bitget. It is safe for concurrent
// use; one serves every account.
type Connector struct {
	version string
	http    *rest.Client
	// newClientOid makes the client order id sent when the caller gave
	// none; tests replace it.
	newClientOid func() string
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
			Exchange:   "bitget",
			Hosts:      hosts,
			Sign:       signRequest,
			Decode:     decodeError,
			Usage:      usage,
			Time:       serverTime,
			Logger:     o.logger,
			HTTPClient: o.client,
		}),
		newClientOid: randomClientOid,
	}
}
