package api

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
	"github.com/globalautomation/gahost/host/internal/secrets"
	"github.com/globalautomation/gahost/host/internal/store"
	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/redact"
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

// accountView is the JSON of an account. It opens the sealed credentials
// only to tell whether they are readable; nothing of them is shown but the
// hint.
func (h *handler) accountView(a store.Account) accountView {
	status := credentialsOK
	if _, err := h.d.Keys.OpenCredentials(a.ID, a.Secrets); err != nil {
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

// openCredentials opens an account's secrets for a call to its exchange.
// When they do not open it answers 500 account_unreadable and returns false:
// the account must never be used with other keys than its own.
func (h *handler) openCredentials(c *gin.Context, a store.Account) (secrets.Credentials, bool) {
	creds, err := h.d.Keys.OpenCredentials(a.ID, a.Secrets)
	if err != nil {
		h.log.Error("stored credentials do not open", "account_id", a.ID, "error", err)
		writeError(c, http.StatusInternalServerError, codeAccountUnreadable,
			"the stored credentials of this account cannot be decrypted; enter the keys again or delete the account")
		return secrets.Credentials{}, false
	}
	return creds, true
}

// sdkAccount is what a plugin call for a stored account carries.
func (h *handler) sdkAccount(exchange string, testnet bool, creds secrets.Credentials) sdk.Account {
	return sdk.Account{APIKey: creds.APIKey, SecretKey: creds.SecretKey, Passphrase: creds.Passphrase,
		Testnet: testnet}
}

// userAccount loads the account named by the :id parameter for the current
// user. Another user's account is answered 404 like a missing one.
func (h *handler) userAccount(c *gin.Context) (store.Account, bool) {
	a, err := h.d.Store.UserAccount(c.Request.Context(), currentUser(c).ID, c.Param("id"))
	if errors.Is(err, store.ErrNotFound) {
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

const (
	maxNameLen   = 100
	maxSecretLen = 1024
)

// checkName validates an account name; on failure it has answered.
func checkName(c *gin.Context, name string) bool {
	switch {
	case strings.TrimSpace(name) == "":
		writeError(c, http.StatusBadRequest, codeMissingField, "name is required")
	case utf8.RuneCountInString(name) > maxNameLen || !utf8.ValidString(name) || strings.IndexFunc(name, unicode.IsControl) >= 0:
		writeError(c, http.StatusBadRequest, codeInvalidName,
			fmt.Sprintf("name must be at most %d characters without control characters", maxNameLen))
	default:
		return true
	}
	return false
}

// cleanKey trims a pasted key and checks it; on failure it has answered.
// Messages name the field, never echo it.
func cleanKey(c *gin.Context, field, v string) (string, bool) {
	v = strings.TrimSpace(v)
	switch {
	case v == "":
		writeError(c, http.StatusBadRequest, codeEmptyKey, field+" must not be empty")
	case len(v) > maxSecretLen:
		writeError(c, http.StatusBadRequest, codeInvalidKey, fmt.Sprintf("%s is longer than %d bytes", field, maxSecretLen))
	case !utf8.ValidString(v) || strings.IndexFunc(v, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0:
		writeError(c, http.StatusBadRequest, codeInvalidKey, field+" must not contain spaces or control characters")
	default:
		return v, true
	}
	return "", false
}

// checkPassphrase validates a passphrase (kept as typed); on failure it has
// answered.
func checkPassphrase(c *gin.Context, v string) bool {
	if len(v) > maxSecretLen || !utf8.ValidString(v) || strings.IndexFunc(v, unicode.IsControl) >= 0 {
		writeError(c, http.StatusBadRequest, codeInvalidKey,
			fmt.Sprintf("passphrase must be at most %d bytes without control characters", maxSecretLen))
		return false
	}
	return true
}

// exchange looks up the plugin serving name; on failure it has answered.
func (h *handler) exchange(c *gin.Context, name string) (sdk.Exchange, sdk.Info, bool) {
	client, info, ok := h.d.Exchanges.Exchange(name)
	if !ok {
		writeError(c, http.StatusBadRequest, codeUnknownExchange,
			fmt.Sprintf("no plugin serves exchange %q", redact.Clip(name, 40)))
		return nil, sdk.Info{}, false
	}
	return client, info, true
}

func (h *handler) postAccount(c *gin.Context) {
	var req createAccountRequest
	if !decodeJSON(c, &req) {
		return
	}
	if !checkName(c, req.Name) {
		return
	}
	if req.Exchange == "" {
		writeError(c, http.StatusBadRequest, codeMissingField, "exchange is required")
		return
	}
	apiKey, ok := cleanKey(c, "api_key", req.APIKey)
	if !ok {
		return
	}
	secretKey, ok := cleanKey(c, "secret_key", req.SecretKey)
	if !ok || !checkPassphrase(c, req.Passphrase) {
		return
	}
	client, info, ok := h.exchange(c, req.Exchange)
	if !ok {
		return
	}
	if info.RequiresPassphrase && req.Passphrase == "" {
		writeError(c, http.StatusBadRequest, codePassphraseNeeded, fmt.Sprintf("%s requires a passphrase", req.Exchange))
		return
	}
	if req.Testnet && !info.SupportsTestnet {
		writeError(c, http.StatusBadRequest, codeTestnetNotOffered, fmt.Sprintf("%s offers no testnet", req.Exchange))
		return
	}
	creds := secrets.Credentials{APIKey: apiKey, SecretKey: secretKey, Passphrase: req.Passphrase}
	if req.Validate && !h.validateCredentials(c, client, h.sdkAccount(req.Exchange, req.Testnet, creds)) {
		return
	}
	a, err := h.d.Store.CreateAccount(c.Request.Context(), h.d.Keys, store.NewAccount{
		UserID: currentUser(c).ID, Name: req.Name, Exchange: req.Exchange, Testnet: req.Testnet, IsMain: req.IsMain,
		Credentials: creds,
	})
	if err != nil {
		h.internalError(c, "create account", err)
		return
	}
	h.log.Info("exchange account created", "account_id", a.ID, "exchange", a.Exchange, "user_id", a.UserID)
	h.accountChanged(a.ID)
	c.JSON(http.StatusCreated, h.accountView(a))
}

// validateCredentials asks the plugin to check the keys within the
// validate deadline. On failure it has answered: 422 when the exchange
// turned the keys down, with its reason cleaned of anything from the keys.
func (h *handler) validateCredentials(c *gin.Context, client sdk.Exchange, acct sdk.Account) bool {
	ctx, cancel := context.WithTimeout(c.Request.Context(), h.d.ValidateTimeout)
	defer cancel()
	_, err := client.ValidateCredentials(ctx, acct)
	if err == nil {
		return true
	}
	h.writeExchangeError(ctx, c, err, acct.APIKey, acct.SecretKey, acct.Passphrase)
	return false
}

// writeExchangeError maps an error of a plugin call to an answer. The
// message is the exchange's own reason for a typed error, with every trace of
// the credentials removed; an untyped error (transport, plugin crash) gets a
// generic message and its text goes to the log only.
func (h *handler) writeExchangeError(ctx context.Context, c *gin.Context, err error, creds ...string) {
	var se *sdk.Error
	typed := errors.As(err, &se)
	msg := "the exchange plugin did not answer properly"
	if typed {
		msg = redact.Clip(redact.String(se.Error(), creds...), 300)
	}
	h.log.Warn("exchange call failed", "route", c.FullPath(), "kind", sdk.KindOf(err).String(),
		"error", redact.Clip(redact.String(err.Error(), creds...), 300))

	switch kind := sdk.KindOf(err); {
	case kind == sdk.KindAuthentication || kind == sdk.KindPermission:
		writeError(c, http.StatusUnprocessableEntity, codeCredsRejected, msg)
	case kind == sdk.KindRateLimited:
		if d := sdk.RetryAfter(err); d > 0 {
			c.Header("Retry-After", strconv.Itoa(int(math.Ceil(d.Seconds()))))
		}
		writeError(c, http.StatusTooManyRequests, codeRateLimited, msg)
	case ctx.Err() != nil && c.Request.Context().Err() == nil:
		writeError(c, http.StatusGatewayTimeout, codeExchangeTimeout,
			fmt.Sprintf("the exchange did not answer within %s", h.d.ValidateTimeout))
	case kind == sdk.KindUnavailable || kind == sdk.KindUnknown:
		writeError(c, http.StatusBadGateway, codeExchangeDown, msg)
	default:
		writeError(c, http.StatusUnprocessableEntity, kind.String(), msg)
	}
}

func (h *handler) listAccounts(c *gin.Context) {
	list, err := h.d.Store.ListAccounts(c.Request.Context(), currentUser(c).ID)
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
	p := store.AccountPatch{Name: req.Name, Testnet: req.Testnet, IsActive: req.IsActive, IsMain: req.IsMain,
		Passphrase: req.Passphrase}
	if req.Name != nil && !checkName(c, *req.Name) {
		return
	}
	if req.APIKey != nil {
		v, ok := cleanKey(c, "api_key", *req.APIKey)
		if !ok {
			return
		}
		p.APIKey = &v
	}
	if req.SecretKey != nil {
		v, ok := cleanKey(c, "secret_key", *req.SecretKey)
		if !ok {
			return
		}
		p.SecretKey = &v
	}
	if req.Passphrase != nil && !checkPassphrase(c, *req.Passphrase) {
		return
	}
	// The plugin's rules matter only for the fields it constrains, so a
	// rename still works while the plugin is away.
	if (req.Testnet != nil && *req.Testnet) || (req.Passphrase != nil && *req.Passphrase == "") {
		_, info, ok := h.exchange(c, a.Exchange)
		if !ok {
			return
		}
		if req.Testnet != nil && *req.Testnet && !info.SupportsTestnet {
			writeError(c, http.StatusBadRequest, codeTestnetNotOffered, fmt.Sprintf("%s offers no testnet", a.Exchange))
			return
		}
		if req.Passphrase != nil && *req.Passphrase == "" && info.RequiresPassphrase {
			writeError(c, http.StatusBadRequest, codePassphraseNeeded, fmt.Sprintf("%s requires a passphrase", a.Exchange))
			return
		}
	}
	if p == (store.AccountPatch{}) {
		c.JSON(http.StatusOK, h.accountView(a))
		return
	}
	a, err := h.d.Store.UpdateAccount(c.Request.Context(), h.d.Keys, a.UserID, a.ID, p)
	if errors.Is(err, store.ErrNotFound) {
		writeError(c, http.StatusNotFound, codeNotFound, "no such exchange account")
		return
	}
	if err != nil {
		h.internalError(c, "update account", err)
		return
	}
	h.accountChanged(a.ID)
	c.JSON(http.StatusOK, h.accountView(a))
}

func (h *handler) deleteAccount(c *gin.Context) {
	a, ok := h.userAccount(c)
	if !ok {
		return
	}
	err := h.d.Store.DeleteAccount(c.Request.Context(), a.UserID, a.ID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		h.internalError(c, "delete account", err)
		return
	}
	h.log.Info("exchange account deleted", "account_id", a.ID, "user_id", a.UserID)
	h.accountChanged(a.ID)
	c.Status(http.StatusNoContent)
}
