package bingx

import (
	"time"

	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/rest"
)

// EndpointREST is the one endpoint key the connector accepts in
// sdk.Account.Endpoints: spot and swap share one host.
const EndpointREST = "rest"

// Default hosts. The backup domain open-api.bingx.io is not used by
// default: its total limit is 60 requests a minute. Point the rest
// override at it when the main domain is down.
var hosts = map[string]rest.Hosts{
	EndpointREST: {Mainnet: "https://open-api.bingx.com", Testnet: "https://open-api-vst.bingx.com"},
}

// Connector implements sdk.Exchange for BingX. It is safe for concurrent
// use; one serves every account.
type Connector struct {
	rest.Described // Info (info.go)

	http    *rest.Client
	rules   *ruleCache
	streams streamState // the private streams (stream.go)
}

// What the connector implements, checked where its type is declared
// (the private streams' sdk.Streamer is checked in stream.go).
var (
	_ sdk.Exchange         = (*Connector)(nil)
	_ sdk.PriceReader      = (*Connector)(nil)
	_ sdk.InstrumentLister = (*Connector)(nil)
)

// settings are the options of this connector alone.
type settings struct{ rulesTTL time.Duration }

// WithRulesTTL sets how long a symbol's precision rules are reused before
// they are read again (default 10 minutes).
func WithRulesTTL(d time.Duration) sdk.Option {
	return sdk.CustomOption(func(s *settings) { s.rulesTTL = d })
}

// New returns a connector. It does not touch the network.
func New(opts ...sdk.Option) *Connector {
	own := settings{rulesTTL: 10 * time.Minute}
	http, about := rest.Describe(rest.Spec{
		Config: rest.Config{
			Exchange: "bingx",
			Hosts:    hosts,
			Sign:     signRequest,
			Decode:   decodeError,
			Usage:    usage,
			Time:     serverTime,
		},
		Info: info, Card: card, StreamHosts: wsHosts,
	}, &own, opts...)
	return &Connector{Described: about, http: http, rules: newRuleCache(own.rulesTTL)}
}
