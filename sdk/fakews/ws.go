// Package fakews is the WebSocket side the connectors' fake exchanges
// share: a stream's own loopback listener (real private streams live on
// other hosts than the REST API), the per-IP limits exchanges put on
// handshakes (new connections per window, open connections, answered
// with HTTP 429), the registry of open connections, gzip framing, and the
// switches tests use to prove a client heals: lose pushes (DropEvents)
// and cut every connection at once (Cut). Streams is what a fake embeds
// to start all that once from its own config; a connection's read loop,
// heartbeat and going-away close are Conn's; ListenKeys keeps the keys of
// exchanges that open streams with one made over REST. Main runs such a
// fake as a program with one control interface for every exchange;
// SetRow is how the fakes' setters change an account before they push
// its event, and Replace, Changes and Rows how a fake whose account is
// replaced whole (POST /accounts, as the demo does) pushes the events for
// what changed. Listener is a test's client of a fake's streams.
//
// What a stream says — login, subscriptions, pushes, pings — stays in
// each connector's fake. Like fakex, it listens on loopback only and is
// meant for tests. It is apart from fakex so that fakes without streams
// do not depend on a WebSocket library.
package fakews

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"github.com/globalautomation/gahost/sdk/fakex"
	"github.com/globalautomation/gahost/sdk/stream"
)

// Limits are a fake stream's handshake limits and framing. Zero fields
// impose nothing.
type Limits struct {
	ConnLimit  int           // new connections per ConnWindow per IP
	ConnWindow time.Duration //
	MaxConns   int           // open connections per IP
	// Refusal is the body of the HTTP 429 that refuses a handshake over a
	// limit (how real exchanges refuse it is mostly undocumented).
	Refusal string
	// OverCapUpgrades completes a handshake past MaxConns all the same and
	// tells Accept's caller, which answers it in the exchange's words and
	// closes it (Bitget); otherwise it is refused with the 429.
	OverCapUpgrades bool
	// Lifetime ends every connection this long after it opened.
	Lifetime time.Duration
	// ReadLimit bounds a client's message; 0 keeps the library's 32 KiB.
	ReadLimit int64
	// Gzip sends every frame gzip-compressed in a binary frame (BingX).
	Gzip bool
}

// Counts are what a Hub counted, for tests. A fake's stream counters
// embed them next to what the fake counts itself, and Streams.Stats fills
// them in.
type Counts struct {
	Connections int // accepted so far
	Open        int // open now
	MaxOpen     int // the most open at once
	Refused     int // handshakes refused by the per-IP limits
	OverCap     int // handshakes upgraded past the cap (OverCapUpgrades)
	Pushed      int // pushes sent (Lose said keep)
	Dropped     int // pushes lost on purpose (DropEvents)
}

// SetCounts sets c to n; embedded in a fake's counters it lets
// Streams.Stats fill in the hub's part.
func (c *Counts) SetCounts(n Counts) { *c = n }

// Conn is one accepted connection. A connector's fake embeds it in its
// own connection type, next to what the exchange keeps per connection.
type Conn struct {
	WS *websocket.Conn
	IP string
	// Mu orders writes: Send takes it; a fake that must read its state
	// and write it in one step takes it itself and calls SendLocked.
	Mu     sync.Mutex
	ctx    context.Context
	cut    context.CancelFunc
	gzip   bool
	active atomic.Int64 // Unix ns of the last Touch
}

// Peer is what a Hub registers: a connector's connection type that
// embeds *Conn.
type Peer interface {
	comparable
	Base() *Conn
}

// Base is the connection itself; through embedding it makes a connector's
// connection type a Peer.
func (c *Conn) Base() *Conn { return c }

// Context ends when the connection must close: cut, past its lifetime,
// or closed by the client.
func (c *Conn) Context() context.Context { return c.ctx }

// Cut ends the connection's context; the handler's read ends and the
// connection is released.
func (c *Conn) Cut() { c.cut() }

// Touch records activity now, for idle cuts.
func (c *Conn) Touch() { c.active.Store(time.Now().UnixNano()) }

// Idle is how long since the last Touch (or the handshake).
func (c *Conn) Idle(now time.Time) time.Duration { return now.Sub(time.Unix(0, c.active.Load())) }

// ReadEach reads the client's messages and hands each to handle until
// reading fails (the client left, or the connection was cut or outlived
// its life) or handle returns false: the read loop of every fake's
// connection handler.
func (c *Conn) ReadEach(handle func(typ websocket.MessageType, b []byte) bool) {
	for {
		typ, b, err := c.WS.Read(c.ctx)
		if err != nil || !handle(typ, b) {
			return
		}
	}
}

// Every calls f every d, on a goroutine of its own, until the connection
// ends or f returns false: a fake's heartbeat or idle watch.
func (c *Conn) Every(d time.Duration, f func(now time.Time) bool) {
	go func() {
		t := time.NewTicker(d)
		defer t.Stop()
		for {
			select {
			case <-c.ctx.Done():
				return
			case now := <-t.C:
				if !f(now) {
					return
				}
			}
		}
	}()
}

// GoAwayOnEnd closes the socket with status 1001 (going away) and reason
// as soon as the connection's context ends, so that a cut or an expired
// lifetime reaches the client as a close frame, not a dropped socket.
func (c *Conn) GoAwayOnEnd(reason string) {
	go func() {
		<-c.ctx.Done()
		_ = c.WS.Close(websocket.StatusGoingAway, reason)
	}()
}

// Send writes v in order with the other writes: a string or []byte as it
// is, anything else as JSON.
func (c *Conn) Send(v any) error {
	c.Mu.Lock()
	defer c.Mu.Unlock()
	return c.SendLocked(v)
}

// SendLocked is Send for a caller that holds Mu.
func (c *Conn) SendLocked(v any) error {
	var b []byte
	switch x := v.(type) {
	case string:
		b = []byte(x)
	case []byte:
		b = x
	default:
		b, _ = json.Marshal(v)
	}
	typ := websocket.MessageText
	if c.gzip {
		typ, b = websocket.MessageBinary, stream.Gzip(b)
	}
	ctx, cancel := context.WithTimeout(c.ctx, 5*time.Second)
	defer cancel()
	return c.WS.Write(ctx, typ, b)
}

// Hub is a fake stream's listener and its open connections, C being the
// connector's connection type. Its lock is its own and it never calls
// the connector's code while holding it, so a fake may call it under its
// own lock.
type Hub[C Peer] struct {
	limits Limits
	url    string

	mu       sync.Mutex
	srv      *httptest.Server
	conns    map[C]struct{}
	attempts map[string]*fakex.Window // per IP
	open     map[string]int           // per IP
	drop     float64
	counts   Counts
}

// NewHub starts a stream listener on loopback serving routes (path ->
// handler; a handler calls Accept).
func NewHub[C Peer](limits Limits, routes map[string]http.HandlerFunc) *Hub[C] {
	h := &Hub[C]{limits: limits, conns: map[C]struct{}{}, attempts: map[string]*fakex.Window{}, open: map[string]int{}}
	mux := http.NewServeMux()
	for p, f := range routes {
		mux.HandleFunc(p, f)
	}
	h.srv = httptest.NewServer(mux)
	h.url = "ws" + strings.TrimPrefix(h.srv.URL, "http")
	return h
}

// URL is the listener's base, e.g. "ws://127.0.0.1:41235".
func (h *Hub[C]) URL() string { return h.url }

// Limits are the limits the hub was started with.
func (h *Hub[C]) Limits() Limits { return h.limits }

// Close cuts every connection and stops the listener; later calls, and
// calls on a nil hub (a stream never started), do nothing.
func (h *Hub[C]) Close() {
	if h == nil {
		return
	}
	h.mu.Lock()
	srv := h.srv
	h.srv = nil
	h.mu.Unlock()
	if srv == nil {
		return
	}
	h.Cut()
	srv.CloseClientConnections()
	srv.Close()
}

// Closed reports whether Close was called.
func (h *Hub[C]) Closed() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.srv == nil
}

// Counts reports the hub's counters; a nil hub's are zero.
func (h *Hub[C]) Counts() Counts {
	if h == nil {
		return Counts{}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	c := h.counts
	c.Open = len(h.conns)
	return c
}

// DropEvents makes Lose lose share (0..1) of the pushes, as a flaky
// network would: the state changes, the client is not told. On a nil hub
// it does nothing.
func (h *Hub[C]) DropEvents(share float64) {
	if h == nil {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.drop = share
}

// Lose decides whether one push is lost, and counts it either way.
func (h *Hub[C]) Lose() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.drop > 0 && rand.Float64() < h.drop {
		h.counts.Dropped++
		return true
	}
	h.counts.Pushed++
	return false
}

// Cut closes every connection at once, as an outage would.
func (h *Hub[C]) Cut() {
	for _, c := range h.Conns() {
		c.Base().Cut()
	}
}

// Conns are the open connections, in no order; a nil hub has none.
func (h *Hub[C]) Conns() []C {
	if h == nil {
		return nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]C, 0, len(h.conns))
	for c := range h.conns {
		out = append(out, c)
	}
	return out
}

// Accept applies the per-IP limits to a handshake, upgrades it and
// registers the connection that wrap makes of it. ok is false when the
// handshake was refused (answered already). over is true for a
// connection past the cap under OverCapUpgrades: it is upgraded but not
// registered, and the caller answers and closes it. A registered
// connection must be given back with Release.
func (h *Hub[C]) Accept(w http.ResponseWriter, r *http.Request, wrap func(*Conn) C) (c C, over, ok bool) {
	ip := fakex.RemoteIP(r)
	h.mu.Lock()
	ok = true
	if h.limits.ConnLimit > 0 {
		win := h.attempts[ip]
		if win == nil {
			win = fakex.NewWindow(int64(h.limits.ConnLimit), h.limits.ConnWindow)
			h.attempts[ip] = win
		}
		_, ok = win.Spend(time.Now(), 1)
	}
	// The place under the cap is taken before the handshake completes, so
	// that connections count in the order they were opened.
	full := h.limits.MaxConns > 0 && h.open[ip] >= h.limits.MaxConns
	if ok && full && !h.limits.OverCapUpgrades {
		ok = false
	}
	over = ok && full
	switch {
	case !ok:
		h.counts.Refused++
	case over:
		h.counts.OverCap++
	default:
		h.open[ip]++
	}
	h.mu.Unlock()
	if !ok {
		http.Error(w, h.limits.Refusal, http.StatusTooManyRequests)
		return c, false, false
	}
	ws, err := websocket.Accept(w, r, &websocket.AcceptOptions{CompressionMode: websocket.CompressionDisabled})
	if err != nil {
		if !over {
			h.mu.Lock()
			h.open[ip]--
			h.mu.Unlock()
		}
		return c, false, false
	}
	if h.limits.ReadLimit > 0 {
		ws.SetReadLimit(h.limits.ReadLimit)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if h.limits.Lifetime > 0 {
		ctx, cancel = context.WithTimeout(context.Background(), h.limits.Lifetime)
	}
	base := &Conn{WS: ws, IP: ip, ctx: ctx, cut: cancel, gzip: h.limits.Gzip}
	base.Touch()
	c = wrap(base)
	if over {
		return c, true, true
	}
	h.mu.Lock()
	h.conns[c] = struct{}{}
	h.counts.Connections++
	h.counts.MaxOpen = max(h.counts.MaxOpen, len(h.conns))
	h.mu.Unlock()
	return c, false, true
}

// Release cuts a registered connection, closes it and frees its place;
// it is safe to call more than once.
func (h *Hub[C]) Release(c C) {
	b := c.Base()
	b.Cut()
	_ = b.WS.Close(websocket.StatusGoingAway, "")
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.conns[c]; ok {
		delete(h.conns, c)
		h.open[b.IP]--
	}
}

// Streams is the stream side a fake exchange embeds: its hub, started
// once from the fake's config, and its counters. C is the fake's
// connection type, Cfg its stream config (zero fields take the
// exchange's values) and St its stream counters, which usually embed
// Counts. Its StartWS, WSURL, Stats, DropEvents and CutStreams become the
// fake's.
type Streams[C Peer, Cfg, St any] struct {
	// Counters are what the fake counts itself (logins, subscriptions,
	// ...), under the fake's lock; Stats adds the hub's Counts.
	Counters St

	lock sync.Locker
	open func(Cfg) (Limits, map[string]http.HandlerFunc)

	smu sync.Mutex
	hub *Hub[C]
}

// Setup says how the streams start; a fake calls it in its constructor,
// before anything can start them. lock is the fake's own lock: StartWS
// holds it while open makes the fake's stream state from the config and
// returns the limits and routes, and until the hub has started, so that
// code under that lock sees the stream state and the hub together or
// neither. srv's Close stops the streams too.
func (s *Streams[C, Cfg, St]) Setup(srv *fakex.Server, lock sync.Locker, open func(Cfg) (Limits, map[string]http.HandlerFunc)) {
	s.lock, s.open = lock, open
	srv.OnClose(s.CloseStreams)
}

// StartWS starts the streams with cfg and returns their base URL, e.g.
// "ws://127.0.0.1:41235"; once started, later calls return the same base
// and cfg is not read. The caller must not hold the fake's lock.
func (s *Streams[C, Cfg, St]) StartWS(cfg Cfg) string {
	s.lock.Lock()
	defer s.lock.Unlock()
	if h := s.Hub(); h != nil {
		return h.URL()
	}
	limits, routes := s.open(cfg)
	h := NewHub[C](limits, routes)
	s.smu.Lock()
	s.hub = h
	s.smu.Unlock()
	return h.URL()
}

// WSURL is the base of the streams, started with the exchange's values if
// they were not started yet.
func (s *Streams[C, Cfg, St]) WSURL() string {
	var defaults Cfg
	return s.StartWS(defaults)
}

// Hub is the hub; nil before StartWS. Under the fake's lock it does not
// change from nil to started.
func (s *Streams[C, Cfg, St]) Hub() *Hub[C] {
	s.smu.Lock()
	defer s.smu.Unlock()
	return s.hub
}

// Stats are the fake's Counters with the hub's Counts filled in when St
// embeds them (zero before the streams start). The caller must not hold
// the fake's lock.
func (s *Streams[C, Cfg, St]) Stats() St {
	s.lock.Lock()
	defer s.lock.Unlock()
	st := s.Counters
	if c, ok := any(&st).(interface{ SetCounts(Counts) }); ok {
		c.SetCounts(s.Hub().Counts())
	}
	return st
}

// Every calls f every d until the streams close, for what a fake does on
// its own clock (listenKeys that expire). It is called from open or once
// the streams started; a tick finds the hub under the fake's lock.
func (s *Streams[C, Cfg, St]) Every(d time.Duration, f func(now time.Time)) {
	go func() {
		t := time.NewTicker(d)
		defer t.Stop()
		for now := range t.C {
			s.lock.Lock()
			h := s.Hub()
			s.lock.Unlock()
			if h == nil || h.Closed() {
				return
			}
			f(now)
		}
	}()
}

// DropEvents makes the streams lose share (0..1) of their pushes, as a
// flaky network would: the state changes, the client is not told.
func (s *Streams[C, Cfg, St]) DropEvents(share float64) { s.Hub().DropEvents(share) }

// CutStreams closes every stream connection at once, as an outage would.
func (s *Streams[C, Cfg, St]) CutStreams() { s.Hub().Cut() }

// CloseStreams stops the streams, if they were started.
func (s *Streams[C, Cfg, St]) CloseStreams() { s.Hub().Close() }
