// Package pluginhost is the host's side of the plugin boundary: what a
// program that runs gahost connectors (the gahost daemon, a test harness)
// needs to start them with hashicorp/go-plugin and to call them. A connector
// author has no use for it; connectors import package sdk and call sdk.Serve.
//
// Pass [Handshake] and [PluginSets] to go-plugin's ClientConfig and dispense
// [PluginName]. The value dispensed is an sdk.Exchange whose calls end when
// the plugin process exits, and which also
//
//   - is a [Snapshotter], reading several parts of an account in one round
//     trip (and part by part from a plugin built before that call existed);
//   - is an sdk.PriceReader and an sdk.InstrumentLister, whose calls
//     answer sdk.KindUnsupported when the plugin (built before them, or
//     whose connector does not implement them) does not serve them;
//   - has a Done() <-chan struct{} method, closed when the plugin process
//     has exited, so a host notices a crash without polling;
//   - hands the rate-limit usage a connector reported during a call to the
//     observer set on the call's context with [WithUsageObserver].
//
// Errors come back as *sdk.Error values with the connector's Kind, so the
// host decides with errors.Is on the sdk's sentinels and never parses text.
// A PlaceOrder whose outcome the host lost sight of (the plugin died, the
// connection broke, the deadline passed after sending) is always
// sdk.KindUnknownOutcome.
package pluginhost

import (
	"context"
	"errors"

	"github.com/globalautomation/gahost/sdk/internal/wire"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
)

// ProtocolVersion is the plugin protocol this host side speaks. It changes
// only with a new proto package (exchange.v2); go-plugin negotiates it.
const ProtocolVersion = wire.ProtocolVersion

// PluginName is the name to dispense the exchange service under.
const PluginName = wire.PluginName

// LogLevelEnv names the variable to set in a plugin's environment to tell
// it how much to log (an hclog level name such as "debug").
const LogLevelEnv = wire.LogLevelEnv

// Handshake is go-plugin's handshake for gahost plugins. The cookie only
// tells a user who runs a plugin by hand that it is not a program of its
// own; it is no security boundary.
var Handshake = wire.Handshake

// PluginSets is what the host passes as go-plugin's VersionedPlugins.
func PluginSets() map[int]plugin.PluginSet {
	return map[int]plugin.PluginSet{ProtocolVersion: {PluginName: grpcPlugin{}}}
}

// grpcPlugin is the go-plugin glue of the host side. It has no server half:
// a host never serves a connector.
type grpcPlugin struct{ plugin.NetRPCUnsupportedPlugin }

func (grpcPlugin) GRPCServer(*plugin.GRPCBroker, *grpc.Server) error {
	return errors.New("pluginhost: the host does not serve connectors; a connector calls sdk.Serve")
}

// GRPCClient returns an Exchange whose calls end when ctx does: go-plugin
// cancels ctx when the plugin process exits, so no call outlives it.
func (grpcPlugin) GRPCClient(ctx context.Context, _ *plugin.GRPCBroker, c *grpc.ClientConn) (any, error) {
	return NewClient(ctx, c), nil
}
