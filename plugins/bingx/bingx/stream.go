package bingx

// Private streams (sdk.Streamer).
//
// BingX streams an account through a listenKey: POST
// /openApi/user/auth/userDataStream makes one (valid 60 minutes), PUT
// extends it by 60 minutes (the docs advise every 30), and the key goes in
// the URL of the stream: the USDT-M swap at
// wss://open-api-swap.bingx.com/swap-market?listenKey=.., which pushes
// every account event without any subscription (a message sent there is
// answered with 80014 "invalid params"), and spot at
// wss://open-api-ws.bingx.com/market?listenKey=.., where ACCOUNT_UPDATE is
// subscribed with {"id","reqType":"sub","dataType":"ACCOUNT_UPDATE"} and
// acknowledged with {"id",code:0}. One listenKey serves both hosts, so an
// account that keeps spot and swap holds two connections.
//
// Every server frame is gzip in a binary frame. The server pings every 5 s
// at the application level: the swap sends the string "Ping" and wants the
// text "Pong"; spot sends {"ping":id,"time":t} and wants {"pong":id,
// "time":t}. A connection that hears no ping for PingTimeout (three
// intervals) is taken as dead.
//
// Neither stream sends a snapshot on connect and no event carries a
// sequence number, so each session connects and subscribes, buffers,
// seeds from REST (spot balance, swap balance and positions) and then
// applies the absolute values the events carry: wb per swap asset, each
// changed position row whole, spot wb and lk per asset. bc is an increment
// and is never added. A session ends, and the account is seeded again on
// a new listenKey and new connections, on a close, a missed ping,
// listenKeyExpired (which leaves the socket open and silent), a failed
// keepalive (404: the key is gone), and any error frame.
//
// Limits: at most 60 WebSockets per IP (stream.Cap; more fail at the
// handshake), so with spot and swap at most 30 accounts stream from one
// address and the rest are polled. New connections and subscriptions are
// kept under the documented subscription rate of 10 a second.
//
// How the undocumented points are settled (each is also noted where it
// is used):
//   - The listenKey calls are signed like every private call (timestamp and
//     signature in the query), as ccxt does against the live API; the
//     docs' example sends the API-key header alone, which a server that
//     does not check the signature accepts just the same. The answer is
//     read bare ({"listenKey":..}, as documented) or in the usual
//     {"code","msg","data"} envelope.
//   - The swap order event is dispatched on both ORDER_TRADE_UPDATE and
//     TRADE_UPDATE, and ignored: orders are not streamed.
//   - pa's sign for a SHORT row is not relied on: the side is ps, the size
//     |pa|; only a BOTH row takes its side from the sign.
//   - ACCOUNT_CONFIG_UPDATE's "full push on connect and every 5 s" is not
//     relied on either: leverage comes from the seed and reconciliation.
//   - Spot ACCOUNT_UPDATE with m "INIT" is applied like any other event
//     (absolute rows); the seed comes from REST whether or not it arrives.
//   - Spot wb is the free amount and lk the locked one (ccxt's reading;
//     the docs call wb the total after the change). The host's REST
//     reconciliation counts a mismatch if that reading is wrong.
//   - The pong timeout and the maximum connection lifetime are
//     undocumented: a missing ping is a dead connection after three
//     intervals, and no planned cut is made unless StreamOptions.Lifetime
//     sets one.
//   - The demo (VST) host is used for the swap stream of a testnet account
//     (what ccxt does in sandbox mode; undocumented), with a listenKey from
//     the demo REST host. The demo has no spot wallet, so a testnet
//     account's spot part is the empty wallet and needs no connection.
//   - The listenKey endpoints' rate limits are undocumented; they count in
//     the per-endpoint and account-group budgets like the other account
//     calls.

import (
	"bytes"
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/redact"
	"github.com/globalautomation/gahost/sdk/rest"
	"github.com/globalautomation/gahost/sdk/stream"
)

// Endpoint keys of the streams, for sdk.Account.Endpoints: the WebSocket
// bases of the swap and spot user-data streams ("ws://127.0.0.1:1234" for
// a fake).
const (
	EndpointSwapWS = "swap_ws"
	EndpointSpotWS = "spot_ws"
)

// The demo serves no spot: its address for spot_ws is the demo's
// WebSocket host, which a testnet account never dials for spot (its spot
// part is the empty wallet).
var wsHosts = map[string]rest.Hosts{
	EndpointSwapWS: {Mainnet: "wss://open-api-swap.bingx.com", Testnet: "wss://vst-open-api-ws.bingx.com"},
	EndpointSpotWS: {Mainnet: "wss://open-api-ws.bingx.com", Testnet: "wss://vst-open-api-ws.bingx.com"},
}

// Paths of the streams.
const (
	pathListenKey  = "/openApi/user/auth/userDataStream"
	pathSwapStream = "/swap-market"
	pathSpotStream = "/market"
)

// StreamOptions are the streams' clock and limits; zero fields take
// BingX's documented values (or the choices the package comment gives
// where it documents none). Tests scale them down.
type StreamOptions struct {
	ListenKeyRenew time.Duration // keepalive period of a listenKey: 30 min (it lives 60)
	PingTimeout    time.Duration // silence after which a connection is dead: 15 s (three pings)
	Lifetime       time.Duration // planned move to fresh connections; 0: none (undocumented)
	MaxConnections int           // WebSockets per IP: 60
	ConnectLimit   int           // new connections and subscriptions per ConnectWindow: 10 ...
	ConnectWindow  time.Duration // ... per second
	SeedLimit      int           // REST seeds per SeedWindow: 60 ...
	SeedWindow     time.Duration // ... per 10 s, a fifth of each endpoint's 300
	BackoffMin     time.Duration // 500 ms
	BackoffMax     time.Duration // 30 s
}

// streamState is the connector's part in the streams: the limits every
// account shares.
type streamState struct {
	stream.Options[StreamOptions]
	cap     *stream.Cap
	connect *stream.Limiter
	seeds   *stream.Limiter
}

// SetStreamOptions changes the streams' clock and limits; call it before
// the first Watch.
func (c *Connector) SetStreamOptions(o StreamOptions) { c.streams.Set(o) }

func (s *streamState) init() {
	s.Init(StreamOptions{
		ListenKeyRenew: 30 * time.Minute, PingTimeout: 15 * time.Second, ConnectWindow: time.Second,
		SeedWindow: 10 * time.Second, BackoffMin: 500 * time.Millisecond, BackoffMax: 30 * time.Second,
		MaxConnections: 60, ConnectLimit: 10, SeedLimit: 60}, func(o *StreamOptions) {
		s.cap = &stream.Cap{N: o.MaxConnections}
		s.connect = &stream.Limiter{N: o.ConnectLimit, Per: o.ConnectWindow}
		s.seeds = &stream.Limiter{N: o.SeedLimit, Per: o.SeedWindow}
	})
}

var _ sdk.Streamer = (*Connector)(nil)

// plan is what one account's watch keeps.
type plan struct {
	spot   bool // the spot wallet part
	spotWS bool // ... through the spot stream (not in the demo)
	swap   bool // the swap wallet or positions, through the swap stream
}

func (p plan) conns() int {
	n := 0
	if p.spotWS {
		n++
	}
	if p.swap {
		n++
	}
	return n
}

// Watch streams one account: its spot wallet and its swap wallet and
// positions, as the host asks, on one listenKey.
func (c *Connector) Watch(ctx context.Context, acct sdk.StreamAccount, emit func(sdk.StreamEvent)) error {
	c.streams.init()
	p := plan{spot: acct.Wants(sdk.CapSpotBalances), swap: acct.Wants(sdk.CapFuturesAccount) || acct.Wants(sdk.CapPositions)}
	p.spotWS = p.spot && !acct.Account.Testnet
	if !p.spot && !p.swap {
		return sdk.Errorf(sdk.KindInvalidRequest, "bingx: no part to stream")
	}
	if err := needKeys(acct.Account); err != nil {
		return err
	}
	// The account's connections are reserved for the whole watch, so that
	// another account cannot take them while this one reconnects.
	for range p.conns() {
		release, err := c.streams.cap.Take()
		if err != nil {
			return err
		}
		defer release()
	}
	// ACCOUNT_UPDATE carries the wallet balance and each position's
	// unrealized P&L, not the totals. The available margin is in no
	// event; it stays as the seed read it until the next seed or
	// reconciliation.
	book := &stream.Book{Parts: acct.Parts, Derive: stream.DeriveFutures}
	bo := stream.Backoff{Min: c.streams.Opts.BackoffMin, Max: c.streams.Opts.BackoffMax}
	return stream.Keep(ctx, bo, emit, nil, func(ctx context.Context, healthy func()) error {
		return c.session(ctx, acct, p, book, emit, healthy)
	})
}

// ackWait bounds the wait for the spot subscription's answer.
const ackWait = 10 * time.Second

// errMoved ends a session that moves to fresh connections before the
// configured lifetime: no backoff.
var errMoved = &stream.Move{Reason: "moved to fresh connections before the connection lifetime"}

// --- the listenKey ---

// listenKeyAnswer is POST userDataStream's answer: documented bare,
// read in the usual envelope too.
type listenKeyAnswer struct {
	ListenKey string `json:"listenKey"`
	Data      *struct {
		ListenKey string `json:"listenKey"`
	} `json:"data"`
}

// createListenKey makes a listenKey for the account.
func (c *Connector) createListenKey(ctx context.Context, acct sdk.Account) (string, error) {
	var a listenKeyAnswer
	err := c.http.Do(ctx, acct, rest.Request{Method: http.MethodPost, Endpoint: EndpointREST, Path: pathListenKey, Signed: true}, &a)
	if err != nil {
		return "", fmt.Errorf("bingx: creating a listenKey: %w", err)
	}
	key := a.ListenKey
	if key == "" && a.Data != nil {
		key = a.Data.ListenKey
	}
	if key == "" {
		return "", &sdk.Error{Kind: sdk.KindUnavailable, Message: "bingx: the listenKey answer holds no key"}
	}
	return key, nil
}

// extendListenKey keeps the key alive another 60 minutes. An unknown key
// is HTTP 404: it expired or was closed, and a new one is needed.
func (c *Connector) extendListenKey(ctx context.Context, acct sdk.Account, key string) error {
	err := c.http.Do(ctx, acct, rest.Request{Method: http.MethodPut, Endpoint: EndpointREST, Path: pathListenKey,
		Query: rest.Params{}.Add("listenKey", key), Signed: true}, nil)
	if err != nil {
		return fmt.Errorf("bingx: listenKey keepalive: %w", scrubKey(err, key))
	}
	return nil
}

// scrubKey keeps a listenKey, which gives read access to the account's
// stream, out of an error (a dial error quotes the URL).
func scrubKey(err error, key string) error {
	if err == nil || key == "" || !strings.Contains(err.Error(), key) {
		return err
	}
	kind := sdk.KindOf(err)
	if kind == sdk.KindUnknown {
		kind = sdk.KindUnavailable
	}
	return &sdk.Error{Kind: kind, Message: redact.String(err.Error(), key)}
}

// --- one session ---

// wsConn is one of a session's connections.
type wsConn struct {
	product  string // "swap" or "spot"
	ws       *websocket.Conn
	lastPing atomic.Int64 // unix nanoseconds of the last server ping, or of the connect
}

type frame struct {
	conn *wsConn
	data []byte
}

// session runs one listenKey with its connections until something calls
// continuity into doubt, and says what.
func (c *Connector) session(ctx context.Context, acct sdk.StreamAccount, p plan, book *stream.Book, emit func(sdk.StreamEvent), healthy func()) error {
	o := c.streams.Opts
	book.Begin()
	seeded := make(chan error, 1)
	seed := func(sctx context.Context) {
		go func() {
			s, err := c.seed(sctx, acct, p)
			if err == nil {
				emit(book.Seed(s))
			}
			seeded <- err
		}()
	}
	if p.conns() == 0 {
		// A demo account's spot part only: the empty wallet, no stream.
		seed(ctx)
		if err := <-seeded; err != nil {
			return err
		}
		healthy()
		<-ctx.Done()
		return ctx.Err()
	}
	key, err := c.createListenKey(ctx, acct.Account)
	if err != nil {
		return err
	}
	sctx, cancel := context.WithCancel(ctx)
	seeding := false
	defer func() {
		// A seed still under way must not land in the book after the next
		// session has begun.
		cancel()
		if seeding {
			<-seeded
		}
	}()
	start := func() { seeding = true; seed(sctx) }
	frames := make(chan frame, 64)
	readErr := make(chan error, 2)
	var conns []*wsConn
	defer func() {
		for _, wc := range conns {
			_ = wc.ws.Close(websocket.StatusNormalClosure, "")
		}
	}()
	open := func(product, base, path string) (*wsConn, error) {
		if err := c.streams.connect.Wait(ctx); err != nil {
			return nil, err
		}
		ws, err := stream.Dial(ctx, base+path+"?listenKey="+url.QueryEscape(key), nil)
		if err != nil {
			return nil, fmt.Errorf("bingx: %s stream: %w", product, scrubKey(err, key))
		}
		wc := &wsConn{product: product, ws: ws}
		wc.lastPing.Store(time.Now().UnixNano())
		conns = append(conns, wc)
		go wc.read(sctx, frames, readErr)
		return wc, nil
	}
	if p.swap {
		// The swap stream pushes everything once connected; nothing is sent.
		if _, err := open("swap", stream.Base(acct.Account, EndpointSwapWS, wsHosts), pathSwapStream); err != nil {
			return err
		}
	}
	subID := ""
	var ackBy <-chan time.Time // the subscription's answer is due
	if p.spotWS {
		wc, err := open("spot", stream.Base(acct.Account, EndpointSpotWS, wsHosts), pathSpotStream)
		if err != nil {
			return err
		}
		if err := c.streams.connect.Wait(ctx); err != nil {
			return err
		}
		subID = newRequestID()
		sub, _ := json.Marshal(map[string]string{"id": subID, "reqType": "sub", "dataType": "ACCOUNT_UPDATE"})
		if err := wc.ws.Write(ctx, websocket.MessageText, sub); err != nil {
			return &sdk.Error{Kind: sdk.KindUnavailable, Message: "bingx: spot stream: the subscription could not be sent"}
		}
		t := time.NewTimer(ackWait)
		defer t.Stop()
		ackBy = t.C
	} else {
		// Connected is subscribed: seed now, the events since buffer.
		start()
	}

	renew := time.NewTicker(o.ListenKeyRenew)
	defer renew.Stop()
	watchdog := time.NewTicker(max(o.PingTimeout/4, time.Millisecond))
	defer watchdog.Stop()
	var cut <-chan time.Time
	if o.Lifetime > 0 {
		// Move at a random point of the lifetime's last 1/48th so that
		// many accounts do not all move at once.
		t := time.NewTimer(stream.MoveAfter(o.Lifetime))
		defer t.Stop()
		cut = t.C
	}
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case err := <-seeded:
			seeding = false
			if err != nil {
				return fmt.Errorf("bingx: seeding the account: %w", err)
			}
			healthy()
		case err := <-readErr:
			return &sdk.Error{Kind: sdk.KindUnavailable, Message: "bingx: stream connection closed: " + redact.String(err.Error(), key)}
		case <-watchdog.C:
			for _, wc := range conns {
				if time.Since(time.Unix(0, wc.lastPing.Load())) > o.PingTimeout {
					return &sdk.Error{Kind: sdk.KindUnavailable, Message: "bingx: no ping from the " + wc.product + " stream within " + o.PingTimeout.String()}
				}
			}
		case <-renew.C:
			if err := c.extendListenKey(ctx, acct.Account, key); err != nil {
				return err
			}
		case <-cut:
			return errMoved
		case <-ackBy:
			return &sdk.Error{Kind: sdk.KindUnavailable, Message: "bingx: spot stream: no answer to the ACCOUNT_UPDATE subscription within " + ackWait.String()}
		case f := <-frames:
			m, err := parseFrame(f.conn.product, f.data, acct.Account.Testnet)
			if err != nil {
				return err
			}
			switch {
			case m.end != "":
				return &sdk.Error{Kind: sdk.KindUnavailable, Message: "bingx: " + m.end}
			case m.ack:
				if m.id != subID || subID == "" {
					continue
				}
				if m.code != 0 {
					return &sdk.Error{Kind: sdk.KindUnavailable, ExchangeCode: strconv.FormatInt(m.code, 10),
						Message: "bingx: spot ACCOUNT_UPDATE subscription refused: " + redact.Clip(m.msg, rest.MaxText)}
				}
				subID, ackBy = "", nil // acknowledged once
				start()
			case m.delta != nil:
				if ev, live := book.Apply(*m.delta); live {
					emit(ev)
				}
			}
		}
	}
}

// read answers the server's pings and hands every other message on.
func (wc *wsConn) read(ctx context.Context, frames chan<- frame, errs chan<- error) {
	for {
		b, err := stream.Read(ctx, wc.ws)
		if err != nil {
			errs <- err
			return
		}
		if pong, ok := pongFor(b); ok {
			wc.lastPing.Store(time.Now().UnixNano())
			if err := wc.ws.Write(ctx, websocket.MessageText, pong); err != nil {
				errs <- err
				return
			}
			continue
		}
		select {
		case frames <- frame{wc, b}:
		case <-ctx.Done():
			return
		}
	}
}

// pongFor is the answer to a server ping: "Pong" to the swap's "Ping",
// and the echo {"pong":id,"time":t} to spot's {"ping":id,"time":t}.
func pongFor(b []byte) ([]byte, bool) {
	b = bytes.TrimSpace(b)
	if string(b) == "Ping" {
		return []byte("Pong"), true
	}
	if len(b) == 0 || b[0] != '{' || !bytes.Contains(b, []byte(`"ping"`)) {
		return nil, false
	}
	var p struct {
		Ping json.RawMessage `json:"ping"`
		Time json.RawMessage `json:"time"`
	}
	if json.Unmarshal(b, &p) != nil || len(p.Ping) == 0 {
		return nil, false
	}
	out := map[string]json.RawMessage{"pong": p.Ping}
	if len(p.Time) > 0 {
		out["time"] = p.Time
	}
	pong, _ := json.Marshal(out)
	return pong, true
}

func newRequestID() string {
	b := make([]byte, 16)
	_, _ = crand.Read(b)
	return hex.EncodeToString(b)
}

// seed reads the parts the book keeps from REST, within the seed limit.
// The positions are read for the swap wallet too: its unrealized P&L and
// margin balance are derived from them as events move them.
func (c *Connector) seed(ctx context.Context, acct sdk.StreamAccount, p plan) (stream.Seed, error) {
	if err := c.streams.seeds.Wait(ctx); err != nil {
		return stream.Seed{}, err
	}
	var parts []string
	if p.spot {
		parts = append(parts, sdk.CapSpotBalances)
	}
	if p.swap {
		parts = append(append(parts, stream.Wanted(acct, sdk.CapFuturesAccount)...), sdk.CapPositions)
	}
	return stream.ReadSeed(ctx, c, acct.Account, stream.Seed{}, parts...)
}

// --- frames ---

// message is what one frame means to a session.
type message struct {
	delta *stream.Delta
	end   string // why the session must end
	ack   bool   // an answer to a request: id, code, msg
	id    string
	code  int64
	msg   string
}

// parseFrame reads one decoded frame of the product's stream.
func parseFrame(product string, b []byte, testnet bool) (message, error) {
	var m struct {
		ID       *string         `json:"id"`
		Code     *int64          `json:"code"`
		Msg      string          `json:"msg"`
		DataType string          `json:"dataType"`
		Data     json.RawMessage `json:"data"`
		E        string          `json:"e"`
		// encoding/json matches keys regardless of case when no field has
		// the exact name: E (the event time) needs its own field, or it
		// lands in e.
		Time json.RawMessage `json:"E"`
	}
	if json.Unmarshal(b, &m) != nil {
		// Not JSON, and not the ping the reader answers: no account event
		// looks like that, so it is skipped rather than taken as a break.
		return message{}, nil
	}
	if m.E == "" && len(m.Data) > 0 && m.Data[0] == '{' {
		// Pushes on the market hosts come wrapped as
		// {"code":0,"dataType":..,"data":{"e":..}}; take the event out.
		var inner struct {
			E    string          `json:"e"`
			Time json.RawMessage `json:"E"`
		}
		if json.Unmarshal(m.Data, &inner) == nil && inner.E != "" {
			b, m.E = m.Data, inner.E
		}
	}
	if m.E != "" {
		return parseEvent(product, m.E, b, testnet)
	}
	switch {
	case m.ID != nil && *m.ID != "" && m.Code != nil:
		return message{ack: true, id: *m.ID, code: *m.Code, msg: m.Msg}, nil
	case m.Code != nil && *m.Code != 0:
		// An error frame (80014 "invalid params", 80403 too many topics):
		// the stream is not what the session believes.
		return message{}, &sdk.Error{Kind: sdk.KindUnavailable, ExchangeCode: strconv.FormatInt(*m.Code, 10),
			Message: "bingx: " + product + " stream error: " + redact.Clip(m.Msg, rest.MaxText)}
	}
	return message{}, nil
}

func parseEvent(product, e string, b []byte, testnet bool) (message, error) {
	switch e {
	case "listenKeyExpired":
		return message{end: "the listenKey expired"}, nil
	case "ACCOUNT_UPDATE":
		var u accountUpdate
		if err := json.Unmarshal(b, &u); err != nil {
			return message{}, rest.Malformed("bingx", product+" ACCOUNT_UPDATE", err)
		}
		var d *stream.Delta
		var err error
		if product == "spot" {
			d, err = spotDelta(u)
		} else {
			d, err = swapDelta(u, testnet)
		}
		return message{delta: d}, err
	}
	// ORDER_TRADE_UPDATE or TRADE_UPDATE (the docs name the swap order
	// event both ways), ACCOUNT_CONFIG_UPDATE, executionReport: orders and
	// leverage are not streamed.
	return message{}, nil
}

// eventTime reads E, a number of milliseconds (quoted in some events).
func eventTime(raw json.RawMessage) time.Time {
	s := strings.Trim(string(raw), `"`)
	ms, err := strconv.ParseInt(s, 10, 64)
	if err != nil || ms <= 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms)
}

// accountUpdate is ACCOUNT_UPDATE as both streams send it: per changed
// asset a, its wallet wb (and on spot lk, what is locked), and on swap
// each changed position row whole.
type accountUpdate struct {
	Name string          `json:"e"` // named, so that it does not land in T
	T    json.RawMessage `json:"E"`
	A    struct {
		B []struct {
			A  string `json:"a"`
			WB number `json:"wb"`
			LK number `json:"lk"`
		} `json:"B"`
		P []struct {
			S  string `json:"s"`
			PA number `json:"pa"`
			EP number `json:"ep"`
			UP number `json:"up"`
			MT string `json:"mt"`
			PS string `json:"ps"`
		} `json:"P"`
	} `json:"a"`
}

// swapDelta reads the swap's ACCOUNT_UPDATE: absolute wb per changed
// asset, and each changed position row whole.
func swapDelta(e accountUpdate, testnet bool) (*stream.Delta, error) {
	d := &stream.Delta{At: eventTime(e.T)}
	for _, x := range e.A.B {
		// In the demo the margin asset may be named VST; it stands for USDT.
		if x.A != "USDT" && !(testnet && x.A == "VST") {
			continue
		}
		var f fields
		wb := f.dec("wb", x.WB)
		if f.err != nil {
			return nil, rest.Malformed("bingx", "swap ACCOUNT_UPDATE balance", f.err)
		}
		d.Futures = func(fa *sdk.FuturesAccount) { fa.Asset, fa.WalletBalance = "USDT", wb }
	}
	for _, x := range e.A.P {
		var f fields
		amt := f.dec("pa", x.PA)
		p := sdk.Position{Symbol: unifiedSwap(x.S, ""), Size: amt.Abs(), EntryPrice: f.decOrZero("ep", x.EP),
			UnrealizedPnL: f.decOrZero("up", x.UP), Side: sdk.PositionSideOf(x.PS, amt)}
		if f.err != nil || x.S == "" {
			return nil, rest.Malformed("bingx", "swap ACCOUNT_UPDATE position", cmpErr(f.err, "no symbol"))
		}
		switch strings.ToLower(x.MT) {
		case "isolated":
			p.MarginMode = sdk.MarginIsolate
		case "cross", "crossed":
			p.MarginMode = sdk.MarginCross
		}
		if amt.IsZero() && !strings.EqualFold(x.PS, "LONG") && !strings.EqualFold(x.PS, "SHORT") {
			// A flat BOTH row closes whichever side was open.
			d.Positions = append(d.Positions, sdk.Position{Symbol: p.Symbol, Side: sdk.SideShort})
		}
		d.Positions = append(d.Positions, p)
	}
	return d, nil
}

// spotDelta reads spot's ACCOUNT_UPDATE: per changed asset, wb free and
// lk locked.
func spotDelta(e accountUpdate) (*stream.Delta, error) {
	d := &stream.Delta{At: eventTime(e.T)}
	for _, x := range e.A.B {
		var f fields
		bal := sdk.Balance{Asset: x.A, Free: f.dec("wb", x.WB), Locked: f.decOrZero("lk", x.LK)}
		if f.err != nil || x.A == "" {
			return nil, rest.Malformed("bingx", "spot ACCOUNT_UPDATE balance", cmpErr(f.err, "no asset"))
		}
		d.Balances = append(d.Balances, bal)
	}
	return d, nil
}

// cmpErr is err, or a new error saying what when err is nil.
func cmpErr(err error, what string) error {
	if err != nil {
		return err
	}
	return errors.New(what)
}
