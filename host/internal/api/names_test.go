package api

import "testing"

// Names with text-direction overrides or invalid UTF-8 (which the JSON
// decoder would store as U+FFFD) are refused on accounts and webhooks.
func TestNamesRefuseHiddenCharacters(t *testing.T) {
	e := newEnv(t)
	acct := e.account(e.adminToken, accountBody("main"))
	r := e.do("POST", "/api/v1/webhooks", e.adminToken, map[string]any{"name": "w", "exchange_account_id": acct.ID, "market": "spot"})
	if r.Code != 201 {
		t.Fatalf("create webhook: %d %s", r.Code, r.Body)
	}
	var wh struct{ ID string }
	r.decode(t, &wh)
	for _, name := range []string{`"invoice\u202Egpj.exe"`, "\"bad\xff\xfeutf8\"", `"lone \ud800 surrogate"`, `"a\u2066b"`} {
		for _, rt := range []struct{ method, path, body string }{
			{"POST", "/api/v1/exchange-accounts", `{"name":` + name + `,"exchange":"fakex","api_key":"AK-live-0123456789abcdef","secret_key":"SK-secret-fedcba9876543210"}`},
			{"PATCH", "/api/v1/exchange-accounts/" + acct.ID, `{"name":` + name + `}`},
			{"POST", "/api/v1/webhooks", `{"name":` + name + `,"exchange_account_id":"` + acct.ID + `","market":"spot"}`},
			{"PATCH", "/api/v1/webhooks/" + wh.ID, `{"name":` + name + `}`},
		} {
			if r := e.do(rt.method, rt.path, e.adminToken, rt.body); r.Code != 400 || r.errorCode() != codeInvalidName {
				t.Errorf("%s %s with name %q: %d %s", rt.method, rt.path, name, r.Code, r.Body)
			}
		}
	}
}
