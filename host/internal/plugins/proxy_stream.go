package plugins

import (
	"context"

	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/pluginhost"
)

var _ pluginhost.Streamer = (*proxy)(nil)

// OpenStream opens the account stream of the process serving the exchange.
// The stream does not count as a call in flight: it lasts as long as the
// process, and a swap to a new process ends it (the caller opens it again
// on the new one). Accounts watched through it get the configured
// endpoint overrides, and the rate-limit usage the plugin reports while
// seeding feeds the exchange's budget.
func (p *proxy) OpenStream(ctx context.Context) (pluginhost.Stream, error) {
	inst, err := p.c.acquire(p.name)
	if err != nil {
		return nil, err
	}
	inst.inflight.Done()
	sm, ok := inst.exch.(pluginhost.Streamer)
	if !ok {
		return nil, sdk.Errorf(sdk.KindUnsupported, "%s: the plugin serves no streams", p.name)
	}
	st, err := sm.OpenStream(ctx)
	if err != nil {
		return nil, err
	}
	return &proxyStream{Stream: st, p: p}, nil
}

type proxyStream struct {
	pluginhost.Stream
	p *proxy
}

func (s *proxyStream) Watch(accts ...sdk.StreamAccount) error {
	for i := range accts {
		accts[i].Account = s.p.account(accts[i].Account)
	}
	return s.Stream.Watch(accts...)
}

func (s *proxyStream) Recv() (sdk.StreamEvent, error) {
	ev, err := s.Stream.Recv()
	if err == nil && len(ev.Usage) > 0 {
		if b := s.p.c.Budget(s.p.name); b != nil {
			b.Observe(s.p.c.now(), ev.Usage)
		}
	}
	return ev, err
}
