// Package users holds the rules about the people who use the API and how
// they prove who they are: the user lifecycle (creating with a password or
// as an invite whose token lets the user set one, listing, disabling,
// changing role, deleting with everything that is theirs, and the rule
// that an enabled admin always remains), the password policy and hashing,
// the first admin and its token file, minting a new admin token for the
// host's operator, logging in (the cost-equal password check, the backoff
// after failed attempts, login token issue and lifetime), authenticating a
// bearer token, and a user's own tokens (listing, logging out, revoking).
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
	"slices"
	"strings"
	"time"
	"unicode"
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
	// CodeLastAdmin: the change would leave no enabled admin.
	CodeLastAdmin = "last_admin"
	// CodeWrongPassword: the current password given to change it is wrong.
	CodeWrongPassword = "wrong_password"
)

// ConflictError: the change clashes with the users as they are (the last
// enabled admin). Its Code is part of the REST API.
type ConflictError struct {
	Code    string
	Message string
}

func (e *ConflictError) Error() string { return e.Message }

// AdminUsername is the user created on first start.
const AdminUsername = "admin"

var (
	// ErrInvalidCredentials: the username or the password is wrong.
	ErrInvalidCredentials = errors.New("wrong username or password")
	// ErrInvalidToken: the token is unknown, malformed or expired.
	ErrInvalidToken = store.ErrInvalidToken
	// ErrUsernameTaken: another user has the name, in any case.
	ErrUsernameTaken = store.ErrUsernameTaken
	// ErrUserDisabled: the user exists but is disabled.
	ErrUserDisabled = errors.New("user is disabled")
	// ErrNotFound: no such user, or no such token of the user.
	ErrNotFound = store.ErrNotFound
)

// TooManyAttemptsError: logins for this username from this client failed
// too often; the next attempt is refused until RetryAfter has passed.
type TooManyAttemptsError struct{ RetryAfter time.Duration }

func (e *TooManyAttemptsError) Error() string {
	return fmt.Sprintf("too many failed logins; retry after %s", e.RetryAfter)
}

// Config is what a Service is built from.
type Config struct {
	Store  store.Backend
	Logger hclog.Logger
	// LoginTTL is how long a login token lives; default 24h.
	LoginTTL time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Service applies the rules of users and tokens. It is safe for concurrent
// use and starts nothing.
type Service struct {
	st       store.Backend
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
// ErrInvalidToken for a token that is unknown, malformed or expired, and
// ErrUserDisabled for a disabled user's.
func (s *Service) Authenticate(ctx context.Context, token string) (store.User, error) {
	u, _, err := s.Session(ctx, token)
	return u, err
}

// Session is Authenticate that also returns the token's record (its id
// names it for logging out).
func (s *Service) Session(ctx context.Context, token string) (store.User, store.Token, error) {
	if !secrets.LooksLikeToken(token) {
		return store.User{}, store.Token{}, ErrInvalidToken
	}
	u, t, err := s.st.Session(ctx, secrets.HashToken(token))
	if err != nil {
		return store.User{}, store.Token{}, err
	}
	if !t.ExpiresAt.IsZero() && !s.now().Before(t.ExpiresAt) {
		return store.User{}, store.Token{}, ErrInvalidToken
	}
	if u.Disabled {
		return store.User{}, store.Token{}, ErrUserDisabled
	}
	return u, t, nil
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
// backoff lasts, ErrInvalidCredentials, ErrUserDisabled (after a right
// password only), or ctx's error when the caller left while waiting for a
// turn at hashing.
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
	if u.Disabled {
		// Told only to whoever knows the password.
		return Token{}, ErrUserDisabled
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
	// Password nil makes an invited user: its API token (shown once, to
	// hand over) lets it set a password with ChangePassword.
	Password *string
	// Role "" means RoleUser.
	Role string
}

var usernamePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

const (
	minPasswordLen = 12
	maxPasswordLen = 1024
)

// CheckPassword applies the password policy: 12 to 1024 bytes of UTF-8, at
// least 12 characters, no control characters, not one character repeated.
// The message never echoes the password.
func CheckPassword(pw string) error {
	bad := func(why string) error {
		return &input.Error{Code: CodeInvalidPassword, Message: "password " + why}
	}
	switch {
	case !utf8.ValidString(pw):
		return bad("must be UTF-8 text")
	case utf8.RuneCountInString(pw) < minPasswordLen:
		return bad(fmt.Sprintf("must be at least %d characters long", minPasswordLen))
	case len(pw) > maxPasswordLen:
		return bad(fmt.Sprintf("must be at most %d bytes long", maxPasswordLen))
	case strings.IndexFunc(pw, unicode.IsControl) >= 0:
		return bad("must not contain control characters")
	}
	first, _ := utf8.DecodeRuneInString(pw)
	if strings.Trim(pw, string(first)) == "" {
		return bad("must not be one character repeated")
	}
	return nil
}

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
		if err := CheckPassword(*in.Password); err != nil {
			return store.User{}, "", err
		}
		var err error
		if hash, err = s.hash(ctx, *in.Password); err != nil {
			return store.User{}, "", err
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

// hash hashes a password, waiting for a turn at hashing.
func (s *Service) hash(ctx context.Context, pw string) (string, error) {
	select {
	case s.hashing <- struct{}{}:
	case <-ctx.Done():
		return "", ctx.Err()
	}
	defer func() { <-s.hashing }()
	h, err := secrets.HashPassword(pw)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return h, nil
}

// Get returns a user by id, or ErrNotFound.
func (s *Service) Get(ctx context.Context, id string) (store.User, error) {
	return s.st.User(ctx, id)
}

// Page returns up to limit users after the cursor after ("" for the
// first), oldest first, and the next page's cursor ("" after the last).
func (s *Service) Page(ctx context.Context, after string, limit int) ([]store.User, string, error) {
	return s.st.ListUsers(ctx, after, limit)
}

// Patch changes the fields of a user that are not nil.
type Patch struct {
	Role     *string
	Disabled *bool
}

// enabledAdmin says whether u is an admin that can act.
func enabledAdmin(u store.User) bool { return u.IsAdmin() && !u.Disabled }

// lastAdmin refuses a change that leaves no enabled admin among others and
// the user as changed.
func lastAdmin(changed store.User, others []store.User) error {
	if enabledAdmin(changed) || slices.ContainsFunc(others, enabledAdmin) {
		return nil
	}
	return &ConflictError{Code: CodeLastAdmin,
		Message: "this is the last enabled admin; make another user admin first"}
}

// Update applies p to user id: a role of user or admin, disabled or
// enabled. A change that would leave no enabled admin is refused
// (*ConflictError), so the API can never lock its operators out. It
// returns ErrNotFound and *input.Error.
func (s *Service) Update(ctx context.Context, id string, p Patch) (store.User, error) {
	if p.Role != nil && *p.Role != store.RoleUser && *p.Role != store.RoleAdmin {
		return store.User{}, &input.Error{Code: CodeInvalidRole, Message: `role must be "user" or "admin"`}
	}
	return s.st.UpdateUser(ctx, id, func(u *store.User, others []store.User) error {
		was := enabledAdmin(*u)
		if p.Role != nil {
			u.Role = *p.Role
		}
		if p.Disabled != nil {
			u.Disabled = *p.Disabled
		}
		u.UpdatedAt = s.now().UTC()
		if !was {
			return nil
		}
		return lastAdmin(*u, others)
	})
}

// Delete deletes user id with its accounts (their sealed keys, snapshots
// and history), webhooks and tokens, and returns the deleted accounts' ids.
// Deleting the last enabled admin is refused (*ConflictError).
func (s *Service) Delete(ctx context.Context, id string) ([]string, error) {
	gone, err := s.st.DeleteUser(ctx, id, func(u store.User, others []store.User) error {
		if !enabledAdmin(u) {
			return nil
		}
		return lastAdmin(store.User{}, others)
	})
	if err != nil {
		return nil, err
	}
	s.log.Info("user deleted", "user_id", id, "accounts", len(gone))
	return gone, nil
}

// ChangePassword sets userID's password to next, after checking current
// when the user has a password already (an invited user has none, and sets
// its first with its token alone). Every other login token of the user is
// revoked, so a session opened with the old password ends; keep is the
// token of the request, which stays. It returns *input.Error for a policy
// breach, ErrInvalidCredentials for a wrong current password.
func (s *Service) ChangePassword(ctx context.Context, userID, keep string, current *string, next string) error {
	if err := CheckPassword(next); err != nil {
		return err
	}
	u, err := s.st.User(ctx, userID)
	if err != nil {
		return err
	}
	if u.PasswordHash != "" {
		if current == nil || *current == "" {
			return &input.Error{Code: input.CodeMissingField, Message: "current_password is required"}
		}
		select {
		case s.hashing <- struct{}{}:
		case <-ctx.Done():
			return ctx.Err()
		}
		ok := secrets.VerifyPassword(u.PasswordHash, *current)
		<-s.hashing
		if !ok {
			return ErrInvalidCredentials
		}
	}
	hash, err := s.hash(ctx, next)
	if err != nil {
		return err
	}
	if _, err := s.st.UpdateUser(ctx, userID, func(u *store.User, _ []store.User) error {
		u.PasswordHash, u.UpdatedAt = hash, s.now().UTC()
		return nil
	}); err != nil {
		return err
	}
	n, err := s.st.DeleteTokens(ctx, userID, func(t store.Token) bool { return t.Kind == store.TokenLogin && t.ID != keep })
	if err != nil {
		return fmt.Errorf("revoke login tokens: %w", err)
	}
	s.log.Info("password changed", "user_id", userID, "login_tokens_revoked", n)
	return nil
}

// Tokens returns userID's tokens, oldest first, without expired ones.
func (s *Service) Tokens(ctx context.Context, userID string) ([]store.Token, error) {
	all, err := s.st.ListTokens(ctx, userID)
	if err != nil {
		return nil, err
	}
	now := s.now()
	return slices.DeleteFunc(all, func(t store.Token) bool { return !t.ExpiresAt.IsZero() && !now.Before(t.ExpiresAt) }), nil
}

// RevokeToken deletes token tokenID of userID; ErrNotFound when the user
// has no such token.
func (s *Service) RevokeToken(ctx context.Context, userID, tokenID string) error {
	n, err := s.st.DeleteTokens(ctx, userID, func(t store.Token) bool { return t.ID == tokenID })
	if err != nil {
		return err
	}
	if n == 0 {
		return ErrNotFound
	}
	return nil
}

// MintAdminToken makes a new API token for the admin username and returns
// it, the only time it is shown: the way back in for whoever runs the host
// (with its database and master key) after admin.token is lost. The user
// must be an enabled admin.
func (s *Service) MintAdminToken(ctx context.Context, username string) (string, error) {
	u, err := s.st.UserByName(ctx, username)
	if err != nil {
		return "", fmt.Errorf("user %q: %w", username, err)
	}
	if !enabledAdmin(u) {
		return "", fmt.Errorf("user %q is not an enabled admin", username)
	}
	token, hash, err := secrets.NewToken()
	if err != nil {
		return "", err
	}
	id, err := s.st.AddAPIToken(ctx, u.ID, hash)
	if err != nil {
		return "", err
	}
	s.log.Info("admin token minted from the command line", "user_id", u.ID, "token_id", id)
	return token, nil
}
