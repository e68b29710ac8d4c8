package bitget

// Private stream (sdk.Streamer) of Classic accounts: V2's
// wss://ws.bitget.com/v2/ws/private (wss://wspap.bitget.com for Demo
// Trading keys).
//
// One account per connection: a connection takes one login, and Bitget
// allows 100 connections per IP, so at most 100 accounts stream per IP and
// the 101st fails its watch with stream.ErrCapReached and is polled. An
// account keeps its place under the cap across reconnects. New connections
// are spaced to 300 per 5 minutes per IP, so a reconnect storm of all 100
// fits in one window.
//
// Each session: login (base64 HMAC-SHA256 of timestamp + "GET" +
// "/user/verify", the timestamp in seconds), one subscribe for the
// channels the host wants (SPOT account; USDT-FUTURES account; and
// USDT-FUTURES positions with positions-history), then the snapshot each
// account and positions channel sends after its ack seeds the book. A
// channel whose snapshot does not come within SnapshotWait is seeded from
// REST instead, and its pushes older than that read are dropped. A
// session ends, and the next one seeds again, on a close, a missing pong,
// an error event, a refused login or subscribe, and shortly before
// Bitget's 24 h cut.
//
// Bitget's pushes carry no sequence number, and whether a push after the
// first lists the whole channel or only what changed is undocumented. The
// connector therefore reads every row as an absolute upsert: a coin with
// nothing left is removed, a position with total "0" is closed, and a
// position is also closed when positions-history reports it closed (its
// "when the position totally closed" push), so that closes are seen
// whichever way Bitget lists positions. A row missed in any other way is
// repaired by the host's REST reconciliation.
//
// Unified Trading Accounts stream over V3 (wss://ws.bitget.com/v3/ws/private,
// topics instead of channels), which this connector does not speak: their
// watch fails with KindUnsupported and the host keeps polling them through
// V3's REST reads (mode.go). A key whose mode is not known yet is learnt
// with one REST read of a part the host asked for.

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/num"
	"github.com/globalautomation/gahost/sdk/redact"
	"github.com/globalautomation/gahost/sdk/rest"
	"github.com/globalautomation/gahost/sdk/stream"
	"github.com/shopspring/decimal"
)

// EndpointWS is the endpoint key of the private stream's base
// ("ws://127.0.0.1:1234" for a fake); the path is added to it.
const EndpointWS = "ws"

var wsHosts = map[string]rest.Hosts{
	EndpointWS: {Mainnet: "wss://ws.bitget.com", Testnet: "wss://wspap.bitget.com"},
}

const (
	wsPath     = "/v2/ws/private"
	verifyPath = "/user/verify" // signed with GET; not OKX's /users/self/verify
)

// Channel keys, "channel|instType".
const (
	chanSpot      = "account|SPOT"
	chanFutures   = "account|" + productType
	chanPositions = "positions|" + productType
	chanClosed    = "positions-history|" + productType
)

// StreamOptions are the stream's clock and limits; zero fields take
// Bitget's documented values. Tests scale them down.
type StreamOptions struct {
	Lifetime      time.Duration // a connection's life before Bitget cuts it: 24 h
	PingEvery     time.Duration // the text "ping" every 30 s; no "pong" by the next one ends the session
	ReplyWait     time.Duration // how long login and subscribe answers may take: 10 s
	SnapshotWait  time.Duration // how long a channel's snapshot may take before REST seeds it: 10 s
	MaxConns      int           // open connections per IP: 100
	ConnectLimit  int           // new connections per ConnectWindow per IP: 300 ...
	ConnectWindow time.Duration // ... per 5 minutes
	BackoffMin    time.Duration // 500 ms
	BackoffMax    time.Duration // 30 s
}

// streamState is what every account's stream shares: the per-IP cap and
// connection-rate limit, per stream host (live and demo are different
// servers).
type streamState struct {
	stream.Options[StreamOptions]
	hosts *stream.PerHost
}

// SetStreamOptions changes the stream's clock and limits; call it before
// the first Watch.
func (c *Connector) SetStreamOptions(o StreamOptions) { c.streams.Set(o) }

func (s *streamState) init() {
	s.Init(StreamOptions{
		Lifetime: 24 * time.Hour, PingEvery: 30 * time.Second, ReplyWait: 10 * time.Second,
		SnapshotWait: 10 * time.Second, ConnectWindow: 5 * time.Minute, BackoffMin: 500 * time.Millisecond,
		BackoffMax: 30 * time.Second, MaxConns: 100, ConnectLimit: 300}, func(o *StreamOptions) {
		s.hosts = &stream.PerHost{MaxConns: o.MaxConns, ConnectLimit: o.ConnectLimit, ConnectWindow: o.ConnectWindow}
	})
}

var _ sdk.Streamer = (*Connector)(nil)

var errUTA = &sdk.Error{Kind: sdk.KindUnsupported,
	Message: "bitget: Unified Trading Accounts stream over Bitget's V3 private stream, which this connector does not speak; the account is polled"}

// errMoved ends a session that moves to a fresh connection before
// Bitget's 24 h cut: no backoff.
var errMoved = &stream.Move{Reason: "moved to a fresh connection before the 24 h cut"}

// Watch streams one Classic account's spot wallet, USDT-FUTURES account
// and positions, as the host asks, on a connection of its own.
func (c *Connector) Watch(ctx context.Context, acct sdk.StreamAccount, emit func(sdk.StreamEvent)) error {
	c.streams.init()
	chans := channels(acct)
	if len(chans) == 0 {
		return sdk.Errorf(sdk.KindInvalidRequest, "bitget: no part to stream")
	}
	a := acct.Account
	if err := needKeys(a); err != nil {
		return err
	}
	if err := c.learnMode(ctx, acct); err != nil {
		return err
	}
	base := stream.Base(a, EndpointWS, wsHosts)
	limits := c.streams.hosts.For(base)
	release, err := limits.Conns.Take()
	if err != nil {
		return err
	}
	defer release()
	var deriveUPnL atomic.Bool
	book := &stream.Book{Parts: acct.Parts, Derive: func(f *sdk.FuturesAccount, ps []sdk.Position) {
		// The older account push has no unrealizedPL: it is then the sum
		// of the positions', and the wallet is equity less it.
		if deriveUPnL.Load() {
			upnl := decimal.Zero
			for _, p := range ps {
				upnl = upnl.Add(p.UnrealizedPnL)
			}
			f.UnrealizedPnL = upnl
			f.WalletBalance = f.MarginBalance.Sub(upnl)
		}
	}}
	bo := stream.Backoff{Min: c.streams.Opts.BackoffMin, Max: c.streams.Opts.BackoffMax}
	unsupported := func(err error) bool { return sdk.KindOf(err) == sdk.KindUnsupported }
	return stream.Keep(ctx, bo, emit, unsupported, func(ctx context.Context, healthy func()) error {
		s := &session{c: c, acct: acct, chans: chans, book: book, emit: emit, deriveUPnL: &deriveUPnL}
		return s.run(ctx, base, limits.Connect, healthy)
	})
}

// channels are the subscribe args for the parts the host wants.
func channels(acct sdk.StreamAccount) []wsArg {
	var out []wsArg
	if acct.Wants(sdk.CapSpotBalances) {
		out = append(out, wsArg{InstType: "SPOT", Channel: "account", Coin: "default"})
	}
	if acct.Wants(sdk.CapFuturesAccount) {
		out = append(out, wsArg{InstType: productType, Channel: "account", Coin: "default"})
	}
	if acct.Wants(sdk.CapPositions) {
		out = append(out, wsArg{InstType: productType, Channel: "positions", InstID: "default"},
			wsArg{InstType: productType, Channel: "positions-history", InstID: "default"})
	}
	return out
}

// learnMode makes sure the key is a Classic one. A key whose mode is not
// known yet costs one REST read, through the same routing every call
// takes; a read that fails for a passing reason leaves the key streamed
// as Classic, and a later REST call that learns it is UTA ends its stream
// at the next session.
func (c *Connector) learnMode(ctx context.Context, acct sdk.StreamAccount) error {
	if c.modes.get(acct.Account) == modeUnknown {
		var err error
		switch {
		case acct.Wants(sdk.CapSpotBalances):
			_, err = c.SpotBalances(ctx, acct.Account)
		case acct.Wants(sdk.CapFuturesAccount):
			_, err = c.FuturesAccount(ctx, acct.Account)
		default:
			_, err = c.Positions(ctx, acct.Account)
		}
		if c.modes.get(acct.Account) == modeUnknown && stream.Permanent(err) {
			return err
		}
	}
	if c.modes.get(acct.Account) == modeUTA {
		return errUTA
	}
	return nil
}

// wsArg is one channel of a subscribe request, as Bitget writes it.
type wsArg struct {
	InstType string `json:"instType"`
	Channel  string `json:"channel"`
	Coin     string `json:"coin,omitempty"`
	InstID   string `json:"instId,omitempty"`
}

func (a wsArg) key() string { return a.Channel + "|" + strings.ToUpper(a.InstType) }

// wsMessage is every JSON message the stream sends: an event (login,
// subscribe, error) or a push.
type wsMessage struct {
	Event  string          `json:"event"`
	Code   numText         `json:"code"` // a string in the docs, a number in captured answers
	Msg    string          `json:"msg"`
	Action string          `json:"action"`
	Arg    wsArg           `json:"arg"`
	Data   json.RawMessage `json:"data"`
	TS     numText         `json:"ts"`
}

// session is one connection's life.
type session struct {
	c          *Connector
	acct       sdk.StreamAccount
	chans      []wsArg
	book       *stream.Book
	emit       func(sdk.StreamEvent)
	deriveUPnL *atomic.Bool

	ws     *websocket.Conn
	acked  map[string]bool
	snap   map[string]bool // channels whose snapshot came
	early  []tagged        // pushes before the seed, in order
	posIDs map[posKey]string
	live   bool
}

type tagged struct {
	key string
	d   stream.Delta
}

type posKey struct {
	symbol string
	side   sdk.PositionSide
}

func (s *session) unavailable(msg string) error {
	return &sdk.Error{Kind: sdk.KindUnavailable, Message: "bitget: " + msg}
}

func (s *session) run(ctx context.Context, base string, connect *stream.Limiter, healthy func()) error {
	if s.c.modes.get(s.acct.Account) == modeUTA {
		return errUTA
	}
	if err := connect.Wait(ctx); err != nil {
		return err
	}
	ws, err := stream.Dial(ctx, base+wsPath, nil)
	if err != nil {
		return err
	}
	s.ws = ws
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer func() { _ = ws.Close(websocket.StatusNormalClosure, "") }()
	// The reader closes msgs when the connection ends, so that a message
	// sent just before the close (a refused login) is read before it.
	msgs := make(chan []byte, 64)
	go func() {
		defer close(msgs)
		for {
			b, err := stream.Read(sctx, ws)
			if err != nil {
				return
			}
			select {
			case msgs <- b:
			case <-sctx.Done():
				return
			}
		}
	}()
	s.book.Begin()
	s.acked, s.snap, s.posIDs = map[string]bool{}, map[string]bool{}, map[posKey]string{}
	if err := s.write(sctx, s.login()); err != nil {
		return err
	}
	o := s.c.streams.Opts
	phase := "login"
	deadline := time.NewTimer(o.ReplyWait)
	defer deadline.Stop()
	ping := time.NewTicker(o.PingEvery)
	defer ping.Stop()
	awaitingPong := false
	// Move before the 24 h cut, at a random point of the last 1/48th but
	// one, so that the accounts that came up together do not all move at
	// once.
	cutAt := time.NewTimer(stream.MoveAfter(o.Lifetime))
	defer cutAt.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-cutAt.C:
			return errMoved
		case <-ping.C:
			if awaitingPong {
				return s.unavailable("no pong to the last ping")
			}
			if err := s.write(sctx, []byte("ping")); err != nil {
				return err
			}
			awaitingPong = true
		case <-deadline.C:
			switch phase {
			case "login":
				return s.unavailable("no answer to the login")
			case "subscribe":
				if len(s.acked) < len(s.chans) {
					return s.unavailable("the subscribe was not acknowledged")
				}
				// Acknowledged, but some snapshot never came: REST seeds it.
				if err := s.seed(sctx, true); err != nil {
					return err
				}
				phase = "live"
				healthy()
			}
		case b, ok := <-msgs:
			if !ok {
				return s.unavailable("the stream connection closed")
			}
			if string(b) == "pong" {
				awaitingPong = false
				continue
			}
			var m wsMessage
			if err := json.Unmarshal(b, &m); err != nil {
				return s.unavailable("unreadable stream message")
			}
			switch m.Event {
			case "login":
				if phase != "login" {
					continue
				}
				if string(m.Code) != "0" {
					return s.refused(m, "login")
				}
				if err := s.subscribe(sctx); err != nil {
					return err
				}
				phase = "subscribe"
				deadline.Reset(o.SnapshotWait)
			case "error":
				return s.refused(m, phase)
			case "subscribe":
				s.acked[m.Arg.key()] = true
			case "":
				if m.Action == "" {
					continue
				}
				if err := s.push(m); err != nil {
					return err
				}
			}
			if phase == "subscribe" && s.complete() {
				if err := s.seed(sctx, false); err != nil {
					return err
				}
				phase = "live"
				deadline.Stop()
				healthy()
			}
		}
	}
}

func (s *session) write(ctx context.Context, b []byte) error {
	if err := s.ws.Write(ctx, websocket.MessageText, b); err != nil {
		return s.unavailable("stream write failed")
	}
	return nil
}

// login is the login request, signed now (Bitget's clock when the REST
// client knows its offset), the timestamp in seconds: the docs' text,
// Java sample and example use seconds and ccxt sends seconds, although
// later copies of the page say milliseconds.
func (s *session) login() []byte {
	a := s.acct.Account
	now := time.Now()
	if off, ok := s.c.http.Offset(a, EndpointREST); ok {
		now = now.Add(off)
	}
	ts := strconv.FormatInt(now.Unix(), 10)
	b, _ := json.Marshal(map[string]any{"op": "login", "args": []map[string]string{{
		"apiKey": a.APIKey, "passphrase": a.Passphrase, "timestamp": ts,
		"sign": Signature(a.SecretKey, PreHash(ts, "GET", verifyPath, "", "")),
	}}})
	return b
}

// subscribe asks for every channel in one request: four channels are far
// inside the 4096 bytes a request may carry.
func (s *session) subscribe(ctx context.Context) error {
	b, _ := json.Marshal(map[string]any{"op": "subscribe", "args": s.chans})
	return s.write(ctx, b)
}

// complete reports whether every channel is acknowledged and every
// channel that sends a snapshot has sent it.
func (s *session) complete() bool {
	for _, a := range s.chans {
		k := a.key()
		if !s.acked[k] || (k != chanClosed && !s.snap[k]) {
			return false
		}
	}
	return true
}

// refused turns an error event into the session's end. The codes are
// those real clients map (the official list was not found): 30005 login
// failed, 30011 key, 30012 passphrase and 30015 sign refuse the key for
// good; 30013 and 30014 are the timestamp; 30006 and 30007 too many
// requests or connections. A refused subscribe is the key's permission.
func (s *session) refused(m wsMessage, phase string) error {
	a := s.acct.Account
	code := string(m.Code)
	msg := redact.Clip(redact.String(m.Msg, a.APIKey, a.SecretKey, a.Passphrase), rest.MaxText)
	kind := sdk.KindUnavailable
	switch code {
	case "30005", "30011", "30012", "30015":
		kind = sdk.KindAuthentication
	case "30013", "30014":
		kind = sdk.KindClockSkew
	case "30006", "30007":
		kind = sdk.KindRateLimited
	case "30004":
	default:
		if phase == "subscribe" {
			kind = sdk.KindPermission
		}
	}
	what := "the stream answered an error"
	switch phase {
	case "login":
		what = "the stream refused the login"
	case "subscribe":
		what = "the stream refused the subscription to " + redact.Clip(m.Arg.Channel, 40)
	}
	return &sdk.Error{Kind: kind, ExchangeCode: code, Message: "bitget: " + what + ": " + msg}
}

// push reads one push: before the seed it is kept (a channel's snapshot
// replacing what that channel pushed before it), after it applied.
func (s *session) push(m wsMessage) error {
	key := m.Arg.key()
	d, err := s.delta(key, m)
	if err != nil {
		return err
	}
	if !s.live {
		if m.Action == "snapshot" && key != chanClosed && !s.snap[key] {
			s.snap[key] = true
			kept := s.early[:0]
			for _, t := range s.early {
				if t.key != key {
					kept = append(kept, t)
				}
			}
			s.early = kept
		}
		s.early = append(s.early, tagged{key, d})
		return nil
	}
	if ev, live := s.book.Apply(d); live && ev.HasData() {
		s.emit(ev)
	}
	return nil
}

// seed makes the book whole: the channels that sent a snapshot start
// empty and take their pushes; the others (fromREST) are read from REST
// and take only their pushes from that read on.
func (s *session) seed(ctx context.Context, fromREST bool) error {
	var sd stream.Seed
	if s.acct.Wants(sdk.CapFuturesAccount) {
		sd.Futures = &sdk.FuturesAccount{Asset: marginCoin}
	}
	restAt := map[string]time.Time{}
	if fromREST {
		a := s.acct.Account
		now := func() time.Time {
			if off, ok := s.c.http.Offset(a, EndpointREST); ok {
				return time.Now().Add(off)
			}
			return time.Now()
		}
		for _, ch := range s.chans {
			k := ch.key()
			if k == chanClosed || s.snap[k] {
				continue
			}
			restAt[k] = now()
			var err error
			switch k {
			case chanSpot:
				sd.Spot, err = s.c.SpotBalances(ctx, a)
			case chanFutures:
				var f sdk.FuturesAccount
				f, err = s.c.FuturesAccount(ctx, a)
				sd.Futures = &f
			case chanPositions:
				sd.Positions, err = s.c.Positions(ctx, a)
			}
			if err != nil {
				return errors.Join(s.unavailable("seeding "+ch.Channel+" of "+ch.InstType+" from REST"), err)
			}
		}
	}
	s.book.Begin()
	for _, t := range s.early {
		if at, ok := restAt[t.key]; ok && !t.d.At.IsZero() && t.d.At.Before(at) {
			continue
		}
		s.book.Apply(t.d)
	}
	s.early = nil
	s.live = true
	s.emit(s.book.Seed(sd))
	return nil
}

// delta reads a push's rows as absolute values.
func (s *session) delta(key string, m wsMessage) (stream.Delta, error) {
	var d stream.Delta
	if ms, err := strconv.ParseInt(string(m.TS), 10, 64); err == nil && ms > 0 {
		d.At = time.UnixMilli(ms)
	}
	bad := func(what string) error { return s.unavailable("malformed " + what + " push") }
	switch key {
	case chanSpot:
		var rows []spotAsset
		if json.Unmarshal(m.Data, &rows) != nil {
			return d, bad("spot account")
		}
		for _, r := range rows {
			if r.Coin == "" {
				return d, bad("spot account")
			}
			var f num.Fields
			b := sdk.Balance{Asset: strings.ToUpper(r.Coin), Free: f.Parse("available", string(r.Available)),
				Locked: f.ParseOrZero("frozen", string(r.Frozen)).Add(f.ParseOrZero("locked", string(r.Locked)))}
			if f.Err() != nil {
				return d, bad("spot account")
			}
			d.Balances = append(d.Balances, b)
		}
	case chanFutures:
		var rows []struct {
			MarginCoin          string   `json:"marginCoin"`
			Available           numText  `json:"available"`
			MaxOpenPosAvailable numText  `json:"maxOpenPosAvailable"`
			Equity              numText  `json:"equity"`
			UnrealizedPL        *numText `json:"unrealizedPL"`
		}
		if json.Unmarshal(m.Data, &rows) != nil {
			return d, bad("futures account")
		}
		for _, r := range rows {
			if !strings.EqualFold(r.MarginCoin, marginCoin) {
				continue
			}
			// The same reading as the REST account: equity is the margin
			// balance, maxOpenPosAvailable (crossedMaxAvailable's
			// counterpart) what may open positions.
			var f num.Fields
			fa := sdk.FuturesAccount{Asset: marginCoin, MarginBalance: f.Parse("equity", string(r.Equity))}
			fa.AvailableBalance = f.ParseOrZero("maxOpenPosAvailable", string(r.MaxOpenPosAvailable))
			if r.MaxOpenPosAvailable == "" {
				fa.AvailableBalance = f.Parse("available", string(r.Available))
			}
			derive := r.UnrealizedPL == nil || *r.UnrealizedPL == ""
			if !derive {
				fa.UnrealizedPnL = f.Parse("unrealizedPL", string(*r.UnrealizedPL))
				fa.WalletBalance = fa.MarginBalance.Sub(fa.UnrealizedPnL)
			}
			if f.Err() != nil {
				return d, bad("futures account")
			}
			flag := s.deriveUPnL
			d.Futures = func(x *sdk.FuturesAccount) {
				flag.Store(derive)
				*x = fa
			}
		}
	case chanPositions:
		var rows []struct {
			PosID string `json:"posId"`
			positionRow
			InstID string `json:"instId"`
		}
		if json.Unmarshal(m.Data, &rows) != nil {
			return d, bad("positions")
		}
		for _, r := range rows {
			r.Symbol = r.InstID
			p, open, err := toPosition(r.positionRow)
			if err != nil || r.InstID == "" {
				return d, bad("positions")
			}
			k := posKey{p.Symbol, p.Side}
			if !open {
				p = sdk.Position{Symbol: p.Symbol, Side: sdk.PositionSideOf(r.HoldSide, decimal.Zero)}
				delete(s.posIDs, posKey{p.Symbol, p.Side})
			} else {
				s.posIDs[k] = r.PosID
			}
			d.Positions = append(d.Positions, p)
		}
	case chanClosed:
		var rows []struct {
			PosID      string `json:"posId"`
			InstID     string `json:"instId"`
			MarginCoin string `json:"marginCoin"`
			HoldSide   string `json:"holdSide"`
		}
		if json.Unmarshal(m.Data, &rows) != nil {
			return d, bad("positions-history")
		}
		for _, r := range rows {
			k := posKey{unifiedFutures(r.InstID, r.MarginCoin), sdk.PositionSideOf(r.HoldSide, decimal.Zero)}
			// The close of an earlier position on the same symbol and side
			// must not close the one open now.
			if id, ok := s.posIDs[k]; ok && id != "" && r.PosID != "" && id != r.PosID {
				continue
			}
			delete(s.posIDs, k)
			d.Positions = append(d.Positions, sdk.Position{Symbol: k.symbol, Side: k.side})
		}
	}
	return d, nil
}
