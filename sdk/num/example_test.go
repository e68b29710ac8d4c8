package num_test

import (
	"errors"
	"fmt"

	"github.com/globalautomation/gahost/sdk/num"
)

// Exchanges send amounts as decimal strings; num keeps every digit, which
// a float64 would not.
func ExampleParse() {
	d, err := num.Parse("12345678901.12345678")
	fmt.Println(d, err)

	_, err = num.Parse("1e5")
	fmt.Println(errors.Is(err, num.ErrSyntax))
	// Output:
	// 12345678901.12345678 <nil>
	// true
}

// Format writes an amount the way exchanges take it: plain notation, no
// exponent and no trailing zeros.
func ExampleFormat() {
	d, _ := num.Parse("0.00012300")
	fmt.Println(num.Format(d))
	// Output: 0.000123
}

// Fields parses the amounts of one answer and reports the first bad one
// by name, so a connector checks once instead of after every field.
func ExampleFields() {
	var f num.Fields
	free := f.Parse("free", "1.5")
	locked := f.ParseOrZero("locked", "")
	fmt.Println(free.Add(locked), f.Err())

	f.Parse("wallet", "n/a")
	fmt.Println(f.Err())
	// Output:
	// 1.5 <nil>
	// field wallet: not a decimal number: "n/a"
}
