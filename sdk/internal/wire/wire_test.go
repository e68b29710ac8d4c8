package wire

import (
	"testing"

	pb "github.com/globalautomation/gahost/proto/exchange/v1"
)

// Every proto value has exactly one name and every name one proto value,
// and what a newer peer sends that this side does not know reads as
// unknown.
func TestKindTableIsOneToOne(t *testing.T) {
	names := map[string]bool{}
	wires := map[pb.ErrorKind]bool{}
	for _, k := range kinds {
		if names[k.name] || wires[k.wire] {
			t.Fatalf("duplicate entry %q / %v", k.name, k.wire)
		}
		names[k.name], wires[k.wire] = true, true
		if KindFromWire(KindToWire(k.name)) != k.name {
			t.Errorf("%q does not round-trip", k.name)
		}
	}
	for v := range pb.ErrorKind_name {
		if !wires[pb.ErrorKind(v)] {
			t.Errorf("proto value %v has no kind", pb.ErrorKind(v))
		}
	}
	if got := KindFromWire(pb.ErrorKind(999)); got != "unknown" {
		t.Errorf("a value from a newer peer = %q, want unknown", got)
	}
	if got := KindToWire("from_a_newer_sdk"); got != pb.ErrorKind_ERROR_KIND_UNSPECIFIED {
		t.Errorf("an unknown name travels as %v, want unspecified", got)
	}
}

func TestDecs(t *testing.T) {
	var d Decs
	if v := d.Parse("a", ""); !v.IsZero() || d.Err != nil {
		t.Fatalf("empty = %v, %v", v, d.Err)
	}
	if v := d.Parse("b", "123456789.000000001"); v.String() != "123456789.000000001" {
		t.Fatalf("b = %v", v)
	}
	d.Parse("c", "1e")
	if d.Err == nil || d.Err.Error() != `field c: "1e" is not a decimal` {
		t.Fatalf("err = %v", d.Err)
	}
	if v := d.Parse("d", "5"); !v.IsZero() {
		t.Fatalf("after a failure: %v", v)
	}
}
