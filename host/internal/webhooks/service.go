package webhooks

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/globalautomation/gahost/host/internal/secrets"
	"github.com/globalautomation/gahost/host/internal/store"
	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/redact"
	"github.com/hashicorp/go-hclog"
	"github.com/oklog/ulid/v2"
	"golang.org/x/time/rate"
)

// Exchanges is what the service needs of the plugin catalog.
type Exchanges interface {
	// Exchange returns the client and info of the plugin that serves name;
	// ok is false if no plugin serves it.
	Exchange(name string) (client sdk.Exchange, info sdk.Info, ok bool)
}

// Config is what a Service is built from.
type Config struct {
	Store     store.Backend
	Keys      *secrets.Key
	Exchanges Exchanges
	Logger    hclog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// CallTimeout bounds the order call to the plugin; default 10s, at
	// most MaxCallTimeout.
	CallTimeout time.Duration
	// RatePerMinute is how many alerts a webhook may send a minute, with
	// a burst of as many; default 30.
	RatePerMinute int
	// MaxWebhooks is how many webhooks one user may have; 0 means no limit.
	MaxWebhooks int
	// ReplayWindow is how long the body of an alert without alert_id is
	// remembered, so that the same body again is a duplicate; 0 means
	// DefaultReplayWindow, negative turns the check off.
	ReplayWindow time.Duration
	// AnswerWithin is how long Deliver waits for an order's outcome before
	// it answers with the delivery still pending and lets the order finish
	// in the background; default DefaultAnswerWithin.
	AnswerWithin time.Duration
}

// DefaultAnswerWithin keeps the answer to an alert under the 3 seconds
// TradingView waits before it gives up on a webhook request, with room
// for the rest of the request.
const DefaultAnswerWithin = 2500 * time.Millisecond

// MaxCallTimeout caps Config.CallTimeout, so that a pending delivery older
// than PendingGrace can only be one the daemon stopped on.
const MaxCallTimeout = time.Minute

// PendingGrace is how long a delivery may stay pending before it is shown
// as failed with an unknown outcome (see Settled).
const PendingGrace = 5 * time.Minute

// Errors of Deliver that come without a recorded delivery.
var (
	// ErrUnknownToken: no webhook has this token.
	ErrUnknownToken = errors.New("no such webhook")
	// ErrBadSecret: the alert's secret is not the webhook's.
	ErrBadSecret = errors.New("wrong webhook secret")
	// ErrSecretUnreadable: the webhook's stored secret does not open with
	// the master key (tampered with, or sealed under another key); a new
	// secret (rotation) mends it.
	ErrSecretUnreadable = errors.New("the webhook's stored secret cannot be decrypted")
)

// RateLimitedError: the webhook sent more alerts than its rate allows.
type RateLimitedError struct{ RetryAfter time.Duration }

func (e *RateLimitedError) Error() string {
	return fmt.Sprintf("too many alerts for this webhook; retry after %s", e.RetryAfter)
}

// Outcome is what became of an authenticated alert.
type Outcome struct {
	// Delivery is the recorded delivery; its Status says what happened.
	Delivery store.Delivery
	// First is, for a duplicate, the delivery that claimed the alert id
	// (or, for an alert without one, sent the same body first), when it
	// could be read.
	First *store.Delivery
	// Rejection is why a rejected delivery was turned down.
	Rejection *Rejection
	// Pending is true when the order was still in flight after
	// AnswerWithin: Delivery is pending, and its outcome will be recorded
	// on it when the exchange answers. The order is never sent again.
	Pending bool
}

// Service delivers alerts. It is safe for concurrent use.
type Service struct {
	st          store.Backend
	keys        *secrets.Key
	exchanges   Exchanges
	log         hclog.Logger
	now         func() time.Time
	callTimeout time.Duration
	limits      *limiter
	maxWebhooks int
	replay      *replayGuard // nil when off
	answerIn    time.Duration
	market      *marketData
	// placing counts orders in flight, so Wait can let them finish.
	placing sync.WaitGroup
	// decoy is a sealed secret that an alert for an unknown token is
	// checked against, so that it costs what a real check costs.
	decoy []byte
}

// decoyID has the length of a webhook id, so the decoy's additional data
// is as long as a real one's.
const decoyID = "00000000000000000000000000"

// New builds a Service. It starts nothing.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil || cfg.Keys == nil || cfg.Exchanges == nil {
		return nil, errors.New("webhooks: Store, Keys and Exchanges are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = hclog.NewNullLogger()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.CallTimeout <= 0 {
		cfg.CallTimeout = 10 * time.Second
	}
	cfg.CallTimeout = min(cfg.CallTimeout, MaxCallTimeout)
	if cfg.RatePerMinute <= 0 {
		cfg.RatePerMinute = 30
	}
	if cfg.ReplayWindow == 0 {
		cfg.ReplayWindow = DefaultReplayWindow
	}
	if cfg.AnswerWithin <= 0 {
		cfg.AnswerWithin = DefaultAnswerWithin
	}
	// As long as a real secret; its content does not matter, since a
	// match against it is ignored.
	decoy, err := cfg.Keys.Seal(decoyID, store.FieldWebhookSecret,
		[]byte(SecretPrefix+strings.Repeat("d", credentialRandomLen)))
	if err != nil {
		return nil, fmt.Errorf("webhooks: %w", err)
	}
	return &Service{
		st: cfg.Store, keys: cfg.Keys, exchanges: cfg.Exchanges,
		log: cfg.Logger, now: cfg.Now, callTimeout: cfg.CallTimeout,
		limits: newLimiter(cfg.RatePerMinute),
		replay: newReplayGuard(cfg.ReplayWindow), answerIn: cfg.AnswerWithin, market: newMarketData(cfg.Now),
		decoy: decoy, maxWebhooks: cfg.MaxWebhooks,
	}, nil
}

// Wait returns once every order still in flight has its outcome recorded.
// Each is bounded by CallTimeout; the daemon calls it on shutdown, before
// it stops the plugins those orders go through.
func (s *Service) Wait() { s.placing.Wait() }

// Deliver handles one alert sent to the webhook with token. Without a
// recorded delivery it returns ErrUnknownToken, ErrBadSecret, a
// *RateLimitedError, a *Rejection (a body that is not JSON, so carries no
// secret to check) or an internal error. Otherwise the Outcome says what
// happened, including rejections by validation or limits.
//
// Once the secret matches, the alert is seen through even if ctx is
// cancelled: a caller that hangs up (TradingView waits 3 s) must not cut an
// order half-way or leave it unrecorded. The order call has its own
// deadline, CallTimeout; Deliver waits for it at most AnswerWithin and then
// returns the delivery pending (Outcome.Pending), the order finishing in
// the background.
func (s *Service) Deliver(ctx context.Context, token string, body []byte) (Outcome, error) {
	secret, bodyErr := peekSecret(body)
	w, err := s.webhookByToken(ctx, token)
	if errors.Is(err, store.ErrNotFound) {
		_, _ = s.secretMatches(decoyID, s.decoy, secret)
		return Outcome{}, ErrUnknownToken
	}
	if err != nil {
		return Outcome{}, fmt.Errorf("look up webhook: %w", err)
	}
	if bodyErr != nil {
		return Outcome{}, bodyErr
	}
	ok, err := s.secretMatches(w.ID, w.Secret, secret)
	if err != nil {
		s.log.Error("the webhook's stored secret does not open", "webhook_id", w.ID, "error", err)
		return Outcome{}, fmt.Errorf("webhook %s: %w", w.ID, ErrSecretUnreadable)
	}
	if !ok {
		// No log line of its own: the unknown-token path has none either,
		// and the request log records both answers.
		return Outcome{}, ErrBadSecret
	}
	now := s.now()
	if wait, ok := s.limits.allow(w.ID, now); !ok {
		s.log.Warn("webhook rate limit reached", "webhook_id", w.ID)
		return Outcome{}, &RateLimitedError{RetryAfter: wait}
	}
	d := store.Delivery{ID: ulid.Make().String(), WebhookID: w.ID, ReceivedAt: now.UTC()}
	out, err := s.deliver(ctx, w, d, body)
	if err != nil {
		return Outcome{}, err
	}
	if out.First != nil {
		// The first delivery is shown as a reader sees it.
		first := Settled(*out.First, s.now())
		out.First = &first
	}
	s.logOutcome(out)
	return out, nil
}

// webhookByToken finds the webhook of a public token by the token's hash;
// a string without a token's shape is ErrNotFound without a lookup.
func (s *Service) webhookByToken(ctx context.Context, token string) (store.Webhook, error) {
	if !LooksLikeToken(token) {
		return store.Webhook{}, store.ErrNotFound
	}
	return s.st.WebhookByTokenHash(ctx, secrets.HashToken(token))
}

// secretMatches compares sent with the sealed secret in constant time. The
// hashes make the comparison independent of the lengths too.
func (s *Service) secretMatches(id string, sealed []byte, sent string) (bool, error) {
	plain, err := s.keys.Open(id, store.FieldWebhookSecret, sealed)
	if err != nil {
		return false, err
	}
	want := sha256.Sum256(plain)
	clear(plain)
	got := sha256.Sum256([]byte(sent))
	return subtle.ConstantTimeCompare(want[:], got[:]) == 1, nil
}

// deliver runs an authenticated alert from parsing to the recorded outcome,
// or to its pending order when that takes longer than AnswerWithin.
// Once an alert is authenticated it is seen through even if the caller
// hangs up: from here on ctx's values count, not its cancellation.
func (s *Service) deliver(ctx context.Context, w store.Webhook, d store.Delivery, body []byte) (Outcome, error) {
	// The answer is due AnswerWithin after the alert arrived, whatever the
	// judging (market-data reads included) took.
	started := time.Now()
	ctx = context.WithoutCancel(ctx)
	a, err := ParseAlert(body, w.Market)
	d.AlertID, d.Action, d.Symbol = a.AlertID, a.Action, a.Symbol
	if err != nil {
		rej := &Rejection{Code: CodeInvalidJSON, Message: "the alert could not be read", Invalid: true}
		errors.As(err, &rej)
		return s.reject(ctx, d, rej)
	}
	var claim *replayClaim
	if a.AlertID == "" && s.replay != nil {
		for claim == nil {
			var first *replayEntry
			if claim, first = s.replay.claim(w.ID, body, d.ID, d.ReceivedAt); claim == nil {
				if out, dup, err := s.replayed(ctx, d, first); dup {
					return out, err
				}
			}
		}
	}
	out, job, err := s.prepare(ctx, w, d, a)
	// The body stays claimed only by a delivery that may place an order.
	claim.settle(err == nil && (job != nil || out.Delivery.Status == store.DeliveryDryRun))
	if err != nil || job == nil {
		return out, err
	}

	done := make(chan Outcome, 1)
	s.placing.Add(1)
	go func() {
		defer s.placing.Done()
		res := s.place(ctx, job)
		if d := res.Delivery; d.Status == store.DeliveryFailed && d.ErrorCode != CodeUnknownOutcome {
			claim.forget() // the exchange refused it: no order exists
		}
		done <- res
	}()
	timer := time.NewTimer(max(s.answerIn-time.Since(started), 0))
	defer timer.Stop()
	select {
	case res := <-done:
		return res, nil
	case <-timer.C:
		go func() { s.logOutcome(<-done) }()
		return Outcome{Delivery: job.d, Pending: true}, nil
	}
}

// replayWait bounds how long a copy of a body waits for its first delivery
// to be recorded; that takes one write, so only a stuck disk reaches it.
const replayWait = 5 * time.Second

// replayed records d as a duplicate of first, the delivery that had the
// same body within the replay window, once first is recorded. dup is false
// when first turned out to place nothing and was forgotten: d may go ahead.
func (s *Service) replayed(ctx context.Context, d store.Delivery, first *replayEntry) (out Outcome, dup bool, err error) {
	timer := time.NewTimer(replayWait)
	defer timer.Stop()
	select {
	case <-first.settled:
		if s.replay.isGone(first) {
			return Outcome{}, false, nil
		}
	case <-timer.C:
	}
	d.Status, d.DuplicateOf, d.FinishedAt = store.DeliveryDuplicate, first.deliveryID, d.ReceivedAt
	stored, _, err := s.st.RecordDelivery(ctx, d)
	if err != nil {
		return Outcome{}, true, fmt.Errorf("record delivery: %w", err)
	}
	out = Outcome{Delivery: stored}
	if f, err := s.st.WebhookDelivery(ctx, d.WebhookID, first.receivedAt, first.deliveryID); err == nil {
		out.First = &f
	}
	return out, true, nil
}

// placeJob is an order ready to send for a recorded pending delivery.
type placeJob struct {
	d      store.Delivery
	client sdk.Exchange
	acct   sdk.Account
	req    sdk.OrderRequest
}

// prepare judges a parsed alert against the webhook's owner, account,
// limits and the market, and records the delivery: finished when it goes no
// further (rejected, failed before sending, dry run, duplicate), or pending
// with the job that places its order.
func (s *Service) prepare(ctx context.Context, w store.Webhook, d store.Delivery, a Alert) (Outcome, *placeJob, error) {
	p, err := s.judge(ctx, w, a, ClientOrderID(w.ID, a.AlertID, d.ID), d.ReceivedAt, false)
	if err != nil {
		return Outcome{}, nil, err
	}
	d.Symbol, d.Resolution = p.symbol(a.Symbol), p.Resolution
	if p.Rejection != nil {
		return s.rejectJob(ctx, d, p.Rejection)
	}
	acct, req := p.acct, p.Order
	d.Order = orderRecord(req)

	if w.DryRun {
		d.Status, d.FinishedAt = store.DeliveryDryRun, d.ReceivedAt
		out, err := s.record(ctx, d, nil)
		return out, nil, err
	}
	if !p.served {
		out, err := s.fail(ctx, d, CodeExchangeUnavailable, fmt.Sprintf("no plugin serves %s right now; no order was sent", acct.Exchange))
		return out, nil, err
	}
	creds, err := s.keys.OpenCredentials(acct.ID, acct.Secrets)
	if err != nil {
		s.log.Error("stored credentials do not open", "account_id", acct.ID, "error", err)
		out, err := s.fail(ctx, d, CodeAccountUnreadable,
			"the exchange account's stored keys cannot be decrypted; enter them again. No order was sent")
		return out, nil, err
	}

	d.Status = store.DeliveryPending
	stored, first, err := s.st.RecordDelivery(ctx, d)
	if err != nil {
		return Outcome{}, nil, fmt.Errorf("record delivery: %w", err)
	}
	if first != nil {
		return Outcome{Delivery: stored, First: first}, nil, nil
	}
	return Outcome{}, &placeJob{d: stored, client: p.client, req: req, acct: sdk.Account{APIKey: creds.APIKey,
		SecretKey: creds.SecretKey, Passphrase: creds.Passphrase, Testnet: acct.Testnet}}, nil
}

func (s *Service) rejectJob(ctx context.Context, d store.Delivery, rej *Rejection) (Outcome, *placeJob, error) {
	out, err := s.reject(ctx, d, rej)
	return out, nil, err
}

// place sends the order of a pending delivery and records its outcome. It
// never retries: a second attempt after an unknown outcome could double the
// order. ctx carries no cancellation (see deliver); the call gets its own
// deadline.
func (s *Service) place(ctx context.Context, job *placeJob) Outcome {
	d, acct := job.d, job.acct
	callCtx, cancel := context.WithTimeout(ctx, s.callTimeout)
	placed, err := job.client.PlaceOrder(callCtx, acct, job.req)
	cancel()

	d.FinishedAt = s.now().UTC()
	switch {
	case err == nil && placed.Status == sdk.StatusRejected:
		d.Status, d.ErrorCode = store.DeliveryFailed, CodeOrderRejected
		d.ErrorMessage = "the exchange accepted the request but rejected the order"
		withExchange(d.Order, placed)
	case err == nil:
		d.Status = store.DeliveryExecuted
		withExchange(d.Order, placed)
	default:
		d.Status = store.DeliveryFailed
		d.ErrorCode, d.ErrorMessage = failure(err, acct.APIKey, acct.SecretKey, acct.Passphrase)
		s.log.Warn("webhook order failed", "webhook_id", d.WebhookID, "delivery_id", d.ID,
			"kind", sdk.KindOf(err).String(), "error", redact.Clip(redact.String(err.Error(), acct.APIKey, acct.SecretKey, acct.Passphrase), 300))
	}
	if err := s.st.FinishDelivery(ctx, d); err != nil {
		// The order's fate is known but could not be written: say so
		// loudly, with what is needed to find the order.
		s.log.Error("could not record the outcome of a webhook order", "webhook_id", d.WebhookID,
			"delivery_id", d.ID, "status", d.Status, "client_order_id", d.Order.ClientOrderID, "error", err)
	}
	return Outcome{Delivery: d}
}

// failure turns an order error into a delivery's code and message. Only a
// typed answer that the order was refused proves that no order exists, and
// the catalog's own "no process to call" error, which comes before anything
// is sent. Everything else may have placed the order: a transport error or a
// deadline, an unknown_outcome, and also "unavailable", since the sdk
// reports a plugin that died during the call that way and exchanges answer
// 503 to orders they may have executed.
func failure(err error, creds ...string) (code, message string) {
	var se *sdk.Error
	typed := errors.As(err, &se)
	if !typed && errors.Is(err, sdk.ErrUnavailable) && !errors.Is(err, context.DeadlineExceeded) {
		return CodeExchangeUnavailable, "the exchange's plugin is not running; no order was sent"
	}
	if !typed || se.Kind == sdk.KindUnknown || se.Kind == sdk.KindUnknownOutcome || se.Kind == sdk.KindUnavailable {
		msg := "the exchange did not confirm the order: it may have been placed. " +
			"Check the account on the exchange before sending the alert again; it is not retried"
		if typed && se.Message != "" {
			msg += " (" + redact.Clip(redact.String(se.Message, creds...), 200) + ")"
		}
		return CodeUnknownOutcome, msg
	}
	return se.Kind.String(), redact.Clip(redact.String(se.Error(), creds...), 300)
}

// reject records a delivery turned down before any order was sent.
func (s *Service) reject(ctx context.Context, d store.Delivery, rej *Rejection) (Outcome, error) {
	d.Status, d.ErrorCode, d.ErrorMessage, d.FinishedAt = store.DeliveryRejected, rej.Code, rej.Message, d.ReceivedAt
	d.Order = nil
	return s.record(ctx, d, rej)
}

// fail records a delivery that failed before any order was sent.
func (s *Service) fail(ctx context.Context, d store.Delivery, code, msg string) (Outcome, error) {
	d.Status, d.ErrorCode, d.ErrorMessage, d.FinishedAt = store.DeliveryFailed, code, msg, d.ReceivedAt
	return s.record(ctx, d, nil)
}

// record stores a finished delivery; its alert id may turn it into a
// duplicate, which then carries no rejection.
func (s *Service) record(ctx context.Context, d store.Delivery, rej *Rejection) (Outcome, error) {
	stored, first, err := s.st.RecordDelivery(ctx, d)
	if err != nil {
		return Outcome{}, fmt.Errorf("record delivery: %w", err)
	}
	if first != nil {
		return Outcome{Delivery: stored, First: first}, nil
	}
	return Outcome{Delivery: stored, Rejection: rej}, nil
}

func (s *Service) logOutcome(out Outcome) {
	d := out.Delivery
	args := []any{"webhook_id", d.WebhookID, "delivery_id", d.ID, "status", d.Status}
	if d.ErrorCode != "" {
		args = append(args, "code", d.ErrorCode)
	}
	if d.DuplicateOf != "" {
		args = append(args, "duplicate_of", d.DuplicateOf)
	}
	if d.Order != nil && d.Order.ExchangeOrderID != "" {
		args = append(args, "exchange_order_id", d.Order.ExchangeOrderID)
	}
	if d.ErrorCode == CodeUnknownOutcome {
		s.log.Error("webhook order outcome unknown; it may have been placed and is not retried", args...)
		return
	}
	s.log.Info("webhook delivery", args...)
}

// Settled is d as a reader should see it: a delivery still pending after
// PendingGrace was cut off by a stop of the daemon while its order was in
// flight, so it is shown as failed with an unknown outcome.
func Settled(d store.Delivery, now time.Time) store.Delivery {
	if d.Status == store.DeliveryPending && now.Sub(d.ReceivedAt) > PendingGrace {
		d.Status, d.ErrorCode = store.DeliveryFailed, CodeUnknownOutcome
		d.ErrorMessage = "gahost stopped while this order was being placed: it may have been placed. " +
			"Check the account on the exchange"
	}
	return d
}

// limiter keeps one token bucket per webhook.
type limiter struct {
	every time.Duration
	burst int

	mu  sync.Mutex
	per map[string]*rate.Limiter
}

func newLimiter(perMinute int) *limiter {
	return &limiter{every: time.Minute / time.Duration(perMinute), burst: perMinute, per: map[string]*rate.Limiter{}}
}

// allow takes one alert from id's bucket, or says how long to wait.
func (l *limiter) allow(id string, now time.Time) (time.Duration, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	lim := l.per[id]
	if lim == nil {
		if len(l.per) >= 1024 {
			l.sweep(now)
		}
		lim = rate.NewLimiter(rate.Every(l.every), l.burst)
		l.per[id] = lim
	}
	r := lim.ReserveN(now, 1)
	if wait := r.DelayFrom(now); wait > 0 {
		r.CancelAt(now)
		return wait, false
	}
	return 0, true
}

// sweep drops full buckets: a new one is the same.
func (l *limiter) sweep(now time.Time) {
	for id, lim := range l.per {
		if lim.TokensAt(now) >= float64(l.burst) {
			delete(l.per, id)
		}
	}
}

func (l *limiter) forget(id string) {
	l.mu.Lock()
	delete(l.per, id)
	l.mu.Unlock()
}
