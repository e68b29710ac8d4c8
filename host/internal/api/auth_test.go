package api

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/globalautomation/gahost/host/internal/store"
)

func TestCreateUser(t *testing.T) {
	e := newEnv(t)
	e.note("longenough-password")
	tests := []struct {
		name   string
		body   string
		status int
		code   string
	}{
		{"user without password", `{"username":"alice","role":"user"}`, 201, ""},
		{"role defaults to user", `{"username":"bob"}`, 201, ""},
		{"admin with password", `{"username":"carol","role":"admin","password":"longenough-password"}`, 201, ""},
		{"taken, other case", `{"username":"ALICE","role":"user"}`, 409, codeUsernameTaken},
		{"missing username", `{"role":"user"}`, 400, codeMissingField},
		{"bad username", `{"username":"al ice"}`, 400, codeInvalidUsername},
		{"username too long", `{"username":"` + strings.Repeat("a", 65) + `"}`, 400, codeInvalidUsername},
		{"short password", `{"username":"dave","password":"short"}`, 400, codeInvalidPassword},
		{"bad role", `{"username":"erin","role":"root"}`, 400, codeInvalidRole},
		{"unknown field", `{"username":"frank","admin":true}`, 400, codeUnknownField},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do("POST", "/api/v1/users", e.adminToken, tt.body)
			if r.Code != tt.status || r.errorCode() != tt.code {
				t.Fatalf("got %d %s, want %d %s", r.Code, r.Body, tt.status, tt.code)
			}
			if r.Code != 201 {
				return
			}
			var out struct{ ID, Username, Role, Token string }
			r.decode(t, &out)
			e.note(out.Token)
			if strings.Contains(r.Body.String(), "password") {
				t.Fatal("answer mentions the password")
			}
			var me userView
			m := e.do("GET", "/api/v1/me", out.Token, nil)
			m.decode(t, &me)
			if m.Code != 200 || me.ID != out.ID || me.Username != out.Username || me.Role != out.Role {
				t.Fatalf("me = %d %+v", m.Code, me)
			}
		})
	}
	var me userView
	e.do("GET", "/api/v1/me", e.adminToken, nil).decode(t, &me)
	if me.Username != "admin" || me.Role != "admin" {
		t.Fatalf("bootstrap admin: %+v", me)
	}
}

func TestLogin(t *testing.T) {
	e := newEnv(t)
	const pw = "correct-horse-battery"
	e.note(pw, "wrong-password-1")
	if r := e.do("POST", "/api/v1/users", e.adminToken, `{"username":"alice","password":"`+pw+`"}`); r.Code != 201 {
		t.Fatalf("create: %d", r.Code)
	}
	login := func(user, pass, ip string) response {
		req := httptest.NewRequest("POST", "/api/v1/auth/login", strings.NewReader(fmt.Sprintf(`{"username":%q,"password":%q}`, user, pass)))
		req.RemoteAddr = ip + ":1234"
		req.Header.Set("X-Forwarded-For", "10.9.9.9") // not trusted: ignored
		w := httptest.NewRecorder()
		e.h.ServeHTTP(w, req)
		return response{w}
	}

	r := login("Alice", pw, "127.0.0.1")
	if r.Code != 200 {
		t.Fatalf("login: %d %s", r.Code, r.Body)
	}
	var out loginResponse
	r.decode(t, &out)
	e.note(out.Token)
	if !out.ExpiresAt.Equal(e.clock.now().Add(24 * time.Hour)) {
		t.Fatalf("expires_at %v", out.ExpiresAt)
	}
	if m := e.do("GET", "/api/v1/me", out.Token, nil); m.Code != 200 {
		t.Fatalf("me with login token: %d", m.Code)
	}

	for _, tt := range []struct{ user, pass, code string }{
		{"alice", "wrong-password-1", codeInvalidCreds},
		{"nobody", pw, codeInvalidCreds},
		{"admin", "anything-at-all", codeInvalidCreds}, // admin has no password
		{"alice", "", codeMissingField},
	} {
		r := login(tt.user, tt.pass, "127.0.0.2")
		if r.errorCode() != tt.code {
			t.Fatalf("%s/%s: %d %s", tt.user, tt.pass, r.Code, r.Body)
		}
	}

	// Failures from one address slow that address down, even for the
	// right password; another address is not affected.
	for i := range 3 { // the failures that come free
		if r := login("alice", "wrong-password-1", "127.0.0.3"); r.Code != 401 {
			t.Fatalf("failure %d: %d", i, r.Code)
		}
	}
	r = login("alice", pw, "127.0.0.3")
	if r.Code != 429 || r.errorCode() != codeTooManyAttempts || r.Header().Get("Retry-After") == "" {
		t.Fatalf("after failures: %d %s", r.Code, r.Body)
	}
	if r := login("alice", pw, "127.0.0.4"); r.Code != 200 {
		t.Fatalf("other address: %d", r.Code)
	}
	e.clock.add(2 * time.Second)
	if r := login("alice", pw, "127.0.0.3"); r.Code != 200 {
		t.Fatalf("after the backoff: %d %s", r.Code, r.Body)
	}

	// Login tokens expire; API tokens do not.
	e.clock.add(25 * time.Hour)
	if m := e.do("GET", "/api/v1/me", out.Token, nil); m.Code != 401 {
		t.Fatalf("expired login token: %d", m.Code)
	}
	if m := e.do("GET", "/api/v1/me", e.adminToken, nil); m.Code != 200 {
		t.Fatalf("api token after a day: %d", m.Code)
	}
	if !strings.Contains(e.logs.String(), "login failed") {
		t.Fatal("failed logins are not logged")
	}
}

func TestErrorsAreJSON(t *testing.T) {
	e := newEnv(t)
	eng := New(e.deps)
	eng.GET("/boom", func(c *gin.Context) { panic("secret-in-panic-value") })
	e.h = e.checked(eng)
	e.note("secret-in-panic-value")
	tests := []struct {
		method, path string
		status       int
		code         string
	}{
		{"GET", "/nowhere", 404, codeNotFound},
		{"GET", "/api/v1/nowhere", 404, codeNotFound},
		{"PUT", "/api/v1/exchange-accounts", 405, codeMethodNotAllowed},
		{"GET", "/boom", 500, codeInternal},
	}
	for _, tt := range tests {
		r := e.do(tt.method, tt.path, e.adminToken, nil)
		if r.Code != tt.status || r.errorCode() != tt.code || r.Header().Get("Content-Type") != "application/json; charset=utf-8" {
			t.Fatalf("%s %s: %d %s", tt.method, tt.path, r.Code, r.Body)
		}
		if strings.Contains(r.Body.String(), "secret-in-panic") {
			t.Fatal("500 leaks the panic")
		}
	}
	logs := e.logs.String()
	if !strings.Contains(logs, "panic while handling a request") || !strings.Contains(logs, "route=/boom status=500") {
		t.Fatalf("panic not logged:\n%s", logs)
	}
}

func TestCORS(t *testing.T) {
	e := newEnv(t)
	send := func(method, origin string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, "/api/v1/me", nil)
		req.Header.Set("Origin", origin)
		if method == http.MethodOptions {
			req.Header.Set("Access-Control-Request-Method", "GET")
			req.Header.Set("Access-Control-Request-Headers", "authorization")
		} else {
			req.Header.Set("Authorization", "Bearer "+e.adminToken)
		}
		w := httptest.NewRecorder()
		e.h.ServeHTTP(w, req)
		return w
	}
	tests := []struct {
		method, origin string
		status         int
		allowed        bool
	}{
		{"OPTIONS", "https://app.example", 204, true},
		{"OPTIONS", "https://evil.example", 204, false},
		{"GET", "https://app.example", 200, true},
		{"GET", "https://evil.example", 200, false},
	}
	for _, tt := range tests {
		w := send(tt.method, tt.origin)
		got := w.Header().Get("Access-Control-Allow-Origin")
		if w.Code != tt.status || (got == tt.origin) != tt.allowed || (got != "" && got != tt.origin) {
			t.Fatalf("%s from %s: %d, allow-origin %q", tt.method, tt.origin, w.Code, got)
		}
		if tt.method == "OPTIONS" && tt.allowed && !strings.Contains(w.Header().Get("Access-Control-Allow-Headers"), "Authorization") {
			t.Fatal("preflight does not allow Authorization")
		}
	}
}

func TestStoreErrorsAnswer500WithoutDetail(t *testing.T) {
	e := newEnv(t)
	tok := e.user("alice", "user")
	e.st.Close() // every store call now fails
	r := e.do("GET", "/api/v1/exchange-accounts", tok, nil)
	if r.Code != 500 || r.errorCode() != codeInternal || strings.Contains(r.Body.String(), "database") {
		t.Fatalf("got %d %s", r.Code, r.Body)
	}
	e.open()
	if _, err := e.st.User(context.Background(), "x"); err != store.ErrNotFound {
		t.Fatalf("reopened store: %v", err)
	}
}
