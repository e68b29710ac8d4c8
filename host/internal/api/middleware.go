package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/globalautomation/gahost/host/internal/store"
	"github.com/globalautomation/gahost/host/internal/users"
	"github.com/globalautomation/gahost/sdk/redact"
	"github.com/hashicorp/go-hclog"
)

// Keys of values a request carries in its gin context.
const (
	ctxSession   = "gahost.session"
	ctxErrorCode = "gahost.error_code"
)

// session is who a request authenticated as: one value in the context, so
// that authenticating costs one allocation, not one per field.
type session struct {
	user  store.User
	token store.Token
}

// currentUser returns the user the request authenticated as. It is only
// meaningful behind requireAuth.
func currentUser(c *gin.Context) store.User {
	s, _ := c.Get(ctxSession)
	if s, ok := s.(*session); ok {
		return s.user
	}
	return store.User{}
}

// currentToken returns the stored record of the token the request
// authenticated with. It is only meaningful behind requireAuth.
func currentToken(c *gin.Context) store.Token {
	s, _ := c.Get(ctxSession)
	if s, ok := s.(*session); ok {
		return s.token
	}
	return store.Token{}
}

// bearerToken extracts the token of an "Authorization: Bearer" header.
func bearerToken(header string) (string, bool) {
	scheme, token, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}

// requireAuth lets a request through only with a valid bearer token, and
// puts its user into the context.
func (h *handler) requireAuth(c *gin.Context) {
	token, ok := bearerToken(c.GetHeader("Authorization"))
	if !ok {
		c.Header("WWW-Authenticate", `Bearer realm="gahost"`)
		writeError(c, http.StatusUnauthorized, codeUnauthorized, "missing bearer token")
		return
	}
	u, tok, err := h.d.Users.Session(c.Request.Context(), token)
	if errors.Is(err, users.ErrInvalidToken) {
		c.Header("WWW-Authenticate", `Bearer realm="gahost", error="invalid_token"`)
		writeError(c, http.StatusUnauthorized, codeUnauthorized, "invalid or expired token")
		return
	}
	if errors.Is(err, users.ErrUserDisabled) {
		c.Header("WWW-Authenticate", `Bearer realm="gahost", error="invalid_token"`)
		writeError(c, http.StatusUnauthorized, codeUserDisabled, "this user is disabled")
		return
	}
	if err != nil {
		h.internalError(c, "authenticate", err)
		return
	}
	c.Set(ctxSession, &session{user: u, token: tok})
	c.Next()
}

// requireAdmin answers 403 to a non-admin. It runs after requireAuth.
func (h *handler) requireAdmin(c *gin.Context) {
	if !currentUser(c).IsAdmin() {
		writeError(c, http.StatusForbidden, codeForbidden, "this route is for admins")
		return
	}
	c.Next()
}

// limitBody caps every request body; decodeJSON turns the overflow into 413.
func (h *handler) limitBody(c *gin.Context) {
	if c.Request.ContentLength > h.d.MaxBodyBytes {
		writeError(c, http.StatusRequestEntityTooLarge, codeBodyTooLarge,
			fmt.Sprintf("request body is larger than %d bytes", h.d.MaxBodyBytes))
		return
	}
	// A request without a body (most reads) has nothing to limit.
	if c.Request.Body != nil && c.Request.Body != http.NoBody {
		c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, h.d.MaxBodyBytes)
	}
	c.Next()
}

// decodeJSON reads the body into v strictly: one JSON object, no unknown
// fields, no key given twice or in other capitals than its field's, no
// trailing data. On failure it has answered and returns false.
func decodeJSON(c *gin.Context, v any) bool {
	var body []byte
	if c.Request.Body != nil {
		var err error
		body, err = io.ReadAll(c.Request.Body)
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			writeError(c, http.StatusRequestEntityTooLarge, codeBodyTooLarge,
				fmt.Sprintf("request body is larger than %d bytes", mbe.Limit))
			return false
		}
		if err != nil {
			writeError(c, http.StatusBadRequest, codeInvalidJSON, "could not read the request body")
			return false
		}
	}
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		writeError(c, http.StatusBadRequest, codeInvalidJSON, "request body is empty")
		return false
	}
	if body[0] != '{' {
		writeError(c, http.StatusBadRequest, codeInvalidJSON, "the body must be a JSON object")
		return false
	}
	if p := checkKeys(body, reflect.TypeOf(v)); p != nil {
		writeError(c, http.StatusBadRequest, p.code, p.message)
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil && dec.InputOffset() != int64(len(body)) {
		err = errTrailing
	}
	if err == nil {
		return true
	}
	var (
		syntax *json.SyntaxError
		typ    *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &syntax):
		writeError(c, http.StatusBadRequest, codeInvalidJSON, fmt.Sprintf("malformed JSON at byte %d", syntax.Offset))
	case errors.As(err, &typ):
		writeError(c, http.StatusBadRequest, codeInvalidField,
			fmt.Sprintf("field %q must be a %s", redact.Clip(typ.Field, 64), jsonKind(typ.Type.Kind().String())))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.TrimPrefix(err.Error(), "json: unknown field ")
		writeError(c, http.StatusBadRequest, codeUnknownField, "unknown field "+redact.Clip(name, 64))
	case errors.Is(err, errTrailing):
		writeError(c, http.StatusBadRequest, codeInvalidJSON, "data after the JSON object")
	default:
		// io.ErrUnexpectedEOF and the like: a truncated object.
		writeError(c, http.StatusBadRequest, codeInvalidJSON, "malformed JSON")
	}
	return false
}

var errTrailing = errors.New("trailing data")

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "string"
	case "bool":
		return "boolean"
	case "struct", "map":
		return "object"
	case "slice", "array":
		return "list"
	default:
		return "number"
	}
}

// logs reports whether l prints lines of level.
func logs(l hclog.Logger, level hclog.Level) bool {
	switch level {
	case hclog.Debug:
		return l.IsDebug()
	case hclog.Info:
		return l.IsInfo()
	default:
		return l.IsError()
	}
}

// cors answers preflights and marks answers for the allowed origins. An
// entry "*" allows any origin; credentials are bearer tokens, not cookies,
// so no Allow-Credentials is sent.
func cors(allowed []string) gin.HandlerFunc {
	anyOrigin := slices.Contains(allowed, "*")
	return func(c *gin.Context) {
		origin := c.GetHeader("Origin")
		if origin == "" {
			c.Next()
			return
		}
		hdr := c.Writer.Header()
		hdr.Add("Vary", "Origin")
		ok := anyOrigin || slices.Contains(allowed, origin)
		if ok {
			hdr.Set("Access-Control-Allow-Origin", origin)
			hdr.Set("Access-Control-Expose-Headers", "Retry-After, Content-Disposition")
		}
		if c.Request.Method == http.MethodOptions && c.GetHeader("Access-Control-Request-Method") != "" {
			if ok {
				hdr.Set("Access-Control-Allow-Methods", "GET, POST, PATCH, DELETE, OPTIONS")
				hdr.Set("Access-Control-Allow-Headers", "Authorization, Content-Type")
				hdr.Set("Access-Control-Max-Age", "600")
			}
			c.AbortWithStatus(http.StatusNoContent)
			return
		}
		c.Next()
	}
}

// logRequests logs one line per request with the route pattern, never the
// raw path or query (they may carry a webhook token), nor any body.
func (h *handler) logRequests(c *gin.Context) {
	start := time.Now()
	c.Next()
	route := c.FullPath()
	if route == "" {
		route = "(no route)"
	}
	status := c.Writer.Status()
	level := hclog.Debug
	switch {
	case status == http.StatusServiceUnavailable && route == "/readyz":
		// Load balancers poll this while the daemon starts; not an error.
	case status >= 500:
		level = hclog.Error
	case status >= 400:
		level = hclog.Info
	}
	// Most answers are 200s logged at debug, which a daemon does not
	// print: the line is not even built for them.
	if !logs(h.log, level) {
		return
	}
	args := []any{"method", c.Request.Method, "route", route, "status", status,
		"duration", time.Since(start).Round(time.Microsecond).String()}
	if code, ok := c.Get(ctxErrorCode); ok {
		args = append(args, "code", code)
	}
	h.log.Log(level, "request", args...)
}
