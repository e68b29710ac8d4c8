package api

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/globalautomation/gahost/host/internal/api/apitest"
	"github.com/globalautomation/gahost/host/internal/plugins"
	"github.com/globalautomation/gahost/sdk"
	"github.com/prometheus/client_golang/prometheus"
)

// fakePlugins is a plugin catalog with one ready plugin.
type fakePlugins struct{ ready bool }

func (p fakePlugins) List() []plugins.Status {
	return []plugins.Status{{Name: "fakex", State: plugins.StateReady,
		Info: sdk.Info{Name: "fakex", DisplayName: "Fake X", Version: "1.2.3", SupportsTestnet: true,
			Capabilities: []string{sdk.CapSpotBalances}}}}
}

func (p fakePlugins) Reload(context.Context) ([]plugins.Status, error) { return p.List(), nil }
func (p fakePlugins) Ready() bool                                      { return p.ready }

// fullEnv is an env whose router has every optional part: plugins,
// metrics and webhooks, so it serves every route the daemon has.
func fullEnv(t *testing.T, ready bool) (*env, *gin.Engine) {
	e := newEnv(t)
	e.deps.Plugins = fakePlugins{ready: ready}
	e.deps.Metrics = prometheus.NewRegistry()
	eng := New(e.deps)
	e.h = e.checked(eng)
	return e, eng
}

// servedDoc fetches the document a router serves.
func servedDoc(t *testing.T, h http.Handler) []byte {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", apitest.DocPath, nil))
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != jsonContentType {
		t.Fatalf("GET %s: %d %s", apitest.DocPath, rec.Code, rec.Header())
	}
	return rec.Body.Bytes()
}

// Every route the engine serves is in the document, and every operation
// of the document is a route the engine serves.
func TestEveryRouteIsDocumented(t *testing.T) {
	_, eng := fullEnv(t, true)
	checker, err := apitest.Load(servedDoc(t, eng))
	if err != nil {
		t.Fatal(err)
	}
	if missing := checker.Undocumented(eng.Routes()); len(missing) > 0 {
		t.Fatalf("routes missing from the OpenAPI document: %s", strings.Join(missing, ", "))
	}
	var served []string
	for _, r := range eng.Routes() {
		served = append(served, r.Method+" "+openAPIPathOf(r.Path))
	}
	for _, o := range checker.Operations() {
		if !slices.Contains(served, o) {
			t.Errorf("the document has %s, which the engine does not serve", o)
		}
	}
	// The routes the contract names, outside /api/v1 too.
	for _, want := range []string{"POST /hooks/{token}", "GET /healthz", "GET /readyz", "GET /metrics",
		"GET /api/v1/openapi.json", "POST /api/v1/auth/login", "GET /api/v1/exchanges",
		"POST /api/v1/exchange-accounts/{id}/sync", "GET /api/v1/dashboard/spot-balances/{id}"} {
		if !slices.Contains(checker.Operations(), want) {
			t.Errorf("%s is not documented", want)
		}
	}

	// A route added with plain gin, outside the documenting groups, is
	// named by the check.
	eng.GET("/api/v1/undocumented/:thing", func(c *gin.Context) {})
	missing := checker.Undocumented(eng.Routes())
	if !slices.Equal(missing, []string{"GET /api/v1/undocumented/{thing}"}) {
		t.Fatalf("an undocumented route is not named: %v", missing)
	}
}

// The document is valid OpenAPI 3.1 and carries what clients rely on: the
// bearer scheme, the error format with its codes, decimal patterns.
func TestOpenAPIDocument(t *testing.T) {
	_, eng := fullEnv(t, true)
	raw := servedDoc(t, eng)
	if _, err := apitest.Load(raw); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		OpenAPI    string `json:"openapi"`
		Components struct {
			Schemas         map[string]json.RawMessage `json:"schemas"`
			SecuritySchemes map[string]struct {
				Type, Scheme string
			} `json:"securitySchemes"`
		} `json:"components"`
		Paths map[string]map[string]struct {
			Security  []map[string][]string      `json:"security"`
			Responses map[string]json.RawMessage `json:"responses"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.OpenAPI != "3.1.0" {
		t.Fatalf("openapi %q", doc.OpenAPI)
	}
	if s := doc.Components.SecuritySchemes["bearer"]; s.Type != "http" || s.Scheme != "bearer" {
		t.Fatalf("bearer scheme: %+v", s)
	}
	var detail struct {
		Properties struct {
			Code struct{ Enum []string } `json:"code"`
		} `json:"properties"`
	}
	if err := json.Unmarshal(doc.Components.Schemas["ErrorDetail"], &detail); err != nil {
		t.Fatal(err)
	}
	for _, code := range []string{codeNotFound, codeUnauthorized, codeInvalidJSON, codePassphraseNeeded,
		codeCredsRejected, "symbol_not_allowed", sdk.KindClockSkew.String(), sdk.KindOrderNotFound.String()} {
		if !slices.Contains(detail.Properties.Code.Enum, code) {
			t.Errorf("error code %s is not in the enum", code)
		}
	}
	if !strings.Contains(string(doc.Components.Schemas["Balance"]), `"pattern":"^-?[0-9]+(\\.[0-9]+)?$"`) {
		t.Errorf("balances are not patterned decimal strings: %s", doc.Components.Schemas["Balance"])
	}
	for p, item := range doc.Paths {
		for m, o := range item {
			public := p == "/api/v1/auth/login" || p == "/api/v1/openapi.json" || !strings.HasPrefix(p, "/api/v1/")
			if got := len(o.Security) == 1 && o.Security[0]["bearer"] != nil; got == public {
				t.Errorf("%s %s: bearer required %v, want %v", m, p, got, !public)
			}
			if _, ok := o.Responses["default"]; ok {
				t.Errorf("%s %s has a default answer; every status must be listed", m, p)
			}
			if _, ok := o.Responses["500"]; !ok {
				t.Errorf("%s %s does not document its 500", m, p)
			}
		}
	}
	// The validation is real: broken documents are refused.
	for name, breakIt := range map[string]func(m map[string]any){
		"no info": func(m map[string]any) { delete(m, "info") },
		"dangling ref": func(m map[string]any) {
			delete(m["components"].(map[string]any)["schemas"].(map[string]any), "Balance")
		},
		"3.0": func(m map[string]any) { m["openapi"] = "3.0.3" },
	} {
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatal(err)
		}
		breakIt(m)
		broken, _ := json.Marshal(m)
		if _, err := apitest.Load(broken); err == nil {
			t.Errorf("%s: a broken document loads", name)
		}
	}
}

// The check fails on answers the document does not allow: it is not a
// check that cannot fail.
func TestContractCheckFailsOnWrongAnswers(t *testing.T) {
	e, eng := fullEnv(t, true)
	checker, err := apitest.Load(servedDoc(t, eng))
	if err != nil {
		t.Fatal(err)
	}
	tok := e.user("alice", "user")
	a := e.account(tok, accountBody("alice"))
	req := func(method, path string) *http.Request {
		r := httptest.NewRequest(method, path, nil)
		r.Header.Set("Authorization", "Bearer "+tok)
		return r
	}
	jsonHdr := http.Header{"Content-Type": {jsonContentType}}
	good := `{"account_id":"x","account_name":"n","is_active":true,"synced_at":null,"balances":[{"asset":"BTC","free":"0.5","locked":"0","total":"0.5"}]}`
	spot := "/api/v1/dashboard/spot-balances/" + a.ID
	if err := checker.Check(req("GET", spot), nil, 200, jsonHdr, []byte(good)); err != nil {
		t.Fatalf("a right answer fails: %v", err)
	}
	tests := []struct {
		name   string
		want   string // in the violation: the check failed for this reason
		req    *http.Request
		status int
		hdr    http.Header
		body   string
	}{
		{"float amount", "SpotBalancesAnswer", req("GET", spot), 200, jsonHdr, strings.Replace(good, `"free":"0.5"`, `"free":0.5`, 1)},
		{"exponent amount", "SpotBalancesAnswer", req("GET", spot), 200, jsonHdr, strings.Replace(good, `"free":"0.5"`, `"free":"5e-1"`, 1)},
		{"missing field", "SpotBalancesAnswer", req("GET", spot), 200, jsonHdr, strings.Replace(good, `"locked":"0",`, ``, 1)},
		{"extra field", "SpotBalancesAnswer", req("GET", spot), 200, jsonHdr, strings.Replace(good, `"asset"`, `"api_key":"k","asset"`, 1)},
		{"null list", "SpotBalancesAnswer", req("GET", spot), 200, jsonHdr, `{"account_id":"x","account_name":"n","is_active":true,"synced_at":null,"balances":null}`},
		{"undocumented status", "status is not supported", req("GET", spot), http.StatusTeapot, jsonHdr, `{"error":{"code":"not_found","message":"x"}}`},
		{"unknown error code", "schemas/Error", req("GET", spot), 404, jsonHdr, `{"error":{"code":"NotFound","message":"x"}}`},
		{"problem json", "Content-Type", req("GET", spot), 404, http.Header{"Content-Type": {"application/problem+json"}},
			`{"title":"Not Found","status":404}`},
		{"body on 204", "does not declare", req("DELETE", "/api/v1/exchange-accounts/"+a.ID), 204, jsonHdr, `{}`},
		{"unknown route, not the error format", "not JSON", req("GET", "/api/v1/nowhere"), 404, jsonHdr, `not found`},
		{"wrong enum", "schemas/User", req("GET", "/api/v1/me"), 200, jsonHdr, `{"id":"x","username":"alice","role":"root"}`},
	}
	for _, tt := range tests {
		if err := checker.Check(tt.req, nil, tt.status, tt.hdr, []byte(tt.body)); err != nil {
			t.Logf("XX %s: %.150s", tt.name, err)
		} else {
			t.Errorf("%s: the check passes %d %s", tt.name, tt.status, tt.body)
		}
	}

	// Through the handler wrapper the API tests use: a route that answers
	// wrong reports a violation.
	var got []error
	wrong := gin.New()
	wrong.GET("/api/v1/me", func(c *gin.Context) { c.JSON(200, gin.H{"id": "x", "username": "alice"}) })
	h := &checkedHandler{h: wrong, checker: checker, fail: func(err error) { got = append(got, err) }}
	h.ServeHTTP(httptest.NewRecorder(), req("GET", "/api/v1/me"))
	if len(got) != 1 || !strings.Contains(got[0].Error(), `'role'`) {
		t.Fatalf("a wrong answer through the wrapper: %v", got)
	}
}

// The routes only the full daemon has (plugins, metrics) and the
// operations routes answer as documented.
func TestOperationsRoutesAnswerAsDocumented(t *testing.T) {
	e, _ := fullEnv(t, true)
	for _, rt := range []struct {
		method, path, token string
		status              int
	}{
		{"GET", "/healthz", "", 200},
		{"GET", "/readyz", "", 200},
		{"GET", "/metrics", "", 200},
		{"GET", "/api/v1/openapi.json", "", 200},
		{"GET", "/api/v1/exchanges", e.adminToken, 200},
		{"POST", "/api/v1/plugins/reload", e.adminToken, 200},
		{"GET", "/api/v1/admin/backup", e.adminToken, 200},
	} {
		if r := e.do(rt.method, rt.path, rt.token, nil); r.Code != rt.status {
			t.Errorf("%s %s: %d %s", rt.method, rt.path, r.Code, r.Body)
		}
	}
	user := e.user("bob", "user")
	if r := e.do("POST", "/api/v1/plugins/reload", user, nil); r.Code != 403 {
		t.Errorf("reload as a user: %d", r.Code)
	}
	notReady, _ := fullEnv(t, false)
	if r := notReady.do("GET", "/readyz", "", nil); r.Code != 503 || r.errorCode() != codeNotReady {
		t.Errorf("readyz while loading: %d %s", r.Code, r.Body)
	}
}

// The alert fields the document lists are the ones package webhooks reads:
// an alert with every documented field is not refused for a field, and one
// with a field more is.
func TestAlertDocumentMatchesTheParser(t *testing.T) {
	he := newHookEnv(t)
	c := he.webhook(he.tok, map[string]any{"name": "doc", "exchange_account_id": he.acct.ID, "market": "futures",
		"dry_run": true})
	fields := map[string]any{}
	for f := range reflect.TypeFor[alertBody]().Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		fields[name] = map[string]any{"secret": c.Secret, "action": "buy", "symbol": "BTC/USDT:USDT", "type": "limit",
			"quantity": "0.01", "quote_quantity": 5, "price": "60000", "reduce_only": false, "alert_id": "a-1"}[name]
		if fields[name] == nil {
			t.Fatalf("alert field %s has no test value", name)
		}
	}
	body, _ := json.Marshal(fields)
	r := he.alert(c.URL, string(body))
	var reply hookReply
	r.decode(t, &reply)
	code := r.errorCode()
	if reply.Error != nil {
		code = reply.Error.Code
	}
	if code == codeUnknownField || code == codeInvalidJSON {
		t.Fatalf("a documented field is refused: %d %s", r.Code, r.Body)
	}
	fields["leverage"] = 10
	body, _ = json.Marshal(fields)
	r = he.alert(c.URL, string(body))
	r.decode(t, &reply)
	if r.Code != 400 || reply.Error == nil || reply.Error.Code != codeUnknownField {
		t.Fatalf("an undocumented field: %d %s", r.Code, r.Body)
	}
}

// Every enum names a field that exists, so renaming a field cannot drop
// its enum silently.
func TestFieldEnumsNameFields(t *testing.T) {
	types := map[string]reflect.Type{}
	for _, v := range []any{userView{}, createUserRequest{}, patchUserRequest{}, tokenView{}, syncView{}, accountView{},
		checkView{}, warningView{}, balancesAnswer{}, positionsAnswer{}, historyAnswer{},
		exchangeJSON{}, positionJSON{},
		webhookView{}, createWebhookRequest{}, patchWebhookRequest{}, orderView{}, deliveryView{}, hookAnswer{}, alertBody{},
		testAlertBody{}, testAnswer{}, resolutionView{}, ruleCheckView{}, instrumentView{}, priceView{}} {
		types[reflect.TypeOf(v).Name()] = reflect.TypeOf(v)
	}
	for key := range fieldEnums {
		typ, field, _ := strings.Cut(key, ".")
		tt, ok := types[typ]
		if !ok {
			t.Errorf("%s: no such type here", key)
			continue
		}
		if _, ok := tt.FieldByName(field); !ok {
			t.Errorf("%s: no such field", key)
		}
	}
}

// The transport the end-to-end tests use checks a real server's answers:
// a right one passes, a wrong one is an error and a recorded violation.
func TestContractTransport(t *testing.T) {
	e, eng := fullEnv(t, true)
	doc := servedDoc(t, eng)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/healthz" && r.URL.Query().Get("wrong") != "" {
			w.Header().Set("Content-Type", jsonContentType)
			_, _ = w.Write([]byte(`{"status":1}`))
			return
		}
		if r.URL.Path == apitest.DocPath {
			_, _ = w.Write(doc)
			return
		}
		e.h.ServeHTTP(w, r)
	}))
	defer srv.Close()
	tr := apitest.NewTransport(nil)
	defer tr.Base.(*http.Transport).CloseIdleConnections()
	client := &http.Client{Transport: tr}
	resp, err := client.Get(srv.URL + "/healthz")
	if err != nil {
		t.Fatalf("a right answer: %v", err)
	}
	resp.Body.Close()
	if _, err := client.Get(srv.URL + "/healthz?wrong=1"); err == nil || !strings.Contains(err.Error(), "/healthz answered 200") {
		t.Fatalf("a wrong answer: %v", err)
	}
	if tr.Checked() != 2 || len(tr.Violations()) != 1 {
		t.Fatalf("checked %d, violations %v", tr.Checked(), tr.Violations())
	}
}
