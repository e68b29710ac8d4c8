package api

// The user lifecycle routes: an admin's view of every user (list, get,
// role, disable, delete) and a user's own password and tokens. The rules
// (password policy, the last enabled admin, which tokens a new password
// ends) are package users'.

import (
	"errors"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/globalautomation/gahost/host/internal/store"
	"github.com/globalautomation/gahost/host/internal/users"
)

var userNotFound = res{http.StatusNotFound, "No such user (not_found).", errBody}

func registerUsers(h *handler, r routes) {
	r.admin.handle(http.MethodGet, "/users", op{id: "listUsers", tag: "users", paged: true,
		summary: "Every user (admin), oldest first",
		res:     []res{{http.StatusOK, "The users.", []userDetailView{}}}}, h.listUsers)
	r.admin.handle(http.MethodGet, "/users/:id", op{id: "getUser", tag: "users", summary: "One user (admin)",
		res: []res{{http.StatusOK, "The user.", userDetailView{}}, userNotFound}}, h.getUser)
	r.admin.handle(http.MethodPatch, "/users/:id", op{id: "updateUser", tag: "users",
		summary: "Change a user's role, or disable or enable it (admin)",
		desc: "A disabled user cannot log in and its tokens are refused (user_disabled); its accounts and " +
			"webhooks stay. A change that would leave no enabled admin is refused.",
		body: patchUserRequest{},
		res: []res{
			{http.StatusOK, "The user as changed.", userDetailView{}},
			{http.StatusBadRequest, "The body is malformed, or role is neither user nor admin (invalid_role).", errBody},
			userNotFound,
			{http.StatusConflict, "It would leave no enabled admin (last_admin).", errBody},
		}}, h.patchUser)
	r.admin.handle(http.MethodDelete, "/users/:id", op{id: "deleteUser", tag: "users",
		summary: "Delete a user with its accounts (and their sealed keys), snapshots, webhooks and tokens (admin)",
		res: []res{{http.StatusNoContent, "Deleted.", nil}, userNotFound,
			{http.StatusConflict, "It is the last enabled admin (last_admin).", errBody}}}, h.deleteUser)

	r.authed.handle(http.MethodPost, "/auth/logout", op{id: "logout", tag: "users",
		summary: "Log out: revoke the token this request carries",
		res:     []res{{http.StatusNoContent, "The token no longer works.", nil}}}, h.postLogout)
	r.authed.handle(http.MethodPost, "/me/password", op{id: "changePassword", tag: "users",
		summary: "Set a new password",
		desc: "current_password is required when the user has a password. A user created without one (an " +
			"invite) sets its first password here with the token its creation answered. Every other login " +
			"token of the user is revoked; API tokens and the token of this request stay.",
		body: changePasswordRequest{},
		res: []res{
			{http.StatusNoContent, "Changed.", nil},
			{http.StatusBadRequest, "The body is malformed, current_password is missing (missing_field), or the " +
				"new password breaks the policy (invalid_password): at least 12 characters, at most 1024 bytes, " +
				"no control characters, not one character repeated.", errBody},
			{http.StatusForbidden, "current_password is wrong (wrong_password).", errBody},
		}}, h.postPassword)
	r.authed.handle(http.MethodGet, "/me/tokens", op{id: "listTokens", tag: "users", paged: true,
		summary: "The user's tokens (API tokens and login sessions), oldest first; never the tokens themselves",
		res:     []res{{http.StatusOK, "The tokens that have not expired.", []tokenView{}}}}, h.listTokens)
	r.authed.handle(http.MethodDelete, "/me/tokens/:id", op{id: "revokeToken", tag: "users",
		summary: "Revoke one of the user's tokens",
		res: []res{{http.StatusNoContent, "Revoked.", nil},
			{http.StatusNotFound, "The user has no such token (not_found).", errBody}}}, h.deleteToken)
}

type userDetailView struct {
	userView
	Disabled    bool      `json:"disabled" doc:"A disabled user cannot log in and its tokens are refused."`
	HasPassword bool      `json:"has_password" doc:"false for an invited user that has not set a password yet."`
	CreatedAt   time.Time `json:"created_at"`
}

func userDetailOf(u store.User) userDetailView {
	return userDetailView{userView: userView{ID: u.ID, Username: u.Username, Role: u.Role}, Disabled: u.Disabled,
		HasPassword: u.PasswordHash != "", CreatedAt: u.CreatedAt.UTC()}
}

// userError answers an error of the users service about one user.
func (h *handler) userError(c *gin.Context, what string, err error) {
	var ce *users.ConflictError
	switch {
	case errors.Is(err, users.ErrNotFound):
		writeError(c, http.StatusNotFound, codeNotFound, "no such user")
	case errors.As(err, &ce):
		writeError(c, http.StatusConflict, ce.Code, ce.Message)
	default:
		h.serviceError(c, what, err)
	}
}

func (h *handler) listUsers(c *gin.Context) {
	p, ok := readPage(c)
	if !ok {
		return
	}
	list, next, err := h.d.Users.Page(c.Request.Context(), p.after, p.limit)
	if err != nil {
		h.internalError(c, "list users", err)
		return
	}
	out := make([]userDetailView, 0, len(list))
	for _, u := range list {
		out = append(out, userDetailOf(u))
	}
	nextPage(c, next)
	c.JSON(http.StatusOK, out)
}

func (h *handler) getUser(c *gin.Context) {
	u, err := h.d.Users.Get(c.Request.Context(), c.Param("id"))
	if err != nil {
		h.userError(c, "get user", err)
		return
	}
	c.JSON(http.StatusOK, userDetailOf(u))
}

type patchUserRequest struct {
	Role     *string `json:"role" doc:"user or admin."`
	Disabled *bool   `json:"disabled"`
}

func (h *handler) patchUser(c *gin.Context) {
	var req patchUserRequest
	if !decodeJSON(c, &req) {
		return
	}
	u, err := h.d.Users.Update(c.Request.Context(), c.Param("id"), users.Patch{Role: req.Role, Disabled: req.Disabled})
	if err != nil {
		h.userError(c, "update user", err)
		return
	}
	h.log.Info("user changed", "user_id", u.ID, "role", u.Role, "disabled", u.Disabled, "by", currentUser(c).ID)
	c.JSON(http.StatusOK, userDetailOf(u))
}

func (h *handler) deleteUser(c *gin.Context) {
	gone, err := h.d.Users.Delete(c.Request.Context(), c.Param("id"))
	if err != nil {
		h.userError(c, "delete user", err)
		return
	}
	for _, id := range gone {
		h.accountChanged(id)
	}
	h.log.Info("user deleted", "user_id", c.Param("id"), "by", currentUser(c).ID)
	c.Status(http.StatusNoContent)
}

func (h *handler) postLogout(c *gin.Context) {
	err := h.d.Users.RevokeToken(c.Request.Context(), currentUser(c).ID, currentToken(c).ID)
	if err != nil && !errors.Is(err, users.ErrNotFound) {
		h.internalError(c, "logout", err)
		return
	}
	c.Status(http.StatusNoContent)
}

type changePasswordRequest struct {
	CurrentPassword *string `json:"current_password" doc:"Required when the user has a password."`
	NewPassword     string  `json:"new_password" required:"true" doc:"At least 12 characters, at most 1024 bytes, no control characters, not one character repeated."`
}

func (h *handler) postPassword(c *gin.Context) {
	var req changePasswordRequest
	if !decodeJSON(c, &req) {
		return
	}
	err := h.d.Users.ChangePassword(c.Request.Context(), currentUser(c).ID, currentToken(c).ID, req.CurrentPassword,
		req.NewPassword)
	if errors.Is(err, users.ErrInvalidCredentials) {
		writeError(c, http.StatusForbidden, users.CodeWrongPassword, "the current password is wrong")
		return
	}
	if err != nil {
		h.serviceError(c, "change password", err)
		return
	}
	c.Status(http.StatusNoContent)
}

type tokenView struct {
	ID        string     `json:"id"`
	Kind      string     `json:"kind" doc:"api: made with the user or by gahost admin token, never expires; login: from POST /auth/login."`
	CreatedAt time.Time  `json:"created_at"`
	ExpiresAt *time.Time `json:"expires_at" doc:"null: never."`
	Current   bool       `json:"current" doc:"The token this request carries."`
}

func (h *handler) listTokens(c *gin.Context) {
	p, ok := readPage(c)
	if !ok {
		return
	}
	list, err := h.d.Users.Tokens(c.Request.Context(), currentUser(c).ID)
	if err != nil {
		h.internalError(c, "list tokens", err)
		return
	}
	list, next := pageOf(list, func(t store.Token) string { return t.ID }, p)
	cur := currentToken(c).ID
	out := make([]tokenView, 0, len(list))
	for _, t := range list {
		out = append(out, tokenView{ID: t.ID, Kind: t.Kind, CreatedAt: t.CreatedAt.UTC(), ExpiresAt: timeOrNull(t.ExpiresAt),
			Current: t.ID == cur})
	}
	nextPage(c, next)
	c.JSON(http.StatusOK, out)
}

func (h *handler) deleteToken(c *gin.Context) {
	err := h.d.Users.RevokeToken(c.Request.Context(), currentUser(c).ID, c.Param("id"))
	switch {
	case errors.Is(err, users.ErrNotFound):
		writeError(c, http.StatusNotFound, codeNotFound, "no such token")
	case err != nil:
		h.internalError(c, "revoke token", err)
	default:
		c.Status(http.StatusNoContent)
	}
}
