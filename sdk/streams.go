package sdk

// Private streams: the optional interface a connector implements to push an
// account's changes instead of being polled for them. The machinery most
// connectors share (a pool of connections, heartbeats, reconnects, the
// planned cut before a connection's lifetime ends, the seed-then-deltas
// book) is in package sdk/stream.

import (
	"context"
	"time"
)

// CapStreams is declared by a connector that implements [Streamer].
const CapStreams = "streams"

// Streamer is implemented by a connector that can watch accounts through
// the exchange's private streams. Serve runs one Watch per watched account,
// each until the host stops watching it (its context ends) or the plugin
// stops. A connector without it still serves; the host polls its accounts.
type Streamer interface {
	// Watch keeps acct's stream until ctx ends, reporting through emit:
	// a StreamResyncing event whenever continuity is in doubt, a
	// StreamConnected event once the account is subscribed and seeded,
	// and then an event for every change, each changed part whole.
	// Watch returns nil when ctx ends. An error means it gave up on the
	// account (keys refused, the exchange's per-IP cap reached): Serve
	// reports it to the host as StreamFailed with the error's kind and
	// message, and the host polls the account. emit is safe to call from
	// any goroutine and blocks while the host is behind.
	Watch(ctx context.Context, acct StreamAccount, emit func(StreamEvent)) error
}

// WatchStarter is a Streamer that can also watch an account without a
// goroutine blocked for it: StartWatch returns at once and calls done,
// once, with what Watch would have returned, after its last emit. Serve
// uses it in place of Watch where a connector has it, so that a connector
// carrying thousands of accounts on shared connections spends no
// goroutine stack on an account while it streams.
type WatchStarter interface {
	Streamer
	StartWatch(ctx context.Context, acct StreamAccount, emit func(StreamEvent), done func(error))
}

// StreamAccount is one account the host asks a connector to watch. Its
// credentials live only as long as the watch: never store them.
type StreamAccount struct {
	ID      string // the host's account id
	Account Account
	// Parts to keep, by capability name: CapSpotBalances,
	// CapFuturesAccount, CapPositions.
	Parts []string
}

// Wants reports whether part is among the parts to keep.
func (a StreamAccount) Wants(part string) bool {
	for _, p := range a.Parts {
		if p == part {
			return true
		}
	}
	return false
}

// StreamLimits are an exchange's per-IP limits on private streams, as its
// connector declares them: the host streams only as many accounts as they
// carry, polls the rest, and hands accounts over no faster than the
// connection rate allows. Zero fields are limits the exchange does not
// document.
type StreamLimits struct {
	// MaxConnections is how many private connections one IP may hold at
	// once (Bitget 100). The host caps the accounts it streams at
	// MaxAccounts, so a connector whose account needs more than one
	// connection declares the cap divided by that many (BingX allows 60
	// and, with two connections an account, declares 30).
	MaxConnections int
	// AccountsPerConnection is how many accounts one connection carries
	// (Binance spot's WebSocket API 1,000); zero means one.
	AccountsPerConnection int
	// NewConnections is how many connections one IP may open per
	// NewConnectionsWindow (Binance 300 per 5 minutes, OKX 3 per second).
	NewConnections       int
	NewConnectionsWindow time.Duration
}

// MaxAccounts is how many accounts the limits let one IP stream; zero
// means no documented cap.
func (l StreamLimits) MaxAccounts() int {
	if l.MaxConnections <= 0 {
		return 0
	}
	return l.MaxConnections * max(l.AccountsPerConnection, 1)
}

// StreamState is what an account's stream is doing.
type StreamState int

// Stream states. StreamData marks an event that only carries changes.
const (
	StreamData StreamState = iota
	StreamConnected
	StreamResyncing
	StreamFailed
)

var streamStateNames = [...]string{StreamData: "data", StreamConnected: "connected", StreamResyncing: "resyncing", StreamFailed: "failed"}

func (s StreamState) String() string {
	if s < 0 || int(s) >= len(streamStateNames) {
		return "unknown"
	}
	return streamStateNames[s]
}

// StreamEvent is one thing a stream reports about an account: a state
// change, changed parts, or both. A part is set only when HasSpot,
// Futures != nil or HasPositions says so, and then it is the part whole
// (every non-zero balance, every open position), never a delta.
type StreamEvent struct {
	AccountID string // filled in by Serve
	State     StreamState
	Reason    string // why it is resyncing or failed; never a credential
	Kind      Kind   // for StreamFailed

	HasSpot      bool
	Spot         []Balance
	Futures      *FuturesAccount
	HasPositions bool
	Positions    []Position

	// At is when the exchange made the change; zero when unknown.
	At time.Time
	// Usage is the rate-limit usage seen while seeding; Serve fills it in
	// from what the connector reported with ReportUsage during Watch.
	Usage []RateUsage
}

// HasData reports whether the event carries any part.
func (e StreamEvent) HasData() bool { return e.HasSpot || e.Futures != nil || e.HasPositions }

// take empties the recorder and returns what it held, so that each usage
// report crosses the boundary once.
func (r *UsageRecorder) take() []RateUsage {
	r.mu.Lock()
	defer r.mu.Unlock()
	us := r.usage
	r.usage = nil
	return us
}
