// Package fake is an OKX look-alike on loopback for tests: it checks every
// private request the way OKX does (the four
// OK-ACCESS headers, the base64 HMAC over timestamp+method+request
// target+body recomputed from the raw bytes received, the ±30 s window,
// the demo header against the key's environment, the passphrase, the IP
// whitelist, the key's permissions, checked in that order),
// with the documented error codes and HTTP statuses, and answers with the
// page's response shapes from state the test sets: keys, account and
// position mode, balances, positions, instruments, and the orders placed.
//
// It enforces the documented rate limits (per User ID for private
// endpoints, per IP for public ones, two-second windows; 429 with code
// 50011 when exceeded), counts calls per path, and, through the embedded
// fakex.Server, injects faults (429s with headers, 5xx, slow answers,
// malformed JSON) and moves its clock.
//
// Orders are recorded, not matched: a limit order stays live, a market
// order is filled at once, and neither moves balances or positions. It is
// for tests only and must never listen beyond loopback.
package fake

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/globalautomation/gahost/sdk/fakews"
	"github.com/globalautomation/gahost/sdk/fakex"
	"github.com/globalautomation/gahost/sdk/sign"
)

// Key is an API key the fake accepts. Every OKX key can read.
type Key struct {
	APIKey     string
	Secret     string
	Passphrase string
	// Demo marks a demo-trading key: it is accepted only with
	// x-simulated-trading: 1, and a live key only without.
	Demo     bool
	Trade    bool
	Withdraw bool
	// IPs is the key's whitelist; empty means any address (the key's ip "").
	IPs []string
	// UID and MainUID default to one made-up master-account id; a
	// different MainUID makes the key a sub-account's.
	UID, MainUID string
}

// id is the API key k answers to.
func (k Key) id() string { return k.APIKey }

// FullKey returns a live key with read and trade permission, bound to
// loopback: the usual good key of a test.
func FullKey(apiKey, secret, passphrase string) Key {
	return Key{APIKey: apiKey, Secret: secret, Passphrase: passphrase, Trade: true, IPs: []string{"127.0.0.1", "::1"}}
}

// Balance is one currency row of the trading account. The fake lists
// the rows as set, zero ones included, although OKX leaves zeros out: a
// test sets a zero row to check that a connector drops it.
type Balance struct {
	Ccy       string
	Eq        string
	CashBal   string
	AvailBal  string
	AvailEq   string // "" in modes without it
	FrozenBal string
	Upl       string
}

// Position is one row of /api/v5/account/positions. Pos counts
// contracts; PosSide is net (signed Pos) or long/short (positive Pos).
type Position struct {
	InstType string // default SWAP
	InstID   string
	MgnMode  string // cross or isolated
	PosSide  string
	Pos      string
	AvgPx    string
	MarkPx   string
	Upl      string
	Lever    string
	LiqPx    string // "" when there is none
}

// Instrument is a listed instrument with the price its market orders
// fill at.
type Instrument struct {
	InstType   string // SPOT or SWAP
	InstID     string
	BaseCcy    string // SPOT only
	QuoteCcy   string // SPOT only
	SettleCcy  string // SWAP only
	CtVal      string
	CtMult     string
	CtValCcy   string
	CtType     string // linear or inverse
	LotSz      string
	MinSz      string
	TickSz     string
	InstFamily string
	Price      string
}

// Order is an order the fake accepted.
type Order struct {
	OrdID      string
	ClOrdID    string
	InstID     string
	TdMode     string
	Side       string
	OrdType    string
	Px         string
	Sz         string
	TgtCcy     string
	PosSide    string
	ReduceOnly bool
	State      string // live, filled or canceled
	CTime      int64
	// Body is the raw JSON the order arrived with, for tests that check
	// what a connector sent byte for byte.
	Body string
}

// Orders returns the orders placed with apiKey, oldest first.
func (s *Server) Orders(apiKey string) []Order { return s.Account(apiKey).Orders }

// Account is the state behind one API key.
type Account struct {
	AcctLv    string // 1 Spot, 2 Futures (default), 3 Multi-currency, 4 Portfolio
	PosMode   string // net_mode (default) or long_short_mode
	Balances  []Balance
	Positions []Position
	Orders    []Order
}

// Option adjusts New.
type Option func(*Server)

// WithLimit sets the limit per two seconds of one path (the routes table lists the
// defaults).
func WithLimit(path string, n int64) Option {
	return func(s *Server) {
		rt := s.routes[path]
		rt.limit = n
		s.routes[path] = rt
	}
}

// Server is the fake. Embedded fakex.Server gives URL, Close, Inject,
// SetClockOffset, Calls and Requests; embedded fakex.Store gives
// AddKey, Seed, Update and Account.
type Server struct {
	*fakex.Server
	*fakex.Store[Key, Account]
	fakews.Streams[*wsConn, WSConfig, WSStats] // the private streams (ws.go)

	mu      sync.Mutex
	routes  map[string]route
	insts   fakex.Symbols[Instrument]
	windows fakex.Windows // by path, who and the route's parameter
	nextID  int64
	marks   fakex.Marks // swap mark prices set by SetMark (market.go)
	ws      *wsState    // the streams' own state, once started
}

// New starts a fake OKX on 127.0.0.1 listing BTC-USDT and ETH-USDT spot,
// the BTC-USDT-SWAP and ETH-USDT-SWAP linear perpetuals and the
// BTC-USD-SWAP inverse one, with OKX's contract specs.
func New(opts ...Option) *Server {
	s := &Server{
		routes: map[string]route{},
		insts:  map[string]Instrument{},
		nextID: 312269865356374016,
	}
	for p, rt := range defaultRoutes {
		s.routes[p] = rt
	}
	for _, in := range []Instrument{
		{InstType: "SPOT", InstID: "BTC-USDT", BaseCcy: "BTC", QuoteCcy: "USDT", LotSz: "0.00000001", MinSz: "0.00001", TickSz: "0.1", Price: "60000"},
		{InstType: "SPOT", InstID: "ETH-USDT", BaseCcy: "ETH", QuoteCcy: "USDT", LotSz: "0.000001", MinSz: "0.0001", TickSz: "0.01", Price: "3000"},
		{InstType: "SWAP", InstID: "BTC-USDT-SWAP", SettleCcy: "USDT", CtType: "linear", CtVal: "0.01", CtMult: "1", CtValCcy: "BTC",
			LotSz: "0.01", MinSz: "0.01", TickSz: "0.1", InstFamily: "BTC-USDT", Price: "60000"},
		{InstType: "SWAP", InstID: "ETH-USDT-SWAP", SettleCcy: "USDT", CtType: "linear", CtVal: "0.1", CtMult: "1", CtValCcy: "ETH",
			LotSz: "0.01", MinSz: "0.01", TickSz: "0.01", InstFamily: "ETH-USDT", Price: "3000"},
		{InstType: "SWAP", InstID: "BTC-USD-SWAP", SettleCcy: "BTC", CtType: "inverse", CtVal: "100", CtMult: "1", CtValCcy: "USD",
			LotSz: "1", MinSz: "1", TickSz: "0.1", InstFamily: "BTC-USD", Price: "60000"},
	} {
		s.insts[in.InstID] = in
	}
	for _, o := range opts {
		o(s)
	}
	s.Server, s.Store = fakex.Start[Key, Account](&s.mu, Key.id, s.serve)
	s.Streams.Setup(s.Server, &s.mu, s.openStreams)
	s.Store.Complete = withIDs
	return s
}

// withIDs gives a key added without them the user ids OKX reports; a new
// key's account starts in Futures mode, one-way.
func withIDs(k Key, _ int) Key {
	if k.UID == "" {
		k.UID = "44705892343619584"
	}
	if k.MainUID == "" {
		k.MainUID = k.UID
	}
	return k
}

// --- the request pipeline ---

type perm int

const (
	permNone perm = iota // public
	permRead
	permTrade
)

type route struct {
	method string
	perm   perm
	limit  int64  // requests per 2 s
	by     string // the parameter the limit is also keyed by
	handle func(s *Server, c *call)
}

// defaultRoutes carry OKX's documented limits.
var defaultRoutes = map[string]route{
	"/api/v5/public/time":        {"GET", permNone, 10, "", (*Server).serverTime},
	"/api/v5/public/instruments": {"GET", permNone, 20, "instType", (*Server).instruments},
	"/api/v5/account/config":     {"GET", permRead, 5, "", (*Server).config},
	"/api/v5/account/balance":    {"GET", permRead, 10, "", (*Server).balance},
	"/api/v5/account/positions":  {"GET", permRead, 10, "", (*Server).positions},
	"/api/v5/trade/order":        {"POST", permTrade, 60, "instId", (*Server).placeOrder},
	"/api/v5/trade/cancel-order": {"POST", permTrade, 60, "instId", (*Server).cancelOrder},
}

// rateWindow is OKX's rate-limit window.
const rateWindow = 2 * time.Second

// call is one request being served.
type call struct {
	w     http.ResponseWriter
	r     *http.Request
	now   time.Time
	query url.Values
	body  []byte
	// fields is the JSON object of a POST body.
	fields map[string]any
	key    Key
}

// ok answers success with data.
func (c *call) ok(data any) {
	fakex.WriteJSON(c.w, http.StatusOK, map[string]any{"code": "0", "msg": "", "data": data})
}

// fail answers an OKX error with an empty data array.
func (c *call) fail(status int, code, msg string) {
	fakex.WriteJSON(c.w, status, map[string]any{"code": code, "msg": msg, "data": []any{}})
}

// authFail answers like the captured 401 bodies: no data at all.
func (c *call) authFail(code, msg string) {
	fakex.WriteJSON(c.w, http.StatusUnauthorized, map[string]string{"msg": msg, "code": code})
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	rt, known := s.route(r.URL.Path)
	if !known {
		fakex.WriteJSON(w, http.StatusNotFound, map[string]string{"code": "404", "msg": "Not Found"})
		return
	}
	c := &call{w: w, r: r, now: s.Now(), query: r.URL.Query()}
	if r.Method != rt.method {
		c.fail(http.StatusMethodNotAllowed, "50115", "Invalid request method.")
		return
	}
	c.body, _ = fakex.ReadBody(r)
	if rt.perm != permNone && !s.authenticate(c) {
		return
	}
	if r.Method == http.MethodPost && !readJSON(c) {
		return
	}
	if !s.admit(c, r.URL.Path, rt) {
		return
	}
	if rt.perm == permTrade && !c.key.Trade {
		c.fail(http.StatusOK, "50120", "This API key doesn't have permission to use this function")
		return
	}
	rt.handle(s, c)
}

func (s *Server) route(path string) (route, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rt, ok := s.routes[path]
	return rt, ok
}

// authHeaders are the headers a private request must carry, in the order
// OKX checks them, with the code it answers when one is missing.
var authHeaders = []struct{ name, code string }{
	{"OK-ACCESS-KEY", "50103"},
	{"OK-ACCESS-PASSPHRASE", "50104"},
	{"OK-ACCESS-SIGN", "50106"},
	{"OK-ACCESS-TIMESTAMP", "50107"},
}

var timestampFormat = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$`)

// timestampWindow is how far OK-ACCESS-TIMESTAMP may be from the server's
// clock.
const timestampWindow = 30 * time.Second

// authenticate checks a private request in the order OKX checks it. The signature is
// recomputed over the request target exactly as it came on the request
// line and the raw body bytes: a client that encodes the query differently from what it signed must fail here as it does at OKX.
func (s *Server) authenticate(c *call) bool {
	h := c.r.Header
	for _, need := range authHeaders {
		if h.Get(need.name) == "" {
			c.authFail(need.code, fmt.Sprintf("Request header %q cannot be empty.", need.name))
			return false
		}
	}
	apiKey, pass := h.Get("OK-ACCESS-KEY"), h.Get("OK-ACCESS-PASSPHRASE")
	sig, ts := h.Get("OK-ACCESS-SIGN"), h.Get("OK-ACCESS-TIMESTAMP")
	key, known := s.Store.Key(apiKey)
	if !known {
		c.authFail("50111", "Invalid OK-ACCESS-KEY")
		return false
	}
	at, err := time.Parse("2006-01-02T15:04:05.000Z", ts)
	if !timestampFormat.MatchString(ts) || err != nil {
		c.authFail("50112", "Invalid OK-ACCESS-TIMESTAMP")
		return false
	}
	if d := c.now.Sub(at); d > timestampWindow || d < -timestampWindow {
		c.authFail("50102", "Timestamp request expired")
		return false
	}
	// A missing header or "0" is live.
	if demo := h.Get("x-simulated-trading") == "1"; demo != key.Demo {
		c.authFail("50101", "APIKey does not match current environment.")
		return false
	}
	if !sign.Equal(pass, key.Passphrase) {
		c.authFail("50105", `Request header "OK-ACCESS-PASSPHRASE" incorrect.`)
		return false
	}
	if ip := fakex.RemoteIP(c.r); len(key.IPs) > 0 && !slices.Contains(key.IPs, ip) {
		c.authFail("50110", fmt.Sprintf("Your IP %s is not included in your API key's IP whitelist.", ip))
		return false
	}
	want := sign.Base64(key.Secret, ts+c.r.Method+c.r.RequestURI+string(c.body))
	if !sign.Equal(sig, want) {
		c.authFail("50113", "Invalid signature")
		return false
	}
	c.key = key
	return true
}

// admit counts the request against its window: per User ID for private
// routes, per IP for public ones, and per instrument (type) where OKX documents it.
func (s *Server) admit(c *call, path string, rt route) bool {
	who := "ip:" + fakex.RemoteIP(c.r)
	if rt.perm != permNone {
		who = "uid:" + c.key.UID
	}
	id := path + "|" + who
	if rt.by != "" {
		id += "|" + c.param(rt.by)
	}
	s.mu.Lock()
	win := s.windows.Get(id, rt.limit, rateWindow)
	s.mu.Unlock()
	if _, ok := win.Spend(c.now, 1); !ok {
		fakex.WriteJSON(c.w, http.StatusTooManyRequests, map[string]string{"msg": "Too Many Requests", "code": "50011"})
		return false
	}
	return true
}

// The fake's answers past its limits, as faults a test injects
// (fakex.Dialect): what the limits above answer on their own.
var _ fakex.Dialect = (*Server)(nil)

// RateLimited is OKX's answer over a limit: HTTP 429 with code 50011 and
// no header saying how long.
func (s *Server) RateLimited(time.Duration) fakex.Fault {
	return fakex.Fault{Status: http.StatusTooManyRequests, Body: `{"msg":"Too Many Requests","code":"50011"}`}
}

// Banned is the zero Fault: OKX documents no ban of an address.
func (s *Server) Banned(time.Duration) fakex.Fault { return fakex.Fault{} }

// param reads a parameter from the query or the JSON body.
func (c *call) param(name string) string {
	if v := c.query.Get(name); v != "" {
		return v
	}
	if v, ok := c.fields[name].(string); ok {
		return v
	}
	return ""
}

// id hands out the next order id, a numeric string. s.mu is held.
func (s *Server) id() string {
	s.nextID++
	return strconv.FormatInt(s.nextID, 10)
}
