package fakews

import (
	crand "crypto/rand"
	"encoding/hex"
	"time"
)

// ListenKeys are the listenKeys of an exchange that opens private streams
// with a key made over REST (Binance, BingX): each belongs to an API key
// and lives TTL after it was made or last extended; once it expired or
// was closed it is never live again, and a stream on it gets nothing
// more. What the REST calls answer, and which connections hear of an
// expiry, stay in each fake. The zero value with a TTL is ready to use;
// the fake keeps it under its lock.
type ListenKeys struct {
	TTL  time.Duration
	keys map[string]*listenKey
}

type listenKey struct {
	apiKey  string
	expires time.Time
	ended   bool
}

// ListenKey names one key and the API key it belongs to.
type ListenKey struct {
	Name, APIKey string
}

// Make makes a new key for apiKey, live for TTL from now: 64 random hex
// digits, as both exchanges' keys look.
func (l *ListenKeys) Make(apiKey string, now time.Time) string {
	if l.keys == nil {
		l.keys = map[string]*listenKey{}
	}
	b := make([]byte, 32)
	_, _ = crand.Read(b)
	name := hex.EncodeToString(b)
	l.keys[name] = &listenKey{apiKey: apiKey, expires: now.Add(l.TTL)}
	return name
}

// Owner is the API key name belongs to ("" for a key never made), and
// whether name is live.
func (l *ListenKeys) Owner(name string) (apiKey string, live bool) {
	k := l.keys[name]
	if k == nil {
		return "", false
	}
	return k.apiKey, !k.ended
}

// Live reports whether name was made and has not ended.
func (l *ListenKeys) Live(name string) bool {
	_, live := l.Owner(name)
	return live
}

// Extend makes a live key live for TTL from now; it reports false, and
// does nothing, for a key that is not live.
func (l *ListenKeys) Extend(name string, now time.Time) bool {
	if !l.Live(name) {
		return false
	}
	l.keys[name].expires = now.Add(l.TTL)
	return true
}

// Close ends name at once; its streams are not told.
func (l *ListenKeys) Close(name string) {
	if k := l.keys[name]; k != nil {
		k.ended = true
	}
}

// ExpireNow makes every live key of apiKey due, so that the next Due ends
// it as its expiry would.
func (l *ListenKeys) ExpireNow(apiKey string) {
	for _, k := range l.keys {
		if k.apiKey == apiKey && !k.ended {
			k.expires = time.Time{}
		}
	}
}

// Due ends the live keys past their time at now and returns them, for
// the fake to tell their streams.
func (l *ListenKeys) Due(now time.Time) []ListenKey {
	var out []ListenKey
	for name, k := range l.keys {
		if k.ended || now.Before(k.expires) {
			continue
		}
		k.ended = true
		out = append(out, ListenKey{name, k.apiKey})
	}
	return out
}
