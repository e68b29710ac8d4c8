#!/usr/bin/env bash
# Creates a new connector module to start from:
#
#   scripts/new-plugin.sh <name> [dir]      (dir defaults to plugins/<name>)
#
# The module builds as generated, and its test runs the sdk conformance
# suite, which fails ("no capabilities") until the connector implements and
# declares one: implement a method, list its capability in Info, describe
# what your fake exchange holds in the fixtures, and the suite checks it.
# When dir is plugins/<name> the module is also added to go.work.
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
rel() { python3 -c 'import os,sys; print(os.path.relpath(sys.argv[1], sys.argv[2]))' "$1" "$2"; }
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

func main() { sdk.Serve($name.New(version)) }
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

// New returns the connector.
func New(version string) *Connector { return &Connector{version: version} }

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

	"github.com/globalautomation/gahost/sdk/plugintest"
)

// TestConformance runs the sdk's conformance suite. Start a fake exchange
// (see sdk/fakex) and describe its account in the fixtures as capabilities
// are implemented.
func TestConformance(t *testing.T) {
	plugintest.Run(t, New("0.1.0"), plugintest.Fixtures{})
}
GO

(cd "$dir" && GOWORK=off GOFLAGS=-mod=mod go mod tidy >/dev/null)
if [ "$dir" = "$root/plugins/$name" ]; then
  (cd "$root" && go work use "./plugins/$name")
fi
echo "created $dir"
echo "next: implement $dir/$name/connector.go against the exchange's docs; 'make build' puts gahost-plugin-$name into bin/plugins"
