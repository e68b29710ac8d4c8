// Package fake is a Bitget look-alike on loopback for tests. It checks
// every private request the way Bitget does
// Bitget doing it — the four ACCESS-* headers, the passphrase, the
// base64 HMAC-SHA256 over timestamp + METHOD + path (+ "?" + decoded
// query) + body, a 30-second timestamp window, the Demo Trading header
// against the kind of key, the IP whitelist, the account mode (Classic or
// UTA: V2 paths serve the one, V3 paths the other; see uta.go) and the
// key's permissions — and answers with the documented envelope,
// response shapes, error codes and HTTP statuses from state the test sets:
// keys, spot balances, the USDT-FUTURES account, positions (one-way or
// hedge mode), per-symbol margin settings, and the orders placed.
//
// It enforces the documented per-endpoint limits (per UID for private
// calls, per IP for public ones, one-second windows) and the overall
// per-IP budget, answering HTTP 429 with code "429" past them, and reports
// the calls an endpoint has left in the x-mbx-used-remain-limit header, as
// Bitget's answers are reported to. Through the embedded fakex.Server it
// counts calls, logs requests, moves its clock and injects faults (429 or
// ban answers with headers, 5xx, slow answers, malformed JSON).
//
// It is for tests only and must never listen beyond loopback. It knows
// nothing of the connector: it is written from the exchange's docs alone, so the two
// check each other.
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

// Key is an API key the fake accepts.
type Key struct {
	APIKey     string
	Secret     string
	Passphrase string
	// Authorities are the permission codes GET account/info lists:
	// per area a read ("stor", "coor", "cpor", …) or read-write ("stow",
	// "coow", "cpow", …) code, "wwow" to withdraw, or the simplified
	// "readonly" and "trade".
	Authorities []string
	// IPs is the whitelist as account/info reports it, comma separated;
	// empty accepts any address.
	IPs string
	// Demo marks a Demo Trading key: it is valid only with the header
	// "paptrading: 1", and a live key only without it.
	Demo bool
	// UTA puts the key's account in Unified Trading Account mode: the V2
	// Classic endpoints refuse it with 40085 and the V3 ones serve it,
	// while they refuse a Classic key with 40084. A UTA key's
	// Authorities are V3 permission codes (see UTAKey).
	UTA bool
	// UserID is what account/info reports; one is made up when empty.
	UserID string
}

// id is the API key k answers to.
func (k Key) id() string { return k.APIKey }

// FullKey returns a live key that may read and trade spot and futures,
// bound to loopback: the usual good key of a test.
func FullKey(apiKey, secret, passphrase string) Key {
	return Key{
		APIKey: apiKey, Secret: secret, Passphrase: passphrase,
		Authorities: []string{"stor", "stow", "coor", "coow", "cpor", "cpow"},
		IPs:         "127.0.0.1",
	}
}

// Balance is one spot coin.
type Balance struct {
	Coin      string
	Available string
	Frozen    string
	Locked    string
}

// FuturesRow is the row of one margin coin of the futures account.
// Fields left empty are answered as "0", except UnrealizedPL, which Bitget
// may send as "".
type FuturesRow struct {
	MarginCoin           string
	Available            string
	CrossedMaxAvailable  string
	AccountEquity        string
	UnrealizedPL         string
	CrossedUnrealizedPL  string
	IsolatedUnrealizedPL string
	Locked               string
}

// Position is one row of all-position. Total is unsigned; HoldSide
// is long or short in both position modes.
type Position struct {
	Symbol           string
	MarginCoin       string // default USDT
	HoldSide         string
	Total            string
	OpenPriceAvg     string
	MarkPrice        string
	UnrealizedPL     string
	Leverage         string
	LiquidationPrice string
	MarginMode       string // crossed or isolated; default crossed
	// LeverageAsNumber answers leverage as a JSON number, as late-2025
	// answers do.
	LeverageAsNumber bool
}

// Settings are a futures symbol's margin mode and leverage.
type Settings struct {
	MarginMode string // crossed or isolated
	Leverage   int64
}

// Order is an order the fake accepted.
type Order struct {
	Market     string // "spot" or "futures"
	Symbol     string
	OrderID    string
	ClientOid  string
	Side       string
	TradeSide  string
	OrderType  string
	Force      string
	Price      string
	Size       string
	MarginMode string
	ReduceOnly bool
	Status     string // live, filled or cancelled
	// Body is the JSON body the order arrived with, exactly as sent.
	Body string
}

// Orders returns the orders placed with apiKey, oldest first.
func (s *Server) Orders(apiKey string) []Order { return s.Account(apiKey).Orders }

// Account is the state behind one API key.
type Account struct {
	Spot      []Balance
	Futures   []FuturesRow
	Positions []Position
	HedgeMode bool
	// Settings per futures symbol; the default is crossed, 20x.
	Settings map[string]Settings
	Orders   []Order
	// Assets is a UTA account's unified wallet (see uta.go).
	Assets []Asset
}

// Market is a symbol the fake lists, with the price market orders fill at
// and the minimum order value in USDT (quote USDT only).
type Market struct {
	Base, Quote, Price string
	MinUSDT            string
}

// Option adjusts New.
type Option func(*Server)

// WithRouteLimit sets the calls a second one endpoint takes (per UID for
// private paths, per IP for public ones), instead of the documented figure.
func WithRouteLimit(path string, perSecond int64) Option {
	return func(s *Server) { s.routeLimit[path] = perSecond }
}

// WithIPLimit sets the overall calls a minute from one IP address
// (default 6000).
func WithIPLimit(perMinute int64) Option {
	return func(s *Server) { s.ipLimit = perMinute }
}

// Server is the fake. The embedded fakex.Server gives URL, Close, Inject,
// SetClockOffset, Calls, Requests and ResetLog; the embedded fakex.Store
// gives AddKey, Seed, Update and Account.
type Server struct {
	*fakex.Server
	*fakex.Store[Key, Account]
	fakews.Streams[*wsConn, WSConfig, WSStats] // the private streams (ws.go)

	mu         sync.Mutex
	spot       fakex.Symbols[Market]
	futures    fakex.Symbols[Market]
	routeLimit map[string]int64
	windows    fakex.Windows // by who (uid:, ip:) and path
	ipLimit    int64
	nextID     int64
	marks      fakex.Marks // futures mark prices set by SetMark (market.go)
	ws         *wsState    // the streams' own state, once started
}

// TimestampWindow is how far ACCESS-TIMESTAMP may be from the fake's clock
// (30 s is the commonly quoted figure, unconfirmed).
const TimestampWindow = 30 * time.Second

// New starts a fake Bitget on 127.0.0.1 listing BTCUSDT, ETHUSDT and
// ETHBTC on spot and BTCUSDT and ETHUSDT as USDT-FUTURES perpetuals.
func New(opts ...Option) *Server {
	s := &Server{
		spot: map[string]Market{
			"BTCUSDT": {Base: "BTC", Quote: "USDT", Price: "60000", MinUSDT: "1"},
			"ETHUSDT": {Base: "ETH", Quote: "USDT", Price: "3000", MinUSDT: "1"},
			"ETHBTC":  {Base: "ETH", Quote: "BTC", Price: "0.05"},
		},
		futures: map[string]Market{
			"BTCUSDT": {Base: "BTC", Quote: "USDT", Price: "60000", MinUSDT: "5"},
			"ETHUSDT": {Base: "ETH", Quote: "USDT", Price: "3000", MinUSDT: "5"},
		},
		routeLimit: map[string]int64{},
		ipLimit:    6000,
		nextID:     1100000000000000000,
	}
	for _, o := range opts {
		o(s)
	}
	s.Server, s.Store = fakex.Start[Key, Account](&s.mu, Key.id, s.serve)
	s.Streams.Setup(s.Server, &s.mu, s.openStreams)
	s.Store.Complete = numbered
	return s
}

// numbered gives a key added without a user id the next one Bitget would
// hand out.
func numbered(k Key, known int) Key {
	if k.UserID == "" {
		k.UserID = strconv.Itoa(4000000000 + known)
	}
	return k
}

// --- the request pipeline ---

// Permission areas a route needs.
type perm int

const (
	permNone perm = iota
	permSpotRead
	permSpotTrade
	permFuturesRead
	permFuturesTrade
)

var permCodes = map[perm][]string{
	permSpotRead:     {"readonly", "trade", "stor", "stow"},
	permSpotTrade:    {"trade", "stow"},
	permFuturesRead:  {"readonly", "trade", "coor", "coow", "cpor", "cpow"},
	permFuturesTrade: {"trade", "coow"},
}

var permNames = map[perm]string{
	permSpotRead: "spot read", permSpotTrade: "spot trade",
	permFuturesRead: "futures read", permFuturesTrade: "futures order",
}

type route struct {
	limit  int64 // per second: per UID when signed, per IP when public
	signed bool
	perm   perm
	handle func(s *Server, c *call)
}

// Paths the fake serves, with the documented limits.
const (
	PathServerTime      = "/api/v2/public/time"
	PathAccountInfo     = "/api/v2/spot/account/info"
	PathSpotAssets      = "/api/v2/spot/account/assets"
	PathFuturesAccounts = "/api/v2/mix/account/accounts"
	PathFuturesAccount  = "/api/v2/mix/account/account"
	PathPositions       = "/api/v2/mix/position/all-position"
	PathSpotPlace       = "/api/v2/spot/trade/place-order"
	PathSpotCancel      = "/api/v2/spot/trade/cancel-order"
	PathFuturesPlace    = "/api/v2/mix/order/place-order"
	PathFuturesCancel   = "/api/v2/mix/order/cancel-order"
)

var routes = map[string]route{
	"GET " + PathServerTime:      {20, false, permNone, (*Server).serverTime},
	"GET " + PathAccountInfo:     {1, true, permSpotRead, (*Server).accountInfo},
	"GET " + PathSpotAssets:      {10, true, permSpotRead, (*Server).spotAssets},
	"GET " + PathFuturesAccounts: {10, true, permFuturesRead, (*Server).futuresAccounts},
	"GET " + PathFuturesAccount:  {10, true, permFuturesRead, (*Server).futuresAccount},
	"GET " + PathPositions:       {5, true, permFuturesRead, (*Server).positions},
	"POST " + PathSpotPlace:      {10, true, permSpotTrade, (*Server).spotPlace},
	"POST " + PathSpotCancel:     {10, true, permSpotTrade, (*Server).cancel},
	"POST " + PathFuturesPlace:   {10, true, permFuturesTrade, (*Server).futuresPlace},
	"POST " + PathFuturesCancel:  {10, true, permFuturesTrade, (*Server).cancel},
}

// HeaderRemaining is the header that tells how many calls the endpoint
// has left in the current window.
const HeaderRemaining = "X-Mbx-Used-Remain-Limit"

// call is one request being served.
type call struct {
	w      http.ResponseWriter
	r      *http.Request
	now    time.Time
	query  url.Values
	body   []byte
	params map[string]string // a POST's JSON body
	key    Key
}

// ok answers Bitget's success envelope.
func (c *call) ok(data any) {
	fakex.WriteJSON(c.w, http.StatusOK, map[string]any{
		"code": "00000", "msg": "success", "requestTime": c.now.UnixMilli(), "data": data,
	})
}

// fail answers Bitget's error envelope. Errors observed in the field come
// with HTTP 400, rate limits with 429.
func (c *call) fail(status int, code, msg string) {
	fakex.WriteJSON(c.w, status, map[string]any{
		"code": code, "msg": msg, "requestTime": c.now.UnixMilli(), "data": nil,
	})
}

func (c *call) bad(code, msg string) { c.fail(http.StatusBadRequest, code, msg) }

// param is the field name of a POST's JSON body, "" when it has none.
func (c *call) param(name string) string { return c.params[name] }

func (c *call) missing(name string) {
	c.bad("40019", fmt.Sprintf("Parameter %s cannot be empty", name))
}

func (c *call) invalid(name string) {
	c.bad("40020", fmt.Sprintf("Parameter %s error", name))
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	c := &call{w: w, r: r, now: s.Now()}
	rt, known := routes[r.Method+" "+r.URL.Path]
	if !s.admitIP(c) {
		return
	}
	if !known {
		c.fail(http.StatusNotFound, "40404", "Request URL NOT FOUND")
		return
	}
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		c.bad("40017", "Parameter verification failed")
		return
	}
	c.query = q
	if !rt.signed {
		if s.admitRoute(c, r.URL.Path, "ip:"+fakex.RemoteIP(r), rt.limit) {
			rt.handle(s, c)
		}
		return
	}
	if !s.authenticate(c, rt.perm) {
		return
	}
	if !s.admitRoute(c, r.URL.Path, "uid:"+c.key.UserID, rt.limit) {
		return
	}
	if r.Method == http.MethodPost && !s.readBody(c) {
		return
	}
	rt.handle(s, c)
}

// admitIP charges the overall per-IP budget of a minute.
func (s *Server) admitIP(c *call) bool {
	s.mu.Lock()
	w := s.windows.Get("ip:"+fakex.RemoteIP(c.r), s.ipLimit, time.Minute)
	s.mu.Unlock()
	if _, ok := w.Spend(c.now, 1); !ok {
		c.fail(http.StatusTooManyRequests, "429", "Too Many Requests")
		return false
	}
	return true
}

// admitRoute charges one call to the endpoint's window of who (a UID or an
// IP) and reports what is left in the header.
func (s *Server) admitRoute(c *call, path, who string, limit int64) bool {
	s.mu.Lock()
	if n, ok := s.routeLimit[path]; ok {
		limit = n
	}
	w := s.windows.Get(who+" "+path, limit, time.Second)
	s.mu.Unlock()
	used, ok := w.Spend(c.now, 1)
	c.w.Header().Set(HeaderRemaining, strconv.FormatInt(max(limit-used, 0), 10))
	if !ok {
		c.fail(http.StatusTooManyRequests, "429", "Too Many Requests")
		return false
	}
	return true
}

// The fake's answers past its limits, as faults a test injects
// (fakex.Dialect): what the limits above answer on their own.
var _ fakex.Dialect = (*Server)(nil)

// RateLimited is Bitget's answer over a limit: HTTP 429 with code "429".
// Bitget sends no Retry-After; the fault carries one only so that a
// layer in front of it that does is covered too.
func (s *Server) RateLimited(retryAfter time.Duration) fakex.Fault {
	return fakex.Fault{Status: http.StatusTooManyRequests, Header: fakex.RetryAfterHeader(retryAfter),
		Body: fmt.Sprintf(`{"code":"429","msg":"Too Many Requests","requestTime":%d,"data":null}`, s.Now().UnixMilli())}
}

// Banned is the bare HTTP 403 Bitget answers an address it refuses for
// some minutes after it went over its budget.
func (s *Server) Banned(time.Duration) fakex.Fault {
	return fakex.Fault{Status: http.StatusForbidden, Header: http.Header{"Content-Type": {"text/html"}}, Body: "<html>403 Forbidden</html>"}
}

// authHeaders are the headers a signed request must carry, in the order
// Bitget checks them, with its answer when one is missing.
var authHeaders = []struct{ name, code, msg string }{
	{"ACCESS-KEY", "40001", "ACCESS_KEY cannot be empty"},
	{"ACCESS-SIGN", "40002", "ACCESS_SIGN cannot be empty"},
	{"ACCESS-TIMESTAMP", "40005", "Invalid ACCESS_TIMESTAMP"},
	{"ACCESS-PASSPHRASE", "40011", "ACCESS_PASSPHRASE cannot be empty"},
}

// authenticate checks a signed request in the order Bitget does: headers, timestamp, key, passphrase, signature, window, demo flag, IP whitelist, account mode, permissions.
func (s *Server) authenticate(c *call, need perm) bool {
	h := c.r.Header // Get is case-insensitive, as Bitget is
	for _, need := range authHeaders {
		if h.Get(need.name) == "" {
			c.bad(need.code, need.msg)
			return false
		}
	}
	apiKey, sig := h.Get("ACCESS-KEY"), h.Get("ACCESS-SIGN")
	tsText, pass := h.Get("ACCESS-TIMESTAMP"), h.Get("ACCESS-PASSPHRASE")
	ts, err := strconv.ParseInt(tsText, 10, 64)
	if err != nil || ts <= 0 {
		c.bad("40005", "Invalid ACCESS_TIMESTAMP")
		return false
	}
	key, known := s.Store.Key(apiKey)
	if !known {
		c.bad("40006", "Invalid ACCESS_KEY")
		return false
	}
	if pass != key.Passphrase {
		c.bad("40012", "apikey/password is incorrect")
		return false
	}
	body, err := fakex.ReadBody(c.r)
	if err != nil {
		c.bad("40017", "Parameter verification failed")
		return false
	}
	c.body = body
	q := ""
	if c.r.URL.RawQuery != "" {
		// Bitget verifies the un-encoded query.
		raw, err := url.PathUnescape(c.r.URL.RawQuery)
		if err != nil {
			raw = c.r.URL.RawQuery
		}
		q = "?" + raw
	}
	want := sign.Base64(key.Secret, tsText+c.r.Method+c.r.URL.Path+q+string(body))
	if !sign.Equal(sig, want) {
		c.bad("40009", "sign signature error")
		return false
	}
	if d := c.now.Sub(time.UnixMilli(ts)); d > TimestampWindow || d < -TimestampWindow {
		c.bad("40008", "Request timestamp expired")
		return false
	}
	if key.Demo != (h.Get("paptrading") == "1") {
		// A demo key outside demo trading, or a live key inside it: the
		// key does not exist there.
		c.bad("40037", "Apikey does not exist")
		return false
	}
	if key.IPs != "" && !slices.Contains(strings.Split(key.IPs, ","), fakex.RemoteIP(c.r)) {
		c.bad("40018", "Invalid IP")
		return false
	}
	if modeMismatch(c, key) {
		return false
	}
	if need != permNone && !hasAny(key.Authorities, permCodes[need]) {
		c.bad("40014", fmt.Sprintf("Incorrect permissions, need %s permissions", permNames[need]))
		return false
	}
	c.key = key
	return true
}

// readBody decodes a POST's JSON object; every value must be a string, as
// the documented examples send them.
func (s *Server) readBody(c *call) bool {
	if !strings.HasPrefix(c.r.Header.Get("Content-Type"), "application/json") {
		c.bad("40007", "Invalid Content_Type")
		return false
	}
	var raw map[string]any
	if err := json.Unmarshal(c.body, &raw); err != nil {
		c.bad("40017", "Parameter verification failed")
		return false
	}
	c.params = map[string]string{}
	for k, v := range raw {
		str, ok := v.(string)
		if !ok {
			c.invalid(k)
			return false
		}
		c.params[k] = str
	}
	return true
}

func hasAny(have, want []string) bool {
	for _, h := range have {
		if slices.Contains(want, strings.ToLower(h)) {
			return true
		}
	}
	return false
}
