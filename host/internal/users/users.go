// Package users holds the rules about the people who use the API and how
// they prove who they are: creating users (username shape, roles, password
// length and hashing), the first admin and its token file, logging in (the
// cost-equal password check, the backoff after failed attempts, login token
// issue and lifetime) and authenticating a bearer token.
//
// Every token is minted here; the store keeps only its hash. This package
// knows nothing of HTTP (the api package maps its errors to answers), never
// logs a password or a token, and touches the database only through package
// store.
package users

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"time"
	"unicode/utf8"

	"github.com/globalautomation/gahost/host/internal/input"
	"github.com/globalautomation/gahost/host/internal/secrets"
	"github.com/globalautomation/gahost/host/internal/store"
	"github.com/hashicorp/go-hclog"
)

// Codes of the errors of this package; part of the REST API.
const (
	CodeInvalidUsername = "invalid_username"
	CodeInvalidPassword = "invalid_password"
	CodeInvalidRole     = "invalid_role"
)

// AdminUsername is the user created on first start.
const AdminUsername = "admin"

var (
	// ErrInvalidCredentials: the username or the password is wrong.
	ErrInvalidCredentials = errors.New("wrong username or password")
	// ErrInvalidToken: the token is unknown, malformed or expired.
	ErrInvalidToken = store.ErrInvalidToken
	// ErrUsernameTaken: another user has the name, in any case.
	ErrUsernameTaken = store.ErrUsernameTaken
)

// TooManyAttemptsError: logins for this username from this client failed
// too often; the next attempt is refused until RetryAfter has passed.
type TooManyAttemptsError struct{ RetryAfter time.Duration }

func (e *TooManyAttemptsError) Error() string {
	return fmt.Sprintf("too many failed logins; retry after %s", e.RetryAfter)
}

// Config is what a Service is built from.
type Config struct {
	Store  *store.Store
	Logger hclog.Logger
	// LoginTTL is how long a login token lives; default 24h.
	LoginTTL time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Service applies the rules of users and tokens. It is safe for concurrent
// use and starts nothing.
type Service struct {
	st       *store.Store
	log      hclog.Logger
	now      func() time.Time
	loginTTL time.Duration
	login    *loginLimiter
	// hashing bounds concurrent argon2id work (19 MiB each).
	hashing chan struct{}
	// verify checks a password against its hash; tests slow it down.
	verify func(hash, password string) bool
}

// New builds a Service.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil {
		return nil, errors.New("users: Store is required")
	}
	if cfg.Logger == nil {
		cfg.Logger = hclog.NewNullLogger()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.LoginTTL <= 0 {
		cfg.LoginTTL = 24 * time.Hour
	}
	return &Service{st: cfg.Store, log: cfg.Logger, now: cfg.Now, loginTTL: cfg.LoginTTL,
		login: newLoginLimiter(cfg.Now), hashing: make(chan struct{}, 4), verify: secrets.VerifyPassword}, nil
}

// Authenticate returns the user a bearer token belongs to, or
// ErrInvalidToken for a token that is unknown, malformed or expired.
func (s *Service) Authenticate(ctx context.Context, token string) (store.User, error) {
	if !secrets.LooksLikeToken(token) {
		return store.User{}, ErrInvalidToken
	}
	u, expires, err := s.st.TokenUser(ctx, secrets.HashToken(token))
	if err != nil {
		return store.User{}, err
	}
	if !expires.IsZero() && !s.now().Before(expires) {
		return store.User{}, ErrInvalidToken
	}
	return u, nil
}

// Login is one attempt to log in.
type Login struct {
	Username string
	Password string
	// Client tells clients apart for the backoff (the peer address).
	Client string
}

// Token is an issued login token, shown once.
type Token struct {
	Token     string
	ExpiresAt time.Time
}

// Login checks a username and password and issues a login token. It
// returns *input.Error for a blank field, *TooManyAttemptsError while the
// backoff lasts, ErrInvalidCredentials, or ctx's error when the caller left
// while waiting for a turn at hashing.
func (s *Service) Login(ctx context.Context, in Login) (Token, error) {
	if in.Username == "" || in.Password == "" {
		return Token{}, &input.Error{Code: input.CodeMissingField, Message: "username and password are required"}
	}
	// The claim is taken before hashing and settled after it, so parallel
	// attempts cannot all pass one check before any failure is counted.
	claim, wait := s.login.begin(in.Username, in.Client)
	if claim == nil {
		return Token{}, &TooManyAttemptsError{RetryAfter: wait}
	}
	select {
	case s.hashing <- struct{}{}:
	case <-ctx.Done():
		claim.drop()
		return Token{}, ctx.Err()
	}
	u, err := s.st.UserByName(ctx, in.Username)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		<-s.hashing
		claim.drop()
		return Token{}, fmt.Errorf("login: look up user: %w", err)
	}
	// An unknown user is checked against a dummy hash: same cost, so the
	// answer time does not tell which usernames exist.
	ok := s.verify(u.PasswordHash, in.Password) && err == nil
	<-s.hashing
	if fails := claim.done(ok); !ok {
		s.log.Info("login failed", "client_ip", in.Client, "failures", fails)
		return Token{}, ErrInvalidCredentials
	}
	token, hash, err := secrets.NewToken()
	if err != nil {
		return Token{}, fmt.Errorf("login: create token: %w", err)
	}
	exp := s.now().UTC().Add(s.loginTTL)
	if err := s.st.AddLoginToken(ctx, u.ID, hash, exp); err != nil {
		return Token{}, fmt.Errorf("login: create token: %w", err)
	}
	return Token{Token: token, ExpiresAt: exp}, nil
}

// NewUser is a user to create.
type NewUser struct {
	Username string
	// Password nil makes a user that logs in with its API token only.
	Password *string
	// Role "" means RoleUser.
	Role string
}

var usernamePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

const (
	minPasswordLen = 8
	maxPasswordLen = 1024
)

// Create adds a user and returns it with its API token, the only time the
// token is shown. It returns *input.Error for a bad field and
// ErrUsernameTaken.
func (s *Service) Create(ctx context.Context, in NewUser) (store.User, string, error) {
	if in.Username == "" {
		return store.User{}, "", &input.Error{Code: input.CodeMissingField, Message: "username is required"}
	}
	if !usernamePattern.MatchString(in.Username) {
		return store.User{}, "", &input.Error{Code: CodeInvalidUsername,
			Message: "username must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit"}
	}
	switch in.Role {
	case "":
		in.Role = store.RoleUser
	case store.RoleUser, store.RoleAdmin:
	default:
		return store.User{}, "", &input.Error{Code: CodeInvalidRole, Message: `role must be "user" or "admin"`}
	}
	var hash string
	if in.Password != nil {
		n := utf8.RuneCountInString(*in.Password)
		if n < minPasswordLen || len(*in.Password) > maxPasswordLen {
			return store.User{}, "", &input.Error{Code: CodeInvalidPassword, Message: "password must be 8 to 1024 bytes long"}
		}
		var err error
		if hash, err = secrets.HashPassword(*in.Password); err != nil {
			return store.User{}, "", fmt.Errorf("hash password: %w", err)
		}
	}
	token, tokenHash, err := secrets.NewToken()
	if err != nil {
		return store.User{}, "", err
	}
	u, err := s.st.CreateUser(ctx, store.NewUser{Username: in.Username, Role: in.Role, PasswordHash: hash, Token: tokenHash})
	if err != nil {
		return store.User{}, "", err
	}
	return u, token, nil
}

// Bootstrap creates the user "admin" with a new API token on a store
// without users, and writes the token to tokenFile (mode 0600, atomically:
// a temporary file renamed into place). It reports whether it did. The file
// is written before the user is committed: a crash in between leaves no
// user, so the next start makes a new token and overwrites the file, and a
// committed admin always has its token on disk.
func (s *Service) Bootstrap(ctx context.Context, tokenFile string) (bool, error) {
	has, err := s.st.HasUsers(ctx)
	if err != nil || has {
		return false, err
	}
	token, hash, err := secrets.NewToken()
	if err != nil {
		return false, err
	}
	if err := secrets.WriteFile(tokenFile, []byte(token+"\n")); err != nil {
		return false, fmt.Errorf("bootstrap admin: %w", err)
	}
	created, _, err := s.st.CreateFirstUser(ctx, store.NewUser{Username: AdminUsername, Role: store.RoleAdmin, Token: hash})
	if err != nil {
		return false, fmt.Errorf("bootstrap admin: %w", err)
	}
	if created {
		s.log.Info("created user admin; its API token is in the token file", "token_file", tokenFile)
	}
	return created, nil
}
