package rest

import (
	"context"
	"sync"
	"time"

	"github.com/globalautomation/gahost/sdk"
)

// clock is the measured offset of one base URL's clock from ours.
type clock struct {
	mu     sync.Mutex
	offset time.Duration
	synced time.Time     // local time of the last good measurement; zero: never
	busy   chan struct{} // closed when a running measurement ends
}

func (k *clock) now(local time.Time) time.Time {
	k.mu.Lock()
	defer k.mu.Unlock()
	return local.Add(k.offset)
}

func (c *Client) clockFor(base string) *clock {
	c.mu.Lock()
	defer c.mu.Unlock()
	k := c.clocks[base]
	if k == nil {
		k = &clock{}
		c.clocks[base] = k
	}
	return k
}

// Offset returns the measured offset (exchange minus local) of the base
// URL that endpoint resolves to for acct, and whether it was measured.
func (c *Client) Offset(acct sdk.Account, endpoint string) (time.Duration, bool) {
	base, err := c.BaseURL(acct, endpoint)
	if err != nil {
		return 0, false
	}
	k := c.clockFor(base)
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.offset, !k.synced.IsZero()
}

// syncClock measures the offset of base unless a fresh enough measurement
// exists. With a non-zero after it measures again unless someone else did
// so after that time: that is the path of a clock-skew answer, where many
// calls fail at once and one new measurement serves them all.
func (c *Client) syncClock(ctx context.Context, acct sdk.Account, endpoint, base string, after time.Time) error {
	k := c.clockFor(base)
	for {
		k.mu.Lock()
		fresh := !k.synced.IsZero() && c.cfg.Now().Sub(k.synced) < c.cfg.ResyncEvery
		if after.IsZero() && fresh || !after.IsZero() && k.synced.After(after) {
			k.mu.Unlock()
			return nil
		}
		if w := k.busy; w != nil {
			k.mu.Unlock()
			select {
			case <-w:
				continue
			case <-ctx.Done():
				return sdk.Errorf(sdk.KindUnavailable, "%s: no answer before the deadline while reading the server time", c.cfg.Exchange)
			}
		}
		k.busy = make(chan struct{})
		k.mu.Unlock()

		offset, err := c.measure(ctx, acct, endpoint, base)

		k.mu.Lock()
		if err == nil {
			k.offset, k.synced = offset, c.cfg.Now()
		}
		close(k.busy)
		k.busy = nil
		k.mu.Unlock()
		return err
	}
}

func (c *Client) measure(ctx context.Context, acct sdk.Account, endpoint, base string) (time.Duration, error) {
	req := &Request{Method: "GET", Endpoint: endpoint, Path: c.cfg.Time.Paths[endpoint]}
	var none []string
	t0 := c.cfg.Now()
	resp, err := c.roundTrip(ctx, acct, base, req, &none)
	t1 := c.cfg.Now()
	if err != nil {
		return 0, err
	}
	if err := c.check(resp); err != nil {
		return 0, err
	}
	server, err := c.cfg.Time.Parse(resp.Body)
	if err != nil {
		return 0, resp.Errorf(sdk.KindUnknown, "", "malformed server time")
	}
	// The server read its clock somewhere inside the round trip; the
	// midpoint halves the worst-case error.
	return server.Sub(t0.Add(t1.Sub(t0) / 2)), nil
}
