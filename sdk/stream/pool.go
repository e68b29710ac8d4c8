package stream

// A pool of shared connections, for exchanges that carry many accounts on
// one (Binance's spot WebSocket API: up to 1,000 subscriptions each).

import (
	"context"
	"sync"
	"time"
)

// Shared is a connection a Pool hands to many accounts.
type Shared interface {
	// Done is closed when the connection has ended.
	Done() <-chan struct{}
	// Close ends it.
	Close()
}

// Pool shares connections between accounts, at most PerConn on each. A
// connection is not handed out any more once it is within Margin of the
// exchange's Lifetime; its users see their lease's Expiring close then,
// move to a fresh connection while the old one still delivers, and the old
// one closes when its last user leaves. So the exchange's cut never comes.
type Pool[C Shared] struct {
	PerConn  int           // accounts on one connection; zero or less: no limit
	Lifetime time.Duration // the exchange's maximum connection lifetime; 0: none
	Margin   time.Duration // how long before it connections are replaced; default Lifetime/48
	// Dial opens a connection. Its context is the pool's (the connection
	// outlives the account that asked for it), bound by the dial timeout.
	Dial    func(ctx context.Context) (C, error)
	Limiter *Limiter // the exchange's per-IP connection-rate limit; nil: none
	Cap     *Cap     // the exchange's per-IP connection cap; nil: none

	dialMu sync.Mutex // one dial at a time: a thousand acquires make one connection
	mu     sync.Mutex
	conns  []*pooled[C]
}

type pooled[C Shared] struct {
	conn  C
	users int
	// expiring ends when the connection should be left: a context rather
	// than a bare channel so that a lease can have a callback run then
	// (AfterExpiring) without a goroutine waiting for it.
	expiring context.Context
	expire   context.CancelFunc
	release  func() // the Cap slot
}

func newPooled[C Shared](conn C, release func()) *pooled[C] {
	ctx, cancel := context.WithCancel(context.Background())
	return &pooled[C]{conn: conn, users: 1, expiring: ctx, expire: cancel, release: release}
}

// Lease is one account's place on a connection.
type Lease[C Shared] struct {
	Conn C
	// Expiring closes when the account should move: the connection nears
	// its lifetime or has ended.
	Expiring <-chan struct{}
	pool     *Pool[C]
	pc       *pooled[C]
	once     sync.Once
}

// AfterExpiring calls f on a goroutine of its own when Expiring closes;
// stop cancels that, as context.AfterFunc's stop does.
func (l *Lease[C]) AfterExpiring(f func()) (stop func() bool) {
	return context.AfterFunc(l.pc.expiring, f)
}

// Release gives the place back; the last user of an expiring connection
// closes it.
func (l *Lease[C]) Release() {
	l.once.Do(func() {
		l.pool.mu.Lock()
		l.pc.users--
		closeIt := l.pc.users <= 0
		if closeIt {
			l.pool.removeLocked(l.pc)
		}
		l.pool.mu.Unlock()
		if closeIt {
			l.pc.conn.Close()
			l.pc.release()
		}
	})
}

// Acquire returns a place on a connection with room, dialing one when none
// has room.
func (p *Pool[C]) Acquire(ctx context.Context) (*Lease[C], error) {
	if l := p.take(); l != nil {
		return l, nil
	}
	p.dialMu.Lock()
	defer p.dialMu.Unlock()
	if l := p.take(); l != nil {
		return l, nil
	}
	release, err := p.Cap.Take()
	if err != nil {
		return nil, err
	}
	if err := p.Limiter.Wait(ctx); err != nil {
		release()
		return nil, err
	}
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	conn, err := p.Dial(dctx)
	cancel()
	if err != nil {
		release()
		return nil, err
	}
	pc := newPooled(conn, release)
	go p.watch(pc)
	p.mu.Lock()
	p.conns = append(p.conns, pc)
	p.mu.Unlock()
	return &Lease[C]{Conn: conn, Expiring: pc.expiring.Done(), pool: p, pc: pc}, nil
}

func (p *Pool[C]) take() *Lease[C] {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, pc := range p.conns {
		if pc.expiring.Err() != nil {
			continue
		}
		if p.PerConn <= 0 || pc.users < p.PerConn {
			pc.users++
			return &Lease[C]{Conn: pc.conn, Expiring: pc.expiring.Done(), pool: p, pc: pc}
		}
	}
	return nil
}

// watch marks a connection expiring at the margin before its lifetime, or
// as soon as it ends.
func (p *Pool[C]) watch(pc *pooled[C]) {
	var cut <-chan time.Time
	if p.Lifetime > 0 {
		margin := p.Margin
		if margin <= 0 {
			margin = p.Lifetime / 48
		}
		t := time.NewTimer(max(p.Lifetime-margin, 0))
		defer t.Stop()
		cut = t.C
	}
	select {
	case <-cut:
	case <-pc.conn.Done():
	}
	pc.expire()
	p.mu.Lock()
	p.removeLocked(pc)
	idle := pc.users <= 0
	p.mu.Unlock()
	if idle {
		pc.conn.Close()
		pc.release()
	}
}

func (p *Pool[C]) removeLocked(pc *pooled[C]) {
	for i, x := range p.conns {
		if x == pc {
			p.conns = append(p.conns[:i], p.conns[i+1:]...)
			return
		}
	}
}

// Conns is how many connections the pool holds.
func (p *Pool[C]) Conns() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.conns)
}
