package pluginhost

// The host's side of StreamAccounts: one bidirectional stream per plugin
// process, over which the host names the accounts to watch and receives
// their changes.

import (
	"context"
	"errors"
	"io"
	"sync"
	"time"

	pb "github.com/globalautomation/gahost/proto/exchange/v1"
	"github.com/globalautomation/gahost/sdk"
)

// Streamer opens a plugin's account stream. The client of every plugin
// offers it; a plugin that serves no streams (built before them, or whose
// connector does not implement sdk.Streamer) answers the first Recv with
// sdk.KindUnsupported.
type Streamer interface {
	OpenStream(ctx context.Context) (Stream, error)
}

// Stream is one open StreamAccounts call. Watch and Unwatch may be called
// from any goroutine; Recv from one.
type Stream interface {
	// Watch starts watching accounts, or restarts those already watched.
	Watch(accts ...sdk.StreamAccount) error
	// Unwatch stops watching the accounts with these ids.
	Unwatch(ids ...string) error
	// Recv returns the next event. It fails when the stream ends: the
	// plugin exited (sdk.KindUnavailable), serves no streams
	// (sdk.KindUnsupported), or the context passed to OpenStream ended.
	Recv() (sdk.StreamEvent, error)
	// Close ends the stream; the plugin stops every watch.
	Close()
}

var _ Streamer = (*Client)(nil)

// OpenStream opens the plugin's account stream, bound to ctx and to the
// plugin's life.
func (c *Client) OpenStream(ctx context.Context) (Stream, error) {
	if c.done.Err() != nil {
		return nil, &sdk.Error{Kind: sdk.KindUnavailable, Message: "plugin process has exited"}
	}
	sctx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(c.done, cancel)
	st, err := c.rpc.StreamAccounts(sctx)
	if err != nil {
		stop()
		cancel()
		_, err = fromStatus(ctx, err)
		return nil, err
	}
	return &stream{c: c, ctx: ctx, st: st, cancel: func() { stop(); cancel() }}, nil
}

type stream struct {
	c      *Client
	ctx    context.Context
	st     pb.Exchange_StreamAccountsClient
	mu     sync.Mutex // Send is not safe for concurrent use
	cancel func()
}

func (s *stream) send(r *pb.StreamRequest) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.st.Send(r); err != nil {
		return s.err(err)
	}
	return nil
}

func (s *stream) Watch(accts ...sdk.StreamAccount) error {
	r := &pb.StreamRequest{Watch: make([]*pb.StreamAccount, 0, len(accts))}
	for _, a := range accts {
		r.Watch = append(r.Watch, &pb.StreamAccount{Id: a.ID, Account: accountToProto(a.Account), Parts: a.Parts})
	}
	return s.send(r)
}

func (s *stream) Unwatch(ids ...string) error {
	return s.send(&pb.StreamRequest{Unwatch: ids})
}

func (s *stream) Recv() (sdk.StreamEvent, error) {
	ev, err := s.st.Recv()
	if err != nil {
		return sdk.StreamEvent{}, s.err(err)
	}
	return streamEventFromProto(ev)
}

func (s *stream) Close() {
	s.mu.Lock()
	_ = s.st.CloseSend()
	s.mu.Unlock()
	s.cancel()
}

// err reads a stream failure the way call reads a call's.
func (s *stream) err(err error) error {
	if errors.Is(err, io.EOF) {
		// Send reports io.EOF when the server ended the stream; Recv then
		// has the status.
		if _, rerr := s.st.Recv(); rerr != nil && !errors.Is(rerr, io.EOF) {
			err = rerr
		} else {
			return &sdk.Error{Kind: sdk.KindUnavailable, Message: "the plugin ended the stream"}
		}
	}
	if s.ctx.Err() == nil && s.c.done.Err() != nil {
		return &sdk.Error{Kind: sdk.KindUnavailable, Message: "plugin process exited during the stream"}
	}
	_, err = fromStatus(s.ctx, err)
	return err
}

var streamStates = map[pb.StreamState]sdk.StreamState{
	pb.StreamState_STREAM_STATE_UNSPECIFIED: sdk.StreamData,
	pb.StreamState_STREAM_STATE_CONNECTED:   sdk.StreamConnected,
	pb.StreamState_STREAM_STATE_RESYNCING:   sdk.StreamResyncing,
	pb.StreamState_STREAM_STATE_FAILED:      sdk.StreamFailed,
}

func streamEventFromProto(p *pb.StreamEvent) (sdk.StreamEvent, error) {
	st, ok := streamStates[p.GetState()]
	if !ok {
		// A state from a newer plugin: treat the stream as in doubt.
		st = sdk.StreamResyncing
	}
	ev := sdk.StreamEvent{AccountID: p.GetAccountId(), State: st, Reason: p.GetReason()}
	if st == sdk.StreamFailed {
		ev.Kind = kindFromWire(p.GetErrorKind())
	}
	var err error
	if p.Spot != nil {
		ev.HasSpot = true
		if ev.Spot, err = balancesFromProto(p.Spot); err != nil {
			return ev, err
		}
	}
	if p.Futures != nil {
		f, err := futuresFromProto(p.Futures)
		if err != nil {
			return ev, err
		}
		ev.Futures = &f
	}
	if p.Positions != nil {
		ev.HasPositions = true
		if ev.Positions, err = positionsFromProto(p.Positions); err != nil {
			return ev, err
		}
	}
	if ms := p.GetEventTimeMs(); ms != 0 {
		ev.At = time.UnixMilli(ms)
	}
	if p.Usage != nil {
		ev.Usage = usageFromProto(p.Usage)
	}
	return ev, nil
}
