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

// accountNotFound documents the 404 of a route about one account.
var accountNotFound = res{http.StatusNotFound, "No such exchange account, or another user's (not_found).", errBody}

func registerAccounts(h *handler, r routes) {
	g := r.authed.group("/exchange-accounts")
	g.handle(http.MethodPost, "", op{id: "createAccount", tag: "exchange-accounts",
		summary: "Add an exchange account with its API keys",
		desc: "The keys are sealed with the master key; no answer shows them again (api_key_hint keeps the " +
			"first and last 4 characters of the API key). The first account a user adds is the main one. " +
			"With validate the plugin checks the keys with the exchange first.",
		body: createAccountRequest{},
		res: []res{
			{http.StatusCreated, "The account.", accountView{}},
			{http.StatusBadRequest, "The body is malformed, or a field is refused: missing_field, invalid_name, " +
				"empty_key, invalid_key, unknown_exchange (no plugin serves it), passphrase_required (the " +
				"exchange needs one), testnet_unsupported.", errBody},
			{http.StatusUnprocessableEntity, "validate was set and the exchange turned the keys down " +
				"(credentials_rejected), or refused the check for another reason named by a plugin error kind " +
				"(clock_skew, invalid_request, …). The message is the exchange's reason, without the keys.", errBody},
			{http.StatusTooManyRequests, "validate was set and the exchange rate-limited the check (rate_limited).", errBody},
			{http.StatusBadGateway, "validate was set and the exchange could not be reached (exchange_unavailable).", errBody},
			{http.StatusGatewayTimeout, "validate was set and the exchange did not answer in time (exchange_timeout).", errBody},
		},
	}, h.postAccount)
	g.handle(http.MethodGet, "", op{id: "listAccounts", tag: "exchange-accounts",
		summary: "The user's exchange accounts", res: []res{{http.StatusOK, "The accounts.", []accountView{}}}},
		h.listAccounts)
	g.handle(http.MethodGet, "/:id", op{id: "getAccount", tag: "exchange-accounts", summary: "One exchange account",
		res: []res{{http.StatusOK, "The account.", accountView{}}, accountNotFound}}, h.getAccount)
	g.handle(http.MethodPatch, "/:id", op{id: "updateAccount", tag: "exchange-accounts",
		summary: "Change an account: any of its fields; is_main true makes it the main account",
		desc: "Fields left out stay as they are. Making an account main clears the flag on the user's " +
			"other accounts. New keys replace the sealed ones.",
		body: patchAccountRequest{},
		res: []res{
			{http.StatusOK, "The account as changed.", accountView{}},
			{http.StatusBadRequest, "The body is malformed, or a field is refused (missing_field, invalid_name, " +
				"empty_key, invalid_key, passphrase_required, testnet_unsupported).", errBody},
			accountNotFound,
		},
	}, h.patchAccount)
	g.handle(http.MethodDelete, "/:id", op{id: "deleteAccount", tag: "exchange-accounts",
		summary: "Delete an account and its snapshots",
		res:     []res{{http.StatusNoContent, "Deleted.", nil}, accountNotFound}}, h.deleteAccount)
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
	Exchange          string    `json:"exchange" doc:"The exchange's name as its plugin gives it, lower case (binance, okx, …)."`
	Testnet           bool      `json:"testnet"`
	IsActive          bool      `json:"is_active" doc:"Only active accounts are synced."`
	IsMain            bool      `json:"is_main" doc:"The dashboard's account when a request names none; at most one per user."`
	APIKeyHint        string    `json:"api_key_hint" doc:"The first 4 and last 4 characters of the API key."`
	CreatedAt         time.Time `json:"created_at"`
	UpdatedAt         time.Time `json:"updated_at"`
	Sync              syncView  `json:"sync"`
	CredentialsStatus string    `json:"credentials_status" doc:"unreadable: the stored keys do not open with the daemon's master key; enter them again."`
}

type syncView struct {
	Status      string     `json:"status" doc:"The outcome of the last sync; pending before the first."`
	LastSyncAt  *time.Time `json:"last_sync_at"`
	LastError   string     `json:"last_error" doc:"Why the last sync failed; empty when it did not."`
	NextSyncAt  *time.Time `json:"next_sync_at"`
	FailedParts []string   `json:"failed_parts,omitempty" doc:"The parts of the last sync that failed while others succeeded."`
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
	Name       string `json:"name" required:"true" doc:"1 to 100 characters, no control characters."`
	Exchange   string `json:"exchange" required:"true" doc:"An exchange a loaded plugin serves (GET /api/v1/exchanges)."`
	APIKey     string `json:"api_key" required:"true"`
	SecretKey  string `json:"secret_key" required:"true"`
	Passphrase string `json:"passphrase" doc:"Required where the exchange's requires_passphrase is true (bitget, okx)."`
	Testnet    bool   `json:"testnet" doc:"Use the exchange's testnet or demo trading, where supports_testnet is true."`
	IsMain     bool   `json:"is_main" doc:"Make this the main account (the first account is main anyway)."`
	Validate   bool   `json:"validate" doc:"Check the keys with the exchange before storing them."`
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
