package bybit

import (
	"context"
	"encoding/json"

	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/rest"
	"github.com/globalautomation/gahost/sdk/settings"
)

// EndpointREST is the one endpoint key Bybit's connector accepts in
// sdk.Account.Endpoints: every V5 path lives on one host.
const EndpointREST = "rest"

// Default hosts. A testnet account goes to the testnet, whose keys are
// created on testnet.bybit.com. Demo trading is a third environment with
// keys of its own and no header to tell it apart; such an account sets the
// rest override to https://api-demo.bybit.com (see the 10003 message).
var hosts = map[string]rest.Hosts{
	EndpointREST: {Mainnet: "https://api.bybit.com", Testnet: "https://api-testnet.bybit.com"},
}

// Connector implements sdk.Exchange for Bybit. It is safe for concurrent
// use; one serves every account.
type Connector struct {
	rest.Described // Info (info.go)

	http    *rest.Client
	streams streamState // the private stream (stream.go)
	// modes keeps each account's margin mode (GET /v5/account/info)
	// while its open positions stay as they were.
	modes *settings.Cache[sdk.MarginMode]
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
			Exchange: "bybit",
			Hosts:    hosts,
			Sign:     signRequest,
			Decode:   decodeError,
			Usage:    usage,
			Time:     serverTime,
		},
		Info: info, Card: card, StreamHosts: wsHosts,
	}, nil, opts...)
	return &Connector{Described: about, http: http, modes: settings.New[sdk.MarginMode](settings.TTL, nil)}
}

// envelope is Bybit's answer around every result: success is
// retCode 0, whatever retMsg says; time is the server's clock in ms.
type envelope[T any] struct {
	RetCode int64  `json:"retCode"`
	RetMsg  string `json:"retMsg"`
	Result  T      `json:"result"`
	Time    int64  `json:"time"`
}

// get sends a signed GET and decodes the result.
func get[T any](ctx context.Context, c *Connector, acct sdk.Account, path string, q rest.Params) (envelope[T], error) {
	var env envelope[T]
	err := c.http.Do(ctx, acct, rest.Request{
		Method: "GET", Endpoint: EndpointREST, Path: path, Query: q, Signed: true,
	}, &env)
	return env, err
}

// post sends a signed POST with body as JSON and decodes the result. In
// order mode a failure whose outcome cannot be known is
// sdk.KindUnknownOutcome.
func post[T any](ctx context.Context, c *Connector, acct sdk.Account, path string, body any, order bool) (envelope[T], error) {
	var env envelope[T]
	data, err := json.Marshal(body)
	if err != nil {
		return env, sdk.Errorf(sdk.KindInvalidRequest, "bybit: cannot encode the request to %s", path)
	}
	err = c.http.Do(ctx, acct, rest.Request{
		Method: "POST", Endpoint: EndpointREST, Path: path, Body: data,
		ContentType: "application/json", Signed: true, Order: order,
	}, &env)
	return env, err
}
