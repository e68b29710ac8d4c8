package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"unicode"

	"github.com/globalautomation/gahost/sdk/redact"
)

// keyProblem is a key encoding/json would take silently but that makes a
// body mean something else than it seems to: a key given twice (the last
// one wins) or one in other capitals than the field's ("Name" fills name).
type keyProblem struct {
	code    string
	message string
}

// checkKeys walks body, a JSON object to be decoded into a value of type t,
// and reports the first duplicate or case-variant key at any depth. Keys
// of maps are free in their capitals but not repeatable. Malformed JSON is
// not its business: it returns nil and leaves that to the decoder.
func checkKeys(body []byte, t reflect.Type) *keyProblem {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	p, _ := walkKeys(dec, t, 0)
	return p
}

// maxKeyDepth stops the walk on absurdly nested bodies; the decoder
// refuses those anyway (they match no request type).
const maxKeyDepth = 64

// walkKeys reads one value from dec. ok is false when the JSON is broken.
func walkKeys(dec *json.Decoder, t reflect.Type, depth int) (p *keyProblem, ok bool) {
	if depth > maxKeyDepth {
		return nil, false
	}
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, false
	}
	delim, isDelim := tok.(json.Delim)
	if !isDelim {
		return nil, true
	}
	switch delim {
	case '[':
		var elem reflect.Type
		if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
			elem = t.Elem()
		}
		for dec.More() {
			if p, ok := walkKeys(dec, elem, depth+1); p != nil || !ok {
				return p, ok
			}
		}
	case '{':
		var fields map[string]reflect.Type
		var mapElem reflect.Type
		switch {
		case t != nil && t.Kind() == reflect.Struct:
			fields = jsonFields(t)
		case t != nil && t.Kind() == reflect.Map:
			mapElem = t.Elem()
		}
		seen := map[string]string{} // folded key -> key as first written
		for dec.More() {
			tok, err := dec.Token()
			if err != nil {
				return nil, false
			}
			key, _ := tok.(string)
			folded := foldKey(key)
			if first, dup := seen[folded]; dup {
				if first == key {
					return &keyProblem{codeInvalidJSON, fmt.Sprintf("field %q is given twice", redact.Clip(key, 64))}, true
				}
				return &keyProblem{codeInvalidJSON, fmt.Sprintf("fields %q and %q differ only in capitals",
					redact.Clip(first, 64), redact.Clip(key, 64))}, true
			}
			seen[folded] = key
			next := mapElem
			if fields != nil {
				ft, exact := fields[key]
				if !exact {
					for name := range fields {
						if foldKey(name) == folded {
							return &keyProblem{codeUnknownField, fmt.Sprintf("unknown field %q (field names are case-sensitive: write %q)",
								redact.Clip(key, 64), name)}, true
						}
					}
				}
				next = ft
			}
			if p, ok := walkKeys(dec, next, depth+1); p != nil || !ok {
				return p, ok
			}
		}
	}
	if _, err := dec.Token(); err != nil { // the closing delimiter
		return nil, false
	}
	return nil, true
}

// jsonFields maps the JSON names of t's fields, embedded structs' included,
// to their types, as encoding/json names them.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				for k, v := range jsonFields(ft) {
					if _, shadowed := out[k]; !shadowed {
						out[k] = v
					}
				}
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out[name] = f.Type
	}
	return out
}

// foldKey folds a key the way encoding/json matches names to fields: two
// keys with the same fold fill the same field.
func foldKey(s string) string {
	return strings.Map(func(r rune) rune { return unicode.ToLower(unicode.ToUpper(r)) }, s)
}
