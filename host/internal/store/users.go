package store

import (
	"bytes"
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
	// Disabled users cannot log in and their tokens are refused; their
	// data stays.
	Disabled  bool      `json:"disabled,omitempty"`
	UpdatedAt time.Time `json:"updated_at,omitzero"`
}

// IsAdmin reports whether u has the admin role.
func (u User) IsAdmin() bool { return u.Role == RoleAdmin }

type tokenRecord struct {
	// ID names the token to its owner (listing, revoking) without being
	// the token or its hash. Records written before ids existed get one
	// from the migration to schema 3.
	ID        string    `json:"id"`
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
	return u, putToken(tx, in.Token, tokenRecord{ID: newID(), UserID: u.ID, Kind: TokenAPI, CreatedAt: now.UTC()})
}

// userTokenKey is the user_tokens index key of a token: user id + token id.
func userTokenKey(userID, tokenID string) []byte { return append([]byte(userID), tokenID...) }

// putToken writes a token record and its index entry.
func putToken(tx *bolt.Tx, hash secrets.TokenHash, rec tokenRecord) error {
	if err := putJSON(tx.Bucket(bucketTokens), hash[:], rec); err != nil {
		return err
	}
	return tx.Bucket(bucketUserTokens).Put(userTokenKey(rec.UserID, rec.ID), hash[:])
}

// deleteToken removes the token whose hash is key, with its index entry.
func deleteToken(tx *bolt.Tx, key []byte, rec tokenRecord) error {
	if err := tx.Bucket(bucketTokens).Delete(key); err != nil {
		return err
	}
	return tx.Bucket(bucketUserTokens).Delete(userTokenKey(rec.UserID, rec.ID))
}

// migrateTokenIDs gives every stored token an id and indexes the tokens by
// user (schema 2 -> 3).
func migrateTokenIDs(tx *bolt.Tx) error {
	if _, err := tx.CreateBucketIfNotExists(bucketUserTokens); err != nil {
		return err
	}
	b := tx.Bucket(bucketTokens)
	type entry struct {
		key []byte
		rec tokenRecord
	}
	var all []entry
	err := b.ForEach(func(k, v []byte) error {
		var rec tokenRecord
		if err := unmarshal(v, &rec); err != nil {
			return err
		}
		if rec.ID == "" {
			rec.ID = newID()
		}
		all = append(all, entry{append([]byte(nil), k...), rec})
		return nil
	})
	if err != nil {
		return err
	}
	for _, e := range all {
		var hash secrets.TokenHash
		if len(e.key) != len(hash) {
			return fmt.Errorf("token record key has %d bytes", len(e.key))
		}
		copy(hash[:], e.key)
		if err := putToken(tx, hash, e.rec); err != nil {
			return err
		}
	}
	return nil
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
	rec := tokenRecord{ID: newID(), UserID: userID, Kind: TokenLogin, CreatedAt: s.now().UTC(), ExpiresAt: expiresAt.UTC()}
	return s.update(ctx, func(tx *bolt.Tx) error {
		if tx.Bucket(bucketUsers).Get([]byte(userID)) == nil {
			return ErrNotFound
		}
		return putToken(tx, hash, rec)
	})
}

// AddAPIToken stores the hash of a new API token (one that never expires)
// of userID and returns its id. A missing user is ErrNotFound.
func (s *Store) AddAPIToken(ctx context.Context, userID string, hash secrets.TokenHash) (string, error) {
	rec := tokenRecord{ID: newID(), UserID: userID, Kind: TokenAPI, CreatedAt: s.now().UTC()}
	err := s.update(ctx, func(tx *bolt.Tx) error {
		if tx.Bucket(bucketUsers).Get([]byte(userID)) == nil {
			return ErrNotFound
		}
		return putToken(tx, hash, rec)
	})
	return rec.ID, err
}

// Token describes a stored token without the token or its hash.
type Token struct {
	ID        string
	Kind      string // TokenAPI or TokenLogin
	CreatedAt time.Time
	// ExpiresAt zero: never.
	ExpiresAt time.Time
}

func (r tokenRecord) token() Token {
	return Token{ID: r.ID, Kind: r.Kind, CreatedAt: r.CreatedAt, ExpiresAt: r.ExpiresAt}
}

// Session returns the user whose token has hash and that token. A hash that
// is not stored, or whose user is gone, is ErrInvalidToken. Whether an
// expired token or a disabled user still counts is the caller's rule.
func (s *Store) Session(ctx context.Context, hash secrets.TokenHash) (User, Token, error) {
	if err := ctx.Err(); err != nil {
		return User{}, Token{}, err
	}
	if u, t, ok := s.cache.session(hash); ok {
		return u, t, nil
	}
	gen := s.cache.sessionGen()
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
	if err == nil {
		s.cache.keepSession(gen, hash, u, rec.token())
	}
	return u, rec.token(), err
}

// userTokenRecords returns userID's tokens, oldest first, with their keys.
func userTokenRecords(tx *bolt.Tx, userID string) (keys [][]byte, recs []tokenRecord, err error) {
	prefix := []byte(userID)
	tokens := tx.Bucket(bucketTokens)
	c := tx.Bucket(bucketUserTokens).Cursor()
	for k, hash := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, hash = c.Next() {
		var rec tokenRecord
		if err := getJSON(tokens, hash, &rec); err != nil {
			return nil, nil, err
		}
		keys = append(keys, append([]byte(nil), hash...))
		recs = append(recs, rec)
	}
	return keys, recs, nil
}

// ListTokens returns userID's tokens, oldest first (expired ones too, until
// they are pruned).
func (s *Store) ListTokens(ctx context.Context, userID string) ([]Token, error) {
	var out []Token
	err := s.view(ctx, func(tx *bolt.Tx) error {
		_, recs, err := userTokenRecords(tx, userID)
		for _, r := range recs {
			out = append(out, r.token())
		}
		return err
	})
	return out, err
}

// DeleteTokens deletes the tokens of userID that drop says to and returns
// how many. drop sees each token, oldest first.
func (s *Store) DeleteTokens(ctx context.Context, userID string, drop func(Token) bool) (int, error) {
	n := 0
	err := s.update(ctx, func(tx *bolt.Tx) error {
		n = 0
		keys, recs, err := userTokenRecords(tx, userID)
		if err != nil {
			return err
		}
		for i, r := range recs {
			if !drop(r.token()) {
				continue
			}
			if err := deleteToken(tx, keys[i], r); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	return n, err
}

// ListUsers returns up to limit users whose id sorts after the cursor
// after ("" for the first page), oldest first, and the cursor of the next
// page ("" when this one is the last).
func (s *Store) ListUsers(ctx context.Context, after string, limit int) ([]User, string, error) {
	var (
		out  []User
		next string
	)
	err := s.view(ctx, func(tx *bolt.Tx) error {
		out, next = nil, ""
		c := tx.Bucket(bucketUsers).Cursor()
		k, v := c.First()
		if after != "" {
			k, v = c.Seek([]byte(after))
			if k != nil && string(k) == after {
				k, v = c.Next()
			}
		}
		for ; k != nil; k, v = c.Next() {
			if len(out) == limit {
				next = out[len(out)-1].ID
				break
			}
			var u User
			if err := unmarshal(v, &u); err != nil {
				return err
			}
			out = append(out, u)
		}
		return nil
	})
	return out, next, err
}

// allUsers returns every user but skip.
func allUsers(tx *bolt.Tx, skip string) ([]User, error) {
	var out []User
	err := tx.Bucket(bucketUsers).ForEach(func(k, v []byte) error {
		if string(k) == skip {
			return nil
		}
		var u User
		if err := unmarshal(v, &u); err != nil {
			return err
		}
		out = append(out, u)
		return nil
	})
	return out, err
}

// UpdateUser runs edit on user id inside one write transaction, with every
// other user to judge by (the rule that an enabled admin must remain is the
// caller's), and writes the result. The username cannot change here. A
// missing user is ErrNotFound; an error of edit aborts and is returned.
func (s *Store) UpdateUser(ctx context.Context, id string, edit func(u *User, others []User) error) (User, error) {
	var u User
	err := s.update(ctx, func(tx *bolt.Tx) error {
		if err := getJSON(tx.Bucket(bucketUsers), []byte(id), &u); err != nil {
			return err
		}
		others, err := allUsers(tx, id)
		if err != nil {
			return err
		}
		name := u.Username
		if err := edit(&u, others); err != nil {
			return err
		}
		u.ID, u.Username = id, name
		return putJSON(tx.Bucket(bucketUsers), []byte(id), u)
	})
	return u, err
}

// DeleteUser deletes user id with everything that is theirs: accounts
// (sealed credentials, snapshots, history), webhooks, tokens and the
// username, in one transaction, after check (given the user and every
// other user) allows it. It returns the ids of the deleted accounts. A
// missing user is ErrNotFound.
func (s *Store) DeleteUser(ctx context.Context, id string, check func(u User, others []User) error) ([]string, error) {
	var gone []string
	err := s.update(ctx, func(tx *bolt.Tx) error {
		gone = nil
		var u User
		if err := getJSON(tx.Bucket(bucketUsers), []byte(id), &u); err != nil {
			return err
		}
		others, err := allUsers(tx, id)
		if err != nil {
			return err
		}
		if err := check(u, others); err != nil {
			return err
		}
		mine, err := userAccounts(tx, id)
		if err != nil {
			return err
		}
		for _, a := range mine {
			if err := deleteAccount(tx, id, a.ID); err != nil {
				return err
			}
			gone = append(gone, a.ID)
		}
		// Webhooks went with their accounts; any left (bound to no
		// account of the user's) go too, so none outlives its user.
		hooks, err := userWebhooks(tx, id)
		if err != nil {
			return err
		}
		for _, w := range hooks {
			if err := deleteWebhook(tx, w); err != nil {
				return err
			}
		}
		keys, recs, err := userTokenRecords(tx, id)
		if err != nil {
			return err
		}
		for i, r := range recs {
			if err := deleteToken(tx, keys[i], r); err != nil {
				return err
			}
		}
		if err := tx.Bucket(bucketUsernames).Delete(usernameKey(u.Username)); err != nil {
			return err
		}
		return tx.Bucket(bucketUsers).Delete([]byte(id))
	})
	return gone, err
}

// TokenUser returns the user whose token has hash, and when that token
// expires (zero: never); see Session.
func (s *Store) TokenUser(ctx context.Context, hash secrets.TokenHash) (User, time.Time, error) {
	u, t, err := s.Session(ctx, hash)
	return u, t.ExpiresAt, err
}

// PruneTokens deletes the tokens that expired at or before now and returns
// how many.
func (s *Store) PruneTokens(ctx context.Context, now time.Time) (int, error) {
	n := 0
	err := s.update(ctx, func(tx *bolt.Tx) error {
		n = 0
		b := tx.Bucket(bucketTokens)
		var (
			expired [][]byte
			recs    []tokenRecord
		)
		err := b.ForEach(func(k, v []byte) error {
			var rec tokenRecord
			if err := unmarshal(v, &rec); err != nil {
				return err
			}
			if !rec.ExpiresAt.IsZero() && !now.Before(rec.ExpiresAt) {
				expired = append(expired, append([]byte(nil), k...))
				recs = append(recs, rec)
			}
			return nil
		})
		if err != nil {
			return err
		}
		for i, k := range expired {
			if err := deleteToken(tx, k, recs[i]); err != nil {
				return err
			}
		}
		n = len(expired)
		return nil
	})
	return n, err
}
