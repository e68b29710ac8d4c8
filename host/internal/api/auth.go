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
	case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
		// The client left while waiting for its turn; nobody reads an answer.
	default:
		h.serviceError(c, "login", err)
	}
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
