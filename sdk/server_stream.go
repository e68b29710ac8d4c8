package sdk

// The serving side of StreamAccounts: one Watch per watched account, their
// events funnelled into the one gRPC stream (whose Send is not safe for
// concurrent use), each failure scrubbed of the account's credentials.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"sync"
	"time"

	pb "github.com/globalautomation/gahost/proto/exchange/v1"
	"github.com/globalautomation/gahost/sdk/internal/wire"
	"github.com/globalautomation/gahost/sdk/redact"
	"github.com/hashicorp/go-hclog"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// streamQueue bounds the events waiting for the host; emit blocks beyond
// it, which slows the connector's readers rather than dropping changes.
const streamQueue = 1024

type watch struct {
	cancel context.CancelFunc
	done   chan struct{}
}

// StreamAccounts runs the connector's Streamer for the accounts the host
// names, until the host closes its side or the stream's context ends.
func (s *server) StreamAccounts(st pb.Exchange_StreamAccountsServer) error {
	sm, ok := s.impl.(Streamer)
	if !ok {
		return status.Error(codes.Unimplemented, "the connector serves no streams")
	}
	log := Logger()
	ctx, cancel := context.WithCancel(st.Context())
	defer cancel()
	out := make(chan *pb.StreamEvent, streamQueue)
	sendErr := make(chan error, 1)
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case ev := <-out:
				if err := st.Send(ev); err != nil {
					sendErr <- err
					cancel()
					return
				}
			}
		}
	}()

	var mu sync.Mutex
	watches := map[string]*watch{}
	stop := func(id string) {
		mu.Lock()
		w := watches[id]
		delete(watches, id)
		mu.Unlock()
		if w != nil {
			w.cancel()
			<-w.done // the old watch emits nothing after this
		}
	}
	defer func() {
		mu.Lock()
		ids := make([]string, 0, len(watches))
		for id := range watches {
			ids = append(ids, id)
		}
		mu.Unlock()
		for _, id := range ids {
			stop(id)
		}
	}()

	for {
		req, err := st.Recv()
		if err != nil {
			// io.EOF is the host closing its side; any other error is the
			// stream's end too. A failed Send says more than either.
			select {
			case err := <-sendErr:
				return err
			default:
			}
			if errors.Is(err, io.EOF) || ctx.Err() != nil {
				return nil
			}
			return err
		}
		for _, id := range req.GetUnwatch() {
			stop(id)
		}
		for _, a := range req.GetWatch() {
			acct := StreamAccount{ID: a.GetId(), Account: accountFromProto(a.GetAccount()), Parts: a.GetParts()}
			stop(acct.ID)
			wctx, wcancel := context.WithCancel(ctx)
			w := &watch{cancel: wcancel, done: make(chan struct{})}
			mu.Lock()
			watches[acct.ID] = w
			mu.Unlock()
			go runWatch(wctx, log, sm, acct, out, w.done)
		}
	}
}

// runWatch runs one account's Watch (or StartWatch, and returns at once),
// turning its events into wire events and its failure or panic into a
// StreamFailed event.
func runWatch(ctx context.Context, log hclog.Logger, sm Streamer, acct StreamAccount, out chan<- *pb.StreamEvent, done chan struct{}) {
	secrets := []string{acct.Account.APIKey, acct.Account.SecretKey, acct.Account.Passphrase}
	rec := &UsageRecorder{}
	wctx := WithUsageRecorder(ctx, rec)
	emit := func(ev StreamEvent) {
		if ctx.Err() != nil {
			return
		}
		ev.AccountID = acct.ID
		ev.Reason = redact.String(ev.Reason, secrets...)
		if us := rec.take(); len(us) > 0 {
			ev.Usage = append(ev.Usage, us...)
		}
		select {
		case out <- streamEventToProto(ev):
		case <-ctx.Done():
		}
	}
	var once sync.Once
	finish := func(err error) {
		once.Do(func() {
			defer close(done)
			watchFailed(ctx, acct, secrets, out, err)
		})
	}
	panicked := func(r any) {
		log.Error("connector panicked in Watch", "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
		finish(&Error{Kind: KindUnknown, Message: "connector panicked while streaming"})
	}
	if ws, ok := sm.(WatchStarter); ok {
		defer func() {
			if r := recover(); r != nil {
				panicked(r)
			}
		}()
		ws.StartWatch(wctx, acct, emit, finish)
		return
	}
	defer func() {
		if r := recover(); r != nil {
			panicked(r)
		}
	}()
	finish(sm.Watch(wctx, acct, emit))
}

// watchFailed tells the host that a watch ended with err, unless the host
// stopped watching or the stream ended: the account is then polled.
func watchFailed(ctx context.Context, acct StreamAccount, secrets []string, out chan<- *pb.StreamEvent, err error) {
	if ctx.Err() != nil {
		return // the host stopped watching, or the stream ended
	}
	if err == nil {
		err = &Error{Kind: KindUnavailable, Message: "the connector stopped watching the account"}
	}
	ev := StreamEvent{State: StreamFailed, Kind: KindOf(err), Reason: redact.Clip(err.Error(), 500)}
	// Give the host a moment to take the failure even when its queue is
	// full: it must know to poll the account.
	tctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ev.AccountID = acct.ID
	ev.Reason = redact.String(ev.Reason, secrets...)
	select {
	case out <- streamEventToProto(ev):
	case <-tctx.Done():
	}
}

var streamStateWire = map[StreamState]pb.StreamState{
	StreamData:      pb.StreamState_STREAM_STATE_UNSPECIFIED,
	StreamConnected: pb.StreamState_STREAM_STATE_CONNECTED,
	StreamResyncing: pb.StreamState_STREAM_STATE_RESYNCING,
	StreamFailed:    pb.StreamState_STREAM_STATE_FAILED,
}

func streamEventToProto(ev StreamEvent) *pb.StreamEvent {
	out := &pb.StreamEvent{
		AccountId: ev.AccountID,
		State:     streamStateWire[ev.State],
		Reason:    ev.Reason,
	}
	if ev.State == StreamFailed {
		out.ErrorKind = wire.KindToWire(ev.Kind.String())
	}
	if ev.HasSpot {
		out.Spot = balancesToProto(ev.Spot)
	}
	if ev.Futures != nil {
		out.Futures = futuresToProto(*ev.Futures)
	}
	if ev.HasPositions {
		out.Positions = positionsToProto(ev.Positions)
	}
	if !ev.At.IsZero() {
		out.EventTimeMs = ev.At.UnixMilli()
	}
	if len(ev.Usage) > 0 {
		out.Usage = usageToProto(ev.Usage)
	}
	return out
}
