package fake

// The V2 private stream (/v2/ws/private), as strictly as Bitget's docs
// describe it:
//
//   - login: {"op":"login","args":[{apiKey, passphrase, timestamp, sign}]},
//     every field a string, the timestamp in seconds (ten digits) within
//     LoginWindow of the fake's clock, sign the base64 HMAC-SHA256 of
//     timestamp + "GET" + "/user/verify". A failed login is answered with
//     an error event and the connection is closed, as the docs say.
//     Codes follow the map real clients carry (30011 key, 30012
//     passphrase, 30013 timestamp, 30014 expired, 30015 sign, 30005 any
//     other refusal); the docs show codes as strings and captured answers
//     show numbers, so the fake sends 30015 as a number and the others as
//     strings, and a client has to read both;
//   - subscribe: before login, 30004; account needs coin "default",
//     positions, positions-history and orders need instId "default";
//     SPOT for the spot account, a futures product type (USDT-, COIN-,
//     USDC-FUTURES or their S-prefixed demo types) for the rest; one ack
//     per arg; at most SubscribeLimit subscribe requests an hour and
//     MaxChannels channels per connection, 4096 bytes of args a request;
//   - snapshots: the account and positions channels send a snapshot right
//     after their ack, as the docs show; positions-history and orders send
//     none;
//   - pushes, chosen where the docs are silent and said here: every push
//     is action "snapshot", as every documented example is; the spot
//     account push carries the changed coins only, the futures account
//     push the one row of its margin coin, and the positions push the
//     whole list of open positions (what ccxt and third-party clients
//     assume). A position that closes drops out of that list and is sent
//     once on positions-history;
//   - the text "ping" is answered with "pong"; a connection without a ping
//     for PingTimeout (2 minutes) is closed, every connection is cut at
//     Lifetime (24 hours), and more than MaxInbound messages a second from
//     a client close its connection;
//   - per IP: at most ConnLimit new connections per ConnWindow (300 per 5
//     minutes; the handshake beyond it is refused with HTTP 429) and at
//     most MaxConns open at once (100; the one beyond it is answered with
//     30007 and closed).
//
// What a V2 stream does with a key whose account is in UTA mode is
// undocumented; the fake refuses its login (30005), as V2's REST side
// refuses the key (40085). Demo Trading keys belong to the demo stream
// host, so this one refuses them as unknown keys (30011).
//
// Tests change state with SetSpot, SetFutures and SetPosition, which push
// the events above; DropEvents loses a share of the pushes (not of the
// snapshots that answer a subscribe) and CutStreams closes every
// connection, so that tests can prove the client heals.

import (
	"cmp"
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/coder/websocket"
	"github.com/globalautomation/gahost/sdk/fakews"
	"github.com/globalautomation/gahost/sdk/fakex"
	"github.com/globalautomation/gahost/sdk/sign"
	"github.com/globalautomation/gahost/sdk/stream"
)

// WSPath is the path of the private stream.
const WSPath = "/v2/ws/private"

// WSConfig is the stream's clock and limits; zero fields take Bitget's
// documented values.
type WSConfig struct {
	PingTimeout    time.Duration // 2 min without a ping closes the connection
	Lifetime       time.Duration // 24 h
	LoginWindow    time.Duration // 30 s either side of the login timestamp
	MaxConns       int           // 100 open connections per IP
	ConnLimit      int           // 300 new connections ...
	ConnWindow     time.Duration // ... per 5 minutes per IP
	MaxInbound     int           // 10 messages a second per connection
	SubscribeLimit int           // 240 subscribe requests an hour per connection
	MaxChannels    int           // 1000 channels per connection
	// NoSnapshot lists channels ("account|USDT-FUTURES") whose snapshot on
	// subscribe is withheld. Only the spot account's snapshot is stated in
	// words; the futures ones rest on examples, so clients are tested on
	// their REST fallback with this.
	NoSnapshot []string
}

func (c WSConfig) withDefaults() WSConfig {
	stream.Defaults(&c, WSConfig{
		PingTimeout: 2 * time.Minute, Lifetime: 24 * time.Hour, LoginWindow: 30 * time.Second,
		ConnWindow: 5 * time.Minute, MaxConns: 100, ConnLimit: 300, MaxInbound: 10, SubscribeLimit: 240,
		MaxChannels: 1000})
	return c
}

// wsArg is one channel of a subscribe request.
type wsArg struct {
	InstType string `json:"instType"`
	Channel  string `json:"channel"`
	Coin     string `json:"coin,omitempty"`
	InstID   string `json:"instId,omitempty"`
}

func (a wsArg) key() string { return a.Channel + "|" + strings.ToUpper(a.InstType) }

type wsFrame struct {
	b     []byte
	close bool // close the connection after the frames before it
	why   string
}

// wsConn is one client connection. Everything sent to it goes through out
// in order, queued under the fake's lock, so that a snapshot and the
// pushes after it reach the client in the order the state changed.
type wsConn struct {
	*fakews.Conn
	out      chan wsFrame
	inbound  *fakex.Window
	requests *fakex.Window

	// Under the fake's lock:
	apiKey string
	subs   map[string]wsArg
}

// sendLocked queues v (a string is sent as it is, anything else as JSON).
// A client too slow to take its frames is cut.
func (c *wsConn) sendLocked(v any) {
	var b []byte
	if s, ok := v.(string); ok {
		b = []byte(s)
	} else {
		b, _ = json.Marshal(v)
	}
	select {
	case c.out <- wsFrame{b: b}:
	default:
		c.Cut()
	}
}

// closeLocked queues the close after what is queued.
func (c *wsConn) closeLocked(why string) {
	select {
	case c.out <- wsFrame{close: true, why: why}:
	default:
		c.Cut()
	}
}

func (c *wsConn) writeLoop(ctx context.Context) {
	defer c.Cut()
	for {
		select {
		case <-ctx.Done():
			_ = c.WS.Close(websocket.StatusGoingAway, "")
			return
		case f := <-c.out:
			if f.close {
				_ = c.WS.Close(websocket.StatusPolicyViolation, f.why)
				return
			}
			wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			err := c.WS.Write(wctx, websocket.MessageText, f.b)
			cancel()
			if err != nil {
				return
			}
		}
	}
}

type wsState struct {
	cfg WSConfig
}

// WSStats counts what the stream did, for tests: the hub's counts
// and what the fake counts itself, under its lock.
type WSStats struct {
	fakews.Counts
	Logins        int // successful logins
	Subscriptions int // channels subscribed
	Pings         int // pings answered
}

// openStreams makes the stream's state from cfg, under the fake's lock
// (fakews.Streams.StartWS calls it once).
func (s *Server) openStreams(cfg WSConfig) (fakews.Limits, map[string]http.HandlerFunc) {
	cfg = cfg.withDefaults()
	s.ws = &wsState{cfg: cfg}
	return fakews.Limits{ConnLimit: cfg.ConnLimit, ConnWindow: cfg.ConnWindow, MaxConns: cfg.MaxConns,
			Refusal: `{"code":"30007","msg":"request over limit,connection close"}`, OverCapUpgrades: true, Lifetime: cfg.Lifetime},
		map[string]http.HandlerFunc{WSPath: s.serveWS}
}

// Command is the fake as fakews.Main runs it, its stream started with
// cfg; POST /spot sets a coin of the spot account, locked as frozen.
func (s *Server) Command(cfg WSConfig) fakews.Command[Key, Account] {
	return fakews.Command[Key, Account]{Server: s.Server, Add: s.Replace, Switches: s,
		StartWS: func() string { return s.StartWS(cfg) }, Stats: func() any { return s.Stats() },
		SetSpot: func(apiKey, asset, free, locked string) {
			s.SetSpot(apiKey, Balance{Coin: asset, Available: free, Frozen: locked, Locked: "0"})
		}}
}

func (s *Server) serveWS(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	cfg := s.ws.cfg
	s.mu.Unlock()
	hub := s.Hub()
	c, over, ok := hub.Accept(w, r, func(b *fakews.Conn) *wsConn {
		return &wsConn{Conn: b, out: make(chan wsFrame, 1024), subs: map[string]wsArg{},
			inbound: fakex.NewWindow(int64(cfg.MaxInbound), time.Second), requests: fakex.NewWindow(int64(cfg.SubscribeLimit), time.Hour)}
	})
	if !ok {
		return
	}
	ctx := c.Context()
	go c.writeLoop(ctx)
	if over {
		// Past the cap: answered in Bitget's words and closed.
		s.mu.Lock()
		c.sendLocked(wsErr("30007", "request over limit,connection close"))
		c.closeLocked("too many connections")
		s.mu.Unlock()
		<-ctx.Done()
		return
	}
	defer hub.Release(c)
	// The server closes a connection that has not pinged for PingTimeout.
	silent := time.AfterFunc(cfg.PingTimeout, c.Cut)
	defer silent.Stop()
	c.ReadEach(func(typ websocket.MessageType, b []byte) bool {
		if _, ok := c.inbound.Spend(time.Now(), 1); !ok {
			// Over 10 messages a second: Bitget disconnects.
			_ = c.WS.Close(websocket.StatusPolicyViolation, "too many messages")
			return false
		}
		if typ == websocket.MessageText && string(b) == "ping" {
			silent.Reset(cfg.PingTimeout)
			s.mu.Lock()
			s.Counters.Pings++
			c.sendLocked("pong")
			s.mu.Unlock()
			return true
		}
		s.handle(c, b)
		return true
	})
}

func wsErr(code, msg string) map[string]any {
	return map[string]any{"event": "error", "code": code, "msg": msg}
}

type wsOp struct {
	Op   string            `json:"op"`
	Args []json.RawMessage `json:"args"`
}

func (s *Server) handle(c *wsConn, b []byte) {
	var op wsOp
	s.mu.Lock()
	defer s.mu.Unlock()
	if json.Unmarshal(b, &op) != nil {
		c.sendLocked(wsErr("30002", "illegal request"))
		return
	}
	switch op.Op {
	case "login":
		s.loginLocked(c, op.Args)
	case "subscribe":
		s.subscribeLocked(c, op.Args)
	case "unsubscribe":
		for _, raw := range op.Args {
			var a wsArg
			if json.Unmarshal(raw, &a) == nil {
				delete(c.subs, a.key())
				c.sendLocked(map[string]any{"event": "unsubscribe", "arg": a})
			}
		}
	default:
		c.sendLocked(wsErr("30003", "invalid op"))
	}
}

// loginLocked checks a login as described above.
func (s *Server) loginLocked(c *wsConn, args []json.RawMessage) {
	fail := func(code any, msg string) {
		c.sendLocked(map[string]any{"event": "error", "code": code, "msg": msg})
		c.closeLocked("login failed")
	}
	if len(args) != 1 {
		fail("30002", "illegal request")
		return
	}
	var raw map[string]any
	if json.Unmarshal(args[0], &raw) != nil {
		fail("30002", "illegal request")
		return
	}
	field := map[string]string{}
	for _, k := range []string{"apiKey", "passphrase", "timestamp", "sign"} {
		v, ok := raw[k].(string)
		if !ok {
			fail("30016", "param error: "+k)
			return
		}
		field[k] = v
	}
	key, known := s.Store.KeyLocked(field["apiKey"])
	if !known || key.Demo {
		fail("30011", "invalid ACCESS_KEY")
		return
	}
	if field["passphrase"] != key.Passphrase {
		fail("30012", "invalid ACCESS_PASSPHRASE")
		return
	}
	ts := field["timestamp"]
	secs, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || len(ts) != 10 {
		// Seconds, ten digits: a millisecond timestamp is refused here.
		fail("30013", "invalid ACCESS_TIMESTAMP")
		return
	}
	if !sign.Equal(field["sign"], sign.Base64(key.Secret, ts+"GET"+"/user/verify")) {
		fail(30015, "Invalid sign")
		return
	}
	if d := s.Now().Sub(time.Unix(secs, 0)); d > s.ws.cfg.LoginWindow || d < -s.ws.cfg.LoginWindow {
		fail("30014", "request timestamp expired")
		return
	}
	if key.IPs != "" && !slices.Contains(strings.Split(key.IPs, ","), c.IP) {
		fail("30005", "login failed: IP not allowed")
		return
	}
	if key.UTA {
		fail("30005", "login failed: the account is in Unified Account mode")
		return
	}
	c.apiKey = key.APIKey
	s.Counters.Logins++
	c.sendLocked(map[string]any{"event": "login", "code": "0", "msg": ""})
}

var futuresTypes = []string{"USDT-FUTURES", "COIN-FUTURES", "USDC-FUTURES", "SUSDT-FUTURES", "SCOIN-FUTURES", "SUSDC-FUTURES"}

// check reports what is wrong with a, or "" when it is a channel the
// fake serves.
func (a wsArg) check() (code, msg string) {
	it := strings.ToUpper(a.InstType)
	futures := slices.Contains(futuresTypes, it)
	switch a.Channel {
	case "account":
		switch {
		case it != "SPOT" && !futures:
			return "30016", "param error: instType"
		case a.Coin != "default":
			return "30016", "param error: coin"
		}
	case "positions", "positions-history", "orders":
		switch {
		case !futures:
			return "30016", "param error: instType"
		case a.InstID != "default":
			return "30016", "param error: instId"
		}
	default:
		return "30001", "channel doesn't exist"
	}
	return "", ""
}

func (s *Server) subscribeLocked(c *wsConn, args []json.RawMessage) {
	if _, ok := c.requests.Spend(time.Now(), 1); !ok {
		// The code for more than 240 subscribe requests an hour is
		// undocumented; 30006 is "too many requests".
		c.sendLocked(wsErr("30006", "request too many"))
		return
	}
	size := 0
	for _, raw := range args {
		size += len(raw)
	}
	if size > 4096 || len(args) == 0 {
		c.sendLocked(wsErr("30016", "param error: the channels of one request exceed 4096 bytes"))
		return
	}
	for _, raw := range args {
		var a wsArg
		if json.Unmarshal(raw, &a) != nil {
			c.sendLocked(wsErr("30016", "param error"))
			continue
		}
		if c.apiKey == "" {
			c.sendLocked(map[string]any{"event": "error", "arg": a, "code": "30004", "msg": "User not logged in"})
			continue
		}
		if code, msg := a.check(); code != "" {
			c.sendLocked(map[string]any{"event": "error", "arg": a, "code": code, "msg": msg})
			continue
		}
		if _, dup := c.subs[a.key()]; !dup && len(c.subs) >= s.ws.cfg.MaxChannels {
			c.sendLocked(map[string]any{"event": "error", "arg": a, "code": "30016", "msg": "param error: too many channels"})
			continue
		}
		c.subs[a.key()] = a
		s.Counters.Subscriptions++
		c.sendLocked(map[string]any{"event": "subscribe", "arg": a})
		if data, ok := s.snapshotLocked(c.apiKey, a); ok && !slices.Contains(s.ws.cfg.NoSnapshot, a.key()) {
			c.sendLocked(push(a, data, s.Now()))
		}
	}
}

func push(a wsArg, data any, now time.Time) map[string]any {
	return map[string]any{"action": "snapshot", "arg": a, "data": data, "ts": now.UnixMilli()}
}

// snapshotLocked is what a channel sends on subscribe: the whole spot
// wallet, the futures account rows, the open positions. Only USDT-FUTURES
// holds anything in the fake; the other product types answer empty.
func (s *Server) snapshotLocked(apiKey string, a wsArg) ([]map[string]any, bool) {
	acct := s.Store.AccountLocked(apiKey)
	if acct == nil {
		acct = &Account{}
	}
	usdt := strings.EqualFold(a.InstType, "USDT-FUTURES")
	rows := []map[string]any{}
	switch {
	case a.Channel == "account" && strings.EqualFold(a.InstType, "SPOT"):
		for _, b := range acct.Spot {
			if !dec(b.Available).Add(dec(b.Frozen)).Add(dec(b.Locked)).IsZero() {
				rows = append(rows, spotPush(b, s.Now()))
			}
		}
	case a.Channel == "account":
		for _, r := range acct.Futures {
			if usdt {
				rows = append(rows, futuresPush(r))
			}
		}
	case a.Channel == "positions":
		if usdt {
			rows = positionsPush(acct, s.Now())
		}
	default:
		return nil, false
	}
	return rows, true
}

func spotPush(b Balance, now time.Time) map[string]any {
	return map[string]any{"coin": b.Coin, "available": cmp.Or(b.Available, "0"), "frozen": cmp.Or(b.Frozen, "0"),
		"locked": cmp.Or(b.Locked, "0"), "limitAvailable": "0", "uTime": strconv.FormatInt(now.UnixMilli(), 10)}
}

// futuresPush is a futures account row as the channel documents it. The
// newer copy of the page adds unrealizedPL and crossedRiskRate; the row
// carries unrealizedPL only when the state sets it, so that clients are
// tested on the older shape too.
func futuresPush(r FuturesRow) map[string]any {
	m := map[string]any{"marginCoin": r.MarginCoin, "frozen": cmp.Or(r.Locked, "0"), "available": cmp.Or(r.Available, "0"),
		"maxOpenPosAvailable": cmp.Or(r.CrossedMaxAvailable, "0"), "maxTransferOut": cmp.Or(r.Available, "0"),
		"equity": cmp.Or(r.AccountEquity, "0"), "usdtEquity": cmp.Or(r.AccountEquity, "0"), "crossedRiskRate": "0"}
	if r.UnrealizedPL != "" {
		m["unrealizedPL"] = r.UnrealizedPL
	}
	return m
}

// positionsPush lists the open USDT-FUTURES positions; leverage is a
// number, as in the documented example.
func positionsPush(a *Account, now time.Time) []map[string]any {
	mode := "one_way_mode"
	if a.HedgeMode {
		mode = "hedge_mode"
	}
	ms := strconv.FormatInt(now.UnixMilli(), 10)
	rows := []map[string]any{}
	for _, p := range a.Positions {
		if dec(p.Total).IsZero() {
			continue
		}
		rows = append(rows, map[string]any{
			"posId": posID(p), "instId": p.Symbol, "marginCoin": cmp.Or(p.MarginCoin, "USDT"), "marginSize": "0",
			"marginMode": cmp.Or(p.MarginMode, "crossed"), "holdSide": p.HoldSide, "posMode": mode,
			"total": p.Total, "available": p.Total, "frozen": "0", "openPriceAvg": cmp.Or(p.OpenPriceAvg, "0"),
			"leverage": json.Number(cmp.Or(p.Leverage, "0")), "achievedProfits": "0",
			"unrealizedPL": cmp.Or(p.UnrealizedPL, "0"), "unrealizedPLR": "0",
			"liquidationPrice": cmp.Or(p.LiquidationPrice, "0"), "keepMarginRate": "0.004", "marginRate": "0",
			"cTime": ms, "breakEvenPrice": cmp.Or(p.OpenPriceAvg, "0"), "totalFee": "", "deductedFee": "0",
			"markPrice": cmp.Or(p.MarkPrice, "0"), "uTime": ms, "assetMode": "single", "autoMargin": "off",
		})
	}
	return rows
}

// posID names a position by its symbol and side; a position reopened
// after a close gets the same id in the fake (Bitget's are unique).
func posID(p Position) string { return p.Symbol + "-" + p.HoldSide }

// pushLocked sends data on channel (instType, channel) to every connection
// of apiKey that subscribed to it, losing some when DropEvents says so.
func (s *Server) pushLocked(apiKey, instType, channel string, data any) {
	if s.ws == nil {
		return
	}
	now := s.Now()
	for _, c := range s.Hub().Conns() {
		if c.apiKey != apiKey {
			continue
		}
		a, ok := c.subs[channel+"|"+instType]
		if !ok {
			continue
		}
		if s.Hub().Lose() {
			continue
		}
		c.sendLocked(push(a, data, now))
	}
}

// SetSpot sets a coin of apiKey's spot wallet and pushes that coin's row
// on the spot account channel.
func (s *Server) SetSpot(apiKey string, b Balance) {
	s.Store.Change(apiKey, func(a *Account) {
		a.Spot, _, _ = fakews.SetRow(a.Spot, b, false, func(x Balance) bool { return x.Coin == b.Coin })
		s.pushLocked(apiKey, "SPOT", "account", []map[string]any{spotPush(b, s.Now())})
	})
}

// SetFutures sets a margin coin's row of apiKey's futures account and
// pushes it on the USDT-FUTURES account channel.
func (s *Server) SetFutures(apiKey string, r FuturesRow) {
	s.Store.Change(apiKey, func(a *Account) {
		a.Futures, _, _ = fakews.SetRow(a.Futures, r, false, func(x FuturesRow) bool { return x.MarginCoin == r.MarginCoin })
		s.pushLocked(apiKey, "USDT-FUTURES", "account", []map[string]any{futuresPush(r)})
	})
}

// SetPosition sets apiKey's position on (Symbol, HoldSide), Total "0"
// closing it, and pushes the open positions; a close is also pushed on
// positions-history.
func (s *Server) SetPosition(apiKey string, p Position) {
	s.Store.Change(apiKey, func(a *Account) {
		closed := dec(p.Total).IsZero()
		var was Position
		var had bool
		a.Positions, was, had = fakews.SetRow(a.Positions, p, closed, func(x Position) bool { return x.Symbol == p.Symbol && x.HoldSide == p.HoldSide })
		now := s.Now()
		s.pushLocked(apiKey, "USDT-FUTURES", "positions", positionsPush(a, now))
		if closed && had {
			s.pushLocked(apiKey, "USDT-FUTURES", "positions-history", []map[string]any{historyPush(was, now)})
		}
	})
}

// historyPush is the positions-history row of was, closed now at its
// mark price.
func historyPush(was Position, now time.Time) map[string]any {
	ms := strconv.FormatInt(now.UnixMilli(), 10)
	return map[string]any{
		"posId": posID(was), "instId": was.Symbol, "marginCoin": cmp.Or(was.MarginCoin, "USDT"),
		"marginMode": cmp.Or(was.MarginMode, "crossed"), "holdSide": was.HoldSide, "posMode": "one_way_mode",
		"openPriceAvg": cmp.Or(was.OpenPriceAvg, "0"), "closePriceAvg": cmp.Or(was.MarkPrice, "0"),
		"openSize": was.Total, "closeSize": was.Total, "achievedProfits": cmp.Or(was.UnrealizedPL, "0"),
		"settleFee": "0", "openFee": "0", "closeFee": "0", "cTime": ms, "uTime": ms,
	}
}
