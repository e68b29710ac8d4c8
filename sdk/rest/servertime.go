package rest

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"
)

// MillisClock is a TimeSource for an exchange whose server-time answer
// holds its clock in Unix milliseconds, as a JSON number or as text: paths
// maps endpoint keys to the endpoint's path, as in TimeSource, and fields
// are where the answer keeps the time, as dotted keys ("data.serverTime"),
// tried in order until one holds a positive time. An array on the way is
// entered at its first element, so "data.ts" reads {"data":[{"ts":"…"}]}.
func MillisClock(paths map[string]string, fields ...string) *TimeSource {
	return &TimeSource{Paths: paths, Parse: func(body []byte) (time.Time, error) {
		d := json.NewDecoder(bytes.NewReader(body))
		d.UseNumber()
		var v any
		if err := d.Decode(&v); err != nil {
			return time.Time{}, err
		}
		for _, f := range fields {
			if ms, ok := millisAt(v, strings.Split(f, ".")); ok {
				return time.UnixMilli(ms), nil
			}
		}
		return time.Time{}, errors.New("no server time in the answer")
	}}
}

// millisAt follows keys into v and reads a positive whole number of
// milliseconds there.
func millisAt(v any, keys []string) (int64, bool) {
	for _, k := range keys {
		if a, ok := v.([]any); ok {
			if len(a) == 0 {
				return 0, false
			}
			v = a[0]
		}
		m, ok := v.(map[string]any)
		if !ok {
			return 0, false
		}
		v = m[k]
	}
	var text string
	switch t := v.(type) {
	case json.Number:
		text = t.String()
	case string:
		text = t
	default:
		return 0, false
	}
	ms, err := strconv.ParseInt(text, 10, 64)
	return ms, err == nil && ms > 0
}
