package rest

import (
	"context"
	"maps"
	"slices"

	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/ratecard"
)

// Spec is everything a connector declares about its exchange: the
// client's Config and what its Info says beyond it.
type Spec struct {
	Config
	// Info is what only the connector can say of itself: DisplayName,
	// RequiresPassphrase, SupportsTestnet, EndpointKeys, Capabilities and
	// StreamLimits. Describe sets the rest: Name is Config.Exchange,
	// Version comes from the options, DefaultEndpoints from Config.Hosts
	// and StreamHosts, and the rate limits and costs from Card.
	Info sdk.Info
	// Card is the exchange's rate card.
	Card ratecard.Card
	// StreamHosts are the default hosts of the endpoint keys the client
	// does not call itself (the private streams'); their defaults are
	// listed after those of Config.Hosts.
	StreamHosts map[string]Hosts
}

// Described is a connector's Info, as Describe completed it. A connector
// embeds it, which gives it sdk.Exchange's Info.
type Described struct{ info sdk.Info }

// Describe builds a connector's client from spec.Config and the options
// its New was given, as NewFor does (own takes the connector's own
// options; nil for a connector with none), and its Info from the rest of
// spec. Neither touches the network.
func Describe[T any](spec Spec, own *T, opts ...sdk.Option) (*Client, Described) {
	http, o := NewFor(spec.Config, own, opts...)
	info := spec.Card.Fill(spec.Info)
	info.Name = spec.Exchange
	info.Version = o.Version
	info.DefaultEndpoints = append(DefaultEndpoints(spec.Hosts), DefaultEndpoints(spec.StreamHosts)...)
	return http, Described{info: info}
}

// Info describes the connector without calling the exchange. The slices
// and map in the answer are copies the caller may change.
func (d Described) Info(context.Context) (sdk.Info, error) {
	info := d.info
	info.EndpointKeys = slices.Clone(info.EndpointKeys)
	info.Capabilities = slices.Clone(info.Capabilities)
	info.RateLimits = slices.Clone(info.RateLimits)
	info.Costs = slices.Clone(info.Costs)
	info.DefaultEndpoints = slices.Clone(info.DefaultEndpoints)
	info.CallCosts = maps.Clone(info.CallCosts)
	return info, nil
}
