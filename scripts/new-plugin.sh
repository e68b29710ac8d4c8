#!/usr/bin/env bash
# Creates a new connector module to start from:
#
#   scripts/new-plugin.sh <name> [dir]      (dir defaults to plugins/<name>)
#
# The module builds and its tests pass as generated: the connector declares
# no capability yet (the host lists it as no_capabilities and adds no
# account to it), and its test runs the sdk conformance suite, which skips
# every check of a capability not declared and says why. Implement a
# method, list its capability in Info, describe what your fake exchange
# holds in the fixtures, and the suite checks it.
#
# Needs bash and Go only, and changes no tracked file: to build the module
# inside this workspace, run the `go work use` command it prints.
set -euo pipefail
name="${1:-}"
if ! [[ "$name" =~ ^[a-z][a-z0-9]*$ ]]; then
  echo "usage: $0 <name> [dir]   (name: lower case letters and digits, e.g. kraken)" >&2
  exit 2
fi
root="$(cd "$(dirname "$0")/.." && pwd)"
dir="${2:-$root/plugins/$name}"
if [ -e "$dir" ]; then
  echo "$dir already exists" >&2
  exit 1
fi
mkdir -p "$dir/$name"
dir="$(cd "$dir" && pwd)"
# rel prints the path of $1 relative to $2 (both absolute, no symlinks
# needed resolved beyond what pwd gives).
rel() {
  local target="$1" base="$2" up=""
  while [ "${target#"$base"/}" = "$target" ] && [ "$target" != "$base" ]; do
    base="$(dirname "$base")"
    up="../$up"
    [ "$base" = "/" ] && { echo "${up}${target#/}"; return; }
  done
  if [ "$target" = "$base" ]; then
    echo "${up:-.}" | sed 's#/$##'
  else
    echo "${up}${target#"$base"/}"
  fi
}
sdkrel="$(rel "$root/sdk" "$dir")"
protorel="$(rel "$root/proto" "$dir")"
display="$(tr '[:lower:]' '[:upper:]' <<<"${name:0:1}")${name:1}"
module="github.com/globalautomation/gahost/plugins/$name"

cat >"$dir/go.mod" <<GOMOD
module $module

go 1.26.0

require github.com/globalautomation/gahost/sdk v0.0.0

replace (
	github.com/globalautomation/gahost/proto => $protorel
	github.com/globalautomation/gahost/sdk => $sdkrel
)
GOMOD

cat >"$dir/main.go" <<GO
// Command gahost-plugin-$name is the $display connector for gahost.
package main

import (
	"github.com/globalautomation/gahost/sdk"

	"$module/$name"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "0.1.0"

func main() { sdk.Serve($name.New(sdk.WithVersion(version), sdk.WithLogger(sdk.Logger()))) }
GO

cat >"$dir/$name/connector.go" <<GO
// Package $name connects gahost to $display's REST API.
//
// Write one file per area of the exchange's docs (signing, account,
// positions, orders, errors) and build requests with sdk/rest, which signs,
// corrects the clock and reports rate-limit usage for you.
package $name

import (
	"context"
	"time"

	"github.com/globalautomation/gahost/sdk"
)

// Connector implements sdk.Exchange for $display.
type Connector struct {
	version string
}

// New returns the connector. It takes the options every connector takes
// (sdk.WithVersion, sdk.WithLogger, sdk.WithHTTPClient); hand the logger
// and HTTP client to sdk/rest's Config once the connector calls out.
func New(opts ...sdk.Option) *Connector {
	o := sdk.ApplyOptions[struct{}](nil, opts...)
	return &Connector{version: o.Version}
}

// Info describes the connector. List a capability only once its methods work.
func (c *Connector) Info(context.Context) (sdk.Info, error) {
	return sdk.Info{
		Name:         "$name",
		DisplayName:  "$display",
		Version:      c.version,
		EndpointKeys: []string{"rest"},
		Capabilities: []string{},
		// The exchange's per-IP budget, from its rate-limit docs.
		RateLimits: []sdk.RateLimit{{Name: "requests", Limit: 600, Interval: time.Minute, Scope: sdk.ScopeIP}},
		CallCosts:  map[string]int64{},
	}, nil
}

func unsupported(what string) error {
	return sdk.Errorf(sdk.KindUnsupported, "$name: %s is not implemented", what)
}

// ValidateCredentials checks the keys.
func (c *Connector) ValidateCredentials(context.Context, sdk.Account) (sdk.Permissions, error) {
	return sdk.Permissions{}, unsupported("the credentials check")
}

// SpotBalances lists non-zero spot balances.
func (c *Connector) SpotBalances(context.Context, sdk.Account) ([]sdk.Balance, error) {
	return nil, unsupported("spot balances")
}

// FuturesAccount reports the USDT-margined futures wallet.
func (c *Connector) FuturesAccount(context.Context, sdk.Account) (sdk.FuturesAccount, error) {
	return sdk.FuturesAccount{}, unsupported("the futures account")
}

// Positions lists open positions.
func (c *Connector) Positions(context.Context, sdk.Account) ([]sdk.Position, error) {
	return nil, unsupported("positions")
}

// PlaceOrder places an order.
func (c *Connector) PlaceOrder(context.Context, sdk.Account, sdk.OrderRequest) (sdk.Order, error) {
	return sdk.Order{}, unsupported("placing orders")
}

// CancelOrder cancels an order.
func (c *Connector) CancelOrder(context.Context, sdk.Account, sdk.CancelRequest) (sdk.Order, error) {
	return sdk.Order{}, unsupported("cancelling orders")
}
GO

cat >"$dir/$name/connector_test.go" <<GO
package $name

import (
	"testing"

	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/plugintest"
)

// TestConformance runs the sdk's conformance suite. With no capability
// declared and no fixtures it checks Info and the plugin boundary and
// skips the rest, saying why. As capabilities are implemented, start a
// fake exchange (see sdk/fakex), point Fixtures.Account at it and describe
// what it holds, set Fixtures.Fake and Paths, and the suite checks them.
func TestConformance(t *testing.T) {
	plugintest.Run(t, New(sdk.WithVersion("0.1.0")), plugintest.Fixtures{})
}
GO

(cd "$dir" && GOWORK=off GOFLAGS=-mod=mod go mod tidy >/dev/null)
echo "created $dir"
echo "to build it inside this workspace: (cd $root && go work use $(rel "$dir" "$root"))"
echo "next: implement $dir/$name/connector.go against the exchange's docs; 'make build' puts gahost-plugin-$name into bin/plugins"
