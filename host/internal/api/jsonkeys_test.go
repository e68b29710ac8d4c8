package api

import (
	"reflect"
	"testing"
)

// Every REST body refuses a key given twice and a key in other capitals
// than its field's, with 400, before anything is stored.
func TestBodiesRefuseDuplicateAndCaseVariantKeys(t *testing.T) {
	e := newEnv(t)
	acct := e.account(e.adminToken, accountBody("main"))
	r := e.do("POST", "/api/v1/webhooks", e.adminToken, map[string]any{"name": "w", "exchange_account_id": acct.ID,
		"market": "spot", "max_notional": "10"})
	if r.Code != 201 {
		t.Fatalf("create webhook: %d %s", r.Code, r.Body)
	}
	var wh struct{ ID string }
	r.decode(t, &wh)
	for _, tc := range []struct {
		method, path, body, code string
	}{
		{"POST", "/api/v1/auth/login", `{"username":"admin","password":"x","password":"y"}`, codeInvalidJSON},
		{"POST", "/api/v1/auth/login", `{"Username":"admin","password":"x"}`, codeUnknownField},
		{"POST", "/api/v1/users", `{"username":"carol","role":"user","ROLE":"admin"}`, codeInvalidJSON},
		{"POST", "/api/v1/users", `{"username":"carol","Role":"admin"}`, codeUnknownField},
		{"POST", "/api/v1/exchange-accounts", `{"name":"a","name":"b","exchange":"fakex","api_key":"k","secret_key":"s"}`, codeInvalidJSON},
		{"PATCH", "/api/v1/exchange-accounts/" + acct.ID, `{"Name":"renamed"}`, codeUnknownField},
		{"PATCH", "/api/v1/exchange-accounts/" + acct.ID, `{"is_main":true,"is_main":false}`, codeInvalidJSON},
		{"POST", "/api/v1/webhooks", `{"name":"w2","exchange_account_id":"` + acct.ID + `","market":"spot","max_notional":"10","max_notional":"99999999"}`, codeInvalidJSON},
		{"PATCH", "/api/v1/webhooks/" + wh.ID, `{"max_notional":"10","max_notional":"99999999"}`, codeInvalidJSON},
		{"PATCH", "/api/v1/webhooks/" + wh.ID, `{"Max_Notional":"99999999"}`, codeUnknownField},
		{"PATCH", "/api/v1/webhooks/" + wh.ID, `{"max_notional":"10","MAX_NOTIONAL":"99999999"}`, codeInvalidJSON},
	} {
		r := e.do(tc.method, tc.path, e.adminToken, tc.body)
		if r.Code != 400 || r.errorCode() != tc.code {
			t.Errorf("%s %s %s: %d %s, want 400 %s", tc.method, tc.path, tc.body, r.Code, r.Body, tc.code)
		}
	}
	r = e.do("GET", "/api/v1/webhooks/"+wh.ID, e.adminToken, nil)
	var got struct {
		MaxNotional string `json:"max_notional"`
	}
	r.decode(t, &got)
	if got.MaxNotional != "10" {
		t.Fatalf("max_notional after refused patches: %q", got.MaxNotional)
	}
}

func TestCheckKeysNested(t *testing.T) {
	type inner struct {
		Value string `json:"value"`
	}
	type embedded struct {
		Shared string `json:"shared"`
	}
	type body struct {
		embedded
		Items []inner            `json:"items"`
		Tags  map[string]string  `json:"tags"`
		Sub   *inner             `json:"sub"`
		Any   map[string]any     `json:"any"`
		Raw   map[string][]inner `json:"raw"`
	}
	typ := reflect.TypeOf(&body{})
	for _, tc := range []struct {
		body string
		code string // "" for none
	}{
		{`{"shared":"a","items":[{"value":"x"}],"tags":{"A":"1","b":"2"},"sub":{"value":"y"}}`, ""},
		{`{"Shared":"a"}`, codeUnknownField},
		{`{"items":[{"value":"x"},{"value":"x","Value":"y"}]}`, codeInvalidJSON},
		{`{"items":[{"VALUE":"x"}]}`, codeUnknownField},
		{`{"tags":{"a":"1","a":"2"}}`, codeInvalidJSON},
		{`{"tags":{"a":"1","A":"2"}}`, codeInvalidJSON},
		{`{"sub":{"Value":"y"}}`, codeUnknownField},
		{`{"any":{"x":{"y":1,"y":2}}}`, codeInvalidJSON},
		{`{"raw":{"k":[{"vAlue":"z"}]}}`, codeUnknownField},
		{`{"unknown":1,"unknown":2}`, codeInvalidJSON},
		{`{"broken":`, ""},
	} {
		p := checkKeys([]byte(tc.body), typ)
		switch {
		case tc.code == "" && p != nil:
			t.Errorf("%s: %+v", tc.body, p)
		case tc.code != "" && (p == nil || p.code != tc.code):
			t.Errorf("%s: %+v, want %s", tc.body, p, tc.code)
		}
	}
}
