package fake

// The private WebSocket (/ws/v5/private), as strictly as OKX documents it:
//
//   - login: {"op":"login","args":[{apiKey, passphrase, timestamp, sign}]}
//     with exactly those four string fields; the timestamp in Unix seconds
//     (60004 when malformed, 60006 when more than 30 s from the server's
//     clock), the key (60005), the base64 HMAC-SHA256 of
//     timestamp+"GET"+"/users/self/verify" recomputed (60007), the
//     passphrase (60024); one login per connection (60031), so one account
//     per connection;
//   - subscribe before login: 60011; login, subscribe and unsubscribe
//     count 480 per hour per connection (60014 beyond);
//   - account, positions and balance_and_position send a snapshot on
//     subscribe (account and positions paged, with curPage and lastPage),
//     then event_update pushes of the changed rows only; account and
//     positions also re-send whole snapshots on a timer unless
//     extraParams' updateInterval is "0"; orders sends no snapshot; only
//     non-zero balances and positions appear in snapshots;
//   - at most ChannelConns connections per channel per user: the next gets
//     its subscribe ack and then channel-conn-count-error, and no data;
//   - the text ping is answered with the text pong; a connection with no
//     frame in either direction for IdleTimeout is closed with 4004;
//   - new connections are limited per IP (3 per second), refused with
//     HTTP 429 (the status OKX uses is undocumented);
//   - with a Lifetime, the notice 64008 goes out NoticeBefore the cut, as
//     OKX does before a service upgrade.
//
// Tests change state with SetBalance and SetPosition, which push the
// documented events; DropEvents loses a share of the event pushes and
// CutStreams closes every connection, so that tests can prove the client
// heals.

import (
	"cmp"
	crand "crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/coder/websocket"
	"github.com/globalautomation/gahost/sdk/fakews"
	"github.com/globalautomation/gahost/sdk/fakex"
	"github.com/globalautomation/gahost/sdk/sign"
	"github.com/globalautomation/gahost/sdk/stream"
	"github.com/shopspring/decimal"
)

// WSConfig is the private stream's clock and limits; zero fields take
// OKX's documented values (or, where OKX documents none, the one named).
type WSConfig struct {
	IdleTimeout     time.Duration // 30 s without a frame either way: close 4004
	LoginWindow     time.Duration // 30 s either side of the server's clock
	ConnLimit       int           // 3 new connections ...
	ConnWindow      time.Duration // ... per second per IP
	MaxConns        int           // concurrent connections per IP; 0: no cap (OKX documents none)
	ChannelConns    int           // 30 connections per channel per user
	RequestsPerHour int           // 480 logins, subscribes and unsubscribes per connection
	PageSize        int           // rows per snapshot page: 100 (OKX does not say)
	AccountEvery    time.Duration // the account channel's regular snapshot: 10 s (OKX does not say)
	PositionsEvery  time.Duration // the positions channel's regular snapshot: 5 s
	Lifetime        time.Duration // a connection's life; 0: unlimited (OKX documents none)
	NoticeBefore    time.Duration // notice 64008 this long before the Lifetime cut: 60 s
	// OmitZeroUpdates makes a currency or position that drops to zero get
	// no event push at all, so that only the next snapshot drops it: the
	// reading of the docs ("only currencies with non-zero balance will be
	// pushed") a client must survive, as OKX does not say which is true.
	OmitZeroUpdates bool
}

func (c WSConfig) withDefaults() WSConfig {
	stream.Defaults(&c, WSConfig{
		IdleTimeout: 30 * time.Second, LoginWindow: 30 * time.Second, ConnWindow: time.Second,
		AccountEvery: 10 * time.Second, PositionsEvery: 5 * time.Second, NoticeBefore: 60 * time.Second,
		ConnLimit: 3, ChannelConns: 30, RequestsPerHour: 480, PageSize: 100})
	return c
}

// WSStats counts what the private stream did, for tests: the hub's counts
// and what the fake counts itself, under its lock.
type WSStats struct {
	fakews.Counts
	Logins        int // successful logins
	Subscriptions int // channels subscribed successfully
	Pings         int // text pings answered
	Pages         int // snapshot pages sent
	IdleCuts      int // connections closed with 4004
}

type wsState struct {
	cfg       WSConfig
	chanConns map[string]int // uid + channel -> connections subscribed
}

// wsSub is one channel a connection subscribed to.
type wsSub struct {
	arg     map[string]string
	regular time.Duration // 0: events only
	stop    chan struct{}
}

// wsConn is one connection; its Mu orders writes and is taken before
// Server.mu, never after. It is Touched by every frame either way.
type wsConn struct {
	*fakews.Conn
	id string

	// Guarded by Server.mu.
	apiKey string // logged in as; "" before login
	uid    string
	subs   map[string]*wsSub
	reqs   *fakex.Window
}

// writeLocked sends one frame; the caller holds Mu.
func (w *wsConn) writeLocked(v any) {
	if w.SendLocked(v) == nil {
		w.Touch()
	}
}

func (w *wsConn) write(v any) {
	w.Mu.Lock()
	defer w.Mu.Unlock()
	w.writeLocked(v)
}

// openStreams makes the stream's state from cfg, under the fake's lock
// (fakews.Streams.StartWS calls it once). The base StartWS returns is
// what the connector's ws endpoint takes ("ws://127.0.0.1:1234").
func (s *Server) openStreams(cfg WSConfig) (fakews.Limits, map[string]http.HandlerFunc) {
	cfg = cfg.withDefaults()
	s.ws = &wsState{cfg: cfg, chanConns: map[string]int{}}
	return fakews.Limits{ConnLimit: cfg.ConnLimit, ConnWindow: cfg.ConnWindow, MaxConns: cfg.MaxConns,
			Refusal: `{"event":"error","code":"60014","msg":"Requests too frequent."}`, ReadLimit: 1 << 20},
		map[string]http.HandlerFunc{"/ws/v5/private": s.servePrivate}
}

// Command is the fake as fakews.Main runs it, its stream started with
// cfg; POST /spot sets a currency of the trading account: available what
// is free, the equity the frozen part too.
func (s *Server) Command(cfg WSConfig) fakews.Command[Key, Account] {
	return fakews.Command[Key, Account]{Server: s.Server, Add: s.Replace, Switches: s,
		StartWS: func() string { return s.StartWS(cfg) }, Stats: func() any { return s.WSStats() },
		SetSpot: func(apiKey, asset, free, locked string) {
			eq := decimal.RequireFromString(free).Add(decimal.RequireFromString(locked)).String()
			s.SetBalance(apiKey, Balance{Ccy: asset, Eq: eq, CashBal: eq, AvailBal: free, AvailEq: free, FrozenBal: locked, Upl: "0"})
		}}
}

// WSStats reports the stream's counters (the embedded Streams' Stats).
func (s *Server) WSStats() WSStats { return s.Stats() }

func connID() string {
	b := make([]byte, 4)
	_, _ = crand.Read(b)
	return hex.EncodeToString(b)
}

func (s *Server) servePrivate(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	cfg := s.ws.cfg
	s.mu.Unlock()
	wc, _, ok := s.Hub().Accept(w, r, func(c *fakews.Conn) *wsConn {
		return &wsConn{Conn: c, id: connID(), subs: map[string]*wsSub{}, reqs: fakex.NewWindow(int64(cfg.RequestsPerHour), time.Hour)}
	})
	if !ok {
		return
	}
	defer s.releaseConn(wc)
	go s.watchConn(wc, cfg)
	wc.ReadEach(func(typ websocket.MessageType, b []byte) bool {
		wc.Touch()
		if typ == websocket.MessageText && string(b) == "ping" {
			s.mu.Lock()
			s.Counters.Pings++
			s.mu.Unlock()
			wc.write("pong")
			return true
		}
		s.handleOp(wc, b)
		return true
	})
}

// watchConn closes a connection that has been silent both ways for
// IdleTimeout (4004), and, with a Lifetime, sends the service-upgrade
// notice and then cuts it.
func (s *Server) watchConn(wc *wsConn, cfg WSConfig) {
	tick := time.NewTicker(max(cfg.IdleTimeout/20, time.Millisecond))
	defer tick.Stop()
	var notice, end <-chan time.Time
	if cfg.Lifetime > 0 {
		notice = time.After(max(cfg.Lifetime-cfg.NoticeBefore, 0))
		end = time.After(cfg.Lifetime)
	}
	for {
		select {
		case <-wc.Context().Done():
			_ = wc.WS.CloseNow()
			return
		case <-notice:
			wc.write(map[string]string{"event": "notice", "code": "64008",
				"msg": "The connection will soon be closed for a service upgrade. Please reconnect.", "connId": wc.id})
		case <-end:
			_ = wc.WS.Close(websocket.StatusServiceRestart, "service upgrade")
			wc.Cut()
			return
		case now := <-tick.C:
			if wc.Idle(now) > cfg.IdleTimeout {
				s.mu.Lock()
				s.Counters.IdleCuts++
				s.mu.Unlock()
				_ = wc.WS.Close(4004, "No data received in 30s.")
				wc.Cut()
				return
			}
		}
	}
}

func (s *Server) releaseConn(wc *wsConn) {
	s.Hub().Release(wc)
	s.mu.Lock()
	defer s.mu.Unlock()
	for ch, sub := range wc.subs {
		close(sub.stop)
		s.ws.chanConns[wc.uid+"|"+ch]--
	}
	wc.subs = map[string]*wsSub{}
}

// wsError is an error event. OKX echoes the request in some messages;
// the fake does too, so that a client that copies them into its errors
// is caught leaking what it sent.
func wsErrorEvent(wc *wsConn, id, code, msg string) map[string]string {
	ev := map[string]string{"event": "error", "code": code, "msg": msg, "connId": wc.id}
	if id != "" {
		ev["id"] = id
	}
	return ev
}

type wsOp struct {
	ID   string            `json:"id"`
	Op   string            `json:"op"`
	Args []json.RawMessage `json:"args"`
}

var reqID = regexp.MustCompile(`^[A-Za-z0-9]{1,32}$`)

func (s *Server) handleOp(wc *wsConn, b []byte) {
	var op wsOp
	if json.Unmarshal(b, &op) != nil || op.Op == "" || (op.ID != "" && !reqID.MatchString(op.ID)) {
		wc.write(wsErrorEvent(wc, "", "60012", "Invalid request: "+string(b)))
		return
	}
	switch op.Op {
	case "login", "subscribe", "unsubscribe":
	default:
		wc.write(wsErrorEvent(wc, op.ID, "60012", "Invalid request: "+string(b)))
		return
	}
	s.mu.Lock()
	_, ok := wc.reqs.Spend(time.Now(), 1)
	s.mu.Unlock()
	if !ok {
		wc.write(wsErrorEvent(wc, op.ID, "60014", "Requests too frequent."))
		return
	}
	switch op.Op {
	case "login":
		s.login(wc, op, b)
	case "subscribe":
		s.subscribe(wc, op, b)
	case "unsubscribe":
		s.unsubscribe(wc, op, b)
	}
}

var digits = regexp.MustCompile(`^[0-9]{1,12}$`)

func (s *Server) login(wc *wsConn, op wsOp, raw []byte) {
	fail := func(code, msg string) { wc.write(wsErrorEvent(wc, op.ID, code, msg)) }
	if len(op.Args) != 1 {
		fail("60012", "Invalid request: "+string(raw))
		return
	}
	var fields map[string]any
	if json.Unmarshal(op.Args[0], &fields) != nil || len(fields) != 4 {
		fail("60012", "Invalid request: "+string(raw))
		return
	}
	get := map[string]string{}
	for _, k := range []string{"apiKey", "passphrase", "timestamp", "sign"} {
		v, ok := fields[k].(string)
		if !ok || v == "" {
			fail("60012", "Invalid request: "+string(raw))
			return
		}
		get[k] = v
	}
	s.mu.Lock()
	already := wc.apiKey != ""
	key, known := s.Store.KeyLocked(get["apiKey"])
	window := s.ws.cfg.LoginWindow
	s.mu.Unlock()
	if already {
		fail("60031", "The WebSocket endpoint does not allow multiple or repeated logins.")
		return
	}
	if !digits.MatchString(get["timestamp"]) {
		fail("60004", "Invalid timestamp")
		return
	}
	ts, _ := strconv.ParseInt(get["timestamp"], 10, 64)
	if d := s.Now().Sub(time.Unix(ts, 0)); d > window || d < -window {
		fail("60006", "Timestamp request expired")
		return
	}
	if !known {
		fail("60005", "Invalid apiKey")
		return
	}
	if !sign.Equal(get["sign"], sign.Base64(key.Secret, get["timestamp"]+"GET/users/self/verify")) {
		fail("60007", "Invalid sign")
		return
	}
	if !sign.Equal(get["passphrase"], key.Passphrase) {
		fail("60024", "Wrong passphrase")
		return
	}
	s.mu.Lock()
	if wc.apiKey != "" { // a concurrent login on the same connection won
		s.mu.Unlock()
		fail("60031", "The WebSocket endpoint does not allow multiple or repeated logins.")
		return
	}
	wc.apiKey, wc.uid = key.APIKey, key.UID
	s.Counters.Logins++
	s.mu.Unlock()
	wc.write(map[string]string{"event": "login", "code": "0", "msg": "", "connId": wc.id})
}

// Channels OKX counts per user for the connection limit.
var countedChannels = []string{"orders", "account", "positions", "balance_and_position", "liquidation-warning", "account-greeks"}

func (s *Server) subscribe(wc *wsConn, op wsOp, raw []byte) {
	var args []map[string]string
	for _, a := range op.Args {
		var m map[string]string
		if json.Unmarshal(a, &m) != nil || m["channel"] == "" {
			wc.write(wsErrorEvent(wc, op.ID, "60012", "Invalid request: "+string(raw)))
			return
		}
		args = append(args, m)
	}
	if len(args) == 0 {
		wc.write(wsErrorEvent(wc, op.ID, "60012", "Invalid request: "+string(raw)))
		return
	}
	for _, m := range args {
		regular, ok := s.checkArg(m)
		if !ok {
			wc.write(wsErrorEvent(wc, op.ID, "60018", "Wrong URL or channel:"+m["channel"]+", doesn't exist. Please use the correct URL, channel and parameters referring to API document."))
			return
		}
		// The ack, the count and the snapshot go out under the write lock,
		// and the subscription is registered under it: an event on the
		// account queues behind the snapshot, never ahead of it.
		wc.Mu.Lock()
		s.mu.Lock()
		if wc.apiKey == "" {
			s.mu.Unlock()
			wc.writeLocked(wsErrorEvent(wc, op.ID, "60011", "Please log in"))
			wc.Mu.Unlock()
			return
		}
		ch := m["channel"]
		ack := map[string]any{"event": "subscribe", "arg": m, "connId": wc.id}
		if op.ID != "" {
			ack["id"] = op.ID
		}
		_, again := wc.subs[ch]
		counted := slices.Contains(countedChannels, ch)
		n := s.ws.chanConns[wc.uid+"|"+ch]
		if counted && !again && n >= s.ws.cfg.ChannelConns {
			s.mu.Unlock()
			wc.writeLocked(ack)
			wc.writeLocked(map[string]string{"event": "channel-conn-count-error", "channel": ch, "connCount": strconv.Itoa(n), "connId": wc.id})
			wc.Mu.Unlock()
			continue
		}
		if again {
			close(wc.subs[ch].stop)
		} else {
			s.ws.chanConns[wc.uid+"|"+ch]++
			n++
		}
		sub := &wsSub{arg: m, regular: regular, stop: make(chan struct{})}
		wc.subs[ch] = sub
		s.Counters.Subscriptions++
		pages := s.snapshotLocked(wc, sub)
		s.Counters.Pages += len(pages)
		s.mu.Unlock()
		wc.writeLocked(ack)
		if counted {
			wc.writeLocked(map[string]string{"event": "channel-conn-count", "channel": ch, "connCount": strconv.Itoa(n), "connId": wc.id})
		}
		for _, p := range pages {
			wc.writeLocked(p)
		}
		wc.Mu.Unlock()
		if sub.regular > 0 {
			go s.regularPush(wc, ch, sub)
		}
	}
}

// checkArg validates a subscription's arguments and reads its regular
// push interval.
func (s *Server) checkArg(m map[string]string) (regular time.Duration, ok bool) {
	s.mu.Lock()
	cfg := s.ws.cfg
	s.mu.Unlock()
	switch m["channel"] {
	case "account":
		regular = cfg.AccountEvery
	case "positions":
		if !slices.Contains([]string{"ANY", "MARGIN", "SWAP", "FUTURES", "OPTION"}, m["instType"]) {
			return 0, false
		}
		regular = cfg.PositionsEvery
	case "balance_and_position", "orders":
		if m["channel"] == "orders" && m["instType"] == "" {
			return 0, false
		}
		return 0, true
	default:
		return 0, false
	}
	if x, set := m["extraParams"]; set {
		// A JSON string: "{\"updateInterval\": \"0\"}".
		var p struct {
			UpdateInterval string `json:"updateInterval"`
		}
		if json.Unmarshal([]byte(x), &p) != nil {
			return 0, false
		}
		switch p.UpdateInterval {
		case "0":
			regular = 0
		case "2000", "3000", "4000":
			if m["channel"] != "positions" {
				return 0, false
			}
			ms, _ := strconv.Atoi(p.UpdateInterval)
			regular = time.Duration(ms) * time.Millisecond
		case "":
		default:
			return 0, false
		}
	}
	return regular, true
}

func (s *Server) unsubscribe(wc *wsConn, op wsOp, raw []byte) {
	for _, a := range op.Args {
		var m map[string]string
		if json.Unmarshal(a, &m) != nil || m["channel"] == "" {
			wc.write(wsErrorEvent(wc, op.ID, "60012", "Invalid request: "+string(raw)))
			return
		}
		s.mu.Lock()
		if wc.apiKey == "" {
			s.mu.Unlock()
			wc.write(wsErrorEvent(wc, op.ID, "60011", "Please log in"))
			return
		}
		if sub, ok := wc.subs[m["channel"]]; ok {
			close(sub.stop)
			delete(wc.subs, m["channel"])
			s.ws.chanConns[wc.uid+"|"+m["channel"]]--
		}
		s.mu.Unlock()
		ack := map[string]any{"event": "unsubscribe", "arg": m, "connId": wc.id}
		if op.ID != "" {
			ack["id"] = op.ID
		}
		wc.write(ack)
	}
}

// regularPush re-sends a channel's whole snapshot on its timer. The write
// lock is taken before the state is read, so a snapshot never goes out
// after an event newer than it.
func (s *Server) regularPush(wc *wsConn, ch string, sub *wsSub) {
	t := time.NewTicker(sub.regular)
	defer t.Stop()
	for {
		select {
		case <-wc.Context().Done():
			return
		case <-sub.stop:
			return
		case <-t.C:
		}
		wc.Mu.Lock()
		s.mu.Lock()
		if wc.subs[ch] != sub {
			s.mu.Unlock()
			wc.Mu.Unlock()
			return
		}
		pages := s.snapshotLocked(wc, sub)
		s.Counters.Pages += len(pages)
		s.mu.Unlock()
		for _, p := range pages {
			wc.writeLocked(p)
		}
		wc.Mu.Unlock()
	}
}

// --- the pushes' shapes ---

func nonZero(vs ...string) bool {
	for _, v := range vs {
		if !dec(v).IsZero() {
			return true
		}
	}
	return false
}

func (s *Server) detailRow(b Balance, now int64) map[string]string {
	return map[string]string{
		"ccy": b.Ccy, "eq": b.Eq, "cashBal": b.CashBal, "availBal": b.AvailBal, "availEq": b.AvailEq,
		"frozenBal": b.FrozenBal, "ordFrozen": "0", "upl": b.Upl, "eqUsd": b.Eq, "disEq": b.Eq,
		"isoEq": "0", "liab": "", "interest": "", "maxLoan": "", "uTime": ms(now),
	}
}

func accountObject(details []map[string]string, total decimal.Decimal, now int64) map[string]any {
	return map[string]any{
		"uTime": ms(now), "totalEq": total.String(), "isoEq": "0", "adjEq": "", "availEq": "", "ordFroz": "",
		"imr": "", "mmr": "", "mgnRatio": "", "notionalUsd": "", "upl": "", "borrowFroz": "", "details": details,
	}
}

func (s *Server) positionRowLocked(p Position, now int64) map[string]string {
	ccy := "USDT"
	if in, ok := s.insts[p.InstID]; ok && in.SettleCcy != "" {
		ccy = in.SettleCcy
	}
	margin, imr := "", p.Upl
	if p.MgnMode == "isolated" {
		margin, imr = "1", ""
	}
	return map[string]string{
		"instType": cmp.Or(p.InstType, "SWAP"), "instId": p.InstID, "mgnMode": p.MgnMode, "posId": "1752810569801498626",
		"posSide": p.PosSide, "pos": p.Pos, "availPos": "", "ccy": ccy, "posCcy": "",
		"avgPx": p.AvgPx, "markPx": p.MarkPx, "last": p.MarkPx, "idxPx": p.MarkPx, "upl": p.Upl,
		"uplRatio": "0", "lever": p.Lever, "liqPx": p.LiqPx, "imr": imr, "margin": margin, "mmr": "0",
		"mgnRatio": "", "notionalUsd": "0", "adl": "1", "realizedPnl": "0", "pnl": "0", "fee": "0",
		"fundingFee": "0", "tradeId": "785524470", "cTime": ms(now), "uTime": ms(now), "pTime": ms(now),
	}
}

// positionMatches applies a positions subscription's filters.
func positionMatches(arg map[string]string, p Position) bool {
	typ := cmp.Or(p.InstType, "SWAP")
	if t := arg["instType"]; t != "ANY" && t != typ {
		return false
	}
	if id := arg["instId"]; id != "" {
		return id == p.InstID
	}
	if fam := arg["instFamily"]; fam != "" {
		return strings.HasPrefix(p.InstID, fam+"-")
	}
	return true
}

// snapshotLocked is a subscription's whole snapshot, paged. s.mu is held.
func (s *Server) snapshotLocked(wc *wsConn, sub *wsSub) []map[string]any {
	a := s.Store.AccountLocked(wc.apiKey)
	if a == nil {
		a = &Account{}
	}
	now := s.Now().UnixMilli()
	ch := sub.arg["channel"]
	arg := map[string]string{"channel": ch, "uid": wc.uid}
	for k, v := range sub.arg {
		if k != "channel" && k != "extraParams" {
			arg[k] = v
		}
	}
	size := s.ws.cfg.PageSize
	paged := func(n int, page func(lo, hi int) []any) []map[string]any {
		var out []map[string]any
		for lo := 0; lo == 0 || lo < n; lo += size {
			hi := min(lo+size, n)
			out = append(out, map[string]any{"arg": arg, "eventType": "snapshot", "curPage": len(out) + 1,
				"lastPage": hi >= n, "data": page(lo, hi)})
		}
		return out
	}
	switch ch {
	case "account":
		var rows []map[string]string
		total := decimal.Zero
		for _, b := range a.Balances {
			if c := sub.arg["ccy"]; c != "" && c != b.Ccy {
				continue
			}
			if nonZero(b.Eq, b.AvailEq, b.AvailBal) {
				rows = append(rows, s.detailRow(b, now))
				total = total.Add(dec(b.Eq))
			}
		}
		// Each page is an account object holding a share of the details.
		return paged(len(rows), func(lo, hi int) []any {
			return []any{accountObject(rows[lo:hi], total, now)}
		})
	case "positions":
		var rows []any
		for _, p := range a.Positions {
			if positionMatches(sub.arg, p) && nonZero(p.Pos) {
				rows = append(rows, s.positionRowLocked(p, now))
			}
		}
		return paged(len(rows), func(lo, hi int) []any { return slices.Clone(rows[lo:hi]) })
	case "balance_and_position":
		bal, pos := []any{}, []any{}
		for _, b := range a.Balances {
			if nonZero(b.CashBal) {
				bal = append(bal, map[string]string{"ccy": b.Ccy, "cashBal": b.CashBal, "uTime": ms(now)})
			}
		}
		for _, p := range a.Positions {
			if nonZero(p.Pos) {
				pos = append(pos, s.bapPosition(p, now))
			}
		}
		return []map[string]any{{"arg": arg, "data": []any{map[string]any{"pTime": ms(now), "eventType": "snapshot",
			"balData": bal, "posData": pos, "trades": []any{}}}}}
	}
	return nil // orders: no snapshot
}

func (s *Server) bapPosition(p Position, now int64) map[string]string {
	return map[string]string{"posId": "1752810569801498626", "tradeId": "785524470", "instId": p.InstID,
		"instType": cmp.Or(p.InstType, "SWAP"), "mgnMode": p.MgnMode, "posSide": p.PosSide, "pos": p.Pos,
		"ccy": "USDT", "posCcy": "", "avgPx": p.AvgPx, "nonSettleAvgPx": "", "settledPnl": "", "uTime": ms(now)}
}

// --- state changes and their events ---

type push struct {
	conn *wsConn
	msg  map[string]any
}

// SetBalance sets (or adds) a currency of apiKey's trading account and
// pushes the documented events: an account event_update with that
// currency's row only, and a balance_and_position push with its cash
// balance.
func (s *Server) SetBalance(apiKey string, b Balance) {
	var out []push
	s.Store.Change(apiKey, func(a *Account) {
		a.Balances, _, _ = fakews.SetRow(a.Balances, b, false, func(x Balance) bool { return x.Ccy == b.Ccy })
		out = s.balancePushesLocked(apiKey, a, []Balance{b})
	})
	s.send(out)
}

// balancePushesLocked are the events of changed currencies bs of apiKey's
// account a (as it is after the change): an account event_update with
// their rows, each subscription getting those its ccy filter lets
// through, and a balance_and_position push with their cash balances. A
// zero row is left out where OmitZeroUpdates says so. s.mu is held.
func (s *Server) balancePushesLocked(apiKey string, a *Account, bs []Balance) []push {
	total := decimal.Zero
	for _, x := range a.Balances {
		total = total.Add(dec(x.Eq))
	}
	now := s.Now().UnixMilli()
	if s.ws != nil && s.ws.cfg.OmitZeroUpdates {
		bs = slices.DeleteFunc(slices.Clone(bs), func(b Balance) bool { return !nonZero(b.Eq, b.AvailEq, b.AvailBal) })
	}
	var out []push
	for _, wc := range s.connsLocked(apiKey) {
		if len(bs) == 0 {
			break
		}
		if sub := wc.subs["account"]; sub != nil {
			var rows []map[string]string
			for _, b := range bs {
				if sub.arg["ccy"] == "" || sub.arg["ccy"] == b.Ccy {
					rows = append(rows, s.detailRow(b, now))
				}
			}
			if len(rows) > 0 {
				out = append(out, push{wc, map[string]any{"arg": map[string]string{"channel": "account", "uid": wc.uid},
					"eventType": "event_update", "data": []any{accountObject(rows, total, now)}}})
			}
		}
		if wc.subs["balance_and_position"] != nil {
			bal := []any{}
			for _, b := range bs {
				bal = append(bal, map[string]string{"ccy": b.Ccy, "cashBal": b.CashBal, "uTime": ms(now)})
			}
			out = append(out, push{wc, map[string]any{"arg": map[string]string{"channel": "balance_and_position", "uid": wc.uid},
				"data": []any{map[string]any{"pTime": ms(now), "eventType": "transferred",
					"balData": bal, "posData": []any{}, "trades": []any{}}}}})
		}
	}
	return out
}

// SetPosition sets a position row (Pos "0" closes it) and pushes a
// positions event_update with that row only, and a balance_and_position
// push with it.
func (s *Server) SetPosition(apiKey string, p Position) {
	var out []push
	s.Store.Change(apiKey, func(a *Account) {
		a.Positions, _, _ = fakews.SetRow(a.Positions, p, !nonZero(p.Pos), func(x Position) bool {
			return x.InstID == p.InstID && x.PosSide == p.PosSide && x.MgnMode == p.MgnMode
		})
		out = s.positionPushesLocked(apiKey, []Position{p})
	})
	s.send(out)
}

// positionPushesLocked are the events of changed positions ps of apiKey
// (a closed one at Pos "0"): a positions event_update with the rows each
// subscription's filters let through, and a balance_and_position push
// with them. A closed row is left out where OmitZeroUpdates says so. s.mu
// is held.
func (s *Server) positionPushesLocked(apiKey string, ps []Position) []push {
	now := s.Now().UnixMilli()
	if s.ws != nil && s.ws.cfg.OmitZeroUpdates {
		ps = slices.DeleteFunc(slices.Clone(ps), func(p Position) bool { return !nonZero(p.Pos) })
	}
	var out []push
	for _, wc := range s.connsLocked(apiKey) {
		if len(ps) == 0 {
			break
		}
		if sub := wc.subs["positions"]; sub != nil {
			var rows []any
			for _, p := range ps {
				if positionMatches(sub.arg, p) {
					rows = append(rows, s.positionRowLocked(p, now))
				}
			}
			if len(rows) > 0 {
				arg := map[string]string{"channel": "positions", "uid": wc.uid, "instType": sub.arg["instType"]}
				out = append(out, push{wc, map[string]any{"arg": arg, "eventType": "event_update", "data": rows}})
			}
		}
		if wc.subs["balance_and_position"] != nil {
			pos := []any{}
			for _, p := range ps {
				pos = append(pos, s.bapPosition(p, now))
			}
			out = append(out, push{wc, map[string]any{"arg": map[string]string{"channel": "balance_and_position", "uid": wc.uid},
				"data": []any{map[string]any{"pTime": ms(now), "eventType": "filled", "balData": []any{},
					"posData": pos, "trades": []any{}}}}})
		}
	}
	return out
}

// connsLocked are the logged-in connections of apiKey. s.mu is held.
func (s *Server) connsLocked(apiKey string) []*wsConn {
	if s.ws == nil {
		return nil
	}
	var out []*wsConn
	for _, wc := range s.Hub().Conns() {
		if wc.apiKey == apiKey {
			out = append(out, wc)
		}
	}
	return out
}

// send writes the pushes, losing the share DropEvents asks for.
func (s *Server) send(out []push) {
	for _, p := range out {
		if !s.Hub().Lose() {
			p.conn.write(p.msg)
		}
	}
}
