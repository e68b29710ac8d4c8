package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/globalautomation/gahost/host/internal/secrets"
	bolt "go.etcd.io/bbolt"
)

// Roles.
const (
	RoleAdmin = "admin"
	RoleUser  = "user"
)

// Token kinds: an API token (from user creation) never expires; a login
// token does.
const (
	TokenAPI   = "api"
	TokenLogin = "login"
)

// User is an account holder of the API.
type User struct {
	ID       string `json:"id"`
	Username string `json:"username"`
	Role     string `json:"role"`
	// PasswordHash is an argon2id hash; empty means login by password is
	// impossible (token only).
	PasswordHash string    `json:"password_hash,omitempty"`
	CreatedAt    time.Time `json:"created_at"`
}

// IsAdmin reports whether u has the admin role.
func (u User) IsAdmin() bool { return u.Role == RoleAdmin }

type tokenRecord struct {
	UserID    string    `json:"user_id"`
	Kind      string    `json:"kind"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at,omitzero"`
}

// NewUser is the input of CreateUser: a user and the hash of its API
// token, both made by the caller.
type NewUser struct {
	Username     string
	Role         string
	PasswordHash string
	Token        secrets.TokenHash
}

func usernameKey(name string) []byte { return []byte(strings.ToLower(name)) }

func unmarshal(raw []byte, v any) error {
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("decode record: %w", err)
	}
	return nil
}

// CreateUser adds a user and its API token (which never expires).
// Usernames are unique regardless of case: a taken one is ErrUsernameTaken.
func (s *Store) CreateUser(ctx context.Context, in NewUser) (User, error) {
	var u User
	err := s.update(ctx, func(tx *bolt.Tx) error {
		var err error
		u, err = createUser(tx, in, s.now())
		return err
	})
	return u, err
}

// CreateFirstUser adds in as CreateUser does, but only to a store that has
// no user yet; created says whether it did. The check and the write are one
// transaction, so of two first starts only one user is made.
func (s *Store) CreateFirstUser(ctx context.Context, in NewUser) (created bool, u User, err error) {
	err = s.update(ctx, func(tx *bolt.Tx) error {
		created = false
		if k, _ := tx.Bucket(bucketUsers).Cursor().First(); k != nil {
			return nil
		}
		var err error
		if u, err = createUser(tx, in, s.now()); err != nil {
			return err
		}
		created = true
		return nil
	})
	return created, u, err
}

// HasUsers reports whether the store holds any user.
func (s *Store) HasUsers(ctx context.Context) (bool, error) {
	found := false
	err := s.view(ctx, func(tx *bolt.Tx) error {
		k, _ := tx.Bucket(bucketUsers).Cursor().First()
		found = k != nil
		return nil
	})
	return found, err
}

func createUser(tx *bolt.Tx, in NewUser, now time.Time) (User, error) {
	if in.Username == "" {
		return User{}, errors.New("create user: empty username")
	}
	if in.Role != RoleAdmin && in.Role != RoleUser {
		return User{}, fmt.Errorf("create user: unknown role %q", in.Role)
	}
	names := tx.Bucket(bucketUsernames)
	if names.Get(usernameKey(in.Username)) != nil {
		return User{}, ErrUsernameTaken
	}
	u := User{ID: newID(), Username: in.Username, Role: in.Role, PasswordHash: in.PasswordHash, CreatedAt: now.UTC()}
	if err := putJSON(tx.Bucket(bucketUsers), []byte(u.ID), u); err != nil {
		return User{}, err
	}
	if err := names.Put(usernameKey(in.Username), []byte(u.ID)); err != nil {
		return User{}, err
	}
	return u, putJSON(tx.Bucket(bucketTokens), in.Token[:], tokenRecord{UserID: u.ID, Kind: TokenAPI, CreatedAt: now.UTC()})
}

// User returns a user by id.
func (s *Store) User(ctx context.Context, id string) (User, error) {
	var u User
	err := s.view(ctx, func(tx *bolt.Tx) error { return getJSON(tx.Bucket(bucketUsers), []byte(id), &u) })
	return u, err
}

// UserByName returns a user by username (any case).
func (s *Store) UserByName(ctx context.Context, username string) (User, error) {
	var u User
	err := s.view(ctx, func(tx *bolt.Tx) error {
		id := tx.Bucket(bucketUsernames).Get(usernameKey(username))
		if id == nil {
			return ErrNotFound
		}
		return getJSON(tx.Bucket(bucketUsers), id, &u)
	})
	return u, err
}

// AddLoginToken stores the hash of a login token of userID that expires at
// expiresAt. A missing user is ErrNotFound.
func (s *Store) AddLoginToken(ctx context.Context, userID string, hash secrets.TokenHash, expiresAt time.Time) error {
	rec := tokenRecord{UserID: userID, Kind: TokenLogin, CreatedAt: s.now().UTC(), ExpiresAt: expiresAt.UTC()}
	return s.update(ctx, func(tx *bolt.Tx) error {
		if tx.Bucket(bucketUsers).Get([]byte(userID)) == nil {
			return ErrNotFound
		}
		return putJSON(tx.Bucket(bucketTokens), hash[:], rec)
	})
}

// TokenUser returns the user whose token has hash, and when that token
// expires (zero: never). A hash that is not stored, or whose user is gone,
// is ErrInvalidToken. Whether an expired token still counts is the
// caller's rule.
func (s *Store) TokenUser(ctx context.Context, hash secrets.TokenHash) (User, time.Time, error) {
	var (
		u   User
		rec tokenRecord
	)
	err := s.view(ctx, func(tx *bolt.Tx) error {
		k, v := tx.Bucket(bucketTokens).Cursor().Seek(hash[:])
		if k == nil || !hash.Equal(k) {
			return ErrInvalidToken
		}
		if err := unmarshal(v, &rec); err != nil {
			return err
		}
		if err := getJSON(tx.Bucket(bucketUsers), []byte(rec.UserID), &u); err != nil {
			if errors.Is(err, ErrNotFound) {
				return ErrInvalidToken
			}
			return err
		}
		return nil
	})
	return u, rec.ExpiresAt, err
}

// PruneTokens deletes the tokens that expired at or before now and returns
// how many.
func (s *Store) PruneTokens(ctx context.Context, now time.Time) (int, error) {
	n := 0
	err := s.update(ctx, func(tx *bolt.Tx) error {
		n = 0
		b := tx.Bucket(bucketTokens)
		var expired [][]byte
		err := b.ForEach(func(k, v []byte) error {
			var rec tokenRecord
			if err := unmarshal(v, &rec); err != nil {
				return err
			}
			if !rec.ExpiresAt.IsZero() && !now.Before(rec.ExpiresAt) {
				expired = append(expired, append([]byte(nil), k...))
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, k := range expired {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		n = len(expired)
		return nil
	})
	return n, err
}
