package fakews

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"

	"github.com/globalautomation/gahost/sdk/fakex"
)

// Command is a connector's fake exchange with its private streams, as
// Main runs it. K and A are the fake's key and account types.
type Command[K, A any] struct {
	Server *fakex.Server // the REST side; its Close stops the streams too
	// Add registers a key and its account; replacing the account of a
	// key already known pushes what changed to its live streams, as
	// the exchange would (see Replace).
	Add func(K, A)
	// StartWS starts the streams and returns their base URL.
	StartWS func() string
	// Switches lose events and cut connections (the fake's embedded
	// Streams, or its own methods of the same names).
	Switches interface {
		DropEvents(share float64)
		CutStreams()
	}
	// Stats are the streams' counters, written as JSON by GET /streams.
	Stats func() any
	// SetSpot sets one spot balance of apiKey's account and pushes the
	// event the exchange sends for it; amounts are decimal strings.
	SetSpot func(apiKey, asset, free, locked string)
	// Expire, for exchanges with listenKeys, ends apiKey's listenKeys now
	// as their expiry would; nil where there are none.
	Expire func(apiKey string)
	// Routes are the fake's further controls, pattern -> handler (see
	// Control).
	Routes map[string]http.HandlerFunc
}

// SpotChange is the body of POST /spot.
type SpotChange struct {
	APIKey string `json:"api_key"`
	Asset  string `json:"asset"`
	Free   string `json:"free"`
	Locked string `json:"locked"` // "" counts as "0"
}

// Main runs a fake exchange with streams as a program, for tests that
// start the gahost daemon and the plugin as processes, and for demos. It
// registers -seed (a JSON file of fakex.Seeded values to add before
// serving) next to the flags the caller registered, parses them, and then
// calls build, so that build can read the caller's flags. It prints the
// addresses as one JSON line,
//
//	{"url":"http://127.0.0.1:41234","control":"http://127.0.0.1:41235","ws":"ws://127.0.0.1:41236"}
//
// where ws is the base of the private streams, and serves until SIGINT or
// SIGTERM. The control address answers what fakex.Main's does (POST
// /accounts, GET /calls, GET /requests; POST /accounts for a known key
// pushes what its new account changed, through Add) and drives the
// streams the same way on every exchange, so that one test can drive
// them all:
//
//	POST /spot    {"api_key","asset","free","locked"}: set a spot balance and push its event
//	POST /drop    {"share":0.5}: lose that share of the events from now on
//	POST /cut     close every stream connection, as an outage would
//	POST /expire  {"api_key"}: end the key's listenKeys now (exchanges with listenKeys)
//	GET  /streams the streams' counters
//
// plus the command's own Routes. It listens on 127.0.0.1 only.
func Main[K, A any](build func() (Command[K, A], error)) {
	seed := flag.String("seed", "", "JSON file of {key, account} entries to add before serving")
	flag.Parse()
	c, err := build()
	if err == nil {
		err = run(c, *seed, os.Stdout)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run[K, A any](c Command[K, A], seed string, out io.Writer) error {
	defer c.Server.Close()
	return fakex.RunCommand(c.Server, c.Add, seed, out, c.handler(), map[string]string{"ws": c.StartWS()})
}

// handler is the control interface Main serves.
func (c Command[K, A]) handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/", fakex.ControlHandler(c.Server, c.Add))
	mux.HandleFunc("POST /spot", Control(func(v SpotChange) {
		if v.Locked == "" {
			v.Locked = "0"
		}
		c.SetSpot(v.APIKey, v.Asset, v.Free, v.Locked)
	}))
	mux.HandleFunc("POST /drop", Control(func(v struct {
		Share float64 `json:"share"`
	}) {
		c.Switches.DropEvents(v.Share)
	}))
	mux.HandleFunc("POST /cut", func(w http.ResponseWriter, _ *http.Request) {
		c.Switches.CutStreams()
		w.WriteHeader(http.StatusNoContent)
	})
	if c.Expire != nil {
		mux.HandleFunc("POST /expire", Control(func(v struct {
			APIKey string `json:"api_key"`
		}) {
			c.Expire(v.APIKey)
		}))
	}
	mux.HandleFunc("GET /streams", func(w http.ResponseWriter, _ *http.Request) {
		fakex.WriteJSON(w, http.StatusOK, c.Stats())
	})
	for pattern, h := range c.Routes {
		mux.HandleFunc(pattern, h)
	}
	return mux
}

// Control is a control route that decodes its JSON body strictly (an
// unknown field is a 400, so that a test's typo fails loudly) into a T,
// calls do and answers 204.
func Control[T any](do func(T)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var v T
		dec := json.NewDecoder(io.LimitReader(r.Body, 1<<16))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&v); err != nil {
			fakex.WriteJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
		do(v)
		w.WriteHeader(http.StatusNoContent)
	}
}
