package webhooks

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/globalautomation/gahost/host/internal/input"
	"github.com/globalautomation/gahost/host/internal/store"
)

// Deliveries come in pages newest first, each page's cursor leading to the
// next, and can be filtered by status (as a reader sees it).
func TestDeliveryPagesAndStatusFilter(t *testing.T) {
	e := newEnv(t)
	h := e.webhook(NewWebhook{Market: "spot", AllowedSymbols: []string{"BTC/USDT"}})
	var want []string // ids, newest first
	for i := range 7 {
		alert := map[string]any{"action": "buy", "symbol": "BTC/USDT", "type": "market", "quote_quantity": "5", "alert_id": fmt.Sprint(i)}
		if i%3 == 0 {
			alert["symbol"] = "ETH/USDT" // rejected
		}
		out, err := e.send(h, alert)
		if err != nil {
			t.Fatal(err)
		}
		want = append([]string{out.Delivery.ID}, want...)
		e.clock.add(time.Second)
	}
	var got []string
	cursor := ""
	for page := 0; ; page++ {
		q, err := ParseDeliveryQuery("3", cursor, "")
		if err != nil {
			t.Fatal(err)
		}
		list, next, err := e.svc.DeliveryPage(e.ctx, e.user.ID, h.ID, q)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range list {
			got = append(got, d.ID)
		}
		if next == "" {
			if page != 2 || len(list) != 1 {
				t.Fatalf("last page %d has %d", page, len(list))
			}
			break
		}
		cursor = next
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("pages gave %v, want %v", got, want)
	}

	q, _ := ParseDeliveryQuery("2", "", store.DeliveryRejected)
	list, next, err := e.svc.DeliveryPage(e.ctx, e.user.ID, h.ID, q)
	if err != nil || len(list) != 2 || next == "" || list[0].Status != store.DeliveryRejected || list[1].Status != store.DeliveryRejected {
		t.Fatalf("rejected, first page: %+v %q %v", list, next, err)
	}
	q.Cursor = next
	list, next, err = e.svc.DeliveryPage(e.ctx, e.user.ID, h.ID, q)
	if err != nil || len(list) != 1 || next != "" || list[0].ID != want[6] {
		t.Fatalf("rejected, second page: %+v %q %v", list, next, err)
	}

	// A pending delivery past its grace is listed, and filtered, as failed.
	if _, _, err := e.st.RecordDelivery(e.ctx, store.Delivery{WebhookID: h.ID, ReceivedAt: e.clock.now(), Status: store.DeliveryPending}); err != nil {
		t.Fatal(err)
	}
	e.clock.add(PendingGrace + time.Second)
	q, _ = ParseDeliveryQuery("", "", store.DeliveryFailed)
	if list, _, _ := e.svc.DeliveryPage(e.ctx, e.user.ID, h.ID, q); len(list) != 1 || list[0].ErrorCode != CodeUnknownOutcome {
		t.Fatalf("failed: %+v", list)
	}

	var ie *input.Error
	if _, err := ParseDeliveryQuery("", "", "done"); !errors.As(err, &ie) || ie.Code != CodeInvalidField {
		t.Fatalf("bad status: %v", err)
	}
	if _, _, err := e.svc.DeliveryPage(e.ctx, e.user.ID, h.ID, DeliveryQuery{Limit: 1, Cursor: "!!"}); !errors.As(err, &ie) {
		t.Fatalf("bad cursor: %v", err)
	}
}
