// Command fakeexchange serves schedtest fake exchanges from a process of its
// own, so that a benchmark of the host measures the host and its plugins
// and not the fakes. It listens on loopback only, one port per exchange,
// prints "name url" per exchange and then "ready", and exits when its
// standard input closes (its parent is gone) or on SIGTERM.
//
//	fakeexchange -exchanges alpha,beta -limit 200000 -window 1m -latency 50ms
//
// GET /_stats on any port answers that exchange's schedtest.Stats as JSON.
// With -log, each exchange keeps every request, and GET /_requests answers
// them (schedtest.Logged) as JSON, oldest first: a test that points several
// hosts at ports of their own (each its own source IP's limit) reads from
// them who called for which account when.
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
	"strings"
	"syscall"
	"time"

	"github.com/globalautomation/gahost/host/internal/scheduler/schedtest"
)

func main() {
	names := flag.String("exchanges", "alpha", "comma-separated exchange names")
	limit := flag.Int64("limit", 6000, "request weight allowed per window, per exchange")
	window := flag.Duration("window", time.Minute, "rate-limit window")
	latency := flag.Duration("latency", 0, "added to every answer")
	logRequests := flag.Bool("log", false, "keep every request for GET /_requests")
	flag.Parse()

	var servers []*http.Server
	for _, name := range strings.Split(*names, ",") {
		fx := schedtest.New(*limit, *window)
		fx.Latency = *latency
		fx.RecordTimes = false
		fx.LogRequests = *logRequests
		mux := http.NewServeMux()
		mux.Handle("/", fx)
		mux.HandleFunc("GET /_stats", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(fx.Stats())
		})
		mux.HandleFunc("GET /_requests", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(fx.Log())
		})
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
		servers = append(servers, srv)
		go func() { _ = srv.Serve(ln) }()
		fmt.Printf("%s http://%s\n", name, ln.Addr())
	}
	fmt.Println("ready")

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		stop()
	}()
	<-ctx.Done()
	for _, srv := range servers {
		_ = srv.Close()
	}
}
