package api

// Webhooks (CONTRACT §8): the owner's routes under /api/v1/webhooks and the
// public POST /hooks/{token} that alerts are sent to. A webhook's token (in
// its URL) and secret are shown once, when they are made; afterwards only
// hints. The request logger logs the route pattern "/hooks/:token", never
// the path, so the token stays out of the log.

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/globalautomation/gahost/host/internal/store"
	"github.com/globalautomation/gahost/host/internal/webhooks"
	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/redact"
	"github.com/shopspring/decimal"
)

// hooksPath is where the public hook routes live; a webhook's url is this
// plus its token.
const hooksPath = "/hooks/"

// maxAllowedSymbols bounds a webhook's symbol list.
const maxAllowedSymbols = 200

// webhookRoutes serves the webhook routes.
type webhookRoutes struct {
	*handler
	svc *webhooks.Service
}

func registerWebhooks(h *handler, r routes) {
	svc, err := webhooks.New(webhooks.Config{
		Store: h.d.Store, Keys: h.d.Keys, Exchanges: h.d.Exchanges,
		Logger: h.log.Named("webhooks"), Now: h.now,
		// The same deadline as any other plugin call of the API.
		CallTimeout: h.d.ValidateTimeout,
	})
	if err != nil {
		h.log.Error("webhooks are disabled", "error", err)
		return
	}
	wr := &webhookRoutes{handler: h, svc: svc}
	g := r.authed.Group("/webhooks")
	g.POST("", wr.postWebhook)
	g.GET("", wr.listWebhooks)
	g.GET("/:id", wr.getWebhook)
	g.PATCH("/:id", wr.patchWebhook)
	g.DELETE("/:id", wr.deleteWebhook)
	g.GET("/:id/deliveries", wr.listDeliveries)
	r.root.POST(hooksPath+":token", wr.postHook)
}

type webhookView struct {
	ID                string    `json:"id"`
	Name              string    `json:"name"`
	ExchangeAccountID string    `json:"exchange_account_id"`
	Market            string    `json:"market"`
	AllowedSymbols    []string  `json:"allowed_symbols"`
	MaxNotional       *string   `json:"max_notional"`
	DryRun            bool      `json:"dry_run"`
	URLHint           string    `json:"url_hint"`
	SecretHint        string    `json:"secret_hint"`
	CreatedAt         time.Time `json:"created_at"`
	UpdatedAt         time.Time `json:"updated_at"`
}

// webhookWithCredentials is the answer that shows a new token (as the url)
// and secret, the only time they are shown.
type webhookWithCredentials struct {
	webhookView
	URL    string `json:"url,omitempty"`
	Secret string `json:"secret,omitempty"`
}

// webhookAccountView is the bound account with its latest snapshot: what a
// close or a price-bounded order would be computed from.
type webhookAccountView struct {
	accountView
	SyncedAt  *time.Time     `json:"synced_at"`
	Spot      []balanceJSON  `json:"spot"`
	Futures   *futuresJSON   `json:"futures"`
	Positions []positionJSON `json:"positions"`
}

type webhookDetail struct {
	webhookView
	// Account is null only if the account vanished under the webhook.
	Account *webhookAccountView `json:"account"`
}

func webhookViewOf(w store.Webhook) webhookView {
	v := webhookView{
		ID: w.ID, Name: w.Name, ExchangeAccountID: w.AccountID, Market: w.Market,
		AllowedSymbols: w.AllowedSymbols, DryRun: w.DryRun,
		URLHint: hooksPath + w.TokenHint, SecretHint: w.SecretHint,
		CreatedAt: w.CreatedAt.UTC(), UpdatedAt: w.UpdatedAt.UTC(),
	}
	if v.AllowedSymbols == nil {
		v.AllowedSymbols = []string{}
	}
	if w.MaxNotional != nil {
		s := w.MaxNotional.String()
		v.MaxNotional = &s
	}
	return v
}

func withCredentials(w store.Webhook, c store.WebhookCredentials) webhookWithCredentials {
	out := webhookWithCredentials{webhookView: webhookViewOf(w), Secret: c.Secret}
	if c.Token != "" {
		out.URL = hooksPath + c.Token
	}
	return out
}

// userWebhook loads the webhook named by :id for the current user; another
// user's webhook is answered 404 like a missing one.
func (wr *webhookRoutes) userWebhook(c *gin.Context) (store.Webhook, bool) {
	w, err := wr.d.Store.UserWebhook(c.Request.Context(), currentUser(c).ID, c.Param("id"))
	if errors.Is(err, store.ErrNotFound) {
		writeError(c, http.StatusNotFound, codeNotFound, "no such webhook")
		return store.Webhook{}, false
	}
	if err != nil {
		wr.internalError(c, "load webhook", err)
		return store.Webhook{}, false
	}
	return w, true
}

type createWebhookRequest struct {
	Name              string   `json:"name"`
	ExchangeAccountID string   `json:"exchange_account_id"`
	Market            string   `json:"market"`
	AllowedSymbols    []string `json:"allowed_symbols"`
	MaxNotional       *string  `json:"max_notional"`
	DryRun            bool     `json:"dry_run"`
}

func (wr *webhookRoutes) postWebhook(c *gin.Context) {
	var req createWebhookRequest
	if !decodeJSON(c, &req) || !checkName(c, req.Name) {
		return
	}
	if req.ExchangeAccountID == "" {
		writeError(c, http.StatusBadRequest, codeMissingField, "exchange_account_id is required")
		return
	}
	if !checkMarket(c, req.Market) {
		return
	}
	symbols, ok := checkSymbols(c, req.Market, req.AllowedSymbols)
	if !ok {
		return
	}
	var limit *decimal.Decimal
	if req.MaxNotional != nil {
		if limit, ok = checkMaxNotional(c, *req.MaxNotional); !ok {
			return
		}
	}
	w, creds, err := wr.d.Store.CreateWebhook(c.Request.Context(), wr.d.Keys, store.NewWebhook{
		UserID: currentUser(c).ID, Name: req.Name, AccountID: req.ExchangeAccountID, Market: req.Market,
		AllowedSymbols: symbols, MaxNotional: limit, DryRun: req.DryRun,
	})
	if errors.Is(err, store.ErrNotFound) {
		writeError(c, http.StatusNotFound, codeNotFound, "no such exchange account")
		return
	}
	if err != nil {
		wr.internalError(c, "create webhook", err)
		return
	}
	wr.log.Info("webhook created", "webhook_id", w.ID, "account_id", w.AccountID, "user_id", w.UserID,
		"dry_run", w.DryRun)
	c.JSON(http.StatusCreated, withCredentials(w, creds))
}

// checkMarket validates a market; on failure it has answered.
func checkMarket(c *gin.Context, market string) bool {
	switch sdk.Market(market) {
	case sdk.MarketSpot, sdk.MarketFutures:
		return true
	case "":
		writeError(c, http.StatusBadRequest, codeMissingField, "market is required: spot or futures")
	default:
		writeError(c, http.StatusBadRequest, codeInvalidField, fmt.Sprintf("market must be spot or futures, not %q", redact.Clip(market, 20)))
	}
	return false
}

// checkSymbols validates an allowed_symbols list for market and drops
// repeats; on failure it has answered.
func checkSymbols(c *gin.Context, market string, list []string) ([]string, bool) {
	if len(list) > maxAllowedSymbols {
		writeError(c, http.StatusBadRequest, codeInvalidField, fmt.Sprintf("allowed_symbols holds at most %d symbols", maxAllowedSymbols))
		return nil, false
	}
	if err := symbolsFit(market, list); err != nil {
		writeError(c, http.StatusBadRequest, codeInvalidField, err.Error())
		return nil, false
	}
	var out []string
	for _, s := range list {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out, true
}

func symbolsFit(market string, list []string) error {
	for _, s := range list {
		if err := webhooks.ValidSymbol(market, s); err != nil {
			return fmt.Errorf("allowed_symbols: %q %s", redact.Clip(s, 40), err)
		}
	}
	return nil
}

// checkMaxNotional parses a max_notional; on failure it has answered.
func checkMaxNotional(c *gin.Context, s string) (*decimal.Decimal, bool) {
	d, err := webhooks.ParseAmount(s)
	if err != nil {
		writeError(c, http.StatusBadRequest, codeInvalidField, "max_notional "+err.Error())
		return nil, false
	}
	return &d, true
}

func (wr *webhookRoutes) listWebhooks(c *gin.Context) {
	list, err := wr.d.Store.ListWebhooks(c.Request.Context(), currentUser(c).ID)
	if err != nil {
		wr.internalError(c, "list webhooks", err)
		return
	}
	out := make([]webhookView, 0, len(list))
	for _, w := range list {
		out = append(out, webhookViewOf(w))
	}
	c.JSON(http.StatusOK, out)
}

func (wr *webhookRoutes) getWebhook(c *gin.Context) {
	w, ok := wr.userWebhook(c)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	out := webhookDetail{webhookView: webhookViewOf(w)}
	a, err := wr.d.Store.UserAccount(ctx, w.UserID, w.AccountID)
	switch {
	case errors.Is(err, store.ErrNotFound):
	case err != nil:
		wr.internalError(c, "load webhook account", err)
		return
	default:
		snap, found, err := wr.d.Store.LatestSnapshot(ctx, a.ID)
		if err != nil {
			wr.internalError(c, "load webhook snapshot", err)
			return
		}
		bal, pos := balancesOf(a, snap, found), positionsOf(a, snap, found)
		out.Account = &webhookAccountView{accountView: wr.accountView(a), SyncedAt: bal.SyncedAt,
			Spot: bal.Spot, Futures: bal.Futures, Positions: pos.Positions}
	}
	c.JSON(http.StatusOK, out)
}

type patchWebhookRequest struct {
	Name              *string   `json:"name"`
	ExchangeAccountID *string   `json:"exchange_account_id"`
	Market            *string   `json:"market"`
	AllowedSymbols    *[]string `json:"allowed_symbols"`
	// MaxNotional is raw so that null (remove the limit) differs from
	// leaving the field out.
	MaxNotional  json.RawMessage `json:"max_notional"`
	DryRun       *bool           `json:"dry_run"`
	RotateSecret bool            `json:"rotate_secret"`
	RotateToken  bool            `json:"rotate_token"`
}

// errSymbolsMarket: the market and the allowed symbols a PATCH leaves do
// not fit together.
type errSymbolsMarket struct{ err error }

func (e errSymbolsMarket) Error() string { return e.err.Error() }

func (wr *webhookRoutes) patchWebhook(c *gin.Context) {
	w, ok := wr.userWebhook(c)
	if !ok {
		return
	}
	var req patchWebhookRequest
	if !decodeJSON(c, &req) {
		return
	}
	p := store.WebhookPatch{Name: req.Name, AccountID: req.ExchangeAccountID, Market: req.Market, DryRun: req.DryRun,
		RotateSecret: req.RotateSecret, RotateToken: req.RotateToken}
	if req.Name != nil && !checkName(c, *req.Name) {
		return
	}
	if req.ExchangeAccountID != nil && *req.ExchangeAccountID == "" {
		writeError(c, http.StatusBadRequest, codeMissingField, "exchange_account_id must not be empty")
		return
	}
	if req.Market != nil && !checkMarket(c, *req.Market) {
		return
	}
	if req.AllowedSymbols != nil {
		market := w.Market
		if req.Market != nil {
			market = *req.Market
		}
		list, ok := checkSymbols(c, market, *req.AllowedSymbols)
		if !ok {
			return
		}
		p.AllowedSymbols = &list
	}
	if len(req.MaxNotional) > 0 {
		var s *string
		if err := json.Unmarshal(req.MaxNotional, &s); err != nil {
			writeError(c, http.StatusBadRequest, codeInvalidField, `field "max_notional" must be a string or null`)
			return
		}
		if s == nil {
			p.ClearMaxNotional = true
		} else if p.MaxNotional, ok = checkMaxNotional(c, *s); !ok {
			return
		}
	}
	// The market and the symbols are judged together as the change leaves
	// them, inside its transaction.
	p.Check = func(w store.Webhook) error {
		if err := symbolsFit(w.Market, w.AllowedSymbols); err != nil {
			return errSymbolsMarket{err}
		}
		return nil
	}
	w, creds, err := wr.d.Store.UpdateWebhook(c.Request.Context(), wr.d.Keys, w.UserID, w.ID, p)
	var mismatch errSymbolsMarket
	switch {
	case errors.Is(err, store.ErrAccountNotFound):
		writeError(c, http.StatusNotFound, codeNotFound, "no such exchange account")
		return
	case errors.Is(err, store.ErrNotFound):
		writeError(c, http.StatusNotFound, codeNotFound, "no such webhook")
		return
	case errors.As(err, &mismatch):
		writeError(c, http.StatusBadRequest, codeInvalidField, mismatch.Error()+"; change allowed_symbols with the market")
		return
	case err != nil:
		wr.internalError(c, "update webhook", err)
		return
	}
	if req.RotateSecret || req.RotateToken {
		wr.log.Info("webhook credentials rotated", "webhook_id", w.ID, "secret", req.RotateSecret, "token", req.RotateToken)
	}
	c.JSON(http.StatusOK, withCredentials(w, creds))
}

func (wr *webhookRoutes) deleteWebhook(c *gin.Context) {
	w, ok := wr.userWebhook(c)
	if !ok {
		return
	}
	err := wr.d.Store.DeleteWebhook(c.Request.Context(), w.UserID, w.ID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		wr.internalError(c, "delete webhook", err)
		return
	}
	wr.svc.Forget(w.ID)
	wr.log.Info("webhook deleted", "webhook_id", w.ID, "user_id", w.UserID)
	c.Status(http.StatusNoContent)
}

type orderView struct {
	ClientOrderID   string  `json:"client_order_id"`
	Market          string  `json:"market"`
	Symbol          string  `json:"symbol"`
	Side            string  `json:"side"`
	Type            string  `json:"type"`
	Quantity        *string `json:"quantity,omitempty"`
	QuoteQuantity   *string `json:"quote_quantity,omitempty"`
	Price           *string `json:"price,omitempty"`
	ReduceOnly      bool    `json:"reduce_only"`
	ExchangeOrderID string  `json:"exchange_order_id,omitempty"`
	// Status is the exchange's order status (new, filled, …).
	Status         string  `json:"status,omitempty"`
	FilledQuantity *string `json:"filled_quantity,omitempty"`
	AveragePrice   *string `json:"average_price,omitempty"`
}

type deliveryView struct {
	ID          string       `json:"id"`
	ReceivedAt  time.Time    `json:"received_at"`
	FinishedAt  *time.Time   `json:"finished_at,omitempty"`
	Status      string       `json:"status"`
	AlertID     string       `json:"alert_id,omitempty"`
	Action      string       `json:"action,omitempty"`
	Symbol      string       `json:"symbol,omitempty"`
	Order       *orderView   `json:"order,omitempty"`
	Error       *errorDetail `json:"error,omitempty"`
	DuplicateOf string       `json:"duplicate_of,omitempty"`
}

func decString(d *decimal.Decimal) *string {
	if d == nil {
		return nil
	}
	s := d.String()
	return &s
}

func orderViewOf(o *store.DeliveryOrder) *orderView {
	if o == nil {
		return nil
	}
	return &orderView{ClientOrderID: o.ClientOrderID, Market: o.Market, Symbol: o.Symbol, Side: o.Side, Type: o.Type,
		Quantity: decString(o.Quantity), QuoteQuantity: decString(o.QuoteQuantity), Price: decString(o.Price),
		ReduceOnly: o.ReduceOnly, ExchangeOrderID: o.ExchangeOrderID, Status: o.ExchangeStatus,
		FilledQuantity: decString(o.FilledQuantity), AveragePrice: decString(o.AveragePrice)}
}

func (wr *webhookRoutes) deliveryViewOf(d store.Delivery) deliveryView {
	d = webhooks.Settled(d, wr.now())
	v := deliveryView{ID: d.ID, ReceivedAt: d.ReceivedAt.UTC(), FinishedAt: timeOrNull(d.FinishedAt), Status: d.Status,
		AlertID: d.AlertID, Action: d.Action, Symbol: d.Symbol, Order: orderViewOf(d.Order), DuplicateOf: d.DuplicateOf}
	if d.ErrorCode != "" {
		v.Error = &errorDetail{Code: d.ErrorCode, Message: d.ErrorMessage}
	}
	return v
}

// listDeliveries answers a webhook's deliveries, newest first; ?limit=
// takes the newest n.
func (wr *webhookRoutes) listDeliveries(c *gin.Context) {
	limit := 0
	if s := c.Query("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > store.MaxDeliveries {
			writeError(c, http.StatusBadRequest, codeInvalidField, fmt.Sprintf("limit must be 1 to %d", store.MaxDeliveries))
			return
		}
		limit = n
	}
	list, err := wr.d.Store.ListDeliveries(c.Request.Context(), currentUser(c).ID, c.Param("id"), limit)
	if errors.Is(err, store.ErrNotFound) {
		writeError(c, http.StatusNotFound, codeNotFound, "no such webhook")
		return
	}
	if err != nil {
		wr.internalError(c, "list deliveries", err)
		return
	}
	out := make([]deliveryView, 0, len(list))
	for _, d := range list {
		out = append(out, wr.deliveryViewOf(d))
	}
	c.JSON(http.StatusOK, out)
}

// hookAnswer is the answer to an alert.
type hookAnswer struct {
	DeliveryID string `json:"delivery_id"`
	Status     string `json:"status"`
	// Order is the order placed (or, for dry_run, that would have been);
	// for a duplicate, the first delivery's order.
	Order *orderView   `json:"order,omitempty"`
	Error *errorDetail `json:"error,omitempty"`
	// DuplicateOf and Original name the delivery that had the alert id first.
	DuplicateOf string        `json:"duplicate_of,omitempty"`
	Original    *deliveryView `json:"original,omitempty"`
}

// postHook takes an alert. Authentication is the token in the path and the
// secret in the body; the answer never repeats either.
func (wr *webhookRoutes) postHook(c *gin.Context) {
	body, ok := readBody(c)
	if !ok {
		return
	}
	out, err := wr.svc.Deliver(c.Request.Context(), c.Param("token"), body)
	var (
		limited *webhooks.RateLimitedError
		rej     *webhooks.Rejection
	)
	switch {
	case errors.Is(err, webhooks.ErrUnknownToken):
		writeError(c, http.StatusNotFound, codeNotFound, "no such webhook")
		return
	case errors.Is(err, webhooks.ErrBadSecret):
		writeError(c, http.StatusUnauthorized, codeUnauthorized, "wrong or missing webhook secret")
		return
	case errors.Is(err, webhooks.ErrSecretUnreadable):
		writeError(c, http.StatusInternalServerError, codeWebhookUnreadable,
			"the webhook's stored secret cannot be decrypted; its owner must rotate the secret")
		return
	case errors.As(err, &limited):
		c.Header("Retry-After", strconv.Itoa(int(math.Ceil(limited.RetryAfter.Seconds()))))
		writeError(c, http.StatusTooManyRequests, codeRateLimited, "too many alerts for this webhook; slow down")
		return
	case errors.As(err, &rej):
		writeError(c, http.StatusBadRequest, rej.Code, rej.Message)
		return
	case err != nil:
		wr.internalError(c, "deliver alert", err)
		return
	}

	d := out.Delivery
	ans := hookAnswer{DeliveryID: d.ID, Status: d.Status, Order: orderViewOf(d.Order)}
	if d.ErrorCode != "" {
		ans.Error = &errorDetail{Code: d.ErrorCode, Message: d.ErrorMessage}
	}
	if out.First != nil {
		first := wr.deliveryViewOf(*out.First)
		ans.DuplicateOf, ans.Original, ans.Order = first.ID, &first, first.Order
	}
	status := http.StatusOK
	if out.Rejection != nil {
		status = http.StatusUnprocessableEntity
		if out.Rejection.Invalid {
			status = http.StatusBadRequest
		}
		c.Set(ctxErrorCode, out.Rejection.Code)
	}
	c.JSON(status, ans)
}

// readBody reads a request body within the size limit; on failure it has
// answered.
func readBody(c *gin.Context) ([]byte, bool) {
	if c.Request.Body == nil {
		return nil, true
	}
	body, err := io.ReadAll(c.Request.Body)
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		writeError(c, http.StatusRequestEntityTooLarge, codeBodyTooLarge,
			fmt.Sprintf("request body is larger than %d bytes", mbe.Limit))
		return nil, false
	case err != nil:
		writeError(c, http.StatusBadRequest, codeInvalidJSON, "could not read the request body")
		return nil, false
	}
	return body, true
}
