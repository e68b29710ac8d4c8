// Package fake is a Binance look-alike on loopback for tests: it checks
// every signed request the way Binance does (key header,
// signature over query+body, timestamp window,
// IP whitelist, key permissions) and answers with the documented response
// shapes and error codes from state the test sets: keys, spot balances,
// the futures wallet, positions (one-way or hedge), and the orders placed.
//
// It also enforces the request-weight budget per minute of each host (429
// with -1003 and X-MBX-USED-WEIGHT-1M when exceeded, then escalating 418
// bans), counts calls and weight per path, and, through the embedded
// fakex.Server, injects faults and moves its clock.
//
// It serves the spot (/api, /sapi) and futures (/fapi) paths on one URL,
// so both endpoint keys of an account can point at it. It is for tests
// only and must never listen beyond loopback.
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

// Key is an API key the fake accepts, with the restrictions that
// GET /sapi/v1/account/apiRestrictions reports and the fake enforces.
type Key struct {
	APIKey string
	Secret string

	EnableReading              bool
	EnableSpotAndMarginTrading bool
	EnableFutures              bool
	EnableWithdrawals          bool
	// IPRestrict limits the key to AllowedIPs; calls from elsewhere get
	// -2015 like any other rejected key.
	IPRestrict bool
	AllowedIPs []string
}

// id is the API key k answers to.
func (k Key) id() string { return k.APIKey }

// FullKey returns a key with reading, spot and futures trading enabled and
// IP-restricted to loopback: the usual good key of a test.
func FullKey(apiKey, secret string) Key {
	return Key{
		APIKey: apiKey, Secret: secret,
		EnableReading: true, EnableSpotAndMarginTrading: true, EnableFutures: true,
		IPRestrict: true, AllowedIPs: []string{"127.0.0.1", "::1"},
	}
}

// Balance is one spot asset.
type Balance struct {
	Asset, Free, Locked string
}

// FuturesAsset is one asset row of the USDⓈ-M wallet.
type FuturesAsset struct {
	Asset            string
	WalletBalance    string
	UnrealizedProfit string
	MarginBalance    string
	AvailableBalance string
}

// Position is one row of /fapi/v3/positionRisk. PositionSide is BOTH in
// one-way mode, LONG or SHORT in hedge mode; PositionAmt is signed.
type Position struct {
	Symbol           string
	PositionSide     string
	PositionAmt      string
	EntryPrice       string
	MarkPrice        string
	UnRealizedProfit string
	LiquidationPrice string
	IsolatedWallet   string
	MarginAsset      string
}

// SymbolConfig is one row of /fapi/v1/symbolConfig.
type SymbolConfig struct {
	Leverage   int64
	MarginType string // CROSSED or ISOLATED
}

// Order is an order the fake accepted.
type Order struct {
	Market        string // "spot" or "futures"
	Symbol        string
	OrderID       int64
	ClientOrderID string
	Side          string
	Type          string
	TimeInForce   string
	PositionSide  string
	Quantity      string
	QuoteOrderQty string
	Price         string
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
	Futures   []FuturesAsset
	Positions []Position
	// SymbolConfig overrides leverage and margin type per futures symbol
	// (default 20x, CROSSED).
	SymbolConfig map[string]SymbolConfig
	HedgeMode    bool
	Orders       []Order
}

// Market is a symbol the fake lists, with the price market orders fill at.
type Market struct {
	Base, Quote, Price string
}

// Option adjusts New.
type Option func(*Server)

// WithWeightLimits sets the per-minute IP weight budgets (default 6000 for
// spot, 2400 for futures).
func WithWeightLimits(spot, futures int64) Option {
	return func(s *Server) {
		s.limits[hostSpot] = fakex.NewWindow(spot, time.Minute)
		s.limits[hostFutures] = fakex.NewWindow(futures, time.Minute)
	}
}

// WithoutBans keeps answering 429 when a client goes on after a 429,
// instead of banning it with 418.
func WithoutBans() Option { return func(s *Server) { s.noBans = true } }

type host int

const (
	hostSpot host = iota
	hostSapi
	hostFutures
)

type ban struct {
	hit429 time.Time // start of the window in which the last 429 was sent
	until  time.Time
	count  int
}

// Server is the fake. Embedded fakex.Server gives URL, Close, Inject,
// SetClockOffset, Calls, Weight and Requests; embedded fakex.Store gives
// AddKey, Seed, Update and Account.
type Server struct {
	*fakex.Server
	*fakex.Store[Key, Account]
	fakews.Streams[*wsConn, WSConfig, WSStats] // the private streams (ws.go)

	mu      sync.Mutex
	spot    fakex.Symbols[Market]
	futures fakex.Symbols[Market]
	limits  map[host]*fakex.Window
	bans    map[host]*ban
	noBans  bool
	nextID  int64
	marks   fakex.Marks                 // futures mark prices set by SetMark (market.go)
	ws      *wsState                    // the streams' own state, once started
	keys    *fakews.ListenKeys[*wsConn] // the USDⓈ-M listenKeys (ws.go)
}

// New starts a fake Binance on 127.0.0.1 with BTCUSDT, ETHUSDT and ETHBTC
// listed on spot and BTCUSDT and ETHUSDT on futures.
func New(opts ...Option) *Server {
	s := &Server{
		spot: map[string]Market{
			"BTCUSDT": {"BTC", "USDT", "60000"},
			"ETHUSDT": {"ETH", "USDT", "3000"},
			"ETHBTC":  {"ETH", "BTC", "0.05"},
		},
		futures: map[string]Market{
			"BTCUSDT": {"BTC", "USDT", "60000"},
			"ETHUSDT": {"ETH", "USDT", "3000"},
		},
		limits: map[host]*fakex.Window{
			hostSpot:    fakex.NewWindow(6000, time.Minute),
			hostSapi:    fakex.NewWindow(12000, time.Minute),
			hostFutures: fakex.NewWindow(2400, time.Minute),
		},
		bans:   map[host]*ban{hostSpot: {}, hostSapi: {}, hostFutures: {}},
		nextID: 1000,
	}
	for _, o := range opts {
		o(s)
	}
	s.Server, s.Store = fakex.Start[Key, Account](&s.mu, Key.id, s.serve)
	s.Streams.Setup(s.Server, &s.mu, s.openStreams)
	s.keys = fakews.NewListenKeys[*wsConn](&s.mu)
	return s
}

// UsedWeight is the weight used in the current minute on the spot or
// futures host ("spot" or "futures").
func (s *Server) UsedWeight(hostName string) int64 {
	h := hostSpot
	if hostName == "futures" {
		h = hostFutures
	}
	return s.limits[h].Used(s.Now())
}

// --- the request pipeline ---

// perm is what a route needs from the key.
type perm int

const (
	permNone perm = iota
	permRead
	permSpotTrade
	permFutures
)

type route struct {
	weight int64
	signed bool
	perm   perm
	handle func(s *Server, c *call)
}

// routes are keyed by "METHOD path"; weights are Binance's documented request weights.
var routes = map[string]route{
	"GET /api/v3/time":                     {1, false, permNone, (*Server).serverTime},
	"GET /fapi/v1/time":                    {1, false, permNone, (*Server).serverTime},
	"GET /sapi/v1/account/apiRestrictions": {1, true, permNone, (*Server).apiRestrictions},
	"GET /api/v3/account":                  {20, true, permRead, (*Server).spotAccount},
	"POST /api/v3/order":                   {1, true, permSpotTrade, (*Server).spotOrder},
	"DELETE /api/v3/order":                 {1, true, permSpotTrade, (*Server).cancelOrder},
	"GET /fapi/v1/accountConfig":           {5, true, permFutures, (*Server).accountConfig},
	"GET /fapi/v1/positionSide/dual":       {30, true, permFutures, (*Server).positionMode},
	"GET /fapi/v3/account":                 {5, true, permFutures, (*Server).futuresAccount},
	"GET /fapi/v3/positionRisk":            {5, true, permFutures, (*Server).positionRisk},
	"GET /fapi/v1/symbolConfig":            {5, true, permFutures, (*Server).symbolConfig},
	"POST /fapi/v1/order":                  {0, true, permFutures, (*Server).futuresOrder},
	"DELETE /fapi/v1/order":                {1, true, permFutures, (*Server).cancelOrder},
}

// call is one request being served.
type call struct {
	w      http.ResponseWriter
	r      *http.Request
	host   host
	params url.Values
	key    Key
	now    time.Time
}

func (c *call) futures() bool { return c.host == hostFutures }

// json answers v with status.
func (c *call) json(status int, v any) { fakex.WriteJSON(c.w, status, v) }

// fail answers Binance's error body.
func (c *call) fail(status int, code int, msg string) {
	c.json(status, map[string]any{"code": code, "msg": msg})
}

func (c *call) mandatory(name string) { c.fail(400, -1102, mandatory(name)) }

// mandatory is Binance's -1102 message for a parameter not sent.
func mandatory(name string) string {
	return fmt.Sprintf("Mandatory parameter '%s' was not sent, was empty/null, or malformed.", name)
}

func hostOf(path string) (host, bool) {
	switch {
	case strings.HasPrefix(path, "/api/"):
		return hostSpot, true
	case strings.HasPrefix(path, "/sapi/"):
		return hostSapi, true
	case strings.HasPrefix(path, "/fapi/"):
		return hostFutures, true
	}
	return 0, false
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	h, ok := hostOf(r.URL.Path)
	rt, known := routes[r.Method+" "+r.URL.Path]
	if !ok || !known {
		http.NotFound(w, r)
		return
	}
	c := &call{w: w, r: r, host: h, now: s.Now()}
	if !s.admit(c, r.URL.Path, rt.weight) {
		return
	}
	if rt.signed && !s.authenticate(c, rt.perm) {
		return
	}
	if !rt.signed {
		c.params = r.URL.Query()
	}
	rt.handle(s, c)
}

// admit charges the weight and enforces the budget and bans.
func (s *Server) admit(c *call, path string, weight int64) bool {
	s.AddWeight(path, weight)
	s.mu.Lock()
	defer s.mu.Unlock()
	win, b := s.limits[c.host], s.bans[c.host]
	used, ok := win.Spend(c.now, weight)
	header := "X-MBX-USED-WEIGHT-1M"
	if c.host == hostSapi {
		header = "X-SAPI-USED-IP-WEIGHT-1M"
	}
	c.w.Header().Set(header, strconv.FormatInt(used, 10))
	if c.now.Before(b.until) {
		s.banned(c, b)
		return false
	}
	if ok {
		return true
	}
	windowStart := c.now.Truncate(win.Size)
	if !s.noBans && b.hit429.Equal(windowStart) {
		// Going on after a 429 earns a ban, longer each time: 2 min,
		// doubling, capped at 3 days.
		b.count++
		d := min(2*time.Minute<<(b.count-1), 72*time.Hour)
		b.until = c.now.Add(d)
		s.banned(c, b)
		return false
	}
	b.hit429 = windowStart
	retry := win.Ends(c.now).Sub(c.now)
	c.w.Header().Set("Retry-After", fakex.RetryAfter(retry))
	c.fail(http.StatusTooManyRequests, -1003, fmt.Sprintf(
		"Too much request weight used; current limit is %d request weight per 1 MINUTE. Please use WebSocket Streams for live updates to avoid polling the API.", win.Limit))
	return false
}

func (s *Server) banned(c *call, b *ban) {
	left := b.until.Sub(c.now)
	c.w.Header().Set("Retry-After", fakex.RetryAfter(left))
	c.fail(http.StatusTeapot, -1003, fmt.Sprintf(
		"Way too much request weight used; IP banned until %d. Please use WebSocket Streams for live updates to avoid bans.", b.until.UnixMilli()))
}

// The fake's answers past its limits, as faults a test injects
// (fakex.Dialect): what the limits above answer on their own.
var _ fakex.Dialect = (*Server)(nil)

// RateLimited is Binance's answer over the weight budget: 429, -1003 and
// a Retry-After header.
func (s *Server) RateLimited(retryAfter time.Duration) fakex.Fault {
	return fakex.Fault{Status: http.StatusTooManyRequests, Header: fakex.RetryAfterHeader(retryAfter),
		Body: `{"code":-1003,"msg":"Too much request weight used; current limit is 6000 request weight per 1 MINUTE."}`}
}

// Banned is Binance's 418 to an address that went on past a 429: -1003
// naming when the ban ends, and a Retry-After header.
func (s *Server) Banned(d time.Duration) fakex.Fault {
	return fakex.Fault{Status: http.StatusTeapot, Header: fakex.RetryAfterHeader(d),
		Body: fmt.Sprintf(`{"code":-1003,"msg":"Way too much request weight used; IP banned until %d."}`, s.Now().Add(d).UnixMilli())}
}

// authenticate checks a signed request as Binance does: key
// header, signature over query+body, timestamp window, then the key's IP
// whitelist and permissions.
func (s *Server) authenticate(c *call, need perm) bool {
	r := c.r
	apiKey := r.Header.Get("X-MBX-APIKEY")
	if apiKey == "" || strings.ContainsAny(apiKey, " \t") {
		c.fail(401, -2014, "API-key format invalid.")
		return false
	}
	key, ok := s.Store.Key(apiKey)
	rejected := func() bool {
		msg := "Invalid API-key, IP, or permissions for action."
		if c.futures() {
			msg = "Invalid API-key, IP, or permissions for action, request ip: " + fakex.RemoteIP(r)
		}
		c.fail(401, -2015, msg)
		return false
	}
	if !ok {
		return rejected()
	}

	query := r.URL.RawQuery
	b, _ := fakex.ReadBody(r)
	body := string(b)
	if body != "" && !strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		c.fail(400, -1102, "Content-Type must be application/x-www-form-urlencoded.")
		return false
	}
	payloadQuery, payloadBody, sig := query, body, ""
	if rest, v, found := fakex.CutParam(query, "signature"); found {
		payloadQuery, sig = rest, v
	} else if rest, v, found := fakex.CutParam(body, "signature"); found {
		payloadBody, sig = rest, v
	}
	params, err := mergeParams(payloadQuery, payloadBody)
	if err != nil {
		c.fail(400, -1100, "Illegal characters found in a parameter.")
		return false
	}
	c.params = params
	if sig == "" {
		c.mandatory("signature")
		return false
	}
	tsText := params.Get("timestamp")
	ts, err := strconv.ParseInt(tsText, 10, 64)
	if err != nil {
		c.mandatory("timestamp")
		return false
	}
	window := int64(5000)
	if v := params.Get("recvWindow"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			c.mandatory("recvWindow")
			return false
		}
		if n > 60000 {
			c.fail(400, -1131, "recvWindow must be less than 60000")
			return false
		}
		window = n
	}
	// the signed bytes are query then body, no separator; Binance
	// compares the hex case-insensitively.
	if !sign.EqualHexFold(sig, sign.Hex(key.Secret, payloadQuery+payloadBody)) {
		c.fail(400, -1022, "Signature for this request is not valid.")
		return false
	}
	now := c.now.UnixMilli()
	if ts >= now+1000 {
		c.fail(400, -1021, "Timestamp for this request was 1000ms ahead of the server's time.")
		return false
	}
	if now-ts > window {
		c.fail(400, -1021, "Timestamp for this request is outside of the recvWindow.")
		return false
	}
	if key.IPRestrict && !slices.Contains(key.AllowedIPs, fakex.RemoteIP(r)) {
		return rejected()
	}
	allowed := map[perm]bool{
		permNone:      true,
		permRead:      key.EnableReading,
		permSpotTrade: key.EnableReading && key.EnableSpotAndMarginTrading,
		permFutures:   key.EnableReading && key.EnableFutures,
	}[need]
	if !allowed {
		return rejected()
	}
	c.key = key
	return true
}

// mergeParams reads query and form body; a key in both takes the query's
// value.
func mergeParams(query, body string) (url.Values, error) {
	q, err := url.ParseQuery(query)
	if err != nil {
		return nil, err
	}
	b, err := url.ParseQuery(body)
	if err != nil {
		return nil, err
	}
	for k, v := range b {
		if _, dup := q[k]; !dup {
			q[k] = v
		}
	}
	return q, nil
}
