package webhooks

import (
	"sync"
	"testing"
	"time"

	"github.com/globalautomation/gahost/host/internal/store"
	"github.com/globalautomation/gahost/sdk"
)

var replayAlert = map[string]any{"action": "buy", "symbol": "BTC/USDT", "type": "market", "quote_quantity": "5"}

// The same body without alert_id, sent again within the replay window,
// places no second order; after the window it does.
func TestReplayWithoutAlertIDIsADuplicate(t *testing.T) {
	e := newEnv(t)
	h := e.webhook(NewWebhook{Market: "spot"})
	var first store.Delivery
	for i := range 3 {
		out, err := e.send(h, replayAlert)
		if err != nil {
			t.Fatal(err)
		}
		d := out.Delivery
		if i == 0 {
			if d.Status != store.DeliveryExecuted {
				t.Fatalf("first: %+v", d)
			}
			first = d
			continue
		}
		if d.Status != store.DeliveryDuplicate || d.DuplicateOf != first.ID || out.First == nil ||
			out.First.ID != first.ID || out.First.Status != store.DeliveryExecuted || d.Order != nil {
			t.Fatalf("copy %d: %+v (first %+v)", i, d, out.First)
		}
		e.clock.add(10 * time.Second)
	}
	if n := len(e.ex.placed()); n != 1 {
		t.Fatalf("%d orders for one body sent three times", n)
	}
	e.clock.add(DefaultReplayWindow)
	if out, err := e.send(h, replayAlert); err != nil || out.Delivery.Status != store.DeliveryExecuted {
		t.Fatalf("after the window: %+v %v", out.Delivery, err)
	}
	if n := len(e.ex.placed()); n != 2 {
		t.Fatalf("%d orders after the window", n)
	}
	// Another webhook, or another body, is not a copy.
	other := e.webhook(NewWebhook{Market: "spot"})
	if out, _ := e.send(other, replayAlert); out.Delivery.Status != store.DeliveryExecuted {
		t.Fatalf("same body to another webhook: %+v", out.Delivery)
	}
	if out, _ := e.send(h, map[string]any{"action": "buy", "symbol": "BTC/USDT", "type": "market", "quote_quantity": "6"}); out.Delivery.Status != store.DeliveryExecuted {
		t.Fatalf("another body: %+v", out.Delivery)
	}
}

// Copies sent at once place one order.
func TestReplayConcurrentCopies(t *testing.T) {
	e := newEnv(t)
	h := e.webhook(NewWebhook{Market: "spot"})
	const n = 13
	var wg sync.WaitGroup
	statuses := make([]string, n)
	for i := range n {
		wg.Go(func() {
			out, err := e.send(h, replayAlert)
			if err != nil {
				t.Error(err)
				return
			}
			statuses[i] = out.Delivery.Status
		})
	}
	wg.Wait()
	executed := 0
	for _, s := range statuses {
		if s == store.DeliveryExecuted {
			executed++
		} else if s != store.DeliveryDuplicate {
			t.Errorf("status %s", s)
		}
	}
	if executed != 1 || len(e.ex.placed()) != 1 {
		t.Fatalf("%d executed, %d orders for %d copies", executed, len(e.ex.placed()), n)
	}
}

// A body whose delivery placed nothing (refused by the exchange, rejected
// by a limit) may be sent again; one whose outcome is unknown may not.
func TestReplayForgetsWhatPlacedNothing(t *testing.T) {
	e := newEnv(t)
	h := e.webhook(NewWebhook{Market: "spot"})
	e.ex.fail = func(sdk.Account) error { return sdk.Errorf(sdk.KindInsufficientFunds, "not enough USDT") }
	if out, _ := e.send(h, replayAlert); out.Delivery.Status != store.DeliveryFailed {
		t.Fatalf("refused: %+v", out.Delivery)
	}
	e.ex.fail = nil
	if out, _ := e.send(h, replayAlert); out.Delivery.Status != store.DeliveryExecuted {
		t.Fatalf("resent after a refusal: %+v", out.Delivery)
	}

	h2 := e.webhook(NewWebhook{Market: "spot"})
	e.ex.fail = func(sdk.Account) error { return sdk.Errorf(sdk.KindUnknownOutcome, "timed out") }
	if out, _ := e.send(h2, replayAlert); out.Delivery.ErrorCode != CodeUnknownOutcome {
		t.Fatalf("unknown outcome: %+v", out.Delivery)
	}
	e.ex.fail = nil
	if out, _ := e.send(h2, replayAlert); out.Delivery.Status != store.DeliveryDuplicate {
		t.Fatalf("resent after an unknown outcome: %+v", out.Delivery)
	}
	if n := len(e.ex.placed()); n != 3 {
		t.Fatalf("%d order calls, want 3", n)
	}

	h3 := e.webhook(NewWebhook{Market: "spot", AllowedSymbols: []string{"ETH/USDT"}})
	for range 2 {
		if out, _ := e.send(h3, replayAlert); out.Delivery.Status != store.DeliveryRejected {
			t.Fatalf("rejected twice: %+v", out.Delivery)
		}
	}
}

func TestReplayWindowOff(t *testing.T) {
	e := newEnv(t)
	e.build(Config{ReplayWindow: -1})
	h := e.webhook(NewWebhook{Market: "spot"})
	for range 2 {
		if out, _ := e.send(h, replayAlert); out.Delivery.Status != store.DeliveryExecuted {
			t.Fatalf("%+v", out.Delivery)
		}
	}
}

// An exchange slower than the answer window: the answer comes in time with
// the delivery pending, and the outcome is recorded when the order returns.
func TestSlowOrderIsAnsweredPending(t *testing.T) {
	e := newEnv(t)
	e.build(Config{AnswerWithin: 50 * time.Millisecond})
	h := e.webhook(NewWebhook{Market: "spot"})
	e.ex.gate = make(chan struct{})
	begun := time.Now()
	out, err := e.send(h, map[string]any{"action": "buy", "symbol": "BTC/USDT", "type": "market", "quote_quantity": "5", "alert_id": "slow"})
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(begun); took > time.Second || !out.Pending || out.Delivery.Status != store.DeliveryPending {
		t.Fatalf("answer after %s: %+v", took, out)
	}
	close(e.ex.gate)
	e.svc.Wait()
	list := e.deliveries(h)
	if len(list) != 1 || list[0].ID != out.Delivery.ID || list[0].Status != store.DeliveryExecuted ||
		list[0].Order.ExchangeOrderID == "" {
		t.Fatalf("recorded: %+v", list)
	}
}

// An order whose outcome is unknown after the answer was sent is recorded
// as such and never sent again.
func TestSlowUnknownOutcomeIsNotRetried(t *testing.T) {
	e := newEnv(t)
	e.build(Config{AnswerWithin: 50 * time.Millisecond})
	h := e.webhook(NewWebhook{Market: "spot"})
	e.ex.gate = make(chan struct{})
	e.ex.fail = func(sdk.Account) error { return sdk.Errorf(sdk.KindUnknownOutcome, "no answer") }
	out, err := e.send(h, replayAlert)
	if err != nil || !out.Pending {
		t.Fatalf("%+v %v", out, err)
	}
	close(e.ex.gate)
	e.svc.Wait()
	time.Sleep(50 * time.Millisecond)
	list := e.deliveries(h)
	if len(list) != 1 || list[0].Status != store.DeliveryFailed || list[0].ErrorCode != CodeUnknownOutcome {
		t.Fatalf("recorded: %+v", list)
	}
	if n := len(e.ex.placed()); n != 1 {
		t.Fatalf("%d order calls", n)
	}
}

// With the default window the answer never waits much past 2.5 s,
// inside TradingView's 3 s, however slow the exchange.
func TestAnswerWithinTradingViewsWait(t *testing.T) {
	if testing.Short() {
		t.Skip("waits the full default answer window")
	}
	e := newEnv(t)
	h := e.webhook(NewWebhook{Market: "spot"})
	e.ex.gate = make(chan struct{})
	begun := time.Now()
	out, err := e.send(h, replayAlert)
	took := time.Since(begun)
	close(e.ex.gate)
	e.svc.Wait()
	if err != nil || !out.Pending || took > 3*time.Second {
		t.Fatalf("answer after %s: %+v %v", took, out, err)
	}
}
