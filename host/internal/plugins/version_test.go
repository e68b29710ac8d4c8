package plugins

import "testing"

func TestCompareVersions(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"1.2.0", "1.2.0", 0},
		{"1.2.0", "v1.2.0", 0},
		{"1.10.0", "1.9.9", 1},
		{"1.1.0", "1.0.0", 1},
		{"0.9.0", "1.0.0", -1},
		{"2.0.0", "10.0.0", -1},
		{"1.2.0-rc1", "1.2.0", -1},
		{"1.2.0+build7", "1.2.0", 0},
		{"1.2", "1.0.0", -1},     // shorthand does not parse: below any version
		{"garbage", "0.0.1", -1}, // likewise
		{"0.0.1", "garbage", 1},  //
		{"abc", "abd", -1},       // neither parses: plain text order
		{"v1.2.3", "1.2.4-alpha", -1},
	}
	for _, tt := range tests {
		if got := compareVersions(tt.a, tt.b); got != tt.want {
			t.Errorf("compareVersions(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestCanonicalVersion(t *testing.T) {
	for v, ok := range map[string]bool{
		"1.2.3": true, "v1.2.3": true, "1.2.3-rc.1": true, "1.2.3+meta": true,
		"1.2": false, "v1": false, "": false, "1.2.3.4": false, "x1.2.3": false, "1.-2.3": false,
	} {
		if _, got := canonicalVersion(v); got != ok {
			t.Errorf("canonicalVersion(%q) ok = %v, want %v", v, got, ok)
		}
	}
}
