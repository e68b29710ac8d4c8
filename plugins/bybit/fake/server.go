// Package fake is a Bybit V5 look-alike on loopback for tests. It checks
// every private request the way Bybit does
// (X-BAPI-* headers read case-insensitively, the HMAC over
// timestamp+key+recvWindow+payload with the raw query of a GET or the raw
// body of a POST, the timestamp window, the key's bound IPs, permissions
// and expiry) and answers with the documented envelope, response shapes and
// retCodes, from state a test sets: keys, the unified wallet, linear
// positions (one-way or hedge), and the orders placed.
//
// It enforces the per-IP limit (600 requests per 5 s, then HTTP 403 "access
// too frequent" and a 10-minute block) and the per-UID limit of each
// endpoint (retCode 10006, with the X-Bapi-Limit headers on every private
// answer), counts calls per path, and, through the embedded fakex.Server,
// injects faults and moves its clock. It is for tests only and must never
// listen beyond loopback.
package fake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/globalautomation/gahost/sdk/fakews"
	"github.com/globalautomation/gahost/sdk/fakex"
	"github.com/globalautomation/gahost/sdk/sign"
)

// Key is an API key the fake accepts, with what GET /v5/user/query-api
// reports about it and the fake enforces.
type Key struct {
	APIKey string
	Secret string
	// ReadOnly keys may not place or cancel orders (10005).
	ReadOnly bool
	// Permissions as query-api lists them, e.g. "Spot": {"SpotTrade"},
	// "ContractTrade": {"Order", "Position"}. Trading spot needs
	// Spot/SpotTrade, trading linear ContractTrade/Order.
	Permissions map[string][]string
	// IPs are the bound addresses; empty or "*" accepts any (10010).
	IPs []string
	// Expired keys fail every private call with 33004.
	Expired bool
	// DeadlineDay is the days left before an unbound key expires.
	DeadlineDay int
	// UTA is query-api's "uta": 1 for a unified trading account.
	UTA int
}

// id is the API key k answers to.
func (k Key) id() string { return k.APIKey }

// FullKey returns a read-write key with spot and contract trading, bound
// to loopback: the usual good key of a test.
func FullKey(apiKey, secret string) Key {
	return Key{
		APIKey: apiKey, Secret: secret,
		Permissions: map[string][]string{
			"ContractTrade": {"Order", "Position"},
			"Spot":          {"SpotTrade"},
			"Wallet":        {"AccountTransfer"},
		},
		IPs: []string{"127.0.0.1", "::1"}, DeadlineDay: -2, UTA: 1,
	}
}

// Coin is one coin row of the unified wallet. Empty Equity means
// walletBalance − spotBorrow + unrealisedPnl; other empty amounts are "0".
type Coin struct {
	Coin            string
	WalletBalance   string
	Locked          string
	SpotBorrow      string
	Equity          string
	UnrealisedPnl   string
	TotalOrderIM    string
	TotalPositionIM string
}

// Position is one linear position row. PositionIdx is 0 in one-way
// mode, 1 (long) or 2 (short) in hedge mode; Side is Buy, Sell or "".
type Position struct {
	Symbol        string
	PositionIdx   int
	Side          string
	Size          string
	AvgPrice      string
	MarkPrice     string
	UnrealisedPnl string
	Leverage      string
	LiqPrice      string
}

// Order is an order the fake accepted.
type Order struct {
	Category    string
	Symbol      string
	OrderID     string
	OrderLinkID string
	Side        string
	OrderType   string
	Qty         string
	MarketUnit  string
	Price       string
	TimeInForce string
	PositionIdx int
	ReduceOnly  bool
	Status      string // New, Filled, Cancelled
	CreatedTime int64
	// Body is the raw JSON the order arrived with, for tests that check
	// what a connector sent byte for byte.
	Body string
	// locked is what a resting spot order holds, released on cancel.
	lockedCoin, lockedAmount string
}

// Orders returns the orders placed with apiKey, oldest first.
func (s *Server) Orders(apiKey string) []Order { return s.Account(apiKey).Orders }

// Account is the state behind one API key (one UID).
type Account struct {
	// MarginMode is account/info's: REGULAR_MARGIN (default),
	// ISOLATED_MARGIN or PORTFOLIO_MARGIN.
	MarginMode string
	// UnifiedMarginStatus defaults to 6 (UTA 2.0 pro).
	UnifiedMarginStatus int
	// TotalAvailableBalance is the account-wide available balance in USD;
	// empty means the USDT wallet balance. It is sent as "" in isolated
	// margin mode, where account-wide figures do not apply.
	TotalAvailableBalance string
	Coins                 []Coin
	Positions             []Position
	// HedgeMode puts every linear symbol in hedge mode.
	HedgeMode bool
	Orders    []Order
}

// Market is a symbol the fake lists, with the price market orders fill at.
type Market struct {
	Base, Quote, Price string
}

// Option adjusts New.
type Option func(*Server)

// WithIPLimit sets the per-IP budget per 5 seconds (default 600).
func WithIPLimit(n int64) Option {
	return func(s *Server) { s.ipLimit = fakex.NewWindow(n, 5*time.Second) }
}

// WithUIDLimit sets the per-UID limit per second of a private path, for
// every category (defaults are Bybit's documented limits, in uidLimits).
func WithUIDLimit(path string, n int64) Option {
	return func(s *Server) { s.uidOverride[path] = n }
}

// Server is the fake. Embedded fakex.Server gives URL, Close, Inject,
// SetClockOffset, Calls and Requests; embedded fakex.Store gives
// AddKey, Seed, Update and Account.
type Server struct {
	*fakex.Server
	*fakex.Store[Key, Account]
	fakews.Streams[*wsConn, WSConfig, WSStats] // the private streams (ws.go)

	mu          sync.Mutex
	spot        fakex.Symbols[Market]
	linear      fakex.Symbols[Market]
	ipLimit     *fakex.Window
	bannedUntil time.Time
	uidOverride map[string]int64
	uidLimits   fakex.Windows // apiKey + path + category
	nextID      int64
	marks       fakex.Marks // linear mark prices set by SetMark (market.go)
	ws          *wsState    // the streams' own state, once started
}

// New starts a fake Bybit on 127.0.0.1 with BTCUSDT and ETHUSDT listed on
// spot and linear, and ETHBTC on spot.
func New(opts ...Option) *Server {
	s := &Server{
		spot: map[string]Market{
			"BTCUSDT": {"BTC", "USDT", "60000"},
			"ETHUSDT": {"ETH", "USDT", "3000"},
			"ETHBTC":  {"ETH", "BTC", "0.05"},
		},
		linear: map[string]Market{
			"BTCUSDT": {"BTC", "USDT", "60000"},
			"ETHUSDT": {"ETH", "USDT", "3000"},
		},
		ipLimit:     fakex.NewWindow(600, 5*time.Second),
		uidOverride: map[string]int64{},
		nextID:      1321003749386327552,
	}
	for _, o := range opts {
		o(s)
	}
	s.Server, s.Store = fakex.Start[Key, Account](&s.mu, Key.id, s.serve)
	s.Streams.Setup(s.Server, &s.mu, s.openStreams)
	return s
}

// --- the request pipeline ---

// Permission a route needs beyond a valid key; trading is checked per
// category once the body is read.
type perm int

const (
	permNone perm = iota
	permTrade
)

type route struct {
	private bool
	perm    perm
	handle  func(s *Server, c *call)
}

// routes are keyed by "METHOD path".
var routes = map[string]route{
	"GET /v5/market/time":            {false, permNone, (*Server).serverTime},
	"GET /v5/user/query-api":         {true, permNone, (*Server).queryAPI},
	"GET /v5/account/info":           {true, permNone, (*Server).accountInfo},
	"GET /v5/account/wallet-balance": {true, permNone, (*Server).walletBalance},
	"GET /v5/position/list":          {true, permNone, (*Server).positionList},
	"POST /v5/order/create":          {true, permTrade, (*Server).createOrder},
	"POST /v5/order/cancel":          {true, permTrade, (*Server).cancelOrder},
}

// uidLimits are Bybit's documented per-UID limits per second, by path and category.
var uidLimits = map[string]int64{
	"/v5/account/wallet-balance": 50,
	"/v5/account/info":           50,
	"/v5/position/list":          50,
	"/v5/user/query-api":         10,
	"/v5/order/create linear":    10,
	"/v5/order/create spot":      20,
	"/v5/order/cancel linear":    10,
	"/v5/order/cancel spot":      20,
}

// call is one request being served.
type call struct {
	w        http.ResponseWriter
	r        *http.Request
	now      time.Time
	key      Key
	query    url.Values
	body     []byte
	category string // from the query or the JSON body
}

func (c *call) json(status int, v any) { fakex.WriteJSON(c.w, status, v) }

// ok answers the envelope with retCode 0.
func (c *call) ok(result any) { c.okMsg("OK", result) }

func (c *call) okMsg(msg string, result any) {
	c.json(200, map[string]any{"retCode": 0, "retMsg": msg, "result": result, "retExtInfo": map[string]any{}, "time": c.now.UnixMilli()})
}

// fail answers a business error: HTTP 200 with a retCode.
func (c *call) fail(code int, msg string) {
	c.json(200, map[string]any{"retCode": code, "retMsg": msg, "result": map[string]any{}, "retExtInfo": map[string]any{}, "time": c.now.UnixMilli()})
}

func (c *call) params(msg string) { c.fail(10001, "params error: "+msg) }

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	c := &call{w: w, r: r, now: s.Now()}
	if !s.admitIP(c) {
		return
	}
	rt, ok := routes[r.Method+" "+r.URL.Path]
	if !ok {
		http.NotFound(w, r)
		return
	}
	c.query = r.URL.Query()
	c.category = c.query.Get("category")
	if rt.private && !s.authenticate(c) {
		return
	}
	if rt.private && !s.admitUID(c) {
		return
	}
	if rt.perm == permTrade && !s.mayTrade(c) {
		return
	}
	rt.handle(s, c)
}

// admitIP enforces the per-IP budget: past it, HTTP 403 and every
// request from the address is refused for ten minutes. No header says so.
func (s *Server) admitIP(c *call) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c.now.Before(s.bannedUntil) {
		http.Error(c.w, "access too frequent", http.StatusForbidden)
		return false
	}
	if _, ok := s.ipLimit.Spend(c.now, 1); !ok {
		s.bannedUntil = c.now.Add(10 * time.Minute)
		http.Error(c.w, "access too frequent", http.StatusForbidden)
		return false
	}
	return true
}

// The fake's answers past its limits, as faults a test injects
// (fakex.Dialect): what the limits above answer on their own.
var _ fakex.Dialect = (*Server)(nil)

// RateLimited is Bybit's answer over an endpoint's per-UID limit: HTTP
// 200, retCode 10006, and the X-Bapi-Limit headers naming when the window
// resets.
func (s *Server) RateLimited(retryAfter time.Duration) fakex.Fault {
	h := http.Header{}
	h.Set("X-Bapi-Limit", "10")
	h.Set("X-Bapi-Limit-Status", "0")
	h.Set("X-Bapi-Limit-Reset-Timestamp", strconv.FormatInt(s.Now().Add(retryAfter).UnixMilli(), 10))
	return fakex.Fault{Status: http.StatusOK, Header: h,
		Body: fmt.Sprintf(`{"retCode":10006,"retMsg":"Too many visits!","result":{},"retExtInfo":{},"time":%d}`, s.Now().UnixMilli())}
}

// Banned is Bybit's answer past the per-IP limit: a bare HTTP 403 "access
// too frequent" that says nothing of how long.
func (s *Server) Banned(time.Duration) fakex.Fault {
	return fakex.Fault{Status: http.StatusForbidden, Header: http.Header{"Content-Type": {"text/plain; charset=utf-8"}},
		Body: "access too frequent\n"}
}

// authenticate checks a private request as Bybit does: headers, key, expiry, signature, timestamp window, bound IPs, then the body's category.
func (s *Server) authenticate(c *call) bool {
	r := c.r
	// http.Header.Get canonicalises the name: the lookup is
	// case-insensitive, as Bybit's is.
	apiKey := r.Header.Get("X-BAPI-API-KEY")
	tsText := r.Header.Get("X-BAPI-TIMESTAMP")
	sig := r.Header.Get("X-BAPI-SIGN")
	rwText := r.Header.Get("X-BAPI-RECV-WINDOW")
	if rwText == "" {
		rwText = "5000" // the documented default
	}
	if apiKey == "" || tsText == "" || sig == "" {
		// 401 for missing auth headers.
		http.Error(c.w, "401 Unauthorized", http.StatusUnauthorized)
		return false
	}
	body, _ := fakex.ReadBody(r)
	c.body = body
	if r.Method == "GET" && len(body) > 0 {
		http.Error(c.w, "You send GET request with an empty json body", http.StatusForbidden)
		return false
	}
	key, known := s.Store.Key(apiKey)
	if !known {
		c.fail(10003, "API key is invalid. Check whether the key and domain are matched, there are 4 env: mainnet, testnet, mainnet-demo, testnet-demo")
		return false
	}
	if key.Expired {
		c.fail(33004, "Your api key has expired.")
		return false
	}
	payload := r.URL.RawQuery
	if r.Method == "POST" {
		payload = string(body)
	}
	// lower-case hex of HMAC-SHA256 over the four parts, no
	// separators. The fake wants the exact lower-case form connectors
	// emit; how Bybit treats upper case is unconfirmed.
	if !sign.Equal(sig, sign.Hex(key.Secret, tsText+apiKey+rwText+payload)) {
		c.fail(10004, "Error sign, please check your signature generation algorithm: origin_string[***"+payload+"]")
		return false
	}
	ts, err1 := strconv.ParseInt(tsText, 10, 64)
	rw, err2 := strconv.ParseInt(rwText, 10, 64)
	if err2 != nil || rw <= 0 {
		c.params("recv_window invalid")
		return false
	}
	now := c.now.UnixMilli()
	// server_time − recv_window <= timestamp < server_time + 1000.
	if err1 != nil || ts < now-rw || ts >= now+1000 {
		c.fail(10002, fmt.Sprintf("invalid request, please check your server timestamp or recv_window param. req_timestamp[%s],server_timestamp[%d],recv_window[%d]",
			tsText, now, rw))
		return false
	}
	if len(key.IPs) > 0 && !slices.Contains(key.IPs, "*") && !slices.Contains(key.IPs, fakex.RemoteIP(r)) {
		c.fail(10010, "Unmatched IP, please check your API key's bound IP addresses.")
		return false
	}
	if r.Method == "POST" {
		if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
			c.params("Content-Type must be application/json")
			return false
		}
		var head struct {
			Category string `json:"category"`
		}
		if err := json.Unmarshal(body, &head); err != nil {
			c.params("request body is not a JSON object")
			return false
		}
		c.category = head.Category
	}
	c.key = key
	return true
}

// admitUID enforces the per-UID limit of the endpoint and sets the
// three X-Bapi-Limit headers on the answer.
func (s *Server) admitUID(c *call) bool {
	path := c.r.URL.Path
	limit, ok := uidLimits[path]
	if !ok {
		limit, ok = uidLimits[path+" "+c.category]
	}
	if !ok {
		limit = 10
	}
	if n, set := s.uidOverride[path]; set {
		limit = n
	}
	s.mu.Lock()
	win := s.uidLimits.Get(c.key.APIKey+" "+path+" "+c.category, limit, time.Second)
	used, within := win.Spend(c.now, 1)
	s.mu.Unlock()
	reset := c.now
	if !within {
		reset = win.Ends(c.now)
	}
	h := c.w.Header()
	h.Set("X-Bapi-Limit", strconv.FormatInt(limit, 10))
	h.Set("X-Bapi-Limit-Status", strconv.FormatInt(max(limit-used, 0), 10))
	h.Set("X-Bapi-Limit-Reset-Timestamp", strconv.FormatInt(reset.UnixMilli(), 10))
	if !within {
		c.fail(10006, "Too many visits!")
		return false
	}
	return true
}

// mayTrade checks the key's permissions for the body's category.
func (s *Server) mayTrade(c *call) bool {
	k := c.key
	allowed := false
	switch c.category {
	case "spot":
		allowed = slices.Contains(k.Permissions["Spot"], "SpotTrade")
	case "linear":
		allowed = slices.Contains(k.Permissions["ContractTrade"], "Order")
	default:
		allowed = true // the handler rejects the category itself
	}
	if k.ReadOnly || !allowed {
		c.fail(10005, "Permission denied, please check your API key permissions.")
		return false
	}
	return true
}
