package api

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/globalautomation/gahost/host/internal/secrets"
	"github.com/globalautomation/gahost/host/internal/store"
	bolt "go.etcd.io/bbolt"
)

func TestCreateAccountRejectsBadBodies(t *testing.T) {
	e := newEnv(t)
	tok := e.user("alice", "user")
	valid := `{"name":"Main","exchange":"fakex","api_key":"AKvalid-0123456789","secret_key":"SKvalid-0123456789"}`
	tests := []struct {
		name   string
		body   string
		status int
		code   string
	}{
		{"valid", valid, 201, ""},
		{"valid with passphrase exchange", `{"name":"P","exchange":"fakepp","api_key":"AKp-0123456789","secret_key":"SKp-0123456789","passphrase":"Pp-1"}`, 201, ""},
		{"keys trimmed", `{"name":"T","exchange":"fakex","api_key":"  AKtrim-0123456789\n","secret_key":"SKtrim-0123456789 "}`, 201, ""},
		{"missing name", `{"exchange":"fakex","api_key":"a","secret_key":"b"}`, 400, codeMissingField},
		{"blank name", `{"name":"  ","exchange":"fakex","api_key":"a","secret_key":"b"}`, 400, codeMissingField},
		{"name too long", `{"name":"` + strings.Repeat("n", 101) + `","exchange":"fakex","api_key":"a","secret_key":"b"}`, 400, codeInvalidName},
		{"name with control char", `{"name":"a\u0007b","exchange":"fakex","api_key":"a","secret_key":"b"}`, 400, codeInvalidName},
		{"missing exchange", `{"name":"n","api_key":"a","secret_key":"b"}`, 400, codeMissingField},
		{"unknown exchange", `{"name":"n","exchange":"nosuch","api_key":"a","secret_key":"b"}`, 400, codeUnknownExchange},
		{"exchange name is case-sensitive", `{"name":"n","exchange":"FAKEX","api_key":"a","secret_key":"b"}`, 400, codeUnknownExchange},
		{"empty api key", `{"name":"n","exchange":"fakex","api_key":"","secret_key":"b"}`, 400, codeEmptyKey},
		{"blank api key", `{"name":"n","exchange":"fakex","api_key":"   ","secret_key":"b"}`, 400, codeEmptyKey},
		{"missing secret", `{"name":"n","exchange":"fakex","api_key":"a"}`, 400, codeEmptyKey},
		{"key with inner space", `{"name":"n","exchange":"fakex","api_key":"a b","secret_key":"b"}`, 400, codeInvalidKey},
		{"key too long", `{"name":"n","exchange":"fakex","api_key":"` + strings.Repeat("k", 1025) + `","secret_key":"b"}`, 400, codeInvalidKey},
		{"missing passphrase", `{"name":"n","exchange":"fakepp","api_key":"a","secret_key":"b"}`, 400, codePassphraseNeeded},
		{"testnet not offered", `{"name":"n","exchange":"fakepp","api_key":"a","secret_key":"b","passphrase":"p","testnet":true}`, 400, codeTestnetNotOffered},
		{"unknown field", `{"name":"n","exchange":"fakex","api_key":"a","secret_key":"b","is_admin":true}`, 400, codeUnknownField},
		{"wrong type", `{"name":"n","exchange":"fakex","api_key":123,"secret_key":"b"}`, 400, codeInvalidField},
		{"bool as string", `{"name":"n","exchange":"fakex","api_key":"a","secret_key":"b","testnet":"yes"}`, 400, codeInvalidField},
		{"malformed", `{"name":"n",`, 400, codeInvalidJSON},
		{"not an object", `["name"]`, 400, codeInvalidJSON},
		{"null", `null`, 400, codeInvalidJSON},
		{"empty", ``, 400, codeInvalidJSON},
		{"trailing data", valid + `{}`, 400, codeInvalidJSON},
		{"too large", `{"name":"` + strings.Repeat("n", 70<<10) + `"}`, 413, codeBodyTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do("POST", "/api/v1/exchange-accounts", tok, tt.body)
			if r.Code != tt.status || r.errorCode() != tt.code {
				t.Fatalf("got %d %s, want %d %s", r.Code, r.Body, tt.status, tt.code)
			}
			if tt.status >= 400 && strings.Contains(r.Body.String(), "secret_key\":\"") {
				t.Fatal("error echoes the body")
			}
		})
	}
	// Trimmed keys are stored trimmed.
	var list []accountView
	e.do("GET", "/api/v1/exchange-accounts", tok, nil).decode(t, &list)
	for _, a := range list {
		if a.Name == "T" && a.APIKeyHint != "AKtr…6789" {
			t.Fatalf("hint of a trimmed key: %q", a.APIKeyHint)
		}
	}
}

func TestCreateAccountValidatesWithThePlugin(t *testing.T) {
	e := newEnv(t)
	tok := e.user("alice", "user")
	tests := []struct {
		key     string
		status  int
		code    string
		message string // part of the message the client must see
	}{
		{"goodkey-0123456789abcdef", 201, "", ""},
		{"badkey-0123456789abcdef", 422, codeCredsRejected, "Invalid API-key"},
		{"noperm-0123456789abcdef", 422, codeCredsRejected, "lacks read permission"},
		{"limited-0123456789abcdef", 429, codeRateLimited, "too many requests"},
		{"down-0123456789abcdef", 502, codeExchangeDown, "maintenance"},
		{"skew-0123456789abcdef", 422, "clock_skew", "recvWindow"},
		{"slow-0123456789abcdef", 504, codeExchangeTimeout, "did not answer"},
		{"crash-0123456789abcdef", 502, codeExchangeDown, "plugin did not answer"},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			secret, pass := "SECRET-"+tt.key, "PASS-"+tt.key
			e.note(tt.key, secret, pass)
			before := len(e.list(tok))
			r := e.do("POST", "/api/v1/exchange-accounts", tok, map[string]any{"name": "v", "exchange": "fakex",
				"api_key": tt.key, "secret_key": secret, "passphrase": pass, "testnet": true, "validate": true})
			if r.Code != tt.status || r.errorCode() != tt.code {
				t.Fatalf("got %d %s, want %d %s", r.Code, r.Body, tt.status, tt.code)
			}
			body := r.Body.String()
			if tt.message != "" && !strings.Contains(body, tt.message) {
				t.Fatalf("message %s lacks %q", body, tt.message)
			}
			for _, s := range []string{tt.key, secret, pass, tt.key[:12], secret[7:20]} {
				if strings.Contains(body, s) {
					t.Fatalf("answer contains (part of) a credential: %s", body)
				}
			}
			if tt.code == codeRateLimited && r.Header().Get("Retry-After") != "30" {
				t.Fatalf("Retry-After = %q", r.Header().Get("Retry-After"))
			}
			created := len(e.list(tok)) - before
			if created != map[bool]int{true: 1, false: 0}[tt.status == 201] {
				t.Fatalf("%d accounts created", created)
			}
			got := e.cat["fakex"].lastAcct
			if got.APIKey != tt.key || !got.Testnet {
				t.Fatal("the plugin did not get the account as sent")
			}
		})
	}
	// Keys are checked by default; "validate": false stores them unchecked.
	calls := e.cat["fakex"].validated.Load()
	checked := e.account(tok, accountBody("default"))
	if e.cat["fakex"].validated.Load() != calls+1 || checked.LastCheck == nil || checked.LastCheck.Outcome != "ok" {
		t.Fatalf("not validated by default: %+v", checked.LastCheck)
	}
	unchecked := accountBody("novalidate")
	unchecked["validate"] = false
	unchecked["api_key"] = "bad-but-unchecked-0123456789"
	a := e.account(tok, unchecked)
	if e.cat["fakex"].validated.Load() != calls+1 || a.LastCheck != nil {
		t.Fatalf("validated although validate was false: %+v", a.LastCheck)
	}
}

func (e *env) list(tok string) []accountView {
	e.t.Helper()
	var out []accountView
	r := e.do("GET", "/api/v1/exchange-accounts", tok, nil)
	if r.Code != 200 {
		e.t.Fatalf("list: %d %s", r.Code, r.Body)
	}
	r.decode(e.t, &out)
	return out
}

func TestAccountLifecycle(t *testing.T) {
	e := newEnv(t)
	tok := e.user("alice", "user")
	body := map[string]any{"name": "Main", "exchange": "fakepp", "api_key": "vmPUabcdefghijklmnA8lE",
		"secret_key": "S3cr3t-value-abcdefgh", "passphrase": "my-passphrase"}
	a := e.account(tok, body)
	if a.APIKeyHint != "vmPU…A8lE" || !a.IsMain || !a.IsActive || a.Sync.Status != "pending" ||
		a.CredentialsStatus != credentialsOK || a.Sync.LastSyncAt != nil {
		t.Fatalf("created %+v", a)
	}
	r := e.do("GET", "/api/v1/exchange-accounts/"+a.ID, tok, nil)
	if r.Code != 200 {
		t.Fatalf("get: %d", r.Code)
	}
	var raw map[string]any
	r.decode(t, &raw)
	for _, k := range []string{"id", "name", "exchange", "testnet", "is_active", "is_main", "api_key_hint", "created_at", "updated_at", "sync"} {
		if _, ok := raw[k]; !ok {
			t.Fatalf("account JSON lacks %q: %s", k, r.Body)
		}
	}
	for _, k := range []string{"last_sync_at", "next_sync_at", "last_error", "status"} {
		if _, ok := raw["sync"].(map[string]any)[k]; !ok {
			t.Fatalf("sync JSON lacks %q", k)
		}
	}

	e.clock.add(time.Minute)
	e.note("NEWKEY-abcdefghijklmnop")
	r = e.do("PATCH", "/api/v1/exchange-accounts/"+a.ID, tok, map[string]any{"name": "Renamed", "api_key": "NEWKEY-abcdefghijklmnop", "is_active": false})
	var p accountView
	if r.Code != 200 {
		t.Fatalf("patch: %d %s", r.Code, r.Body)
	}
	r.decode(t, &p)
	if p.Name != "Renamed" || p.APIKeyHint != "NEWK…mnop" || p.IsActive || !p.UpdatedAt.After(a.UpdatedAt) {
		t.Fatalf("patched %+v", p)
	}
	stored, _ := e.st.Account(context.Background(), a.ID)
	creds, err := e.key.OpenCredentials(a.ID, stored.Secrets)
	if err != nil || creds.APIKey != "NEWKEY-abcdefghijklmnop" || creds.SecretKey != "S3cr3t-value-abcdefgh" || creds.Passphrase != "my-passphrase" {
		t.Fatalf("stored credentials after patch: %v", err)
	}

	patches := []struct {
		name   string
		body   string
		status int
		code   string
	}{
		{"empty patch", `{}`, 200, ""},
		{"empty api key", `{"api_key":""}`, 400, codeEmptyKey},
		{"removing a required passphrase", `{"passphrase":""}`, 400, codePassphraseNeeded},
		{"testnet where none", `{"testnet":true}`, 400, codeTestnetNotOffered},
		{"blank name", `{"name":""}`, 400, codeMissingField},
		{"unknown field", `{"exchange":"fakex"}`, 400, codeUnknownField},
		{"wrong type", `{"is_main":"yes"}`, 400, codeInvalidField},
	}
	for _, tt := range patches {
		r := e.do("PATCH", "/api/v1/exchange-accounts/"+a.ID, tok, tt.body)
		if r.Code != tt.status || r.errorCode() != tt.code {
			t.Fatalf("%s: got %d %s", tt.name, r.Code, r.Body)
		}
	}

	if r := e.do("DELETE", "/api/v1/exchange-accounts/"+a.ID, tok, nil); r.Code != 204 || r.Body.Len() != 0 {
		t.Fatalf("delete: %d %s", r.Code, r.Body)
	}
	if r := e.do("GET", "/api/v1/exchange-accounts/"+a.ID, tok, nil); r.Code != 404 || r.errorCode() != codeNotFound {
		t.Fatalf("get after delete: %d", r.Code)
	}
	if r := e.do("DELETE", "/api/v1/exchange-accounts/"+a.ID, tok, nil); r.Code != 404 {
		t.Fatalf("second delete: %d", r.Code)
	}
	if got := fmt.Sprint(e.syncer.changed); got != fmt.Sprint([]string{a.ID, a.ID, a.ID}) {
		t.Fatalf("syncer told %v", got)
	}
}

func TestAccountJSONHoldsNoSecret(t *testing.T) {
	e := newEnv(t)
	tok := e.user("alice", "user")
	body := accountBody("x")
	body["exchange"], body["passphrase"] = "fakepp", "PASSPHRASE-value"
	a := e.account(tok, body)
	for _, r := range []response{
		e.do("GET", "/api/v1/exchange-accounts", tok, nil),
		e.do("GET", "/api/v1/exchange-accounts/"+a.ID, tok, nil),
		e.do("PATCH", "/api/v1/exchange-accounts/"+a.ID, tok, `{"name":"y"}`),
	} {
		for _, f := range []string{"api_key", "secret_key", "passphrase"} {
			if s := body[f].(string); strings.Contains(r.Body.String(), s) || strings.Contains(r.Body.String(), s[4:12]) {
				t.Fatalf("answer holds %s: %s", f, r.Body)
			}
		}
	}
}

func TestIsolationAndRoles(t *testing.T) {
	e := newEnv(t)
	alice, bob := e.user("alice", "user"), e.user("bob", "user")
	a := e.account(alice, accountBody("a"))
	path := "/api/v1/exchange-accounts/" + a.ID
	routes := []struct{ method, path, body string }{
		{"GET", path, ""},
		{"PATCH", path, `{"name":"mine now"}`},
		{"PATCH", path, `{"api_key":"stolen-0123456789"}`},
		{"DELETE", path, ""},
	}
	for _, rt := range routes {
		if r := e.do(rt.method, rt.path, bob, rt.body); r.Code != 404 || r.errorCode() != codeNotFound {
			t.Fatalf("bob %s %s: %d %s", rt.method, rt.path, r.Code, r.Body)
		}
	}
	if got := e.list(bob); len(got) != 0 {
		t.Fatalf("bob lists %d accounts", len(got))
	}
	if r := e.do("GET", path, alice, nil); r.Code != 200 {
		t.Fatal("alice lost her account")
	}
	var still accountView
	e.do("GET", path, alice, nil).decode(t, &still)
	if still.Name != "a" {
		t.Fatalf("bob changed alice's account: %+v", still)
	}

	admin := []struct{ method, path, body string }{
		{"POST", "/api/v1/users", `{"username":"eve","role":"admin"}`},
		{"GET", "/api/v1/admin/backup", ""},
	}
	for _, rt := range admin {
		if r := e.do(rt.method, rt.path, alice, rt.body); r.Code != 403 || r.errorCode() != codeForbidden {
			t.Fatalf("user %s %s: %d", rt.method, rt.path, r.Code)
		}
	}

	authed := append(routes, struct{ method, path, body string }{"GET", "/api/v1/exchange-accounts", ""},
		struct{ method, path, body string }{"POST", "/api/v1/exchange-accounts", `{}`},
		struct{ method, path, body string }{"GET", "/api/v1/me", ""})
	authed = append(authed, admin...)
	for _, tok := range []string{"", "gah_" + strings.Repeat("A", 43), "not-a-token", alice + "x"} {
		for _, rt := range authed {
			if r := e.do(rt.method, rt.path, tok, rt.body); r.Code != 401 || r.errorCode() != codeUnauthorized {
				t.Fatalf("token %q %s %s: %d", tok, rt.method, rt.path, r.Code)
			}
		}
	}
	// Basic auth or a token without the scheme is no bearer token.
	req := httptest.NewRequest("GET", "/api/v1/me", nil)
	req.Header.Set("Authorization", alice)
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, req)
	if w.Code != 401 {
		t.Fatalf("token without scheme: %d", w.Code)
	}
}

func TestMainAccountThroughTheAPI(t *testing.T) {
	e := newEnv(t)
	tok := e.user("alice", "user")
	first := e.account(tok, accountBody("first"))
	second := e.account(tok, accountBody("second"))
	third := e.account(tok, map[string]any{"name": "third", "exchange": "fakex", "api_key": "AKthird-0123456789",
		"secret_key": "SKthird-0123456789", "is_main": true})
	mains := func() string {
		var out []string
		for _, a := range e.list(tok) {
			if a.IsMain {
				out = append(out, a.Name)
			}
		}
		return strings.Join(out, ",")
	}
	steps := []struct {
		method, path, body string
		want               string
	}{
		{"", "", "", "third"},
		{"PATCH", second.ID, `{"is_main":true}`, "second"},
		{"DELETE", second.ID, "", "first"},
		{"DELETE", first.ID, "", "third"},
	}
	if !first.IsMain || second.IsMain || !third.IsMain {
		t.Fatal("create answers carry the wrong flags")
	}
	for _, s := range steps {
		if s.method != "" {
			if r := e.do(s.method, "/api/v1/exchange-accounts/"+s.path, tok, s.body); r.Code >= 300 {
				t.Fatalf("%s: %d %s", s.method, r.Code, r.Body)
			}
		}
		if got := mains(); got != s.want {
			t.Fatalf("after %s %s: mains %q, want %q", s.method, s.path, got, s.want)
		}
	}
}

func TestPatchingKeysReleasesAuthFailed(t *testing.T) {
	e := newEnv(t)
	tok := e.user("alice", "user")
	a := e.account(tok, accountBody("a"))
	park := func() {
		if err := e.st.PutSyncResult(context.Background(), a.ID, store.SyncResult{
			State: store.SyncState{Status: store.SyncAuthFailed, LastError: "Invalid API-key"}}); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		body string
		want string
	}{
		{`{"name":"renamed"}`, "auth_failed"},
		{`{"is_main":true}`, "auth_failed"},
		{`{"secret_key":"new-secret-0123456789"}`, "pending"},
		{`{"api_key":"new-api-0123456789"}`, "pending"},
	}
	e.note("new-secret-0123456789", "new-api-0123456789")
	for _, tt := range tests {
		park()
		var got accountView
		r := e.do("PATCH", "/api/v1/exchange-accounts/"+a.ID, tok, tt.body)
		r.decode(t, &got)
		if got.Sync.Status != tt.want {
			t.Fatalf("%s: status %s, want %s", tt.body, got.Sync.Status, tt.want)
		}
	}
}

// swapSecrets exchanges two accounts' sealed API keys directly in the file,
// as someone with write access to it might.
func (e *env) swapSecrets(idA, idB string) {
	e.t.Helper()
	e.st.Close()
	db, err := bolt.Open(store.Path(e.dir), 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		e.t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte("accounts"))
		var x, y map[string]json.RawMessage
		if err := json.Unmarshal(b.Get([]byte(idA)), &x); err != nil {
			return err
		}
		if err := json.Unmarshal(b.Get([]byte(idB)), &y); err != nil {
			return err
		}
		x["secrets"], y["secrets"] = y["secrets"], x["secrets"]
		for id, v := range map[string]map[string]json.RawMessage{idA: x, idB: y} {
			raw, _ := json.Marshal(v)
			if err := b.Put([]byte(id), raw); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		e.t.Fatal(err)
	}
	db.Close()
	e.open()
}

func TestSwappedSecretsAreReportedUnreadable(t *testing.T) {
	e := newEnv(t)
	tok := e.user("alice", "user")
	a, b := e.account(tok, accountBody("a")), e.account(tok, accountBody("b"))
	e.swapSecrets(a.ID, b.ID)
	for _, acc := range e.list(tok) {
		if acc.CredentialsStatus != credentialsUnreadable {
			t.Fatalf("list: %s is %s", acc.Name, acc.CredentialsStatus)
		}
	}
	var got accountView
	e.do("GET", "/api/v1/exchange-accounts/"+a.ID, tok, nil).decode(t, &got)
	if got.CredentialsStatus != credentialsUnreadable {
		t.Fatalf("get: %s", got.CredentialsStatus)
	}
	// The service that would use the keys sees them unreadable too, and so
	// never uses another account's (the webhooks service refuses such an
	// account with account_unreadable).
	stored, _ := e.st.Account(context.Background(), a.ID)
	if e.deps.Accounts.CredentialsReadable(stored) {
		t.Fatal("swapped credentials read as readable")
	}
	// New keys make it readable again; deleting works regardless.
	e.note("AKfresh-0123456789", "SKfresh-0123456789")
	e.do("PATCH", "/api/v1/exchange-accounts/"+a.ID, tok, `{"api_key":"AKfresh-0123456789","secret_key":"SKfresh-0123456789"}`).decode(t, &got)
	if got.CredentialsStatus != credentialsOK {
		t.Fatalf("after new keys: %s", got.CredentialsStatus)
	}
	if r := e.do("DELETE", "/api/v1/exchange-accounts/"+b.ID, tok, nil); r.Code != 204 {
		t.Fatalf("delete unreadable: %d", r.Code)
	}
}

func TestBackupRoute(t *testing.T) {
	e := newEnv(t)
	e.account(e.adminToken, accountBody("a"))
	r := e.do("GET", "/api/v1/admin/backup", e.adminToken, nil)
	if r.Code != 200 || r.Header().Get("Content-Type") != "application/octet-stream" {
		t.Fatalf("backup: %d %v", r.Code, r.Header())
	}
	if r.Header().Get("Content-Length") != fmt.Sprint(r.Body.Len()) {
		t.Fatalf("Content-Length %s, body %d", r.Header().Get("Content-Length"), r.Body.Len())
	}
	if !strings.Contains(r.Header().Get("Content-Disposition"), "gahost-20260102T030405Z.db") {
		t.Fatalf("Content-Disposition %q", r.Header().Get("Content-Disposition"))
	}
	path := t.TempDir() + "/restored.db"
	if err := writeFile(path, r.Body.Bytes()); err != nil {
		t.Fatal(err)
	}
	restored, err := store.Open(context.Background(), path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer restored.Close()
	if err := restored.CheckKey(context.Background(), e.key); err != nil {
		t.Fatalf("backup does not open with the key: %v", err)
	}
	if list, _ := restored.AllAccounts(context.Background()); len(list) != 1 {
		t.Fatalf("backup holds %d accounts", len(list))
	}
}

func writeFile(path string, b []byte) error { return secrets.WriteFile(path, b) }

func TestDatabaseFileHoldsNoPlaintextAfterAPICreates(t *testing.T) {
	e := newEnv(t)
	tok := e.user("alice", "user")
	var plain []string
	for i := range 3 {
		body := map[string]any{"name": fmt.Sprint("acct", i), "exchange": "fakepp",
			"api_key": fmt.Sprintf("APIKEYPLAIN%d-abcdefghij", i), "secret_key": fmt.Sprintf("SECRETPLAIN%d-klmnopqrst", i),
			"passphrase": fmt.Sprintf("PASSPLAIN%d-uvw", i)}
		a := e.account(tok, body)
		e.do("PATCH", "/api/v1/exchange-accounts/"+a.ID, tok, map[string]any{"secret_key": fmt.Sprintf("PATCHEDPLAIN%d-xyz0123", i)})
		e.note(fmt.Sprintf("PATCHEDPLAIN%d-xyz0123", i))
		plain = append(plain, body["api_key"].(string)[:16], body["secret_key"].(string), body["passphrase"].(string),
			fmt.Sprintf("PATCHEDPLAIN%d-xyz0123", i))
	}
	plain = append(plain, tok, e.adminToken)
	raw, err := os.ReadFile(store.Path(e.dir))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range plain {
		if strings.Contains(string(raw), p) {
			t.Fatalf("the database file holds a plaintext secret (%d chars)", len(p))
		}
	}
}

func TestChunkedBodyOverTheLimit(t *testing.T) {
	e := newEnv(t)
	tok := e.user("alice", "user")
	req := httptest.NewRequest("POST", "/api/v1/exchange-accounts",
		io.MultiReader(strings.NewReader(`{"name":"`), strings.NewReader(strings.Repeat("x", 80<<10)), strings.NewReader(`"}`)))
	req.ContentLength = -1 // no length given: the limit applies while reading
	req.Header.Set("Authorization", "Bearer "+tok)
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, req)
	if r := (response{w}); r.Code != 413 || r.errorCode() != codeBodyTooLarge {
		t.Fatalf("got %d %s", r.Code, r.Body)
	}
}

// The same API key twice for one user is 409 duplicate_api_key; the
// quota is 409 quota_exceeded.
func TestAccountDuplicatesAndQuota(t *testing.T) {
	e := newEnv(t)
	e.maxAccounts = 3
	e.build()
	tok, other := e.user("alice", "user"), e.user("bob", "user")
	first := e.account(tok, accountBody("one"))
	r := e.do("POST", "/api/v1/exchange-accounts", tok, accountBody("one"))
	if r.Code != 409 || r.errorCode() != "duplicate_api_key" || !strings.Contains(r.Body.String(), first.ID) {
		t.Fatalf("same key again: %d %s", r.Code, r.Body)
	}
	e.account(other, accountBody("one")) // another user's account may hold it
	second := e.account(tok, accountBody("two"))
	r = e.do("PATCH", "/api/v1/exchange-accounts/"+second.ID, tok, map[string]any{"api_key": accountBody("one")["api_key"]})
	if r.Code != 409 || r.errorCode() != "duplicate_api_key" {
		t.Fatalf("patch to a key in use: %d %s", r.Code, r.Body)
	}
	e.account(tok, accountBody("three"))
	calls := e.cat["fakex"].validated.Load()
	r = e.do("POST", "/api/v1/exchange-accounts", tok, accountBody("four"))
	if r.Code != 409 || r.errorCode() != "quota_exceeded" {
		t.Fatalf("over the quota: %d %s", r.Code, r.Body)
	}
	if e.cat["fakex"].validated.Load() != calls {
		t.Fatal("a request over the quota cost an exchange call")
	}
}

// A user with accounts always has exactly one main: unsetting it is 409,
// deactivating or deleting it moves it to the oldest active account.
func TestMainAccountRuleOverTheAPI(t *testing.T) {
	e := newEnv(t)
	tok := e.user("alice", "user")
	a, b, c := e.account(tok, accountBody("a")), e.account(tok, accountBody("b")), e.account(tok, accountBody("c"))
	mains := func() []string {
		var out []string
		for _, x := range e.list(tok) {
			if x.IsMain {
				out = append(out, x.Name)
			}
		}
		return out
	}
	r := e.do("PATCH", "/api/v1/exchange-accounts/"+a.ID, tok, map[string]any{"is_main": false})
	if r.Code != 409 || r.errorCode() != "main_account_required" || fmt.Sprint(mains()) != "[a]" {
		t.Fatalf("unset main: %d %s, mains %v", r.Code, r.Body, mains())
	}
	if r = e.do("PATCH", "/api/v1/exchange-accounts/"+c.ID, tok, map[string]any{"is_main": true}); r.Code != 200 || fmt.Sprint(mains()) != "[c]" {
		t.Fatalf("move main: %d %s, mains %v", r.Code, r.Body, mains())
	}
	if r = e.do("PATCH", "/api/v1/exchange-accounts/"+c.ID, tok, map[string]any{"is_active": false}); r.Code != 200 || fmt.Sprint(mains()) != "[a]" {
		t.Fatalf("deactivate main: %d %s, mains %v", r.Code, r.Body, mains())
	}
	r = e.do("PATCH", "/api/v1/exchange-accounts/"+c.ID, tok, map[string]any{"is_main": true})
	if r.Code != 409 || r.errorCode() != "main_account_inactive" {
		t.Fatalf("inactive main: %d %s", r.Code, r.Body)
	}
	if r = e.do("DELETE", "/api/v1/exchange-accounts/"+a.ID, tok, nil); r.Code != 204 || fmt.Sprint(mains()) != "[b]" {
		t.Fatalf("delete main: %d, mains %v", r.Code, mains())
	}
	_ = b
}

// POST /exchange-accounts/{id}/validate checks stored keys again: a
// refusal parks the account as auth_failed, new good keys checked again
// release it; permissions and warnings come with the answer.
func TestValidateAccountRoute(t *testing.T) {
	e := newEnv(t)
	tok := e.user("alice", "user")
	body := accountBody("v")
	body["api_key"], body["validate"] = "bad-key-0123456789abcdef", false
	a := e.account(tok, body)
	if a.LastCheck != nil || len(a.Warnings) != 0 {
		t.Fatalf("unchecked account: %+v %+v", a.LastCheck, a.Warnings)
	}
	var got accountView
	r := e.do("POST", "/api/v1/exchange-accounts/"+a.ID+"/validate", tok, nil)
	r.decode(t, &got)
	if r.Code != 200 || got.Sync.Status != "auth_failed" || got.LastCheck == nil || got.LastCheck.Outcome != "rejected" ||
		got.LastCheck.Permissions != nil || !got.LastCheck.Current || strings.Contains(r.Body.String(), "bad-key-0123456789abcdef") {
		t.Fatalf("rejected keys: %d %s", r.Code, r.Body)
	}
	e.note("withdraw-key-0123456789abcdef")
	if r = e.do("PATCH", "/api/v1/exchange-accounts/"+a.ID, tok, map[string]any{"api_key": "withdraw-key-0123456789abcdef"}); r.Code != 200 {
		t.Fatalf("patch: %d %s", r.Code, r.Body)
	}
	r.decode(t, &got)
	if got.LastCheck == nil || got.LastCheck.Current {
		t.Fatalf("a verdict about the old keys shows as current: %+v", got.LastCheck)
	}
	r = e.do("POST", "/api/v1/exchange-accounts/"+a.ID+"/validate", tok, nil)
	r.decode(t, &got)
	if r.Code != 200 || got.Sync.Status != "pending" || got.LastCheck.Outcome != "ok" || !got.LastCheck.Current ||
		got.LastCheck.Permissions == nil || !got.LastCheck.Permissions.Withdraw || !got.LastCheck.Permissions.FuturesTrade {
		t.Fatalf("accepted keys: %d %s", r.Code, r.Body)
	}
	if len(got.Warnings) != 1 || got.Warnings[0].Code != "withdraw_enabled" {
		t.Fatalf("warnings %+v", got.Warnings)
	}
	// A plain key of the fake may only read: trading is missing.
	plain := e.account(tok, accountBody("plain"))
	if len(plain.Warnings) != 1 || plain.Warnings[0].Code != "trading_missing" || !plain.LastCheck.Permissions.Read {
		t.Fatalf("read-only key: %+v %+v", plain.LastCheck, plain.Warnings)
	}
	// GET shows the kept check.
	r = e.do("GET", "/api/v1/exchange-accounts/"+a.ID, tok, nil)
	r.decode(t, &got)
	if got.LastCheck == nil || got.LastCheck.Outcome != "ok" {
		t.Fatalf("GET: %s", r.Body)
	}
	other := e.user("bob", "user")
	if r = e.do("POST", "/api/v1/exchange-accounts/"+a.ID+"/validate", other, nil); r.Code != 404 {
		t.Fatalf("another user's account: %d", r.Code)
	}
	limited := accountBody("limited")
	limited["api_key"], limited["validate"] = "limited-0123456789abcdef", false
	l := e.account(tok, limited)
	if r = e.do("POST", "/api/v1/exchange-accounts/"+l.ID+"/validate", tok, nil); r.Code != 429 || r.errorCode() != codeRateLimited {
		t.Fatalf("rate-limited check: %d %s", r.Code, r.Body)
	}
}

// Lists are paged: ?limit= and ?cursor=, the next cursor in X-Next-Cursor,
// absent on the last page.
func TestAccountListPages(t *testing.T) {
	e := newEnv(t)
	tok := e.user("alice", "user")
	var want []string
	for i := range 5 {
		want = append(want, e.account(tok, accountBody(fmt.Sprint("p", i))).ID)
	}
	var got []string
	cursor := ""
	for pages := 0; ; pages++ {
		if pages > 3 {
			t.Fatal("too many pages")
		}
		path := "/api/v1/exchange-accounts?limit=2"
		if cursor != "" {
			path += "&cursor=" + cursor
		}
		r := e.do("GET", path, tok, nil)
		var list []accountView
		r.decode(t, &list)
		if r.Code != 200 || len(list) > 2 {
			t.Fatalf("page: %d %s", r.Code, r.Body)
		}
		for _, a := range list {
			got = append(got, a.ID)
		}
		if cursor = r.Header().Get("X-Next-Cursor"); cursor == "" {
			break
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("pages gave %v, want %v", got, want)
	}
	if r := e.do("GET", "/api/v1/exchange-accounts", tok, nil); r.Header().Get("X-Next-Cursor") != "" {
		t.Fatal("a single page has a next cursor")
	}
	for _, q := range []string{"limit=0", "limit=1001", "limit=x", "cursor=../x"} {
		if r := e.do("GET", "/api/v1/exchange-accounts?"+q, tok, nil); r.Code != 400 || r.errorCode() != codeInvalidField {
			t.Errorf("%s: %d %s", q, r.Code, r.Body)
		}
	}
}
