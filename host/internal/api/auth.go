package api

import (
	"context"
	"errors"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/globalautomation/gahost/host/internal/users"
)

func registerAuth(h *handler, r routes) {
	r.public.handle(http.MethodPost, "/auth/login", op{id: "login", tag: "users",
		summary: "Log in with a username and password; answers a new API token",
		body:    loginRequest{},
		res: []res{
			{http.StatusOK, "Logged in: the token to send as Authorization: Bearer, and when it expires.", loginResponse{}},
			{http.StatusBadRequest, "The body is malformed (invalid_json, unknown_field, invalid_field) or " +
				"username or password is empty (missing_field).", errBody},
			{http.StatusUnauthorized, "Wrong username or password, or a user without a password (invalid_credentials).", errBody},
			{http.StatusForbidden, "The password is right but the user is disabled (user_disabled).", errBody},
			{http.StatusTooManyRequests, "Too many failed logins from this client for this user (too_many_attempts); " +
				"Retry-After says when to try again.", errBody},
		},
	}, h.postLogin)
	r.authed.handle(http.MethodGet, "/me", op{id: "getMe", tag: "users", summary: "The user the token belongs to",
		res: []res{{http.StatusOK, "The user.", userView{}}}}, h.getMe)
	r.admin.handle(http.MethodPost, "/users", op{id: "createUser", tag: "users",
		summary: "Create a user (admin); answers the user's first API token, shown once",
		desc: "With a password the user can log in at once. Without one the user is invited: hand it the " +
			"token, with which it sets its password (POST /api/v1/me/password) and then logs in.",
		body: createUserRequest{},
		res: []res{
			{http.StatusCreated, "The user, with its API token. The token is not shown again.", createUserResponse{}},
			{http.StatusBadRequest, "The body is malformed, or username is missing (missing_field) or not allowed " +
				"(invalid_username), the password breaks the policy (invalid_password: at least 12 characters, at " +
				"most 1024 bytes, no control characters, not one character repeated), or role is " +
				"neither user nor admin (invalid_role).", errBody},
			{http.StatusConflict, "The username is taken (username_taken).", errBody},
		},
	}, h.postUser)
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
	Username string `json:"username" required:"true"`
	Password string `json:"password" required:"true"`
}

type loginResponse struct {
	Token     string    `json:"token" doc:"An API token; send it as Authorization: Bearer <token>."`
	ExpiresAt time.Time `json:"expires_at"`
}

func (h *handler) postLogin(c *gin.Context) {
	var req loginRequest
	if !decodeJSON(c, &req) {
		return
	}
	tok, err := h.d.Users.Login(c.Request.Context(), users.Login{Username: req.Username, Password: req.Password,
		Client: c.ClientIP()})
	var wait *users.TooManyAttemptsError
	switch {
	case err == nil:
		c.JSON(http.StatusOK, loginResponse{Token: tok.Token, ExpiresAt: tok.ExpiresAt})
	case errors.As(err, &wait):
		c.Header("Retry-After", strconv.Itoa(int(math.Ceil(wait.RetryAfter.Seconds()))))
		writeError(c, http.StatusTooManyRequests, codeTooManyAttempts, "too many failed logins; try again later")
	case errors.Is(err, users.ErrInvalidCredentials):
		writeError(c, http.StatusUnauthorized, codeInvalidCreds, "wrong username or password")
	case errors.Is(err, users.ErrUserDisabled):
		writeError(c, http.StatusForbidden, codeUserDisabled, "this user is disabled")
	case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
		// The client left while waiting for its turn; nobody reads an answer.
	default:
		h.serviceError(c, "login", err)
	}
}

type createUserRequest struct {
	Username string `json:"username" required:"true" doc:"1-64 letters, digits, '.', '_' or '-', starting with a letter or digit."`
	// Password is optional: a user without one logs in only by token.
	Password *string `json:"password" doc:"At least 12 characters, at most 1024 bytes, no control characters, not one character repeated. Without one the user is invited: its token lets it set a password."`
	Role     string  `json:"role" doc:"Default user."`
}

type createUserResponse struct {
	userView
	Token string `json:"token" doc:"The user's API token, shown only here."`
}

func (h *handler) postUser(c *gin.Context) {
	var req createUserRequest
	if !decodeJSON(c, &req) {
		return
	}
	u, token, err := h.d.Users.Create(c.Request.Context(), users.NewUser{Username: req.Username, Password: req.Password,
		Role: req.Role})
	if errors.Is(err, users.ErrUsernameTaken) {
		writeError(c, http.StatusConflict, codeUsernameTaken, "that username is taken")
		return
	}
	if err != nil {
		h.serviceError(c, "create user", err)
		return
	}
	h.log.Info("user created", "user_id", u.ID, "role", u.Role, "by", currentUser(c).ID)
	c.JSON(http.StatusCreated, createUserResponse{userView: userView{ID: u.ID, Username: u.Username, Role: u.Role}, Token: token})
}
