package rest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/fakex"
	"github.com/globalautomation/gahost/sdk/rest"
	"github.com/globalautomation/gahost/sdk/sign"
)

const (
	testKey    = "test-api-key-0123456789"
	testSecret = "test-secret-abcdefghijklmnop"
)

// toy is a minimal exchange: the signature is hex HMAC over the query,
// which carries ts=<ms>; errors come as {"err":"<kind>"} with a status.
type toy struct {
	fx *fakex.Server
}

func newToy(t *testing.T) *toy {
	t.Helper()
	ty := &toy{}
	ty.fx = fakex.New(http.HandlerFunc(ty.serve))
	t.Cleanup(ty.fx.Close)
	return ty
}

func (ty *toy) serve(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Used", "7")
	switch r.URL.Path {
	case "/time":
		fakex.WriteJSON(w, 200, map[string]int64{"t": ty.fx.Now().UnixMilli()})
		return
	case "/echo-secret":
		// A badly behaved exchange that repeats what it was sent.
		fakex.WriteJSON(w, 400, map[string]string{"err": "bad", "msg": r.Header.Get("X-Key") + " " + r.URL.RawQuery})
		return
	case "/redirect":
		http.Redirect(w, r, "http://127.0.0.1:1/elsewhere", http.StatusFound)
		return
	case "/big":
		fakex.WriteJSON(w, 200, map[string]string{"x": strings.Repeat("a", 4096)})
		return
	}
	if r.Header.Get("X-Key") != testKey {
		fakex.WriteJSON(w, 401, map[string]string{"err": "auth"})
		return
	}
	payload, sig, ok := fakex.CutParam(r.URL.RawQuery, "sig")
	if !ok || !sign.EqualHexFold(sig, sign.Hex(testSecret, payload)) {
		fakex.WriteJSON(w, 401, map[string]string{"err": "auth"})
		return
	}
	ts, _ := strconv.ParseInt(r.URL.Query().Get("ts"), 10, 64)
	if d := ty.fx.Now().UnixMilli() - ts; d > 1000 || d < -1000 {
		fakex.WriteJSON(w, 400, map[string]string{"err": "skew"})
		return
	}
	fakex.WriteJSON(w, 200, map[string]string{"ok": "yes", "path": r.URL.Path})
}

func toyConfig(base string, log rest.Logger) rest.Config {
	return rest.Config{
		Exchange: "toy",
		Hosts:    map[string]rest.Hosts{"main": {Mainnet: base, Testnet: base + "/"}, "mainonly": {Mainnet: base}},
		Sign: func(s *rest.Signing) error {
			s.Query = rest.JoinQuery(s.Query, "ts="+strconv.FormatInt(s.Time.UnixMilli(), 10))
			sig := sign.Hex(s.Account.SecretKey, s.Query)
			s.Query += "&sig=" + sig
			s.Header.Set("X-Key", s.Account.APIKey)
			s.Redact = append(s.Redact, sig)
			return nil
		},
		Decode: func(r *rest.Response) error {
			var body struct{ Err, Msg string }
			_ = json.Unmarshal(r.Body, &body)
			switch body.Err {
			case "":
				return nil
			case "auth":
				return r.Errorf(sdk.KindAuthentication, "", "bad key")
			case "skew":
				return r.Errorf(sdk.KindClockSkew, "", "clock")
			}
			return r.Errorf(sdk.KindInvalidRequest, "", "exchange said: %s", body.Msg)
		},
		Usage: func(r *rest.Response) []sdk.RateUsage {
			n, _ := strconv.ParseInt(r.Header.Get("X-Used"), 10, 64)
			return []sdk.RateUsage{{Name: "weight", Used: n, Limit: 100, Interval: time.Minute}}
		},
		Time: &rest.TimeSource{
			Paths: map[string]string{"main": "/time"},
			Parse: func(b []byte) (time.Time, error) {
				var v struct{ T int64 }
				if err := json.Unmarshal(b, &v); err != nil || v.T == 0 {
					return time.Time{}, errors.New("bad time")
				}
				return time.UnixMilli(v.T), nil
			},
		},
		Logger:         log,
		DefaultTimeout: 5 * time.Second,
	}
}

func acct() sdk.Account { return sdk.Account{APIKey: testKey, SecretKey: testSecret} }

func TestBaseURL(t *testing.T) {
	c := rest.New(toyConfig("http://mainnet.example", nil))
	tests := []struct {
		name     string
		acct     sdk.Account
		endpoint string
		want     string
		kind     sdk.Kind
	}{
		{"mainnet", sdk.Account{}, "main", "http://mainnet.example", 0},
		{"testnet", sdk.Account{Testnet: true}, "main", "http://mainnet.example/", 0},
		{"override wins on mainnet", sdk.Account{Endpoints: map[string]string{"main": "http://127.0.0.1:9/"}}, "main", "http://127.0.0.1:9", 0},
		{"override wins on testnet", sdk.Account{Testnet: true, Endpoints: map[string]string{"main": "https://x.test"}}, "main", "https://x.test", 0},
		{"no testnet", sdk.Account{Testnet: true}, "mainonly", "", sdk.KindUnsupported},
		{"unknown key", sdk.Account{}, "other", "", sdk.KindInvalidRequest},
		{"bad override", sdk.Account{Endpoints: map[string]string{"main": "ftp://x"}}, "main", "", sdk.KindInvalidRequest},
		{"override with userinfo", sdk.Account{Endpoints: map[string]string{"main": "http://u:p@x"}}, "main", "", sdk.KindInvalidRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := c.BaseURL(tt.acct, tt.endpoint)
			if tt.kind != 0 {
				if sdk.KindOf(err) != tt.kind {
					t.Fatalf("err = %v, want kind %v", err, tt.kind)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("BaseURL = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestSignedCallCorrectsClockAndReportsUsage(t *testing.T) {
	ty := newToy(t)
	ty.fx.SetClockOffset(-time.Hour) // the exchange runs an hour behind us
	c := rest.New(toyConfig(ty.fx.URL(), nil))
	rec := &sdk.UsageRecorder{}
	ctx := sdk.WithUsageRecorder(context.Background(), rec)

	var out struct{ OK, Path string }
	err := c.Do(ctx, acct(), rest.Request{Method: "GET", Endpoint: "main", Path: "/data", Query: rest.Params{}.Add("a", "1 2"), Signed: true}, &out)
	if err != nil {
		t.Fatal(err)
	}
	if out.OK != "yes" || out.Path != "/data" {
		t.Fatalf("out = %+v", out)
	}
	off, ok := c.Offset(acct(), "main")
	if !ok || off > -time.Hour+time.Second || off < -time.Hour-time.Second {
		t.Fatalf("offset = %v, %v", off, ok)
	}
	if got := rec.Usage(); len(got) != 1 || got[0].Used != 7 || got[0].Name != "weight" {
		t.Fatalf("usage = %+v", got)
	}
	// The query went out as built: space as %20, ts appended, sig last.
	reqs := ty.fx.Requests()
	last := reqs[len(reqs)-1]
	if !strings.HasPrefix(last.Query, "a=1%202&ts=") || !strings.Contains(last.Query, "&sig=") {
		t.Fatalf("query = %q", last.Query)
	}
	// A second call reuses the measurement.
	if err := c.Do(ctx, acct(), rest.Request{Method: "GET", Endpoint: "main", Path: "/data", Signed: true}, nil); err != nil {
		t.Fatal(err)
	}
	if n := ty.fx.Calls("/time"); n != 1 {
		t.Fatalf("time calls = %d, want 1", n)
	}
}

func TestClockSkewResyncsOnceAndRetries(t *testing.T) {
	ty := newToy(t)
	c := rest.New(toyConfig(ty.fx.URL(), nil))
	ctx := context.Background()
	req := rest.Request{Method: "POST", Endpoint: "main", Path: "/order", Signed: true, Order: true}
	if err := c.Do(ctx, acct(), req, nil); err != nil {
		t.Fatal(err)
	}
	ty.fx.SetClockOffset(30 * time.Second) // the exchange's clock jumps
	if err := c.Do(ctx, acct(), req, nil); err != nil {
		t.Fatalf("after clock jump: %v", err)
	}
	if n := ty.fx.Calls("/time"); n != 2 {
		t.Fatalf("time calls = %d, want 2", n)
	}
	if n := ty.fx.Calls("/order"); n != 3 {
		t.Fatalf("order calls = %d, want 3 (ok, skew, retry)", n)
	}

	// A skew that survives the resync is reported, not retried forever.
	ty.fx.Inject(fakex.Fault{Path: "/order", Status: 400, Body: `{"err":"skew"}`, Times: 2})
	err := c.Do(ctx, acct(), req, nil)
	if !errors.Is(err, sdk.ErrClockSkew) {
		t.Fatalf("err = %v, want clock skew", err)
	}
}

func TestErrorMapping(t *testing.T) {
	ty := newToy(t)
	c := rest.New(toyConfig(ty.fx.URL(), nil))
	get := rest.Request{Method: "GET", Endpoint: "main", Path: "/data", Signed: true}
	order := rest.Request{Method: "POST", Endpoint: "main", Path: "/order", Signed: true, Order: true}
	tests := []struct {
		name       string
		fault      fakex.Fault
		req        rest.Request
		kind       sdk.Kind
		retryAfter time.Duration
	}{
		{"429 with Retry-After", fakex.Fault{Status: 429, Header: http.Header{"Retry-After": {"7"}}, Body: `{}`}, get, sdk.KindRateLimited, 7 * time.Second},
		{"418 ban", fakex.Fault{Status: 418, Header: http.Header{"Retry-After": {"120"}}, Body: `{}`}, get, sdk.KindRateLimited, 2 * time.Minute},
		{"500 on a read", fakex.Fault{Status: 500, Body: `{}`}, get, sdk.KindUnavailable, 0},
		{"503 on an order", fakex.Fault{Status: 503, Body: `{}`}, order, sdk.KindUnknownOutcome, 0},
		{"decoded error on a 500 order", fakex.Fault{Status: 500, Body: `{"err":"bad","msg":"x"}`}, order, sdk.KindUnknownOutcome, 0},
		{"400 on an order stays a failure", fakex.Fault{Status: 400, Body: `{"err":"bad","msg":"no"}`}, order, sdk.KindInvalidRequest, 0},
		{"malformed JSON on a read", fakex.Fault{Malformed: true}, get, sdk.KindUnknown, 0},
		{"malformed JSON on an order", fakex.Fault{Malformed: true}, order, sdk.KindUnknownOutcome, 0},
		{"401", fakex.Fault{Status: 401, Body: `{}`}, get, sdk.KindAuthentication, 0},
		{"404", fakex.Fault{Status: 404, Body: `{}`}, get, sdk.KindInvalidRequest, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := tt.fault
			f.Path = tt.req.Path
			ty.fx.Inject(f)
			var out struct{ OK string }
			err := c.Do(context.Background(), acct(), tt.req, &out)
			if got := sdk.KindOf(err); got != tt.kind {
				t.Fatalf("kind = %v (%v), want %v", got, err, tt.kind)
			}
			if got := sdk.RetryAfter(err); got != tt.retryAfter {
				t.Fatalf("retry after = %v, want %v", got, tt.retryAfter)
			}
		})
	}
}

func TestDeadlines(t *testing.T) {
	ty := newToy(t)
	c := rest.New(toyConfig(ty.fx.URL(), nil))
	if err := c.Do(context.Background(), acct(), rest.Request{Method: "GET", Endpoint: "main", Path: "/data", Signed: true}, nil); err != nil {
		t.Fatal(err)
	}
	for _, order := range []bool{false, true} {
		t.Run(fmt.Sprintf("order=%v", order), func(t *testing.T) {
			ty.fx.Inject(fakex.Fault{Path: "/slow", Delay: 10 * time.Second})
			ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
			defer cancel()
			err := c.Do(ctx, acct(), rest.Request{Method: "POST", Endpoint: "main", Path: "/slow", Signed: true, Order: order}, nil)
			want := sdk.KindUnavailable
			if order {
				want = sdk.KindUnknownOutcome
			}
			if sdk.KindOf(err) != want {
				t.Fatalf("err = %v (kind %v), want %v", err, sdk.KindOf(err), want)
			}
			var e *sdk.Error
			if !errors.As(err, &e) || errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("err = %#v: want a bare *sdk.Error, which keeps its kind across the boundary", err)
			}
		})
	}
}

func TestUnreachableOrderIsAPlainFailure(t *testing.T) {
	// Nothing was sent, so the order cannot have been placed.
	cfg := toyConfig("http://127.0.0.1:1", nil)
	cfg.Time = nil
	c := rest.New(cfg)
	err := c.Do(context.Background(), acct(), rest.Request{Method: "POST", Endpoint: "main", Path: "/order", Signed: true, Order: true}, nil)
	if sdk.KindOf(err) != sdk.KindUnavailable {
		t.Fatalf("err = %v, want unavailable", err)
	}
}

func TestNoSecretsInErrorsOrLogs(t *testing.T) {
	ty := newToy(t)
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	cfg := toyConfig(ty.fx.URL(), log)
	cfg.MaxBodyBytes = 1024
	c := rest.New(cfg)
	var errs []string
	for _, path := range []string{"/echo-secret", "/redirect", "/big", "/data"} {
		ty.fx.Inject(fakex.Fault{Path: "/data", Status: 500, Body: `{"err":"bad"}`})
		err := c.Do(context.Background(), acct(), rest.Request{Method: "GET", Endpoint: "main", Path: path, Signed: true}, nil)
		if err == nil {
			t.Fatalf("%s: no error", path)
		}
		errs = append(errs, err.Error())
	}
	// An unreachable host: Go's own error would print the signed URL.
	cfg = toyConfig("http://127.0.0.1:1", log)
	cfg.Time = nil
	err := rest.New(cfg).Do(context.Background(), acct(), rest.Request{Method: "GET", Endpoint: "main", Path: "/data", Signed: true}, nil)
	errs = append(errs, err.Error())

	var sigs []string
	for _, r := range ty.fx.Requests() {
		if _, sig, ok := fakex.CutParam(r.Query, "sig"); ok {
			sigs = append(sigs, sig)
		}
	}
	if len(sigs) == 0 {
		t.Fatal("no signed requests seen")
	}
	all := strings.Join(errs, "\n") + "\n" + logs.String()
	for _, s := range append([]string{testKey, testSecret}, sigs...) {
		if strings.Contains(all, s) {
			t.Fatalf("secret %q leaked into:\n%s", s[:6], all)
		}
	}
	if !strings.Contains(errs[0], "[redacted]") {
		t.Fatalf("echoed secret not redacted: %s", errs[0])
	}
	if !strings.Contains(logs.String(), "path=/data") {
		t.Fatalf("expected debug log lines, got:\n%s", logs.String())
	}
}

func TestParamsEncoding(t *testing.T) {
	tests := []struct {
		p    rest.Params
		want string
		raw  string
	}{
		{rest.Params{}.Add("symbol", "BTCUSDT").Add("qty", "0.1"), "symbol=BTCUSDT&qty=0.1", "symbol=BTCUSDT&qty=0.1"},
		{rest.Params{}.Add("s", "a b+c"), "s=a%20b%2Bc", "s=a b+c"},
		{rest.Params{}.Add("symbol", "１２３４５６"), "symbol=%EF%BC%91%EF%BC%92%EF%BC%93%EF%BC%94%EF%BC%95%EF%BC%96", "symbol=１２３４５６"},
		{rest.Params{}.Add("symbols", `["A","B"]`), "symbols=%5B%22A%22%2C%22B%22%5D", `symbols=["A","B"]`},
		{rest.Params{}.Add("x", "!'()*-_.~"), "x=!'()*-_.~", "x=!'()*-_.~"},
		{rest.Params{}, "", ""},
	}
	for _, tt := range tests {
		if got := tt.p.Encode(); got != tt.want {
			t.Errorf("Encode = %q, want %q", got, tt.want)
		}
		if got := tt.p.Raw(); got != tt.raw {
			t.Errorf("Raw = %q, want %q", got, tt.raw)
		}
	}
	sorted := rest.Params{}.Add("b", "1").Add("a", "2").Add("b", "0").Sorted().Raw()
	if sorted != "a=2&b=1&b=0" {
		t.Errorf("Sorted = %q", sorted)
	}
	if got := rest.JoinQuery("", "a=1"); got != "a=1" {
		t.Errorf("JoinQuery = %q", got)
	}
}

func TestRetryAfterHeader(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		v    string
		want time.Duration
		ok   bool
	}{
		{"", 0, false},
		{"30", 30 * time.Second, true},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second, true},
		{"soon", 0, false},
	}
	for _, tt := range tests {
		h := http.Header{}
		if tt.v != "" {
			h.Set("Retry-After", tt.v)
		}
		got, ok := rest.RetryAfter(h, now)
		if got != tt.want || ok != tt.ok {
			t.Errorf("RetryAfter(%q) = %v, %v", tt.v, got, ok)
		}
	}
}

func TestUnsignableRequestStaysOffTheNetwork(t *testing.T) {
	ty := newToy(t)
	cfg := toyConfig(ty.fx.URL(), nil)
	cfg.Sign = func(s *rest.Signing) error {
		if s.Account.APIKey == "" {
			return sdk.Errorf(sdk.KindAuthentication, "no key")
		}
		return nil
	}
	err := rest.New(cfg).Do(context.Background(), sdk.Account{}, rest.Request{Method: "GET", Endpoint: "main", Path: "/data", Signed: true}, nil)
	if sdk.KindOf(err) != sdk.KindAuthentication {
		t.Fatalf("err = %v", err)
	}
	if n := ty.fx.TotalCalls(); n != 0 {
		t.Fatalf("%d requests sent (clock sync included) for a request that cannot be signed", n)
	}
}
