package rest

import "strings"

// Param is one key=value pair of a query string or form body.
type Param struct {
	Key, Value string
}

// Params is an ordered parameter list. Unlike url.Values it keeps the
// order the connector built, because every exchange that signs a query
// signs the bytes as sent, and url.Values.Encode sorts keys and writes a
// space as "+", which some exchanges reject (Binance since 2026-01).
//
// Add returns the extended list, so a list reads as one expression:
//
//	q := rest.Params{}.Add("symbol", "BTCUSDT").Add("side", "BUY")
type Params []Param

// Add appends key=value.
func (p Params) Add(key, value string) Params {
	return append(p, Param{Key: key, Value: value})
}

// Get returns the first value of key.
func (p Params) Get(key string) (string, bool) {
	for _, kv := range p {
		if kv.Key == key {
			return kv.Value, true
		}
	}
	return "", false
}

// Encode joins the pairs in order as k=v with '&', percent-encoding keys
// and values as JavaScript's encodeURIComponent does, which is what the
// exchanges' own SDKs send.
func (p Params) Encode() string {
	return p.join(Escape)
}

// Raw joins the pairs in order without any encoding. BingX and Bitget sign
// the raw form while sending the encoded one.
func (p Params) Raw() string {
	return p.join(func(s string) string { return s })
}

// Sorted returns a copy ordered by key (stable for repeated keys), for
// exchanges whose SDKs sort before signing.
func (p Params) Sorted() Params {
	out := append(Params(nil), p...)
	// Insertion sort: parameter lists are a handful of pairs.
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j].Key < out[j-1].Key; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

func (p Params) join(enc func(string) string) string {
	var b strings.Builder
	for i, kv := range p {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(enc(kv.Key))
		b.WriteByte('=')
		b.WriteString(enc(kv.Value))
	}
	return b.String()
}

// Escape percent-encodes s like encodeURIComponent: ASCII letters, digits
// and -_.!~*'() stay as they are, everything else (UTF-8 bytes) becomes
// %XX with upper-case hex, and a space is %20, never "+".
func Escape(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if unreserved(c) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

func unreserved(c byte) bool {
	switch {
	case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		return true
	}
	return strings.IndexByte("-_.!~*'()", c) >= 0
}

// JoinQuery joins two query fragments with '&', skipping empty ones.
func JoinQuery(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "&" + b
}
