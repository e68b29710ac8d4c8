package sdk

import (
	"context"
	"errors"
	"testing"

	pb "github.com/globalautomation/gahost/proto/exchange/v1"
)

// Every Kind has exactly one proto value and back, every proto value has
// exactly one Kind, and each kind crosses a real gRPC connection intact.
func TestEveryKindCrossesTheWire(t *testing.T) {
	kinds := map[Kind]bool{}
	wires := map[pb.ErrorKind]bool{}
	for _, e := range kindWire {
		if kinds[e.kind] || wires[e.wire] {
			t.Fatalf("duplicate entry %v / %v", e.kind, e.wire)
		}
		kinds[e.kind], wires[e.wire] = true, true
	}
	for k := KindUnknown; int(k) < len(kindNames); k++ {
		if !kinds[k] {
			t.Errorf("kind %v has no proto value", k)
		}
		if kindFromWire(kindToWire(k)) != k {
			t.Errorf("kind %v does not round-trip", k)
		}
		if _, ok := kindCodes[k]; !ok {
			t.Errorf("kind %v has no gRPC code", k)
		}
	}
	for v := range pb.ErrorKind_name {
		if !wires[pb.ErrorKind(v)] {
			t.Errorf("proto value %v has no Kind", pb.ErrorKind(v))
		}
	}
	if got := kindFromWire(pb.ErrorKind(999)); got != KindUnknown {
		t.Errorf("a value from a newer peer = %v, want unknown", got)
	}

	impl := &echo{}
	x := pair(t, impl)
	for k := KindUnknown + 1; int(k) < len(kindNames); k++ {
		impl.err = Errorf(k, "failed as %v", k)
		_, err := x.SpotBalances(context.Background(), Account{})
		if KindOf(err) != k {
			t.Errorf("sent %v, got %v (%v)", k, KindOf(err), err)
		}
		if !errors.Is(err, sentinels[k]) {
			t.Errorf("%v does not match its sentinel", k)
		}
	}
}
