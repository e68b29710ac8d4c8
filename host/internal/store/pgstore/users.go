package pgstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/globalautomation/gahost/host/internal/secrets"
	"github.com/globalautomation/gahost/host/internal/store"
	"github.com/jackc/pgx/v5"
)

// tokenData is the JSON of a token row (the bbolt token record).
type tokenData struct {
	ID        string    `json:"id"`
	UserID    string    `json:"user_id"`
	Kind      string    `json:"kind"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at,omitzero"`
}

func (r tokenData) token() store.Token {
	return store.Token{ID: r.ID, Kind: r.Kind, CreatedAt: r.CreatedAt, ExpiresAt: r.ExpiresAt}
}

// CreateUser implements store.Backend.
func (s *Store) CreateUser(ctx context.Context, in store.NewUser) (store.User, error) {
	var u store.User
	err := s.update(ctx, func(tx pgx.Tx) error {
		var err error
		u, err = createUser(ctx, tx, in, s.now())
		return err
	})
	return u, err
}

// CreateFirstUser implements store.Backend. Concurrent first starts of
// several hosts serialise on an advisory lock, so one user is made.
func (s *Store) CreateFirstUser(ctx context.Context, in store.NewUser) (created bool, u store.User, err error) {
	err = s.update(ctx, func(tx pgx.Tx) error {
		created = false
		if err := lockXact(ctx, tx, lockUsers); err != nil {
			return err
		}
		var any bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM users)`).Scan(&any); err != nil {
			return err
		}
		if any {
			return nil
		}
		var err error
		if u, err = createUser(ctx, tx, in, s.now()); err != nil {
			return err
		}
		created = true
		return nil
	})
	return created, u, err
}

// HasUsers implements store.Backend.
func (s *Store) HasUsers(ctx context.Context) (bool, error) {
	var found bool
	err := s.view(ctx, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM users)`).Scan(&found)
	})
	return found, err
}

func createUser(ctx context.Context, tx pgx.Tx, in store.NewUser, now time.Time) (store.User, error) {
	if in.Username == "" {
		return store.User{}, errors.New("create user: empty username")
	}
	if in.Role != store.RoleAdmin && in.Role != store.RoleUser {
		return store.User{}, fmt.Errorf("create user: unknown role %q", in.Role)
	}
	u := store.User{ID: store.NewID(), Username: in.Username, Role: in.Role, PasswordHash: in.PasswordHash, CreatedAt: now.UTC()}
	if err := insertUser(ctx, tx, u); err != nil {
		return store.User{}, err
	}
	return u, putToken(ctx, tx, in.Token, tokenData{ID: store.NewID(), UserID: u.ID, Kind: store.TokenAPI, CreatedAt: now.UTC()})
}

func insertUser(ctx context.Context, tx pgx.Tx, u store.User) error {
	data, err := encode(u)
	if err != nil {
		return err
	}
	// DO NOTHING rather than an error: a unique violation would abort the
	// caller's transaction, and the name check below says what happened.
	_, err = tx.Exec(ctx, `INSERT INTO users (id, username_key, data) VALUES ($1, $2, $3)
ON CONFLICT (username_key) DO NOTHING`, u.ID, usernameKey(u.Username), data)
	if err != nil {
		return err
	}
	var owner string
	if err := tx.QueryRow(ctx, `SELECT id FROM users WHERE username_key = $1`, usernameKey(u.Username)).Scan(&owner); err != nil {
		return err
	}
	if owner != u.ID {
		return store.ErrUsernameTaken
	}
	return nil
}

func putToken(ctx context.Context, tx pgx.Tx, hash secrets.TokenHash, rec tokenData) error {
	data, err := encode(rec)
	if err != nil {
		return err
	}
	var exp *time.Time
	if !rec.ExpiresAt.IsZero() {
		exp = &rec.ExpiresAt
	}
	_, err = tx.Exec(ctx, `INSERT INTO tokens (hash, id, user_id, expires_at, data) VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (hash) DO UPDATE SET id = excluded.id, user_id = excluded.user_id, expires_at = excluded.expires_at, data = excluded.data`,
		hash[:], rec.ID, rec.UserID, exp, data)
	if isCode(err, codeForeignKey) {
		return store.ErrNotFound
	}
	return err
}

func getUser(ctx context.Context, q pgx.Tx, where string, arg any, lock bool) (store.User, error) {
	sql := `SELECT data FROM users WHERE ` + where
	if lock {
		sql += ` FOR UPDATE`
	}
	var raw []byte
	if err := q.QueryRow(ctx, sql, arg).Scan(&raw); err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return store.User{}, store.ErrNotFound
		}
		return store.User{}, err
	}
	var u store.User
	return u, decode(raw, &u)
}

// User implements store.Backend.
func (s *Store) User(ctx context.Context, id string) (store.User, error) {
	var u store.User
	err := s.view(ctx, func(tx pgx.Tx) error {
		var err error
		u, err = getUser(ctx, tx, `id = $1`, id, false)
		return err
	})
	return u, err
}

// UserByName implements store.Backend.
func (s *Store) UserByName(ctx context.Context, username string) (store.User, error) {
	var u store.User
	err := s.view(ctx, func(tx pgx.Tx) error {
		var err error
		u, err = getUser(ctx, tx, `username_key = $1`, usernameKey(username), false)
		return err
	})
	return u, err
}

func userExists(ctx context.Context, tx pgx.Tx, userID string, lock bool) error {
	sql := `SELECT 1 FROM users WHERE id = $1`
	if lock {
		sql += ` FOR UPDATE`
	}
	var one int
	if err := tx.QueryRow(ctx, sql, userID).Scan(&one); err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return store.ErrNotFound
		}
		return err
	}
	return nil
}

// AddLoginToken implements store.Backend.
func (s *Store) AddLoginToken(ctx context.Context, userID string, hash secrets.TokenHash, expiresAt time.Time) error {
	rec := tokenData{ID: store.NewID(), UserID: userID, Kind: store.TokenLogin, CreatedAt: s.now().UTC(), ExpiresAt: expiresAt.UTC()}
	return s.update(ctx, func(tx pgx.Tx) error {
		if err := userExists(ctx, tx, userID, false); err != nil {
			return err
		}
		return putToken(ctx, tx, hash, rec)
	})
}

// AddAPIToken implements store.Backend.
func (s *Store) AddAPIToken(ctx context.Context, userID string, hash secrets.TokenHash) (string, error) {
	rec := tokenData{ID: store.NewID(), UserID: userID, Kind: store.TokenAPI, CreatedAt: s.now().UTC()}
	err := s.update(ctx, func(tx pgx.Tx) error {
		if err := userExists(ctx, tx, userID, false); err != nil {
			return err
		}
		return putToken(ctx, tx, hash, rec)
	})
	return rec.ID, err
}

// Session implements store.Backend.
func (s *Store) Session(ctx context.Context, hash secrets.TokenHash) (store.User, store.Token, error) {
	var (
		u   store.User
		rec tokenData
	)
	err := s.view(ctx, func(tx pgx.Tx) error {
		var traw, uraw []byte
		err := tx.QueryRow(ctx, `SELECT t.data, u.data FROM tokens t LEFT JOIN users u ON u.id = t.user_id WHERE t.hash = $1`,
			hash[:]).Scan(&traw, &uraw)
		if errors.Is(err, pgx.ErrNoRows) || (err == nil && uraw == nil) {
			return store.ErrInvalidToken
		}
		if err != nil {
			return err
		}
		if err := decode(traw, &rec); err != nil {
			return err
		}
		return decode(uraw, &u)
	})
	return u, rec.token(), err
}

// TokenUser implements store.Backend.
func (s *Store) TokenUser(ctx context.Context, hash secrets.TokenHash) (store.User, time.Time, error) {
	u, t, err := s.Session(ctx, hash)
	return u, t.ExpiresAt, err
}

func userTokens(ctx context.Context, tx pgx.Tx, userID string) (hashes [][]byte, recs []tokenData, err error) {
	rows, err := tx.Query(ctx, `SELECT hash, data FROM tokens WHERE user_id = $1 ORDER BY id`, userID)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var h, raw []byte
		if err := rows.Scan(&h, &raw); err != nil {
			return nil, nil, err
		}
		var rec tokenData
		if err := decode(raw, &rec); err != nil {
			return nil, nil, err
		}
		hashes, recs = append(hashes, h), append(recs, rec)
	}
	return hashes, recs, rows.Err()
}

// ListTokens implements store.Backend.
func (s *Store) ListTokens(ctx context.Context, userID string) ([]store.Token, error) {
	var out []store.Token
	err := s.view(ctx, func(tx pgx.Tx) error {
		out = nil
		_, recs, err := userTokens(ctx, tx, userID)
		for _, r := range recs {
			out = append(out, r.token())
		}
		return err
	})
	return out, err
}

// DeleteTokens implements store.Backend.
func (s *Store) DeleteTokens(ctx context.Context, userID string, drop func(store.Token) bool) (int, error) {
	n := 0
	err := s.update(ctx, func(tx pgx.Tx) error {
		n = 0
		// The user's row lock orders this against other changes of its tokens.
		if err := userExists(ctx, tx, userID, true); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		hashes, recs, err := userTokens(ctx, tx, userID)
		if err != nil {
			return err
		}
		for i, r := range recs {
			if !drop(r.token()) {
				continue
			}
			if _, err := tx.Exec(ctx, `DELETE FROM tokens WHERE hash = $1`, hashes[i]); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	return n, err
}

// ListUsers implements store.Backend.
func (s *Store) ListUsers(ctx context.Context, after string, limit int) ([]store.User, string, error) {
	var (
		out  []store.User
		next string
	)
	err := s.view(ctx, func(tx pgx.Tx) error {
		out, next = nil, ""
		rows, err := tx.Query(ctx, `SELECT data FROM users WHERE id > $1 ORDER BY id LIMIT $2`, after, limit+1)
		if err != nil {
			return err
		}
		list, err := scanAll[store.User](rows)
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

// scanAll decodes the JSON in the single column of rows.
func scanAll[T any](rows pgx.Rows) ([]T, error) {
	defer rows.Close()
	var out []T
	for rows.Next() {
		var raw []byte
		if err := rows.Scan(&raw); err != nil {
			return nil, err
		}
		var v T
		if err := decode(raw, &v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

func otherUsers(ctx context.Context, tx pgx.Tx, skip string) ([]store.User, error) {
	rows, err := tx.Query(ctx, `SELECT data FROM users WHERE id <> $1 ORDER BY id`, skip)
	if err != nil {
		return nil, err
	}
	return scanAll[store.User](rows)
}

// UpdateUser implements store.Backend. Changes of users serialise on an
// advisory lock, as bbolt's writes do, so a rule edit checks over every
// user (an enabled admin must remain) holds across concurrent changes.
func (s *Store) UpdateUser(ctx context.Context, id string, edit func(u *store.User, others []store.User) error) (store.User, error) {
	var u store.User
	err := s.update(ctx, func(tx pgx.Tx) error {
		if err := lockXact(ctx, tx, lockUsers); err != nil {
			return err
		}
		var err error
		if u, err = getUser(ctx, tx, `id = $1`, id, true); err != nil {
			return err
		}
		others, err := otherUsers(ctx, tx, id)
		if err != nil {
			return err
		}
		name := u.Username
		if err := edit(&u, others); err != nil {
			return err
		}
		u.ID, u.Username = id, name
		data, err := encode(u)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE users SET data = $2 WHERE id = $1`, id, data)
		return err
	})
	return u, err
}

// DeleteUser implements store.Backend: the user's tokens, accounts (with
// snapshots, history and leases), webhooks and deliveries go by the
// foreign keys' cascades, in the same transaction.
func (s *Store) DeleteUser(ctx context.Context, id string, check func(u store.User, others []store.User) error) ([]string, error) {
	var gone []string
	err := s.update(ctx, func(tx pgx.Tx) error {
		gone = nil
		if err := lockXact(ctx, tx, lockUsers); err != nil {
			return err
		}
		u, err := getUser(ctx, tx, `id = $1`, id, true)
		if err != nil {
			return err
		}
		others, err := otherUsers(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := check(u, others); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT id FROM accounts WHERE user_id = $1 ORDER BY id`, id)
		if err != nil {
			return err
		}
		gone, err = pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `DELETE FROM users WHERE id = $1`, id)
		return err
	})
	return gone, err
}

// PruneTokens implements store.Backend.
func (s *Store) PruneTokens(ctx context.Context, now time.Time) (int, error) {
	n := 0
	err := s.update(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM tokens WHERE expires_at IS NOT NULL AND expires_at <= $1`, now)
		n = int(tag.RowsAffected())
		return err
	})
	return n, err
}
