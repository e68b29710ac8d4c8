package bingx

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/num"
	"github.com/globalautomation/gahost/sdk/redact"
	"github.com/globalautomation/gahost/sdk/rest"
	"github.com/shopspring/decimal"
)

// envelope is BingX's answer around every result:
// {"code":0,"msg":"",...,"data":...}. Failures (code != 0) never get
// here: the Decode hook turns them into typed errors first.
type envelope[T any] struct {
	Data T `json:"data"`
}

// call sends req and returns the data of a successful answer.
func call[T any](ctx context.Context, c *Connector, acct sdk.Account, req rest.Request) (T, error) {
	var e envelope[T]
	err := c.http.Do(ctx, acct, req, &e)
	return e.Data, err
}

// number is an amount, price, precision or id that BingX sends as a JSON
// string on one endpoint and as a JSON number on another (
// liquidationPrice, the contract precisions, order ids). It keeps the
// text as sent, so no value passes through float64.
type number struct {
	text   string
	quoted bool
	set    bool
}

func (n *number) UnmarshalJSON(b []byte) error {
	switch {
	case string(b) == "null":
		*n = number{}
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*n = number{text: s, quoted: true, set: true}
	case len(b) > 0 && (b[0] == '-' || b[0] >= '0' && b[0] <= '9'):
		// json.Unmarshal has checked the whole answer, so this is a valid
		// JSON number token.
		*n = number{text: string(b), set: true}
	default:
		return errors.New("neither a number nor a string")
	}
	return nil
}

// decimal reads the value. A string must be a plain decimal (num.Parse);
// a bare JSON number may use an exponent ("1e-05"), which is still
// exact text and no float.
func (n number) decimal() (decimal.Decimal, error) {
	if !n.set || n.quoted {
		return num.Parse(n.text)
	}
	return decimal.NewFromString(n.text)
}

// id reads an order id: up to 19 digits, above 2^53.
func (n number) id() (string, error) {
	if len(n.text) == 0 || len(n.text) > 20 {
		return "", fmt.Errorf("%w: %q is not an order id", num.ErrSyntax, redact.Clip(n.text, rest.MaxText))
	}
	for _, c := range n.text {
		if c < '0' || c > '9' {
			return "", fmt.Errorf("%w: %q is not an order id", num.ErrSyntax, redact.Clip(n.text, rest.MaxText))
		}
	}
	return n.text, nil
}

// fields parses several fields of one answer and keeps the first failure,
// as num.Fields does for plain strings.
type fields struct{ err error }

func (f *fields) dec(name string, n number) decimal.Decimal {
	d, err := n.decimal()
	f.keep(name, err)
	return d
}

// decOrZero is dec, except that a missing or empty field is zero: for
// fields the docs list but their examples leave out.
func (f *fields) decOrZero(name string, n number) decimal.Decimal {
	if !n.set || n.quoted && n.text == "" {
		return decimal.Zero
	}
	return f.dec(name, n)
}

func (f *fields) keep(name string, err error) {
	if err != nil && f.err == nil {
		f.err = fmt.Errorf("field %s: %w", name, err)
	}
}
