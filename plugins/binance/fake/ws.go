package fake

// The private streams, as strictly as the docs describe them:
//
//   - spot: the WebSocket API (/ws-api/v3) with
//     userDataStream.subscribe.signature (HMAC over the sorted params,
//     timing window, recvWindow <= 60000), many accounts per connection
//     (at most MaxSubscriptions active), events wrapped as
//     {"subscriptionId":N,"event":{...}}, no snapshot on subscribe;
//   - USDⓈ-M: listenKeys (POST/PUT/DELETE /fapi/v1/listenKey, API-key
//     header only, a key lives ListenKeyTTL unless kept alive, PUT on an
//     unknown one is -1125), on /private/ws?listenKey=.. (bare events) or
//     /private/stream (listenKeys in the query or by JSON SUBSCRIBE, at
//     most MaxStreams a connection, more than MaxMessages client messages
//     a second close it, events wrapped as {"stream":"<listenKey>",
//     "data":{...}}); an expiring key sends listenKeyExpired and then
//     nothing, leaving the socket open;
//   - both: server pings every PingEvery, a connection whose pong does not
//     come within PongWait is closed, every connection is cut at Lifetime,
//     and new connections are limited to ConnLimit per ConnWindow per IP.
//
// The WebSocket side listens on its own loopback address (WSURL), as the
// real streams live on other hosts than the REST API. Tests change state
// with SetSpot, SetFutures and SetPosition, which push the documented
// events; DropEvents loses a share of them and CutStreams closes every
// connection, so that tests can prove the client heals.

import (
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

// WSConfig is the streams' clock and limits; zero fields take Binance's
// documented values.
type WSConfig struct {
	PingEvery        time.Duration // 20 s
	PongWait         time.Duration // 60 s
	Lifetime         time.Duration // 24 h
	ListenKeyTTL     time.Duration // 60 min
	MaxSubscriptions int           // 1,000 active per connection
	MaxStreams       int           // USDⓈ-M streams per connection: 1,024
	MaxMessages      int           // USDⓈ-M client messages a second: 10
	ConnLimit        int           // 300 new connections ...
	ConnWindow       time.Duration // ... per 5 minutes per IP
}

func (c WSConfig) withDefaults() WSConfig {
	stream.Defaults(&c, WSConfig{
		PingEvery: 20 * time.Second, PongWait: 60 * time.Second, Lifetime: 24 * time.Hour,
		ListenKeyTTL: 60 * time.Minute, ConnWindow: 5 * time.Minute, MaxSubscriptions: 1000, ConnLimit: 300,
		MaxStreams: 1024, MaxMessages: 10})
	return c
}

type wsConn struct {
	*fakews.Conn
	subs map[int]string
	next int
	// wrap: a /private/stream connection, whose events name their
	// listenKey; streams counts its listenKeys.
	wrap    bool
	streams int
}

func (w *wsConn) write(v any) { _ = w.Send(v) }

// event sends a USDⓈ-M user-data event of listenKey name.
func (w *wsConn) event(name string, ev any) {
	if w.wrap {
		ev = map[string]any{"stream": name, "data": ev}
	}
	w.write(ev)
}

type spotSub struct {
	conn *wsConn
	id   int
}

type wsState struct {
	cfg  WSConfig
	spot map[string][]spotSub // api key -> subscriptions
	// byAPI names each account's active listenKey (Server.keys), which
	// POST hands out again while it is live.
	byAPI map[string]string
}

// WSStats counts what the streams did, for tests: the hub's counts
// and what the fake counts itself, under its lock.
type WSStats struct {
	fakews.Counts
	Subscriptions int // successful subscribe.signature calls
	// FuturesSubscriptions counts listenKeys subscribed on /private/stream
	// connections.
	FuturesSubscriptions int
}

// openStreams makes the streams' state from cfg, under the fake's lock
// (fakews.Streams.StartWS calls it once), and starts the listenKeys'
// clock.
func (s *Server) openStreams(cfg WSConfig) (fakews.Limits, map[string]http.HandlerFunc) {
	cfg = cfg.withDefaults()
	s.ws = &wsState{cfg: cfg, spot: map[string][]spotSub{}, byAPI: map[string]string{}}
	s.keys.TTL = cfg.ListenKeyTTL
	s.Every(20*time.Millisecond, func(now time.Time) { s.keys.Expire(now, "", s.tellExpired) })
	return fakews.Limits{ConnLimit: cfg.ConnLimit, ConnWindow: cfg.ConnWindow,
			Refusal: `{"code":-1003,"msg":"Too many connection attempts."}`, Lifetime: cfg.Lifetime},
		map[string]http.HandlerFunc{"/ws-api/v3": s.serveWSAPI, "/private/ws": s.servePrivate,
			"/private/stream": s.servePrivateStream}
}

// Command is the fake as fakews.Main runs it, its streams started with
// cfg; POST /expire ends a key's USDⓈ-M listenKey.
func (s *Server) Command(cfg WSConfig) fakews.Command[Key, Account] {
	return fakews.Command[Key, Account]{Server: s.Server, Add: s.Replace, Switches: s,
		StartWS: func() string { return s.StartWS(cfg) }, Stats: func() any { return s.Stats() },
		SetSpot: s.SetSpot, Expire: s.ExpireListenKey}
}

// ExpireListenKey ends apiKey's listenKey now: listenKeyExpired is sent and
// the socket stays open but silent.
func (s *Server) ExpireListenKey(apiKey string) { s.keys.Expire(time.Now(), apiKey, s.tellExpired) }

// accept upgrades and registers a connection, and runs its pinger: the
// server pings every PingEvery, and a client that does not answer within
// PongWait is dropped. The hub ends it at Lifetime, and its client then
// gets a going-away close.
func (s *Server) accept(w http.ResponseWriter, r *http.Request) (*wsConn, context.Context, bool) {
	s.mu.Lock()
	cfg := s.ws.cfg
	s.mu.Unlock()
	wc, _, ok := s.Hub().Accept(w, r, func(c *fakews.Conn) *wsConn { return &wsConn{Conn: c, subs: map[int]string{}} })
	if !ok {
		return nil, nil, false
	}
	ctx := wc.Context()
	wc.Every(cfg.PingEvery, func(time.Time) bool {
		pctx, pcancel := context.WithTimeout(ctx, cfg.PongWait)
		defer pcancel()
		if wc.WS.Ping(pctx) != nil {
			wc.Cut()
			return false
		}
		return true
	})
	wc.GoAwayOnEnd("connection lifetime over")
	return wc, ctx, true
}

func (s *Server) release(wc *wsConn) {
	s.Hub().Release(wc)
	s.mu.Lock()
	defer s.mu.Unlock()
	for apiKey, subs := range s.ws.spot {
		s.ws.spot[apiKey] = slices.DeleteFunc(subs, func(x spotSub) bool { return x.conn == wc })
	}
	s.keys.Drop(wc)
}

// --- spot: the WebSocket API ---

type wsRequest struct {
	ID     json.RawMessage `json:"id"`
	Method string          `json:"method"`
	Params map[string]any  `json:"params"`
}

func (s *Server) serveWSAPI(w http.ResponseWriter, r *http.Request) {
	wc, ctx, ok := s.accept(w, r)
	if !ok {
		return
	}
	defer s.release(wc)
	wc.ReadEach(func(typ websocket.MessageType, b []byte) bool {
		var req wsRequest
		if typ != websocket.MessageText || json.Unmarshal(b, &req) != nil || req.Method == "" {
			wc.write(map[string]any{"id": nil, "status": 400, "error": map[string]any{"code": -1102, "msg": "Invalid request."}})
			return true
		}
		switch req.Method {
		case "userDataStream.subscribe.signature":
			s.subscribeSignature(ctx, wc, req)
		case "userDataStream.unsubscribe":
			s.unsubscribe(ctx, wc, req)
		default:
			wc.write(wsError(req.ID, 400, -1020, "Unsupported operation."))
		}
		return true
	})
}

func wsError(id json.RawMessage, status, code int, msg string) map[string]any {
	return map[string]any{"id": id, "status": status, "error": map[string]any{"code": code, "msg": msg}}
}

// paramString reads a param as Binance does: strings and numbers alike.
func paramString(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, x != ""
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), true
	case json.Number:
		return x.String(), true
	}
	return "", false
}

func (s *Server) subscribeSignature(ctx context.Context, wc *wsConn, req wsRequest) {
	p := map[string]string{}
	for k, v := range req.Params {
		sv, ok := paramString(v)
		if !ok {
			wc.write(wsError(req.ID, 400, -1102, mandatory(k)))
			return
		}
		p[k] = sv
	}
	if k, ok := fakex.Missing(func(k string) string { return p[k] }, "apiKey", "timestamp", "signature"); ok {
		wc.write(wsError(req.ID, 400, -1102, mandatory(k)))
		return
	}
	key, ok := s.Store.Key(p["apiKey"])
	if !ok {
		wc.write(wsError(req.ID, 401, -2015, "Invalid API-key, IP, or permissions for action."))
		return
	}
	names := make([]string, 0, len(p))
	for k := range p {
		if k != "signature" {
			names = append(names, k)
		}
	}
	slices.Sort(names)
	var payload strings.Builder
	for i, k := range names {
		if i > 0 {
			payload.WriteByte('&')
		}
		payload.WriteString(k + "=" + p[k])
	}
	if !strings.EqualFold(sign.Hex(key.Secret, payload.String()), p["signature"]) {
		wc.write(wsError(req.ID, 400, -1022, "Signature for this request is not valid."))
		return
	}
	ts, err1 := strconv.ParseInt(p["timestamp"], 10, 64)
	window := int64(5000)
	if rw, ok := p["recvWindow"]; ok {
		f, err := strconv.ParseFloat(rw, 64)
		if err != nil || f <= 0 || f > 60000 {
			wc.write(wsError(req.ID, 400, -1131, "recvWindow must be less than 60000"))
			return
		}
		window = int64(f)
	}
	now := s.Now().UnixMilli()
	if err1 != nil || ts >= now+1000 || now-ts > window {
		wc.write(wsError(req.ID, 400, -1021, "Timestamp for this request is outside of the recvWindow."))
		return
	}
	s.mu.Lock()
	for _, owner := range wc.subs {
		if owner == key.APIKey {
			s.mu.Unlock()
			wc.write(wsError(req.ID, 400, -2035, "User Data Stream subscription already active."))
			return
		}
	}
	if len(wc.subs) >= s.ws.cfg.MaxSubscriptions {
		s.mu.Unlock()
		// The code for the 1,001st active subscription is undocumented;
		// -2042 is the documented "maximum subscription ids" error.
		wc.write(wsError(req.ID, 400, -2042, "Maximum subscription ID reached for this connection."))
		return
	}
	id := wc.next
	wc.next++
	wc.subs[id] = key.APIKey
	s.ws.spot[key.APIKey] = append(s.ws.spot[key.APIKey], spotSub{wc, id})
	s.Counters.Subscriptions++
	s.mu.Unlock()
	wc.write(map[string]any{"id": req.ID, "status": 200, "result": map[string]any{"subscriptionId": id},
		"rateLimits": []any{map[string]any{"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": 6000, "count": 2}}})
}

func (s *Server) unsubscribe(ctx context.Context, wc *wsConn, req wsRequest) {
	var ids []int
	s.mu.Lock()
	if v, ok := req.Params["subscriptionId"]; ok {
		sv, _ := paramString(v)
		id, err := strconv.Atoi(sv)
		if _, known := wc.subs[id]; err != nil || !known {
			s.mu.Unlock()
			wc.write(wsError(req.ID, 400, -2036, "User Data Stream subscription not active."))
			return
		}
		ids = []int{id}
	} else {
		for id := range wc.subs {
			ids = append(ids, id)
		}
	}
	for _, id := range ids {
		owner := wc.subs[id]
		delete(wc.subs, id)
		s.ws.spot[owner] = slices.DeleteFunc(s.ws.spot[owner], func(x spotSub) bool { return x.conn == wc && x.id == id })
	}
	s.mu.Unlock()
	wc.write(map[string]any{"id": req.ID, "status": 200, "result": map[string]any{}})
	for _, id := range ids {
		wc.write(map[string]any{"subscriptionId": id, "event": map[string]any{"e": "eventStreamTerminated", "E": s.Now().UnixMilli()}})
	}
}

// SetSpot sets an asset of apiKey's spot wallet and pushes
// outboundAccountPosition (absolute free and locked of that asset) to its
// subscriptions.
func (s *Server) SetSpot(apiKey, asset, free, locked string) {
	s.Update(apiKey, func(a *Account) {
		a.Spot, _, _ = fakews.SetRow(a.Spot, Balance{Asset: asset, Free: free, Locked: locked}, false,
			func(b Balance) bool { return b.Asset == asset })
	})
	s.pushSpot(apiKey, Balance{Asset: asset, Free: free, Locked: locked})
}

// pushSpot pushes outboundAccountPosition with the absolute free and
// locked amounts of rows to apiKey's subscriptions.
func (s *Server) pushSpot(apiKey string, rows ...Balance) {
	now := s.Now().UnixMilli()
	bs := make([]any, 0, len(rows))
	for _, b := range rows {
		bs = append(bs, map[string]string{"a": b.Asset, "f": b.Free, "l": b.Locked})
	}
	ev := map[string]any{"e": "outboundAccountPosition", "E": now, "u": now, "B": bs}
	s.mu.Lock()
	subs := slices.Clone(s.wsSpotLocked(apiKey))
	s.mu.Unlock()
	for _, sub := range subs {
		if s.lose() {
			continue
		}
		sub.conn.write(map[string]any{"subscriptionId": sub.id, "event": ev})
	}
}

func (s *Server) wsSpotLocked(apiKey string) []spotSub {
	if s.ws == nil {
		return nil
	}
	return s.ws.spot[apiKey]
}

// lose decides whether the next event is dropped, and counts it.
func (s *Server) lose() bool { return s.Hub().Lose() }

// --- USDⓈ-M: listenKeys and /private/ws ---

func init() {
	// USER_STREAM security: the API-key header, no signature (ccxt sends
	// none); weight 1 each.
	routes["POST /fapi/v1/listenKey"] = route{1, false, permNone, userStream((*Server).listenKeyPost)}
	routes["PUT /fapi/v1/listenKey"] = route{1, false, permNone, userStream((*Server).listenKeyPut)}
	routes["DELETE /fapi/v1/listenKey"] = route{1, false, permNone, userStream((*Server).listenKeyDelete)}
}

// userStream checks the caller's key for a listenKey call and runs do
// with it under the lock, the streams started.
func userStream(do func(s *Server, c *call, key Key)) func(*Server, *call) {
	return func(s *Server, c *call) {
		apiKey := c.r.Header.Get("X-MBX-APIKEY")
		key, ok := s.Store.Key(apiKey)
		if apiKey == "" || !ok || !key.EnableFutures {
			c.fail(401, -2015, "Invalid API-key, IP, or permissions for action, request ip: "+fakex.RemoteIP(c.r))
			return
		}
		s.StartWS(WSConfig{})
		s.mu.Lock()
		defer s.mu.Unlock()
		do(s, c, key)
	}
}

func (s *Server) listenKeyPost(c *call, key Key) {
	// An account with an active key gets the same key back, extended.
	if name := s.ws.byAPI[key.APIKey]; s.keys.Extend(name, time.Now()) {
		c.json(200, map[string]string{"listenKey": name})
		return
	}
	name := s.keys.Make(key.APIKey, time.Now())
	s.ws.byAPI[key.APIKey] = name
	c.json(200, map[string]string{"listenKey": name})
}

func (s *Server) listenKeyPut(c *call, key Key) {
	name := s.ws.byAPI[key.APIKey]
	if !s.keys.Extend(name, time.Now()) {
		c.fail(400, -1125, "This listenKey does not exist.")
		return
	}
	c.json(200, map[string]string{"listenKey": name})
}

func (s *Server) listenKeyDelete(c *call, key Key) {
	if name := s.ws.byAPI[key.APIKey]; name != "" {
		s.keys.Close(name)
		delete(s.ws.byAPI, key.APIKey)
	}
	c.json(200, map[string]any{})
}

// tellExpired sends listenKeyExpired to a connection on an expired
// listenKey; it gets nothing more and stays open.
func (s *Server) tellExpired(c *wsConn, k fakews.ListenKey) {
	c.event(k.Name, map[string]any{"e": "listenKeyExpired", "E": strconv.FormatInt(s.Now().UnixMilli(), 10), "listenKey": k.Name})
}

// liveKeys reports whether every one of names is a live listenKey, and
// refuses the handshake with -1125 itself when one is not.
func (s *Server) liveKeys(w http.ResponseWriter, names ...string) bool {
	s.mu.Lock()
	live := !slices.ContainsFunc(names, func(name string) bool { return !s.keys.Live(name) })
	s.mu.Unlock()
	if !live {
		http.Error(w, `{"code":-1125,"msg":"This listenKey does not exist."}`, http.StatusBadRequest)
	}
	return live
}

func (s *Server) servePrivate(w http.ResponseWriter, r *http.Request) {
	name := r.URL.Query().Get("listenKey")
	if !s.liveKeys(w, name) {
		return
	}
	wc, _, ok := s.accept(w, r)
	if !ok {
		return
	}
	defer s.release(wc)
	s.mu.Lock()
	s.keys.Join(name, wc)
	s.mu.Unlock()
	// Nothing is expected from the client in ws mode; reading keeps the
	// pongs flowing and notices the close.
	wc.ReadEach(func(websocket.MessageType, []byte) bool { return true })
}

// servePrivateStream is /private/stream: any number of listenKeys (up to
// MaxStreams) given in the query or subscribed with JSON SUBSCRIBE, and
// left with UNSUBSCRIBE, each acknowledged with {"result":null,"id":..}.
// A listenKey that does not exist is refused at the handshake (query) or
// with {"error":{"code":-1125,..},"id":..} (SUBSCRIBE); Binance documents
// neither answer for this path, so the fake answers as its REST side
// does. A client sending more than MaxMessages messages a second is cut,
// as Binance does.
func (s *Server) servePrivateStream(w http.ResponseWriter, r *http.Request) {
	names := r.URL.Query()["listenKey"]
	if !s.liveKeys(w, names...) {
		return
	}
	s.mu.Lock()
	cfg := s.ws.cfg
	s.mu.Unlock()
	if len(names) > cfg.MaxStreams {
		http.Error(w, `{"code":-1128,"msg":"Too many streams."}`, http.StatusBadRequest)
		return
	}
	wc, _, ok := s.accept(w, r)
	if !ok {
		return
	}
	defer s.release(wc)
	wc.wrap = true
	for _, name := range names {
		s.subscribeKey(wc, name)
	}
	window := fakex.NewWindow(int64(cfg.MaxMessages), time.Second)
	wc.ReadEach(func(typ websocket.MessageType, b []byte) bool {
		if _, ok := window.Spend(time.Now(), 1); !ok {
			_ = wc.WS.Close(websocket.StatusPolicyViolation, "too many messages")
			return false
		}
		var req struct {
			Method string          `json:"method"`
			Params []string        `json:"params"`
			ID     json.RawMessage `json:"id"`
		}
		if typ != websocket.MessageText || json.Unmarshal(b, &req) != nil || len(req.ID) == 0 {
			wc.write(map[string]any{"error": map[string]any{"code": 2, "msg": "Invalid request"}, "id": nil})
			return true
		}
		switch req.Method {
		case "SUBSCRIBE":
			if code, msg := s.subscribeKeys(wc, req.Params); code != 0 {
				wc.write(map[string]any{"error": map[string]any{"code": code, "msg": msg}, "id": req.ID})
				return true
			}
		case "UNSUBSCRIBE":
			s.unsubscribeKeys(wc, req.Params)
		default:
			wc.write(map[string]any{"error": map[string]any{"code": 2, "msg": "Invalid request: unknown method"}, "id": req.ID})
			return true
		}
		wc.write(map[string]any{"result": nil, "id": req.ID})
		return true
	})
}

// subscribeKeys adds names to wc, all or none.
func (s *Server) subscribeKeys(wc *wsConn, names []string) (code int, msg string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, name := range names {
		if !s.keys.Live(name) {
			return -1125, "This listenKey does not exist."
		}
	}
	if wc.streams+len(names) > s.ws.cfg.MaxStreams {
		return -1128, "Too many streams."
	}
	for _, name := range names {
		s.subscribeKeyLocked(wc, name)
	}
	return 0, ""
}

func (s *Server) subscribeKey(wc *wsConn, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.subscribeKeyLocked(wc, name)
}

func (s *Server) subscribeKeyLocked(wc *wsConn, name string) {
	if !s.keys.Join(name, wc) {
		return
	}
	wc.streams++
	s.Counters.FuturesSubscriptions++
}

func (s *Server) unsubscribeKeys(wc *wsConn, names []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, name := range names {
		if s.keys.Leave(name, wc) {
			wc.streams--
		}
	}
}

// futuresConns are the live connections on apiKey's current listenKey,
// and its name.
func (s *Server) futuresConns(apiKey string) ([]*wsConn, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ws == nil {
		return nil, ""
	}
	name := s.ws.byAPI[apiKey]
	if s.keys.Live(name) {
		return s.keys.Conns(name), name
	}
	return nil, ""
}

// SetFutures sets the wallet balance of apiKey's USDT futures asset and
// pushes ACCOUNT_UPDATE with that balance row only.
func (s *Server) SetFutures(apiKey, wallet string) {
	s.Update(apiKey, func(a *Account) {
		i := slices.IndexFunc(a.Futures, func(f FuturesAsset) bool { return f.Asset == "USDT" })
		if i < 0 {
			a.Futures = append(a.Futures, FuturesAsset{Asset: "USDT", UnrealizedProfit: "0", AvailableBalance: wallet})
			i = len(a.Futures) - 1
		}
		a.Futures[i].WalletBalance = wallet
		a.Futures[i].MarginBalance = fakex.Amount(wallet).Add(fakex.Amount(a.Futures[i].UnrealizedProfit)).String()
	})
	s.pushFutures(apiKey, map[string]any{"m": "DEPOSIT",
		"B": []any{walletRow(FuturesAsset{Asset: "USDT", WalletBalance: wallet})}, "P": []any{}})
}

// walletRow is an ACCOUNT_UPDATE balance row: the wallet and cross wallet
// balance of f (the fake's wallets are all cross), no balance change.
func walletRow(f FuturesAsset) map[string]string {
	return map[string]string{"a": f.Asset, "wb": f.WalletBalance, "cw": f.WalletBalance, "bc": "0"}
}

// positionRow is an ACCOUNT_UPDATE position row of p, a cross position.
func positionRow(p Position) map[string]string {
	return map[string]string{"s": p.Symbol, "pa": p.PositionAmt, "ep": p.EntryPrice, "bep": p.EntryPrice,
		"cr": "0", "up": p.UnRealizedProfit, "mt": "cross", "iw": "0", "ps": p.PositionSide}
}

// SetPosition sets a position row (amount signed; "0" closes it) and
// pushes ACCOUNT_UPDATE with that row only.
func (s *Server) SetPosition(apiKey string, p Position) {
	s.Update(apiKey, func(a *Account) {
		a.Positions, _, _ = fakews.SetRow(a.Positions, p, fakex.Amount(p.PositionAmt).IsZero(),
			func(x Position) bool { return x.Symbol == p.Symbol && x.PositionSide == p.PositionSide })
	})
	s.pushFutures(apiKey, map[string]any{"m": "ORDER", "B": []any{}, "P": []any{positionRow(p)}})
}

func (s *Server) pushFutures(apiKey string, a map[string]any) {
	now := s.Now().UnixMilli()
	ev := map[string]any{"e": "ACCOUNT_UPDATE", "E": now, "T": now, "a": a}
	conns, name := s.futuresConns(apiKey)
	for _, c := range conns {
		if s.lose() {
			continue
		}
		c.event(name, ev)
	}
}
