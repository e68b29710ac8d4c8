// Command fakebinance runs the fake Binance of package fake as a program on
// loopback, for tests that start the gahost daemon and the plugin as
// processes, and for demos. It prints its addresses as one JSON line,
//
//	{"url":"http://127.0.0.1:41234","control":"http://127.0.0.1:41235","ws":"ws://127.0.0.1:41236"}
//
// where ws is the base of its private streams (the plugin's spot_ws and
// futures_ws endpoints). Its control address answers what fakex.Main's
// does (POST /accounts, GET /calls) and drives the streams:
//
//	POST /spot    {"api_key","asset","free","locked"}: set a spot balance and push the event
//	POST /drop    {"share":0.5}: lose that share of the events from now on
//	POST /cut     close every stream connection, as an outage would
//	GET  /streams the streams' counters (fake.WSStats)
//
// Flags -ws-conn-limit, -ws-conn-window and -ws-lifetime change the
// streams' per-IP connection rate and connection lifetime from Binance's
// (300 per 5 minutes, 24 h), for tests that run on a scaled clock. It is
// for tests only and never listens beyond 127.0.0.1.
//
// Flags -spot-weight and -futures-weight replace the per-minute weight
// limits of the two hosts (Binance's 6000 and 2400): a benchmark that syncs
// back to back, with no budget, raises them so that it measures the client
// instead of the fake's 429s.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/globalautomation/gahost/plugins/binance/fake"
	"github.com/globalautomation/gahost/sdk/fakex"
)

func main() {
	seed := flag.String("seed", "", "JSON file of {key, account} entries to add before serving")
	var ws fake.WSConfig
	flag.IntVar(&ws.ConnLimit, "ws-conn-limit", 0, "new stream connections per -ws-conn-window per IP (default Binance's 300)")
	flag.DurationVar(&ws.ConnWindow, "ws-conn-window", 0, "the window of -ws-conn-limit (default 5m)")
	flag.DurationVar(&ws.Lifetime, "ws-lifetime", 0, "a stream connection's lifetime (default 24h)")
	spot := flag.Int64("spot-weight", 6000, "request weight per minute the spot API allows one IP")
	futures := flag.Int64("futures-weight", 2400, "request weight per minute the USDⓈ-M API allows one IP")
	flag.Parse()
	if *spot <= 0 || *futures <= 0 {
		fmt.Fprintln(os.Stderr, "-spot-weight and -futures-weight must be positive")
		os.Exit(2)
	}
	if err := run(*seed, ws, fake.WithWeightLimits(*spot, *futures)); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(seed string, ws fake.WSConfig, opts ...fake.Option) error {
	f := fake.New(opts...)
	defer f.Close()
	if seed != "" {
		b, err := os.ReadFile(seed)
		if err != nil {
			return err
		}
		var entries []fakex.Seeded[fake.Key, fake.Account]
		if err := json.Unmarshal(b, &entries); err != nil {
			return fmt.Errorf("seed %s: %w", seed, err)
		}
		for _, e := range entries {
			f.Seed(e.Key, e.Account)
		}
	}
	wsURL := f.StartWS(ws)

	mux := http.NewServeMux()
	mux.Handle("/", fakex.ControlHandler(f.Server, f.Seed))
	mux.HandleFunc("POST /spot", func(w http.ResponseWriter, r *http.Request) {
		var v struct {
			APIKey string `json:"api_key"`
			Asset  string `json:"asset"`
			Free   string `json:"free"`
			Locked string `json:"locked"`
		}
		if !decode(w, r, &v) {
			return
		}
		f.SetSpot(v.APIKey, v.Asset, v.Free, v.Locked)
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST /drop", func(w http.ResponseWriter, r *http.Request) {
		var v struct {
			Share float64 `json:"share"`
		}
		if !decode(w, r, &v) {
			return
		}
		f.DropEvents(v.Share)
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST /cut", func(w http.ResponseWriter, _ *http.Request) {
		f.CutStreams()
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /streams", func(w http.ResponseWriter, _ *http.Request) {
		fakex.WriteJSON(w, http.StatusOK, f.Stats())
	})

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	ctl := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = ctl.Serve(l) }()
	defer ctl.Close()

	line, _ := json.Marshal(map[string]string{"url": f.URL(), "control": "http://" + l.Addr().String(), "ws": wsURL})
	if _, err := fmt.Printf("%s\n", line); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
	return nil
}

func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(io.LimitReader(r.Body, 1<<16))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		fakex.WriteJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return false
	}
	return true
}
