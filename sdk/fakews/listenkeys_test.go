package fakews

import (
	"slices"
	"sync"
	"testing"
	"time"
)

func TestListenKeys(t *testing.T) {
	var mu sync.Mutex
	t0 := time.Unix(1_700_000_000, 0)
	l := NewListenKeys[string](&mu)
	l.TTL = time.Minute
	a := l.Make("k1", t0)
	b := l.Make("k1", t0.Add(30*time.Second))
	c := l.Make("k2", t0)
	if len(a) != 64 || a == b || !l.Live(a) || l.Live("nope") {
		t.Fatalf("made %q %q: want two distinct live 64-digit keys", a, b)
	}
	if owner, live := l.Owner(c); owner != "k2" || !live {
		t.Fatalf("owner of c: %q %v", owner, live)
	}
	if owner, live := l.Owner("nope"); owner != "" || live {
		t.Fatalf("owner of an unknown key: %q %v", owner, live)
	}
	if !l.Join(a, "conn1") || l.Join(a, "conn1") || !l.Join(a, "conn2") || !l.Join(b, "conn1") || l.Join("nope", "conn1") {
		t.Fatal("Join must put a connection on a made key once, and on an unknown one never")
	}
	if got := l.Conns(a); !slices.Equal(got, []string{"conn1", "conn2"}) {
		t.Fatalf("conns on a %q", got)
	}
	if !l.Leave(a, "conn2") || l.Leave(a, "conn2") {
		t.Fatal("Leave must say whether the connection was on the key")
	}
	if !l.Extend(c, t0.Add(50*time.Second)) {
		t.Fatal("a live key was not extended")
	}
	var told []string
	tell := func(conn string, k ListenKey) { told = append(told, conn+" "+k.Name+" "+k.APIKey) }

	// At t0+60s a is due (made at t0); b (t0+30s) and c (extended at
	// t0+50s) are not.
	l.Expire(t0.Add(time.Minute), "", tell)
	if !slices.Equal(told, []string{"conn1 " + a + " k1"}) || l.Live(a) || l.Extend(a, t0) || l.Conns(a) != nil {
		t.Fatalf("told %q; a live %v", told, l.Live(a))
	}
	if owner, live := l.Owner(a); owner != "k1" || live {
		t.Fatalf("an expired key: owner %q live %v", owner, live)
	}
	told = nil
	l.Expire(t0.Add(time.Minute), "", tell)
	if told != nil {
		t.Fatalf("an ended key was told again: %q", told)
	}
	l.Expire(t0, "k1", tell)
	if !slices.Equal(told, []string{"conn1 " + b + " k1"}) || l.Live(b) || !l.Live(c) {
		t.Fatalf("Expire for k1: told %q, b live %v, c live %v", told, l.Live(b), l.Live(c))
	}
	l.Join(c, "conn3")
	l.Close(c)
	told = nil
	l.Expire(t0.Add(time.Hour), "k2", tell)
	if l.Live(c) || told != nil {
		t.Fatalf("a closed key is live or told: %q", told)
	}
	l.Drop("conn1")
	if l.Leave(b, "conn1") {
		t.Fatal("Drop left the connection on a key")
	}
}
