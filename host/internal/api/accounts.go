package api

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/globalautomation/gahost/host/internal/accounts"
	"github.com/globalautomation/gahost/host/internal/store"
	"github.com/globalautomation/gahost/sdk"
)

func registerAccounts(h *handler, r routes) {
	g := r.authed.Group("/exchange-accounts")
	g.POST("", h.postAccount)
	g.GET("", h.listAccounts)
	g.GET("/:id", h.getAccount)
	g.PATCH("/:id", h.patchAccount)
	g.DELETE("/:id", h.deleteAccount)
}

// Credential status of an account, beside the contract's fields: whether
// its stored secrets open with the master key.
const (
	credentialsOK         = "ok"
	credentialsUnreadable = "unreadable"
)

type accountView struct {
	ID                string    `json:"id"`
	Name              string    `json:"name"`
	Exchange          string    `json:"exchange"`
	Testnet           bool      `json:"testnet"`
	IsActive          bool      `json:"is_active"`
	IsMain            bool      `json:"is_main"`
	APIKeyHint        string    `json:"api_key_hint"`
	CreatedAt         time.Time `json:"created_at"`
	UpdatedAt         time.Time `json:"updated_at"`
	Sync              syncView  `json:"sync"`
	CredentialsStatus string    `json:"credentials_status"`
}

type syncView struct {
	Status      string     `json:"status"`
	LastSyncAt  *time.Time `json:"last_sync_at"`
	LastError   string     `json:"last_error"`
	NextSyncAt  *time.Time `json:"next_sync_at"`
	FailedParts []string   `json:"failed_parts,omitempty"`
}

func timeOrNull(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.UTC()
	return &t
}

// accountView is the JSON of an account. The service opens the sealed
// credentials only to tell whether they are readable; nothing of them is
// shown but the hint.
func (h *handler) accountView(a store.Account) accountView {
	status := credentialsOK
	if !h.d.Accounts.CredentialsReadable(a) {
		status = credentialsUnreadable
	}
	return accountView{
		ID: a.ID, Name: a.Name, Exchange: a.Exchange, Testnet: a.Testnet, IsActive: a.IsActive, IsMain: a.IsMain,
		APIKeyHint: a.APIKeyHint, CreatedAt: a.CreatedAt.UTC(), UpdatedAt: a.UpdatedAt.UTC(),
		Sync: syncView{
			Status: a.Sync.Status, LastSyncAt: timeOrNull(a.Sync.LastSyncAt), LastError: a.Sync.LastError,
			NextSyncAt: timeOrNull(a.Sync.NextSyncAt), FailedParts: a.Sync.FailedParts,
		},
		CredentialsStatus: status,
	}
}

// userAccount loads the account named by the :id parameter for the current
// user. Another user's account is answered 404 like a missing one.
func (h *handler) userAccount(c *gin.Context) (store.Account, bool) {
	a, err := h.d.Accounts.Get(c.Request.Context(), currentUser(c).ID, c.Param("id"))
	if errors.Is(err, accounts.ErrNotFound) {
		writeError(c, http.StatusNotFound, codeNotFound, "no such exchange account")
		return store.Account{}, false
	}
	if err != nil {
		h.internalError(c, "load account", err)
		return store.Account{}, false
	}
	return a, true
}

type createAccountRequest struct {
	Name       string `json:"name"`
	Exchange   string `json:"exchange"`
	APIKey     string `json:"api_key"`
	SecretKey  string `json:"secret_key"`
	Passphrase string `json:"passphrase"`
	Testnet    bool   `json:"testnet"`
	IsMain     bool   `json:"is_main"`
	Validate   bool   `json:"validate"`
}

func (h *handler) postAccount(c *gin.Context) {
	var req createAccountRequest
	if !decodeJSON(c, &req) {
		return
	}
	a, err := h.d.Accounts.Create(c.Request.Context(), currentUser(c).ID, accounts.NewAccount{
		Name: req.Name, Exchange: req.Exchange, APIKey: req.APIKey, SecretKey: req.SecretKey,
		Passphrase: req.Passphrase, Testnet: req.Testnet, IsMain: req.IsMain, Validate: req.Validate,
	})
	var ce *accounts.CheckError
	switch {
	case errors.As(err, &ce):
		h.writeCheckError(c, ce)
		return
	case err != nil:
		h.serviceError(c, "create account", err)
		return
	}
	h.accountChanged(a.ID)
	c.JSON(http.StatusCreated, h.accountView(a))
}

// writeCheckError answers a failed credentials check: 422 when the
// exchange turned the keys down, with its reason (already cleaned of the
// keys by the service).
func (h *handler) writeCheckError(c *gin.Context, ce *accounts.CheckError) {
	switch kind := ce.Kind; {
	case kind == sdk.KindAuthentication || kind == sdk.KindPermission:
		writeError(c, http.StatusUnprocessableEntity, codeCredsRejected, ce.Message)
	case kind == sdk.KindRateLimited:
		if d := ce.RetryAfter; d > 0 {
			c.Header("Retry-After", strconv.Itoa(int(math.Ceil(d.Seconds()))))
		}
		writeError(c, http.StatusTooManyRequests, codeRateLimited, ce.Message)
	case ce.TimedOut:
		writeError(c, http.StatusGatewayTimeout, codeExchangeTimeout,
			fmt.Sprintf("the exchange did not answer within %s", h.d.Accounts.ValidateTimeout()))
	case kind == sdk.KindUnavailable || kind == sdk.KindUnknown:
		writeError(c, http.StatusBadGateway, codeExchangeDown, ce.Message)
	default:
		writeError(c, http.StatusUnprocessableEntity, kind.String(), ce.Message)
	}
}

func (h *handler) listAccounts(c *gin.Context) {
	list, err := h.d.Accounts.List(c.Request.Context(), currentUser(c).ID)
	if err != nil {
		h.internalError(c, "list accounts", err)
		return
	}
	out := make([]accountView, 0, len(list))
	for _, a := range list {
		out = append(out, h.accountView(a))
	}
	c.JSON(http.StatusOK, out)
}

func (h *handler) getAccount(c *gin.Context) {
	a, ok := h.userAccount(c)
	if !ok {
		return
	}
	c.JSON(http.StatusOK, h.accountView(a))
}

type patchAccountRequest struct {
	Name       *string `json:"name"`
	APIKey     *string `json:"api_key"`
	SecretKey  *string `json:"secret_key"`
	Passphrase *string `json:"passphrase"`
	Testnet    *bool   `json:"testnet"`
	IsActive   *bool   `json:"is_active"`
	IsMain     *bool   `json:"is_main"`
}

func (h *handler) patchAccount(c *gin.Context) {
	a, ok := h.userAccount(c)
	if !ok {
		return
	}
	var req patchAccountRequest
	if !decodeJSON(c, &req) {
		return
	}
	p := accounts.Patch{Name: req.Name, APIKey: req.APIKey, SecretKey: req.SecretKey, Passphrase: req.Passphrase,
		Testnet: req.Testnet, IsActive: req.IsActive, IsMain: req.IsMain}
	a, err := h.d.Accounts.Update(c.Request.Context(), a.UserID, a.ID, p)
	if errors.Is(err, accounts.ErrNotFound) {
		writeError(c, http.StatusNotFound, codeNotFound, "no such exchange account")
		return
	}
	if err != nil {
		h.serviceError(c, "update account", err)
		return
	}
	if p != (accounts.Patch{}) {
		h.accountChanged(a.ID)
	}
	c.JSON(http.StatusOK, h.accountView(a))
}

func (h *handler) deleteAccount(c *gin.Context) {
	a, ok := h.userAccount(c)
	if !ok {
		return
	}
	err := h.d.Accounts.Delete(c.Request.Context(), a.UserID, a.ID)
	if err != nil && !errors.Is(err, accounts.ErrNotFound) {
		h.internalError(c, "delete account", err)
		return
	}
	h.accountChanged(a.ID)
	c.Status(http.StatusNoContent)
}
