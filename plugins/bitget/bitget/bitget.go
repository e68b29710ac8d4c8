package bitget

import (
	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/rest"
)

// EndpointREST is the one endpoint key: spot and futures
// share a host.
const EndpointREST = "rest"

// mainnet is Bitget's only REST host. Demo trading uses it too, told
// apart by a header, so the "testnet" default is the same URL.
const mainnet = "https://api.bitget.com"

var hosts = map[string]rest.Hosts{
	EndpointREST: {Mainnet: mainnet, Testnet: mainnet},
}

// Connector implements sdk.Exchange for Bitget. It is safe for concurrent
// use; one serves every account.
type Connector struct {
	rest.Described // Info (info.go)

	http *rest.Client
	// newClientOid makes the client order id sent when the caller gave
	// none; tests replace it.
	newClientOid func() string
	// modes remembers each key's account mode, Classic or UTA (mode.go).
	modes modeCache
	// streams is what the accounts' private streams share (stream.go).
	streams streamState
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
			Exchange: "bitget",
			Hosts:    hosts,
			Sign:     signRequest,
			Decode:   decodeError,
			Usage:    usage,
			Time:     serverTime,
		},
		Info: info, Card: card, StreamHosts: wsHosts,
	}, nil, opts...)
	return &Connector{Described: about, http: http, newClientOid: randomClientOid}
}
