package fakews

import (
	crand "crypto/rand"
	"encoding/hex"
	"slices"
	"sync"
	"time"
)

// ListenKeys are the listenKeys of an exchange that opens private streams
// with a key made over REST (Binance, BingX), and the connections on
// each, C being the fake's connection type. A key belongs to an API key
// and lives TTL after it was made or last extended; once it expired or
// was closed it is never live again and its connections get nothing
// more. What the REST calls answer and the event an expiry sends stay in
// each fake.
//
// Its methods are called under the fake's lock, except Expire, which
// takes it.
type ListenKeys[C comparable] struct {
	TTL time.Duration // set by the fake when its streams start

	lock sync.Locker
	keys map[string]*listenKey[C]
}

type listenKey[C comparable] struct {
	apiKey  string
	expires time.Time
	ended   bool
	conns   []C
}

// ListenKey names one key and the API key it belongs to.
type ListenKey struct {
	Name, APIKey string
}

// NewListenKeys makes the listenKeys of a fake whose lock is lock.
func NewListenKeys[C comparable](lock sync.Locker) *ListenKeys[C] {
	return &ListenKeys[C]{lock: lock, keys: map[string]*listenKey[C]{}}
}

// Make makes a new key for apiKey, live for TTL from now: 64 random hex
// digits, as both exchanges' keys look.
func (l *ListenKeys[C]) Make(apiKey string, now time.Time) string {
	b := make([]byte, 32)
	_, _ = crand.Read(b)
	name := hex.EncodeToString(b)
	l.keys[name] = &listenKey[C]{apiKey: apiKey, expires: now.Add(l.TTL)}
	return name
}

// Owner is the API key name belongs to ("" for a key never made), and
// whether name is live.
func (l *ListenKeys[C]) Owner(name string) (apiKey string, live bool) {
	k := l.keys[name]
	if k == nil {
		return "", false
	}
	return k.apiKey, !k.ended
}

// Live reports whether name was made and has not ended.
func (l *ListenKeys[C]) Live(name string) bool {
	_, live := l.Owner(name)
	return live
}

// Extend makes a live key live for TTL from now; it reports false, and
// does nothing, for a key that is not live.
func (l *ListenKeys[C]) Extend(name string, now time.Time) bool {
	if !l.Live(name) {
		return false
	}
	l.keys[name].expires = now.Add(l.TTL)
	return true
}

// Close ends name at once; its connections are not told.
func (l *ListenKeys[C]) Close(name string) {
	if k := l.keys[name]; k != nil {
		k.ended = true
	}
}

// Join puts c on name and reports whether it did: not for a key never
// made, nor for a connection already on it.
func (l *ListenKeys[C]) Join(name string, c C) bool {
	k := l.keys[name]
	if k == nil || slices.Contains(k.conns, c) {
		return false
	}
	k.conns = append(k.conns, c)
	return true
}

// Leave takes c off name and reports whether it was on it.
func (l *ListenKeys[C]) Leave(name string, c C) bool {
	k := l.keys[name]
	if k == nil || !slices.Contains(k.conns, c) {
		return false
	}
	k.conns = slices.DeleteFunc(k.conns, func(x C) bool { return x == c })
	return true
}

// Drop takes c off every key, as its connection closes.
func (l *ListenKeys[C]) Drop(c C) {
	for name := range l.keys {
		l.Leave(name, c)
	}
}

// Conns are the connections on name while it is live.
func (l *ListenKeys[C]) Conns(name string) []C {
	if !l.Live(name) {
		return nil
	}
	return slices.Clone(l.keys[name].conns)
}

// Expire ends the live keys past their time at now, and every live key
// of apiKey at once when apiKey is not "", as their expiry would; then,
// with the fake's lock released, it calls tell for each connection on
// each, for the fake to send its exchange's expiry event. The caller
// must not hold the lock.
func (l *ListenKeys[C]) Expire(now time.Time, apiKey string, tell func(c C, k ListenKey)) {
	type note struct {
		c C
		k ListenKey
	}
	var notes []note
	l.lock.Lock()
	for name, k := range l.keys {
		if k.ended || now.Before(k.expires) && (apiKey == "" || k.apiKey != apiKey) {
			continue
		}
		k.ended = true
		for _, c := range k.conns {
			notes = append(notes, note{c, ListenKey{name, k.apiKey}})
		}
	}
	l.lock.Unlock()
	for _, n := range notes {
		tell(n.c, n.k)
	}
}
