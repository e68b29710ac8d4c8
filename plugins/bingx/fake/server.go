// Package fake is a BingX look-alike on loopback for tests: it checks
// every signed request the way BingX does (
// X-BX-APIKEY, the signature over the raw values in the order received,
// the timestamp window, the key's IP whitelist and permissions) and
// answers with the documented envelopes, response shapes and error codes
// from state the test sets: keys, the spot wallet, the swap
// wallet, positions (one-way or hedge), the symbols listed, and the
// orders placed.
//
// It enforces the documented limits: per IP, 300 requests per 10 s
// on each endpoint and 2000 per 10 s per group (500 for market data),
// answering 429 and then, to a client that goes on, 418 for five
// minutes; per key, each endpoint's requests per second, reported in
// X-RateLimit-Requests-Remain and -Expire. Through the embedded
// fakex.Server it counts calls, injects faults and moves its clock.
//
// WithVST makes it the demo host, which serves the perpetual swap only.
// It is for tests only and must never listen beyond loopback.
package fake

import (
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

// Permission codes of a key.
const (
	PermSpotTrade = 1
	PermRead      = 2
	PermSwapTrade = 3
	PermTransfer  = 4
	PermWithdraw  = 5
)

// Key is an API key the fake accepts, with what
// GET /openApi/v1/account/apiPermissions reports and the fake enforces.
type Key struct {
	APIKey string
	Secret string
	// Permissions are apiPermissions' codes (PermRead, PermSpotTrade, PermSwapTrade).
	Permissions []int
	// IPAddresses is the key's whitelist; empty allows any address.
	IPAddresses []string
	Note        string
}

// id is the API key k answers to.
func (k Key) id() string { return k.APIKey }

// FullKey returns a key that may read and trade spot and swap, limited to
// loopback: the usual good key of a test.
func FullKey(apiKey, secret string) Key {
	return Key{
		APIKey: apiKey, Secret: secret,
		Permissions: []int{PermSpotTrade, PermRead, PermSwapTrade},
		IPAddresses: []string{"127.0.0.1", "::1"},
	}
}

// Balance is one spot asset.
type Balance struct {
	Asset, Free, Locked string
}

// SwapAsset is one margin asset row of the swap wallet.
type SwapAsset struct {
	Asset            string
	Balance          string
	Equity           string
	UnrealizedProfit string
	RealisedProfit   string
	AvailableMargin  string
	UsedMargin       string
	FreezedMargin    string
}

// Position is one row of /openApi/swap/v2/user/positions.
// PositionAmt is unsigned, PositionSide LONG or SHORT (BOTH is allowed for
// tests of that case, with a signed amount). LiquidationPrice goes out as
// a JSON number, Leverage as an int.
type Position struct {
	PositionID       string
	Symbol           string
	PositionSide     string
	PositionAmt      string
	AvgPrice         string
	MarkPrice        string
	UnrealizedProfit string
	LiquidationPrice string
	Leverage         int
	Isolated         bool
}

// Order is an order the fake accepted.
type Order struct {
	Market        string // "spot" or "swap"
	Symbol        string
	OrderID       int64
	ClientOrderID string
	Side          string
	Type          string
	PositionSide  string
	Quantity      string
	QuoteOrderQty string
	Price         string
	TimeInForce   string
	ReduceOnly    bool
	Status        string
	ExecutedQty   string
	CumQuote      string
	AvgPrice      string
	Time          int64
	// Query is the raw query string the order arrived with, signature
	// included, for tests that check what a connector sent.
	Query string
}

// Orders returns the orders placed with apiKey, oldest first.
func (s *Server) Orders(apiKey string) []Order { return s.Account(apiKey).Orders }

// Account is the state behind one API key.
type Account struct {
	Spot      []Balance
	Swap      []SwapAsset
	Positions []Position
	HedgeMode bool
	// Leverage per swap symbol; default 20.
	Leverage map[string]int
	Orders   []Order
}

// SpotMarket is a spot symbol the fake lists. TickSize and StepSize are
// sent as JSON numbers exactly as written ("1e-05" stays so).
type SpotMarket struct {
	Base, Quote, Price string
	TickSize, StepSize string
}

// Contract is a perpetual the fake lists: precisions instead of
// steps, and a minimum order value in USDT.
type Contract struct {
	Base, Quote, Price                string
	PricePrecision, QuantityPrecision int
	TradeMinUSDT                      string
}

// Option adjusts New.
type Option func(*Server)

// WithVST makes the fake the demo host: swap paths only.
func WithVST() Option { return func(s *Server) { s.vst = true } }

// WithIPLimits sets the per-IP budgets per 10 s: on each endpoint and on
// each account/trading group (default 300 and 2000).
func WithIPLimits(endpoint, group int64) Option {
	return func(s *Server) { s.endpointLimit, s.groupLimit = endpoint, group }
}

// WithoutUIDLimits turns off the per-key, per-endpoint limits, for tests
// that call one endpoint many times a second.
func WithoutUIDLimits() Option { return func(s *Server) { s.noUID = true } }

// WithUIDLimitsTimes multiplies every per-key limit by k, for tests that
// call an endpoint more often than a client would and still read the
// limit headers.
func WithUIDLimitsTimes(k int64) Option { return func(s *Server) { s.uidTimes = k } }

// WithoutBans keeps answering 429 when a client goes on after a 429,
// instead of banning it with 418.
func WithoutBans() Option { return func(s *Server) { s.noBans = true } }

// AcceptEncodedSignature also accepts a signature over the still-encoded
// query (what the JKorf client library signs). Off by default: the fake then
// checks only what the docs describe.
func AcceptEncodedSignature() Option { return func(s *Server) { s.lenient = true } }

// Server is the fake. Embedded fakex.Server gives URL, Close, Inject,
// SetClockOffset, Calls and Requests; embedded fakex.Store gives
// AddKey, Seed, Update and Account.
type Server struct {
	*fakex.Server
	*fakex.Store[Key, Account]
	fakews.Streams[*wsConn, WSConfig, WSStats] // the private streams (ws.go)

	mu     sync.Mutex
	spot   fakex.Symbols[SpotMarket]
	swap   fakex.Symbols[Contract]
	nextID int64

	vst, noUID, noBans, lenient bool
	endpointLimit, groupLimit   int64
	endpoints, groups, uid      fakex.Windows // by route, by group, by key and route
	hit429                      time.Time     // start of the window of the last IP 429
	bannedUntil                 time.Time
	uidTimes                    int64
	marks                       fakex.Marks                 // swap mark prices set by SetMark (market.go)
	ws                          *wsState                    // the streams' own state, once started
	keys                        *fakews.ListenKeys[*wsConn] // listenKeys (ws.go)
}

// New starts a fake BingX on 127.0.0.1 listing BTC-USDT, ETH-USDT and
// ETH-BTC on spot and BTC-USDT and ETH-USDT as perpetuals.
func New(opts ...Option) *Server {
	s := &Server{
		spot: map[string]SpotMarket{
			"BTC-USDT": {Base: "BTC", Quote: "USDT", Price: "60000", TickSize: "0.01", StepSize: "1e-05"},
			"ETH-USDT": {Base: "ETH", Quote: "USDT", Price: "3000", TickSize: "0.01", StepSize: "0.0001"},
			"ETH-BTC":  {Base: "ETH", Quote: "BTC", Price: "0.05", TickSize: "0.00001", StepSize: "0.001"},
		},
		swap: map[string]Contract{
			"BTC-USDT": {Base: "BTC", Quote: "USDT", Price: "60000", PricePrecision: 1, QuantityPrecision: 4, TradeMinUSDT: "2"},
			"ETH-USDT": {Base: "ETH", Quote: "USDT", Price: "3000", PricePrecision: 2, QuantityPrecision: 2, TradeMinUSDT: "2"},
		},
		// Ids above 2^53, stepping by 7, so that any float64 on the way
		// shows as a wrong id.
		nextID:        1735950529123455000,
		endpointLimit: 300,
		groupLimit:    2000,
	}
	for _, o := range opts {
		o(s)
	}
	s.Server, s.Store = fakex.Start[Key, Account](&s.mu, Key.id, s.serve)
	s.Streams.Setup(s.Server, &s.mu, s.openStreams)
	s.keys = fakews.NewListenKeys[*wsConn](&s.mu)
	return s
}

// --- the request pipeline ---

// Route flags.
const (
	public = false
	signed = true
)

type route struct {
	group  int   // IP group: 1 market data, 2 account, 3 trading
	signed bool  // needs key, timestamp and signature
	perm   int   // permission the key needs; 0 none
	uid    int64 // per-key requests per second; 0 none
	demo   bool  // also served by the demo (VST) host
	handle func(s *Server, c *call)
}

// routes are keyed by "METHOD path"; groups and limits are BingX's documented ones.
var routes = map[string]route{
	"GET /openApi/swap/v2/server/time":       {1, public, 0, 0, true, (*Server).serverTime},
	"GET /openApi/spot/v1/server/time":       {1, public, 0, 0, false, (*Server).serverTime},
	"GET /openApi/swap/v2/quote/contracts":   {1, public, 0, 0, true, (*Server).contracts},
	"GET /openApi/spot/v1/common/symbols":    {1, public, 0, 0, false, (*Server).spotSymbols},
	"GET /openApi/v1/account/apiPermissions": {2, signed, 0, 5, false, (*Server).apiPermissions},
	"GET /openApi/swap/v1/positionSide/dual": {3, signed, PermRead, 2, true, (*Server).positionMode},
	"GET /openApi/spot/v1/account/balance":   {3, signed, PermRead, 5, false, (*Server).spotBalance},
	"GET /openApi/swap/v3/user/balance":      {3, signed, PermRead, 5, true, (*Server).swapBalanceV3},
	"GET /openApi/swap/v2/user/balance":      {3, signed, PermRead, 5, true, (*Server).swapBalanceV2},
	"GET /openApi/swap/v2/user/positions":    {3, signed, PermRead, 5, true, (*Server).positions},
	"POST /openApi/swap/v2/trade/order":      {3, signed, PermSwapTrade, 5, true, (*Server).swapOrder},
	"DELETE /openApi/swap/v2/trade/order":    {3, signed, PermSwapTrade, 5, true, (*Server).swapCancel},
	"POST /openApi/spot/v1/trade/order":      {3, signed, PermSpotTrade, 10, false, (*Server).spotOrder},
	"POST /openApi/spot/v1/trade/cancel":     {3, signed, PermSpotTrade, 10, false, (*Server).spotCancel},
}

// call is one request being served.
type call struct {
	w      http.ResponseWriter
	r      *http.Request
	route  string
	params url.Values
	key    Key
	now    time.Time
}

// spot paths carry debugMsg in every answer.
func (c *call) spot() bool { return strings.HasPrefix(c.r.URL.Path, "/openApi/spot/") }

// ok answers data in BingX's envelope.
func (c *call) ok(data any) {
	body := map[string]any{"code": 0, "msg": "", "data": data}
	if c.spot() {
		body["debugMsg"] = ""
	}
	fakex.WriteJSON(c.w, http.StatusOK, body)
}

// fail answers a business error: HTTP 200 with a non-zero code.
func (c *call) fail(code int, msg string) { c.failStatus(http.StatusOK, code, msg) }

func (c *call) failStatus(status, code int, msg string) {
	body := map[string]any{"code": code, "msg": msg, "data": map[string]any{}}
	if c.spot() {
		body["debugMsg"] = ""
	}
	if code == codeTimestamp {
		body["timestamp"] = c.now.UnixMilli()
	}
	fakex.WriteJSON(c.w, status, body)
}

// Error codes the fake answers with.
const (
	codeBadSignature  = 100001
	codePermission    = 100004
	codeInsufficient  = 100202
	codeBadParameter  = 100400
	codeRateLimit     = 100410
	codeNoSignature   = 100412
	codeBadAPIKey     = 100413
	codeIPWhitelist   = 100419
	codeTimestamp     = 100421
	codeInvalidParams = 80014
	codeOrderNotFound = 80016
	codeNoPosition    = 80017
	codeNoMargin      = 101204
	codeMinNotional   = 101400
	codeDuplicateID   = 101481
	codeMode          = 109400
	codeNoSymbol      = 109500
)

const msgTimestamp = "Null timestamp or timestamp mismatch, try to run our sample code from the link " +
	"https://bingx-api.github.io/docs/#/en-us/spot/account-api.html#Query%20Assets"

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	name := r.Method + " " + r.URL.Path
	rt, known := routes[name]
	if !known || s.vst && !rt.demo {
		http.NotFound(w, r)
		return
	}
	c := &call{w: w, r: r, route: name, now: s.Now()}
	if !s.admit(c, rt) {
		return
	}
	if rt.signed {
		if !s.authenticate(c, rt.perm) || !s.admitKey(c, rt) {
			return
		}
	} else {
		c.params = r.URL.Query()
	}
	rt.handle(s, c)
}

// IP windows are 10 s.
const ipWindow = 10 * time.Second

// admit enforces the per-IP limits and bans. Every request counts,
// rejected ones too.
func (s *Server) admit(c *call, rt route) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	groupLimit := s.groupLimit
	if rt.group == 1 {
		groupLimit = 500 // market data
	}
	ep := s.endpoints.Get(c.route, s.endpointLimit, ipWindow)
	g := s.groups.Get(strconv.Itoa(rt.group), groupLimit, ipWindow)
	_, okEP := ep.Spend(c.now, 1)
	_, okG := g.Spend(c.now, 1)
	if c.now.Before(s.bannedUntil) {
		c.failStatus(http.StatusTeapot, codeRateLimit, "IP banned for sending requests after HTTP 429; it restores after 5 minutes")
		return false
	}
	if okEP && okG {
		return true
	}
	start := c.now.Truncate(ipWindow)
	if !s.noBans && s.hit429.Equal(start) {
		s.bannedUntil = c.now.Add(5 * time.Minute)
		c.failStatus(http.StatusTeapot, codeRateLimit, "IP banned for sending requests after HTTP 429; it restores after 5 minutes")
		return false
	}
	s.hit429 = start
	c.failStatus(http.StatusTooManyRequests, codeRateLimit, "rate limit exceeded")
	return false
}

// admitKey enforces the per-key limit of the endpoint and reports it in
// the rate-limit headers.
func (s *Server) admitKey(c *call, rt route) bool {
	if rt.uid == 0 || s.noUID {
		return true
	}
	s.mu.Lock()
	win := s.uid.Get(c.key.APIKey+" "+c.route, rt.uid*max(s.uidTimes, 1), time.Second)
	used, ok := win.Spend(c.now, 1)
	s.mu.Unlock()
	c.w.Header().Set("X-RateLimit-Requests-Remain", strconv.FormatInt(max(win.Limit-used, 0), 10))
	c.w.Header().Set("X-RateLimit-Requests-Expire", strconv.FormatInt(win.Ends(c.now).UnixMilli(), 10))
	if !ok {
		c.failStatus(http.StatusTooManyRequests, codeRateLimit,
			fmt.Sprintf("rate limit exceeded: %d requests per second on this endpoint", win.Limit))
	}
	return ok
}

// The fake's answers past its limits, as faults a test injects
// (fakex.Dialect): what the limits above answer on their own.
var _ fakex.Dialect = (*Server)(nil)

// RateLimited is BingX's answer over a per-IP limit: HTTP 429 with code
// 100410 and no header saying how long.
func (s *Server) RateLimited(time.Duration) fakex.Fault {
	return fakex.Fault{Status: http.StatusTooManyRequests, Body: `{"code":100410,"msg":"rate limit exceeded","data":{}}`}
}

// Banned is BingX's 418 to an address that went on after a 429: five
// minutes, said only in the message.
func (s *Server) Banned(time.Duration) fakex.Fault {
	return fakex.Fault{Status: http.StatusTeapot,
		Body: `{"code":100410,"msg":"IP banned for sending requests after HTTP 429; it restores after 5 minutes","data":{}}`}
}

// authenticate checks a signed request as BingX does: key, signature
// present, timestamp present, signature over the raw values in the order
// received, timestamp window, then the key's IP whitelist and permission.
func (s *Server) authenticate(c *call, need int) bool {
	r := c.r
	key, known := s.Store.Key(r.Header.Get("X-BX-APIKEY"))
	if !known {
		c.fail(codeBadAPIKey, "Incorrect apiKey")
		return false
	}
	body, _ := fakex.ReadBody(r)
	if b := strings.TrimSpace(string(body)); b != "" && b != "{}" {
		c.fail(codeBadParameter, "Invalid parameters, the parameters of this request go in the query string")
		return false
	}
	pairs, sig, encoded, err := splitQuery(r.URL.RawQuery)
	if err != nil {
		c.fail(codeBadParameter, "Invalid parameters, the query string cannot be decoded")
		return false
	}
	if sig == "" {
		c.fail(codeNoSignature, "Null signature")
		return false
	}
	params := url.Values{}
	raw := make([]string, len(pairs))
	for i, p := range pairs {
		params.Add(p[0], p[1])
		raw[i] = p[0] + "=" + p[1]
	}
	ts, err := strconv.ParseInt(params.Get("timestamp"), 10, 64)
	if err != nil {
		c.fail(codeTimestamp, msgTimestamp)
		return false
	}
	good := sign.EqualHexFold(sig, sign.Hex(key.Secret, strings.Join(raw, "&")))
	if !good && s.lenient {
		good = sign.EqualHexFold(sig, sign.Hex(key.Secret, encoded))
	}
	if !good {
		c.fail(codeBadSignature, "Signature verification failed, try to run our sample code from the link https://bingx-api.github.io/docs/#/en-us/common/sign")
		return false
	}
	window := int64(5000)
	if v := params.Get("recvWindow"); v != "" {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil && n > 0 {
			window = n
		}
	}
	if d := c.now.UnixMilli() - ts; d > window || -d > window {
		c.fail(codeTimestamp, msgTimestamp)
		return false
	}
	if len(key.IPAddresses) > 0 && !slices.Contains(key.IPAddresses, fakex.RemoteIP(r)) {
		c.fail(codeIPWhitelist, "IP does not match IP whitelist")
		return false
	}
	if need != 0 && !slices.Contains(key.Permissions, need) {
		what := map[int]string{PermRead: "Read", PermSpotTrade: "Spot Trading", PermSwapTrade: "Perpetual Futures Trading"}[need]
		c.fail(codePermission, "Permission denied as the API key was created without the permission, this api need "+what+" permission")
		return false
	}
	c.key, c.params = key, params
	return true
}

// splitQuery takes the signature out of a raw query and decodes the other
// values, keeping their order; encoded is the rest as received.
func splitQuery(q string) (pairs [][2]string, sig, encoded string, err error) {
	var kept []string
	for _, part := range strings.Split(q, "&") {
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		if k == "signature" {
			sig = v
			continue
		}
		dv, err := url.QueryUnescape(v)
		if err != nil {
			return nil, "", "", err
		}
		kept = append(kept, part)
		pairs = append(pairs, [2]string{k, dv})
	}
	return pairs, sig, strings.Join(kept, "&"), nil
}
