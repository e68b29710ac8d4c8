package okx

import (
	"time"

	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/rest"
)

// EndpointREST is the one endpoint key: OKX serves every
// product from one host.
const EndpointREST = "rest"

// mainHost is OKX's long-standing REST host. Demo trading is the
// same host plus the x-simulated-trading header, so the test environment
// resolves to the same URL and the header does the switching (sign.go).
const mainHost = "https://www.okx.com"

var hosts = map[string]rest.Hosts{
	EndpointREST: {Mainnet: mainHost, Testnet: mainHost},
}

// Connector implements sdk.Exchange for OKX. It is safe for concurrent
// use; one serves every account.
type Connector struct {
	rest.Described // Info (info.go)

	http    *rest.Client
	insts   *instrumentCache
	modes   *modeCache
	streams streamState // the private stream's limits (stream.go)
}

// What the connector implements, checked where its type is declared
// (the private streams' sdk.Streamer is checked in stream.go).
var (
	_ sdk.Exchange         = (*Connector)(nil)
	_ sdk.PriceReader      = (*Connector)(nil)
	_ sdk.InstrumentLister = (*Connector)(nil)
)

// settings are the options of this connector alone.
type settings struct{ instTTL time.Duration }

// WithInstrumentTTL sets how long contract sizes are cached (default one
// hour; OKX announces changes ahead).
func WithInstrumentTTL(d time.Duration) sdk.Option {
	return sdk.CustomOption(func(s *settings) { s.instTTL = d })
}

// New returns a connector. It does not touch the network.
func New(opts ...sdk.Option) *Connector {
	own := settings{instTTL: time.Hour}
	http, about := rest.Describe(rest.Spec{
		Config: rest.Config{
			Exchange: "okx",
			Hosts:    hosts,
			Sign:     signRequest,
			Decode:   decodeError,
			Time:     serverTime,
		},
		Info: info, Card: card, StreamHosts: wsHosts,
	}, &own, opts...)
	c := &Connector{Described: about, http: http, modes: newModeCache()}
	c.insts = newInstrumentCache(c.http, own.instTTL)
	return c
}
