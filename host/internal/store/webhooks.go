package store

// Webhooks: alerts that place orders on an exchange account. The rules
// (validation, limits, minting the token and the secret) are package
// webhooks'; this file keeps what it is given.
//
// Buckets, created by migration 1 -> 2:
//
//	webhooks        webhook id -> webhook JSON (secret sealed, token as a hash)
//	user_webhooks   user id + webhook id -> nothing (a user's webhooks, oldest first)
//	webhook_tokens  SHA-256 of the public token -> webhook id
//	deliveries      webhook id + 8-byte big-endian unix nanos + delivery id -> delivery JSON
//	webhook_alerts  webhook id + alert id -> delivery key of the delivery that claimed it
//
// The public token (the path of /hooks/<token>) arrives as a hash, the key
// of its index. The secret an alert must carry arrives sealed under the
// master key with the webhook id and FieldWebhookSecret as additional data;
// a key rotation reseals it (resealWebhooks).
//
// Idempotency. An alert id is claimed in the same transaction that records
// the delivery carrying it, so of two alerts with one id, however close
// together, exactly one is recorded as the first and the other as its
// duplicate. A claim lives as long as the delivery that made it: a webhook
// keeps its last MaxDeliveries deliveries, and an alert id sent again after
// that many newer deliveries counts as new.
//
// Deleting a webhook deletes its deliveries and claims. Deleting an exchange
// account deletes the webhooks bound to it (see DeleteAccount), so no webhook
// can outlive the account it trades on.

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/globalautomation/gahost/host/internal/secrets"
	"github.com/shopspring/decimal"
	bolt "go.etcd.io/bbolt"
)

var (
	bucketWebhooks     = []byte("webhooks")
	bucketUserWebhooks = []byte("user_webhooks")
	bucketHookTokens   = []byte("webhook_tokens")
	bucketDeliveries   = []byte("deliveries")
	bucketAlertIDs     = []byte("webhook_alerts")
)

// migrateWebhooks is migration 1 -> 2: the webhook buckets.
func migrateWebhooks(tx *bolt.Tx) error {
	for _, b := range [][]byte{bucketWebhooks, bucketUserWebhooks, bucketHookTokens, bucketDeliveries, bucketAlertIDs} {
		if _, err := tx.CreateBucketIfNotExists(b); err != nil {
			return err
		}
	}
	return nil
}

// FieldWebhookSecret is the field name in the additional data of a sealed
// webhook secret.
const FieldWebhookSecret = "webhook_secret"

// MaxDeliveries is how many deliveries a webhook keeps; older ones go.
const MaxDeliveries = 500

// Delivery statuses. Pending is a delivery whose order is being placed; it
// is not in the contract's list because it is normally seen only for the
// length of the exchange call.
const (
	DeliveryPending   = "pending"
	DeliveryExecuted  = "executed"
	DeliveryDryRun    = "dry_run"
	DeliveryRejected  = "rejected"
	DeliveryDuplicate = "duplicate"
	DeliveryFailed    = "failed"
	// DeliveryTest is a delivery made by the owner's test of an alert: it
	// was checked against the account and prices as a real one would be,
	// and placed nothing. It claims no alert id.
	DeliveryTest = "test"
)

// ErrAccountNotFound: a webhook names an exchange account that does not
// exist or belongs to another user. It matches ErrNotFound too.
var ErrAccountNotFound = fmt.Errorf("exchange account %w", ErrNotFound)

// Webhook is an endpoint that turns alerts into orders on one exchange
// account.
type Webhook struct {
	ID             string   `json:"id"`
	UserID         string   `json:"user_id"`
	Name           string   `json:"name"`
	AccountID      string   `json:"exchange_account_id"`
	Market         string   `json:"market"`
	AllowedSymbols []string `json:"allowed_symbols,omitempty"`
	// MaxNotional nil means no limit.
	MaxNotional *decimal.Decimal `json:"max_notional,omitempty"`
	DryRun      bool             `json:"dry_run"`
	// TokenHash is the SHA-256 of the public token, the key of its index.
	TokenHash []byte `json:"token_hash"`
	TokenHint string `json:"token_hint"`
	// Secret is sealed; open it with Key.Open(ID, FieldWebhookSecret, Secret).
	Secret     []byte    `json:"secret"`
	SecretHint string    `json:"secret_hint"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// Delivery is one alert a webhook received and what became of it. It never
// holds the alert's secret.
type Delivery struct {
	ID         string    `json:"id"`
	WebhookID  string    `json:"webhook_id"`
	ReceivedAt time.Time `json:"received_at"`
	FinishedAt time.Time `json:"finished_at,omitzero"`
	Status     string    `json:"status"`
	AlertID    string    `json:"alert_id,omitempty"`
	Action     string    `json:"action,omitempty"`
	Symbol     string    `json:"symbol,omitempty"`
	// Order is the order placed, or for dry_run the one that would have
	// been placed; for a duplicate it is nil (see DuplicateOf).
	Order        *DeliveryOrder `json:"order,omitempty"`
	ErrorCode    string         `json:"error_code,omitempty"`
	ErrorMessage string         `json:"error_message,omitempty"`
	// DuplicateOf is the id of the delivery that claimed the alert id first.
	DuplicateOf string `json:"duplicate_of,omitempty"`
	// Resolution is how the alert's ticker became Symbol; nil for a
	// delivery that got no further than reading the alert.
	Resolution *SymbolResolution `json:"resolution,omitempty"`
	// Checks are the limits and rules the order was judged by, in order,
	// for a test delivery (where every check is run and shown).
	Checks []DeliveryCheck `json:"checks,omitempty"`
}

// SymbolResolution is how an alert's ticker was matched to an instrument
// of the exchange.
type SymbolResolution struct {
	// Ticker is the symbol as the alert sent it ("BINANCE:BTCUSDT.P").
	Ticker string `json:"ticker"`
	// Symbol is the unified symbol it stands for ("BTC/USDT:USDT").
	Symbol string `json:"symbol"`
	// Native is the exchange's own name of the instrument, when the
	// instrument list was read.
	Native string `json:"native,omitempty"`
	// Method says how the match was made (see package webhooks).
	Method string `json:"method"`
}

// DeliveryCheck is one rule an order was checked against.
type DeliveryCheck struct {
	Name   string `json:"name"`
	Passed bool   `json:"passed"`
	// Code is the rejection code the check gives when it fails.
	Code   string `json:"code,omitempty"`
	Detail string `json:"detail"`
}

// DeliveryOrder is an order as the webhook asked for it and, once placed,
// as the exchange reported it.
type DeliveryOrder struct {
	ClientOrderID string           `json:"client_order_id"`
	Market        string           `json:"market"`
	Symbol        string           `json:"symbol"`
	Side          string           `json:"side"`
	Type          string           `json:"type"`
	Quantity      *decimal.Decimal `json:"quantity,omitempty"`
	QuoteQuantity *decimal.Decimal `json:"quote_quantity,omitempty"`
	Price         *decimal.Decimal `json:"price,omitempty"`
	ReduceOnly    bool             `json:"reduce_only"`
	// Filled in from the exchange's answer.
	ExchangeOrderID string           `json:"exchange_order_id,omitempty"`
	ExchangeStatus  string           `json:"exchange_status,omitempty"`
	FilledQuantity  *decimal.Decimal `json:"filled_quantity,omitempty"`
	AveragePrice    *decimal.Decimal `json:"average_price,omitempty"`
}

func userWebhookKey(userID, webhookID string) []byte { return append([]byte(userID), webhookID...) }

// deliveryKey is the webhook id, the big-endian unix nanos and the delivery
// id: byte order is time order within a webhook, and two deliveries in the
// same nanosecond still get two keys.
func deliveryKey(webhookID string, at time.Time, id string) []byte {
	k := binary.BigEndian.AppendUint64([]byte(webhookID), uint64(at.UnixNano()))
	return append(k, id...)
}

// alertKey needs no separator: webhook ids are fixed-length ULIDs.
func alertKey(webhookID, alertID string) []byte { return append([]byte(webhookID), alertID...) }

// CreateWebhook adds w, made whole by the caller (id, token hash, sealed
// secret, hints, times). Its account must be one of w.UserID's, else
// ErrAccountNotFound.
func (s *Store) CreateWebhook(ctx context.Context, w Webhook) error {
	return s.CreateWebhookWithin(ctx, w, 0)
}

// CreateWebhookWithin is CreateWebhook that refuses, with an error
// wrapping ErrQuota, a webhook beyond max of its user's (0: no limit). The
// count and the write are one transaction.
func (s *Store) CreateWebhookWithin(ctx context.Context, w Webhook, max int) error {
	return s.update(ctx, func(tx *bolt.Tx) error {
		if _, err := ownedAccount(tx, w.UserID, w.AccountID); err != nil {
			if errors.Is(err, ErrNotFound) {
				return ErrAccountNotFound
			}
			return err
		}
		if max > 0 {
			n, prefix := 0, []byte(w.UserID)
			c := tx.Bucket(bucketUserWebhooks).Cursor()
			for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix) && n < max; k, _ = c.Next() {
				n++
			}
			if n >= max {
				return fmt.Errorf("%w: a user may have at most %d webhooks", ErrQuota, max)
			}
		}
		return putWebhook(tx, w, nil)
	})
}

// putWebhook writes w and its indexes; oldTokenHash, when set and
// different, is the index entry to drop.
func putWebhook(tx *bolt.Tx, w Webhook, oldTokenHash []byte) error {
	tokens := tx.Bucket(bucketHookTokens)
	if oldTokenHash != nil && !bytes.Equal(oldTokenHash, w.TokenHash) {
		if err := tokens.Delete(oldTokenHash); err != nil {
			return err
		}
	}
	if owner := tokens.Get(w.TokenHash); owner != nil && string(owner) != w.ID {
		// 256 random bits never collide; a hit means a corrupt index.
		return errors.New("webhook token index already holds this token")
	}
	if err := tokens.Put(w.TokenHash, []byte(w.ID)); err != nil {
		return err
	}
	if err := tx.Bucket(bucketUserWebhooks).Put(userWebhookKey(w.UserID, w.ID), nil); err != nil {
		return err
	}
	return putJSON(tx.Bucket(bucketWebhooks), []byte(w.ID), w)
}

func ownedWebhook(tx *bolt.Tx, userID, id string) (Webhook, error) {
	var w Webhook
	if err := getJSON(tx.Bucket(bucketWebhooks), []byte(id), &w); err != nil {
		return Webhook{}, err
	}
	if w.UserID != userID {
		return Webhook{}, ErrNotFound
	}
	return w, nil
}

// UserWebhook returns a webhook of userID; another user's webhook is
// ErrNotFound, the same as one that does not exist.
func (s *Store) UserWebhook(ctx context.Context, userID, id string) (Webhook, error) {
	var w Webhook
	err := s.view(ctx, func(tx *bolt.Tx) error {
		var err error
		w, err = ownedWebhook(tx, userID, id)
		return err
	})
	return w, err
}

// ListWebhooks returns a user's webhooks, oldest first.
func (s *Store) ListWebhooks(ctx context.Context, userID string) ([]Webhook, error) {
	var out []Webhook
	err := s.view(ctx, func(tx *bolt.Tx) error {
		var err error
		out, err = userWebhooks(tx, userID)
		return err
	})
	return out, err
}

func userWebhooks(tx *bolt.Tx, userID string) ([]Webhook, error) {
	var out []Webhook
	prefix := []byte(userID)
	hooks := tx.Bucket(bucketWebhooks)
	c := tx.Bucket(bucketUserWebhooks).Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		var w Webhook
		if err := getJSON(hooks, k[len(prefix):], &w); err != nil {
			return nil, err
		}
		out = append(out, w)
	}
	return out, nil
}

// WebhookByTokenHash returns the webhook whose public token has hash, or
// ErrNotFound.
func (s *Store) WebhookByTokenHash(ctx context.Context, hash secrets.TokenHash) (Webhook, error) {
	var w Webhook
	err := s.view(ctx, func(tx *bolt.Tx) error {
		id := tx.Bucket(bucketHookTokens).Get(hash[:])
		if id == nil {
			return ErrNotFound
		}
		return getJSON(tx.Bucket(bucketWebhooks), id, &w)
	})
	return w, err
}

// UpdateWebhook runs edit on a webhook of userID inside one write
// transaction and stores what edit leaves; an error of edit aborts the
// change and is returned as is. The id and owner cannot change; a new
// account must be one of userID's (else ErrAccountNotFound); a new token
// hash replaces the old one in the index, so the old token stops working
// when the change commits.
func (s *Store) UpdateWebhook(ctx context.Context, userID, id string, edit func(*Webhook) error) (Webhook, error) {
	now := s.now().UTC()
	var w Webhook
	err := s.update(ctx, func(tx *bolt.Tx) error {
		old, err := ownedWebhook(tx, userID, id)
		if err != nil {
			return err
		}
		w = old
		w.AllowedSymbols = slices.Clone(old.AllowedSymbols)
		if err := edit(&w); err != nil {
			return err
		}
		w.ID, w.UserID, w.CreatedAt, w.UpdatedAt = old.ID, old.UserID, old.CreatedAt, now
		if w.AccountID != old.AccountID {
			if _, err := ownedAccount(tx, userID, w.AccountID); err != nil {
				if errors.Is(err, ErrNotFound) {
					return ErrAccountNotFound
				}
				return err
			}
		}
		return putWebhook(tx, w, old.TokenHash)
	})
	if err != nil {
		return Webhook{}, err
	}
	return w, nil
}

// DeleteWebhook removes a webhook of userID with its deliveries and alert
// id claims; its token stops working at once.
func (s *Store) DeleteWebhook(ctx context.Context, userID, id string) error {
	return s.update(ctx, func(tx *bolt.Tx) error {
		w, err := ownedWebhook(tx, userID, id)
		if err != nil {
			return err
		}
		return deleteWebhook(tx, w)
	})
}

func deleteWebhook(tx *bolt.Tx, w Webhook) error {
	if err := tx.Bucket(bucketWebhooks).Delete([]byte(w.ID)); err != nil {
		return err
	}
	if err := tx.Bucket(bucketUserWebhooks).Delete(userWebhookKey(w.UserID, w.ID)); err != nil {
		return err
	}
	tokens := tx.Bucket(bucketHookTokens)
	if owner := tokens.Get(w.TokenHash); owner != nil && string(owner) == w.ID {
		if err := tokens.Delete(w.TokenHash); err != nil {
			return err
		}
	}
	if err := deletePrefix(tx.Bucket(bucketDeliveries), []byte(w.ID)); err != nil {
		return err
	}
	return deletePrefix(tx.Bucket(bucketAlertIDs), []byte(w.ID))
}

// deleteAccountWebhooks deletes the webhooks of userID bound to accountID;
// DeleteAccount calls it in its transaction. A webhook can only be bound to
// an account of its own user, so the user's webhooks are all there is to
// look at.
func deleteAccountWebhooks(tx *bolt.Tx, userID, accountID string) error {
	if tx.Bucket(bucketWebhooks) == nil {
		return nil // a store before migration 2 has none
	}
	list, err := userWebhooks(tx, userID)
	if err != nil {
		return err
	}
	for _, w := range list {
		if w.AccountID != accountID {
			continue
		}
		if err := deleteWebhook(tx, w); err != nil {
			return err
		}
	}
	return nil
}

func deletePrefix(b *bolt.Bucket, prefix []byte) error {
	var keys [][]byte
	c := b.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		keys = append(keys, append([]byte(nil), k...))
	}
	// Deleting while a cursor walks can skip keys, so delete afterwards.
	for _, k := range keys {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// RecordDelivery stores a new delivery of d.WebhookID (an empty ID or
// ReceivedAt is filled in). When d.AlertID is set and an earlier delivery of
// the webhook claimed that alert id, d is stored instead as a duplicate of it
// (status duplicate, no order, DuplicateOf set) and first is that earlier
// delivery; otherwise d claims the alert id in the same transaction and
// first is nil. A webhook deleted meanwhile is ErrNotFound and nothing is
// written. Beyond MaxDeliveries the oldest deliveries that are not pending
// are dropped with their claims.
//
// Each call is its own write transaction, not a db.Batch: an alert waits
// for its order, and Batch would add its collection delay to every alert
// that comes alone. Writes are serialised, so of two calls with one alert
// id exactly one claims it.
func (s *Store) RecordDelivery(ctx context.Context, d Delivery) (stored Delivery, first *Delivery, err error) {
	if err := ctx.Err(); err != nil {
		return Delivery{}, nil, err
	}
	if d.ID == "" {
		d.ID = newID()
	}
	if d.ReceivedAt.IsZero() {
		d.ReceivedAt = s.now()
	}
	d.ReceivedAt = d.ReceivedAt.UTC()
	key := deliveryKey(d.WebhookID, d.ReceivedAt, d.ID)
	err = s.update(ctx, func(tx *bolt.Tx) error {
		stored, first = d, nil
		if tx.Bucket(bucketWebhooks).Get([]byte(d.WebhookID)) == nil {
			return ErrNotFound
		}
		deliveries, claims := tx.Bucket(bucketDeliveries), tx.Bucket(bucketAlertIDs)
		if d.AlertID != "" && d.Status != DeliveryTest {
			ak := alertKey(d.WebhookID, d.AlertID)
			if firstKey := claims.Get(ak); firstKey != nil {
				var f Delivery
				if err := getJSON(deliveries, firstKey, &f); err != nil {
					return fmt.Errorf("alert id claim points at a missing delivery: %w", err)
				}
				first = &f
				stored.Status, stored.Order, stored.DuplicateOf = DeliveryDuplicate, nil, f.ID
				stored.ErrorCode, stored.ErrorMessage = "", ""
				if stored.FinishedAt.IsZero() {
					stored.FinishedAt = d.ReceivedAt
				}
			} else if err := claims.Put(ak, key); err != nil {
				return err
			}
		}
		if err := putJSON(deliveries, key, stored); err != nil {
			return err
		}
		return pruneDeliveries(deliveries, claims, d.WebhookID, d.ReceivedAt)
	})
	if err != nil {
		return Delivery{}, nil, err
	}
	return stored, first, nil
}

// pendingKept is how long a pending delivery is spared by pruning: its order
// may be in flight and its outcome must land somewhere. One older than this
// was cut off by a stop of the daemon and goes like any other.
const pendingKept = time.Hour

// pruneDeliveries keeps the newest MaxDeliveries deliveries of a webhook,
// counting in any recently pending ones, which are spared.
func pruneDeliveries(deliveries, claims *bolt.Bucket, webhookID string, now time.Time) error {
	prefix := []byte(webhookID)
	n := 0
	c := deliveries.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		n++
	}
	excess := n - MaxDeliveries
	if excess <= 0 {
		return nil
	}
	type victim struct{ key, claim []byte }
	var drop []victim
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix) && len(drop) < excess; k, v = c.Next() {
		var d Delivery
		if err := unmarshal(v, &d); err != nil {
			return err
		}
		if d.Status == DeliveryPending && now.Sub(d.ReceivedAt) < pendingKept {
			continue
		}
		vk := victim{key: append([]byte(nil), k...)}
		if d.AlertID != "" && d.Status != DeliveryDuplicate {
			vk.claim = alertKey(webhookID, d.AlertID)
		}
		drop = append(drop, vk)
	}
	for _, v := range drop {
		if err := deliveries.Delete(v.key); err != nil {
			return err
		}
		if v.claim != nil && bytes.Equal(claims.Get(v.claim), v.key) {
			if err := claims.Delete(v.claim); err != nil {
				return err
			}
		}
	}
	return nil
}

// FinishDelivery overwrites a recorded delivery with its outcome. Its
// WebhookID, ReceivedAt and ID must be those RecordDelivery returned. A
// delivery that is gone (its webhook was deleted) is ErrNotFound.
func (s *Store) FinishDelivery(ctx context.Context, d Delivery) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	key := deliveryKey(d.WebhookID, d.ReceivedAt.UTC(), d.ID)
	return s.update(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketDeliveries)
		if b.Get(key) == nil {
			return ErrNotFound
		}
		return putJSON(b, key, d)
	})
}

// ListDeliveries returns up to limit deliveries of a webhook of userID,
// newest first (limit <= 0 means all it keeps). Another user's webhook is
// ErrNotFound.
func (s *Store) ListDeliveries(ctx context.Context, userID, webhookID string, limit int) ([]Delivery, error) {
	var out []Delivery
	err := s.view(ctx, func(tx *bolt.Tx) error {
		out = nil
		if _, err := ownedWebhook(tx, userID, webhookID); err != nil {
			return err
		}
		prefix := []byte(webhookID)
		// The key after every key of the webhook: the prefix with its last
		// byte incremented (ULID characters are never 0xff).
		end := append([]byte(nil), prefix...)
		end[len(end)-1]++
		c := tx.Bucket(bucketDeliveries).Cursor()
		k, _ := c.Seek(end)
		var v []byte
		if k == nil {
			k, v = c.Last()
		} else {
			k, v = c.Prev()
		}
		for ; k != nil && bytes.HasPrefix(k, prefix); k, v = c.Prev() {
			if limit > 0 && len(out) >= limit {
				break
			}
			var d Delivery
			if err := unmarshal(v, &d); err != nil {
				return err
			}
			out = append(out, d)
		}
		return nil
	})
	return out, err
}

// DeliveryQuery selects a page of a webhook's deliveries, newest first.
type DeliveryQuery struct {
	// Limit is the most to return; <= 0 means all that match.
	Limit int
	// Cursor continues after the last delivery of an earlier page (its
	// NextCursor); "" starts with the newest.
	Cursor string
	// Match, when set, keeps only the deliveries it accepts.
	Match func(Delivery) bool
}

// ErrBadCursor: a cursor that no page of this webhook handed out.
var ErrBadCursor = errors.New("invalid cursor")

// DeliveryPage returns the deliveries of a webhook of userID that q
// selects, and the cursor of the next page ("" when this is the last).
// Another user's webhook is ErrNotFound; a malformed cursor ErrBadCursor.
func (s *Store) DeliveryPage(ctx context.Context, userID, webhookID string, q DeliveryQuery) ([]Delivery, string, error) {
	prefix := []byte(webhookID)
	// The key to start below: the cursor's, or the key after every key of
	// the webhook (the prefix with its last byte incremented; ULID
	// characters are never 0xff).
	start := append([]byte(nil), prefix...)
	start[len(start)-1]++
	if q.Cursor != "" {
		raw, err := base64.RawURLEncoding.DecodeString(q.Cursor)
		if err != nil || len(raw) <= 8 {
			return nil, "", ErrBadCursor
		}
		start = append(append([]byte(nil), prefix...), raw...)
	}
	var out []Delivery
	var next string
	err := s.view(ctx, func(tx *bolt.Tx) error {
		out, next = nil, ""
		if _, err := ownedWebhook(tx, userID, webhookID); err != nil {
			return err
		}
		c := tx.Bucket(bucketDeliveries).Cursor()
		var k, v []byte
		if k, _ = c.Seek(start); k == nil {
			k, v = c.Last()
		} else {
			k, v = c.Prev()
		}
		for ; k != nil && bytes.HasPrefix(k, prefix); k, v = c.Prev() {
			var d Delivery
			if err := unmarshal(v, &d); err != nil {
				return err
			}
			if q.Match != nil && !q.Match(d) {
				continue
			}
			if q.Limit > 0 && len(out) == q.Limit {
				// One more matches: the page is full and another follows.
				next = base64.RawURLEncoding.EncodeToString(deliveryKey(webhookID, out[len(out)-1].ReceivedAt,
					out[len(out)-1].ID)[len(prefix):])
				break
			}
			out = append(out, d)
		}
		return nil
	})
	if err != nil {
		return nil, "", err
	}
	return out, next, nil
}

// WebhookDelivery returns one delivery of a webhook by its id and the time
// it was received (its key); ErrNotFound when there is none.
func (s *Store) WebhookDelivery(ctx context.Context, webhookID string, receivedAt time.Time, id string) (Delivery, error) {
	var d Delivery
	err := s.view(ctx, func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketDeliveries).Get(deliveryKey(webhookID, receivedAt.UTC(), id))
		if v == nil {
			return ErrNotFound
		}
		return unmarshal(v, &d)
	})
	return d, err
}

// resealWebhooks moves every webhook secret from old to new inside a key
// rotation's transaction (Reseal calls it). Secrets that do not open with
// old are left as they were and their webhook ids returned.
func resealWebhooks(tx *bolt.Tx, old, new *secrets.Key) (resealed int, unreadable []string, err error) {
	b := tx.Bucket(bucketWebhooks)
	if b == nil {
		return 0, nil, nil
	}
	var updates []Webhook
	err = b.ForEach(func(_, v []byte) error {
		var w Webhook
		if err := unmarshal(v, &w); err != nil {
			return err
		}
		plain, err := old.Open(w.ID, FieldWebhookSecret, w.Secret)
		if err != nil {
			unreadable = append(unreadable, w.ID)
			return nil
		}
		sealed, err := new.Seal(w.ID, FieldWebhookSecret, plain)
		clear(plain)
		if err != nil {
			return err
		}
		w.Secret = sealed
		updates = append(updates, w)
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	// bbolt forbids changing a bucket while iterating it.
	for _, w := range updates {
		if err := putJSON(b, []byte(w.ID), w); err != nil {
			return 0, nil, err
		}
	}
	return len(updates), unreadable, nil
}
