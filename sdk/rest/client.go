package rest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/globalautomation/gahost/sdk"
)

// Hosts are the default base URLs of one endpoint key. An empty Testnet
// means the exchange has no test environment for it.
type Hosts struct {
	Mainnet string
	Testnet string
}

// DefaultEndpoints lists hosts as the built-in endpoints a connector
// reports in sdk.Info.DefaultEndpoints, sorted by key.
func DefaultEndpoints(hosts map[string]Hosts) []sdk.Endpoint {
	out := make([]sdk.Endpoint, 0, len(hosts))
	for k, h := range hosts {
		out = append(out, sdk.Endpoint{Key: k, Live: h.Mainnet, Testnet: h.Testnet})
	}
	slices.SortFunc(out, func(a, b sdk.Endpoint) int { return strings.Compare(a.Key, b.Key) })
	return out
}

// Signing is what a SignFunc sees and may change: it adds authentication
// headers, rewrites Query or Body (e.g. appends timestamp and signature),
// and lists in Redact any value it derived from the secret, so that the
// client can keep it out of errors.
type Signing struct {
	Method  string
	Path    string
	Query   string // encoded query as it will be sent, without '?'
	Body    []byte
	Header  http.Header
	Time    time.Time // the exchange's clock: local time plus measured offset
	Account sdk.Account
	Redact  []string
}

// SignFunc signs one request. It returns an *sdk.Error (e.g.
// KindAuthentication for a missing key) when it cannot.
type SignFunc func(s *Signing) error

// NeedKeys is the refusal of a call of exchange's for an account that
// lacks its API key or its secret key, nil when it has both: a
// KindAuthentication error before anything is signed or sent.
func NeedKeys(exchange string, acct sdk.Account) error {
	if acct.APIKey == "" || acct.SecretKey == "" {
		return sdk.Errorf(sdk.KindAuthentication, "%s: an API key and a secret key are required", exchange)
	}
	return nil
}

// DecodeFunc turns an answer into a typed error, or nil for success. The
// client calls it for every answer, whatever the status, because some
// exchanges report failures inside HTTP 200. When it returns nil for a
// non-2xx answer the client falls back to StatusError.
type DecodeFunc func(r *Response) error

// UsageFunc reads rate-limit usage from an answer's headers.
type UsageFunc func(r *Response) []sdk.RateUsage

// TimeSource says where an exchange publishes its clock.
type TimeSource struct {
	// Paths maps an endpoint key to the path of its public server-time
	// endpoint. Endpoint keys without one share no clock correction.
	Paths map[string]string
	// Parse reads the server time from the endpoint's answer.
	Parse func(body []byte) (time.Time, error)
}

// Config describes an exchange to the client.
type Config struct {
	// Exchange names the exchange in error messages and logs, e.g. "binance".
	Exchange string
	// Hosts maps each endpoint key to its default base URLs.
	Hosts  map[string]Hosts
	Sign   SignFunc
	Decode DecodeFunc
	Usage  UsageFunc
	// Time enables clock-offset tracking; nil signs with the local clock.
	Time *TimeSource

	// HTTPClient defaults to a client that never follows redirects (a
	// redirect would carry the key header to another host).
	HTTPClient *http.Client
	// MaxBodyBytes bounds an answer; default 8 MiB.
	MaxBodyBytes int64
	// DefaultTimeout bounds a call whose context has no deadline; default 30s.
	DefaultTimeout time.Duration
	// ResyncEvery is how old a clock offset may get before it is measured
	// again; default 10 minutes.
	ResyncEvery time.Duration
	// Logger receives one debug line per exchange call (method, path,
	// status, duration; never the query or headers). Nil discards.
	Logger Logger
	// Now is the local clock; tests replace it.
	Now func() time.Time
}

// Request is one call as a connector builds it, before signing.
type Request struct {
	Method   string
	Endpoint string // endpoint key, e.g. "spot", "futures", "rest"
	Path     string
	Query    Params
	Body     []byte
	// ContentType is set when Body is not empty.
	ContentType string
	Signed      bool
	// Order marks a call with an effect that must not be repeated blindly
	// (placing an order): failures whose outcome cannot be known become
	// sdk.KindUnknownOutcome.
	Order bool
}

// Response is one answer as the decode and usage hooks see it.
type Response struct {
	Exchange string
	Request  *Request
	Status   int
	Header   http.Header
	Body     []byte
	// Received is the exchange's clock (local plus offset) at the answer.
	Received time.Time
}

// Errorf builds an *sdk.Error about this answer, prefixed with the
// exchange, method and path (never the query).
func (r *Response) Errorf(k sdk.Kind, code string, format string, args ...any) *sdk.Error {
	return &sdk.Error{
		Kind:         k,
		Message:      r.prefix() + fmt.Sprintf(format, args...),
		ExchangeCode: code,
	}
}

func (r *Response) prefix() string {
	return fmt.Sprintf("%s: %s %s: ", r.Exchange, r.Request.Method, r.Request.Path)
}

// Client is safe for concurrent use; one per connector.
type Client struct {
	cfg    Config
	http   *http.Client
	log    Logger
	mu     sync.Mutex
	clocks map[string]*clock
}

// sharedTransport is the connection pool of every client in the process.
// The default transport keeps two idle connections per host, so a host
// syncing dozens of accounts of one exchange at once would open and close a
// TLS connection for nearly every request; this keeps enough for that.
var sharedTransport = func() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = 512
	t.MaxIdleConnsPerHost = 128
	t.IdleConnTimeout = 90 * time.Second
	return t
}()

// New returns a client for cfg.
func New(cfg Config) *Client {
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = 8 << 20
	}
	if cfg.DefaultTimeout <= 0 {
		cfg.DefaultTimeout = 30 * time.Second
	}
	if cfg.ResyncEvery <= 0 {
		cfg.ResyncEvery = 10 * time.Minute
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{
			Transport: sharedTransport,
			CheckRedirect: func(*http.Request, []*http.Request) error {
				return http.ErrUseLastResponse
			},
		}
	}
	var log Logger = nopLogger{}
	if cfg.Logger != nil {
		log = cfg.Logger
	}
	return &Client{cfg: cfg, http: hc, log: log, clocks: map[string]*clock{}}
}

// BaseURL resolves the base URL of endpoint for acct: the account's
// override if it has one (testnet or not), else the testnet or mainnet
// default.
func (c *Client) BaseURL(acct sdk.Account, endpoint string) (string, error) {
	if v := acct.Endpoints[endpoint]; v != "" {
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.User != nil {
			return "", sdk.Errorf(sdk.KindInvalidRequest,
				"%s: endpoint override %q is not an http(s) base URL", c.cfg.Exchange, endpoint)
		}
		return strings.TrimRight(v, "/"), nil
	}
	h, ok := c.cfg.Hosts[endpoint]
	if !ok {
		return "", sdk.Errorf(sdk.KindInvalidRequest, "%s: no endpoint %q", c.cfg.Exchange, endpoint)
	}
	if acct.Testnet {
		if h.Testnet == "" {
			return "", sdk.Errorf(sdk.KindUnsupported, "%s: no testnet for endpoint %q", c.cfg.Exchange, endpoint)
		}
		return h.Testnet, nil
	}
	return h.Mainnet, nil
}

// Do sends req and, on success, decodes a JSON answer into out (when out
// is not nil).
func (c *Client) Do(ctx context.Context, acct sdk.Account, req Request, out any) error {
	resp, err := c.Send(ctx, acct, req)
	if err != nil {
		return err
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(resp.Body, out); err != nil {
		e := resp.Errorf(sdk.KindUnknown, "", "malformed answer: %s", jsonProblem(err))
		if req.Order {
			e.Kind = sdk.KindUnknownOutcome
			e.Message += "; the order may have been placed"
		}
		return e
	}
	return nil
}

// Send sends req and returns the answer when it is a success. A failure is
// a typed error: transport problems, StatusError or the Decode hook's
// verdict, with order-mode and redaction rules applied.
func (c *Client) Send(ctx context.Context, acct sdk.Account, req Request) (*Response, error) {
	var redact []string
	resp, err := c.send(ctx, acct, req, &redact)
	if err != nil {
		return nil, scrub(err, acct, redact)
	}
	return resp, nil
}

func (c *Client) send(ctx context.Context, acct sdk.Account, req Request, redact *[]string) (*Response, error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.cfg.DefaultTimeout)
		defer cancel()
	}
	base, err := c.BaseURL(acct, req.Endpoint)
	if err != nil {
		return nil, err
	}
	if req.Signed {
		// Sign once up front, so a request that cannot be signed (no key)
		// touches nothing on the network, not even the clock endpoint.
		if c.cfg.Sign == nil {
			return nil, sdk.Errorf(sdk.KindUnsupported, "%s: signed requests are not configured", c.cfg.Exchange)
		}
		if err := c.cfg.Sign(&Signing{Method: req.Method, Path: req.Path, Header: http.Header{}, Time: c.cfg.Now(), Account: acct}); err != nil {
			return nil, err
		}
	}
	timed := req.Signed && c.cfg.Time != nil && c.cfg.Time.Paths[req.Endpoint] != ""
	if timed {
		if err := c.syncClock(ctx, acct, req.Endpoint, base, time.Time{}); err != nil {
			return nil, err
		}
	}
	sent := c.cfg.Now()
	resp, err := c.roundTrip(ctx, acct, base, &req, redact)
	if err == nil {
		err = c.check(resp)
	}
	if timed && sdk.KindOf(err) == sdk.KindClockSkew {
		// The exchange rejected the timestamp before acting on the
		// request, so sending it again, even an order, is safe.
		if serr := c.syncClock(ctx, acct, req.Endpoint, base, sent); serr != nil {
			return nil, err
		}
		resp, err = c.roundTrip(ctx, acct, base, &req, redact)
		if err == nil {
			err = c.check(resp)
		}
	}
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// roundTrip signs and sends one request and reads the answer, whatever its
// status. Its errors are transport failures only.
func (c *Client) roundTrip(ctx context.Context, acct sdk.Account, base string, req *Request, redact *[]string) (*Response, error) {
	query, body := req.Query.Encode(), req.Body
	hdr := http.Header{}
	if len(body) > 0 && req.ContentType != "" {
		hdr.Set("Content-Type", req.ContentType)
	}
	ck := c.clockFor(base)
	if req.Signed {
		if c.cfg.Sign == nil {
			return nil, sdk.Errorf(sdk.KindUnsupported, "%s: signed requests are not configured", c.cfg.Exchange)
		}
		s := &Signing{
			Method: req.Method, Path: req.Path, Query: query, Body: body,
			Header: hdr, Time: ck.now(c.cfg.Now()), Account: acct,
		}
		if err := c.cfg.Sign(s); err != nil {
			return nil, err
		}
		query, body = s.Query, s.Body
		*redact = append(*redact, s.Redact...)
	}
	target := base + req.Path
	if query != "" {
		target += "?" + query
	}
	hreq, err := http.NewRequestWithContext(ctx, req.Method, target, bytes.NewReader(body))
	if err != nil {
		// The URL is not echoed: it may carry a signature.
		return nil, sdk.Errorf(sdk.KindInvalidRequest, "%s: %s %s: cannot build the request", c.cfg.Exchange, req.Method, req.Path)
	}
	hreq.Header = hdr
	var (
		wroteMu sync.Mutex
		wrote   bool
	)
	hreq = hreq.WithContext(httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		WroteRequest: func(httptrace.WroteRequestInfo) {
			wroteMu.Lock()
			wrote = true
			wroteMu.Unlock()
		},
	}))
	start := c.cfg.Now()
	hresp, err := c.http.Do(hreq)
	if err != nil {
		wroteMu.Lock()
		w := wrote
		wroteMu.Unlock()
		c.logCall(req, 0, start, err)
		return nil, c.transportError(ctx, req, err, w)
	}
	defer hresp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(hresp.Body, c.cfg.MaxBodyBytes+1))
	if err != nil {
		c.logCall(req, hresp.StatusCode, start, err)
		return nil, c.transportError(ctx, req, err, true)
	}
	resp := &Response{
		Exchange: c.cfg.Exchange,
		Request:  req,
		Status:   hresp.StatusCode,
		Header:   hresp.Header,
		Body:     data,
		Received: ck.now(c.cfg.Now()),
	}
	if c.cfg.Usage != nil {
		sdk.ReportUsage(ctx, c.cfg.Usage(resp)...)
	}
	c.logCall(req, hresp.StatusCode, start, nil)
	if int64(len(data)) > c.cfg.MaxBodyBytes {
		e := resp.Errorf(sdk.KindUnknown, "", "answer larger than %d bytes", c.cfg.MaxBodyBytes)
		if req.Order {
			e.Kind = sdk.KindUnknownOutcome
			e.Message += "; the order may have been placed"
		}
		return nil, e
	}
	return resp, nil
}

// check applies the Decode hook, the status fallback and the order-mode
// rule to an answer.
func (c *Client) check(resp *Response) error {
	var err error
	if c.cfg.Decode != nil {
		err = c.cfg.Decode(resp)
	}
	if err == nil && (resp.Status < 200 || resp.Status > 299) {
		err = StatusError(resp)
	}
	if err == nil || !resp.Request.Order {
		return err
	}
	if (resp.Status >= 500 || resp.Status == http.StatusRequestTimeout) && sdk.KindOf(err) != sdk.KindUnknownOutcome {
		return UnknownOutcome(err)
	}
	return err
}

// UnknownOutcome re-types err as sdk.KindUnknownOutcome, keeping its
// message and exchange code.
func UnknownOutcome(err error) *sdk.Error {
	out := &sdk.Error{Kind: sdk.KindUnknownOutcome, Message: err.Error()}
	var e *sdk.Error
	if errors.As(err, &e) {
		out.Message, out.ExchangeCode = e.Message, e.ExchangeCode
	}
	out.Message += "; the order may have been placed, check before sending it again"
	return out
}

func (c *Client) transportError(ctx context.Context, req *Request, err error, wrote bool) error {
	// *url.Error prints the full URL, query and signature included; only
	// its cause is kept.
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	prefix := fmt.Sprintf("%s: %s %s: ", c.cfg.Exchange, req.Method, req.Path)
	var e *sdk.Error
	switch {
	case ctx.Err() != nil:
		e = sdk.Errorf(sdk.KindUnavailable, "%sno answer before the deadline", prefix)
	case wrote:
		e = sdk.Errorf(sdk.KindUnavailable, "%sconnection lost while waiting for the answer: %v", prefix, err)
	default:
		e = sdk.Errorf(sdk.KindUnavailable, "%scannot reach the exchange: %v", prefix, err)
	}
	if req.Order && wrote {
		e = UnknownOutcome(e)
	}
	// Deliberately not wrapping ctx.Err(): the boundary turns a context
	// error into a bare gRPC deadline status, which would lose
	// KindUnknownOutcome on an order that may have been placed.
	return e
}

func (c *Client) logCall(req *Request, status int, start time.Time, err error) {
	c.log.Debug("exchange call",
		"exchange", c.cfg.Exchange,
		"method", req.Method,
		"path", req.Path,
		"status", status,
		"took", c.cfg.Now().Sub(start).String(),
		"transport_error", err != nil,
	)
}

// Logger is the one method the client logs through. Both *slog.Logger and
// hclog.Logger (sdk.Logger()) satisfy it.
type Logger interface {
	Debug(msg string, args ...any)
}

type nopLogger struct{}

func (nopLogger) Debug(string, ...any) {}

func jsonProblem(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("invalid JSON at byte %d", se.Offset)
	case errors.As(err, &te):
		return fmt.Sprintf("field %q has JSON type %s", te.Field, te.Value)
	}
	return "cannot decode JSON"
}
