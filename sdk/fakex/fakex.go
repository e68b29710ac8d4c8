// Package fakex is the scaffolding the connectors' fake exchange servers
// share: a loopback HTTP server with a settable clock, a queue of injected
// faults (status, headers and body, slow answers, malformed JSON), a log of
// every request with per-path call and weight counters, fixed-window
// limiters kept by name, the store of keys and accounts with the row and
// position helpers the accounts share, and JSON and query helpers. The
// WebSocket side of a fake's private streams is package fakews.
//
// What an exchange checks and answers (its signature rule, error codes,
// response shapes, account state) lives in each connector's own fake
// package on top of this one. fakex must stay exchange-neutral, listen on
// loopback only, and is meant for tests: it favours being easy to inspect
// over being fast.
package fakex

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"
)

// Fault is an injected misbehaviour for the next matching request(s).
type Fault struct {
	Method string // "" matches any method
	Path   string // "" matches any path
	// Delay holds the answer back this long (or until the client gives up).
	Delay time.Duration
	// Status, when not zero, answers with Status, Header and Body instead
	// of letting the exchange handler run. With Status zero and only a
	// Delay, the request goes on to the handler after the delay.
	Status int
	Header http.Header
	Body   string
	// Malformed answers with Status (default 200) and a JSON body cut off
	// in the middle.
	Malformed bool
	// Times is how many matching requests the fault applies to; 0 means 1.
	Times int
}

// Record is one request as the fake received it.
type Record struct {
	At     time.Time // the fake's clock
	Method string
	Path   string
	Query  string // raw, exactly as received
	Body   []byte
	Header http.Header
	Status int // the status answered
}

// Server is a loopback fake exchange. Its zero value is not usable; see New.
type Server struct {
	srv     *httptest.Server
	handler http.Handler
	closing chan struct{}
	once    sync.Once
	onClose []func() // under mu

	mu      sync.Mutex
	offset  time.Duration
	faults  []*Fault
	records []Record
	calls   map[string]int
	weights map[string]int64
}

// New starts a fake on 127.0.0.1 serving h behind the fault queue and the
// request log.
func New(h http.Handler) *Server {
	s := &Server{
		handler: h,
		closing: make(chan struct{}),
		calls:   map[string]int{},
		weights: map[string]int64{},
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// URL is the base URL, e.g. "http://127.0.0.1:41234".
func (s *Server) URL() string { return s.srv.URL }

// Close stops the server, and first what was registered with OnClose;
// answers held back by a Delay are released.
func (s *Server) Close() {
	s.mu.Lock()
	stop := s.onClose
	s.onClose = nil
	s.mu.Unlock()
	for _, f := range stop {
		f()
	}
	s.once.Do(func() { close(s.closing) })
	s.srv.CloseClientConnections()
	s.srv.Close()
}

// OnClose makes Close call f first: what a fake serves beside its REST
// side (its streams) then stops with it, through the one Close a test
// defers.
func (s *Server) OnClose(f func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.onClose = append(s.onClose, f)
}

// Now is the fake exchange's clock: the real clock plus the offset set
// with SetClockOffset.
func (s *Server) Now() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return time.Now().Add(s.offset)
}

// SetClockOffset moves the fake's clock away from the real one, to test a
// connector's clock correction (a positive d puts the exchange ahead).
func (s *Server) SetClockOffset(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.offset = d
}

// Inject queues a fault. Faults apply in the order injected.
func (s *Server) Inject(f Fault) {
	if f.Times <= 0 {
		f.Times = 1
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &f)
}

// PendingFaults is how many injected faults have not fired yet.
func (s *Server) PendingFaults() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.faults)
}

// ClearFaults drops the injected faults that have not fired.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// Requests returns a copy of the request log.
func (s *Server) Requests() []Record {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Record(nil), s.records...)
}

// Calls is how many requests hit path.
func (s *Server) Calls(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[path]
}

// TotalCalls is how many requests the fake received.
func (s *Server) TotalCalls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.records)
}

// AddWeight charges w units of rate-limit weight to path; the exchange
// handler calls it for what the real exchange would charge.
func (s *Server) AddWeight(path string, w int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.weights[path] += w
}

// Weight is the weight charged to path so far.
func (s *Server) Weight(path string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.weights[path]
}

// TotalWeight is the weight charged to all paths so far.
func (s *Server) TotalWeight() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	var n int64
	for _, w := range s.weights {
		n += w
	}
	return n
}

// ResetLog clears the request log and the call and weight counters (not
// the faults, the clock or the exchange's state).
func (s *Server) ResetLog() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.records = nil
	s.calls = map[string]int{}
	s.weights = map[string]int64{}
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	r.Body = io.NopCloser(bytes.NewReader(body))
	rw := &recorder{ResponseWriter: w, status: http.StatusOK}

	s.mu.Lock()
	at := time.Now().Add(s.offset)
	idx := len(s.records)
	s.records = append(s.records, Record{
		At: at, Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery,
		Body: body, Header: r.Header.Clone(),
	})
	s.calls[r.URL.Path]++
	f := s.takeFault(r)
	s.mu.Unlock()

	defer func() {
		s.mu.Lock()
		s.records[idx].Status = rw.status
		s.mu.Unlock()
	}()

	if f != nil && f.Delay > 0 {
		t := time.NewTimer(f.Delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
			return
		case <-s.closing:
			return
		}
	}
	switch {
	case f != nil && f.Malformed:
		status := f.Status
		if status == 0 {
			status = http.StatusOK
		}
		copyHeader(rw.Header(), f.Header)
		rw.Header().Set("Content-Type", "application/json")
		rw.WriteHeader(status)
		_, _ = io.WriteString(rw, `{"code":0,"data":[{"truncated":`)
	case f != nil && f.Status != 0:
		copyHeader(rw.Header(), f.Header)
		if rw.Header().Get("Content-Type") == "" {
			rw.Header().Set("Content-Type", "application/json")
		}
		rw.WriteHeader(f.Status)
		_, _ = io.WriteString(rw, f.Body)
	default:
		s.handler.ServeHTTP(rw, r)
	}
}

func (s *Server) takeFault(r *http.Request) *Fault {
	for i, f := range s.faults {
		if (f.Method == "" || f.Method == r.Method) && (f.Path == "" || f.Path == r.URL.Path) {
			f.Times--
			if f.Times <= 0 {
				s.faults = append(s.faults[:i], s.faults[i+1:]...)
			}
			return f
		}
	}
	return nil
}

type recorder struct {
	http.ResponseWriter
	status int
}

func (r *recorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

func copyHeader(dst, src http.Header) {
	for k, vs := range src {
		for _, v := range vs {
			dst.Add(k, v)
		}
	}
}

// WriteJSON answers with status and v as JSON.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// CutParam removes the last "key=value" pair from a raw query or form
// string and returns the rest and the value. It is how a fake recovers the
// signed bytes of exchanges that append the signature as the last
// parameter.
func CutParam(raw, key string) (rest, value string, ok bool) {
	if v, found := strings.CutPrefix(raw, key+"="); found && !strings.Contains(v, "&") {
		return "", v, true
	}
	i := strings.LastIndex(raw, "&"+key+"=")
	if i < 0 {
		return raw, "", false
	}
	v := raw[i+len(key)+2:]
	if strings.Contains(v, "&") {
		return raw, "", false
	}
	return raw[:i], v, true
}
