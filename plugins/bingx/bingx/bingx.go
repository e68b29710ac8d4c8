package bingx

import (
	"net/http"
	"time"

	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/rest"
)

// EndpointREST is the one endpoint key the connector accepts in
// sdk.Account.Endpoints (CONTRACT §3): spot and swap share one host.
const EndpointREST = "rest"

// Default hosts (§1). The backup domain open-api.bingx.io is not used by
// default: its total limit is 60 requests a minute. Point the rest
// override at it when the main domain is down.
var hosts = map[string]rest.Hosts{
	EndpointREST: {Mainnet: "https://open-api.bingx.com", Testnet: "https://open-api-vst.bingx.com"},
}

// Connector implements sdk.Exchange for BingX. It is safe for concurrent
// use; one serves every account.
type Connector struct {
	version string
	http    *rest.Client
	rules   *ruleCache
}

var _ sdk.Exchange = (*Connector)(nil)

// Option adjusts New.
type Option func(*options)

type options struct {
	version  string
	logger   rest.Logger
	client   *http.Client
	rulesTTL time.Duration
}

// WithVersion sets the plugin version reported in Info.
func WithVersion(v string) Option { return func(o *options) { o.version = v } }

// WithLogger receives one debug line per exchange call (never a credential).
func WithLogger(l rest.Logger) Option { return func(o *options) { o.logger = l } }

// WithHTTPClient replaces the HTTP client (tests, proxies).
func WithHTTPClient(c *http.Client) Option { return func(o *options) { o.client = c } }

// WithRulesTTL sets how long a symbol's precision rules are reused before
// they are read again (default 10 minutes).
func WithRulesTTL(d time.Duration) Option { return func(o *options) { o.rulesTTL = d } }

// New returns a connector. It does not touch the network.
func New(opts ...Option) *Connector {
	o := options{version: "0.0.0-dev", rulesTTL: 10 * time.Minute}
	for _, fn := range opts {
		fn(&o)
	}
	return &Connector{
		version: o.version,
		rules:   newRuleCache(o.rulesTTL),
		http: rest.New(rest.Config{
			Exchange:   "bingx",
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
