package api

import (
	"fmt"
	"testing"
)

// BenchmarkCreateAccount measures POST /api/v1/exchange-accounts through the
// router: decode, seal three fields, one fsynced bbolt commit.
func BenchmarkCreateAccount(b *testing.B) {
	e := newEnv(b)
	tok := e.user("bench", "user")
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		i++
		body := fmt.Sprintf(`{"name":"n%d","exchange":"fakex","api_key":"AK-%d-0123456789","secret_key":"SK-%d-0123456789"}`, i, i, i)
		if r := e.do("POST", "/api/v1/exchange-accounts", tok, body); r.Code != 201 {
			b.Fatalf("%d %s", r.Code, r.Body)
		}
	}
}

// BenchmarkGetAccount measures GET /api/v1/exchange-accounts/{id}: token
// lookup, one read transaction, opening the credentials for their status.
func BenchmarkGetAccount(b *testing.B) {
	e := newEnv(b)
	tok := e.user("bench", "user")
	a := e.account(tok, accountBody("a"))
	path := "/api/v1/exchange-accounts/" + a.ID
	b.ReportAllocs()
	for b.Loop() {
		if r := e.do("GET", path, tok, nil); r.Code != 200 {
			b.Fatalf("%d", r.Code)
		}
	}
}

// BenchmarkListAccounts50 measures the list of a user with 50 accounts.
func BenchmarkListAccounts50(b *testing.B) {
	e := newEnv(b)
	tok := e.user("bench", "user")
	for i := range 50 {
		e.account(tok, accountBody(fmt.Sprint("a", i)))
	}
	b.ReportAllocs()
	for b.Loop() {
		if r := e.do("GET", "/api/v1/exchange-accounts", tok, nil); r.Code != 200 {
			b.Fatalf("%d", r.Code)
		}
	}
}
