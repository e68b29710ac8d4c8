package api

import (
	"errors"
	"math"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
	"github.com/globalautomation/gahost/host/internal/secrets"
	"github.com/globalautomation/gahost/host/internal/store"
)

func registerAuth(h *handler, r routes) {
	r.public.POST("/auth/login", h.postLogin)
	r.authed.GET("/me", h.getMe)
	r.admin.POST("/users", h.postUser)
}

type userView struct {
	ID       string `json:"id"`
	Username string `json:"username"`
	Role     string `json:"role"`
}

func (h *handler) getMe(c *gin.Context) {
	u := currentUser(c)
	c.JSON(http.StatusOK, userView{ID: u.ID, Username: u.Username, Role: u.Role})
}

type loginRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

type loginResponse struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
}

func (h *handler) postLogin(c *gin.Context) {
	var req loginRequest
	if !decodeJSON(c, &req) {
		return
	}
	if req.Username == "" || req.Password == "" {
		writeError(c, http.StatusBadRequest, codeMissingField, "username and password are required")
		return
	}
	key := strings.ToLower(req.Username) + "\x00" + c.ClientIP()
	if wait := h.login.wait(key); wait > 0 {
		c.Header("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
		writeError(c, http.StatusTooManyRequests, codeTooManyAttempts, "too many failed logins; try again later")
		return
	}

	ctx := c.Request.Context()
	select {
	case h.hashing <- struct{}{}:
	case <-ctx.Done():
		return
	}
	u, err := h.d.Store.UserByName(ctx, req.Username)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		<-h.hashing
		h.internalError(c, "login: look up user", err)
		return
	}
	// An unknown user is checked against a dummy hash: same cost, so the
	// answer time does not tell which usernames exist.
	ok := secrets.VerifyPassword(u.PasswordHash, req.Password) && err == nil
	<-h.hashing
	if !ok {
		fails := h.login.fail(key)
		h.log.Info("login failed", "client_ip", c.ClientIP(), "failures", fails)
		writeError(c, http.StatusUnauthorized, codeInvalidCreds, "wrong username or password")
		return
	}
	h.login.succeed(key)
	token, exp, err := h.d.Store.CreateLoginToken(ctx, u.ID, h.d.LoginTTL)
	if err != nil {
		h.internalError(c, "login: create token", err)
		return
	}
	c.JSON(http.StatusOK, loginResponse{Token: token, ExpiresAt: exp})
}

type createUserRequest struct {
	Username string  `json:"username"`
	Password *string `json:"password"`
	Role     string  `json:"role"`
}

type createUserResponse struct {
	userView
	Token string `json:"token"`
}

var usernamePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

const (
	minPasswordLen = 8
	maxPasswordLen = 1024
)

func (h *handler) postUser(c *gin.Context) {
	var req createUserRequest
	if !decodeJSON(c, &req) {
		return
	}
	if req.Username == "" {
		writeError(c, http.StatusBadRequest, codeMissingField, "username is required")
		return
	}
	if !usernamePattern.MatchString(req.Username) {
		writeError(c, http.StatusBadRequest, codeInvalidUsername,
			"username must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit")
		return
	}
	switch req.Role {
	case "":
		req.Role = store.RoleUser
	case store.RoleUser, store.RoleAdmin:
	default:
		writeError(c, http.StatusBadRequest, codeInvalidRole, `role must be "user" or "admin"`)
		return
	}
	var hash string
	if req.Password != nil {
		n := utf8.RuneCountInString(*req.Password)
		if n < minPasswordLen || len(*req.Password) > maxPasswordLen {
			writeError(c, http.StatusBadRequest, codeInvalidPassword, "password must be 8 to 1024 bytes long")
			return
		}
		var err error
		if hash, err = secrets.HashPassword(*req.Password); err != nil {
			h.internalError(c, "hash password", err)
			return
		}
	}
	u, token, err := h.d.Store.CreateUser(c.Request.Context(), store.NewUser{Username: req.Username, Role: req.Role, PasswordHash: hash})
	if errors.Is(err, store.ErrUsernameTaken) {
		writeError(c, http.StatusConflict, codeUsernameTaken, "that username is taken")
		return
	}
	if err != nil {
		h.internalError(c, "create user", err)
		return
	}
	h.log.Info("user created", "user_id", u.ID, "role", u.Role, "by", currentUser(c).ID)
	c.JSON(http.StatusCreated, createUserResponse{userView: userView{ID: u.ID, Username: u.Username, Role: u.Role}, Token: token})
}

// loginLimiter slows down guessing: after a few failures for one username
// from one address, further attempts are refused for a time that doubles
// with each failure, whether the password is right or not.
type loginLimiter struct {
	mu   sync.Mutex
	now  func() time.Time
	seen map[string]*loginFailures
}

type loginFailures struct {
	count int
	last  time.Time
	until time.Time
}

const (
	freeLoginFailures = 3
	maxLoginBackoff   = 15 * time.Minute
	forgetFailures    = time.Hour
	maxTrackedLogins  = 100_000
)

func newLoginLimiter(now func() time.Time) *loginLimiter {
	return &loginLimiter{now: now, seen: map[string]*loginFailures{}}
}

// wait returns how long key must still wait before its next attempt.
func (l *loginLimiter) wait(key string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	f := l.seen[key]
	if f == nil {
		return 0
	}
	return max(0, f.until.Sub(l.now()))
}

// fail counts a failure and returns the count.
func (l *loginLimiter) fail(key string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if len(l.seen) >= maxTrackedLogins {
		l.forgetOld(now)
	}
	f := l.seen[key]
	if f == nil || now.Sub(f.last) > forgetFailures {
		f = &loginFailures{}
		l.seen[key] = f
	}
	f.count++
	f.last = now
	if f.count >= freeLoginFailures {
		backoff := time.Second << min(f.count-freeLoginFailures, 20)
		f.until = now.Add(min(backoff, maxLoginBackoff))
	}
	return f.count
}

func (l *loginLimiter) succeed(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.seen, key)
}

func (l *loginLimiter) forgetOld(now time.Time) {
	for k, f := range l.seen {
		if now.Sub(f.last) > forgetFailures && now.After(f.until) {
			delete(l.seen, k)
		}
	}
}
