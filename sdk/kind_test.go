package sdk

import (
	"slices"
	"testing"

	"github.com/globalautomation/gahost/sdk/internal/wire"
)

// Every Kind has a name, its name is in the wire table exactly once, the
// name reads back as the same Kind, and the kind has a gRPC code and a
// sentinel. The crossing over a real connection is in boundary_test.go.
func TestEveryKindHasAWireForm(t *testing.T) {
	names := wire.KindNames()
	for k := KindUnknown; int(k) < len(kindNames); k++ {
		name := k.String()
		if n := count(names, name); n != 1 {
			t.Errorf("kind %v is in the wire table %d times", k, n)
		}
		var back Kind
		if err := back.UnmarshalText([]byte(name)); err != nil || back != k {
			t.Errorf("kind %v reads back as %v (%v)", k, back, err)
		}
		if _, ok := kindCodes[k]; !ok {
			t.Errorf("kind %v has no gRPC code", k)
		}
		if _, ok := sentinels[k]; !ok && k != KindUnknown {
			t.Errorf("kind %v has no sentinel", k)
		}
	}
	if len(names) != len(kindNames) {
		t.Errorf("the wire table has %d kinds, the sdk %d", len(names), len(kindNames))
	}
	var k Kind = KindRateLimited
	if err := k.UnmarshalText([]byte("no_such_kind")); err == nil || k != KindRateLimited {
		t.Errorf("an unknown name gave %v, %v", k, err)
	}
	if b, _ := KindOrderNotFound.MarshalText(); string(b) != "order_not_found" {
		t.Errorf("MarshalText = %q", b)
	}
}

func count(s []string, v string) int {
	n := 0
	for i := slices.Index(s, v); i >= 0; i = slices.Index(s, v) {
		n++
		s = s[i+1:]
	}
	return n
}
