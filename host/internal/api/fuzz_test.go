package api

import (
	"encoding/json"
	"regexp"
	"testing"
)

var snakeCase = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// checkFuzzAnswer: never a 5xx, an error is the error format with a stable
// code, a success carries an account.
func checkFuzzAnswer(t *testing.T, r response, okStatus int) {
	t.Helper()
	switch {
	case r.Code == okStatus:
		var a accountView
		if err := json.Unmarshal(r.Body.Bytes(), &a); err != nil || a.ID == "" {
			t.Fatalf("%d with body %s", r.Code, r.Body)
		}
	case r.Code >= 400 && r.Code < 500:
		var b errorBody
		if err := json.Unmarshal(r.Body.Bytes(), &b); err != nil || !snakeCase.MatchString(b.Error.Code) || b.Error.Message == "" {
			t.Fatalf("%d with body %s", r.Code, r.Body)
		}
	default:
		t.Fatalf("status %d: %s", r.Code, r.Body)
	}
}

func fuzzEnv(f *testing.F) (*env, string) {
	e := newEnv(f)
	for _, x := range e.cat {
		x.authOnly = true
	}
	return e, e.user("fuzzer", "user")
}

func FuzzCreateAccountBody(f *testing.F) {
	e, tok := fuzzEnv(f)
	f.Add([]byte(`{"name":"a","exchange":"fakex","api_key":"k1234567","secret_key":"s1234567"}`))
	f.Add([]byte(`{"name":"a","exchange":"fakepp","api_key":"k","secret_key":"s","passphrase":"p","validate":true}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		checkFuzzAnswer(t, e.do("POST", "/api/v1/exchange-accounts", tok, body), 201)
	})
}

func FuzzPatchAccountBody(f *testing.F) {
	e, tok := fuzzEnv(f)
	body := accountBody("target")
	body["exchange"], body["passphrase"] = "fakepp", "PASS-target"
	a := e.account(tok, body)
	path := "/api/v1/exchange-accounts/" + a.ID
	f.Add([]byte(`{"name":"renamed"}`))
	f.Add([]byte(`{"api_key":"new-key-0123","secret_key":"new-secret-0123"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		checkFuzzAnswer(t, e.do("PATCH", path, tok, body), 200)
	})
}
