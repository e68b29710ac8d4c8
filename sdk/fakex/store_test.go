package fakex

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

type testKey struct{ APIKey, Secret, UID string }

func testKeyID(k testKey) string { return k.APIKey }

type testAccount struct {
	Note   string
	Orders []string
}

func TestStore(t *testing.T) {
	var mu sync.Mutex
	st := NewStore[testKey](&mu, testKeyID, func(a *testAccount) testAccount {
		c := *a
		c.Orders = slices.Clone(a.Orders)
		return c
	})
	if _, ok := st.Key("k1"); ok {
		t.Fatal("an empty store knows k1")
	}
	if a := st.Account("k1"); a.Note != "" || a.Orders != nil {
		t.Fatalf("unknown account = %+v, want zero", a)
	}
	st.AddKey(testKey{APIKey: "k1", Secret: "s1"})
	st.Update("k1", func(a *testAccount) { a.Note, a.Orders = "first", []string{"o1"} })
	// Registering the key again keeps its account; Complete numbers keys.
	st.Complete = func(k testKey, n int) testKey { k.UID = strings.Repeat("x", n); return k }
	st.AddKey(testKey{APIKey: "k1", Secret: "s1b"})
	st.AddKey(testKey{APIKey: "k2"})

	if k, ok := st.Key("k1"); !ok || k.Secret != "s1b" || k.UID != "x" {
		t.Fatalf("k1 = %+v, %v", k, ok)
	}
	if k, _ := st.Key("k2"); k.UID != "x" {
		t.Fatalf("k2 numbered %q, want one key known before it", k.UID)
	}
	got := st.Account("k1")
	if got.Note != "first" || !slices.Equal(got.Orders, []string{"o1"}) {
		t.Fatalf("account = %+v", got)
	}
	got.Orders[0] = "changed"
	mu.Lock()
	live := st.AccountLocked("k1")
	missing := st.AccountLocked("nobody")
	mu.Unlock()
	if live.Orders[0] != "o1" || missing != nil {
		t.Fatalf("the copy shares the live account (%v) or an unknown key has one (%v)", live.Orders, missing)
	}
	// Update creates an account for a key not registered yet.
	st.Update("k3", func(a *testAccount) { a.Note = "pre" })
	if st.Account("k3").Note != "pre" {
		t.Fatal("Update lost an account for a new key")
	}
	// Change changes a known account in place and leaves an unknown key
	// without one.
	if !st.Change("k1", func(a *testAccount) { a.Note = "changed" }) || st.Account("k1").Note != "changed" {
		t.Fatalf("Change on k1: account %+v", st.Account("k1"))
	}
	ran := false
	if st.Change("k4", func(*testAccount) { ran = true }) || ran {
		t.Fatal("Change ran on a key with no account")
	}
	mu.Lock()
	none := st.AccountLocked("k4")
	mu.Unlock()
	if none != nil {
		t.Fatal("Change made an account for an unknown key")
	}
}

func TestRemoteIP(t *testing.T) {
	for in, want := range map[string]string{"127.0.0.1:4000": "127.0.0.1", "[::1]:80": "::1", "odd": "odd"} {
		if got := RemoteIP(&http.Request{RemoteAddr: in}); got != want {
			t.Errorf("RemoteIP(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSeedReplacesTheAccount(t *testing.T) {
	var mu sync.Mutex
	st := NewStore[testKey](&mu, testKeyID, func(a *testAccount) testAccount { return *a })
	st.AddKey(testKey{APIKey: "k1", Secret: "old"})
	st.Update("k1", func(a *testAccount) { a.Note = "old" })
	st.Seed(testKey{APIKey: "k1", Secret: "new"}, testAccount{Orders: []string{"o1"}})
	if k, _ := st.Key("k1"); k.Secret != "new" {
		t.Errorf("key after Seed = %+v", k)
	}
	if a := st.Account("k1"); a.Note != "" || len(a.Orders) != 1 {
		t.Errorf("account after Seed = %+v, want only the seeded one", a)
	}
}

func TestSymbols(t *testing.T) {
	var mu sync.Mutex
	syms := Symbols[string]{"BTCUSDT": "60000"}
	syms.List(&mu, "ETHUSDT", "3000")
	syms.List(&mu, "BTCUSDT", "61000")
	if !mu.TryLock() {
		t.Fatal("List kept the lock")
	}
	mu.Unlock()
	if syms["BTCUSDT"] != "61000" || syms["ETHUSDT"] != "3000" || len(syms) != 2 {
		t.Errorf("listing %v", syms)
	}
}

func TestMissing(t *testing.T) {
	q := url.Values{"symbol": {"BTCUSDT"}, "side": {""}}
	if name, ok := Missing(q.Get, "symbol", "side", "type"); !ok || name != "side" {
		t.Errorf("Missing = %q, %v; want the first empty one, side", name, ok)
	}
	if name, ok := Missing(q.Get, "symbol"); ok || name != "" {
		t.Errorf("Missing = %q, %v with every name there", name, ok)
	}
}

func TestList(t *testing.T) {
	if got := List(""); got != nil {
		t.Errorf("List(\"\") = %q, want nil", got)
	}
	if got := List("BTC,ETH"); !slices.Equal(got, []string{"BTC", "ETH"}) {
		t.Errorf("List = %q", got)
	}
}

func TestAmount(t *testing.T) {
	for in, want := range map[string]string{"1.50": "1.5", "-2": "-2", "": "0", "abc": "0", "1e-05": "0.00001"} {
		if got := Amount(in); got.String() != want {
			t.Errorf("Amount(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestMarketHelpers(t *testing.T) {
	listed := map[string]string{"ETHUSDT": "3000", "BTCUSDT": "60000"}
	row := func(sym, p string) string { return sym + "@" + p }
	if got := Rows(listed, "", row); !slices.Equal(got, []string{"BTCUSDT@60000", "ETHUSDT@3000"}) {
		t.Errorf("all rows: %q", got)
	}
	if got := Rows(listed, "ETHUSDT", row); !slices.Equal(got, []string{"ETHUSDT@3000"}) {
		t.Errorf("one row: %q", got)
	}
	if got := Rows(listed, "NOPE", row); got == nil || len(got) != 0 {
		t.Errorf("no row: %#v, want an empty list", got)
	}

	var mu sync.Mutex
	var marks Marks
	if got := marks.Of("BTCUSDT", "60000"); got != "60000" {
		t.Errorf("unset mark = %s, want the last price", got)
	}
	marks.Set(&mu, "BTCUSDT", "60012.34")
	if got := marks.Of("BTCUSDT", "60000"); got != "60012.34" {
		t.Errorf("set mark = %s", got)
	}

	rules := Rules[string]{Listed: map[string]string{"BTCUSDT": "0.01"}, Default: "0.0001"}
	if rules.Of("BTCUSDT") != "0.01" || rules.Of("NEWUSDT") != "0.0001" {
		t.Errorf("rules: %s, %s", rules.Of("BTCUSDT"), rules.Of("NEWUSDT"))
	}

	now := time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC)
	if got, want := NextFunding(now), time.Date(2026, 3, 1, 16, 0, 0, 0, time.UTC).UnixMilli(); got != want {
		t.Errorf("next funding after %s = %d, want %d", now, got, want)
	}
}
