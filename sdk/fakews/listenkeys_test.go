package fakews

import (
	"testing"
	"time"
)

func TestListenKeys(t *testing.T) {
	t0 := time.Unix(1_700_000_000, 0)
	l := ListenKeys{TTL: time.Minute}
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
	if !l.Extend(c, t0.Add(50*time.Second)) {
		t.Fatal("a live key was not extended")
	}
	// At t0+60s a is due (made at t0); b (t0+30s) and c (extended at
	// t0+50s) are not.
	due := l.Due(t0.Add(time.Minute))
	if len(due) != 1 || due[0] != (ListenKey{a, "k1"}) || l.Live(a) || l.Extend(a, t0.Add(time.Minute)) {
		t.Fatalf("due %v; a live %v", due, l.Live(a))
	}
	if owner, live := l.Owner(a); owner != "k1" || live {
		t.Fatalf("an expired key: owner %q live %v", owner, live)
	}
	if len(l.Due(t0.Add(time.Minute))) != 0 {
		t.Fatal("an ended key came due again")
	}
	l.ExpireNow("k1")
	if due := l.Due(t0.Add(time.Minute)); len(due) != 1 || due[0].Name != b {
		t.Fatalf("ExpireNow(k1) then Due: %v, want b alone", due)
	}
	l.Close(c)
	if l.Live(c) || len(l.Due(t0.Add(time.Hour))) != 0 {
		t.Fatal("a closed key is live or comes due")
	}
}
