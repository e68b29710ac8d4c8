// Package schedtest is a fake exchange for the sync scheduler's tests and
// benchmark, spoken to by the host's test plugin (host/testdata/testplugin)
// when an account's "rest" endpoint points at it; and, for tests that run
// in process on a fake clock, the test plugin itself (Plugin) and a
// catalog of them (Catalog) that keeps the exchanges' rate budgets at its
// boundary as the host's plugin catalog does.
//
// It counts for itself what the scheduler must get right: weight per
// fixed window against a per-IP limit (answers over the limit are counted
// and refused with 429, as exchanges do), calls per API key, and calls that
// arrive while it is banning. It serves each API key its own deterministic
// balances and positions so a test can compare the dashboard with what was
// served. It listens on loopback only and knows no real exchange.
package schedtest

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/globalautomation/gahost/sdk/fakex"
)

// Paths and the weight each costs. The test plugin declares the same costs
// in its Info (spot_balances 10, futures_account 5, positions 5).
const (
	PathSpot      = "/v1/spot"
	PathFutures   = "/v1/futures"
	PathPositions = "/v1/positions"
	PathValidate  = "/v1/validate"
)

var weights = map[string]int64{PathSpot: 10, PathFutures: 5, PathPositions: 5, PathValidate: 10}

// Headers of the protocol between the fake and the test plugin.
const (
	HeaderKey          = "X-Test-Key"         // the account's API key
	HeaderUsedWeight   = "X-Used-Weight"      // weight used in the current window
	HeaderWeightLimit  = "X-Weight-Limit"     // the limit per window
	HeaderWindowMillis = "X-Weight-Window-Ms" // the window
	HeaderRetryMillis  = "X-Retry-After-Ms"   // on 429: how long to wait
	WeightName         = "request_weight"     // the rate limit's name
	KeyBadPrefix       = "bad"                // keys starting so answer 401
	KeyNoFutures       = "+nofutures"         // keys containing it answer 403 on futures
)

// Balance, Futures and Position are the wire form of the fake's answers:
// amounts as decimal strings, as exchanges send them.
type Balance struct {
	Asset  string `json:"asset"`
	Free   string `json:"free"`
	Locked string `json:"locked"`
}

type Futures struct {
	Asset            string `json:"asset"`
	WalletBalance    string `json:"wallet_balance"`
	UnrealizedPnL    string `json:"unrealized_pnl"`
	MarginBalance    string `json:"margin_balance"`
	AvailableBalance string `json:"available_balance"`
}

type Position struct {
	Symbol           string `json:"symbol"`
	Side             string `json:"side"`
	Size             string `json:"size"`
	EntryPrice       string `json:"entry_price"`
	MarkPrice        string `json:"mark_price"`
	UnrealizedPnL    string `json:"unrealized_pnl"`
	Leverage         string `json:"leverage"`
	LiquidationPrice string `json:"liquidation_price"`
	MarginMode       string `json:"margin_mode"`
}

// Account is what the fake serves for one API key.
type Account struct {
	Spot      []Balance  `json:"spot"`
	Futures   Futures    `json:"futures"`
	Positions []Position `json:"positions"`
}

// ErrorBody is the fake's error answer.
type ErrorBody struct {
	Message string `json:"msg"`
}

// Exchange is one fake exchange: one IP's worth of rate limit.
type Exchange struct {
	// Latency holds every answer back this long.
	Latency time.Duration
	// RecordTimes keeps SpotTimes (on by default); a long benchmark turns
	// it off.
	RecordTimes bool
	// LogRequests keeps every request with its key and the times it came
	// in and was answered (Log), so that a test can tell whether two
	// clients called for one account at once.
	LogRequests bool

	limit  int64
	window *fakex.Window

	mu          sync.Mutex
	accounts    map[string]Account
	calls       map[string]int
	spotTimes   map[string][]time.Time // when each key's spot balances were asked for
	failures    map[string]int         // key + path -> status to answer instead
	log         []Logged
	total       int
	overLimit   int
	maxUsed     int64
	banUntil    time.Time
	banned      int // requests answered 429 because of Ban
	firstBanHit time.Time
	lastBanHit  time.Time
}

// New returns a fake exchange allowing limit weight per window.
func New(limit int64, window time.Duration) *Exchange {
	return &Exchange{
		RecordTimes: true,
		limit:       limit,
		window:      fakex.NewWindow(limit, window),
		accounts:    map[string]Account{},
		calls:       map[string]int{},
		spotTimes:   map[string][]time.Time{},
		failures:    map[string]int{},
	}
}

// Fail answers status to key's calls of path until Fail is called again
// with status 0.
func (x *Exchange) Fail(key, path string, status int) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if status == 0 {
		delete(x.failures, key+" "+path)
		return
	}
	x.failures[key+" "+path] = status
}

// SpotTimes is when key's spot balances were asked for: one entry per
// sync of the account.
func (x *Exchange) SpotTimes(key string) []time.Time {
	x.mu.Lock()
	defer x.mu.Unlock()
	return append([]time.Time(nil), x.spotTimes[key]...)
}

// Ban answers every request with 429 for d, asking to retry after d.
func (x *Exchange) Ban(d time.Duration) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.banUntil = time.Now().Add(d)
}

// Spend counts weight sent by another client on the same IP in the
// current window: traffic the host did not send but that the fake counts
// and reports in its usage headers, as an exchange does.
func (x *Exchange) Spend(weight int64) {
	used, _ := x.window.Spend(time.Now(), weight)
	x.mu.Lock()
	defer x.mu.Unlock()
	x.maxUsed = max(x.maxUsed, used)
}

// SetAccount sets what the fake serves for key.
func (x *Exchange) SetAccount(key string, a Account) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.accounts[key] = a
}

// Account is what the fake serves for key: what SetAccount set, else data
// derived from the key.
func (x *Exchange) Account(key string) Account {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.accountLocked(key)
}

func (x *Exchange) accountLocked(key string) Account {
	if a, ok := x.accounts[key]; ok {
		return a
	}
	a := Derived(key)
	x.accounts[key] = a
	return a
}

// Derived is the data a key gets by default. Amounts carry more digits
// than a float64 holds, so any float on the way shows.
func Derived(key string) Account {
	h := fnv.New64a()
	h.Write([]byte(key))
	n := h.Sum64()
	frac := func(shift uint) string { return fmt.Sprintf("%018d", (n>>shift)%1_000_000_000_000_000_000) }
	return Account{
		Spot: []Balance{
			{Asset: "BTC", Free: "0." + frac(1), Locked: "0.000000000000000001"},
			{Asset: "USDT", Free: strconv.FormatUint(n%100000, 10) + "." + frac(3), Locked: "0"},
		},
		Futures: Futures{
			Asset: "USDT", WalletBalance: "5000." + frac(5), UnrealizedPnL: "-12.5",
			MarginBalance: "4987.50", AvailableBalance: "4000." + frac(7),
		},
		Positions: []Position{{
			Symbol: "BTC/USDT:USDT", Side: "long", Size: "0.010", EntryPrice: "60000.1",
			MarkPrice: "58750." + frac(9), UnrealizedPnL: "-12.5", Leverage: "10",
			LiquidationPrice: "54321.9", MarginMode: "cross",
		}},
	}
}

// Stats is what the fake counted.
type Stats struct {
	Calls       int       // requests received
	OverLimit   int       // requests that pushed a window over the limit
	MaxUsed     int64     // the most weight any window received
	Banned      int       // requests answered 429 during a Ban
	FirstBanHit time.Time // when the first and last of those came in
	LastBanHit  time.Time
}

// Stats returns the counters.
func (x *Exchange) Stats() Stats {
	x.mu.Lock()
	defer x.mu.Unlock()
	return Stats{Calls: x.total, OverLimit: x.overLimit, MaxUsed: x.maxUsed, Banned: x.banned,
		FirstBanHit: x.firstBanHit, LastBanHit: x.lastBanHit}
}

// Calls is how many requests came with key.
func (x *Exchange) Calls(key string) int {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.calls[key]
}

// Logged is one request of the log LogRequests keeps.
type Logged struct {
	Key   string    `json:"key"`
	Path  string    `json:"path"`
	Start time.Time `json:"start"` // when it came in
	End   time.Time `json:"end"`   // when its answer was written
	// Status is the answer's status, 0 for a request whose client left.
	Status int `json:"status"`
}

// Log is the request log kept while LogRequests is on, oldest first.
func (x *Exchange) Log() []Logged {
	x.mu.Lock()
	defer x.mu.Unlock()
	return append([]Logged(nil), x.log...)
}

func (x *Exchange) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	weight, known := weights[r.URL.Path]
	if !known {
		fakex.WriteJSON(w, http.StatusNotFound, ErrorBody{Message: "no such path"})
		return
	}
	key := r.Header.Get(HeaderKey)
	now := time.Now()
	if x.LogRequests {
		sw := &statusWriter{ResponseWriter: w}
		w = sw
		defer func() {
			x.mu.Lock()
			x.log = append(x.log, Logged{Key: key, Path: r.URL.Path, Start: now, End: time.Now(), Status: sw.status})
			x.mu.Unlock()
		}()
	}
	used, ok := x.window.Spend(now, weight)

	x.mu.Lock()
	x.total++
	x.calls[key]++
	if r.URL.Path == PathSpot && x.RecordTimes {
		x.spotTimes[key] = append(x.spotTimes[key], now)
	}
	failWith := x.failures[key+" "+r.URL.Path]
	x.maxUsed = max(x.maxUsed, used)
	banned := now.Before(x.banUntil)
	retry := x.banUntil.Sub(now)
	switch {
	case banned:
		x.banned++
		if x.firstBanHit.IsZero() {
			x.firstBanHit = now
		}
		x.lastBanHit = now
	case !ok:
		x.overLimit++
		retry = x.window.Ends(now).Sub(now)
	}
	var data Account
	if !strings.HasPrefix(key, KeyBadPrefix) {
		data = x.accountLocked(key)
	}
	x.mu.Unlock()

	if x.Latency > 0 {
		t := time.NewTimer(x.Latency)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}
	h := w.Header()
	h.Set(HeaderUsedWeight, strconv.FormatInt(used, 10))
	h.Set(HeaderWeightLimit, strconv.FormatInt(x.limit, 10))
	h.Set(HeaderWindowMillis, strconv.FormatInt(x.window.Size.Milliseconds(), 10))
	switch {
	case banned || !ok:
		h.Set(HeaderRetryMillis, strconv.FormatInt(max(retry.Milliseconds(), 1), 10))
		fakex.WriteJSON(w, http.StatusTooManyRequests, ErrorBody{Message: "too many requests"})
	case failWith != 0:
		fakex.WriteJSON(w, failWith, ErrorBody{Message: "injected failure"})
	case strings.HasPrefix(key, KeyBadPrefix):
		// Echoes the key, as some exchanges do: the host must not pass it on.
		fakex.WriteJSON(w, http.StatusUnauthorized, ErrorBody{Message: "invalid api key " + key})
	case r.URL.Path == PathFutures && strings.Contains(key, KeyNoFutures):
		fakex.WriteJSON(w, http.StatusForbidden, ErrorBody{Message: "key has no futures permission"})
	case r.URL.Path == PathSpot:
		writeJSON(w, struct {
			Balances []Balance `json:"balances"`
		}{data.Spot})
	case r.URL.Path == PathFutures:
		writeJSON(w, data.Futures)
	case r.URL.Path == PathPositions:
		writeJSON(w, struct {
			Positions []Position `json:"positions"`
		}{data.Positions})
	default:
		writeJSON(w, struct {
			OK bool `json:"ok"`
		}{true})
	}
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// statusWriter remembers the status written.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK // as net/http answers a body without a header
	}
	return w.ResponseWriter.Write(b)
}
