package pgstore

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/globalautomation/gahost/host/internal/store"
	"github.com/jackc/pgx/v5"
)

// Dump implements store.Backend: every record in the order store.Record
// describes, from one snapshot of the database.
func (s *Store) Dump(ctx context.Context, emit func(store.Record) error) error {
	return s.view(ctx, func(tx pgx.Tx) error {
		kc, err := getKeyCheck(ctx, tx)
		if err != nil {
			return err
		}
		if kc != nil {
			if err := emit(store.Record{KeyCheck: kc}); err != nil {
				return err
			}
		}
		each := func(sql string, fn func(rows pgx.Rows) (store.Record, error)) error {
			rows, err := tx.Query(ctx, sql)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				r, err := fn(rows)
				if err != nil {
					return err
				}
				if err := emit(r); err != nil {
					return err
				}
			}
			return rows.Err()
		}
		one := func(mk func(raw []byte) (store.Record, error)) func(pgx.Rows) (store.Record, error) {
			return func(rows pgx.Rows) (store.Record, error) {
				var raw []byte
				if err := rows.Scan(&raw); err != nil {
					return store.Record{}, err
				}
				return mk(raw)
			}
		}
		steps := []struct {
			sql string
			fn  func(pgx.Rows) (store.Record, error)
		}{
			{`SELECT data FROM users ORDER BY id`, one(func(raw []byte) (store.Record, error) {
				var u store.User
				return store.Record{User: &u}, decode(raw, &u)
			})},
			{`SELECT hash, data FROM tokens ORDER BY hash`, func(rows pgx.Rows) (store.Record, error) {
				var hash, raw []byte
				if err := rows.Scan(&hash, &raw); err != nil {
					return store.Record{}, err
				}
				var rec tokenData
				if err := decode(raw, &rec); err != nil {
					return store.Record{}, err
				}
				t := &store.StoredToken{ID: rec.ID, UserID: rec.UserID, Kind: rec.Kind, CreatedAt: rec.CreatedAt, ExpiresAt: rec.ExpiresAt}
				if len(hash) != len(t.Hash) {
					return store.Record{}, fmt.Errorf("token hash has %d bytes", len(hash))
				}
				copy(t.Hash[:], hash)
				return store.Record{Token: t}, nil
			}},
			{`SELECT data FROM accounts ORDER BY id`, one(func(raw []byte) (store.Record, error) {
				var a store.Account
				return store.Record{Account: &a}, decode(raw, &a)
			})},
			{`SELECT data FROM snapshots ORDER BY account_id`, one(func(raw []byte) (store.Record, error) {
				var sn store.Snapshot
				return store.Record{Snapshot: &sn}, decode(raw, &sn)
			})},
			{`SELECT account_id, data FROM history ORDER BY account_id, at_ns`, func(rows pgx.Rows) (store.Record, error) {
				p := &store.StoredPoint{}
				var raw []byte
				if err := rows.Scan(&p.AccountID, &raw); err != nil {
					return store.Record{}, err
				}
				return store.Record{Point: p}, decode(raw, &p.Point)
			}},
			{`SELECT data FROM webhooks ORDER BY id`, one(func(raw []byte) (store.Record, error) {
				var w store.Webhook
				return store.Record{Webhook: &w}, decode(raw, &w)
			})},
			{`SELECT data FROM deliveries ORDER BY webhook_id, received_ns, id`, one(func(raw []byte) (store.Record, error) {
				var d store.Delivery
				return store.Record{Delivery: &d}, decode(raw, &d)
			})},
		}
		for _, st := range steps {
			if err := each(st.sql, st.fn); err != nil {
				return err
			}
		}
		return nil
	})
}

// Load implements store.Backend: into an empty database (else
// store.ErrNotEmpty), in one transaction.
func (s *Store) Load(ctx context.Context, next func() (store.Record, bool, error)) error {
	return s.update(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `LOCK TABLE meta, users, accounts IN EXCLUSIVE MODE`); err != nil {
			return err
		}
		var used bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM users) OR EXISTS (SELECT 1 FROM meta)
OR EXISTS (SELECT 1 FROM accounts)`).Scan(&used); err != nil {
			return err
		}
		if used {
			return store.ErrNotEmpty
		}
		for {
			if err := ctx.Err(); err != nil {
				return err
			}
			r, ok, err := next()
			if err != nil {
				return err
			}
			if !ok {
				return nil
			}
			if err := loadRecord(ctx, tx, r); err != nil {
				return fmt.Errorf("load %s: %w", r.Kind(), err)
			}
		}
	})
}

func loadRecord(ctx context.Context, tx pgx.Tx, r store.Record) error {
	switch {
	case r.KeyCheck != nil:
		return putKeyCheck(ctx, tx, r.KeyCheck)
	case r.User != nil:
		return insertUser(ctx, tx, *r.User)
	case r.Token != nil:
		t := r.Token
		return putToken(ctx, tx, t.Hash, tokenData{ID: t.ID, UserID: t.UserID, Kind: t.Kind, CreatedAt: t.CreatedAt, ExpiresAt: t.ExpiresAt})
	case r.Account != nil:
		return putAccount(ctx, tx, *r.Account)
	case r.Snapshot != nil:
		return putSnapshot(ctx, tx, *r.Snapshot)
	case r.Point != nil:
		p := r.Point.Point
		data, err := encode(p)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO history (account_id, at_ns, data) VALUES ($1, $2, $3)`,
			r.Point.AccountID, nanos(p.At), data)
		return err
	case r.Webhook != nil:
		return putWebhook(ctx, tx, *r.Webhook)
	case r.Delivery != nil:
		d := *r.Delivery
		if err := insertDelivery(ctx, tx, d); err != nil {
			return err
		}
		if store.Claims(d) {
			_, err := tx.Exec(ctx, `INSERT INTO webhook_alerts (webhook_id, alert_id, received_ns, delivery_id)
VALUES ($1, $2, $3, $4) ON CONFLICT (webhook_id, alert_id) DO NOTHING`, d.WebhookID, d.AlertID, nanos(d.ReceivedAt), d.ID)
			return err
		}
		return nil
	}
	return fmt.Errorf("empty record")
}

// WriteBackup implements store.Backend.
func (s *Store) WriteBackup(ctx context.Context, w io.Writer) error {
	return s.BackupTo(ctx, func(int64) (io.Writer, error) { return w, nil })
}

// BackupTo implements store.Backend. The backup is a bbolt database file,
// the same format as a single-machine install's backup: the records of one
// snapshot of this database, dumped into a temporary bbolt file that is
// then streamed. It opens with the master key in use when it was taken,
// and `gahost store migrate` moves it back into PostgreSQL.
func (s *Store) BackupTo(ctx context.Context, start func(size int64) (io.Writer, error)) error {
	dir, err := os.MkdirTemp("", "gahost-backup-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	path := store.Path(dir)
	// NoSync: the file is read once and removed; nothing needs it on disk.
	dst, err := store.Open(ctx, path, store.Options{NoSync: true})
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	_, err = store.Copy(ctx, s, dst)
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	w, err := start(fi.Size())
	if err != nil {
		return err
	}
	_, err = io.Copy(w, f)
	return err
}
