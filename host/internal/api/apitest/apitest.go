// Package apitest holds the API's contract checks for tests: it loads the
// OpenAPI document the daemon serves, validates it, and checks HTTP answers
// against it (status, headers and body) with kin-openapi's openapi3filter.
// The API's own tests run every request through Check; the end-to-end
// tests wrap their HTTP transport with Transport, so answers of a real
// daemon are checked too. It also tells which routes of a gin engine the
// document lacks.
package apitest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/gin-gonic/gin"
)

// DocPath is where the daemon serves its OpenAPI document.
const DocPath = "/api/v1/openapi.json"

// Checker checks answers against one OpenAPI document.
type Checker struct {
	doc    *openapi3.T
	router routers.Router
	errSch *openapi3.Schema
}

// Load parses raw as an OpenAPI document, validates it as OpenAPI and
// prepares to check answers against it.
func Load(raw []byte) (*Checker, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(raw)
	if err != nil {
		return nil, fmt.Errorf("load the OpenAPI document: %w", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.1.") {
		return nil, fmt.Errorf("the document is OpenAPI %q, not 3.1", doc.OpenAPI)
	}
	if err := doc.Validate(loader.Context, openapi3.EnableSchemaPatternValidation()); err != nil {
		return nil, fmt.Errorf("the OpenAPI document is invalid: %w", err)
	}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("route the OpenAPI document: %w", err)
	}
	errRef := doc.Components.Schemas["Error"]
	if errRef == nil || errRef.Value == nil {
		return nil, errors.New("the document has no Error schema")
	}
	return &Checker{doc: doc, router: router, errSch: errRef.Value}, nil
}

var (
	cacheMu sync.Mutex
	cache   = map[string]*Checker{}
)

// Cached is Load, once per distinct document in this process: a test
// binary builds many routers that serve the same document.
func Cached(raw []byte) (*Checker, error) {
	cacheMu.Lock()
	defer cacheMu.Unlock()
	if c, ok := cache[string(raw)]; ok {
		return c, nil
	}
	c, err := Load(raw)
	if err != nil {
		return nil, err
	}
	cache[string(raw)] = c
	return c, nil
}

// Check says whether the answer (status, header, body) to req, whose body
// was reqBody, is one the document allows. An answer to a request no
// documented route matches must be in the error format (a 404 or 405 the
// router gives, or a route a test added), or the empty 204 of a CORS
// preflight. A successful answer also proves the request it accepted
// matches the document's request schema.
func (c *Checker) Check(req *http.Request, reqBody []byte, status int, header http.Header, body []byte) error {
	route, params, err := c.router.FindRoute(req)
	if err != nil {
		if req.Method == http.MethodOptions && status == http.StatusNoContent && len(body) == 0 {
			return nil
		}
		return c.checkError(status, header, body)
	}
	ctx := context.Background()
	reqIn := &openapi3filter.RequestValidationInput{
		Request: req, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc},
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: reqIn,
		Status:                 status, Header: header, Body: io.NopCloser(bytes.NewReader(body)),
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	if err := openapi3filter.ValidateResponse(ctx, in); err != nil {
		return fmt.Errorf("%s %s answered %d, which the document does not allow: %w (body %s)",
			req.Method, route.Path, status, err, clip(body))
	}
	if resp := route.Operation.Responses.Status(status); resp != nil && resp.Value != nil &&
		len(resp.Value.Content) == 0 && len(body) != 0 {
		return fmt.Errorf("%s %s answered %d with a body the document does not declare: %s",
			req.Method, route.Path, status, clip(body))
	}
	if status < 300 {
		// The request must fit the document too: a schema stricter than
		// the handler would turn away clients the daemon serves.
		r := req.Clone(ctx)
		r.Body = io.NopCloser(bytes.NewReader(reqBody))
		// The daemon reads a body as JSON whatever its Content-Type says
		// (alerts come as text/plain from TradingView, scripts send none).
		r.Header.Set("Content-Type", "application/json")
		reqIn.Request = r
		if err := openapi3filter.ValidateRequest(ctx, reqIn); err != nil {
			return fmt.Errorf("%s %s was served (%d) but its request does not fit the document: %w",
				req.Method, route.Path, status, err)
		}
	}
	return nil
}

// checkError checks an answer in the error format.
func (c *Checker) checkError(status int, header http.Header, body []byte) error {
	if status < 400 {
		return fmt.Errorf("an undocumented route answered %d", status)
	}
	if ct := header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		return fmt.Errorf("error answer %d has Content-Type %q", status, ct)
	}
	v, err := decodeJSON(body)
	if err != nil {
		return fmt.Errorf("error answer %d is not JSON: %w", status, err)
	}
	if err := c.errSch.VisitJSON(v, openapi3.EnableJSONSchema2020()); err != nil {
		return fmt.Errorf("error answer %d is not in the error format: %w (body %s)", status, err, clip(body))
	}
	return nil
}

func decodeJSON(b []byte) (any, error) {
	var v any
	err := json.Unmarshal(b, &v)
	return v, err
}

func clip(b []byte) string {
	if len(b) > 300 {
		return string(b[:300]) + "…"
	}
	return string(b)
}

var ginParam = regexp.MustCompile(`[:*]([A-Za-z0-9_]+)`)

// Undocumented names the routes of routes that the document lacks, as
// "METHOD /path" with the path in OpenAPI's form.
func (c *Checker) Undocumented(routes gin.RoutesInfo) []string {
	var out []string
	for _, r := range routes {
		p := ginParam.ReplaceAllString(r.Path, "{$1}")
		item := c.doc.Paths.Value(p)
		if item == nil || item.GetOperation(r.Method) == nil {
			out = append(out, r.Method+" "+p)
		}
	}
	return out
}

// Operations lists the document's operations as "METHOD /path".
func (c *Checker) Operations() []string {
	var out []string
	for p, item := range c.doc.Paths.Map() {
		for m := range item.Operations() {
			out = append(out, m+" "+p)
		}
	}
	return out
}

// Transport is an http.RoundTripper that checks every answer of a gahost
// daemon against the document that daemon serves (fetched once per host).
// A violation is returned as the request's error, so the calling test
// fails there, and kept for Violations, so that a caller that tolerates
// errors (a test that kills the daemon mid-request) cannot hide it.
type Transport struct {
	Base http.RoundTripper

	mu         sync.Mutex
	checkers   map[string]*Checker
	violations []error
	checked    int
}

// NewTransport wraps base (http.DefaultTransport when nil).
func NewTransport(base http.RoundTripper) *Transport {
	if base == nil {
		base = http.DefaultTransport
	}
	return &Transport{Base: base, checkers: map[string]*Checker{}}
}

// Checked is how many answers were checked so far.
func (t *Transport) Checked() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.checked
}

// Violations returns the answers found wrong so far.
func (t *Transport) Violations() []error {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]error(nil), t.violations...)
}

func (t *Transport) fail(err error) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.violations = append(t.violations, err)
	return err
}

// checker fetches and loads the document of the daemon at host.
func (t *Transport) checker(ctx context.Context, scheme, host string) (*Checker, error) {
	t.mu.Lock()
	c := t.checkers[host]
	t.mu.Unlock()
	if c != nil {
		return c, nil
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, scheme+"://"+host+DocPath, nil)
	if err != nil {
		return nil, err
	}
	resp, err := t.Base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %d", DocPath, resp.StatusCode)
	}
	if c, err = Cached(raw); err != nil {
		return nil, err
	}
	t.mu.Lock()
	t.checkers[host] = c
	t.mu.Unlock()
	return c, nil
}

// RoundTrip sends req and checks its answer.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	var reqBody []byte
	if req.Body != nil && req.Body != http.NoBody {
		var err error
		if reqBody, err = io.ReadAll(req.Body); err != nil {
			return nil, err
		}
		req.Body.Close()
		req = req.Clone(req.Context())
		req.Body = io.NopCloser(bytes.NewReader(reqBody))
	}
	resp, err := t.Base.RoundTrip(req)
	if err != nil || req.URL.Path == DocPath {
		return resp, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		// A short body (a daemon killed mid-answer) is the caller's to see.
		resp.Body = io.NopCloser(io.MultiReader(bytes.NewReader(body), errReader{err}))
		return resp, nil
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	c, err := t.checker(req.Context(), req.URL.Scheme, req.URL.Host)
	if err != nil {
		return nil, t.fail(fmt.Errorf("%s %s answered %d but its OpenAPI document cannot be had: %w",
			req.Method, req.URL.Path, resp.StatusCode, err))
	}
	check := req.Clone(req.Context())
	err = c.Check(check, reqBody, resp.StatusCode, resp.Header, body)
	t.mu.Lock()
	t.checked++
	t.mu.Unlock()
	if err != nil {
		return nil, t.fail(err)
	}
	return resp, nil
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }
