package num

import (
	"errors"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in      string
		want    string
		wantErr bool
	}{
		{in: "0", want: "0"},
		{in: "0.00100000", want: "0.001"},
		{in: "4723846.89208129", want: "4723846.89208129"},
		{in: "-1.000", want: "-1"},
		{in: "+2.5", want: "2.5"},
		{in: ".5", want: "0.5"},
		{in: "5.", want: "5"},
		{in: "123456789012345678901234567890.123456789", want: "123456789012345678901234567890.123456789"},
		{in: "", wantErr: true},
		{in: "-", wantErr: true},
		{in: ".", wantErr: true},
		{in: "1e-05", wantErr: true},
		{in: "1E5", wantErr: true},
		{in: "NaN", wantErr: true},
		{in: "Infinity", wantErr: true},
		{in: " 1", wantErr: true},
		{in: "1 ", wantErr: true},
		{in: "1.2.3", wantErr: true},
		{in: "0x10", wantErr: true},
		{in: "1,5", wantErr: true},
		{in: "--1", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := Parse(tt.in)
			if tt.wantErr {
				if !errors.Is(err, ErrSyntax) {
					t.Fatalf("Parse(%q) = %v, %v; want ErrSyntax", tt.in, got, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.in, err)
			}
			if got.String() != tt.want {
				t.Fatalf("Parse(%q) = %s, want %s", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseOrZero(t *testing.T) {
	d, err := ParseOrZero("")
	if err != nil || !d.IsZero() {
		t.Fatalf(`ParseOrZero("") = %v, %v`, d, err)
	}
	if _, err := ParseOrZero("x"); err == nil {
		t.Fatal(`ParseOrZero("x") accepted garbage`)
	}
}

func TestFieldsKeepsFirstError(t *testing.T) {
	var f Fields
	a := f.Parse("a", "1.5")
	f.Parse("b", "oops")
	f.Parse("c", "also bad")
	if a.String() != "1.5" {
		t.Fatalf("a = %s", a)
	}
	err := f.Err()
	if err == nil || !errors.Is(err, ErrSyntax) {
		t.Fatalf("Err() = %v", err)
	}
	if got := err.Error(); got != `field b: not a decimal number: "oops"` {
		t.Fatalf("Err() = %q", got)
	}
}

func TestFormatHasNoExponent(t *testing.T) {
	d, _ := Parse("0.00001000")
	if got := Format(d); got != "0.00001" {
		t.Fatalf("Format = %q", got)
	}
}
