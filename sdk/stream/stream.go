// Package stream is the machinery the private-stream side of connectors
// shares: dialing a WebSocket with the limits account streams need, gzip
// frames, client heartbeats, reconnects with backoff under the exchange's
// per-IP connection-rate limit and concurrent-connection cap, a pool that
// carries many accounts per connection and replaces each connection before
// its lifetime ends, and the [Book] that turns a seed and a run of deltas
// into whole parts.
//
// It holds no exchange's protocol: a connector writes its subscribe, login
// and event parsing next to the exchange's docs, and uses these pieces for
// the rest. It never stores credentials beyond the watch that uses them.
package stream

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/rest"
)

// ReadLimit bounds one message: account snapshots exceed the WebSocket
// library's 32 KiB default.
const ReadLimit = 4 << 20

// Dial opens a WebSocket to url with compression off (account streams are
// small and some exchanges gzip at the application level anyway) and the
// read limit raised. header may be nil.
func Dial(ctx context.Context, url string, header http.Header) (*websocket.Conn, error) {
	c, resp, err := websocket.Dial(ctx, url, &websocket.DialOptions{HTTPHeader: header, CompressionMode: websocket.CompressionDisabled})
	if err != nil {
		if resp != nil {
			// The handshake answer says what the exchange thinks: a 429 or
			// 418 is the per-IP limit, a 401/403 the key.
			switch resp.StatusCode {
			case http.StatusTooManyRequests, http.StatusTeapot:
				return nil, &sdk.Error{Kind: sdk.KindRateLimited, Message: fmt.Sprintf("websocket refused with HTTP %d", resp.StatusCode)}
			case http.StatusUnauthorized, http.StatusForbidden:
				return nil, &sdk.Error{Kind: sdk.KindAuthentication, Message: fmt.Sprintf("websocket refused with HTTP %d", resp.StatusCode)}
			}
		}
		return nil, &sdk.Error{Kind: sdk.KindUnavailable, Message: "websocket dial: " + err.Error()}
	}
	c.SetReadLimit(ReadLimit)
	return c, nil
}

// Read returns the next data message, gunzipped when it is a binary frame
// holding gzip (BingX compresses every frame).
func Read(ctx context.Context, c *websocket.Conn) ([]byte, error) {
	typ, b, err := c.Read(ctx)
	if err != nil {
		return nil, err
	}
	if typ == websocket.MessageBinary && IsGzip(b) {
		return Gunzip(b)
	}
	return b, nil
}

// IsGzip reports whether b starts with the gzip magic number.
func IsGzip(b []byte) bool { return len(b) >= 2 && b[0] == 0x1f && b[1] == 0x8b }

// Gunzip inflates one gzip frame, bounded by ReadLimit.
func Gunzip(b []byte) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("gzip frame: %w", err)
	}
	defer zr.Close()
	out, err := io.ReadAll(io.LimitReader(zr, ReadLimit+1))
	if err != nil {
		return nil, fmt.Errorf("gzip frame: %w", err)
	}
	if len(out) > ReadLimit {
		return nil, errors.New("gzip frame: larger than the read limit")
	}
	return out, nil
}

// Gzip compresses b as one frame; fakes use it to serve what BingX sends.
func Gzip(b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, _ = zw.Write(b)
	_ = zw.Close()
	return buf.Bytes()
}

// Heartbeat calls ping every interval until ctx ends or ping fails, and
// returns the failure: for exchanges whose server cuts a client that stays
// silent (Bybit, OKX, Bitget). Exchanges that ping the client themselves
// need nothing: the WebSocket library answers control pings while a read
// is in progress.
func Heartbeat(ctx context.Context, every time.Duration, ping func(context.Context) error) error {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			if err := ping(ctx); err != nil {
				return err
			}
		}
	}
}

// Backoff is the wait between reconnects: doubling from Min to Max, with
// up to half of it as jitter so that many streams cut at once do not all
// come back at once.
type Backoff struct {
	Min, Max time.Duration
	n        int
}

// Next is the wait before the next attempt.
func (b *Backoff) Next() time.Duration {
	lo, hi := b.Min, b.Max
	if lo <= 0 {
		lo = 500 * time.Millisecond
	}
	if hi < lo {
		hi = 30 * time.Second
	}
	d := lo
	for i := 0; i < b.n && d < hi; i++ {
		d *= 2
	}
	b.n++
	d = min(d, hi)
	return d/2 + rand.N(d/2+1)
}

// Reset starts over after a connection that worked.
func (b *Backoff) Reset() { b.n = 0 }

// Limiter spaces new connections to the exchange's per-IP connection-rate
// limit (say 300 per 5 minutes): at most N attempts in any Per. It is
// shared by every stream of a connector, so a reconnect storm after an
// outage queues here instead of earning a ban.
type Limiter struct {
	N   int
	Per time.Duration

	mu    sync.Mutex
	times []time.Time // the attempts in the current window, oldest first
	queue []*scheduled
	timer *time.Timer // serves the queue when the oldest attempt leaves the window
}

type scheduled struct {
	f    func(error)
	done atomic.Bool // f was called, or is about to be
	stop func() bool // the ctx callback
}

func (l *Limiter) expireLocked(now time.Time) {
	for len(l.times) > 0 && now.Sub(l.times[0]) >= l.Per {
		l.times = l.times[1:]
	}
}

// Schedule is Wait without a goroutine waiting: it calls f(nil) on a
// goroutine of its own once an attempt is allowed (and counts it), in
// the order of the calls, or f with ctx's error if ctx ends first. For
// thousands of accounts queued behind a pace (seeds a minute), where a
// goroutine blocked in Wait per account would cost its stack.
func (l *Limiter) Schedule(ctx context.Context, f func(error)) {
	if l == nil || l.N <= 0 {
		go f(ctx.Err())
		return
	}
	w := &scheduled{f: f}
	w.stop = context.AfterFunc(ctx, func() {
		if w.done.CompareAndSwap(false, true) {
			f(ctx.Err())
		}
	})
	l.mu.Lock()
	l.queue = append(l.queue, w)
	l.mu.Unlock()
	l.serve()
}

// serve calls the queued functions the window has room for, and sets
// the timer for the rest.
func (l *Limiter) serve() {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	l.expireLocked(now)
	for len(l.queue) > 0 && len(l.times) < l.N {
		w := l.queue[0]
		l.queue[0] = nil
		l.queue = l.queue[1:]
		if !w.done.CompareAndSwap(false, true) {
			continue // its ctx ended first
		}
		l.times = append(l.times, now)
		w.stop()
		go w.f(nil)
	}
	if len(l.queue) == 0 {
		l.queue = nil // let the served ones go
		return
	}
	if l.timer == nil {
		l.timer = time.AfterFunc(l.Per-now.Sub(l.times[0]), func() {
			l.mu.Lock()
			l.timer = nil
			l.mu.Unlock()
			l.serve()
		})
	}
}

// Wait blocks until an attempt is allowed, and counts it.
func (l *Limiter) Wait(ctx context.Context) error {
	if l == nil || l.N <= 0 {
		return ctx.Err()
	}
	for {
		l.mu.Lock()
		now := time.Now()
		l.expireLocked(now)
		if len(l.times) < l.N {
			l.times = append(l.times, now)
			l.mu.Unlock()
			return nil
		}
		wait := l.Per - now.Sub(l.times[0])
		l.mu.Unlock()
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// Cap is the exchange's cap on concurrent connections per IP (Bitget 100,
// BingX 60). Take refuses with [ErrCapReached] when it is full. That error
// is KindUnavailable, which [Keep] and [Run] retry like any lost
// connection: a connector whose watch should give up instead, so that the
// host polls the account, takes the cap before Keep or says so in its
// final function.
type Cap struct {
	N int

	mu   sync.Mutex
	used int
}

// ErrCapReached is the failure of a watch that found no room under a Cap.
var ErrCapReached = &sdk.Error{Kind: sdk.KindUnavailable, Message: "the exchange's per-IP connection cap is reached; the account is polled"}

// Take reserves a connection; release gives it back. A nil or zero Cap has
// no limit.
func (c *Cap) Take() (release func(), err error) {
	if c == nil || c.N <= 0 {
		return func() {}, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.used >= c.N {
		return nil, ErrCapReached
	}
	c.used++
	var once sync.Once
	return func() {
		once.Do(func() {
			c.mu.Lock()
			c.used--
			c.mu.Unlock()
		})
	}, nil
}

// HostLimits are one stream host's per-IP limits: its cap on open
// connections and the pace of new ones.
type HostLimits struct {
	Conns   *Cap
	Connect *Limiter
}

// PerHost hands out the HostLimits of each stream host, all made from the
// same figures when the host is first asked for: for exchanges whose
// hosts (live and demo, or regional ones) count an address's connections
// each on its own. It is safe for concurrent use.
type PerHost struct {
	MaxConns      int           // each host's Cap; zero or less: none
	ConnectLimit  int           // each host's Limiter: ConnectLimit new connections ...
	ConnectWindow time.Duration // ... in any ConnectWindow

	mu    sync.Mutex
	hosts map[string]*HostLimits
}

// For is the limits of the host at base, the same every time it is asked
// for.
func (p *PerHost) For(base string) *HostLimits {
	p.mu.Lock()
	defer p.mu.Unlock()
	h := p.hosts[base]
	if h == nil {
		h = &HostLimits{Conns: &Cap{N: p.MaxConns}, Connect: &Limiter{N: p.ConnectLimit, Per: p.ConnectWindow}}
		if p.hosts == nil {
			p.hosts = map[string]*HostLimits{}
		}
		p.hosts[base] = h
	}
	return h
}

// Permanent reports whether err is one that reconnecting will not fix: the
// keys were refused or lack a permission.
func Permanent(err error) bool {
	k := sdk.KindOf(err)
	return k == sdk.KindAuthentication || k == sdk.KindPermission
}

// Sleep waits d or until ctx ends, and reports whether it waited all of d.
func Sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// MoveAfter is when to move a connection the exchange cuts at lifetime
// to a fresh one: at a random point of the first half of the last 48th of
// its life, so that the accounts that connected together do not all move,
// and seed again, at once.
func MoveAfter(lifetime time.Duration) time.Duration {
	return lifetime - lifetime/48 + rand.N(lifetime/96+1)
}

// Base is the base URL of the stream endpoint key for acct: the
// account's own endpoint when it has one, else hosts' testnet or mainnet
// address. A trailing "/" is dropped, so that the caller adds its path.
func Base(acct sdk.Account, key string, hosts map[string]rest.Hosts) string {
	h := hosts[key]
	def := h.Mainnet
	if acct.Testnet {
		def = h.Testnet
	}
	return strings.TrimSuffix(acct.Endpoint(key, def), "/")
}
