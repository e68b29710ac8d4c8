package pgstore

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/globalautomation/gahost/host/internal/secrets"
	"github.com/globalautomation/gahost/host/internal/store"
	"github.com/jackc/pgx/v5"
)

// pendingKept is how long pruning spares a pending delivery (as in bbolt).
const pendingKept = time.Hour

// CreateWebhook implements store.Backend.
func (s *Store) CreateWebhook(ctx context.Context, w store.Webhook) error {
	return s.CreateWebhookWithin(ctx, w, 0)
}

// CreateWebhookWithin implements store.Backend. The user's row is locked,
// so two creations racing for the last place cannot both take it.
func (s *Store) CreateWebhookWithin(ctx context.Context, w store.Webhook, max int) error {
	return s.update(ctx, func(tx pgx.Tx) error {
		if err := userExists(ctx, tx, w.UserID, true); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return store.ErrAccountNotFound
			}
			return err
		}
		if _, err := ownedAccount(ctx, tx, w.UserID, w.AccountID); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return store.ErrAccountNotFound
			}
			return err
		}
		if max > 0 {
			var n int
			if err := tx.QueryRow(ctx, `SELECT count(*) FROM webhooks WHERE user_id = $1`, w.UserID).Scan(&n); err != nil {
				return err
			}
			if n >= max {
				return fmt.Errorf("%w: a user may have at most %d webhooks", store.ErrQuota, max)
			}
		}
		return putWebhook(ctx, tx, w)
	})
}

func putWebhook(ctx context.Context, tx pgx.Tx, w store.Webhook) error {
	data, err := encode(w)
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `INSERT INTO webhooks (id, user_id, account_id, token_hash, data) VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (id) DO UPDATE SET account_id = excluded.account_id, token_hash = excluded.token_hash, data = excluded.data`,
		w.ID, w.UserID, w.AccountID, w.TokenHash, data)
	if isCode(err, codeUnique) {
		// 256 random bits never collide; a hit means a corrupt index.
		return errors.New("webhook token index already holds this token")
	}
	return err
}

func getWebhook(ctx context.Context, tx pgx.Tx, where string, arg any, lock bool) (store.Webhook, error) {
	sql := `SELECT data FROM webhooks WHERE ` + where
	if lock {
		sql += ` FOR UPDATE`
	}
	var raw []byte
	if err := tx.QueryRow(ctx, sql, arg).Scan(&raw); err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return store.Webhook{}, store.ErrNotFound
		}
		return store.Webhook{}, err
	}
	var w store.Webhook
	return w, decode(raw, &w)
}

func ownedWebhook(ctx context.Context, tx pgx.Tx, userID, id string, lock bool) (store.Webhook, error) {
	w, err := getWebhook(ctx, tx, `id = $1`, id, lock)
	if err != nil {
		return store.Webhook{}, err
	}
	if w.UserID != userID {
		return store.Webhook{}, store.ErrNotFound
	}
	return w, nil
}

// UserWebhook implements store.Backend.
func (s *Store) UserWebhook(ctx context.Context, userID, id string) (store.Webhook, error) {
	var w store.Webhook
	err := s.view(ctx, func(tx pgx.Tx) error {
		var err error
		w, err = ownedWebhook(ctx, tx, userID, id, false)
		return err
	})
	return w, err
}

// ListWebhooks implements store.Backend.
func (s *Store) ListWebhooks(ctx context.Context, userID string) ([]store.Webhook, error) {
	var out []store.Webhook
	err := s.view(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT data FROM webhooks WHERE user_id = $1 ORDER BY id`, userID)
		if err != nil {
			return err
		}
		out, err = scanAll[store.Webhook](rows)
		return err
	})
	return out, err
}

// WebhookByTokenHash implements store.Backend.
func (s *Store) WebhookByTokenHash(ctx context.Context, hash secrets.TokenHash) (store.Webhook, error) {
	var w store.Webhook
	err := s.view(ctx, func(tx pgx.Tx) error {
		var err error
		w, err = getWebhook(ctx, tx, `token_hash = $1`, hash[:], false)
		return err
	})
	return w, err
}

// UpdateWebhook implements store.Backend.
func (s *Store) UpdateWebhook(ctx context.Context, userID, id string, edit func(*store.Webhook) error) (store.Webhook, error) {
	now := s.now().UTC()
	var w store.Webhook
	err := s.update(ctx, func(tx pgx.Tx) error {
		old, err := ownedWebhook(ctx, tx, userID, id, true)
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
			if _, err := ownedAccount(ctx, tx, userID, w.AccountID); err != nil {
				if errors.Is(err, store.ErrNotFound) {
					return store.ErrAccountNotFound
				}
				return err
			}
		}
		return putWebhook(ctx, tx, w)
	})
	if err != nil {
		return store.Webhook{}, err
	}
	return w, nil
}

// DeleteWebhook implements store.Backend; its deliveries and alert claims
// go by cascade.
func (s *Store) DeleteWebhook(ctx context.Context, userID, id string) error {
	return s.update(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM webhooks WHERE id = $1 AND user_id = $2`, id, userID)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return store.ErrNotFound
		}
		return nil
	})
}

// RecordDelivery implements store.Backend. The claim of an alert id is an
// insert into webhook_alerts, whose primary key admits one row per alert
// id of a webhook: of two hosts recording the same alert at once, the
// second waits for the first's transaction and then finds its claim.
func (s *Store) RecordDelivery(ctx context.Context, d store.Delivery) (stored store.Delivery, first *store.Delivery, err error) {
	if err := ctx.Err(); err != nil {
		return store.Delivery{}, nil, err
	}
	if d.ID == "" {
		d.ID = store.NewID()
	}
	if d.ReceivedAt.IsZero() {
		d.ReceivedAt = s.now()
	}
	d.ReceivedAt = d.ReceivedAt.UTC()
	err = s.update(ctx, func(tx pgx.Tx) error {
		stored, first = d, nil
		// FOR SHARE: a deletion of the webhook waits for this delivery,
		// then takes it along.
		var one int
		if err := tx.QueryRow(ctx, `SELECT 1 FROM webhooks WHERE id = $1 FOR SHARE`, d.WebhookID).Scan(&one); err != nil {
			if errors.Is(err, pgx.ErrNoRows) {
				return store.ErrNotFound
			}
			return err
		}
		if d.AlertID != "" && d.Status != store.DeliveryTest {
			tag, err := tx.Exec(ctx, `INSERT INTO webhook_alerts (webhook_id, alert_id, received_ns, delivery_id)
VALUES ($1, $2, $3, $4) ON CONFLICT (webhook_id, alert_id) DO NOTHING`, d.WebhookID, d.AlertID, nanos(d.ReceivedAt), d.ID)
			if err != nil {
				return err
			}
			if tag.RowsAffected() == 0 {
				var raw []byte
				err := tx.QueryRow(ctx, `SELECT dl.data FROM webhook_alerts a
JOIN deliveries dl ON dl.webhook_id = a.webhook_id AND dl.received_ns = a.received_ns AND dl.id = a.delivery_id
WHERE a.webhook_id = $1 AND a.alert_id = $2`, d.WebhookID, d.AlertID).Scan(&raw)
				if err != nil {
					return fmt.Errorf("alert id claim points at a missing delivery: %w", err)
				}
				var f store.Delivery
				if err := decode(raw, &f); err != nil {
					return err
				}
				first = &f
				stored.Status, stored.Order, stored.DuplicateOf = store.DeliveryDuplicate, nil, f.ID
				stored.ErrorCode, stored.ErrorMessage = "", ""
				if stored.FinishedAt.IsZero() {
					stored.FinishedAt = d.ReceivedAt
				}
			}
		}
		if err := insertDelivery(ctx, tx, stored); err != nil {
			return err
		}
		return pruneDeliveries(ctx, tx, d.WebhookID, d.ReceivedAt)
	})
	if err != nil {
		return store.Delivery{}, nil, err
	}
	return stored, first, nil
}

func insertDelivery(ctx context.Context, tx pgx.Tx, d store.Delivery) error {
	data, err := encode(d)
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `INSERT INTO deliveries (webhook_id, received_ns, id, data) VALUES ($1, $2, $3, $4)
ON CONFLICT (webhook_id, received_ns, id) DO UPDATE SET data = excluded.data`, d.WebhookID, nanos(d.ReceivedAt), d.ID, data)
	return err
}

// pruneDeliveries keeps the newest MaxDeliveries deliveries of a webhook,
// sparing recently pending ones; a claim goes with its delivery (cascade).
func pruneDeliveries(ctx context.Context, tx pgx.Tx, webhookID string, now time.Time) error {
	var n int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM deliveries WHERE webhook_id = $1`, webhookID).Scan(&n); err != nil {
		return err
	}
	excess := n - store.MaxDeliveries
	if excess <= 0 {
		return nil
	}
	rows, err := tx.Query(ctx, `SELECT received_ns, id, data FROM deliveries WHERE webhook_id = $1
ORDER BY received_ns, id`, webhookID)
	if err != nil {
		return err
	}
	type victim struct {
		ns int64
		id string
	}
	var drop []victim
	for rows.Next() && len(drop) < excess {
		var v victim
		var raw []byte
		if err := rows.Scan(&v.ns, &v.id, &raw); err != nil {
			rows.Close()
			return err
		}
		var d store.Delivery
		if err := decode(raw, &d); err != nil {
			rows.Close()
			return err
		}
		if d.Status == store.DeliveryPending && now.Sub(d.ReceivedAt) < pendingKept {
			continue
		}
		drop = append(drop, v)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, v := range drop {
		if _, err := tx.Exec(ctx, `DELETE FROM deliveries WHERE webhook_id = $1 AND received_ns = $2 AND id = $3`,
			webhookID, v.ns, v.id); err != nil {
			return err
		}
	}
	return nil
}

// FinishDelivery implements store.Backend.
func (s *Store) FinishDelivery(ctx context.Context, d store.Delivery) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	data, err := encode(d)
	if err != nil {
		return err
	}
	return s.update(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE deliveries SET data = $4 WHERE webhook_id = $1 AND received_ns = $2 AND id = $3`,
			d.WebhookID, nanos(d.ReceivedAt.UTC()), d.ID, data)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return store.ErrNotFound
		}
		return nil
	})
}

// ListDeliveries implements store.Backend.
func (s *Store) ListDeliveries(ctx context.Context, userID, webhookID string, limit int) ([]store.Delivery, error) {
	var out []store.Delivery
	err := s.view(ctx, func(tx pgx.Tx) error {
		if _, err := ownedWebhook(ctx, tx, userID, webhookID, false); err != nil {
			return err
		}
		var lim *int
		if limit > 0 {
			lim = &limit
		}
		rows, err := tx.Query(ctx, `SELECT data FROM deliveries WHERE webhook_id = $1
ORDER BY received_ns DESC, id DESC LIMIT $2`, webhookID, lim)
		if err != nil {
			return err
		}
		out, err = scanAll[store.Delivery](rows)
		return err
	})
	return out, err
}

// cursorOf is a delivery's place in its webhook's order, as bbolt's
// cursors encode it (big-endian unix nanos, then the id), so a cursor
// means the same to both backends.
func cursorOf(d store.Delivery) string {
	raw := binary.BigEndian.AppendUint64(nil, uint64(d.ReceivedAt.UnixNano()))
	return base64.RawURLEncoding.EncodeToString(append(raw, d.ID...))
}

// DeliveryPage implements store.Backend.
func (s *Store) DeliveryPage(ctx context.Context, userID, webhookID string, q store.DeliveryQuery) ([]store.Delivery, string, error) {
	var (
		beforeNS *int64
		beforeID string
	)
	if q.Cursor != "" {
		raw, err := base64.RawURLEncoding.DecodeString(q.Cursor)
		if err != nil || len(raw) <= 8 {
			return nil, "", store.ErrBadCursor
		}
		ns := int64(binary.BigEndian.Uint64(raw[:8]))
		beforeNS, beforeID = &ns, string(raw[8:])
	}
	var out []store.Delivery
	var next string
	err := s.view(ctx, func(tx pgx.Tx) error {
		out, next = nil, ""
		if _, err := ownedWebhook(ctx, tx, userID, webhookID, false); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT data FROM deliveries WHERE webhook_id = $1
AND ($2::bigint IS NULL OR (received_ns, id) < ($2, $3::text COLLATE "C"))
ORDER BY received_ns DESC, id DESC`, webhookID, beforeNS, beforeID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var raw []byte
			if err := rows.Scan(&raw); err != nil {
				return err
			}
			var d store.Delivery
			if err := decode(raw, &d); err != nil {
				return err
			}
			if q.Match != nil && !q.Match(d) {
				continue
			}
			if q.Limit > 0 && len(out) == q.Limit {
				next = cursorOf(out[len(out)-1])
				break
			}
			out = append(out, d)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, "", err
	}
	return out, next, nil
}

// WebhookDelivery implements store.Backend.
func (s *Store) WebhookDelivery(ctx context.Context, webhookID string, receivedAt time.Time, id string) (store.Delivery, error) {
	var d store.Delivery
	err := s.view(ctx, func(tx pgx.Tx) error {
		var raw []byte
		err := tx.QueryRow(ctx, `SELECT data FROM deliveries WHERE webhook_id = $1 AND received_ns = $2 AND id = $3`,
			webhookID, nanos(receivedAt.UTC()), id).Scan(&raw)
		if errors.Is(err, pgx.ErrNoRows) {
			return store.ErrNotFound
		}
		if err != nil {
			return err
		}
		return decode(raw, &d)
	})
	return d, err
}
