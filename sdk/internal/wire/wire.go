// Package wire holds the facts of the plugin protocol that both ends of the
// boundary must agree on: the handshake, the protocol version, the name the
// service is dispensed under, the trailer that carries rate-limit usage, the
// table pairing every error kind with its proto value, and the text form of
// amounts on the wire.
//
// Each end owns the half of the translation it performs: package sdk turns
// a connector's answers into proto messages (Serve), package pluginhost turns
// them back (the host). What both halves must read the same way lives here,
// once. This package knows only the proto types, never the sdk's, so that
// both package sdk and package pluginhost can import it.
package wire

import (
	"fmt"
	"sync"

	pb "github.com/globalautomation/gahost/proto/exchange/v1"
	"github.com/hashicorp/go-plugin"
	"github.com/shopspring/decimal"
)

// ProtocolVersion is the plugin protocol this sdk speaks. It changes only
// with a new proto package (exchange.v2); go-plugin negotiates it.
const ProtocolVersion = 1

// PluginName is the name under which the exchange service is dispensed.
const PluginName = "exchange"

// UsageTrailer is the gRPC trailer that carries a serialized
// pb.RateUsageReport beside every answer.
const UsageTrailer = "gahost-rate-usage-bin"

// LogLevelEnv names the variable the host sets to tell a plugin how much to
// log.
const LogLevelEnv = "GAHOST_PLUGIN_LOG_LEVEL"

// Handshake is shared by host and plugins. The cookie only tells a user who
// runs a plugin by hand that it is not a program of its own; it is no
// security boundary.
var Handshake = plugin.HandshakeConfig{
	ProtocolVersion:  ProtocolVersion,
	MagicCookieKey:   "GAHOST_PLUGIN",
	MagicCookieValue: "exchange-connector-4f1c9d2e",
}

// kinds pairs every error kind, by its stable snake_case name (what
// sdk.Kind's String returns), with its proto value. The two are listed side
// by side rather than cast by position, so that reordering either enum
// cannot silently change what crosses the boundary; tests check that every
// sdk Kind and every proto value has exactly one entry.
var kinds = [...]struct {
	name string
	wire pb.ErrorKind
}{
	{"unknown", pb.ErrorKind_ERROR_KIND_UNSPECIFIED},
	{"authentication", pb.ErrorKind_ERROR_KIND_AUTHENTICATION},
	{"permission", pb.ErrorKind_ERROR_KIND_PERMISSION},
	{"rate_limited", pb.ErrorKind_ERROR_KIND_RATE_LIMITED},
	{"clock_skew", pb.ErrorKind_ERROR_KIND_CLOCK_SKEW},
	{"invalid_request", pb.ErrorKind_ERROR_KIND_INVALID_REQUEST},
	{"insufficient_funds", pb.ErrorKind_ERROR_KIND_INSUFFICIENT_FUNDS},
	{"unknown_symbol", pb.ErrorKind_ERROR_KIND_UNKNOWN_SYMBOL},
	{"unsupported", pb.ErrorKind_ERROR_KIND_UNSUPPORTED},
	{"unavailable", pb.ErrorKind_ERROR_KIND_UNAVAILABLE},
	{"unknown_outcome", pb.ErrorKind_ERROR_KIND_UNKNOWN_OUTCOME},
	{"order_not_found", pb.ErrorKind_ERROR_KIND_ORDER_NOT_FOUND},
}

// KindToWire is the proto value of the kind called name. A name the table
// lacks travels as unspecified, which the other side reads as unknown
// (transient).
func KindToWire(name string) pb.ErrorKind {
	for _, k := range kinds {
		if k.name == name {
			return k.wire
		}
	}
	return pb.ErrorKind_ERROR_KIND_UNSPECIFIED
}

// KindFromWire is the name of the kind of a proto value; a value from a
// newer peer that this side does not know is "unknown".
func KindFromWire(w pb.ErrorKind) string {
	for _, k := range kinds {
		if k.wire == w {
			return k.name
		}
	}
	return "unknown"
}

// KindNames lists the names in the table, for tests that check it against
// the sdk's kinds.
func KindNames() []string {
	out := make([]string, len(kinds))
	for i, k := range kinds {
		out[i] = k.name
	}
	return out
}

// Dec is the wire form of an amount.
func Dec(d decimal.Decimal) string { return d.String() }

// OptDec writes zero as "" so that "not given" stays distinguishable on the
// wire for optional order fields.
func OptDec(d decimal.Decimal) string {
	if d.IsZero() {
		return ""
	}
	return d.String()
}

// Decs parses several wire decimals, keeping the first failure. An empty
// string is zero: proto3 cannot tell "unset" from "", and every amount on
// the wire is zero when absent.
type Decs struct{ Err error }

// Parse reads the decimal s of field, or returns zero once a field failed.
func (p *Decs) Parse(field, s string) decimal.Decimal {
	if p.Err != nil || s == "" {
		return decimal.Zero
	}
	d, err := decimal.NewFromString(s)
	if err != nil {
		p.Err = fmt.Errorf("field %s: %q is not a decimal", field, s)
		return decimal.Zero
	}
	return d
}

// EachPart runs read once per snapshot part, side by side, and returns the
// error of each part that failed (nil when none did). read must only write
// what belongs to its own part.
func EachPart(parts []string, read func(part string) error) map[string]error {
	var (
		errs map[string]error
		mu   sync.Mutex
		wg   sync.WaitGroup
	)
	for _, p := range parts {
		wg.Go(func() {
			if err := read(p); err != nil {
				mu.Lock()
				defer mu.Unlock()
				if errs == nil {
					errs = map[string]error{}
				}
				errs[p] = err
			}
		})
	}
	wg.Wait()
	return errs
}
