package pgstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/globalautomation/gahost/host/internal/store"
	"github.com/jackc/pgx/v5"
)

// EditAccounts implements store.Backend. The user's row is locked for the
// transaction, so edits of one user's accounts apply one after the other
// whichever host makes them.
func (s *Store) EditAccounts(ctx context.Context, userID string, fn func(mine []store.Account) (store.AccountChange, error)) error {
	return s.update(ctx, func(tx pgx.Tx) error {
		if err := userExists(ctx, tx, userID, true); err != nil {
			return err
		}
		mine, err := userAccounts(ctx, tx, userID)
		if err != nil {
			return err
		}
		ch, err := fn(mine)
		if err != nil {
			return err
		}
		for _, id := range ch.Delete {
			tag, err := tx.Exec(ctx, `DELETE FROM accounts WHERE id = $1 AND user_id = $2`, id, userID)
			if err != nil {
				return err
			}
			if tag.RowsAffected() == 0 {
				return store.ErrNotFound
			}
		}
		for _, a := range ch.Put {
			if a.UserID != userID || a.ID == "" {
				return fmt.Errorf("edit accounts of %s: account %q belongs to %q", userID, a.ID, a.UserID)
			}
			if err := putAccount(ctx, tx, a); err != nil {
				return err
			}
		}
		return nil
	})
}

// putAccount writes an account and keeps its lease row: an active account
// has one (free until a host claims it), an inactive one none.
func putAccount(ctx context.Context, tx pgx.Tx, a store.Account) error {
	data, err := encode(a)
	if err != nil {
		return err
	}
	tag, err := tx.Exec(ctx, `INSERT INTO accounts (id, user_id, exchange, active, data) VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (id) DO UPDATE SET exchange = excluded.exchange, active = excluded.active, data = excluded.data
WHERE accounts.user_id = excluded.user_id`, a.ID, a.UserID, a.Exchange, a.IsActive, data)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("account %s belongs to another user", a.ID)
	}
	if a.IsActive {
		_, err = tx.Exec(ctx, `INSERT INTO sync_leases (account_id, exchange) VALUES ($1, $2)
ON CONFLICT (account_id) DO UPDATE SET exchange = excluded.exchange`, a.ID, a.Exchange)
	} else {
		_, err = tx.Exec(ctx, `DELETE FROM sync_leases WHERE account_id = $1`, a.ID)
	}
	return err
}

func userAccounts(ctx context.Context, tx pgx.Tx, userID string) ([]store.Account, error) {
	rows, err := tx.Query(ctx, `SELECT data FROM accounts WHERE user_id = $1 ORDER BY id`, userID)
	if err != nil {
		return nil, err
	}
	return scanAll[store.Account](rows)
}

func getAccount(ctx context.Context, tx pgx.Tx, id string, lock bool) (store.Account, error) {
	sql := `SELECT data FROM accounts WHERE id = $1`
	if lock {
		sql += ` FOR UPDATE`
	}
	var raw []byte
	if err := tx.QueryRow(ctx, sql, id).Scan(&raw); err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return store.Account{}, store.ErrNotFound
		}
		return store.Account{}, err
	}
	var a store.Account
	return a, decode(raw, &a)
}

// Account implements store.Backend.
func (s *Store) Account(ctx context.Context, id string) (store.Account, error) {
	var a store.Account
	err := s.view(ctx, func(tx pgx.Tx) error {
		var err error
		a, err = getAccount(ctx, tx, id, false)
		return err
	})
	return a, err
}

func ownedAccount(ctx context.Context, tx pgx.Tx, userID, id string) (store.Account, error) {
	a, err := getAccount(ctx, tx, id, false)
	if err != nil {
		return store.Account{}, err
	}
	if a.UserID != userID {
		return store.Account{}, store.ErrNotFound
	}
	return a, nil
}

// UserAccount implements store.Backend.
func (s *Store) UserAccount(ctx context.Context, userID, id string) (store.Account, error) {
	var a store.Account
	err := s.view(ctx, func(tx pgx.Tx) error {
		var err error
		a, err = ownedAccount(ctx, tx, userID, id)
		return err
	})
	return a, err
}

// ListAccounts implements store.Backend.
func (s *Store) ListAccounts(ctx context.Context, userID string) ([]store.Account, error) {
	var out []store.Account
	err := s.view(ctx, func(tx pgx.Tx) error {
		var err error
		out, err = userAccounts(ctx, tx, userID)
		return err
	})
	return out, err
}

// ListAccountsPage implements store.Backend.
func (s *Store) ListAccountsPage(ctx context.Context, userID, after string, limit int) ([]store.Account, string, error) {
	var (
		out  []store.Account
		next string
	)
	err := s.view(ctx, func(tx pgx.Tx) error {
		out, next = nil, ""
		rows, err := tx.Query(ctx, `SELECT data FROM accounts WHERE user_id = $1 AND id > $2 ORDER BY id LIMIT $3`,
			userID, after, limit+1)
		if err != nil {
			return err
		}
		list, err := scanAll[store.Account](rows)
		if err != nil {
			return err
		}
		if len(list) > limit {
			list = list[:limit]
			next = list[len(list)-1].ID
		}
		out = list
		return nil
	})
	return out, next, err
}

// MainAccount implements store.Backend.
func (s *Store) MainAccount(ctx context.Context, userID string) (store.Account, bool, error) {
	list, err := s.ListAccounts(ctx, userID)
	if err != nil {
		return store.Account{}, false, err
	}
	for _, a := range list {
		if a.IsMain {
			return a, true, nil
		}
	}
	return store.Account{}, false, nil
}

// AllAccounts implements store.Backend.
func (s *Store) AllAccounts(ctx context.Context) ([]store.Account, error) {
	var out []store.Account
	err := s.view(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT data FROM accounts ORDER BY id`)
		if err != nil {
			return err
		}
		out, err = scanAll[store.Account](rows)
		return err
	})
	return out, err
}
