package fake

// The private streams, as strictly as the docs describe them:
//
//   - listenKeys: POST, PUT and DELETE /openApi/user/auth/userDataStream
//     with the X-BX-APIKEY header. A signed call (timestamp and signature,
//     as ccxt sends) is checked like any signed call; an unsigned one (the
//     docs' example) is accepted on the key alone. A key lives
//     ListenKeyTTL after its POST or last PUT; PUT or DELETE without
//     listenKey is HTTP 204, with an unknown or expired one HTTP 404.
//   - the swap stream, /swap-market?listenKey=..: every account event is
//     pushed without a subscription, and any message from the client other
//     than its Pong is answered with the 80014 "invalid params" frame;
//   - the spot stream, /market?listenKey=.. (or /market/<listenKey>, the
//     older docs' form): ACCOUNT_UPDATE is pushed only after
//     {"id","reqType":"sub","dataType":"ACCOUNT_UPDATE"} (reqType may be
//     left out, as ccxt does), acknowledged with {"id",code:0,"msg":""};
//     at most MaxTopics topics per connection (80403 beyond);
//   - both: every frame from the server is gzip in a binary frame; the
//     server pings every PingEvery ("Ping" on swap, {"ping":id,"time":t}
//     on spot) and drops a connection whose oldest unanswered ping is
//     older than PongWait; no snapshot on connect; at most MaxConns
//     connections per client IP (the handshake of one more fails with HTTP
//     429: how the real server refuses it is undocumented); an unknown
//     listenKey fails the handshake with HTTP 404; a key that expires
//     sends listenKeyExpired on its connections, which stay open and get
//     nothing more.
//
// The streams listen on their own loopback address (WSURL), as the real
// ones live on other hosts than the REST API. Tests change state with
// SetSpot, SetSwap and SetPosition, which push the documented events;
// DropEvents loses a share of them, CutStreams closes every connection and
// ExpireListenKeys ends a key's life early, so that tests can prove the
// client heals.

import (
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/coder/websocket"
	"github.com/globalautomation/gahost/sdk/fakews"
	"github.com/globalautomation/gahost/sdk/fakex"
	"github.com/globalautomation/gahost/sdk/stream"
)

// WSConfig is the streams' clock and limits; zero fields take BingX's
// documented values, or the fake's choice where none is documented.
type WSConfig struct {
	PingEvery    time.Duration // 5 s
	PongWait     time.Duration // 15 s (undocumented; three pings)
	ListenKeyTTL time.Duration // 60 min
	MaxConns     int           // 60 WebSockets per IP
	MaxTopics    int           // 200 topics per connection
}

func (c WSConfig) withDefaults() WSConfig {
	stream.Defaults(&c, WSConfig{
		PingEvery: 5 * time.Second, PongWait: 15 * time.Second, ListenKeyTTL: 60 * time.Minute, MaxConns: 60,
		MaxTopics: 200})
	return c
}

// WSStats counts what the streams did, for tests: the hub's counts
// and what the fake counts itself, under its lock.
type WSStats struct {
	fakews.Counts
	Subscriptions int // spot subscriptions acknowledged
	Pongs         int // pongs that answered a ping
	InvalidFrames int // client messages answered with an error frame
	ListenKeys    int // listenKeys made
	Extended      int // successful keepalives
}

type wsConn struct {
	*fakews.Conn
	spot   bool
	key    string          // the listenKey in the URL
	topics map[string]bool // spot data types subscribed
	pings  []sentPing      // unanswered, oldest first; under the fake's lock
}

type sentPing struct {
	id, time string
	at       time.Time
}

// write sends v (JSON, or a string as it is) gzip-compressed in a binary
// frame, as BingX sends every frame (the hub's Gzip framing).
func (w *wsConn) write(v any) { _ = w.Send(v) }

type wsState struct {
	cfg WSConfig
}

// openStreams makes the streams' state from cfg, under the fake's lock
// (fakews.Streams.StartWS calls it once), and starts the listenKeys'
// clock.
func (s *Server) openStreams(cfg WSConfig) (fakews.Limits, map[string]http.HandlerFunc) {
	cfg = cfg.withDefaults()
	s.ws = &wsState{cfg: cfg}
	s.keys.TTL = cfg.ListenKeyTTL
	s.Every(10*time.Millisecond, func(now time.Time) { s.keys.Expire(now, "", s.tellExpired) })
	return fakews.Limits{MaxConns: cfg.MaxConns,
			Refusal: `{"code":100410,"msg":"too many websocket connections from this IP"}`, Gzip: true},
		map[string]http.HandlerFunc{
			"/swap-market": func(w http.ResponseWriter, r *http.Request) { s.serveStream(w, r, false) },
			"/market":      func(w http.ResponseWriter, r *http.Request) { s.serveStream(w, r, true) },
			"/market/":     func(w http.ResponseWriter, r *http.Request) { s.serveStream(w, r, true) },
		}
}

// Command is the fake as fakews.Main runs it, its streams started with
// cfg; POST /expire ends a key's listenKeys.
func (s *Server) Command(cfg WSConfig) fakews.Command[Key, Account] {
	return fakews.Command[Key, Account]{Server: s.Server, Add: s.Replace, Switches: s,
		StartWS: func() string { return s.StartWS(cfg) }, Stats: func() any { return s.Stats() },
		SetSpot: s.SetSpot, Expire: s.ExpireListenKeys}
}

// DropEvents makes the streams lose share (0..1) of the account events
// they would send, as a flaky network would: the state changes, the
// client is not told.
func (s *Server) DropEvents(share float64) {
	s.StartWS(WSConfig{})
	s.Streams.DropEvents(share)
}

// ExpireListenKeys ends every live listenKey of apiKey now: each of their
// connections gets listenKeyExpired and then nothing, and stays open.
func (s *Server) ExpireListenKeys(apiKey string) { s.keys.Expire(time.Now(), apiKey, s.tellExpired) }

// --- listenKeys over REST ---

func init() {
	// The docs give these calls no IP group or per-key limit; they count in
	// the account group (2) and, like every call, on their own endpoint.
	// The demo host serves them too (ccxt's sandbox mode relies on it).
	for _, m := range []string{"POST", "PUT", "DELETE"} {
		routes[m+" /openApi/user/auth/userDataStream"] = route{2, public, 0, 0, true, (*Server).listenKeyCall}
	}
}

// listenKeyAuth checks the key header, and the signature when the call is
// signed.
func (s *Server) listenKeyAuth(c *call) bool {
	if _, sig, _, _ := splitQuery(c.r.URL.RawQuery); sig != "" || c.params.Has("timestamp") {
		return s.authenticate(c, 0)
	}
	key, known := s.Store.Key(c.r.Header.Get("X-BX-APIKEY"))
	if !known {
		c.fail(codeBadAPIKey, "Incorrect apiKey")
		return false
	}
	if len(key.IPAddresses) > 0 && !slices.Contains(key.IPAddresses, fakex.RemoteIP(c.r)) {
		c.fail(codeIPWhitelist, "IP does not match IP whitelist")
		return false
	}
	c.key = key
	return true
}

func (s *Server) listenKeyCall(c *call) {
	if !s.listenKeyAuth(c) {
		return
	}
	s.StartWS(WSConfig{})
	s.mu.Lock()
	defer s.mu.Unlock()
	if c.r.Method == http.MethodPost {
		name := s.keys.Make(c.key.APIKey, time.Now())
		s.Counters.ListenKeys++
		// Documented bare, without the usual envelope.
		fakex.WriteJSON(c.w, http.StatusOK, map[string]string{"listenKey": name})
		return
	}
	name := c.params.Get("listenKey")
	if name == "" {
		c.w.WriteHeader(http.StatusNoContent) // "No request parameters"
		return
	}
	if owner, live := s.keys.Owner(name); !live || owner != c.key.APIKey {
		c.w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		c.w.WriteHeader(http.StatusNotFound)
		_, _ = c.w.Write([]byte("This listenKey does not exist"))
		return
	}
	if c.r.Method == http.MethodPut {
		s.keys.Extend(name, time.Now())
		s.Counters.Extended++
	} else {
		s.keys.Close(name)
	}
	fakex.WriteJSON(c.w, http.StatusOK, map[string]any{})
}

// tellExpired sends listenKeyExpired to a connection on an expired
// listenKey; it gets nothing more and stays open.
func (s *Server) tellExpired(c *wsConn, k fakews.ListenKey) {
	c.write(map[string]any{"e": "listenKeyExpired", "E": s.Now().UnixMilli(), "listenKey": k.Name})
}

// --- the streams ---

func (s *Server) release(wc *wsConn) {
	s.Hub().Release(wc)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys.Drop(wc)
}

func (s *Server) serveStream(w http.ResponseWriter, r *http.Request, spot bool) {
	name := r.URL.Query().Get("listenKey")
	if rest, ok := strings.CutPrefix(r.URL.Path, "/market/"); ok && name == "" {
		name = rest
	}
	s.mu.Lock()
	valid := s.keys.Live(name)
	cfg := s.ws.cfg
	s.mu.Unlock()
	if !valid {
		http.Error(w, "This listenKey does not exist", http.StatusNotFound)
		return
	}
	// The connection is on its listenKey before the hub registers it, so
	// that no expiry falls between the two.
	wc, _, ok := s.Hub().Accept(w, r, func(c *fakews.Conn) *wsConn {
		wc := &wsConn{Conn: c, spot: spot, key: name, topics: map[string]bool{}}
		s.mu.Lock()
		defer s.mu.Unlock()
		s.keys.Join(name, wc)
		return wc
	})
	if !ok {
		return
	}
	defer s.release(wc)
	ctx := wc.Context()
	wc.Every(cfg.PingEvery, func(now time.Time) bool { return s.ping(wc, cfg, now) })
	wc.GoAwayOnEnd("")
	wc.ReadEach(func(typ websocket.MessageType, b []byte) bool {
		switch {
		case typ != websocket.MessageText:
			s.invalid(ctx, wc, "")
		case spot:
			s.spotMessage(ctx, wc, b)
		default:
			s.swapMessage(ctx, wc, b)
		}
		return true
	})
}

// ping sends the heartbeat, or drops a connection whose oldest
// unanswered ping is older than PongWait and reports false.
func (s *Server) ping(wc *wsConn, cfg WSConfig, now time.Time) bool {
	s.mu.Lock()
	late := len(wc.pings) > 0 && now.Sub(wc.pings[0].at) > cfg.PongWait
	p := sentPing{id: newPingID(), time: now.Format("2006-01-02T15:04:05.000-0700"), at: now}
	wc.pings = append(wc.pings, p)
	s.mu.Unlock()
	if late {
		wc.Cut()
		return false
	}
	if wc.spot {
		wc.write(map[string]string{"ping": p.id, "time": p.time})
	} else {
		wc.write("Ping")
	}
	return true
}

func newPingID() string {
	b := make([]byte, 16)
	_, _ = crand.Read(b)
	return hex.EncodeToString(b)
}

// invalid answers a message the server does not take.
func (s *Server) invalid(ctx context.Context, wc *wsConn, id string) {
	s.mu.Lock()
	s.Counters.InvalidFrames++
	s.mu.Unlock()
	wc.write(map[string]any{"id": id, "code": codeInvalidParams, "msg": "invalid params", "dataType": "", "data": nil})
}

// swapMessage takes the client's Pong; everything else is invalid (the
// swap user stream takes no subscription).
func (s *Server) swapMessage(ctx context.Context, wc *wsConn, b []byte) {
	switch strings.TrimSpace(string(b)) {
	case "Pong":
		s.mu.Lock()
		if len(wc.pings) > 0 {
			wc.pings = nil
			s.Counters.Pongs++
		}
		s.mu.Unlock()
	case "Ping":
		wc.write("Pong")
	default:
		s.invalid(ctx, wc, "")
	}
}

// spotMessage takes pongs that echo a ping, and subscriptions.
func (s *Server) spotMessage(ctx context.Context, wc *wsConn, b []byte) {
	var m struct {
		Pong     *string `json:"pong"`
		Time     string  `json:"time"`
		ID       string  `json:"id"`
		ReqType  string  `json:"reqType"`
		DataType string  `json:"dataType"`
	}
	if json.Unmarshal(b, &m) != nil {
		s.invalid(ctx, wc, "")
		return
	}
	if m.Pong != nil {
		s.mu.Lock()
		// A pong counts only if it echoes a ping sent, id and time; it
		// answers that ping and every older one.
		if i := slices.IndexFunc(wc.pings, func(p sentPing) bool { return p.id == *m.Pong && p.time == m.Time }); i >= 0 {
			wc.pings = wc.pings[i+1:]
			s.Counters.Pongs++
		}
		s.mu.Unlock()
		return
	}
	known := m.DataType == "ACCOUNT_UPDATE" || m.DataType == "spot.executionReport"
	if m.ID == "" || !known || (m.ReqType != "" && m.ReqType != "sub" && m.ReqType != "unsub") {
		s.invalid(ctx, wc, m.ID)
		return
	}
	s.mu.Lock()
	if m.ReqType == "unsub" {
		delete(wc.topics, m.DataType)
	} else {
		if !wc.topics[m.DataType] && len(wc.topics) >= s.ws.cfg.MaxTopics {
			s.mu.Unlock()
			wc.write(map[string]any{"id": m.ID, "code": 80403, "msg": "too many topics on this connection"})
			return
		}
		wc.topics[m.DataType] = true
		s.Counters.Subscriptions++
	}
	s.mu.Unlock()
	wc.write(map[string]any{"id": m.ID, "code": 0, "msg": ""})
}

// --- events ---

// targets are the connections of apiKey's live listenKeys on one product
// (spot: those subscribed to ACCOUNT_UPDATE).
func (s *Server) targets(apiKey string, spot bool) []*wsConn {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ws == nil {
		return nil
	}
	var out []*wsConn
	for _, c := range s.Hub().Conns() {
		if owner, live := s.keys.Owner(c.key); c.spot != spot || !live || owner != apiKey || (spot && !c.topics["ACCOUNT_UPDATE"]) {
			continue
		}
		out = append(out, c)
	}
	return out
}

// push sends ev to the targets, each copy lost with the drop share.
func (s *Server) push(targets []*wsConn, ev map[string]any) {
	for _, c := range targets {
		if !s.Hub().Lose() {
			c.write(ev)
		}
	}
}

// SetSpot sets an asset of apiKey's spot wallet and pushes spot
// ACCOUNT_UPDATE with that asset only: wb the free amount, lk the locked
// one, bc the change of wb.
func (s *Server) SetSpot(apiKey, asset, free, locked string) {
	before := "0"
	s.Update(apiKey, func(a *Account) {
		var old Balance
		var had bool
		a.Spot, old, had = fakews.SetRow(a.Spot, Balance{Asset: asset, Free: free, Locked: locked}, false,
			func(b Balance) bool { return b.Asset == asset })
		if had {
			before = old.Free
		}
	})
	bc := dec(free).Sub(dec(before)).String()
	s.push(s.targets(apiKey, true), map[string]any{"e": "ACCOUNT_UPDATE", "E": s.Now().UnixMilli(),
		"a": map[string]any{"m": "ORDER", "B": []any{spotRow(Balance{Asset: asset, Free: free, Locked: locked}, bc)}}})
}

// spotRow is a spot ACCOUNT_UPDATE row: wb the free amount, lk the locked
// one, bc the change of wb.
func spotRow(b Balance, bc string) map[string]string {
	return map[string]string{"a": b.Asset, "wb": b.Free, "cw": b.Free, "lk": b.Locked, "bc": bc}
}

// SetSwap sets the balance of apiKey's USDT swap row (equity follows)
// and pushes swap ACCOUNT_UPDATE with that asset only and no position.
func (s *Server) SetSwap(apiKey, balance string) {
	before := "0"
	s.Update(apiKey, func(a *Account) {
		i := slices.IndexFunc(a.Swap, func(x SwapAsset) bool { return x.Asset == "USDT" })
		if i < 0 {
			a.Swap = append(a.Swap, SwapAsset{Asset: "USDT", UnrealizedProfit: "0", AvailableMargin: balance})
			i = len(a.Swap) - 1
		} else {
			before = a.Swap[i].Balance
		}
		a.Swap[i].Balance = balance
		a.Swap[i].Equity = dec(balance).Add(dec(a.Swap[i].UnrealizedProfit)).String()
	})
	bc := dec(balance).Sub(dec(before)).String()
	s.push(s.targets(apiKey, false), map[string]any{"e": "ACCOUNT_UPDATE", "E": s.Now().UnixMilli(),
		"a": map[string]any{"m": "DEPOSIT", "B": []any{swapRow("USDT", balance, bc)}, "P": []any{}}})
}

// swapRow is a swap ACCOUNT_UPDATE balance row: wb the balance, bc its
// change.
func swapRow(asset, balance, bc string) map[string]string {
	return map[string]string{"a": asset, "wb": balance, "cw": balance, "bc": bc}
}

// SetPosition sets a position row (PositionAmt "0" closes it) and pushes
// what a fill does: the order event (TRADE_UPDATE, as the current docs'
// example names it), then swap ACCOUNT_UPDATE with that row only, its
// amount unsigned as the docs' example shows for a SHORT.
func (s *Server) SetPosition(apiKey string, p Position) {
	s.Update(apiKey, func(a *Account) {
		a.Positions, _, _ = fakews.SetRow(a.Positions, p, dec(p.PositionAmt).IsZero(),
			func(x Position) bool { return x.Symbol == p.Symbol && x.PositionSide == p.PositionSide })
	})
	now := s.Now().UnixMilli()
	targets := s.targets(apiKey, false)
	s.mu.Lock()
	s.nextID += 7
	id := s.nextID
	s.mu.Unlock()
	s.push(targets, map[string]any{"e": "TRADE_UPDATE", "E": now, "T": now, "o": map[string]any{
		"s": p.Symbol, "c": "", "i": id, "S": "BUY", "o": "MARKET", "q": dec(p.PositionAmt).Abs().String(), "p": p.AvgPrice,
		"x": "TRADE", "X": "FILLED", "N": "USDT", "n": "0", "T": now, "ps": p.PositionSide, "rp": "0", "z": dec(p.PositionAmt).Abs().String()}})
	s.push(targets, map[string]any{"e": "ACCOUNT_UPDATE", "E": now, "a": map[string]any{"m": "ORDER", "B": []any{},
		"P": []any{positionRow(p)}}})
}

// positionRow is a swap ACCOUNT_UPDATE position row, its amount unsigned
// as the docs' example shows for a SHORT.
func positionRow(p Position) map[string]string {
	mt := "cross"
	if p.Isolated {
		mt = "isolated"
	}
	pa := dec(p.PositionAmt).Abs().String()
	if p.PositionSide == "BOTH" {
		pa = dec(p.PositionAmt).String() // one-way: the sign is the side
	}
	return map[string]string{"s": p.Symbol, "pa": pa, "ep": p.AvgPrice,
		"up": p.UnrealizedProfit, "mt": mt, "iw": "0", "ps": p.PositionSide, "cr": "0"}
}
