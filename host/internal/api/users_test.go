package api

import (
	"fmt"
	"strings"
	"testing"
)

// login logs username in with pw and returns the token.
func (e *env) login(username, pw string) string {
	e.t.Helper()
	r := e.do("POST", "/api/v1/auth/login", "", map[string]any{"username": username, "password": pw})
	if r.Code != 200 {
		e.t.Fatalf("login %s: %d %s", username, r.Code, r.Body)
	}
	var out loginResponse
	r.decode(e.t, &out)
	e.note(out.Token)
	return out.Token
}

// The admin's view of users: list (paged), get, role, disable/enable,
// delete with the user's accounts; the last enabled admin stays.
func TestUserLifecycle(t *testing.T) {
	e := newEnv(t)
	alice := e.user("alice", "user")
	bob := e.user("bob", "user")
	a := e.account(alice, accountBody("alice"))

	var page []userDetailView
	r := e.do("GET", "/api/v1/users?limit=2", e.adminToken, nil)
	r.decode(t, &page)
	next := r.Header().Get("X-Next-Cursor")
	if r.Code != 200 || len(page) != 2 || page[0].Username != "admin" || next == "" {
		t.Fatalf("first page: %d %s %q", r.Code, r.Body, next)
	}
	r = e.do("GET", "/api/v1/users?limit=2&cursor="+next, e.adminToken, nil)
	r.decode(t, &page)
	if r.Code != 200 || len(page) != 1 || page[0].Username != "bob" || r.Header().Get("X-Next-Cursor") != "" {
		t.Fatalf("last page: %d %s", r.Code, r.Body)
	}
	if r := e.do("GET", "/api/v1/users", alice, nil); r.Code != 403 {
		t.Fatalf("a user lists users: %d", r.Code)
	}
	var me userView
	e.do("GET", "/api/v1/me", alice, nil).decode(t, &me)
	var got userDetailView
	r = e.do("GET", "/api/v1/users/"+me.ID, e.adminToken, nil)
	r.decode(t, &got)
	if r.Code != 200 || got.Username != "alice" || got.Disabled || got.HasPassword {
		t.Fatalf("get: %d %s", r.Code, r.Body)
	}
	if r := e.do("GET", "/api/v1/users/01ARZ3NDEKTSV4RRFFQ69G5FAV", e.adminToken, nil); r.Code != 404 {
		t.Fatalf("missing user: %d", r.Code)
	}

	// Disable: tokens refused, login refused; enable: back.
	r = e.do("PATCH", "/api/v1/users/"+me.ID, e.adminToken, map[string]any{"disabled": true})
	if r.Code != 200 {
		t.Fatalf("disable: %d %s", r.Code, r.Body)
	}
	if r := e.do("GET", "/api/v1/me", alice, nil); r.Code != 401 || r.errorCode() != codeUserDisabled {
		t.Fatalf("a disabled user's token: %d %s", r.Code, r.Body)
	}
	if r := e.do("PATCH", "/api/v1/users/"+me.ID, e.adminToken, map[string]any{"disabled": false}); r.Code != 200 {
		t.Fatalf("enable: %d", r.Code)
	}
	if r := e.do("GET", "/api/v1/me", alice, nil); r.Code != 200 {
		t.Fatalf("an enabled user's token: %d", r.Code)
	}
	// Role.
	if r := e.do("PATCH", "/api/v1/users/"+me.ID, e.adminToken, map[string]any{"role": "root"}); r.Code != 400 || r.errorCode() != codeInvalidRole {
		t.Fatalf("bad role: %d %s", r.Code, r.Body)
	}
	if r := e.do("PATCH", "/api/v1/users/"+me.ID, e.adminToken, map[string]any{"role": "admin"}); r.Code != 200 {
		t.Fatalf("promote: %d %s", r.Code, r.Body)
	}
	if r := e.do("GET", "/api/v1/users", alice, nil); r.Code != 200 {
		t.Fatalf("a promoted user lists users: %d", r.Code)
	}
	var admin userView
	e.do("GET", "/api/v1/me", e.adminToken, nil).decode(t, &admin)
	if r := e.do("PATCH", "/api/v1/users/"+me.ID, e.adminToken, map[string]any{"role": "user"}); r.Code != 200 {
		t.Fatalf("demote: %d", r.Code)
	}
	// The last enabled admin stays.
	for _, try := range []struct{ method, body string }{{"PATCH", `{"role":"user"}`}, {"PATCH", `{"disabled":true}`}, {"DELETE", ""}} {
		var body any
		if try.body != "" {
			body = try.body
		}
		if r := e.do(try.method, "/api/v1/users/"+admin.ID, e.adminToken, body); r.Code != 409 || r.errorCode() != "last_admin" {
			t.Errorf("%s %s on the last admin: %d %s", try.method, try.body, r.Code, r.Body)
		}
	}

	// Delete: accounts (and their sealed keys) go with the user.
	e.syncer.changed = nil
	if r := e.do("DELETE", "/api/v1/users/"+me.ID, e.adminToken, nil); r.Code != 204 {
		t.Fatalf("delete: %d %s", r.Code, r.Body)
	}
	if _, err := e.st.Account(t.Context(), a.ID); err == nil {
		t.Fatal("the deleted user's account is still stored")
	}
	if fmt.Sprint(e.syncer.changed) != fmt.Sprint([]string{a.ID}) {
		t.Fatalf("the scheduler heard of %v", e.syncer.changed)
	}
	if r := e.do("GET", "/api/v1/me", alice, nil); r.Code != 401 {
		t.Fatalf("a deleted user's token: %d", r.Code)
	}
	if r := e.do("DELETE", "/api/v1/users/"+me.ID, e.adminToken, nil); r.Code != 404 {
		t.Fatalf("delete twice: %d", r.Code)
	}
	if r := e.do("GET", "/api/v1/me", bob, nil); r.Code != 200 {
		t.Fatalf("another user: %d", r.Code)
	}
	// The name is free again.
	e.user("alice", "user")
}

// An invited user (made without a password) sets one with its token, then
// logs in; the policy holds; a new password ends the other logins.
func TestInviteAndPasswords(t *testing.T) {
	e := newEnv(t)
	invite := e.user("carol", "user")
	const pw, pw2 = "carol-first-password", "carol-second-password"
	e.note(pw, pw2)
	r := e.do("POST", "/api/v1/auth/login", "", map[string]any{"username": "carol", "password": pw})
	if r.Code != 401 {
		t.Fatalf("login before the password is set: %d", r.Code)
	}
	for _, bad := range []string{"short", strings.Repeat("z", 30), "has\u0007bell-inside", "   "} {
		r := e.do("POST", "/api/v1/me/password", invite, map[string]any{"new_password": bad})
		if r.Code != 400 || r.errorCode() != codeInvalidPassword || strings.Contains(r.Body.String(), bad) && bad != "   " {
			t.Errorf("password %q: %d %s", bad, r.Code, r.Body)
		}
	}
	if r := e.do("POST", "/api/v1/me/password", invite, map[string]any{"new_password": pw}); r.Code != 204 {
		t.Fatalf("first password: %d %s", r.Code, r.Body)
	}
	s1, s2 := e.login("carol", pw), e.login("carol", pw)
	if r := e.do("POST", "/api/v1/me/password", s2, map[string]any{"new_password": pw2}); r.Code != 400 || r.errorCode() != codeMissingField {
		t.Fatalf("without the current password: %d %s", r.Code, r.Body)
	}
	r = e.do("POST", "/api/v1/me/password", s2, map[string]any{"current_password": "not-the-password", "new_password": pw2})
	if r.Code != 403 || r.errorCode() != "wrong_password" {
		t.Fatalf("wrong current password: %d %s", r.Code, r.Body)
	}
	if r := e.do("POST", "/api/v1/me/password", s2, map[string]any{"current_password": pw, "new_password": pw2}); r.Code != 204 {
		t.Fatalf("change: %d %s", r.Code, r.Body)
	}
	for tok, want := range map[string]int{s1: 401, s2: 200, invite: 200} {
		if r := e.do("GET", "/api/v1/me", tok, nil); r.Code != want {
			t.Errorf("after the change a token answers %d, want %d", r.Code, want)
		}
	}
	e.login("carol", pw2)
	// A disabled user with the right password is told so; a wrong one
	// learns nothing more.
	var me userView
	e.do("GET", "/api/v1/me", invite, nil).decode(t, &me)
	if r := e.do("PATCH", "/api/v1/users/"+me.ID, e.adminToken, map[string]any{"disabled": true}); r.Code != 200 {
		t.Fatal(r.Body)
	}
	r = e.do("POST", "/api/v1/auth/login", "", map[string]any{"username": "carol", "password": pw2})
	if r.Code != 403 || r.errorCode() != codeUserDisabled {
		t.Fatalf("disabled login: %d %s", r.Code, r.Body)
	}
	r = e.do("POST", "/api/v1/auth/login", "", map[string]any{"username": "carol", "password": "wrong-password-x"})
	if r.Code != 401 {
		t.Fatalf("disabled login with a wrong password: %d %s", r.Code, r.Body)
	}
}

// A user lists its tokens (never the tokens themselves), logs out (the
// current token dies) and revokes another.
func TestOwnTokens(t *testing.T) {
	e := newEnv(t)
	api := e.user("dave", "user")
	const pw = "dave-has-a-password"
	e.note(pw)
	if r := e.do("POST", "/api/v1/me/password", api, map[string]any{"new_password": pw}); r.Code != 204 {
		t.Fatal(r.Body)
	}
	s1, s2 := e.login("dave", pw), e.login("dave", pw)
	var list []tokenView
	r := e.do("GET", "/api/v1/me/tokens", s1, nil)
	r.decode(t, &list)
	if r.Code != 200 || len(list) != 3 || list[0].Kind != "api" || list[0].ExpiresAt != nil || !list[1].Current ||
		list[2].Current || list[2].Kind != "login" || list[2].ExpiresAt == nil {
		t.Fatalf("tokens: %d %s", r.Code, r.Body)
	}
	for _, s := range []string{api, s1, s2} {
		if strings.Contains(r.Body.String(), s) {
			t.Fatal("the list shows a token")
		}
	}
	r = e.do("GET", "/api/v1/me/tokens?limit=1", s1, nil)
	if r.Header().Get("X-Next-Cursor") != list[0].ID {
		t.Fatalf("paged tokens: next %q", r.Header().Get("X-Next-Cursor"))
	}
	other := e.user("erin", "user")
	if r := e.do("DELETE", "/api/v1/me/tokens/"+list[2].ID, other, nil); r.Code != 404 {
		t.Fatalf("revoke another user's token: %d", r.Code)
	}
	if r := e.do("DELETE", "/api/v1/me/tokens/"+list[2].ID, s1, nil); r.Code != 204 {
		t.Fatalf("revoke: %d %s", r.Code, r.Body)
	}
	if r := e.do("GET", "/api/v1/me", s2, nil); r.Code != 401 {
		t.Fatalf("a revoked token: %d", r.Code)
	}
	if r := e.do("POST", "/api/v1/auth/logout", s1, nil); r.Code != 204 {
		t.Fatalf("logout: %d %s", r.Code, r.Body)
	}
	if r := e.do("GET", "/api/v1/me", s1, nil); r.Code != 401 {
		t.Fatalf("after logout: %d", r.Code)
	}
	if r := e.do("GET", "/api/v1/me", api, nil); r.Code != 200 {
		t.Fatalf("the API token after logging out a session: %d", r.Code)
	}
}
