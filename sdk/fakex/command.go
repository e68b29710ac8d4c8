package fakex

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
)

// Seeded is one API key of a fake with the account behind it, as a seed
// file lists them and POST /accounts on the control address takes them.
// K and A are the fake's own key and account types, written as JSON with
// their Go field names.
type Seeded[K, A any] struct {
	Key     K `json:"key"`
	Account A `json:"account"`
}

// Main runs srv, a connector's fake exchange, as a program: what a test
// that starts the gahost daemon as a process (or a demo) points the
// connector's endpoints at. add registers one key and its account with the
// fake.
//
// It takes -seed FILE, a JSON array of Seeded values to add before
// serving, then prints one JSON line to stdout,
//
//	{"url":"http://127.0.0.1:41234","control":"http://127.0.0.1:41235"}
//
// and serves until SIGINT or SIGTERM. The control address (loopback only,
// like the fake) answers POST /accounts with one Seeded value to add, and
// GET /calls?path=P with {"calls":N}, how many requests the fake received
// on path P, and GET /requests?path=P with the requests received on path P
// (see LoggedRequest), oldest first.
func Main[K, A any](srv *Server, add func(K, A)) {
	seed := flag.String("seed", "", "JSON file of {key, account} entries to add before serving")
	flag.Parse()
	err := RunCommand(srv, add, *seed, os.Stdout, ControlHandler(srv, add), nil)
	srv.Close()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// RunCommand is the body of Main, for commands that serve more beside the
// fake (package fakews runs the private streams too): it adds the seed
// file's entries (none when seed is ""), serves control on a loopback
// address, writes {"url","control"} and the extra addresses as one JSON
// line to out, and returns at SIGINT or SIGTERM. It closes nothing of
// srv.
func RunCommand[K, A any](srv *Server, add func(K, A), seed string, out io.Writer, control http.Handler, extra map[string]string) error {
	if seed != "" {
		b, err := os.ReadFile(seed)
		if err != nil {
			return err
		}
		var entries []Seeded[K, A]
		if err := json.Unmarshal(b, &entries); err != nil {
			return fmt.Errorf("seed %s: %w", seed, err)
		}
		for _, e := range entries {
			add(e.Key, e.Account)
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	ctl := &http.Server{Handler: control, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = ctl.Serve(l) }()
	defer ctl.Close()

	addrs := map[string]string{"url": srv.URL(), "control": "http://" + l.Addr().String()}
	for k, v := range extra {
		addrs[k] = v
	}
	line, _ := json.Marshal(addrs)
	if _, err := fmt.Fprintf(out, "%s\n", line); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
	return nil
}

// LoggedRequest is a request as GET /requests shows it: what a test needs
// to check what a connector sent. The headers (signatures, API keys) are
// left out.
type LoggedRequest struct {
	Method string `json:"method"`
	Query  string `json:"query"`
	Body   string `json:"body"`
	Status int    `json:"status"`
}

// ControlHandler is the control interface Main serves beside the fake:
// POST /accounts adds a Seeded value, GET /calls?path=P counts requests and
// GET /requests?path=P lists them.
func ControlHandler[K, A any](srv *Server, add func(K, A)) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /accounts", func(w http.ResponseWriter, r *http.Request) {
		var e Seeded[K, A]
		dec := json.NewDecoder(io.LimitReader(r.Body, 1<<20))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&e); err != nil {
			WriteJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
		add(e.Key, e.Account)
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /calls", func(w http.ResponseWriter, r *http.Request) {
		WriteJSON(w, http.StatusOK, map[string]int{"calls": srv.Calls(r.URL.Query().Get("path"))})
	})
	mux.HandleFunc("GET /requests", func(w http.ResponseWriter, r *http.Request) {
		path := r.URL.Query().Get("path")
		out := []LoggedRequest{}
		for _, rec := range srv.Requests() {
			if rec.Path == path {
				out = append(out, LoggedRequest{Method: rec.Method, Query: rec.Query, Body: string(rec.Body), Status: rec.Status})
			}
		}
		WriteJSON(w, http.StatusOK, out)
	})
	return mux
}
