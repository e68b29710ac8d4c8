package webhooks

// The owner's side of webhooks: creating, changing and deleting them, with
// every rule that applies (name, market, allowed symbols, max_notional, the
// bound account) and the minting of their credentials. A webhook's public
// token and its secret are made here, shown once, and handed to the store
// only as the token's hash and the sealed secret.

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/globalautomation/gahost/host/internal/input"
	"github.com/globalautomation/gahost/host/internal/secrets"
	"github.com/globalautomation/gahost/host/internal/store"
	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/redact"
	"github.com/oklog/ulid/v2"
	"github.com/shopspring/decimal"
)

// Prefixes of a webhook's token and secret, so either is recognisable in a
// leaked alert or by secret scanners, and one is not mistaken for the other.
const (
	TokenPrefix  = "gahwh_"
	SecretPrefix = "gahws_"
)

// credentialRandomLen is the length of the base64url text of 32 random
// bytes, the random part of a token or a secret.
const credentialRandomLen = 43

// MaxAllowedSymbols bounds a webhook's symbol list.
const MaxAllowedSymbols = 200

// MaxDeliveries is how many deliveries a webhook keeps (the store drops
// older ones), and so the most a listing can ask for.
const MaxDeliveries = store.MaxDeliveries

var (
	// ErrNotFound: no such webhook for this user.
	ErrNotFound = store.ErrNotFound
	// ErrAccountNotFound: the exchange account named does not exist or is
	// another user's. It matches ErrNotFound too.
	ErrAccountNotFound = store.ErrAccountNotFound
	// ErrQuota: the user has as many webhooks as allowed.
	ErrQuota = store.ErrQuota
)

// Credentials are a webhook's token and secret in plaintext, as they are
// handed out once, at creation or rotation. Empty fields were not
// (re)made.
type Credentials struct {
	Token  string
	Secret string
}

// String never prints the token or the secret.
func (Credentials) String() string { return "webhooks.Credentials{redacted}" }

// GoString keeps %#v from printing them either.
func (c Credentials) GoString() string { return c.String() }

// newCredential returns prefix + 32 random bytes in base64url.
func newCredential(prefix string) (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("new webhook credential: %w", err)
	}
	return prefix + base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// LooksLikeToken reports whether s has the shape of a webhook token, to
// turn garbage away before touching the database.
func LooksLikeToken(s string) bool {
	return strings.HasPrefix(s, TokenPrefix) && len(s) == len(TokenPrefix)+credentialRandomLen
}

// credentialHint shows the prefix and the first and last 4 random
// characters of a token or secret: enough to tell two apart, far too little
// to guess one (over 200 bits stay hidden).
func credentialHint(prefix, v string) string {
	rest := strings.TrimPrefix(v, prefix)
	if len(rest) < 12 {
		return prefix + "…"
	}
	return prefix + rest[:4] + "…" + rest[len(rest)-4:]
}

// mintSecret makes a new secret for webhook id and seals it.
func (s *Service) mintSecret(id string) (plain string, sealed []byte, err error) {
	if plain, err = newCredential(SecretPrefix); err != nil {
		return "", nil, err
	}
	if sealed, err = s.keys.Seal(id, store.FieldWebhookSecret, []byte(plain)); err != nil {
		return "", nil, err
	}
	return plain, sealed, nil
}

// NewWebhook is a webhook to create.
type NewWebhook struct {
	Name           string
	AccountID      string
	Market         string
	AllowedSymbols []string
	// MaxNotional nil means no limit.
	MaxNotional *string
	DryRun      bool
}

// Create checks in and adds it as a webhook of userID, returning it with
// its token and secret, the only time they are shown. It returns
// *input.Error for a bad field, ErrAccountNotFound, and ErrQuota when the
// user has as many webhooks as allowed.
func (s *Service) Create(ctx context.Context, userID string, in NewWebhook) (store.Webhook, Credentials, error) {
	if err := input.Name(in.Name); err != nil {
		return store.Webhook{}, Credentials{}, err
	}
	if in.AccountID == "" {
		return store.Webhook{}, Credentials{}, &input.Error{Code: CodeMissingField, Message: "exchange_account_id is required"}
	}
	if err := checkMarket(in.Market); err != nil {
		return store.Webhook{}, Credentials{}, err
	}
	symbols, err := checkSymbols(in.Market, in.AllowedSymbols)
	if err != nil {
		return store.Webhook{}, Credentials{}, err
	}
	var limit *decimal.Decimal
	if in.MaxNotional != nil {
		if limit, err = checkMaxNotional(*in.MaxNotional); err != nil {
			return store.Webhook{}, Credentials{}, err
		}
	}
	id := ulid.Make().String()
	secret, sealed, err := s.mintSecret(id)
	if err != nil {
		return store.Webhook{}, Credentials{}, err
	}
	token, err := newCredential(TokenPrefix)
	if err != nil {
		return store.Webhook{}, Credentials{}, err
	}
	hash := secrets.HashToken(token)
	now := s.now().UTC()
	w := store.Webhook{
		ID: id, UserID: userID, Name: in.Name, AccountID: in.AccountID, Market: in.Market,
		AllowedSymbols: symbols, MaxNotional: limit, DryRun: in.DryRun,
		TokenHash: hash[:], TokenHint: credentialHint(TokenPrefix, token),
		Secret: sealed, SecretHint: credentialHint(SecretPrefix, secret),
		CreatedAt: now, UpdatedAt: now,
	}
	if err := s.st.CreateWebhookWithin(ctx, w, s.maxWebhooks); err != nil {
		return store.Webhook{}, Credentials{}, err
	}
	s.log.Info("webhook created", "webhook_id", w.ID, "account_id", w.AccountID, "user_id", w.UserID, "dry_run", w.DryRun)
	return w, Credentials{Token: token, Secret: secret}, nil
}

// Get returns a webhook of userID; another user's is ErrNotFound.
func (s *Service) Get(ctx context.Context, userID, id string) (store.Webhook, error) {
	return s.st.UserWebhook(ctx, userID, id)
}

// List returns userID's webhooks, oldest first.
func (s *Service) List(ctx context.Context, userID string) ([]store.Webhook, error) {
	return s.st.ListWebhooks(ctx, userID)
}

// Patch changes the fields that are set.
type Patch struct {
	Name           *string
	AccountID      *string
	Market         *string
	AllowedSymbols *[]string
	// MaxNotional is the max_notional value as the client sent it: a JSON
	// decimal string sets the limit, JSON null removes it, nothing leaves
	// it.
	MaxNotional json.RawMessage
	DryRun      *bool
	// RotateSecret and RotateToken make a new secret or token; the old one
	// stops working when the change commits.
	RotateSecret bool
	RotateToken  bool
}

// symbolsMarketError: the market and the allowed symbols a change leaves
// do not fit together.
type symbolsMarketError struct{ err error }

func (e symbolsMarketError) Error() string { return e.err.Error() }

// Update checks p and applies it to a webhook of userID, returning the
// webhook and any rotated credential (shown this once). It returns
// ErrNotFound, ErrAccountNotFound and *input.Error.
func (s *Service) Update(ctx context.Context, userID, id string, p Patch) (store.Webhook, Credentials, error) {
	cur, err := s.st.UserWebhook(ctx, userID, id)
	if err != nil {
		return store.Webhook{}, Credentials{}, err
	}
	if p.Name != nil {
		if err := input.Name(*p.Name); err != nil {
			return store.Webhook{}, Credentials{}, err
		}
	}
	if p.AccountID != nil && *p.AccountID == "" {
		return store.Webhook{}, Credentials{}, &input.Error{Code: CodeMissingField, Message: "exchange_account_id must not be empty"}
	}
	if p.Market != nil {
		if err := checkMarket(*p.Market); err != nil {
			return store.Webhook{}, Credentials{}, err
		}
	}
	var symbols []string
	if p.AllowedSymbols != nil {
		market := cur.Market
		if p.Market != nil {
			market = *p.Market
		}
		if symbols, err = checkSymbols(market, *p.AllowedSymbols); err != nil {
			return store.Webhook{}, Credentials{}, err
		}
	}
	var (
		limit      *decimal.Decimal
		clearLimit bool
	)
	if len(p.MaxNotional) > 0 {
		var v *string
		if err := json.Unmarshal(p.MaxNotional, &v); err != nil {
			return store.Webhook{}, Credentials{}, &input.Error{Code: CodeInvalidField, Message: `field "max_notional" must be a string or null`}
		}
		if v == nil {
			clearLimit = true
		} else if limit, err = checkMaxNotional(*v); err != nil {
			return store.Webhook{}, Credentials{}, err
		}
	}
	var (
		creds  Credentials
		sealed []byte
		hash   secrets.TokenHash
	)
	if p.RotateSecret {
		if creds.Secret, sealed, err = s.mintSecret(id); err != nil {
			return store.Webhook{}, Credentials{}, err
		}
	}
	if p.RotateToken {
		if creds.Token, err = newCredential(TokenPrefix); err != nil {
			return store.Webhook{}, Credentials{}, err
		}
		hash = secrets.HashToken(creds.Token)
	}
	// A missing account is told before a market and symbols that do not
	// fit; the store checks the account again inside the change.
	if p.AccountID != nil && *p.AccountID != cur.AccountID {
		if _, err := s.st.UserAccount(ctx, userID, *p.AccountID); errors.Is(err, store.ErrNotFound) {
			return store.Webhook{}, Credentials{}, ErrAccountNotFound
		} else if err != nil {
			return store.Webhook{}, Credentials{}, err
		}
	}
	w, err := s.st.UpdateWebhook(ctx, userID, id, func(w *store.Webhook) error {
		if p.Name != nil {
			w.Name = *p.Name
		}
		if p.AccountID != nil {
			w.AccountID = *p.AccountID
		}
		if p.Market != nil {
			w.Market = *p.Market
		}
		if p.AllowedSymbols != nil {
			w.AllowedSymbols = symbols
		}
		if clearLimit {
			w.MaxNotional = nil
		}
		if limit != nil {
			w.MaxNotional = limit
		}
		if p.DryRun != nil {
			w.DryRun = *p.DryRun
		}
		if p.RotateSecret {
			w.Secret, w.SecretHint = sealed, credentialHint(SecretPrefix, creds.Secret)
		}
		if p.RotateToken {
			w.TokenHash, w.TokenHint = hash[:], credentialHint(TokenPrefix, creds.Token)
		}
		// The market and the symbols are judged together as the change
		// leaves them, inside its transaction.
		if err := symbolsFit(w.Market, w.AllowedSymbols); err != nil {
			return symbolsMarketError{err}
		}
		return nil
	})
	var mismatch symbolsMarketError
	if errors.As(err, &mismatch) {
		return store.Webhook{}, Credentials{}, &input.Error{Code: CodeInvalidField,
			Message: mismatch.Error() + "; change allowed_symbols with the market"}
	}
	if err != nil {
		return store.Webhook{}, Credentials{}, err
	}
	if p.RotateSecret || p.RotateToken {
		s.log.Info("webhook credentials rotated", "webhook_id", w.ID, "secret", p.RotateSecret, "token", p.RotateToken)
	}
	return w, creds, nil
}

// Delete removes a webhook of userID with its deliveries; its token stops
// working at once. One already gone is not an error.
func (s *Service) Delete(ctx context.Context, userID, id string) error {
	if err := s.st.DeleteWebhook(ctx, userID, id); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	s.limits.forget(id)
	s.log.Info("webhook deleted", "webhook_id", id, "user_id", userID)
	return nil
}

// Paging of a deliveries listing: ?limit= is 1 to MaxPageLimit, default
// DefaultPageLimit, and ?cursor= continues where a page ended.
const (
	DefaultPageLimit = 100
	MaxPageLimit     = 1000
)

// DeliveryStatuses are the statuses a listing can be filtered by.
var DeliveryStatuses = []string{store.DeliveryPending, store.DeliveryExecuted, store.DeliveryDryRun,
	store.DeliveryRejected, store.DeliveryDuplicate, store.DeliveryFailed, store.DeliveryTest}

// DeliveryLimit reads the ?limit= of a deliveries listing: "" is
// DefaultPageLimit, else a number from 1 to MaxPageLimit.
func DeliveryLimit(s string) (int, error) {
	if s == "" {
		return DefaultPageLimit, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > MaxPageLimit {
		return 0, input.Errorf(CodeInvalidField, "limit must be 1 to %d", MaxPageLimit)
	}
	return n, nil
}

// DeliveryQuery selects a page of a webhook's deliveries.
type DeliveryQuery struct {
	// Limit is the page size; <= 0 means every delivery kept.
	Limit int
	// Cursor is the NextCursor of the page before; "" for the newest.
	Cursor string
	// Status keeps only deliveries in this status (as a reader sees it,
	// see Settled); "" keeps all.
	Status string
}

// ParseDeliveryQuery reads a listing's ?limit=, ?cursor= and ?status=.
func ParseDeliveryQuery(limit, cursor, status string) (DeliveryQuery, error) {
	n, err := DeliveryLimit(limit)
	if err != nil {
		return DeliveryQuery{}, err
	}
	if status != "" && !slices.Contains(DeliveryStatuses, status) {
		return DeliveryQuery{}, input.Errorf(CodeInvalidField, "status must be one of %s",
			strings.Join(DeliveryStatuses, ", "))
	}
	return DeliveryQuery{Limit: n, Cursor: cursor, Status: status}, nil
}

// DeliveryPage returns a page of a webhook's deliveries of userID, newest
// first, each as a reader should see it (Settled), and the cursor of the
// next page ("" on the last). A cursor this listing did not hand out is
// an *input.Error.
func (s *Service) DeliveryPage(ctx context.Context, userID, webhookID string, q DeliveryQuery) ([]store.Delivery, string, error) {
	now := s.now()
	sq := store.DeliveryQuery{Limit: q.Limit, Cursor: q.Cursor}
	if q.Status != "" {
		sq.Match = func(d store.Delivery) bool { return Settled(d, now).Status == q.Status }
	}
	list, next, err := s.st.DeliveryPage(ctx, userID, webhookID, sq)
	if errors.Is(err, store.ErrBadCursor) {
		return nil, "", input.Errorf(CodeInvalidField, "cursor is not one a page of this listing handed out")
	}
	if err != nil {
		return nil, "", err
	}
	for i := range list {
		list[i] = Settled(list[i], now)
	}
	return list, next, nil
}

// Deliveries returns up to limit deliveries of a webhook of userID, newest
// first (limit 0: all it keeps), each as a reader should see it (Settled).
func (s *Service) Deliveries(ctx context.Context, userID, webhookID string, limit int) ([]store.Delivery, error) {
	list, _, err := s.DeliveryPage(ctx, userID, webhookID, DeliveryQuery{Limit: limit})
	return list, err
}

// checkMarket validates a market.
func checkMarket(market string) error {
	switch sdk.Market(market) {
	case sdk.MarketSpot, sdk.MarketFutures:
		return nil
	case "":
		return &input.Error{Code: CodeMissingField, Message: "market is required: spot or futures"}
	}
	return input.Errorf(CodeInvalidField, "market must be spot or futures, not %q", redact.Clip(market, 20))
}

// checkSymbols validates an allowed_symbols list for market and drops
// repeats.
func checkSymbols(market string, list []string) ([]string, error) {
	if len(list) > MaxAllowedSymbols {
		return nil, input.Errorf(CodeInvalidField, "allowed_symbols holds at most %d symbols", MaxAllowedSymbols)
	}
	if err := symbolsFit(market, list); err != nil {
		return nil, &input.Error{Code: CodeInvalidField, Message: err.Error()}
	}
	var out []string
	for _, s := range list {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out, nil
}

func symbolsFit(market string, list []string) error {
	for _, s := range list {
		if err := ValidSymbol(market, s); err != nil {
			return fmt.Errorf("allowed_symbols: %q %s", redact.Clip(s, 40), err)
		}
	}
	return nil
}

// checkMaxNotional parses a max_notional.
func checkMaxNotional(s string) (*decimal.Decimal, error) {
	d, err := ParseAmount(s)
	if err != nil {
		return nil, &input.Error{Code: CodeInvalidField, Message: "max_notional " + err.Error()}
	}
	return &d, nil
}
