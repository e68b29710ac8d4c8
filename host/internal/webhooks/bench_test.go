package webhooks

import (
	"strings"
	"testing"

	"github.com/globalautomation/gahost/host/internal/store"
)

func BenchmarkParseAlert(b *testing.B) {
	body := []byte(`{"secret":"gahws_0123456789abcdefghijklmnopqrstuvwxyzABCDEFG","action":"buy","symbol":"BTC/USDT:USDT",` +
		`"type":"limit","quantity":"0.015","price":"61234.5","reduce_only":false,"alert_id":"tv-2026-01-02T03:04:05Z"}`)
	for b.Loop() {
		if _, err := ParseAlert(body, "futures"); err != nil {
			b.Fatal(err)
		}
	}
}

// The two refusals should cost the same but for the token lookup: compare
// their ns/op.
func BenchmarkRefuseUnknownToken(b *testing.B) {
	e := newEnv(b)
	h := e.webhook(NewWebhook{Market: "spot"})
	token := TokenPrefix + strings.Repeat("Q", 43)
	body := []byte(`{"secret":"` + h.secret + `x","action":"close","symbol":"BTC/USDT"}`)
	for b.Loop() {
		if _, err := e.svc.Deliver(e.ctx, token, body); err != ErrUnknownToken {
			b.Fatal(err)
		}
	}
}

func BenchmarkRefuseBadSecret(b *testing.B) {
	e := newEnv(b)
	h := e.webhook(NewWebhook{Market: "spot"})
	body := []byte(`{"secret":"` + h.secret + `x","action":"close","symbol":"BTC/USDT"}`)
	for b.Loop() {
		if _, err := e.svc.Deliver(e.ctx, h.token, body); err != ErrBadSecret {
			b.Fatal(err)
		}
	}
}

// A dry-run delivery: everything but the exchange call, one fsynced write.
func BenchmarkDeliverDryRun(b *testing.B) {
	e := newEnv(b)
	// The same body every time: the replay check is off, or every alert
	// after the first would be a duplicate.
	e.build(Config{RatePerMinute: 1 << 30, ReplayWindow: -1})
	h := e.webhook(NewWebhook{Market: "spot", DryRun: true})
	body := []byte(`{"secret":"` + h.secret + `","action":"buy","symbol":"BTC/USDT","type":"market","quote_quantity":"5"}`)
	for b.Loop() {
		if out, err := e.svc.Deliver(e.ctx, h.token, body); err != nil || out.Delivery.Status != store.DeliveryDryRun {
			b.Fatal(out.Delivery.Status, err)
		}
	}
}
