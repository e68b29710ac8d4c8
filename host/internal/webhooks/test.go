package webhooks

// The owner's test of an alert: the alert as TradingView would send it,
// judged exactly as a real one against the account's latest snapshot and
// the current market, every check shown, nothing placed. It is recorded as
// a delivery with status test, which claims no alert id and is never a
// duplicate, so testing an alert never blocks the real one.

import (
	"context"
	"errors"

	"github.com/globalautomation/gahost/host/internal/store"
	"github.com/oklog/ulid/v2"
)

// TestResult is what an alert would do.
type TestResult struct {
	// Delivery is the recorded test delivery: status test, the order that
	// would be sent, the resolution and the checks, and the first failed
	// check's code and message in ErrorCode and ErrorMessage.
	Delivery store.Delivery
	// Alert is the alert as read; Plan is nil when the alert could not be
	// read (Rejection says why).
	Alert     Alert
	Plan      *Plan
	Rejection *Rejection
}

// WouldPlace reports whether a real alert would have sent the order.
func (r TestResult) WouldPlace() bool { return r.Rejection == nil && r.Plan != nil && r.Plan.Built }

// Test judges body, an alert, for a webhook of userID as a real delivery
// would, without placing anything. Its secret, if any, is ignored: the
// owner is authenticated. It returns ErrNotFound for another user's
// webhook and a *Rejection for a body that is not a JSON object.
func (s *Service) Test(ctx context.Context, userID, webhookID string, body []byte) (TestResult, error) {
	w, err := s.st.UserWebhook(ctx, userID, webhookID)
	if err != nil {
		return TestResult{}, err
	}
	if _, err := peekSecret(body); err != nil {
		return TestResult{}, err
	}
	now := s.now()
	d := store.Delivery{ID: ulid.Make().String(), WebhookID: w.ID, ReceivedAt: now.UTC(), Status: store.DeliveryTest,
		FinishedAt: now.UTC()}
	a, err := ParseAlert(body, w.Market)
	d.AlertID, d.Action, d.Symbol = a.AlertID, a.Action, a.Symbol
	res := TestResult{Alert: a}
	if err != nil {
		rej := &Rejection{Code: CodeInvalidJSON, Message: "the alert could not be read", Invalid: true}
		errors.As(err, &rej)
		res.Rejection = rej
	} else {
		p, err := s.judge(ctx, w, a, ClientOrderID(w.ID, a.AlertID, d.ID), now, true)
		if err != nil {
			return TestResult{}, err
		}
		res.Plan, res.Rejection = p, p.Rejection
		d.Symbol, d.Resolution, d.Checks = p.symbol(a.Symbol), p.Resolution, p.Checks
		if p.Built {
			d.Order = orderRecord(p.Order)
		}
	}
	if res.Rejection != nil {
		d.ErrorCode, d.ErrorMessage = res.Rejection.Code, res.Rejection.Message
	}
	stored, _, err := s.st.RecordDelivery(ctx, d)
	if err != nil {
		return TestResult{}, err
	}
	res.Delivery = stored
	s.log.Info("webhook test", "webhook_id", w.ID, "delivery_id", d.ID, "would_place", res.WouldPlace(),
		"code", d.ErrorCode)
	return res, nil
}
