package binance

// Private streams (sdk.Streamer).
//
// Spot goes through the WebSocket API: userDataStream.subscribe.signature
// subscribes an account on a shared connection without a session logon
// (any key type), so one connection carries up to 1,000 accounts, told
// apart by subscriptionId. Spot listenKeys were retired on 2026-02-20.
//
// USDⓈ-M goes through a listenKey per account (POST /fapi/v1/listenKey,
// kept alive with PUT well inside its 60 minutes), subscribed with a JSON
// SUBSCRIBE on shared /private/stream connections whose events arrive
// wrapped as {"stream":"<listenKey>","data":{...}}. Binance documents that
// one connection takes several listenKeys but not how many (streams are
// capped at 1,024 a connection): FuturesPerConnection keeps well below,
// so 10,000 accounts need 50 connections instead of 10,000 of the 300 an
// IP may open per 5 minutes.
//
// Neither sends a snapshot on subscribe, and no event carries a sequence
// number: each session subscribes, buffers, seeds from REST
// (/api/v3/account, /fapi/v3/account and positionRisk) and then applies
// the absolute values the events carry (outboundAccountPosition free and
// locked; ACCOUNT_UPDATE wb and position rows). balanceUpdate's d and
// ACCOUNT_UPDATE's bc are increments and are never added. A session ends,
// and the account is seeded again on a new one, on a close, a missed ping,
// eventStreamTerminated, serverShutdown, listenKeyExpired, a failed
// keepalive, and before the 24 h cut.

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/num"
	"github.com/globalautomation/gahost/sdk/rest"
	"github.com/globalautomation/gahost/sdk/sign"
	"github.com/globalautomation/gahost/sdk/stream"
	"github.com/shopspring/decimal"
)

// Endpoint keys of the streams, for sdk.Account.Endpoints: the base of the
// spot WebSocket API and of the USDⓈ-M streams ("ws://127.0.0.1:1234" for
// a fake).
const (
	EndpointSpotWS    = "spot_ws"
	EndpointFuturesWS = "futures_ws"
)

var wsHosts = map[string]rest.Hosts{
	EndpointSpotWS:    {Mainnet: "wss://ws-api.binance.com:443", Testnet: "wss://demo-ws-api.binance.com"},
	EndpointFuturesWS: {Mainnet: "wss://fstream.binance.com", Testnet: "wss://fstream.binancefuture.com"},
}

// StreamOptions are the streams' clock and limits; zero fields take
// Binance's documented values. Tests scale them down.
type StreamOptions struct {
	Lifetime       time.Duration // a connection's life before Binance cuts it: 24 h
	ListenKeyRenew time.Duration // keepalive period of a listenKey: 30 min (it lives 60)
	PerConnection  int           // spot accounts per WebSocket API connection: 1,000
	// FuturesPerConnection is how many listenKeys share one USDⓈ-M
	// /private/stream connection: 200, our choice below the documented
	// 1,024 streams a connection (the listenKey maximum is undocumented).
	FuturesPerConnection int
	// FuturesMessages is how many messages a second the connector sends on
	// one USDⓈ-M connection (SUBSCRIBE, UNSUBSCRIBE): 5, half the
	// documented 10 a second past which Binance disconnects (pongs count).
	FuturesMessages int
	ConnectLimit    int           // new connections per ConnectWindow per IP: 300 ...
	ConnectWindow   time.Duration // ... per 5 minutes
	// SeedsPerMinute is how many REST seeds a minute each product takes,
	// to stay inside its weight budget: 100 (spot 2,000 of 6,000 weight,
	// USDⓈ-M 1,500 of 2,400), the rest left to polling and reconciliation;
	// SeedsPerMinuteEnv changes the default for memory benchmarks.
	SeedsPerMinute int
	BackoffMin     time.Duration // 500 ms
	BackoffMax     time.Duration // 30 s
	HTTPClient     *http.Client  // listenKey calls; default a 10 s client
}

// streamState is the connector's part in the streams: the shared spot
// connections per WebSocket base, and the limits every account shares.
type streamState struct {
	stream.Options[StreamOptions]
	mu      sync.Mutex
	pools   map[string]*stream.Pool[*spotConn]
	fpools  map[string]*stream.Pool[*futuresConn]
	connect *stream.Limiter
	seeds   [2]*stream.Limiter // spot, USDⓈ-M: separate weight budgets
}

// SetStreamOptions changes the streams' clock and limits; call it before
// the first Watch.
func (c *Connector) SetStreamOptions(o StreamOptions) { c.streams.Set(o) }

func (s *streamState) init() {
	s.Init(StreamOptions{
		Lifetime: 24 * time.Hour, ListenKeyRenew: 30 * time.Minute, ConnectWindow: 5 * time.Minute,
		BackoffMin: 500 * time.Millisecond, BackoffMax: 30 * time.Second, PerConnection: 1000, ConnectLimit: 300,
		FuturesPerConnection: 200, FuturesMessages: 5,
		HTTPClient: &http.Client{Timeout: 10 * time.Second}}, func(o *StreamOptions) {
		if o.SeedsPerMinute <= 0 {
			o.SeedsPerMinute = seedsPerMinuteFromEnv()
		}
		s.pools = map[string]*stream.Pool[*spotConn]{}
		s.fpools = map[string]*stream.Pool[*futuresConn]{}
		s.connect = &stream.Limiter{N: o.ConnectLimit, Per: o.ConnectWindow}
		s.seeds = [2]*stream.Limiter{{N: o.SeedsPerMinute, Per: time.Minute}, {N: o.SeedsPerMinute, Per: time.Minute}}
	})
}

// SeedsPerMinuteEnv raises the seed pacing of a plugin process run by a
// memory benchmark, which must bring thousands of accounts up in a minute
// instead of the hours Binance's weight budget takes. The host passes no
// such variable to its plugins: a benchmark sets it by starting the
// plugin through a wrapper. Unset, or not a positive number: 100.
const SeedsPerMinuteEnv = "GAHOST_BINANCE_BENCH_SEEDS_PER_MINUTE"

func seedsPerMinuteFromEnv() int {
	if n, err := strconv.Atoi(os.Getenv(SeedsPerMinuteEnv)); err == nil && n > 0 {
		return n
	}
	return 100
}

var _ sdk.WatchStarter = (*Connector)(nil)

// Watch streams one account: its spot wallet over the WebSocket API, and
// its futures wallet and positions over a listenKey, as the host asks.
func (c *Connector) Watch(ctx context.Context, acct sdk.StreamAccount, emit func(sdk.StreamEvent)) error {
	done := make(chan error, 1)
	c.StartWatch(ctx, acct, emit, func(err error) { done <- err })
	return <-done
}

// StartWatch is Watch without a goroutine blocked for the account: each
// product's sessions run through stream.Run, which holds no goroutine
// while a session is live (the shared connection's reader applies its
// events), so that ten thousand accounts cost no ten thousand stacks.
func (c *Connector) StartWatch(ctx context.Context, acct sdk.StreamAccount, emit func(sdk.StreamEvent), done func(error)) {
	c.streams.init()
	spot := acct.Wants(sdk.CapSpotBalances)
	futures := acct.Wants(sdk.CapFuturesAccount) || acct.Wants(sdk.CapPositions)
	if !spot && !futures {
		done(sdk.Errorf(sdk.KindInvalidRequest, "binance: no part to stream"))
		return
	}
	// Each product has its own session and book; the host sees one
	// account, connected once both are.
	var mu sync.Mutex
	var spotState, futuresState sdk.StreamState
	connected := func() bool {
		return (!spot || spotState == sdk.StreamConnected) && (!futures || futuresState == sdk.StreamConnected)
	}
	report := func(state *sdk.StreamState) func(sdk.StreamEvent) {
		return func(ev sdk.StreamEvent) {
			mu.Lock()
			defer mu.Unlock()
			if ev.State != sdk.StreamData {
				*state = ev.State
				if ev.State == sdk.StreamConnected && !connected() {
					ev.State = sdk.StreamData
				}
			}
			if ev.State != sdk.StreamData || ev.HasData() {
				emit(ev)
			}
		}
	}
	// Each product's book keeps only that product's parts: a book seeded
	// with one product's wallet would report the other's parts empty.
	only := func(parts ...string) sdk.StreamAccount {
		a := acct
		a.Parts = slices.DeleteFunc(slices.Clone(acct.Parts), func(p string) bool { return !slices.Contains(parts, p) })
		return a
	}
	ctx, cancel := context.WithCancel(ctx)
	running := 0
	var first error
	// Both products end before done: the first error stops the other
	// (one product refused for good gives the account to polling).
	stopped := func(err error) {
		mu.Lock()
		if err != nil && first == nil {
			first = err
		}
		running--
		last, err := running == 0, first
		mu.Unlock()
		if err != nil || last {
			cancel()
		}
		if last {
			done(err)
		}
	}
	if spot {
		running++
	}
	if futures {
		running++
	}
	if spot {
		c.run(ctx, only(sdk.CapSpotBalances), report(&spotState), c.spotSession, stopped)
	}
	if futures {
		c.run(ctx, only(sdk.CapFuturesAccount, sdk.CapPositions), report(&futuresState), c.futuresSession, stopped)
	}
}

// errMoved ends a session that moves to a fresh connection before the old
// one's lifetime ends: no backoff.
var errMoved = &stream.Move{Reason: "moved to a fresh connection before the 24 h cut"}

// run runs one product's sessions one after another until ctx ends or one
// fails for good, reporting each restart as resyncing, and then calls
// done.
func (c *Connector) run(ctx context.Context, acct sdk.StreamAccount, emit func(sdk.StreamEvent),
	session func(*stream.Session, sdk.StreamAccount, *stream.Book, func(sdk.StreamEvent)) error, done func(error)) {
	// ACCOUNT_UPDATE carries the wallet balance and each position's
	// unrealized P&L, not the totals.
	book := &stream.Book{Parts: acct.Parts, Derive: stream.DeriveFutures}
	bo := stream.Backoff{Min: c.streams.Opts.BackoffMin, Max: c.streams.Opts.BackoffMax}
	stream.Run(ctx, bo, emit, nil, func(s *stream.Session) error { return session(s, acct, book, emit) }, done)
}

// moveBeforeCut ends s with errMoved a while after its connection starts
// to expire: the moves of a connection's accounts are spread over half
// the margin before the 24 h cut so that their re-seeds fit in the
// weight budget.
func (c *Connector) moveBeforeCut(s *stream.Session, afterExpiring func(func()) func() bool) {
	var mu sync.Mutex
	var move *time.Timer
	stop := afterExpiring(func() {
		mu.Lock()
		defer mu.Unlock()
		if s.Context().Err() == nil {
			move = time.AfterFunc(rand.N(c.streams.Opts.Lifetime/96+1), func() { s.End(errMoved) })
		}
	})
	s.Defer(func() {
		stop()
		mu.Lock()
		defer mu.Unlock()
		if move != nil {
			move.Stop()
		}
	})
}

// seed reads the parts the book keeps from REST.
func (c *Connector) seed(ctx context.Context, acct sdk.StreamAccount, spot bool) (stream.Seed, error) {
	if spot {
		return stream.ReadSeed(ctx, c, acct.Account, stream.Seed{}, sdk.CapSpotBalances)
	}
	return stream.ReadSeed(ctx, c, acct.Account, stream.Seed{}, stream.Wanted(acct, sdk.CapFuturesAccount, sdk.CapPositions)...)
}

// route is one session's subscription on a shared connection. The
// connection's reader applies each event of it to the session's book
// itself, instead of queueing it for a goroutine of the session: with
// thousands of accounts on a connection, a buffered channel per session
// is most of what an account costs, and the book already buffers while
// the session seeds. The route ends the session (end) when an event
// says to, or when the connection closes.
type route struct {
	apply  func([]byte) error // takes one event; an error ends the session
	closed error              // what the session ends with when the connection closes
	end    func(error)        // ends the session; called once, never blocks

	mu   sync.Mutex // held while an event is applied
	dead bool
}

func newRoute(apply func([]byte) error, closed error, end func(error)) *route {
	return &route{apply: apply, closed: closed, end: end}
}

// deliver applies b unless the route has ended; an error ends it.
func (r *route) deliver(b []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.dead {
		return
	}
	if err := r.apply(b); err != nil {
		r.endLocked(err)
	}
}

// stop ends the route with err (nil: silently): no event is applied
// once it returns, so that a session that ended emits nothing more.
func (r *route) stop(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.endLocked(err)
}

func (r *route) endLocked(err error) {
	if r.dead {
		return
	}
	r.dead = true
	if err != nil {
		r.end(err)
	}
}

// sharedConn is what both kinds of shared connection have alike: the
// socket, its end, and the routes from a subscription to the session
// whose events they are. K names a subscription.
type sharedConn[K comparable] struct {
	ws     *websocket.Conn
	cancel context.CancelFunc
	done   chan struct{}

	mu   sync.Mutex // guards subs, and the owner's pending requests
	subs map[K]*route
}

func newSharedConn[K comparable](ws *websocket.Conn) (*sharedConn[K], context.Context) {
	ctx, cancel := context.WithCancel(context.Background())
	return &sharedConn[K]{ws: ws, cancel: cancel, done: make(chan struct{}), subs: map[K]*route{}}, ctx
}

func (c *sharedConn[K]) Done() <-chan struct{} { return c.done }
func (c *sharedConn[K]) Close()                { c.cancel() }

// readAll hands each message to handle until the socket ends or handle
// says to stop, then closes the socket and every route, so that each
// session on it learns the connection is gone.
func (c *sharedConn[K]) readAll(ctx context.Context, handle func([]byte) bool) {
	defer func() {
		_ = c.ws.Close(websocket.StatusNormalClosure, "")
		c.mu.Lock()
		routes := make([]*route, 0, len(c.subs))
		for k, r := range c.subs {
			routes = append(routes, r)
			delete(c.subs, k)
		}
		c.mu.Unlock()
		for _, r := range routes {
			r.stop(r.closed)
		}
		close(c.done)
	}()
	for {
		b, err := stream.Read(ctx, c.ws)
		if err != nil || !handle(b) {
			return
		}
	}
}

// deliver applies b to the session subscribed as k, if any. Applying
// waits while the host's queue is full, which slows this connection's
// reader rather than dropping a change.
func (c *sharedConn[K]) deliver(k K, b []byte) {
	c.mu.Lock()
	r := c.subs[k]
	c.mu.Unlock()
	if r != nil {
		r.deliver(b)
	}
}

// --- spot: the WebSocket API ---

// spotConn is one WebSocket API connection shared by many accounts.
type spotConn struct {
	*sharedConn[int64] // routes by subscriptionId
	next               atomic.Int64
	pending            map[string]pendingReq
}

type pendingReq struct {
	answer chan wsAnswer
	route  *route // registered under the subscriptionId the answer gives
}

type wsAnswer struct {
	Status int `json:"status"`
	Result json.RawMessage
	Error  *struct {
		Code int64  `json:"code"`
		Msg  string `json:"msg"`
	} `json:"error"`
}

func dialSpot(ctx context.Context, base string) (*spotConn, error) {
	ws, err := stream.Dial(ctx, base+"/ws-api/v3", nil)
	if err != nil {
		return nil, err
	}
	sc, rctx := newSharedConn[int64](ws)
	c := &spotConn{sharedConn: sc, pending: map[string]pendingReq{}}
	go c.readAll(rctx, c.handle)
	return c, nil
}

// handle routes an answer to its request and an event to its account,
// and says whether to read on. Binance pings every 20 s and the library
// answers while the read runs.
func (c *spotConn) handle(b []byte) bool {
	var m struct {
		ID             *string         `json:"id"`
		SubscriptionID *int64          `json:"subscriptionId"`
		Event          json.RawMessage `json:"event"`
	}
	if json.Unmarshal(b, &m) != nil {
		return true
	}
	switch {
	case m.ID != nil:
		var a wsAnswer
		_ = json.Unmarshal(b, &a)
		c.mu.Lock()
		p, ok := c.pending[*m.ID]
		delete(c.pending, *m.ID)
		if ok && p.route != nil && a.Status == 200 {
			var r struct {
				SubscriptionID int64 `json:"subscriptionId"`
			}
			if json.Unmarshal(a.Result, &r) == nil {
				c.subs[r.SubscriptionID] = p.route
			}
		}
		c.mu.Unlock()
		if ok {
			p.answer <- a
		}
	case m.SubscriptionID != nil:
		c.deliver(*m.SubscriptionID, m.Event)
	default:
		var e struct {
			E string `json:"e"`
		}
		if json.Unmarshal(m.Event, &e) == nil && e.E == "serverShutdown" {
			return false // every account moves to a new connection
		}
	}
	return true
}

// request sends one WebSocket API request and waits for its answer.
func (c *spotConn) request(ctx context.Context, method string, params map[string]any, r *route) (wsAnswer, error) {
	id := strconv.FormatInt(c.next.Add(1), 10)
	ans := make(chan wsAnswer, 1)
	c.mu.Lock()
	c.pending[id] = pendingReq{answer: ans, route: r}
	c.mu.Unlock()
	b, _ := json.Marshal(map[string]any{"id": id, "method": method, "params": params})
	if err := c.ws.Write(ctx, websocket.MessageText, b); err != nil {
		c.mu.Lock()
		delete(c.pending, id)
		c.mu.Unlock()
		return wsAnswer{}, &sdk.Error{Kind: sdk.KindUnavailable, Message: "binance: websocket write failed"}
	}
	select {
	case a := <-ans:
		return a, nil
	case <-c.done:
		return wsAnswer{}, &sdk.Error{Kind: sdk.KindUnavailable, Message: "binance: websocket closed"}
	case <-ctx.Done():
		c.mu.Lock()
		delete(c.pending, id)
		c.mu.Unlock()
		return wsAnswer{}, ctx.Err()
	}
}

// forget removes r's route and stops it: once it returns, no event of
// the subscription reaches the session's book.
func (c *spotConn) forget(r *route) {
	c.mu.Lock()
	for id, x := range c.subs {
		if x == r {
			delete(c.subs, id)
		}
	}
	c.mu.Unlock()
	r.stop(nil)
}

func (c *Connector) spotPool(base string) *stream.Pool[*spotConn] {
	s := &c.streams
	return poolFor(s, s.pools, base, s.Opts.PerConnection, func(ctx context.Context) (*spotConn, error) { return dialSpot(ctx, base) })
}

// poolFor is the pool in pools of the connections to base, made on first
// use with perConn accounts a connection, the streams' lifetime and
// connect pace, and dial.
func poolFor[C stream.Shared](s *streamState, pools map[string]*stream.Pool[C], base string, perConn int,
	dial func(context.Context) (C, error)) *stream.Pool[C] {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := pools[base]
	if p == nil {
		p = &stream.Pool[C]{PerConn: perConn, Lifetime: s.Opts.Lifetime, Limiter: s.connect, Dial: dial}
		pools[base] = p
	}
	return p
}

// SpotConnections is how many WebSocket API connections the connector
// holds to base, for tests and benchmarks.
func (c *Connector) SpotConnections(base string) int {
	c.streams.init()
	return c.spotPool(base).Conns()
}

// subscribeParams is userDataStream.subscribe.signature's params, signed
// with HMAC-SHA256 (hex) over the params sorted by name.
func subscribeParams(acct sdk.Account, now time.Time) map[string]any {
	ts := strconv.FormatInt(now.UnixMilli(), 10)
	payload := "apiKey=" + acct.APIKey + "&recvWindow=" + recvWindow + "&timestamp=" + ts
	return map[string]any{"apiKey": acct.APIKey, "recvWindow": json.Number(recvWindow), "timestamp": json.Number(ts),
		"signature": sign.Hex(acct.SecretKey, payload)}
}

// wsError is a WebSocket API error as an sdk error.
func wsError(a wsAnswer) error {
	if a.Error == nil {
		return &sdk.Error{Kind: sdk.KindUnavailable, Message: fmt.Sprintf("binance: websocket answer %d", a.Status)}
	}
	code := strconv.FormatInt(a.Error.Code, 10)
	kind := sdk.KindUnavailable
	switch a.Error.Code {
	case codeRejectedKey, -1022, -2014:
		kind = sdk.KindAuthentication
	case -1021:
		kind = sdk.KindClockSkew
	case -1003:
		kind = sdk.KindRateLimited
	}
	return &sdk.Error{Kind: kind, ExchangeCode: code, Message: "binance: " + a.Error.Msg}
}

// spotSession sets up one spot session: a place on a shared connection,
// the subscription, the seed (queued: see seedBook). Once it returns no
// goroutine waits for the session: the connection's reader applies its
// events, and ends it.
func (c *Connector) spotSession(s *stream.Session, acct sdk.StreamAccount, book *stream.Book, emit func(sdk.StreamEvent)) error {
	ctx := s.Context()
	base := stream.Base(acct.Account, EndpointSpotWS, wsHosts)
	lease, r, err := join(s, c.spotPool(base), book, emit, "spot", spotEvent)
	if err != nil {
		return err
	}
	conn := lease.Conn
	s.Defer(func() { conn.forget(r) })
	book.Begin()
	now := time.Now()
	if off, ok := c.http.Offset(acct.Account, EndpointSpot); ok {
		now = now.Add(off)
	}
	ans, err := conn.request(ctx, "userDataStream.subscribe.signature", subscribeParams(acct.Account, now), r)
	if err != nil {
		return err
	}
	if ans.Status != 200 {
		return wsError(ans)
	}
	var sub struct {
		SubscriptionID int64 `json:"subscriptionId"`
	}
	_ = json.Unmarshal(ans.Result, &sub)
	s.Defer(func() {
		// Best effort: the connection may be gone already.
		uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_, _ = conn.request(uctx, "userDataStream.unsubscribe", map[string]any{"subscriptionId": sub.SubscriptionID}, nil)
	})
	c.moveBeforeCut(s, lease.AfterExpiring)
	c.seedBook(s, acct, true, book, emit)
	return nil
}

// seedBook seeds the book from REST while the connection's reader
// buffers the session's events in it, sends the seeded state, and marks
// the session healthy; a failure ends the session. The seed waits its
// turn in the product's seed pace without a goroutine (after a cut,
// thousands of accounts queue there for many minutes at Binance's real
// limits), and the session's setup lasts until it is done.
func (c *Connector) seedBook(s *stream.Session, acct sdk.StreamAccount, spot bool, book *stream.Book, emit func(sdk.StreamEvent)) {
	limiter, what := c.streams.seeds[1], "the futures account"
	if spot {
		limiter, what = c.streams.seeds[0], "the spot wallet"
	}
	release := s.Hold()
	limiter.Schedule(s.Context(), func(err error) {
		defer release()
		var seed stream.Seed
		if err == nil {
			seed, err = c.seed(s.Context(), acct, spot)
		}
		if err == nil {
			err = s.Context().Err() // ended meanwhile: its end has its reason
		}
		if err != nil {
			s.End(fmt.Errorf("binance: seeding %s: %w", what, err))
			return
		}
		emit(book.Seed(seed))
		s.Healthy()
	})
}

// join takes s a place on a connection of pool, given back when s ends,
// and makes the route that applies to book what parse (spotEvent or
// futuresEvent) reads from each of the session's frames; product names
// the connection in the error its close ends s with.
func join[C stream.Shared](s *stream.Session, pool *stream.Pool[C], book *stream.Book, emit func(sdk.StreamEvent),
	product string, parse func([]byte) (*stream.Delta, string, error)) (*stream.Lease[C], *route, error) {
	lease, err := pool.Acquire(s.Context())
	if err != nil {
		return nil, nil, err
	}
	s.Defer(lease.Release)
	apply := applyEvent(book, emit)
	r := newRoute(func(b []byte) error { return apply(parse(b)) },
		&sdk.Error{Kind: sdk.KindUnavailable, Message: "binance: " + product + " stream connection closed"}, s.End)
	return lease, r, nil
}

// applyEvent takes what spotEvent or futuresEvent read from a frame: a
// delta goes to the book (and its event out once live), an end reason
// ends the session to resynchronise, an error ends it as malformed.
func applyEvent(book *stream.Book, emit func(sdk.StreamEvent)) func(*stream.Delta, string, error) error {
	return func(d *stream.Delta, end string, err error) error {
		if err != nil {
			return err
		}
		if end != "" {
			return &sdk.Error{Kind: sdk.KindUnavailable, Message: "binance: " + end}
		}
		if d != nil {
			if ev, live := book.Apply(*d); live {
				emit(ev)
			}
		}
		return nil
	}
}

// spotEvent reads one user-data event: a delta, or why the session ends.
func spotEvent(raw []byte) (d *stream.Delta, end string, err error) {
	var e struct {
		E string `json:"e"`
		T int64  `json:"E"`
		B []struct {
			A string `json:"a"`
			F string `json:"f"`
			L string `json:"l"`
		} `json:"B"`
	}
	if json.Unmarshal(raw, &e) != nil {
		return nil, "", &sdk.Error{Kind: sdk.KindUnavailable, Message: "binance: unreadable spot event"}
	}
	switch e.E {
	case "outboundAccountPosition":
		d := &stream.Delta{At: time.UnixMilli(e.T)}
		for _, b := range e.B {
			var f num.Fields
			bal := sdk.Balance{Asset: b.A, Free: f.Parse("f", b.F), Locked: f.Parse("l", b.L)}
			if f.Err() != nil || b.A == "" {
				return nil, "", &sdk.Error{Kind: sdk.KindUnavailable, Message: "binance: malformed outboundAccountPosition"}
			}
			d.Balances = append(d.Balances, bal)
		}
		return d, "", nil
	case "eventStreamTerminated":
		return nil, "the spot subscription was terminated", nil
	}
	// balanceUpdate and externalLockUpdate are increments, covered by the
	// outboundAccountPosition that follows; orders are not streamed.
	return nil, "", nil
}

// --- USDⓈ-M: listenKey ---

// listenKeyCall is POST, PUT or DELETE /fapi/v1/listenKey: USER_STREAM
// security, the API-key header and no signature.
func (c *Connector) listenKeyCall(ctx context.Context, acct sdk.Account, method string) (string, error) {
	base, err := c.http.BaseURL(acct, EndpointFutures)
	if err != nil {
		return "", err
	}
	req, err := http.NewRequestWithContext(ctx, method, base+"/fapi/v1/listenKey", nil)
	if err != nil {
		return "", sdk.Errorf(sdk.KindInvalidRequest, "binance: cannot build the listenKey request")
	}
	req.Header.Set("X-MBX-APIKEY", acct.APIKey)
	resp, err := c.streams.Opts.HTTPClient.Do(req)
	if err != nil {
		return "", &sdk.Error{Kind: sdk.KindUnavailable, Message: "binance: listenKey call failed"}
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	if w, err := strconv.ParseInt(resp.Header.Get("X-MBX-USED-WEIGHT-1M"), 10, 64); err == nil {
		sdk.ReportUsage(ctx, sdk.RateUsage{Name: limitFuturesWeight, Used: w, Limit: 2400, Interval: time.Minute})
	}
	var v struct {
		ListenKey string `json:"listenKey"`
		Code      int64  `json:"code"`
		Msg       string `json:"msg"`
	}
	_ = json.Unmarshal(body, &v)
	switch {
	case resp.StatusCode == 200:
		return v.ListenKey, nil
	case v.Code == codeRejectedKey || resp.StatusCode == 401:
		return "", &sdk.Error{Kind: sdk.KindAuthentication, ExchangeCode: strconv.FormatInt(v.Code, 10), Message: "binance: the futures stream refused the API key"}
	case resp.StatusCode == 429 || resp.StatusCode == 418:
		return "", &sdk.Error{Kind: sdk.KindRateLimited, Message: "binance: listenKey call rate limited"}
	}
	return "", &sdk.Error{Kind: sdk.KindUnavailable, ExchangeCode: strconv.FormatInt(v.Code, 10), Message: "binance: listenKey: " + v.Msg}
}

// futuresConn is one /private/stream connection shared by many
// listenKeys.
type futuresConn struct {
	*sharedConn[string]                 // routes by listenKey
	send                *stream.Limiter // Binance's inbound message rate, per connection
	next                atomic.Int64
	pending             map[int64]chan error
}

func dialFutures(ctx context.Context, base string, perSecond int) (*futuresConn, error) {
	ws, err := stream.Dial(ctx, base+"/private/stream", nil)
	if err != nil {
		return nil, err
	}
	sc, rctx := newSharedConn[string](ws)
	c := &futuresConn{sharedConn: sc, send: &stream.Limiter{N: perSecond, Per: time.Second}, pending: map[int64]chan error{}}
	go c.readAll(rctx, c.handle)
	return c, nil
}

// handle routes an answer to its request and each wrapped event to the
// session of its listenKey, and says whether to read on. Binance pings
// every 3 minutes and the library answers while the read runs.
func (c *futuresConn) handle(b []byte) bool {
	var m struct {
		ID     *int64          `json:"id"`
		Stream string          `json:"stream"`
		Data   json.RawMessage `json:"data"`
		Error  *struct {
			Code int64  `json:"code"`
			Msg  string `json:"msg"`
		} `json:"error"`
	}
	if json.Unmarshal(b, &m) != nil {
		return true
	}
	if m.ID != nil {
		c.mu.Lock()
		ans := c.pending[*m.ID]
		delete(c.pending, *m.ID)
		c.mu.Unlock()
		if ans != nil {
			var err error
			if m.Error != nil {
				err = &sdk.Error{Kind: sdk.KindUnavailable, ExchangeCode: strconv.FormatInt(m.Error.Code, 10),
					Message: "binance: futures subscribe refused: " + m.Error.Msg}
			}
			ans <- err
		}
		return true
	}
	if len(m.Data) == 0 {
		return true
	}
	// Which name the wrapper gives user data is not documented beyond an
	// example of the bare listenKey; a "<listenKey>@event" form is read
	// the same way.
	key, _, _ := strings.Cut(m.Stream, "@")
	c.deliver(key, m.Data)
	return true
}

// call sends SUBSCRIBE or UNSUBSCRIBE for one listenKey, at the
// connection's message rate, and waits for the acknowledgement.
func (c *futuresConn) call(ctx context.Context, method, key string) error {
	if err := c.send.Wait(ctx); err != nil {
		return err
	}
	id := c.next.Add(1)
	ans := make(chan error, 1)
	c.mu.Lock()
	c.pending[id] = ans
	c.mu.Unlock()
	forget := func() {
		c.mu.Lock()
		delete(c.pending, id)
		c.mu.Unlock()
	}
	b, _ := json.Marshal(map[string]any{"method": method, "params": []string{key}, "id": id})
	if err := c.ws.Write(ctx, websocket.MessageText, b); err != nil {
		forget()
		return &sdk.Error{Kind: sdk.KindUnavailable, Message: "binance: websocket write failed"}
	}
	t := time.NewTimer(10 * time.Second)
	defer t.Stop()
	select {
	case err := <-ans:
		return err
	case <-c.done:
		return &sdk.Error{Kind: sdk.KindUnavailable, Message: "binance: futures stream connection closed"}
	case <-t.C:
		forget()
		return &sdk.Error{Kind: sdk.KindUnavailable, Message: "binance: no answer to " + method}
	case <-ctx.Done():
		forget()
		return ctx.Err()
	}
}

// subscribe routes key's events to r from now on and subscribes it;
// the route is in place before the request leaves, so no event of the
// new subscription is missed.
func (c *futuresConn) subscribe(ctx context.Context, key string, r *route) error {
	c.mu.Lock()
	c.subs[key] = r
	c.mu.Unlock()
	if err := c.call(ctx, "SUBSCRIBE", key); err != nil {
		c.forget(key, r)
		return err
	}
	return nil
}

// unsubscribe ends key's subscription, best effort: the connection may be
// gone already.
func (c *futuresConn) unsubscribe(ctx context.Context, key string, r *route) {
	if !c.forget(key, r) {
		return
	}
	uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	_ = c.call(uctx, "UNSUBSCRIBE", key)
}

// forget stops r and removes key's route if it is still r, and says
// whether it was.
func (c *futuresConn) forget(key string, r *route) bool {
	r.stop(nil)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.subs[key] != r {
		return false
	}
	delete(c.subs, key)
	return true
}

func (c *Connector) futuresPool(base string) *stream.Pool[*futuresConn] {
	s := &c.streams
	return poolFor(s, s.fpools, base, s.Opts.FuturesPerConnection,
		func(ctx context.Context) (*futuresConn, error) { return dialFutures(ctx, base, s.Opts.FuturesMessages) })
}

// FuturesConnections is how many USDⓈ-M stream connections the connector
// holds to base, for tests and benchmarks.
func (c *Connector) FuturesConnections(base string) int {
	c.streams.init()
	return c.futuresPool(base).Conns()
}

// futuresSession sets up one USDⓈ-M session: a listenKey, a place on a
// shared connection, the subscription, the keepalive, the seed, as
// spotSession does.
func (c *Connector) futuresSession(s *stream.Session, acct sdk.StreamAccount, book *stream.Book, emit func(sdk.StreamEvent)) error {
	ctx := s.Context()
	key, err := c.listenKeyCall(ctx, acct.Account, http.MethodPost)
	if err != nil {
		return err
	}
	lease, r, err := join(s, c.futuresPool(stream.Base(acct.Account, EndpointFuturesWS, wsHosts)), book, emit, "futures", futuresEvent)
	if err != nil {
		return err
	}
	conn := lease.Conn
	book.Begin()
	if err := conn.subscribe(ctx, key, r); err != nil {
		return err
	}
	s.Defer(func() { conn.unsubscribe(ctx, key, r) })
	s.Every(c.streams.Opts.ListenKeyRenew, func(ctx context.Context) error {
		if _, err := c.listenKeyCall(ctx, acct.Account, http.MethodPut); err != nil {
			// -1125: the key is gone; a new one is needed.
			return fmt.Errorf("binance: listenKey keepalive: %w", err)
		}
		return nil
	})
	c.moveBeforeCut(s, lease.AfterExpiring)
	c.seedBook(s, acct, false, book, emit)
	return nil
}

// futuresEvent reads one USDⓈ-M user-data event.
func futuresEvent(b []byte) (d *stream.Delta, end string, err error) {
	var e struct {
		E string          `json:"e"`
		T json.RawMessage `json:"E"` // a number, or a string in listenKeyExpired
		A struct {
			B []struct {
				A  string `json:"a"`
				WB string `json:"wb"`
			} `json:"B"`
			P []struct {
				S  string `json:"s"`
				PA string `json:"pa"`
				EP string `json:"ep"`
				UP string `json:"up"`
				MT string `json:"mt"`
				PS string `json:"ps"`
			} `json:"P"`
		} `json:"a"`
	}
	if json.Unmarshal(b, &e) != nil {
		return nil, "", &sdk.Error{Kind: sdk.KindUnavailable, Message: "binance: unreadable futures event"}
	}
	switch e.E {
	case "listenKeyExpired":
		return nil, "the listenKey expired", nil
	case "ACCOUNT_UPDATE":
	default:
		return nil, "", nil
	}
	ms, _ := strconv.ParseInt(string(trimQuotes(e.T)), 10, 64)
	d = &stream.Delta{At: time.UnixMilli(ms)}
	for _, x := range e.A.B {
		if x.A != "USDT" {
			continue
		}
		wb, err := decimal.NewFromString(x.WB)
		if err != nil {
			return nil, "", &sdk.Error{Kind: sdk.KindUnavailable, Message: "binance: malformed ACCOUNT_UPDATE balance"}
		}
		d.Futures = func(f *sdk.FuturesAccount) { f.Asset, f.WalletBalance = "USDT", wb }
	}
	for _, x := range e.A.P {
		var f num.Fields
		amt := f.Parse("pa", x.PA)
		p := sdk.Position{Symbol: unifiedFutures(x.S, ""), Size: amt.Abs(), EntryPrice: f.ParseOrZero("ep", x.EP),
			UnrealizedPnL: f.ParseOrZero("up", x.UP)}
		if f.Err() != nil {
			return nil, "", &sdk.Error{Kind: sdk.KindUnavailable, Message: "binance: malformed ACCOUNT_UPDATE position"}
		}
		switch x.PS {
		case "LONG":
			p.Side = sdk.SideLong
		case "SHORT":
			p.Side = sdk.SideShort
		default:
			// One-way mode: the sign is the side, and a flat row closes
			// whichever side was open.
			p.Side = sdk.SideLong
			if amt.IsNegative() {
				p.Side = sdk.SideShort
			}
			if amt.IsZero() {
				d.Positions = append(d.Positions, sdk.Position{Symbol: p.Symbol, Side: sdk.SideShort})
			}
		}
		switch x.MT {
		case "isolated", "ISOLATED":
			p.MarginMode = sdk.MarginIsolate
		case "cross", "crossed", "CROSSED":
			p.MarginMode = sdk.MarginCross
		}
		d.Positions = append(d.Positions, p)
	}
	return d, "", nil
}

func trimQuotes(b []byte) []byte {
	if len(b) >= 2 && b[0] == '"' && b[len(b)-1] == '"' {
		return b[1 : len(b)-1]
	}
	return b
}
