package api

// The OpenAPI 3.1 document served at GET /api/v1/openapi.json. It is not
// written by hand: every route registers through group.handle together
// with an op that names the Go types its handler decodes and answers, and
// the schemas are derived from those types by reflection. A route added
// with a plain gin call is missing from the document, and a test that
// walks the engine's routes fails naming it; a handler that answers
// something its op does not declare fails the response check every API
// test runs through.
//
// Struct tags the schemas read, beside json:
//
//	doc:"…"          the field's description
//	oas:"decimal"    a decimal string (digits, optional sign and point, never an exponent)
//	oas:"amount"     a positive plain decimal string, as requests take amounts
//	oas:"nullable"   JSON null is a value of its own (a raw field)
//	required:"true"  a request field the route needs (answers list every field not omitempty)

import (
	"encoding/json"
	"fmt"
	"net/http"
	"path"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/gin-gonic/gin"
	"github.com/globalautomation/gahost/host/internal/accounts"
	"github.com/globalautomation/gahost/host/internal/input"
	"github.com/globalautomation/gahost/host/internal/plugins"
	"github.com/globalautomation/gahost/host/internal/store"
	"github.com/globalautomation/gahost/host/internal/users"
	"github.com/globalautomation/gahost/host/internal/webhooks"
	"github.com/globalautomation/gahost/sdk"
)

// openAPIPath is where the document is served; public, like the login.
const openAPIPath = "/openapi.json"

// Patterns of decimal strings. Answers carry the exact stored values, as
// shopspring/decimal writes them: an optional sign, digits, an optional
// fraction, never an exponent. Amounts in requests are positive plain
// decimals, at most 30 digits either side of the point.
const (
	decimalPattern = `^-?[0-9]+(\.[0-9]+)?$`
	amountPattern  = `^[0-9]{1,30}(\.[0-9]{1,30})?$`
)

// access is who may call a route.
type access int

const (
	accessPublic access = iota // no credentials
	accessBearer               // any user's bearer token
	accessAdmin                // an admin's bearer token
)

// group is a gin router group that documents every route it registers.
type group struct {
	rg     *gin.RouterGroup
	access access
	doc    *apiDoc
}

func (g group) group(rel string, mw ...gin.HandlerFunc) group {
	return group{rg: g.rg.Group(rel, mw...), access: g.access, doc: g.doc}
}

// handle registers h for method and the path rel under the group, and
// documents it as o says.
func (g group) handle(method, rel string, o op, h gin.HandlerFunc) {
	g.rg.Handle(method, rel, h)
	full := g.rg.BasePath()
	if rel != "" {
		full = path.Join(full, rel)
	}
	g.doc.add(method, full, g.access, o)
}

// op documents one route: what it takes and every answer it gives.
type op struct {
	id      string // operationId, unique
	tag     string
	summary string
	desc    string
	// body is a value of the request body's Go type; nil for none.
	body any
	// bodyDesc describes the body when its type alone does not.
	bodyDesc string
	query    []param
	res      []res
	// paged marks a list route: it takes limit and cursor, may answer
	// their 400, and its 200 may carry X-Next-Cursor.
	paged bool
}

// param is a query parameter.
type param struct {
	name, desc string
	schema     *openapi3.Schema
}

// res is one documented answer. body is a value of its Go type (errBody for
// the error format), oneOf{…} when the status carries either of two, text
// or binary for non-JSON bodies, nil for none.
type res struct {
	status int
	desc   string
	body   any
}

// errBody marks an answer in the error format.
var errBody = errorBody{}

// oneOf is an answer whose body has one of several types.
type oneOf []any

// rawBody is a non-JSON answer of the given content type and schema.
type rawBody struct {
	contentType string
	schema      *openapi3.Schema
}

// apiDoc collects the operations as the routes register.
type apiDoc struct {
	ops []docOp
	gen *schemaGen
}

type docOp struct {
	method, path string
	access       access
	op
}

func newAPIDoc() *apiDoc { return &apiDoc{gen: newSchemaGen()} }

func (d *apiDoc) add(method, ginPath string, a access, o op) {
	if o.id == "" || o.summary == "" || len(o.res) == 0 {
		panic(fmt.Sprintf("api: route %s %s has no documentation", method, ginPath))
	}
	d.ops = append(d.ops, docOp{method: method, path: openAPIPathOf(ginPath), access: a, op: o})
}

var ginParam = regexp.MustCompile(`[:*]([A-Za-z0-9_]+)`)

// openAPIPathOf turns gin's /x/:id into OpenAPI's /x/{id}.
func openAPIPathOf(ginPath string) string { return ginParam.ReplaceAllString(ginPath, "{$1}") }

// build renders the document as JSON.
func (d *apiDoc) build() ([]byte, error) {
	t := &openapi3.T{
		OpenAPI: "3.1.0",
		Info: &openapi3.Info{
			Title:   "gahost",
			Version: "v1",
			Description: "The REST API of the gahost daemon. Every error answer has the body " +
				`{"error":{"code":"…","message":"…"}} (schema Error); code is stable and snake_case, ` +
				"message is for people. Amounts are decimal strings, never JSON numbers.",
		},
		Paths: openapi3.NewPaths(),
		Components: &openapi3.Components{
			Schemas: d.gen.comps,
			SecuritySchemes: openapi3.SecuritySchemes{
				"bearer": &openapi3.SecuritySchemeRef{Value: &openapi3.SecurityScheme{
					Type: "http", Scheme: "bearer",
					Description: "An API token: the admin's from <data_dir>/admin.token, a new user's from " +
						"POST /api/v1/users, or one from POST /api/v1/auth/login.",
				}},
			},
		},
	}
	tags := map[string]bool{}
	for _, o := range d.ops {
		item := t.Paths.Value(o.path)
		if item == nil {
			item = &openapi3.PathItem{}
			t.Paths.Set(o.path, item)
		}
		if item.GetOperation(o.method) != nil {
			return nil, fmt.Errorf("%s %s documented twice", o.method, o.path)
		}
		oper, err := d.operation(o)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", o.method, o.path, err)
		}
		item.SetOperation(o.method, oper)
		if !tags[o.tag] {
			tags[o.tag] = true
			t.Tags = append(t.Tags, &openapi3.Tag{Name: o.tag})
		}
	}
	return json.Marshal(t)
}

func (d *apiDoc) operation(o docOp) (*openapi3.Operation, error) {
	oper := &openapi3.Operation{OperationID: o.id, Summary: o.summary, Description: o.desc, Tags: []string{o.tag},
		Responses: openapi3.NewResponses()}
	// Delete the placeholder "default" answer: every status is listed.
	oper.Responses.Delete("default")
	switch o.access {
	case accessPublic:
		oper.Security = &openapi3.SecurityRequirements{}
	default:
		oper.Security = &openapi3.SecurityRequirements{openapi3.SecurityRequirement{"bearer": []string{}}}
	}
	for _, name := range ginParam.FindAllStringSubmatch(strings.ReplaceAll(strings.ReplaceAll(o.path, "{", ":"), "}", ""), -1) {
		p := openapi3.NewPathParameter(name[1]).WithSchema(openapi3.NewStringSchema())
		p.Description = pathParamDocs[name[1]]
		oper.Parameters = append(oper.Parameters, &openapi3.ParameterRef{Value: p})
	}
	query := o.query
	if o.paged {
		query = append(slices.Clone(query), pageParams()...)
	}
	for _, q := range query {
		p := openapi3.NewQueryParameter(q.name).WithSchema(q.schema)
		p.Description = q.desc
		oper.Parameters = append(oper.Parameters, &openapi3.ParameterRef{Value: p})
	}
	if o.body != nil {
		oper.RequestBody = &openapi3.RequestBodyRef{Value: openapi3.NewRequestBody().WithRequired(true).
			WithDescription(o.bodyDesc).WithJSONSchemaRef(d.gen.schema(reflect.TypeOf(o.body), false))}
	}
	all := slices.Clone(o.res)
	// Answers every route of its kind can give, unless the op describes
	// them itself.
	implied := []res{{http.StatusInternalServerError, "An unexpected failure (internal); the message tells nothing more.", errBody}}
	if o.method != http.MethodGet {
		implied = append(implied, res{http.StatusInsufficientStorage,
			"The database's disk is full (storage_full): nothing was saved; retry once space is freed.", errBody})
	}
	if o.access != accessPublic {
		implied = append(implied, res{http.StatusUnauthorized,
			"No bearer token, or one that is unknown or expired (unauthorized), or the token's user is disabled " +
				"(user_disabled). A WWW-Authenticate header says which.", errBody})
	}
	if o.access == accessAdmin {
		implied = append(implied, res{http.StatusForbidden, "The token's user is not an admin (forbidden).", errBody})
	}
	if o.paged {
		implied = append(implied, pageInvalid)
	}
	if o.body != nil {
		implied = append(implied,
			res{http.StatusBadRequest, "The body is not one JSON object of the documented fields (invalid_json, " +
				"unknown_field, invalid_field) or a field's value is refused (missing_field, invalid_field, …).", errBody},
			res{http.StatusRequestEntityTooLarge, "The body is larger than the daemon's limit (body_too_large).", errBody})
	}
	for _, r := range implied {
		if !slices.ContainsFunc(all, func(x res) bool { return x.status == r.status }) {
			all = append(all, r)
		}
	}
	for _, r := range all {
		resp := openapi3.NewResponse().WithDescription(r.desc)
		switch b := r.body.(type) {
		case nil:
		case rawBody:
			resp.WithContent(openapi3.NewContentWithSchema(b.schema, []string{b.contentType}))
		case oneOf:
			s := &openapi3.Schema{}
			for _, x := range b {
				s.OneOf = append(s.OneOf, d.gen.schema(reflect.TypeOf(x), true))
			}
			resp.WithJSONSchema(s)
		default:
			resp.WithJSONSchemaRef(d.gen.schema(reflect.TypeOf(b), true))
		}
		if r.status == http.StatusTooManyRequests || r.status == http.StatusServiceUnavailable {
			resp.Headers = openapi3.Headers{"Retry-After": &openapi3.HeaderRef{Value: &openapi3.Header{Parameter: openapi3.Parameter{
				Description: "Seconds to wait before trying again, where the daemon knows.",
				Schema:      openapi3.NewIntegerSchema().NewRef()}}}}
		}
		if r.status == http.StatusOK && (o.paged || slices.ContainsFunc(o.query, func(p param) bool { return p.name == "cursor" })) {
			resp.Headers = openapi3.Headers{nextCursorHdr: &openapi3.HeaderRef{Value: &openapi3.Header{Parameter: openapi3.Parameter{
				Description: "The cursor of the next page, to pass as ?cursor=; absent on the last page.",
				Schema:      openapi3.NewStringSchema().NewRef()}}}}
		}
		if r.status == http.StatusUnauthorized && o.access != accessPublic {
			resp.Headers = openapi3.Headers{"WWW-Authenticate": &openapi3.HeaderRef{Value: &openapi3.Header{Parameter: openapi3.Parameter{
				Description: `Bearer realm="gahost", with error="invalid_token" when a token was sent but not accepted.`,
				Schema:      openapi3.NewStringSchema().NewRef()}}}}
		}
		oper.Responses.Set(strconv.Itoa(r.status), &openapi3.ResponseRef{Value: resp})
	}
	return oper, nil
}

var pathParamDocs = map[string]string{
	"id":    "The id of the object, as its JSON's id field gives it.",
	"token": "The webhook's token: the last part of the url its creation answered.",
}

// errorCodes are every code an error answer (or a delivery's error) can
// carry: this package's, the services', and the plugin error kinds.
func errorCodes() []any {
	codes := []string{
		codeInternal, codeNotFound, codeMethodNotAllowed, codeUnauthorized, codeForbidden, codeInvalidJSON,
		codeUnknownField, codeInvalidField, codeMissingField, codeBodyTooLarge, codeInvalidCreds,
		codeTooManyAttempts, codeUsernameTaken, codeInvalidUsername, codeInvalidPassword, codeInvalidRole,
		codeInvalidName, codeEmptyKey, codeInvalidKey, codeUnknownExchange, codePassphraseNeeded,
		codeTestnetNotOffered, codeCredsRejected, codeRateLimited, codeExchangeDown, codeExchangeTimeout,
		codeReloadFailed, codeNotReady, codeWebhookUnreadable, codeAccountInactive, codeSyncUnavailable, codeStorageFull,
		input.CodeMissingField, input.CodeInvalidField, input.CodeInvalidName,
		accounts.CodeEmptyKey, accounts.CodeInvalidKey, accounts.CodeUnknownExchange,
		accounts.CodePassphraseNeeded, accounts.CodeTestnetNotOffered, accounts.CodeNoCapabilities,
		accounts.CodeDuplicateKey, accounts.CodeQuotaExceeded, accounts.CodeMainRequired, accounts.CodeMainInactive,
		accounts.CodeCredentialsUnreadable,
		users.CodeInvalidUsername, users.CodeInvalidPassword, users.CodeInvalidRole, users.CodeLastAdmin,
		users.CodeWrongPassword, codeUserDisabled, codeInvalidField,
		webhooks.CodeInvalidJSON, webhooks.CodeUnknownField, webhooks.CodeInvalidField, webhooks.CodeMissingField,
		webhooks.CodeSymbolNotAllowed, webhooks.CodeMaxNotionalExceeded, webhooks.CodePriceUnknown,
		webhooks.CodeNoPosition, webhooks.CodeAmbiguousPosition, webhooks.CodeNoBalance,
		webhooks.CodeAccountMissing, webhooks.CodeAccountInactive, webhooks.CodeOrdersUnsupported,
		webhooks.CodeUnknownOutcome, webhooks.CodeAccountUnreadable, webhooks.CodeExchangeUnavailable,
		webhooks.CodeOrderRejected, webhooks.CodeSymbolUnknown, webhooks.CodeSymbolAmbiguous,
		webhooks.CodeInstrumentsUnavailable, webhooks.CodeInstrumentHalted, webhooks.CodeBelowMinQuantity,
		webhooks.CodeBelowMinNotional, webhooks.CodePriceBelowTick, webhooks.CodeUserDisabled,
	}
	// The plugin error kinds answer a failed credentials check and name a
	// failed order; Kind's names end where String falls back to unknown.
	for k := sdk.KindUnknown; ; k++ {
		if k != sdk.KindUnknown && k.String() == sdk.KindUnknown.String() {
			break
		}
		codes = append(codes, k.String())
	}
	slices.Sort(codes)
	codes = slices.Compact(codes)
	out := make([]any, len(codes))
	for i, c := range codes {
		out[i] = c
	}
	return out
}

// fieldEnums are the values of the string fields that take one of a few,
// by type and Go field name, taken from the constants the code uses.
var fieldEnums = func() map[string][]string {
	roles := []string{store.RoleUser, store.RoleAdmin}
	markets := strs(sdk.MarketSpot, sdk.MarketFutures)
	// An alert's answer never has status test; a listed delivery may.
	answered := []string{store.DeliveryPending, store.DeliveryExecuted, store.DeliveryDryRun,
		store.DeliveryRejected, store.DeliveryDuplicate, store.DeliveryFailed}
	deliveries := append(slices.Clone(answered), store.DeliveryTest)
	return map[string][]string{
		"userView.Role":                 roles,
		"createUserRequest.Role":        roles,
		"patchUserRequest.Role":         roles,
		"tokenView.Kind":                {store.TokenAPI, store.TokenLogin},
		"syncView.Status":               {store.SyncPending, store.SyncOK, store.SyncError, store.SyncAuthFailed, store.SyncRateLimited},
		"accountView.CredentialsStatus": {credentialsOK, credentialsUnreadable},
		"checkView.Outcome":             {store.CheckOK, store.CheckRejected},
		"balancesAnswer.EmptyState":     {emptyNoAccount},
		"positionsAnswer.EmptyState":    {emptyNoAccount},
		"historyAnswer.EmptyState":      {emptyNoAccount},
		"warningView.Code": {accounts.WarnWithdrawEnabled, accounts.WarnTradingMissing,
			accounts.WarnSpotTradingMissing, accounts.WarnFuturesTradingMissing},
		"exchangeJSON.Status":         {plugins.StateStarting, plugins.StateReady, plugins.StateNoCapabilities, plugins.StateCrashed, plugins.StateDisabled},
		"positionJSON.Side":           strs(sdk.SideLong, sdk.SideShort),
		"positionJSON.MarginMode":     strs(sdk.MarginCross, sdk.MarginIsolate, ""), // "": the exchange did not say
		"webhookView.Market":          markets,
		"createWebhookRequest.Market": markets,
		"patchWebhookRequest.Market":  markets,
		"orderView.Market":            markets,
		"orderView.Side":              strs(sdk.Buy, sdk.Sell),
		"orderView.Type":              strs(sdk.OrderMarket, sdk.OrderLimit),
		"deliveryView.Status":         deliveries,
		"hookAnswer.Status":           answered,
		"testAnswer.Status":           {store.DeliveryTest},
		"resolutionView.Method": {webhooks.MatchUnified, webhooks.MatchNative, webhooks.MatchBaseQuote,
			webhooks.MatchTradingView, webhooks.MatchUnchecked},
		"ruleCheckView.Name": {webhooks.CheckOwner, webhooks.CheckAccount, webhooks.CheckExchange, webhooks.CheckSymbol,
			webhooks.CheckAllowedSymbols, webhooks.CheckInstrument, webhooks.CheckOrder, webhooks.CheckMinQuantity,
			webhooks.CheckMinNotional, webhooks.CheckMaxNotional},
		"instrumentView.Status": strs(sdk.InstrumentTrading, sdk.InstrumentHalted),
		"priceView.Source":      {webhooks.PriceFromExchange, webhooks.PriceFromSnapshot},
		"testAlertBody.Action":  {webhooks.ActionBuy, webhooks.ActionSell, webhooks.ActionClose},
		"testAlertBody.Type":    strs(sdk.OrderMarket, sdk.OrderLimit),
		"alertBody.Action":      {webhooks.ActionBuy, webhooks.ActionSell, webhooks.ActionClose},
		"alertBody.Type":        strs(sdk.OrderMarket, sdk.OrderLimit),
	}
}()

// strs lists typed string constants as plain strings.
func strs[T ~string](vs ...T) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = string(v)
	}
	return out
}

// schemaGen derives JSON schemas from Go types. Each struct type becomes a
// component, named after the type.
type schemaGen struct {
	comps openapi3.Schemas
	names map[reflect.Type]string
}

func newSchemaGen() *schemaGen {
	return &schemaGen{comps: openapi3.Schemas{}, names: map[reflect.Type]string{}}
}

var (
	timeType = reflect.TypeFor[time.Time]()
	rawType  = reflect.TypeFor[json.RawMessage]()
)

// schema is the schema of t; answer says whether it describes an answer
// (where every field not omitempty is always present) or a request.
func (g *schemaGen) schema(t reflect.Type, answer bool) *openapi3.SchemaRef {
	switch {
	case t == timeType:
		return openapi3.NewDateTimeSchema().NewRef()
	case t == reflect.TypeFor[amount]():
		str := openapi3.NewStringSchema()
		str.Pattern, str.Format = amountPattern, "decimal"
		num := openapi3.NewFloat64Schema()
		num.ExclusiveMin = openapi3.ExclusiveBound{Value: new(0.0)}
		return (&openapi3.Schema{OneOf: openapi3.SchemaRefs{str.NewRef(), num.NewRef()}}).NewRef()
	}
	switch t.Kind() {
	case reflect.Pointer:
		return g.schema(t.Elem(), answer)
	case reflect.String:
		return openapi3.NewStringSchema().NewRef()
	case reflect.Bool:
		return openapi3.NewBoolSchema().NewRef()
	case reflect.Int, reflect.Int64, reflect.Int32, reflect.Uint, reflect.Uint64, reflect.Uint32:
		return openapi3.NewIntegerSchema().NewRef()
	case reflect.Slice:
		if t == rawType {
			return openapi3.NewSchema().NewRef()
		}
		return (&openapi3.Schema{Type: &openapi3.Types{openapi3.TypeArray}, Items: g.schema(t.Elem(), answer)}).NewRef()
	case reflect.Struct:
		return g.component(t, answer)
	case reflect.Map:
		if t.Key().Kind() == reflect.String {
			return (&openapi3.Schema{Type: &openapi3.Types{openapi3.TypeObject},
				AdditionalProperties: openapi3.AdditionalProperties{Schema: g.schema(t.Elem(), answer)}}).NewRef()
		}
	}
	panic(fmt.Sprintf("api: no schema for %s", t))
}

// componentNames name the components whose type name would read badly.
var componentNames = map[string]string{
	"errorBody":   "Error",
	"errorDetail": "ErrorDetail",
}

func componentName(t reflect.Type) string {
	if n, ok := componentNames[t.Name()]; ok {
		return n
	}
	n := strings.TrimSuffix(strings.TrimSuffix(t.Name(), "View"), "JSON")
	r := []rune(n)
	r[0] = unicode.ToUpper(r[0])
	return string(r)
}

// component adds the struct type t as a component (once) and refers to it.
func (g *schemaGen) component(t reflect.Type, answer bool) *openapi3.SchemaRef {
	name := componentName(t)
	ref := openapi3.NewSchemaRef("#/components/schemas/"+name, nil)
	if prev, ok := g.names[t]; ok && prev == name {
		return ref
	}
	if _, taken := g.comps[name]; taken {
		panic(fmt.Sprintf("api: two types make the schema %s", name))
	}
	g.names[t] = name
	s := &openapi3.Schema{Type: &openapi3.Types{openapi3.TypeObject}, Properties: openapi3.Schemas{},
		AdditionalProperties: openapi3.AdditionalProperties{Has: new(false)}}
	g.comps[name] = s.NewRef()
	g.fields(t, s, answer)
	if t == reflect.TypeFor[errorDetail]() {
		s.Properties["code"].Value.Enum = errorCodes()
		s.Properties["code"].Value.Description = "Stable, snake_case; what went wrong, for programs."
		s.Properties["message"].Value.Description = "For people; never carries a secret."
	}
	return ref
}

// fields adds the JSON fields of struct type t to s; embedded structs
// without a JSON name are flattened, as encoding/json does.
func (g *schemaGen) fields(t reflect.Type, s *openapi3.Schema, answer bool) {
	for f := range t.Fields() {
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct {
			g.fields(f.Type, s, answer)
			continue
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		omitempty := slices.Contains(strings.Split(opts, ","), "omitempty")
		oas := strings.Split(f.Tag.Get("oas"), ",")
		// A pointer field is null when nil; in a request, null is taken as
		// leaving the field out.
		nullable := slices.Contains(oas, "nullable") || (f.Type.Kind() == reflect.Pointer && !omitempty)

		fs := g.schema(f.Type, answer)
		if fs.Ref == "" {
			v := *fs.Value
			switch {
			case slices.Contains(oas, "decimal"):
				v = *openapi3.NewStringSchema()
				v.Pattern = decimalPattern
				v.Format = "decimal"
			case slices.Contains(oas, "amount"):
				v = *openapi3.NewStringSchema()
				v.Pattern = amountPattern
				v.Format = "decimal"
			}
			for _, x := range fieldEnums[t.Name()+"."+f.Name] {
				v.Enum = append(v.Enum, x)
			}
			v.Description = f.Tag.Get("doc")
			if nullable {
				if v.Type == nil {
					v.Type = &openapi3.Types{openapi3.TypeString}
				}
				v.Type = &openapi3.Types{(*v.Type)[0], openapi3.TypeNull}
				if v.Enum != nil {
					v.Enum = append(v.Enum, nil)
				}
			}
			fs = v.NewRef()
		} else if nullable || f.Tag.Get("doc") != "" {
			w := &openapi3.Schema{Description: f.Tag.Get("doc")}
			if nullable {
				w.AnyOf = openapi3.SchemaRefs{fs, (&openapi3.Schema{Type: &openapi3.Types{openapi3.TypeNull}}).NewRef()}
			} else {
				w.AllOf = openapi3.SchemaRefs{fs}
			}
			fs = w.NewRef()
		}
		s.Properties[name] = fs
		if (answer && !omitempty) || f.Tag.Get("required") == "true" {
			s.Required = append(s.Required, name)
		}
	}
}

// registerOpenAPI serves the document of every route registered before it
// (and of itself). A document that cannot be built is a programming error
// the tests catch, so it panics.
func registerOpenAPI(r routes, doc *apiDoc) {
	var body []byte
	r.public.handle(http.MethodGet, openAPIPath, op{id: "getOpenAPI", tag: "meta",
		summary: "This document: OpenAPI 3.1, generated from the handlers' Go types",
		res: []res{{http.StatusOK, "The OpenAPI document.",
			rawBody{"application/json", &openapi3.Schema{Type: &openapi3.Types{openapi3.TypeObject}}}}},
	}, func(c *gin.Context) { c.Data(http.StatusOK, jsonContentType, body) })
	var err error
	if body, err = doc.build(); err != nil {
		panic("api: building the OpenAPI document: " + err.Error())
	}
}
