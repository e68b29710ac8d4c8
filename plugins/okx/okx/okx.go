package okx

import (
	"net/http"
	"time"

	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/rest"
)

// EndpointREST is the one endpoint key (CONTRACT §3): OKX serves every
// product from one host.
const EndpointREST = "rest"

// mainHost is OKX's long-standing REST host (§1, §12). Demo trading is the
// same host plus the x-simulated-trading header, so the test environment
// resolves to the same URL and the header does the switching (sign.go).
const mainHost = "https://www.okx.com"

var hosts = map[string]rest.Hosts{
	EndpointREST: {Mainnet: mainHost, Testnet: mainHost},
}

// Connector implements sdk.Exchange for OKX. It is safe for concurrent
// use; one serves every account.
type Connector struct {
	version string
	http    *rest.Client
	insts   *instrumentCache
	modes   *modeCache
}

var _ sdk.Exchange = (*Connector)(nil)

// Option adjusts New.
type Option func(*options)

type options struct {
	version string
	logger  rest.Logger
	client  *http.Client
	instTTL time.Duration
}

// WithVersion sets the plugin version reported in Info.
func WithVersion(v string) Option { return func(o *options) { o.version = v } }

// WithLogger receives one debug line per exchange call (never a credential).
func WithLogger(l rest.Logger) Option { return func(o *options) { o.logger = l } }

// WithHTTPClient replaces the HTTP client (tests, proxies).
func WithHTTPClient(c *http.Client) Option { return func(o *options) { o.client = c } }

// WithInstrumentTTL sets how long contract sizes are cached (default one
// hour; OKX announces changes ahead, §11.2).
func WithInstrumentTTL(d time.Duration) Option { return func(o *options) { o.instTTL = d } }

// New returns a connector. It does not touch the network.
func New(opts ...Option) *Connector {
	o := options{version: "0.0.0-dev", instTTL: time.Hour}
	for _, fn := range opts {
		fn(&o)
	}
	c := &Connector{
		version: o.version,
		http: rest.New(rest.Config{
			Exchange:   "okx",
			Hosts:      hosts,
			Sign:       signRequest,
			Decode:     decodeError,
			Time:       serverTime,
			Logger:     o.logger,
			HTTPClient: o.client,
		}),
	}
	c.insts = newInstrumentCache(c.http, o.instTTL)
	c.modes = newModeCache()
	return c
}
