package webhooks

import (
	"crypto/sha256"
	"sync"
	"time"
)

// DefaultReplayWindow is how long an alert body without alert_id is
// remembered, so that the same body sent again is a duplicate.
const DefaultReplayWindow = 60 * time.Second

// replayGuard remembers the bodies of recent alerts without alert_id, per
// webhook, so that a copy resent within the window (a retry, a replay by
// whoever saw the request) places no second order. An alert id is the
// precise way to say "this is the same alert"; this guard covers senders
// that give none. Only deliveries that may have placed an order keep their
// body remembered: one rejected, or failed before or without an order,
// forgets it, so the sender can fix the cause and send again.
type replayGuard struct {
	window time.Duration

	mu        sync.Mutex
	seen      map[[sha256.Size]byte]*replayEntry
	lastSweep time.Time
}

// replayEntry is the first delivery of a body. settled is closed once that
// delivery is recorded (a copy arriving meanwhile waits for it) or gone.
type replayEntry struct {
	deliveryID string
	receivedAt time.Time
	settled    chan struct{}
	gone       bool // forgotten before settling: the copy may go ahead
}

// replayClaim is a delivery's hold on its body; settle it exactly once.
type replayClaim struct {
	g   *replayGuard
	key [sha256.Size]byte
	e   *replayEntry
	// settledOnce guards the close of e.settled.
	settledOnce sync.Once
}

func newReplayGuard(window time.Duration) *replayGuard {
	if window <= 0 {
		return nil
	}
	return &replayGuard{window: window, seen: map[[sha256.Size]byte]*replayEntry{}}
}

func replayKey(webhookID string, body []byte) [sha256.Size]byte {
	h := sha256.New()
	h.Write([]byte(webhookID))
	h.Write([]byte{0})
	h.Write(body)
	var k [sha256.Size]byte
	h.Sum(k[:0])
	return k
}

// claim takes body for delivery id, or returns the entry of the delivery
// that has it within the window.
func (g *replayGuard) claim(webhookID string, body []byte, id string, now time.Time) (*replayClaim, *replayEntry) {
	key := replayKey(webhookID, body)
	g.mu.Lock()
	defer g.mu.Unlock()
	if now.Sub(g.lastSweep) > g.window {
		// Every entry is older than the window after one window: a sweep
		// per window keeps the map to the bodies of one window, in
		// amortised constant time per alert.
		for k, e := range g.seen {
			if now.Sub(e.receivedAt) > g.window {
				delete(g.seen, k)
			}
		}
		g.lastSweep = now
	}
	if e := g.seen[key]; e != nil && now.Sub(e.receivedAt) <= g.window {
		return nil, e
	}
	e := &replayEntry{deliveryID: id, receivedAt: now.UTC(), settled: make(chan struct{})}
	g.seen[key] = e
	return &replayClaim{g: g, key: key, e: e}, nil
}

// settle says the claiming delivery is recorded; keep false forgets the
// body (nothing was or will be ordered). Safe on a nil claim and more than
// once (only the first keep counts for the waiters; a later forget still
// forgets).
func (c *replayClaim) settle(keep bool) {
	if c == nil {
		return
	}
	if !keep {
		c.forget()
	}
	c.settledOnce.Do(func() { close(c.e.settled) })
}

// forget drops the body if it is still this claim's.
func (c *replayClaim) forget() {
	if c == nil {
		return
	}
	c.g.mu.Lock()
	if c.g.seen[c.key] == c.e {
		delete(c.g.seen, c.key)
	}
	c.e.gone = true
	c.g.mu.Unlock()
}

// isGone reports whether e was forgotten.
func (g *replayGuard) isGone(e *replayEntry) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return e.gone
}
