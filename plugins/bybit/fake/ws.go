package fake

// The V5 private stream (/v5/private), as strictly as the docs describe it:
//
//   - one auth op per connection: args [apiKey, expires, signature], where
//     expires is Unix milliseconds, a JSON number or a digit string (ccxt
//     sends a string), and must be later than the server's clock, and the
//     signature is the lower-case hex HMAC-SHA256 of "GET/realtime" +
//     expires. Every refusal answers success:false with "Params Error", the
//     text observed from V5 (the documented texts are unknown). A second
//     auth on the same connection is refused (the docs leave it undefined),
//     so that one connection carries one account;
//   - subscribe only after auth; known private topics only; an all-in-one
//     topic (position) and its categorised form (position.linear) never in
//     one request. The ack echoes req_id when one was sent;
//   - no snapshot on subscribe: wallet and position rows are pushed only
//     when something changes (SetCoin, SetPosition, and orders placed or
//     cancelled over REST), each position row whole, the wallet with the
//     account-level figures and only the coins that changed;
//   - the client pings ({"op":"ping"}) and gets {"op":"pong","args":[ms]};
//     a connection with no ping and no data for MaxActive (10 minutes, or
//     the max_active_time query, 30s to 600s) is cut;
//   - at most ConnLimit new connections per ConnWindow per IP (500 per 5
//     minutes), refused with HTTP 429 (the real status is unknown); an
//     optional per-IP cap on open connections (MaxConns) and an optional
//     Lifetime, both undocumented and off by default.
//
// DropEvents loses a share of the pushes, CutStreams closes every
// connection and SilencePongs stops answering pings, so that tests can
// prove the client heals.

import (
	crand "crypto/rand"
	"encoding/hex"
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/coder/websocket"
	"github.com/globalautomation/gahost/sdk/fakews"
	"github.com/globalautomation/gahost/sdk/sign"
	"github.com/globalautomation/gahost/sdk/stream"
	"github.com/shopspring/decimal"
)

// WSConfig is the stream's clock and limits; zero fields take Bybit's
// documented values (or none, where Bybit documents none).
type WSConfig struct {
	MaxActive  time.Duration // idle cut without max_active_time: 10 min
	Lifetime   time.Duration // a connection's maximum life: none documented, 0 = none
	ConnLimit  int           // new connections per ConnWindow per IP: 500 ...
	ConnWindow time.Duration // ... per 5 minutes
	MaxConns   int           // open connections per IP: none documented, 0 = none
}

func (c WSConfig) withDefaults() WSConfig {
	stream.Defaults(&c, WSConfig{MaxActive: 10 * time.Minute, ConnWindow: 5 * time.Minute, ConnLimit: 500})
	return c
}

// WSStats counts what the stream did, for tests: the hub's counts
// and what the fake counts itself, under its lock.
type WSStats struct {
	fakews.Counts
	Auths        int // successful auth ops
	AuthFailures int // refused auth ops
	Subscribes   int // successful subscribe ops
	Pings        int // pings answered
	IdleCuts     int // connections cut for silence
}

type wsConn struct {
	*fakews.Conn // Touched by pings and pushes
	id           string

	// under Server.mu
	apiKey string
	topics map[string]bool
}

func (w *wsConn) write(v any) { _ = w.Send(v) }

type wsState struct {
	cfg    WSConfig
	seq    map[string]int64 // per symbol: the cross sequence
	silent bool
}

// openStreams makes the stream's state from cfg, under the fake's lock
// (fakews.Streams.StartWS calls it once). The stream listens on its own
// loopback address, as the real one lives on another host than the REST
// API.
func (s *Server) openStreams(cfg WSConfig) (fakews.Limits, map[string]http.HandlerFunc) {
	cfg = cfg.withDefaults()
	s.ws = &wsState{cfg: cfg, seq: map[string]int64{}}
	return fakews.Limits{ConnLimit: cfg.ConnLimit, ConnWindow: cfg.ConnWindow, MaxConns: cfg.MaxConns,
		Refusal: "too many connections", Lifetime: cfg.Lifetime}, map[string]http.HandlerFunc{"/v5/private": s.servePrivate}
}

// Command is the fake as fakews.Main runs it, its stream started with
// cfg; POST /spot sets a coin of the unified wallet, which holds free and
// locked in one balance.
func (s *Server) Command(cfg WSConfig) fakews.Command[Key, Account] {
	return fakews.Command[Key, Account]{Server: s.Server, Add: s.Replace, Switches: s,
		StartWS: func() string { return s.StartWS(cfg) }, Stats: func() any { return s.Stats() },
		SetSpot: func(apiKey, asset, free, locked string) {
			wallet := decimal.RequireFromString(free).Add(decimal.RequireFromString(locked)).String()
			s.SetCoin(apiKey, Coin{Coin: asset, WalletBalance: wallet, Locked: locked, SpotBorrow: "0",
				Equity: wallet, UnrealisedPnl: "0", TotalOrderIM: "0", TotalPositionIM: "0"})
		}}
}

// SilencePongs stops (or resumes) answering pings; the connections stay
// open, as a half-dead one does.
func (s *Server) SilencePongs(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ws.silent = on
}

// maxActive reads max_active_time: a duration from 30s to 600s ("1m"
// too); anything else is refused, an arbitrary choice where the docs say
// nothing.
func maxActive(q string) (time.Duration, bool) {
	d, err := time.ParseDuration(q)
	return d, err == nil && d >= 30*time.Second && d <= 600*time.Second
}

func (s *Server) servePrivate(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	cfg := s.ws.cfg
	s.mu.Unlock()
	idle := cfg.MaxActive
	if q := r.URL.Query().Get("max_active_time"); q != "" {
		d, ok := maxActive(q)
		if !ok {
			http.Error(w, "max_active_time must be from 30s to 600s", http.StatusBadRequest)
			return
		}
		idle = d
	}
	hub := s.Hub()
	wc, _, ok := hub.Accept(w, r, func(c *fakews.Conn) *wsConn {
		b := make([]byte, 10)
		_, _ = crand.Read(b)
		return &wsConn{Conn: c, id: hex.EncodeToString(b) + "-2m", topics: map[string]bool{}}
	})
	if !ok {
		return
	}
	defer hub.Release(wc)
	wc.Every(max(idle/20, time.Millisecond), func(now time.Time) bool { return s.idleCut(wc, idle, now) })
	wc.GoAwayOnEnd("")
	wc.ReadEach(func(typ websocket.MessageType, b []byte) bool {
		var req struct {
			ReqID json.RawMessage   `json:"req_id"`
			Op    string            `json:"op"`
			Args  []json.RawMessage `json:"args"`
		}
		if typ != websocket.MessageText || json.Unmarshal(b, &req) != nil {
			wc.write(map[string]any{"success": false, "ret_msg": "Params Error", "conn_id": wc.id})
			return true
		}
		switch req.Op {
		case "auth":
			s.wsAuth(wc, req.ReqID, req.Args)
		case "subscribe", "unsubscribe":
			s.wsSubscribe(wc, req.Op, req.ReqID, req.Args)
		case "ping":
			s.mu.Lock()
			silent := s.ws.silent
			if !silent {
				s.Counters.Pings++
			}
			s.mu.Unlock()
			wc.Touch()
			if !silent {
				wc.write(withReqID(map[string]any{"op": "pong", "args": []string{strconv.FormatInt(s.Now().UnixMilli(), 10)}, "conn_id": wc.id}, req.ReqID))
			}
		default:
			wc.write(withReqID(map[string]any{"success": false, "ret_msg": "Params Error", "op": req.Op, "conn_id": wc.id}, req.ReqID))
		}
		return true
	})
}

// idleCut closes a connection that saw no ping and no push for idle, and
// then reports false. Bybit's own ticker scans every 30 s, so its cut is
// late by up to that; the fake's scans at a twentieth of idle.
func (s *Server) idleCut(wc *wsConn, idle time.Duration, now time.Time) bool {
	if wc.Idle(now) < idle {
		return true
	}
	s.mu.Lock()
	s.Counters.IdleCuts++
	s.mu.Unlock()
	wc.Cut()
	return false
}

func withReqID(m map[string]any, id json.RawMessage) map[string]any {
	if len(id) > 0 && string(id) != "null" {
		m["req_id"] = id
	}
	return m
}

// wsAuth checks the auth op.
func (s *Server) wsAuth(wc *wsConn, reqID json.RawMessage, args []json.RawMessage) {
	ok := s.checkAuth(wc, args)
	s.mu.Lock()
	if ok {
		s.Counters.Auths++
	} else {
		s.Counters.AuthFailures++
	}
	s.mu.Unlock()
	msg := ""
	if !ok {
		msg = "Params Error"
	}
	wc.write(withReqID(map[string]any{"success": ok, "ret_msg": msg, "op": "auth", "conn_id": wc.id}, reqID))
}

func (s *Server) checkAuth(wc *wsConn, args []json.RawMessage) bool {
	if len(args) != 3 {
		return false
	}
	var apiKey, sig string
	if json.Unmarshal(args[0], &apiKey) != nil || json.Unmarshal(args[2], &sig) != nil {
		return false
	}
	// expires: a number (the docs, pybit) or a digit string (ccxt).
	raw := strings.Trim(string(args[1]), `"`)
	if raw == "" || strings.Trim(raw, "0123456789") != "" {
		return false
	}
	expires, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || expires <= s.Now().UnixMilli() {
		return false
	}
	key, known := s.Store.Key(apiKey)
	if !known || key.Expired {
		return false
	}
	if len(key.IPs) > 0 && !slices.Contains(key.IPs, "*") && !slices.Contains(key.IPs, wc.IP) {
		return false
	}
	// Lower-case hex, compared exactly: what the docs' sample emits.
	if !sign.Equal(sig, sign.Hex(key.Secret, "GET/realtime"+raw)) {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if wc.apiKey != "" {
		return false // one account per connection
	}
	wc.apiKey = apiKey
	return true
}

// privateTopics are the topics /v5/private knows, by family; a family's
// bare name is its all-in-one topic.
var privateTopics = map[string][]string{
	"wallet":         nil,
	"greeks":         nil,
	"dcp":            nil,
	"execution.fast": nil,
	"position":       {"linear", "inverse", "option"},
	"order":          {"spot", "linear", "inverse", "option"},
	"execution":      {"spot", "linear", "inverse", "option"},
}

// topicFamily is the family of a known topic and whether it is
// categorised.
func topicFamily(t string) (family string, categorised, ok bool) {
	if _, ok := privateTopics[t]; ok {
		return t, false, true
	}
	fam, cat, found := strings.Cut(t, ".")
	if !found || !slices.Contains(privateTopics[fam], cat) {
		return "", false, false
	}
	return fam, true, true
}

func (s *Server) wsSubscribe(wc *wsConn, op string, reqID json.RawMessage, args []json.RawMessage) {
	fail := func(msg string) {
		wc.write(withReqID(map[string]any{"success": false, "ret_msg": msg, "op": op, "conn_id": wc.id}, reqID))
	}
	s.mu.Lock()
	authed := wc.apiKey != ""
	s.mu.Unlock()
	if !authed {
		// The V5 text is unknown; the pre-V5 one named the topic.
		fail("Request not authorized")
		return
	}
	var topics []string
	all, cat := map[string]bool{}, map[string]bool{}
	for _, a := range args {
		var t string
		if json.Unmarshal(a, &t) != nil {
			fail("Params Error")
			return
		}
		fam, categorised, ok := topicFamily(t)
		if !ok {
			fail("Invalid topic: " + t)
			return
		}
		if categorised {
			cat[fam] = true
		} else {
			all[fam] = true
		}
		if all[fam] && cat[fam] {
			fail("All-In-One topic and Categorised topic cannot be in the same subscription request")
			return
		}
		topics = append(topics, t)
	}
	if len(topics) == 0 {
		fail("Params Error")
		return
	}
	s.mu.Lock()
	for _, t := range topics {
		if op == "subscribe" {
			wc.topics[t] = true
		} else {
			delete(wc.topics, t)
		}
	}
	if op == "subscribe" {
		s.Counters.Subscribes++
	}
	s.mu.Unlock()
	wc.write(withReqID(map[string]any{"success": true, "ret_msg": "", "op": op, "conn_id": wc.id}, reqID))
}

// subscribers are the connections of apiKey subscribed to topic or to
// any of alts. s.mu must be held.
func (s *Server) subscribersLocked(apiKey string, topics ...string) []*wsConn {
	if s.ws == nil {
		return nil
	}
	var out []*wsConn
	for _, c := range s.Hub().Conns() {
		if c.apiKey != apiKey {
			continue
		}
		for _, t := range topics {
			if c.topics[t] {
				out = append(out, c)
				break
			}
		}
	}
	return out
}

// push sends one message to conns, losing it as DropEvents says.
func (s *Server) push(conns []*wsConn, topic string, data any) {
	now := s.Now().UnixMilli()
	b := make([]byte, 16)
	_, _ = crand.Read(b)
	msg := map[string]any{"id": hex.EncodeToString(b), "topic": topic, "creationTime": now, "data": data}
	for _, c := range conns {
		if s.Hub().Lose() {
			continue
		}
		c.Touch()
		c.write(msg)
	}
}

// SetCoin sets (upserts) a coin of apiKey's unified wallet and pushes
// wallet with that coin.
func (s *Server) SetCoin(apiKey string, co Coin) {
	s.Update(apiKey, func(a *Account) {
		a.Coins, _, _ = fakews.SetRow(a.Coins, co, false, func(x Coin) bool { return x.Coin == co.Coin })
	})
	s.pushWallet(apiKey, co.Coin)
}

// pushWallet pushes wallet: the account-level figures and the rows of
// coins. Bybit does not say whether coin[] lists every coin or the changed
// ones; the fake sends the changed ones, so that a client that deletes
// the coins a push leaves out is caught.
func (s *Server) pushWallet(apiKey string, coins ...string) {
	s.mu.Lock()
	conns := s.subscribersLocked(apiKey, "wallet")
	if len(conns) == 0 {
		s.mu.Unlock()
		return
	}
	a := s.Store.AccountLocked(apiKey)
	var rows []map[string]any
	var equity, wallet, upl decimal.Decimal
	for _, co := range a.Coins {
		usd := s.usdPrice(co.Coin)
		equity = equity.Add(equityOf(co).Mul(usd))
		wallet = wallet.Add(dec(co.WalletBalance).Mul(usd))
		upl = upl.Add(dec(co.UnrealisedPnl).Mul(usd))
		if !slices.Contains(coins, co.Coin) {
			continue
		}
		rows = append(rows, map[string]any{
			"coin": co.Coin, "equity": equityOf(co).String(), "usdValue": equityOf(co).Mul(usd).String(),
			"walletBalance": or0(co.WalletBalance), "availableToWithdraw": "", "availableToBorrow": "",
			"borrowAmount": or0(co.SpotBorrow), "accruedInterest": "0", "totalOrderIM": or0(co.TotalOrderIM),
			"totalPositionIM": or0(co.TotalPositionIM), "totalPositionMM": "0", "unrealisedPnl": or0(co.UnrealisedPnl),
			"cumRealisedPnl": "0", "bonus": "0", "collateralSwitch": true, "marginCollateral": true,
			"locked": or0(co.Locked), "spotHedgingQty": "0", "spotBorrow": or0(co.SpotBorrow),
		})
	}
	for _, name := range coins {
		if !slices.ContainsFunc(a.Coins, func(co Coin) bool { return co.Coin == name }) {
			rows = append(rows, map[string]any{"coin": name, "equity": "0", "walletBalance": "0", "locked": "0",
				"spotBorrow": "0", "unrealisedPnl": "0", "totalOrderIM": "0", "totalPositionIM": "0"})
		}
	}
	avail := a.TotalAvailableBalance
	if avail == "" {
		avail = "0"
		if i := slices.IndexFunc(a.Coins, func(co Coin) bool { return co.Coin == "USDT" }); i >= 0 {
			avail = or0(a.Coins[i].WalletBalance)
		}
	}
	if a.MarginMode == "ISOLATED_MARGIN" {
		avail = ""
	}
	s.mu.Unlock()
	s.push(conns, "wallet", []any{map[string]any{
		"accountIMRate": "0", "accountMMRate": "0", "totalEquity": equity.String(), "totalWalletBalance": wallet.String(),
		"totalMarginBalance": wallet.Add(upl).String(), "totalAvailableBalance": avail, "totalPerpUPL": upl.String(),
		"totalInitialMargin": "0", "totalMaintenanceMargin": "0", "coin": rows, "accountLTV": "0", "accountType": "UNIFIED",
	}})
}

func or0(v string) string {
	if v == "" {
		return "0"
	}
	return v
}

// SetPosition sets a linear position row (Size "0" closes it) and pushes
// the symbol's rows; a fill moves the symbol's cross sequence.
func (s *Server) SetPosition(apiKey string, p Position) {
	s.Update(apiKey, func(a *Account) {
		a.Positions, _, _ = fakews.SetRow(a.Positions, p, isZero(p.Size),
			func(x Position) bool { return x.Symbol == p.Symbol && x.PositionIdx == p.PositionIdx })
	})
	s.pushPositions(apiKey, p.Symbol, true)
}

// pushPositions pushes every row of a linear symbol, flat ones included,
// each the position's whole state, on position and position.linear.
func (s *Server) pushPositions(apiKey, symbol string, traded bool) {
	s.mu.Lock()
	if s.ws == nil {
		s.mu.Unlock()
		return
	}
	if traded {
		s.ws.seq[symbol] += 1 + rand.Int64N(3) // a cross sequence: increasing, not contiguous
	}
	seq := s.ws.seq[symbol]
	if seq == 0 {
		seq = -1 // never traded
	}
	all := s.subscribersLocked(apiKey, "position")
	linear := s.subscribersLocked(apiKey, "position.linear")
	if len(all)+len(linear) == 0 {
		s.mu.Unlock()
		return
	}
	now := s.Now().UnixMilli()
	var rows []any
	for _, p := range s.symbolRows(s.Store.AccountLocked(apiKey), symbol) {
		row := s.positionJSON(p, now)
		row["entryPrice"] = row["avgPrice"]
		delete(row, "avgPrice")
		row["category"], row["seq"] = "linear", seq
		if isZero(p.Size) {
			row["side"], row["size"] = "", "0"
		}
		rows = append(rows, row)
	}
	s.mu.Unlock()
	s.push(all, "position", rows)
	s.push(linear, "position.linear", rows)
}

// afterOrder pushes what an order placed or cancelled over REST changed:
// the wallet rows of the coins it touched and, for a linear order, the
// symbol's position rows, which Bybit pushes on every order create,
// amend and cancel whether or not the position moved. Call it deferred,
// before s.mu is taken.
func (s *Server) afterOrder(apiKey string, body []byte, traded bool) {
	var req struct {
		Category string `json:"category"`
		Symbol   string `json:"symbol"`
	}
	if apiKey == "" || json.Unmarshal(body, &req) != nil {
		return
	}
	switch req.Category {
	case "spot":
		s.mu.Lock()
		m, ok := s.spot[req.Symbol]
		s.mu.Unlock()
		if ok {
			s.pushWallet(apiKey, m.Base, m.Quote)
		}
	case "linear":
		s.pushPositions(apiKey, req.Symbol, traded)
		s.pushWallet(apiKey, "USDT")
	}
}
