package plugintest

// Private streams: a Watcher that runs a connector's Watch and collects
// what it emits, predicates over the events, and RunStream, the behaviour
// every streaming connector shares, driven through its fake's switches.
// A connector's own stream tests keep what is its exchange's: the login
// vector, snapshots or REST seeds, listenKeys, handovers.

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/stream"
	"github.com/shopspring/decimal"
)

// StreamWait bounds every wait of a Watcher.
const StreamWait = 10 * time.Second

// Watcher runs Watch for one account and collects what it emits.
type Watcher struct {
	mu     sync.Mutex
	events []sdk.StreamEvent
	done   chan error
}

// Watch starts s.Watch(acct) until the test ends; the cleanup fails the
// test if Watch does not return within StreamWait of its context ending.
func Watch(t *testing.T, s sdk.Streamer, acct sdk.StreamAccount) *Watcher {
	t.Helper()
	wctx, cancel := context.WithCancel(context.Background())
	w := &Watcher{done: make(chan error, 1)}
	go func() {
		w.done <- s.Watch(wctx, acct, func(ev sdk.StreamEvent) {
			w.mu.Lock()
			w.events = append(w.events, ev)
			w.mu.Unlock()
		})
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-w.done:
			w.done <- err
		case <-time.After(StreamWait):
			t.Error("Watch did not end with its context")
		}
	})
	return w
}

// WatchConnected is Watch that also waits until the account has
// connected, for a test that starts from a live stream.
func WatchConnected(t *testing.T, s sdk.Streamer, acct sdk.StreamAccount) *Watcher {
	t.Helper()
	w := Watch(t, s, acct)
	w.WaitFor(t, "connected", Connected)
	return w
}

// WatchAllConnected starts a Watcher for every account at once, then
// waits until each has connected: many accounts coming up together, as
// after the host starts.
func WatchAllConnected(t *testing.T, s sdk.Streamer, accts ...sdk.StreamAccount) []*Watcher {
	t.Helper()
	ws := make([]*Watcher, len(accts))
	for i, a := range accts {
		ws[i] = Watch(t, s, a)
	}
	for _, w := range ws {
		w.WaitFor(t, "connected", Connected)
	}
	return ws
}

// OwnEvent waits until ws[i] has an event ok reports, then fails t if any
// other watcher has one: a change made to one account's wallet reaches
// that account's stream only, whatever connection the streams share.
func OwnEvent(t *testing.T, ws []*Watcher, i int, ok func(sdk.StreamEvent) bool) {
	t.Helper()
	ws[i].WaitFor(t, "its own change", ok)
	for j, w := range ws {
		if j != i && w.Count(ok) != 0 {
			t.Fatalf("account %d saw account %d's event", j, i)
		}
	}
}

// Mark is how many events have come so far, for WaitAfter.
func (w *Watcher) Mark() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.events)
}

// WaitFor waits until some event satisfies ok, and returns the first that
// does; it fails the test, listing what came, after StreamWait.
func (w *Watcher) WaitFor(t *testing.T, what string, ok func(sdk.StreamEvent) bool) sdk.StreamEvent {
	t.Helper()
	return w.WaitAfter(t, 0, what, ok)
}

// WaitAfter is WaitFor over the events after the first from (a Mark).
func (w *Watcher) WaitAfter(t *testing.T, from int, what string, ok func(sdk.StreamEvent) bool) sdk.StreamEvent {
	t.Helper()
	deadline := time.Now().Add(StreamWait)
	for time.Now().Before(deadline) {
		w.mu.Lock()
		for _, ev := range w.events[from:] {
			if ok(ev) {
				w.mu.Unlock()
				return ev
			}
		}
		w.mu.Unlock()
		time.Sleep(5 * time.Millisecond)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	t.Fatalf("no event %s; got %+v", what, w.events)
	return sdk.StreamEvent{}
}

// Events are the events so far.
func (w *Watcher) Events() []sdk.StreamEvent {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.events)
}

// Count is how many events so far satisfy ok.
func (w *Watcher) Count(ok func(sdk.StreamEvent) bool) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := 0
	for _, ev := range w.events {
		if ok(ev) {
			n++
		}
	}
	return n
}

// Latest is the last event that satisfies ok, or the zero event.
func (w *Watcher) Latest(ok func(sdk.StreamEvent) bool) sdk.StreamEvent {
	w.mu.Lock()
	defer w.mu.Unlock()
	for i := len(w.events) - 1; i >= 0; i-- {
		if ok(w.events[i]) {
			return w.events[i]
		}
	}
	return sdk.StreamEvent{}
}

// Ended waits for Watch to give up and returns its error; it fails the
// test if Watch is still running after StreamWait.
func (w *Watcher) Ended(t *testing.T) error {
	t.Helper()
	select {
	case err := <-w.done:
		w.done <- err // for the cleanup
		return err
	case <-time.After(StreamWait):
		t.Fatal("Watch did not give up")
		return nil
	}
}

// Connected reports a StreamConnected event.
func Connected(ev sdk.StreamEvent) bool { return ev.State == sdk.StreamConnected }

// Resyncing reports a StreamResyncing event.
func Resyncing(ev sdk.StreamEvent) bool { return ev.State == sdk.StreamResyncing }

// ResyncingFor reports a StreamResyncing event whose reason says text.
func ResyncingFor(text string) func(sdk.StreamEvent) bool {
	return func(ev sdk.StreamEvent) bool { return Resyncing(ev) && strings.Contains(ev.Reason, text) }
}

// Moves counts the resyncs so far: moved, those whose reason says planned
// (a connection replaced before its lifetime ends), and other, the rest.
func (w *Watcher) Moves(planned string) (moved, other int) {
	for _, ev := range w.Events() {
		switch {
		case ResyncingFor(planned)(ev):
			moved++
		case Resyncing(ev):
			other++
		}
	}
	return moved, other
}

// FuturesWallet reports an event whose futures part has wallet balance
// wallet.
func FuturesWallet(wallet string) func(sdk.StreamEvent) bool {
	want := decimal.RequireFromString(wallet)
	return func(ev sdk.StreamEvent) bool { return ev.Futures != nil && ev.Futures.WalletBalance.Equal(want) }
}

// SpotHas reports an event whose spot part holds asset with free.
func SpotHas(asset, free string) func(sdk.StreamEvent) bool {
	want := decimal.RequireFromString(free)
	return func(ev sdk.StreamEvent) bool {
		if !ev.HasSpot {
			return false
		}
		for _, b := range ev.Spot {
			if b.Asset == asset && b.Free.Equal(want) {
				return true
			}
		}
		return false
	}
}

// SpotLacks reports an event whose spot part does not hold asset.
func SpotLacks(asset string) func(sdk.StreamEvent) bool {
	return func(ev sdk.StreamEvent) bool {
		if !ev.HasSpot {
			return false
		}
		for _, b := range ev.Spot {
			if b.Asset == asset {
				return false
			}
		}
		return true
	}
}

// PositionRows reports an event whose positions part holds n rows.
func PositionRows(n int) func(sdk.StreamEvent) bool {
	return func(ev sdk.StreamEvent) bool { return ev.HasPositions && len(ev.Positions) == n }
}

// StreamFake is the part of a fake exchange RunStream drives: losing
// pushes on purpose and cutting every connection at once.
type StreamFake interface {
	DropEvents(share float64)
	CutStreams()
}

// StreamSetup is one streaming connector against a fresh fake.
type StreamSetup struct {
	Streamer sdk.Streamer
	Fake     StreamFake
	// Account is a working account whose parts include
	// sdk.CapSpotBalances, its endpoints pointing at the fake.
	Account sdk.StreamAccount
	// SetSpot sets a spot balance of acct's key on the fake (free, none
	// locked), which pushes it as the exchange would.
	SetSpot func(acct sdk.Account, asset, free string)
}

// BadStreamKey is one refused credential: Tweak spoils the account, Code
// is the exchange's code the error must carry ("" for none), Then checks
// what the connector's own fake saw.
type BadStreamKey struct {
	Name  string
	Tweak func(*sdk.Account)
	Code  string
	Then  func(t *testing.T, s StreamSetup)
}

// StreamKit is what RunStream needs of a connector. New makes a fresh
// setup for each check. Capped, when set, makes a setup whose connector
// keeps to a per-IP connection cap of two or more, and accounts on that
// fake, each on its own key, one more than the cap lets stream at once;
// CapCheck then checks what the fake saw. An empty BadKeys or a nil
// Capped skips its check with the reason.
type StreamKit struct {
	New      func(t *testing.T) StreamSetup
	BadKeys  []BadStreamKey
	Capped   func(t *testing.T) (StreamSetup, []sdk.StreamAccount)
	CapCheck func(t *testing.T, s StreamSetup)
}

// RunStream checks what every streaming connector must do alike:
//   - a change made on the exchange reaches the stream, with no resync on
//     a healthy connection;
//   - a push the network lost is healed by the session after a cut: the
//     watch reports resyncing, its next state holds the lost change, and
//     it is live again on the new connection;
//   - refused keys end the watch as an authentication error that names
//     no secret;
//   - an account past the connection cap fails with stream.ErrCapReached
//     (so the host polls it), and the ones under it stream their own
//     changes only.
func RunStream(t *testing.T, kit StreamKit) {
	t.Helper()
	t.Run("change reaches the stream", func(t *testing.T) {
		s := kit.New(t)
		w := Watch(t, s.Streamer, s.Account)
		w.WaitFor(t, "connected", Connected)
		s.SetSpot(s.Account.Account, "SOL", "3")
		w.WaitFor(t, "the change pushed", SpotHas("SOL", "3"))
		if n := w.Count(Resyncing); n != 0 {
			t.Fatalf("%d resyncs on a healthy stream", n)
		}
	})
	t.Run("dropped event healed after a cut", func(t *testing.T) {
		s := kit.New(t)
		w := Watch(t, s.Streamer, s.Account)
		w.WaitFor(t, "connected", Connected)
		s.Fake.DropEvents(1)
		s.SetSpot(s.Account.Account, "ETH", "7")
		time.Sleep(100 * time.Millisecond)
		if w.Count(SpotHas("ETH", "7")) != 0 {
			t.Fatal("a dropped event arrived")
		}
		s.Fake.DropEvents(0)
		from := w.Mark()
		s.Fake.CutStreams()
		w.WaitAfter(t, from, "resyncing after the cut", Resyncing)
		w.WaitAfter(t, from, "the lost change healed by the new session", SpotHas("ETH", "7"))
		s.SetSpot(s.Account.Account, "XRP", "5")
		w.WaitAfter(t, from, "live on the new connection", SpotHas("XRP", "5"))
	})
	t.Run("bad key fails without leaking", func(t *testing.T) {
		if len(kit.BadKeys) == 0 {
			t.Skip("no refused keys given (StreamKit.BadKeys)")
		}
		for _, bk := range kit.BadKeys {
			t.Run(bk.Name, func(t *testing.T) {
				s := kit.New(t)
				good := s.Account.Account
				bad := s.Account
				bk.Tweak(&bad.Account)
				w := Watch(t, s.Streamer, bad)
				err := w.Ended(t)
				if w.Count(Connected) != 0 {
					t.Fatal("connected with a refused key")
				}
				var se *sdk.Error
				if !errors.As(err, &se) || se.Kind != sdk.KindAuthentication {
					t.Fatalf("Watch = %v, want an authentication error", err)
				}
				if bk.Code != "" && se.ExchangeCode != bk.Code {
					t.Fatalf("exchange code = %q, want %q (%v)", se.ExchangeCode, bk.Code, err)
				}
				for _, secret := range []string{bad.Account.APIKey, bad.Account.SecretKey, bad.Account.Passphrase, good.APIKey, good.SecretKey, good.Passphrase} {
					if secret != "" && strings.Contains(err.Error(), secret) {
						t.Fatalf("the error leaks a credential: %v", err)
					}
				}
				if bk.Then != nil {
					bk.Then(t, s)
				}
			})
		}
	})
	t.Run("over the cap the account is polled", func(t *testing.T) {
		if kit.Capped == nil {
			t.Skip("no capped setup given (StreamKit.Capped)")
		}
		s, accts := kit.Capped(t)
		if len(accts) < 3 {
			t.Fatalf("Capped gave %d accounts; the check needs a cap of two or more, plus one", len(accts))
		}
		var ws []*Watcher
		for _, a := range accts[:len(accts)-1] {
			w := Watch(t, s.Streamer, a)
			w.WaitFor(t, "connected", Connected)
			ws = append(ws, w)
		}
		err := Watch(t, s.Streamer, accts[len(accts)-1]).Ended(t)
		if !errors.Is(err, stream.ErrCapReached) {
			t.Fatalf("the account past the cap = %v, want stream.ErrCapReached so the host polls it", err)
		}
		s.SetSpot(accts[1].Account, "DOGE", "9")
		ws[1].WaitFor(t, "its own change", SpotHas("DOGE", "9"))
		for i, w := range ws {
			if i != 1 && w.Count(SpotHas("DOGE", "9")) != 0 {
				t.Fatal("an event reached another account")
			}
		}
		if kit.CapCheck != nil {
			kit.CapCheck(t, s)
		}
	})
}
