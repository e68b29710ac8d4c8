package api

import (
	"errors"
	"fmt"
	"net/http"
	"runtime/debug"

	"github.com/gin-gonic/gin"
	"github.com/globalautomation/gahost/host/internal/input"
	"github.com/globalautomation/gahost/host/internal/store"
)

// Error codes. They are part of the API: add, never rename.
const (
	codeInternal          = "internal"
	codeNotFound          = "not_found"
	codeMethodNotAllowed  = "method_not_allowed"
	codeUnauthorized      = "unauthorized"
	codeForbidden         = "forbidden"
	codeInvalidJSON       = "invalid_json"
	codeUnknownField      = "unknown_field"
	codeInvalidField      = "invalid_field"
	codeMissingField      = "missing_field"
	codeBodyTooLarge      = "body_too_large"
	codeInvalidCreds      = "invalid_credentials"
	codeTooManyAttempts   = "too_many_attempts"
	codeUsernameTaken     = "username_taken"
	codeInvalidUsername   = "invalid_username"
	codeInvalidPassword   = "invalid_password"
	codeInvalidRole       = "invalid_role"
	codeInvalidName       = "invalid_name"
	codeEmptyKey          = "empty_key"
	codeInvalidKey        = "invalid_key"
	codeUnknownExchange   = "unknown_exchange"
	codePassphraseNeeded  = "passphrase_required"
	codeTestnetNotOffered = "testnet_unsupported"
	codeCredsRejected     = "credentials_rejected"
	codeRateLimited       = "rate_limited"
	codeExchangeDown      = "exchange_unavailable"
	codeExchangeTimeout   = "exchange_timeout"
	codeReloadFailed      = "reload_failed"
	codeNotReady          = "not_ready"
	codeWebhookUnreadable = "webhook_unreadable"
	codeUserDisabled      = "user_disabled"
	codeStorageFull       = "storage_full"
)

type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// writeError answers with the error format and stops the handler chain.
// message is shown to the client: never put a secret or an internal detail
// in it.
func writeError(c *gin.Context, status int, code, message string) {
	c.Set(ctxErrorCode, code)
	c.AbortWithStatusJSON(status, errorBody{Error: errorDetail{Code: code, Message: message}})
}

// internalError logs err and answers 500 without detail, or 507
// storage_full when the database's disk is full: the client learns that
// nothing was saved and that retrying now will not help.
func (h *handler) internalError(c *gin.Context, what string, err error) {
	h.log.Error(what, "route", c.FullPath(), "error", err)
	if store.StorageFull(err) {
		writeError(c, http.StatusInsufficientStorage, codeStorageFull,
			"the server's storage is full; nothing was saved. Try again once its operator has freed space")
		return
	}
	writeError(c, http.StatusInternalServerError, codeInternal, "internal error")
}

// serviceError answers an error of a service call: a request turned down
// as sent (*input.Error) is 400 with its code and message; anything else is
// logged and answered 500 without detail.
func (h *handler) serviceError(c *gin.Context, what string, err error) {
	var ie *input.Error
	if errors.As(err, &ie) {
		writeError(c, http.StatusBadRequest, ie.Code, ie.Message)
		return
	}
	h.internalError(c, what, err)
}

// recovery turns a panic into a 500 answer that leaks nothing and a log
// line with the stack.
func (h *handler) recovery(c *gin.Context) {
	defer func() {
		r := recover()
		if r == nil {
			return
		}
		if r == http.ErrAbortHandler {
			// Deliberate: net/http drops the connection without noise.
			panic(r)
		}
		h.log.Error("panic while handling a request", "route", c.FullPath(), "panic", fmt.Sprintf("%T", r),
			"stack", string(debug.Stack()))
		if c.Writer.Written() {
			c.Abort()
			return
		}
		writeError(c, http.StatusInternalServerError, codeInternal, "internal error")
	}()
	c.Next()
}
