package stream

import (
	"testing"
	"time"
)

func TestPerHostKeepsEachHostsLimits(t *testing.T) {
	p := &PerHost{MaxConns: 1, ConnectLimit: 2, ConnectWindow: time.Minute}
	live, demo := p.For("wss://live"), p.For("wss://demo")
	if p.For("wss://live") != live {
		t.Fatal("a host's limits were made again")
	}
	if live == demo || live.Conns == demo.Conns || live.Connect == demo.Connect {
		t.Fatal("two hosts share limits")
	}
	if live.Conns.N != 1 || live.Connect.N != 2 || live.Connect.Per != time.Minute {
		t.Fatalf("limits = cap %d, %d per %v", live.Conns.N, live.Connect.N, live.Connect.Per)
	}
	release, err := live.Conns.Take()
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	if _, err := p.For("wss://live").Conns.Take(); err != ErrCapReached {
		t.Fatalf("second connection to a full host: %v", err)
	}
	r2, err := demo.Conns.Take()
	if err != nil {
		t.Fatalf("the other host was full too: %v", err)
	}
	r2()
}

func TestMoveAfterFallsInTheFirstHalfOfTheLast48th(t *testing.T) {
	const life = 48 * time.Hour
	for range 1000 {
		if d := MoveAfter(life); d < 47*time.Hour || d > 47*time.Hour+30*time.Minute {
			t.Fatalf("MoveAfter(48h) = %v", d)
		}
	}
	if d := MoveAfter(0); d != 0 {
		t.Fatalf("MoveAfter(0) = %v", d)
	}
}
