package webhooks

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"slices"
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
	Store     *store.Store
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
}

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
	// First is, for a duplicate, the delivery that claimed the alert id.
	First *store.Delivery
	// Rejection is why a rejected delivery was turned down.
	Rejection *Rejection
}

// Service delivers alerts. It is safe for concurrent use.
type Service struct {
	st          *store.Store
	keys        *secrets.Key
	exchanges   Exchanges
	log         hclog.Logger
	now         func() time.Time
	callTimeout time.Duration
	limits      *limiter
	maxWebhooks int
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
		decoy:  decoy, maxWebhooks: cfg.MaxWebhooks,
	}, nil
}

// Deliver handles one alert sent to the webhook with token. Without a
// recorded delivery it returns ErrUnknownToken, ErrBadSecret, a
// *RateLimitedError, a *Rejection (a body that is not JSON, so carries no
// secret to check) or an internal error. Otherwise the Outcome says what
// happened, including rejections by validation or limits.
//
// Once the secret matches, the alert is seen through even if ctx is
// cancelled: a caller that hangs up (TradingView waits 3 s) must not cut an
// order half-way or leave it unrecorded. The order call has its own
// deadline, CallTimeout.
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

// deliver runs an authenticated alert from parsing to the recorded outcome.
// Once an alert is authenticated it is seen through even if the caller
// hangs up: from here on ctx's values count, not its cancellation.
func (s *Service) deliver(ctx context.Context, w store.Webhook, d store.Delivery, body []byte) (Outcome, error) {
	ctx = context.WithoutCancel(ctx)
	a, err := ParseAlert(body, w.Market)
	d.AlertID, d.Action, d.Symbol = a.AlertID, a.Action, a.Symbol
	if err != nil {
		rej := &Rejection{Code: CodeInvalidJSON, Message: "the alert could not be read", Invalid: true}
		errors.As(err, &rej)
		return s.reject(ctx, d, rej)
	}
	if len(w.AllowedSymbols) > 0 && !slices.Contains(w.AllowedSymbols, a.Symbol) {
		return s.reject(ctx, d, refused(CodeSymbolNotAllowed, "%s is not among this webhook's allowed symbols", a.Symbol))
	}
	acct, err := s.st.Account(ctx, w.AccountID)
	switch {
	case errors.Is(err, store.ErrNotFound) || (err == nil && acct.UserID != w.UserID):
		return s.reject(ctx, d, refused(CodeAccountMissing, "the webhook's exchange account no longer exists"))
	case err != nil:
		return Outcome{}, fmt.Errorf("load account: %w", err)
	case !acct.IsActive:
		return s.reject(ctx, d, refused(CodeAccountInactive, "the webhook's exchange account is deactivated"))
	}
	client, info, ok := s.exchanges.Exchange(acct.Exchange)
	if ok && !info.Has(sdk.CapOrders) {
		return s.reject(ctx, d, refused(CodeOrdersUnsupported, "the %s plugin cannot place orders", acct.Exchange))
	}
	var snap *store.Snapshot
	if v, found, err := s.st.LatestSnapshot(ctx, acct.ID); err != nil {
		return Outcome{}, fmt.Errorf("load snapshot: %w", err)
	} else if found {
		snap = &v
	}
	req, rej := buildOrder(w, a, snap, ClientOrderID(w.ID, a.AlertID, d.ID))
	if rej == nil {
		rej = checkNotional(w, a, req, snap, d.ReceivedAt)
	}
	if rej != nil {
		return s.reject(ctx, d, rej)
	}
	d.Order = orderRecord(req)

	if w.DryRun {
		d.Status, d.FinishedAt = store.DeliveryDryRun, d.ReceivedAt
		return s.record(ctx, d, nil)
	}
	if !ok {
		return s.fail(ctx, d, CodeExchangeUnavailable, fmt.Sprintf("no plugin serves %s right now; no order was sent", acct.Exchange))
	}
	creds, err := s.keys.OpenCredentials(acct.ID, acct.Secrets)
	if err != nil {
		s.log.Error("stored credentials do not open", "account_id", acct.ID, "error", err)
		return s.fail(ctx, d, CodeAccountUnreadable,
			"the exchange account's stored keys cannot be decrypted; enter them again. No order was sent")
	}

	d.Status = store.DeliveryPending
	stored, first, err := s.st.RecordDelivery(ctx, d)
	if err != nil {
		return Outcome{}, fmt.Errorf("record delivery: %w", err)
	}
	if first != nil {
		return Outcome{Delivery: stored, First: first}, nil
	}
	return s.place(ctx, stored, client, sdk.Account{APIKey: creds.APIKey, SecretKey: creds.SecretKey,
		Passphrase: creds.Passphrase, Testnet: acct.Testnet}, req, w)
}

// place sends the order of a pending delivery and records its outcome. It
// never retries: a second attempt after an unknown outcome could double the
// order. ctx carries no cancellation (see deliver); the call gets its own
// deadline.
func (s *Service) place(ctx context.Context, d store.Delivery, client sdk.Exchange, acct sdk.Account,
	req sdk.OrderRequest, w store.Webhook) (Outcome, error) {
	callCtx, cancel := context.WithTimeout(ctx, s.callTimeout)
	placed, err := client.PlaceOrder(callCtx, acct, req)
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
	return Outcome{Delivery: d}, nil
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
