package okx

// Private stream (sdk.Streamer) over wss://ws.okx.com:8443/ws/v5/private
// (demo trading: wss://wspap.okx.com:8443).
//
// Each connection logs in once, as one account: OKX refuses a second login
// on a connection (60031), so nothing is shared between accounts. The
// login signs timestamp+"GET"+"/users/self/verify" with the secret
// (base64 HMAC-SHA256), the timestamp in Unix seconds and valid for 30 s.
// The connection then subscribes to account (every currency: the spot
// balances and the USDT row that margins USDT swaps) and positions
// (instType SWAP), as the host asks.
//
// OKX sends a snapshot on subscribe, paged (curPage, lastPage), and then
// event_update pushes that carry the absolute rows of the changed
// currencies or positions only; it also re-sends whole snapshots on a
// timer. So no REST seed is needed: a session waits for the first whole
// snapshot of every channel, keeping the updates that arrive after a
// channel's first page and applying them on top, and goes live. Every
// later snapshot that completes is authoritative: currencies and
// positions it lacks are gone. That also repairs a dropped event within
// one snapshot period, without a reconnect.
//
// Open questions of OKX's docs, and what this does about each:
//   - whether the push for a fully closed position carries the row with
//     pos "0", and whether a currency that drops to zero gets a last row:
//     both are handled (a zero row removes at once), and a close that is
//     not pushed is removed by the next snapshot;
//   - the per-IP cap on concurrent private connections is undocumented:
//     StreamOptions.MaxConnections guards it (1,000 by default, a guess
//     borrowed from Bybit's documented per-IP figure for its market
//     streams), and the accounts beyond it fail with stream.ErrCapReached
//     and are polled;
//   - what close 4003 ("APIKey subscription amount exceeds the limit
//     100") counts: this uses one connection and two channels per key,
//     far below any reading of it;
//   - regional (EEA, US) WebSocket hosts are unknown: the ws endpoint key
//     takes any base;
//   - whether demo trading pages its snapshots too: the same code reads
//     paged and unpaged snapshots alike (a snapshot without curPage is
//     one page);
//   - a maximum connection lifetime is undocumented: OKX announces a cut
//     with notice 64008 sixty seconds ahead, and the session then opens a
//     second connection, waits for its snapshot and only then drops the
//     first, so the handover has no gap; StreamOptions.Lifetime can plan
//     the same handover on a timer.
//
// Heartbeat: OKX closes a connection after 30 s without data (4004) and
// has no protocol-level ping, so after PingAfter of silence the session
// sends the text "ping" and expects any frame (normally "pong") within
// PongWait. A session ends and the account is subscribed again on a new
// connection (snapshots re-seed it) on a close, a missed pong, a login or
// subscribe error, or channel-conn-count-error (30 connections per
// channel per user are in use, by other clients of the key's user; the
// account is polled then).

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/coder/websocket"
	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/num"
	"github.com/globalautomation/gahost/sdk/redact"
	"github.com/globalautomation/gahost/sdk/rest"
	"github.com/globalautomation/gahost/sdk/sign"
	"github.com/globalautomation/gahost/sdk/stream"
)

// EndpointWS is the endpoint key of the private stream's base
// ("wss://ws.okx.com:8443"; "ws://127.0.0.1:1234" for a fake); the path
// /ws/v5/private is added to it.
const EndpointWS = "ws"

var wsHosts = map[string]rest.Hosts{
	EndpointWS: {Mainnet: "wss://ws.okx.com:8443", Testnet: "wss://wspap.okx.com:8443"},
}

const privatePath = "/ws/v5/private"

// StreamOptions are the stream's clock and limits; zero fields take OKX's
// documented values. Tests scale them down.
type StreamOptions struct {
	PingAfter      time.Duration // silence before a text ping: 20 s (OKX cuts at 30 s)
	PongWait       time.Duration // how long a ping may go unanswered: 8 s
	ConnectLimit   int           // new connections per ConnectWindow per IP: 3 ...
	ConnectWindow  time.Duration // ... per second
	MaxConnections int           // concurrent connections per IP: 1,000 (undocumented); < 0: no cap
	Lifetime       time.Duration // plan a handover after this long; 0: only on OKX's notice
	SetupTimeout   time.Duration // login ack, and the first whole snapshots: 15 s
	BackoffMin     time.Duration // 500 ms
	BackoffMax     time.Duration // 30 s
}

// streamState is the connector's part in the streams: the limits every
// account's connection shares (one egress IP).
type streamState struct {
	stream.Options[StreamOptions]
	connect *stream.Limiter
	cap     *stream.Cap
}

// SetStreamOptions changes the stream's clock and limits; call it before
// the first Watch.
func (c *Connector) SetStreamOptions(o StreamOptions) { c.streams.Set(o) }

func (s *streamState) init() {
	s.Init(StreamOptions{
		PingAfter: 20 * time.Second, PongWait: 8 * time.Second, ConnectWindow: time.Second,
		SetupTimeout: 15 * time.Second, BackoffMin: 500 * time.Millisecond, BackoffMax: 30 * time.Second,
		ConnectLimit: 3}, func(o *StreamOptions) {
		if o.MaxConnections == 0 {
			o.MaxConnections = 1000
		}
		s.connect = &stream.Limiter{N: o.ConnectLimit, Per: o.ConnectWindow}
		s.cap = &stream.Cap{N: max(o.MaxConnections, 0)}
	})
}

var _ sdk.Streamer = (*Connector)(nil)

// LoginSignature is the login's sign: standard base64 of HMAC-SHA256
// under the secret over the timestamp (Unix seconds), "GET" and
// "/users/self/verify".
func LoginSignature(secret, timestamp string) string {
	return sign.Base64(secret, timestamp+"GET/users/self/verify")
}

// Errors that end a session.
var (
	// errMoved ends a session whose planned handover could not overlap
	// the old connection (no room under the cap): it reconnects at once,
	// without backoff.
	errMoved = &stream.Move{Reason: "okx: moved to a fresh connection before the announced cut"}
	// errConnCount is OKX's channel-conn-count-error: the user already
	// holds 30 connections on a channel. Reconnecting does not help; the
	// account is polled.
	errConnCount = &sdk.Error{Kind: sdk.KindUnavailable, Message: "okx: the user's 30 connections per private channel are in use elsewhere; the account is polled"}
)

// Watch streams one account until ctx ends or it fails for good.
func (c *Connector) Watch(ctx context.Context, acct sdk.StreamAccount, emit func(sdk.StreamEvent)) error {
	c.streams.init()
	chans := channelsFor(acct)
	if len(chans) == 0 {
		return sdk.Errorf(sdk.KindInvalidRequest, "okx: no part to stream")
	}
	if acct.Account.APIKey == "" || acct.Account.SecretKey == "" || acct.Account.Passphrase == "" {
		return sdk.Errorf(sdk.KindAuthentication, "okx: an API key, a secret key and the key's passphrase are all required")
	}
	book := &stream.Book{Parts: acct.Parts}
	bo := stream.Backoff{Min: c.streams.Opts.BackoffMin, Max: c.streams.Opts.BackoffMax}
	final := func(err error) bool { return errors.Is(err, stream.ErrCapReached) || errors.Is(err, errConnCount) }
	return stream.Keep(ctx, bo, emit, final, func(ctx context.Context, healthy func()) error {
		return c.session(ctx, acct, chans, book, emit, healthy)
	})
}

// Channel names.
const (
	chAccount   = "account"
	chPositions = "positions"
)

func channelsFor(acct sdk.StreamAccount) []string {
	var out []string
	if acct.Wants(sdk.CapSpotBalances) || acct.Wants(sdk.CapFuturesAccount) {
		out = append(out, chAccount)
	}
	if acct.Wants(sdk.CapPositions) {
		out = append(out, chPositions)
	}
	return out
}

// --- one connection ---

// wsConn is one logged-in, subscribed connection and what it has
// assembled so far.
type wsConn struct {
	ws      *websocket.Conn
	msgs    chan []byte
	done    chan struct{}
	err     error // why the read ended; read after done
	cancel  context.CancelFunc
	release func() // the Cap slot

	// ready: every channel's first whole snapshot has come.
	ready   bool
	started map[string]bool           // a channel's first snapshot page has come
	pages   map[string]*pager         // snapshots being assembled
	first   map[string]*part          // the latest whole snapshot of each channel, until ready
	pending map[string][]stream.Delta // the updates that came after it, until ready
}

// pager assembles one paged snapshot, and keeps the updates that arrive
// while it does (the snapshot is older than they are).
type pager struct {
	next   int
	part   part
	during []stream.Delta
}

// part is what one channel's snapshot holds.
type part struct {
	spot      []sdk.Balance
	futures   *sdk.FuturesAccount
	positions []sdk.Position
}

func (p *part) add(q part) {
	p.spot = append(p.spot, q.spot...)
	p.positions = append(p.positions, q.positions...)
	if q.futures != nil {
		p.futures = q.futures
	}
}

func (w *wsConn) close() {
	w.cancel()
	<-w.done
	w.release()
}

// open takes a connection slot, dials within the connection-rate limit,
// logs in, waits for the ack, and subscribes. Acks, errors and data are
// read by the session from then on.
func (c *Connector) open(ctx context.Context, acct sdk.StreamAccount, chans []string) (*wsConn, error) {
	release, err := c.streams.cap.Take()
	if err != nil {
		return nil, err
	}
	ok := false
	defer func() {
		if !ok {
			release()
		}
	}()
	if err := c.streams.connect.Wait(ctx); err != nil {
		return nil, err
	}
	o := c.streams.Opts
	sctx, cancel := context.WithTimeout(ctx, o.SetupTimeout)
	defer cancel()
	ws, err := stream.Dial(sctx, stream.Base(acct.Account, EndpointWS, wsHosts)+privatePath, nil)
	if err != nil {
		return nil, fmt.Errorf("okx: private stream: %w", err)
	}
	defer func() {
		if !ok {
			_ = ws.CloseNow()
		}
	}()
	if err := c.login(sctx, ws, acct.Account); err != nil {
		return nil, err
	}
	args := make([]map[string]string, 0, len(chans))
	for _, ch := range chans {
		a := map[string]string{"channel": ch}
		if ch == chPositions {
			// USDT-margined swaps are all this connector reads; the REST
			// side asks for the same instType.
			a["instType"] = "SWAP"
		}
		args = append(args, a)
	}
	b, _ := json.Marshal(map[string]any{"id": "1", "op": "subscribe", "args": args})
	if err := ws.Write(sctx, websocket.MessageText, b); err != nil {
		return nil, &sdk.Error{Kind: sdk.KindUnavailable, Message: "okx: private stream closed while subscribing"}
	}
	rctx, rcancel := context.WithCancel(context.WithoutCancel(ctx))
	w := &wsConn{ws: ws, msgs: make(chan []byte, 64), done: make(chan struct{}), cancel: rcancel, release: release,
		started: map[string]bool{}, pages: map[string]*pager{}, first: map[string]*part{}, pending: map[string][]stream.Delta{}}
	go func() {
		defer close(w.done)
		defer func() { _ = ws.CloseNow() }()
		for {
			b, err := stream.Read(rctx, ws)
			if err != nil {
				w.err = err
				return
			}
			select {
			case w.msgs <- b:
			case <-rctx.Done():
				w.err = rctx.Err()
				return
			}
		}
	}()
	ok = true
	return w, nil
}

// login sends op login and waits for its answer. Errors carry OKX's code
// and this connector's words only: OKX echoes requests in some messages.
func (c *Connector) login(ctx context.Context, ws *websocket.Conn, acct sdk.Account) error {
	now := time.Now()
	if off, ok := c.http.Offset(acct, EndpointREST); ok {
		now = now.Add(off)
	}
	ts := strconv.FormatInt(now.Unix(), 10)
	b, _ := json.Marshal(map[string]any{"op": "login", "args": []map[string]string{{
		"apiKey": acct.APIKey, "passphrase": acct.Passphrase, "timestamp": ts, "sign": LoginSignature(acct.SecretKey, ts),
	}}})
	if err := ws.Write(ctx, websocket.MessageText, b); err != nil {
		return &sdk.Error{Kind: sdk.KindUnavailable, Message: "okx: private stream closed before the login"}
	}
	for {
		_, b, err := ws.Read(ctx)
		if err != nil {
			if code := websocket.CloseStatus(err); code == 4001 {
				return &sdk.Error{Kind: sdk.KindAuthentication, ExchangeCode: "4001", Message: "okx: the stream login failed"}
			}
			return &sdk.Error{Kind: sdk.KindUnavailable, Message: "okx: no answer to the stream login"}
		}
		var m wsMessage
		if json.Unmarshal(b, &m) != nil {
			continue
		}
		switch m.Event {
		case "login":
			if m.Code == "0" || m.Code == "" {
				return nil
			}
			return streamError(string(m.Code))
		case "error":
			return streamError(string(m.Code))
		}
	}
}

// streamError is an error event's code as an sdk error.
func streamError(code string) error {
	e := &sdk.Error{Kind: sdk.KindUnavailable, ExchangeCode: code, Message: "okx: private stream error " + redact.Clip(code, 16)}
	switch code {
	case "60005", "60032":
		e.Kind, e.Message = sdk.KindAuthentication, "okx: "+msgUnknownKey
	case "60007":
		e.Kind, e.Message = sdk.KindAuthentication, "okx: "+msgSignature
	case "60024":
		e.Kind, e.Message = sdk.KindAuthentication, "okx: "+msgPassphrase
	case "60009":
		e.Kind, e.Message = sdk.KindAuthentication, "okx: the stream login failed"
	case "60004", "60006":
		e.Kind, e.Message = sdk.KindClockSkew, "okx: the stream login's timestamp was refused: this host's clock is off"
	case "60014", "60023":
		e.Kind, e.Message = sdk.KindRateLimited, "okx: too many stream requests"
	case "60011":
		e.Message = "okx: subscribed before the login was accepted"
	case "60031":
		e.Message = "okx: a second login on one connection was refused"
	}
	return e
}

// wsMessage is any frame of the private stream but the pong.
type wsMessage struct {
	Event string  `json:"event"`
	Code  okxCode `json:"code"`
	Arg   struct {
		Channel string `json:"channel"`
	} `json:"arg"`
	Channel   string          `json:"channel"` // channel-conn-count(-error)
	EventType string          `json:"eventType"`
	CurPage   int             `json:"curPage"`
	LastPage  *bool           `json:"lastPage"`
	Data      json.RawMessage `json:"data"`
}

// --- the session ---

// session runs one stream session: a connection, its first snapshots,
// live updates, and the handovers OKX announces, until the connection
// fails.
func (c *Connector) session(ctx context.Context, acct sdk.StreamAccount, chans []string, book *stream.Book, emit func(sdk.StreamEvent), healthy func()) error {
	o := c.streams.Opts
	cur, err := c.open(ctx, acct, chans)
	if err != nil {
		return err
	}
	defer func() { cur.close() }()
	book.Begin()
	seeded := false

	var next *wsConn // the successor during a handover
	opened := make(chan *wsConn, 1)
	failed := make(chan error, 1)
	handing := false
	defer func() {
		switch {
		case next != nil:
			next.close()
		case handing:
			// A successor is still being opened: close it when it is.
			go func() {
				select {
				case w := <-opened:
					w.close()
				case <-failed:
				}
			}()
		}
	}()
	handover := func() {
		if handing {
			return
		}
		handing = true
		go func() {
			w, err := c.open(ctx, acct, chans)
			if err != nil {
				failed <- err
				return
			}
			opened <- w
		}()
	}
	var planned <-chan time.Time
	if o.Lifetime > 0 {
		t := time.NewTimer(stream.MoveAfter(o.Lifetime))
		defer t.Stop()
		planned = t.C
	}
	setup := time.NewTimer(o.SetupTimeout)
	defer setup.Stop()
	idle := time.NewTimer(o.PingAfter)
	defer idle.Stop()
	pinged := false

	// finish is called when w has every channel's first snapshot: the
	// first connection seeds the book; a successor's snapshot replaces
	// what the book holds, and the successor takes over.
	finish := func(w *wsConn) {
		whole := part{}
		var after []stream.Delta
		for _, ch := range chans {
			whole.add(*w.first[ch])
			after = append(after, w.pending[ch]...)
		}
		if !seeded {
			for _, d := range after {
				book.Apply(d) // buffered until the seed
			}
			emit(book.Seed(stream.Seed{Spot: whole.spot, Futures: whole.futures, Positions: whole.positions}))
			seeded = true
			setup.Stop()
			healthy()
		} else {
			c.replace(book, acct, chans, whole, after, emit)
		}
		w.first, w.pending = nil, nil
	}

	for {
		var nextMsgs <-chan []byte
		var nextDone <-chan struct{}
		if next != nil {
			nextMsgs, nextDone = next.msgs, next.done
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-setup.C:
			return &sdk.Error{Kind: sdk.KindUnavailable, Message: "okx: no whole snapshot in time after subscribing"}
		case <-planned:
			handover()
		case w := <-opened:
			next = w
		case err := <-failed:
			handing = false
			if errors.Is(err, stream.ErrCapReached) {
				// No room for an overlap: give up this connection's slot
				// and reconnect at once.
				return errMoved
			}
			return fmt.Errorf("okx: opening the next connection: %w", err)
		case <-idle.C:
			if pinged {
				return &sdk.Error{Kind: sdk.KindUnavailable, Message: "okx: no pong from the private stream"}
			}
			if err := cur.ws.Write(ctx, websocket.MessageText, []byte("ping")); err != nil {
				return &sdk.Error{Kind: sdk.KindUnavailable, Message: "okx: private stream closed"}
			}
			pinged = true
			idle.Reset(o.PongWait)
		case <-cur.done:
			return closedError(cur.err)
		case b := <-cur.msgs:
			pinged = false
			idle.Reset(o.PingAfter)
			notice, err := c.handle(ctx, acct, cur, b, book, seeded, emit)
			if err != nil {
				return err
			}
			if notice {
				handover()
			}
			if !cur.ready && cur.complete(chans) {
				cur.ready = true
				finish(cur)
			}
		case <-nextDone:
			return fmt.Errorf("okx: the next connection: %w", closedError(next.err))
		case b := <-nextMsgs:
			if _, err := c.handle(ctx, acct, next, b, book, false, emit); err != nil {
				return err
			}
			if next.complete(chans) {
				next.ready = true
				finish(next)
				old := cur
				cur, next, handing = next, nil, false
				old.close()
				pinged = false
				idle.Reset(o.PingAfter)
				if o.Lifetime > 0 {
					planned = time.After(stream.MoveAfter(o.Lifetime))
				}
			}
		}
	}
}

// complete reports whether every channel's first whole snapshot has come.
func (w *wsConn) complete(chans []string) bool {
	for _, ch := range chans {
		if w.first[ch] == nil {
			return false
		}
	}
	return true
}

func closedError(err error) error {
	reason := "closed"
	switch websocket.CloseStatus(err) {
	case 4004:
		reason = "closed after 30 s without data (4004)"
	case 4001:
		reason = "closed: login failed (4001)"
	case 4007:
		reason = "closed: the API key was changed or deleted (4007)"
	case websocket.StatusServiceRestart:
		reason = "closed for a service upgrade"
	}
	return &sdk.Error{Kind: sdk.KindUnavailable, Message: "okx: private stream " + reason}
}

// handle reads one frame of w. live says w's updates go straight into the
// book; otherwise they wait in w.pending until w is ready. notice reports
// OKX's announcement of a cut (64008).
func (c *Connector) handle(ctx context.Context, acct sdk.StreamAccount, w *wsConn, b []byte, book *stream.Book, live bool, emit func(sdk.StreamEvent)) (notice bool, err error) {
	if string(b) == "pong" {
		return false, nil
	}
	var m wsMessage
	if json.Unmarshal(b, &m) != nil {
		return false, &sdk.Error{Kind: sdk.KindUnavailable, Message: "okx: unreadable private stream frame"}
	}
	switch m.Event {
	case "":
	case "error":
		return false, streamError(string(m.Code))
	case "channel-conn-count-error":
		return false, errConnCount
	case "notice":
		return m.Code == "64008", nil
	default: // login, subscribe, unsubscribe, channel-conn-count
		return false, nil
	}
	ch := m.Arg.Channel
	if ch != chAccount && ch != chPositions {
		return false, nil
	}
	p, err := c.readPart(ctx, acct, ch, m.Data, m.EventType == "snapshot")
	if err != nil {
		return false, err
	}
	if m.EventType != "snapshot" {
		if !w.started[ch] {
			// Older than the snapshot still to come on this connection.
			return false, nil
		}
		d := p.delta()
		pg := w.pages[ch]
		if pg != nil {
			pg.during = append(pg.during, d)
		}
		switch {
		case !w.ready && pg == nil:
			w.pending[ch] = append(w.pending[ch], d)
		case w.ready && live:
			if ev, ok := book.Apply(d); ok && ev.HasData() {
				emit(ev)
			}
		}
		return false, nil
	}
	// A snapshot page. One without curPage is a whole snapshot.
	cur := max(m.CurPage, 1)
	last := m.LastPage == nil || *m.LastPage
	pg := w.pages[ch]
	if cur == 1 {
		// A new snapshot; one still being assembled is older than it,
		// and so are the updates seen meanwhile.
		pg = &pager{}
		w.pages[ch] = pg
		w.started[ch] = true
	} else if pg == nil || cur != pg.next {
		// A page is missing: wait for the next whole snapshot. The
		// updates seen meanwhile still follow the last whole one.
		if pg != nil && !w.ready && w.first[ch] != nil {
			w.pending[ch] = append(w.pending[ch], pg.during...)
		}
		delete(w.pages, ch)
		return false, nil
	}
	pg.part.add(p)
	pg.next = cur + 1
	if !last {
		return false, nil
	}
	delete(w.pages, ch)
	if ch == chAccount && pg.part.futures == nil {
		pg.part.futures = &sdk.FuturesAccount{Asset: "USDT"} // no USDT row: an empty wallet
	}
	if !w.ready {
		whole := pg.part
		w.first[ch], w.pending[ch] = &whole, pg.during
		return false, nil
	}
	if live {
		c.replace(book, acct, []string{ch}, pg.part, pg.during, emit)
	}
	return false, nil
}

// replace makes the book hold snapshot s for chans, then applies the
// updates that came after it, and emits what changed.
func (c *Connector) replace(book *stream.Book, acct sdk.StreamAccount, chans []string, s part, after []stream.Delta, emit func(sdk.StreamEvent)) {
	before := book.Snapshot()
	d := stream.Delta{}
	for _, ch := range chans {
		switch ch {
		case chAccount:
			d.Balances = append(d.Balances, s.spot...)
			for _, b := range before.Spot {
				if !hasAsset(s.spot, b.Asset) {
					d.Balances = append(d.Balances, sdk.Balance{Asset: b.Asset})
				}
			}
			f := *s.futures
			d.Futures = func(x *sdk.FuturesAccount) { *x = f }
		case chPositions:
			d.Positions = append(d.Positions, s.positions...)
			for _, p := range before.Positions {
				if !hasPosition(s.positions, p) {
					d.Positions = append(d.Positions, sdk.Position{Symbol: p.Symbol, Side: p.Side})
				}
			}
		}
	}
	book.Apply(d)
	for _, x := range after {
		book.Apply(x)
	}
	now := book.Snapshot()
	ev := sdk.StreamEvent{}
	if acct.Wants(sdk.CapSpotBalances) && !sameBalances(before.Spot, now.Spot) {
		ev.HasSpot, ev.Spot = true, now.Spot
	}
	if acct.Wants(sdk.CapFuturesAccount) && !sameFutures(before.Futures, now.Futures) {
		ev.Futures = now.Futures
	}
	if acct.Wants(sdk.CapPositions) && !samePositions(before.Positions, now.Positions) {
		ev.HasPositions, ev.Positions = true, now.Positions
	}
	if ev.HasData() {
		emit(ev)
	}
}

func hasAsset(bs []sdk.Balance, asset string) bool {
	for _, b := range bs {
		if b.Asset == asset {
			return true
		}
	}
	return false
}

func hasPosition(ps []sdk.Position, p sdk.Position) bool {
	for _, q := range ps {
		if q.Symbol == p.Symbol && q.Side == p.Side {
			return true
		}
	}
	return false
}

// The book's events list parts sorted, so parts compare row by row.

func sameBalances(a, b []sdk.Balance) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Asset != b[i].Asset || !a[i].Free.Equal(b[i].Free) || !a[i].Locked.Equal(b[i].Locked) {
			return false
		}
	}
	return true
}

func sameFutures(a, b *sdk.FuturesAccount) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Asset == b.Asset && a.WalletBalance.Equal(b.WalletBalance) && a.MarginBalance.Equal(b.MarginBalance) &&
		a.AvailableBalance.Equal(b.AvailableBalance) && a.UnrealizedPnL.Equal(b.UnrealizedPnL)
}

func samePositions(a, b []sdk.Position) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if x.Symbol != y.Symbol || x.Side != y.Side || x.MarginMode != y.MarginMode || !x.Size.Equal(y.Size) ||
			!x.EntryPrice.Equal(y.EntryPrice) || !x.MarkPrice.Equal(y.MarkPrice) || !x.UnrealizedPnL.Equal(y.UnrealizedPnL) ||
			!x.Leverage.Equal(y.Leverage) || !x.LiquidationPrice.Equal(y.LiquidationPrice) {
			return false
		}
	}
	return true
}

// delta is an update's rows as a book delta: absolute values for the
// changed currencies or positions only.
func (p part) delta() stream.Delta {
	d := stream.Delta{Balances: p.spot, Positions: p.positions}
	if p.futures != nil {
		f := *p.futures
		d.Futures = func(x *sdk.FuturesAccount) { *x = f }
	}
	return d
}

// readPart reads a push's data. In a snapshot only non-zero rows count;
// in an update a zero row means the currency or position is gone.
func (c *Connector) readPart(ctx context.Context, acct sdk.StreamAccount, ch string, data json.RawMessage, snapshot bool) (part, error) {
	switch ch {
	case chAccount:
		var rows []struct {
			Details []balanceDetail `json:"details"`
		}
		if err := json.Unmarshal(data, &rows); err != nil {
			return part{}, rest.Malformed("okx", "account push", err)
		}
		var p part
		for _, r := range rows {
			for _, d := range r.Details {
				b, f, err := streamBalance(d)
				if err != nil {
					return part{}, err
				}
				if !snapshot || !b.Total().IsZero() {
					p.spot = append(p.spot, b)
				}
				if f != nil {
					p.futures = f
				}
			}
		}
		return p, nil
	case chPositions:
		var rows []positionRow
		if err := json.Unmarshal(data, &rows); err != nil {
			return part{}, rest.Malformed("okx", "positions push", err)
		}
		var p part
		for _, r := range rows {
			ps, err := c.streamPositions(ctx, acct.Account, r, snapshot)
			if err != nil {
				return part{}, err
			}
			p.positions = append(p.positions, ps...)
		}
		return p, nil
	}
	return part{}, nil
}

// streamBalance reads a currency row as the REST reads do: available and
// frozen balance as the spot balance, and for USDT the futures wallet
// (equity as the margin balance, equity less unrealized PnL as the wallet
// balance).
func streamBalance(d balanceDetail) (sdk.Balance, *sdk.FuturesAccount, error) {
	if d.Ccy == "" {
		return sdk.Balance{}, nil, rest.Malformed("okx", "account push", errors.New("no currency"))
	}
	var f num.Fields
	b := sdk.Balance{Asset: d.Ccy, Free: f.ParseOrZero("availBal", first(d.AvailBal, d.AvailEq)), Locked: f.ParseOrZero("frozenBal", d.FrozenBal)}
	var fut *sdk.FuturesAccount
	if d.Ccy == "USDT" {
		eq := f.ParseOrZero("eq", d.Eq)
		upl := f.ParseOrZero("upl", d.Upl)
		fut = &sdk.FuturesAccount{Asset: "USDT", MarginBalance: eq, UnrealizedPnL: upl, WalletBalance: eq.Sub(upl),
			AvailableBalance: f.ParseOrZero("availEq", first(d.AvailEq, d.AvailBal))}
	}
	if err := f.Err(); err != nil {
		return sdk.Balance{}, nil, rest.Malformed("okx", "account push of "+redact.Clip(d.Ccy, rest.MaxText), err)
	}
	return b, fut, nil
}

// streamPositions reads a position row as book rows: USDT-margined swaps
// only, sizes in base units. A zero row closes the position; in one-way
// (net) mode the row also closes the other side, as the sign may have
// flipped.
func (c *Connector) streamPositions(ctx context.Context, acct sdk.Account, r positionRow, snapshot bool) ([]sdk.Position, error) {
	if r.InstType != "" && r.InstType != "SWAP" {
		return nil, nil
	}
	pos, err := num.Parse(r.Pos)
	if err != nil {
		return nil, rest.Malformed("okx", "position size of "+redact.Clip(r.InstID, rest.MaxText), err)
	}
	if pos.IsZero() && snapshot {
		return nil, nil
	}
	k, listed, err := c.insts.swap(ctx, acct, r.InstID)
	if err != nil {
		return nil, err
	}
	if !listed {
		return nil, sdk.Errorf(sdk.KindUnknown, "okx: position on %s, which OKX's instrument list lacks: its contract size is unknown", redact.Clip(r.InstID, rest.MaxText))
	}
	if !k.linear {
		return nil, nil
	}
	sym := k.symbol.String()
	if pos.IsZero() {
		switch r.PosSide {
		case posLong:
			return []sdk.Position{{Symbol: sym, Side: sdk.SideLong}}, nil
		case posShort:
			return []sdk.Position{{Symbol: sym, Side: sdk.SideShort}}, nil
		}
		return []sdk.Position{{Symbol: sym, Side: sdk.SideLong}, {Symbol: sym, Side: sdk.SideShort}}, nil
	}
	p, err := toPosition(r, pos, k)
	if err != nil {
		return nil, err
	}
	out := []sdk.Position{p}
	if r.PosSide == posNet || r.PosSide == "" {
		other := sdk.SideShort
		if p.Side == sdk.SideShort {
			other = sdk.SideLong
		}
		if !snapshot {
			out = append(out, sdk.Position{Symbol: sym, Side: other})
		}
	}
	return out, nil
}
