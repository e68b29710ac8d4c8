package num

import (
	"bytes"
	"encoding/json"
	"errors"
)

// Text is a JSON field an exchange sends as a string on one endpoint and
// as a bare number on another ("12.5" or 12.5, "0" or 0), kept as its
// exact text either way, so that no amount or code passes through a
// float. null is the empty text; Parse and ParseOrZero read the rest.
type Text string

// UnmarshalJSON keeps a string's content or a number's digits.
func (t *Text) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		*t = ""
		return nil
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*t = Text(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return errors.New("not a number or a string")
	}
	*t = Text(n)
	return nil
}
