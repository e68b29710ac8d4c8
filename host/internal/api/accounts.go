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
			"The plugin checks the keys with the exchange first, unless validate is false; the answer then " +
			"carries the permissions the exchange reported (last_check) and warnings.",
		body: createAccountRequest{},
		res: []res{
			{http.StatusCreated, "The account.", accountView{}},
			{http.StatusBadRequest, "The body is malformed, or a field is refused: missing_field, invalid_name, " +
				"empty_key, invalid_key, unknown_exchange (no plugin serves it), passphrase_required (the " +
				"exchange needs one), testnet_unsupported.", errBody},
			{http.StatusConflict, "The user already has an account with this API key (duplicate_api_key), or " +
				"as many accounts as the limits allow (quota_exceeded).", errBody},
			{http.StatusUnprocessableEntity, "The exchange turned the keys down " +
				"(credentials_rejected), or refused the check for another reason named by a plugin error kind " +
				"(clock_skew, invalid_request, …). The message is the exchange's reason, without the keys.", errBody},
			{http.StatusTooManyRequests, "The exchange rate-limited the check (rate_limited).", errBody},
			{http.StatusBadGateway, "The exchange could not be reached for the check (exchange_unavailable).", errBody},
			{http.StatusGatewayTimeout, "The exchange did not answer the check in time (exchange_timeout).", errBody},
		},
	}, h.postAccount)
	g.handle(http.MethodGet, "", op{id: "listAccounts", tag: "exchange-accounts", paged: true,
		summary: "The user's exchange accounts, oldest first", res: []res{{http.StatusOK, "The accounts.", []accountView{}}}},
		h.listAccounts)
	g.handle(http.MethodPost, "/:id/validate", op{id: "validateAccount", tag: "exchange-accounts",
		summary: "Check the account's stored keys with the exchange again",
		desc: "The verdict is kept as last_check with the permissions the exchange reported. Accepted keys " +
			"release an auth_failed account (pending, synced at once); refused ones park it as auth_failed. " +
			"A check that could not be made changes nothing.",
		res: []res{
			{http.StatusOK, "The account with the new last_check (outcome ok or rejected).", accountView{}},
			{http.StatusBadRequest, "The stored keys do not open with the master key (credentials_unreadable), or " +
				"no plugin serves the exchange now (unknown_exchange).", errBody},
			accountNotFound,
			{http.StatusUnprocessableEntity, "The exchange refused the check for a reason other than the keys, named " +
				"by a plugin error kind (clock_skew, invalid_request, …).", errBody},
			{http.StatusTooManyRequests, "The exchange rate-limited the check (rate_limited).", errBody},
			{http.StatusBadGateway, "The exchange could not be reached (exchange_unavailable).", errBody},
			{http.StatusGatewayTimeout, "The exchange did not answer in time (exchange_timeout).", errBody},
		},
	}, h.validateAccount)
	g.handle(http.MethodGet, "/:id", op{id: "getAccount", tag: "exchange-accounts", summary: "One exchange account",
		res: []res{{http.StatusOK, "The account.", accountView{}}, accountNotFound}}, h.getAccount)
	g.handle(http.MethodPatch, "/:id", op{id: "updateAccount", tag: "exchange-accounts",
		summary: "Change an account: any of its fields; is_main true makes it the main account",
		desc: "Fields left out stay as they are. Making an account main clears the flag on the user's " +
			"other accounts; is_main false on the main account is refused, since a user with accounts always " +
			"has one main: make another main instead. Deactivating the main account moves the flag to the " +
			"oldest active account. New keys replace the sealed ones.",
		body: patchAccountRequest{},
		res: []res{
			{http.StatusOK, "The account as changed.", accountView{}},
			{http.StatusBadRequest, "The body is malformed, or a field is refused (missing_field, invalid_name, " +
				"empty_key, invalid_key, passphrase_required, testnet_unsupported).", errBody},
			accountNotFound,
			{http.StatusConflict, "is_main false on the main account (main_account_required), is_main true on an " +
				"inactive account while another is active (main_account_inactive), or a new api_key another " +
				"account of the user has (duplicate_api_key).", errBody},
		},
	}, h.patchAccount)
	g.handle(http.MethodDelete, "/:id", op{id: "deleteAccount", tag: "exchange-accounts",
		summary: "Delete an account and its snapshots; a deleted main account's flag moves to the oldest active one",
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
	// LastCheck is nil until the keys were checked with the exchange.
	LastCheck *checkView    `json:"last_check" doc:"The exchange's last verdict on the keys; null when they were stored unchecked."`
	Warnings  []warningView `json:"warnings" doc:"What the owner should know about the key, from its last check."`
}

type checkView struct {
	At      time.Time `json:"at"`
	Outcome string    `json:"outcome" doc:"ok: the exchange accepted the keys; rejected: it turned them down."`
	Current bool      `json:"current" doc:"Whether the verdict is about the keys stored now (false once they changed)."`
	// Permissions is nil for a rejection.
	Permissions *permissionsView `json:"permissions" doc:"What the exchange reported the keys may do; null when it rejected them."`
	Message     string           `json:"message,omitempty" doc:"The exchange's reason for a rejection, without the keys."`
}

type permissionsView struct {
	Read         bool     `json:"read"`
	SpotTrade    bool     `json:"spot_trade"`
	FuturesTrade bool     `json:"futures_trade"`
	Withdraw     bool     `json:"withdraw" doc:"The key may withdraw funds; gahost never needs that."`
	IPRestricted bool     `json:"ip_restricted" doc:"The exchange limits the key to some IP addresses."`
	Notes        []string `json:"notes" doc:"The plugin's remarks on the key."`
}

type warningView struct {
	Code    string `json:"code"`
	Message string `json:"message"`
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
// shown but the hint. markets are the markets of the account's webhooks,
// for the warnings.
func (h *handler) accountView(a store.Account, markets []string) accountView {
	status := credentialsOK
	if !h.d.Accounts.CredentialsReadable(a) {
		status = credentialsUnreadable
	}
	v := accountView{
		ID: a.ID, Name: a.Name, Exchange: a.Exchange, Testnet: a.Testnet, IsActive: a.IsActive, IsMain: a.IsMain,
		APIKeyHint: a.APIKeyHint, CreatedAt: a.CreatedAt.UTC(), UpdatedAt: a.UpdatedAt.UTC(),
		Sync: syncView{
			Status: a.Sync.Status, LastSyncAt: timeOrNull(a.Sync.LastSyncAt), LastError: a.Sync.LastError,
			NextSyncAt: timeOrNull(a.Sync.NextSyncAt), FailedParts: a.Sync.FailedParts,
		},
		CredentialsStatus: status,
		LastCheck:         checkViewOf(a),
		Warnings:          []warningView{},
	}
	for _, w := range accounts.Warnings(a, markets) {
		v.Warnings = append(v.Warnings, warningView{Code: w.Code, Message: w.Message})
	}
	return v
}

// viewOne is the JSON of one account, with the warnings its webhooks call
// for.
func (h *handler) viewOne(c *gin.Context, a store.Account) (accountView, bool) {
	markets, err := h.d.Accounts.WebhookMarkets(c.Request.Context(), a.UserID)
	if err != nil {
		h.internalError(c, "load webhooks", err)
		return accountView{}, false
	}
	return h.accountView(a, markets[a.ID]), true
}

// accountError answers an error of the accounts service: a conflict with
// what the user has is 409, a refused field 400, anything else 500.
func (h *handler) accountError(c *gin.Context, what string, err error) {
	var ce *accounts.ConflictError
	if errors.As(err, &ce) {
		writeError(c, http.StatusConflict, ce.Code, ce.Message)
		return
	}
	h.serviceError(c, what, err)
}

func checkViewOf(a store.Account) *checkView {
	c := a.LastCheck
	if c == nil {
		return nil
	}
	v := &checkView{At: c.At.UTC(), Outcome: c.Outcome, Current: c.KeysRev == a.KeysRev, Message: c.Message}
	if p := c.Permissions; p != nil {
		v.Permissions = &permissionsView{Read: p.Read, SpotTrade: p.SpotTrade, FuturesTrade: p.FuturesTrade,
			Withdraw: p.Withdraw, IPRestricted: p.IPRestricted, Notes: append([]string{}, p.Notes...)}
	}
	return v
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
	// Validate nil means true.
	Validate *bool `json:"validate,omitempty" doc:"Check the keys with the exchange before storing them; default true. false stores them unchecked."`
}

func (h *handler) postAccount(c *gin.Context) {
	var req createAccountRequest
	if !decodeJSON(c, &req) {
		return
	}
	a, err := h.d.Accounts.Create(c.Request.Context(), currentUser(c).ID, accounts.NewAccount{
		Name: req.Name, Exchange: req.Exchange, APIKey: req.APIKey, SecretKey: req.SecretKey,
		Passphrase: req.Passphrase, Testnet: req.Testnet, IsMain: req.IsMain,
		SkipValidation: req.Validate != nil && !*req.Validate,
	})
	var ce *accounts.CheckError
	switch {
	case errors.As(err, &ce):
		h.writeCheckError(c, ce)
		return
	case err != nil:
		h.accountError(c, "create account", err)
		return
	}
	h.accountChanged(a.ID)
	// A new account has no webhook yet.
	c.JSON(http.StatusCreated, h.accountView(a, nil))
}

func (h *handler) validateAccount(c *gin.Context) {
	a, ok := h.userAccount(c)
	if !ok {
		return
	}
	a, err := h.d.Accounts.Validate(c.Request.Context(), a.UserID, a.ID)
	var ce *accounts.CheckError
	switch {
	case errors.Is(err, accounts.ErrNotFound):
		writeError(c, http.StatusNotFound, codeNotFound, "no such exchange account")
		return
	case errors.As(err, &ce):
		h.writeCheckError(c, ce)
		return
	case err != nil:
		h.accountError(c, "validate account", err)
		return
	}
	h.accountChanged(a.ID)
	if v, ok := h.viewOne(c, a); ok {
		c.JSON(http.StatusOK, v)
	}
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
	p, ok := readPage(c)
	if !ok {
		return
	}
	user := currentUser(c).ID
	list, next, err := h.d.Accounts.Page(c.Request.Context(), user, p.after, p.limit)
	if err != nil {
		h.internalError(c, "list accounts", err)
		return
	}
	markets, err := h.d.Accounts.WebhookMarkets(c.Request.Context(), user)
	if err != nil {
		h.internalError(c, "load webhooks", err)
		return
	}
	out := make([]accountView, 0, len(list))
	for _, a := range list {
		out = append(out, h.accountView(a, markets[a.ID]))
	}
	nextPage(c, next)
	c.JSON(http.StatusOK, out)
}

func (h *handler) getAccount(c *gin.Context) {
	a, ok := h.userAccount(c)
	if !ok {
		return
	}
	if v, ok := h.viewOne(c, a); ok {
		c.JSON(http.StatusOK, v)
	}
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
		h.accountError(c, "update account", err)
		return
	}
	if p != (accounts.Patch{}) {
		h.accountChanged(a.ID)
	}
	if v, ok := h.viewOne(c, a); ok {
		c.JSON(http.StatusOK, v)
	}
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
