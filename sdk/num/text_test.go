package num

import (
	"encoding/json"
	"testing"
)

func TestText(t *testing.T) {
	for in, want := range map[string]Text{
		`{"v":"12.50"}`: "12.50", `{"v":12.50}`: "12.50", `{"v":0}`: "0", `{"v":"00000"}`: "00000",
		`{"v":null}`: "", `{"v":""}`: "", `{"v":1718000000123}`: "1718000000123", `{}`: "",
	} {
		var v struct{ V Text }
		if err := json.Unmarshal([]byte(in), &v); err != nil || v.V != want {
			t.Errorf("%s: %q, %v; want %q", in, v.V, err, want)
		}
	}
	for _, in := range []string{`{"v":true}`, `{"v":[1]}`, `{"v":{"a":1}}`} {
		var v struct{ V Text }
		if err := json.Unmarshal([]byte(in), &v); err == nil {
			t.Errorf("%s: accepted as %q", in, v.V)
		}
	}
}
