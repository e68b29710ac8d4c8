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

// AdminUsername is the user created on first start.
const AdminUsername = "admin"

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

// NewUser is the input of CreateUser.
type NewUser struct {
	Username     string
	Role         string
	PasswordHash string
}

func usernameKey(name string) []byte { return []byte(strings.ToLower(name)) }

func unmarshal(raw []byte, v any) error {
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("decode record: %w", err)
	}
	return nil
}

// CreateUser adds a user with a new API token, returned in plaintext once.
// Usernames are unique regardless of case.
func (s *Store) CreateUser(ctx context.Context, in NewUser) (User, string, error) {
	token, hash, err := secrets.NewToken()
	if err != nil {
		return User{}, "", err
	}
	var u User
	err = s.update(ctx, func(tx *bolt.Tx) error {
		var err error
		u, err = createUser(tx, in, hash, s.now())
		return err
	})
	if err != nil {
		return User{}, "", err
	}
	return u, token, nil
}

func createUser(tx *bolt.Tx, in NewUser, hash secrets.TokenHash, now time.Time) (User, error) {
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
	return u, putJSON(tx.Bucket(bucketTokens), hash[:], tokenRecord{UserID: u.ID, Kind: TokenAPI, CreatedAt: now.UTC()})
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

// CreateLoginToken issues a token for userID that expires after ttl.
func (s *Store) CreateLoginToken(ctx context.Context, userID string, ttl time.Duration) (string, time.Time, error) {
	token, hash, err := secrets.NewToken()
	if err != nil {
		return "", time.Time{}, err
	}
	now := s.now().UTC()
	rec := tokenRecord{UserID: userID, Kind: TokenLogin, CreatedAt: now, ExpiresAt: now.Add(ttl)}
	err = s.update(ctx, func(tx *bolt.Tx) error {
		if tx.Bucket(bucketUsers).Get([]byte(userID)) == nil {
			return ErrNotFound
		}
		return putJSON(tx.Bucket(bucketTokens), hash[:], rec)
	})
	if err != nil {
		return "", time.Time{}, err
	}
	return token, rec.ExpiresAt, nil
}

// Authenticate returns the user a token belongs to, or ErrInvalidToken for
// a token that is unknown, malformed or expired.
func (s *Store) Authenticate(ctx context.Context, token string) (User, error) {
	if !secrets.LooksLikeToken(token) {
		return User{}, ErrInvalidToken
	}
	hash := secrets.HashToken(token)
	now := s.now()
	var u User
	err := s.view(ctx, func(tx *bolt.Tx) error {
		k, v := tx.Bucket(bucketTokens).Cursor().Seek(hash[:])
		if k == nil || !hash.Equal(k) {
			return ErrInvalidToken
		}
		var rec tokenRecord
		if err := unmarshal(v, &rec); err != nil {
			return err
		}
		if !rec.ExpiresAt.IsZero() && !now.Before(rec.ExpiresAt) {
			return ErrInvalidToken
		}
		if err := getJSON(tx.Bucket(bucketUsers), []byte(rec.UserID), &u); err != nil {
			if errors.Is(err, ErrNotFound) {
				return ErrInvalidToken
			}
			return err
		}
		return nil
	})
	return u, err
}

// PruneTokens deletes expired tokens and returns how many.
func (s *Store) PruneTokens(ctx context.Context) (int, error) {
	now := s.now()
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

// Bootstrap creates the user "admin" with a new API token on a store
// without users, and writes the token to tokenFile (mode 0600, atomically).
// It reports whether it did. The file is written before the user is
// committed: a crash in between leaves no user, so the next start makes a
// new token and overwrites the file, and a committed admin always has its
// token on disk.
func (s *Store) Bootstrap(ctx context.Context, tokenFile string) (bool, error) {
	empty, err := s.noUsers(ctx)
	if err != nil || !empty {
		return false, err
	}
	token, hash, err := secrets.NewToken()
	if err != nil {
		return false, err
	}
	if err := secrets.WriteFile(tokenFile, []byte(token+"\n")); err != nil {
		return false, fmt.Errorf("bootstrap admin: %w", err)
	}
	created := false
	err = s.update(ctx, func(tx *bolt.Tx) error {
		created = false
		if k, _ := tx.Bucket(bucketUsers).Cursor().First(); k != nil {
			return nil
		}
		if _, err := createUser(tx, NewUser{Username: AdminUsername, Role: RoleAdmin}, hash, s.now()); err != nil {
			return err
		}
		created = true
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("bootstrap admin: %w", err)
	}
	if created {
		s.log.Info("created user admin; its API token is in the token file", "token_file", tokenFile)
	}
	return created, nil
}

func (s *Store) noUsers(ctx context.Context) (bool, error) {
	empty := false
	err := s.view(ctx, func(tx *bolt.Tx) error {
		k, _ := tx.Bucket(bucketUsers).Cursor().First()
		empty = k == nil
		return nil
	})
	return empty, err
}
