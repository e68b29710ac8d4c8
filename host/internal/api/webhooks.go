package api

// Webhooks: the owner's routes under /api/v1/webhooks and the public POST
// /hooks/{token} that alerts are sent to. Every rule is package webhooks';
// these handlers translate HTTP to its calls and its errors to answers. A webhook's token (in
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
	"strconv"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/gin-gonic/gin"
	"github.com/globalautomation/gahost/host/internal/accounts"
	"github.com/globalautomation/gahost/host/internal/store"
	"github.com/globalautomation/gahost/host/internal/webhooks"
	"github.com/shopspring/decimal"
)

// hooksPath is where the public hook routes live; a webhook's url is this
// plus its token.
const hooksPath = "/hooks/"

// webhookRoutes serves the webhook routes.
type webhookRoutes struct {
	*handler
	svc *webhooks.Service
}

// registerWebhooks adds the webhook routes when the daemon runs the
// webhooks service.
func registerWebhooks(h *handler, r routes) {
	if h.d.Webhooks == nil {
		return
	}
	wr := &webhookRoutes{handler: h, svc: h.d.Webhooks}
	g := r.authed.group("/webhooks")
	noHook := res{http.StatusNotFound, "No such webhook, or another user's (not_found).", errBody}
	g.handle(http.MethodPost, "", op{id: "createWebhook", tag: "webhooks",
		summary: "Create a webhook that turns alerts into orders on one exchange account",
		desc:    "The answer's url (/hooks/<token>) and secret are shown only here; later answers carry hints.",
		body:    createWebhookRequest{},
		res: []res{
			{http.StatusCreated, "The webhook, with its url and secret.", webhookWithCredentials{}},
			{http.StatusBadRequest, "The body is malformed, or a field is refused (missing_field, invalid_name, " +
				"invalid_field: market, allowed_symbols, max_notional).", errBody},
			{http.StatusNotFound, "exchange_account_id names no account of the user (not_found).", errBody},
			{http.StatusConflict, "The user has as many webhooks as the limits allow (quota_exceeded).", errBody},
		},
	}, wr.postWebhook)
	g.handle(http.MethodGet, "", op{id: "listWebhooks", tag: "webhooks", summary: "The user's webhooks, oldest first", paged: true,
		res: []res{{http.StatusOK, "The webhooks.", []webhookView{}}}}, wr.listWebhooks)
	g.handle(http.MethodGet, "/:id", op{id: "getWebhook", tag: "webhooks",
		summary: "One webhook, with its account's latest snapshot (the data an alert would be checked against)",
		res:     []res{{http.StatusOK, "The webhook.", webhookDetail{}}, noHook}}, wr.getWebhook)
	g.handle(http.MethodPatch, "/:id", op{id: "updateWebhook", tag: "webhooks",
		summary: "Change a webhook; rotate_secret or rotate_token make new ones, shown in this answer only",
		body:    patchWebhookRequest{},
		res: []res{
			{http.StatusOK, "The webhook as changed; url and secret only when rotated.", webhookWithCredentials{}},
			{http.StatusBadRequest, "The body is malformed, or a field is refused (missing_field, invalid_name, " +
				"invalid_field).", errBody},
			{http.StatusNotFound, "No such webhook, or exchange_account_id names no account of the user (not_found).", errBody},
		},
	}, wr.patchWebhook)
	g.handle(http.MethodDelete, "/:id", op{id: "deleteWebhook", tag: "webhooks",
		summary: "Delete a webhook and its deliveries",
		res:     []res{{http.StatusNoContent, "Deleted.", nil}, noHook}}, wr.deleteWebhook)
	limit := openapi3.NewIntegerSchema().WithMin(1).WithMax(webhooks.MaxPageLimit)
	statuses := openapi3.NewStringSchema()
	for _, st := range webhooks.DeliveryStatuses {
		statuses.Enum = append(statuses.Enum, st)
	}
	g.handle(http.MethodGet, "/:id/deliveries", op{id: "listDeliveries", tag: "webhooks",
		summary: "The alerts a webhook received and what became of each, newest first, a page at a time",
		desc: fmt.Sprintf("A webhook keeps its newest %d deliveries. The answer is one page; the X-Next-Cursor "+
			"header carries the cursor of the next, absent on the last page.", webhooks.MaxDeliveries),
		query: []param{
			{"limit", fmt.Sprintf("Page size; default %d.", webhooks.DefaultPageLimit), limit},
			{"cursor", "Where the page starts: the X-Next-Cursor of the page before. Left out, the newest.",
				openapi3.NewStringSchema()},
			{"status", "Only deliveries in this status (a pending delivery older than a few minutes counts as failed).", statuses},
		},
		res: []res{{http.StatusOK, "The deliveries.", []deliveryView{}},
			{http.StatusBadRequest, "limit is not a whole number in range, status is not a delivery status, or cursor " +
				"is not one this listing handed out (invalid_field).", errBody},
			noHook}}, wr.listDeliveries)
	g.handle(http.MethodPost, "/:id/test", op{id: "testAlert", tag: "webhooks",
		summary: "Test an alert: what it would send now, every limit with its verdict, nothing placed",
		desc: "The alert is judged exactly as POST /hooks/{token} would judge it, against the account's latest " +
			"snapshot and the exchange's current instruments and prices: the ticker resolved, the quantity rounded " +
			"down to the lot step, a limit price rounded to the tick (down for a buy, up for a sell), the notional at " +
			"the current mark (or last) price, and each rule with pass or fail. Nothing is sent to the exchange. The " +
			"test is recorded as a delivery with status test, which claims no alert_id. The secret may be left out.",
		body:     testAlertBody{},
		bodyDesc: "The alert, as TradingView would send it (with its placeholders filled in); secret optional.",
		res: []res{
			{http.StatusOK, "The verdict: would_place, the order, the checks; error is the first failed check's.", testAnswer{}},
			{http.StatusBadRequest, "The alert cannot be read: an error body for a body that is not a JSON object " +
				"(invalid_json), or a test answer (recorded, no checks) whose error says which field is wrong.",
				oneOf{testAnswer{}, errBody}},
			noHook,
		},
	}, wr.testAlert)
	r.root.handle(http.MethodPost, hooksPath+":token", op{id: "sendAlert", tag: "webhooks",
		summary: "Send an alert (public: the token in the path and the secret in the body authenticate it)",
		desc: "The same alert_id twice places one order: the second answer has status duplicate and names the " +
			"first delivery. Without alert_id, a body byte for byte the same as one the webhook took within the " +
			"replay window (webhooks.replay_window, default 60 s) is a duplicate too, unless that first delivery " +
			"placed nothing (rejected, or refused by the exchange). Amounts may be JSON strings or bare numbers; " +
			"either way they are read as exact decimals. Alerts are rate-limited per webhook.",
		body:     alertBody{},
		bodyDesc: "The alert, as a TradingView alert message or any other sender writes it.",
		res: []res{
			{http.StatusOK, "Taken: executed, dry_run, duplicate, or failed (the order's error is in error).", hookAnswer{}},
			{http.StatusAccepted, "Taken, and the order is still with the exchange after 2.5 seconds (TradingView gives up " +
				"at 3): status pending. The outcome is recorded on the delivery (GET …/deliveries), unknown_outcome " +
				"included; the order is never sent twice.", hookAnswer{}},
			{http.StatusBadRequest, "The alert is malformed or a field is wrong: an error body for a body that is not " +
				"JSON, or a delivery with status rejected for an alert whose fields are invalid.",
				oneOf{hookAnswer{}, errBody}},
			{http.StatusUnauthorized, "Wrong or missing secret (unauthorized).", errBody},
			{http.StatusNotFound, "No webhook has this token (not_found).", errBody},
			{http.StatusUnprocessableEntity, "Rejected by a limit or the account's state (symbol_not_allowed, " +
				"max_notional_exceeded, no_position, account_inactive, …): a delivery with status rejected.", hookAnswer{}},
			{http.StatusTooManyRequests, "Too many alerts for this webhook (rate_limited); Retry-After says when to send again.", errBody},
			{http.StatusInternalServerError, "The webhook's stored secret cannot be decrypted (webhook_unreadable: " +
				"its owner must rotate the secret), or an unexpected failure (internal).", errBody},
		},
	}, wr.postHook)
}

// alertBody documents the alert JSON that package webhooks reads; a test
// proves the two take the same fields.
type alertBody struct {
	Secret        string `json:"secret" required:"true" doc:"The webhook's secret."`
	Action        string `json:"action" required:"true" doc:"close closes the position (futures) or sells the balance (spot) of the symbol."`
	Symbol        string `json:"symbol" required:"true" doc:"The instrument: TradingView's {{ticker}} (BTCUSDT, BTCUSDT.P, BINANCE:BTCUSDT.P), the exchange's own name (BTC-USDT-SWAP, BTC_USDT), or the unified symbol (BTC/USDT spot, BTC/USDT:USDT perpetual); matched against the exchange's instruments."`
	Type          string `json:"type" doc:"market (the default when left out, as TradingView strategy alerts do) or limit; close is always market."`
	Quantity      amount `json:"quantity" doc:"Base quantity. Give quantity or quote_quantity for buy and sell."`
	QuoteQuantity amount `json:"quote_quantity" doc:"Quote amount to spend or receive instead of quantity."`
	Price         amount `json:"price" doc:"The limit price; required for type limit."`
	ReduceOnly    bool   `json:"reduce_only" doc:"Futures: only reduce a position."`
	AlertID       string `json:"alert_id" doc:"Up to 64 characters; an id seen before makes the alert a duplicate."`
}

// amount is an alert amount: a positive plain decimal, as a string or a
// bare JSON number.
type amount struct{}

type webhookView struct {
	ID                string    `json:"id"`
	Name              string    `json:"name"`
	ExchangeAccountID string    `json:"exchange_account_id"`
	Market            string    `json:"market"`
	AllowedSymbols    []string  `json:"allowed_symbols" doc:"The symbols alerts may trade; empty allows every symbol."`
	MaxNotional       *string   `json:"max_notional" oas:"decimal" doc:"The largest order value in quote currency; null for no limit."`
	DryRun            bool      `json:"dry_run" doc:"Alerts are checked and answered but no order is placed."`
	URLHint           string    `json:"url_hint" doc:"The start of the url's token."`
	URLBase           string    `json:"url_base" doc:"The url up to its token: api.public_url followed by /hooks/ when the daemon has one, else /hooks/."`
	URLAbsolute       bool      `json:"url_absolute" doc:"Whether url and url_base are full URLs, ready to paste into TradingView."`
	URLNote           string    `json:"url_note,omitempty" doc:"Why url and url_base are paths, when they are."`
	SecretHint        string    `json:"secret_hint" doc:"The start of the secret."`
	CreatedAt         time.Time `json:"created_at"`
	UpdatedAt         time.Time `json:"updated_at"`
}

// webhookWithCredentials is the answer that shows a new token (as the url)
// and secret, the only time they are shown.
type webhookWithCredentials struct {
	webhookView
	URL    string `json:"url,omitempty" doc:"Where to send alerts: url_base followed by the token. Shown only when made."`
	Secret string `json:"secret,omitempty" doc:"The secret every alert must carry. Shown only when made."`
	// TradingView carries the secret in its messages when it was just made.
	TradingView tradingViewTemplate `json:"tradingview"`
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
	Account     *webhookAccountView `json:"account"`
	TradingView tradingViewTemplate `json:"tradingview"`
}

// urlNote says why webhook URLs are paths.
const urlNote = "api.public_url is not set in the daemon's config, so this is a path: the daemon cannot know the " +
	"address TradingView reaches it at (behind a proxy, say). Put that address (https://your-host) in front of it, " +
	"or set api.public_url to have full URLs here."

func (wr *webhookRoutes) webhookViewOf(w store.Webhook) webhookView {
	v := webhookView{
		ID: w.ID, Name: w.Name, ExchangeAccountID: w.AccountID, Market: w.Market,
		AllowedSymbols: w.AllowedSymbols, DryRun: w.DryRun,
		URLHint: hooksPath + w.TokenHint, SecretHint: w.SecretHint,
		URLBase: wr.d.PublicURL + hooksPath, URLAbsolute: wr.d.PublicURL != "",
		CreatedAt: w.CreatedAt.UTC(), UpdatedAt: w.UpdatedAt.UTC(),
	}
	if !v.URLAbsolute {
		v.URLNote = urlNote
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

func (wr *webhookRoutes) withCredentials(w store.Webhook, c webhooks.Credentials) webhookWithCredentials {
	out := webhookWithCredentials{webhookView: wr.webhookViewOf(w), Secret: c.Secret, TradingView: tradingView(w, c.Secret)}
	if c.Token != "" {
		out.URL = out.URLBase + c.Token
	}
	return out
}

// userWebhook loads the webhook named by :id for the current user; another
// user's webhook is answered 404 like a missing one.
func (wr *webhookRoutes) userWebhook(c *gin.Context) (store.Webhook, bool) {
	w, err := wr.svc.Get(c.Request.Context(), currentUser(c).ID, c.Param("id"))
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
	Name              string   `json:"name" required:"true"`
	ExchangeAccountID string   `json:"exchange_account_id" required:"true"`
	Market            string   `json:"market" required:"true"`
	AllowedSymbols    []string `json:"allowed_symbols" doc:"Unified symbols alerts may trade; left out or empty allows all."`
	MaxNotional       *string  `json:"max_notional" oas:"amount" doc:"The largest order value in quote currency; left out for no limit."`
	DryRun            bool     `json:"dry_run"`
}

func (wr *webhookRoutes) postWebhook(c *gin.Context) {
	var req createWebhookRequest
	if !decodeJSON(c, &req) {
		return
	}
	w, creds, err := wr.svc.Create(c.Request.Context(), currentUser(c).ID, webhooks.NewWebhook{
		Name: req.Name, AccountID: req.ExchangeAccountID, Market: req.Market,
		AllowedSymbols: req.AllowedSymbols, MaxNotional: req.MaxNotional, DryRun: req.DryRun,
	})
	if errors.Is(err, webhooks.ErrQuota) {
		writeError(c, http.StatusConflict, accounts.CodeQuotaExceeded, err.Error())
		return
	}
	if errors.Is(err, webhooks.ErrAccountNotFound) {
		writeError(c, http.StatusNotFound, codeNotFound, "no such exchange account")
		return
	}
	if err != nil {
		wr.serviceError(c, "create webhook", err)
		return
	}
	c.JSON(http.StatusCreated, wr.withCredentials(w, creds))
}

func (wr *webhookRoutes) listWebhooks(c *gin.Context) {
	p, ok := readPage(c)
	if !ok {
		return
	}
	list, err := wr.svc.List(c.Request.Context(), currentUser(c).ID)
	if err != nil {
		wr.internalError(c, "list webhooks", err)
		return
	}
	// A user's webhooks are bounded by the webhooks_per_user quota, so the
	// page is cut from the whole list.
	list, next := pageOf(list, func(w store.Webhook) string { return w.ID }, p)
	out := make([]webhookView, 0, len(list))
	for _, w := range list {
		out = append(out, wr.webhookViewOf(w))
	}
	nextPage(c, next)
	c.JSON(http.StatusOK, out)
}

func (wr *webhookRoutes) getWebhook(c *gin.Context) {
	w, ok := wr.userWebhook(c)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	out := webhookDetail{webhookView: wr.webhookViewOf(w), TradingView: tradingView(w, "")}
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
		// The warnings are the ones this webhook's market calls for.
		out.Account = &webhookAccountView{accountView: wr.accountView(a, []string{w.Market}), SyncedAt: bal.SyncedAt,
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
	MaxNotional  json.RawMessage `json:"max_notional" oas:"amount,nullable" doc:"A new limit, or null to remove it."`
	DryRun       *bool           `json:"dry_run"`
	RotateSecret bool            `json:"rotate_secret" doc:"Make a new secret; the answer shows it once."`
	RotateToken  bool            `json:"rotate_token" doc:"Make a new token, so a new url; the old one stops working."`
}

func (wr *webhookRoutes) patchWebhook(c *gin.Context) {
	w, ok := wr.userWebhook(c)
	if !ok {
		return
	}
	var req patchWebhookRequest
	if !decodeJSON(c, &req) {
		return
	}
	w, creds, err := wr.svc.Update(c.Request.Context(), w.UserID, w.ID, webhooks.Patch{
		Name: req.Name, AccountID: req.ExchangeAccountID, Market: req.Market, AllowedSymbols: req.AllowedSymbols,
		MaxNotional: req.MaxNotional, DryRun: req.DryRun, RotateSecret: req.RotateSecret, RotateToken: req.RotateToken,
	})
	switch {
	case errors.Is(err, webhooks.ErrAccountNotFound):
		writeError(c, http.StatusNotFound, codeNotFound, "no such exchange account")
	case errors.Is(err, webhooks.ErrNotFound):
		writeError(c, http.StatusNotFound, codeNotFound, "no such webhook")
	case err != nil:
		wr.serviceError(c, "update webhook", err)
	default:
		c.JSON(http.StatusOK, wr.withCredentials(w, creds))
	}
}

func (wr *webhookRoutes) deleteWebhook(c *gin.Context) {
	w, ok := wr.userWebhook(c)
	if !ok {
		return
	}
	if err := wr.svc.Delete(c.Request.Context(), w.UserID, w.ID); err != nil {
		wr.internalError(c, "delete webhook", err)
		return
	}
	c.Status(http.StatusNoContent)
}

type orderView struct {
	ClientOrderID   string  `json:"client_order_id"`
	Market          string  `json:"market"`
	Symbol          string  `json:"symbol"`
	Side            string  `json:"side"`
	Type            string  `json:"type"`
	Quantity        *string `json:"quantity,omitempty" oas:"decimal"`
	QuoteQuantity   *string `json:"quote_quantity,omitempty" oas:"decimal"`
	Price           *string `json:"price,omitempty" oas:"decimal"`
	ReduceOnly      bool    `json:"reduce_only"`
	ExchangeOrderID string  `json:"exchange_order_id,omitempty"`
	// Status is the exchange's order status (new, filled, …).
	Status         string  `json:"status,omitempty"`
	FilledQuantity *string `json:"filled_quantity,omitempty" oas:"decimal"`
	AveragePrice   *string `json:"average_price,omitempty" oas:"decimal"`
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
	// Resolution is how the alert's ticker was matched.
	Resolution *resolutionView `json:"resolution,omitempty"`
	// Checks are the rules a test delivery was judged by.
	Checks []ruleCheckView `json:"checks,omitempty"`
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

// deliveryViewOf shows d as it is; the service has settled what it lists.
func (wr *webhookRoutes) deliveryViewOf(d store.Delivery) deliveryView {
	v := deliveryView{ID: d.ID, ReceivedAt: d.ReceivedAt.UTC(), FinishedAt: timeOrNull(d.FinishedAt), Status: d.Status,
		AlertID: d.AlertID, Action: d.Action, Symbol: d.Symbol, Order: orderViewOf(d.Order), DuplicateOf: d.DuplicateOf,
		Resolution: resolutionViewOf(d.Resolution), Checks: ruleChecksOf(d.Checks)}
	if d.ErrorCode != "" {
		v.Error = &errorDetail{Code: d.ErrorCode, Message: d.ErrorMessage}
	}
	return v
}

// listDeliveries answers a page of a webhook's deliveries, newest first,
// filtered by ?status= when given.
func (wr *webhookRoutes) listDeliveries(c *gin.Context) {
	q, err := webhooks.ParseDeliveryQuery(c.Query("limit"), c.Query("cursor"), c.Query("status"))
	if err != nil {
		wr.serviceError(c, "list deliveries", err)
		return
	}
	list, next, err := wr.svc.DeliveryPage(c.Request.Context(), currentUser(c).ID, c.Param("id"), q)
	if errors.Is(err, webhooks.ErrNotFound) {
		writeError(c, http.StatusNotFound, codeNotFound, "no such webhook")
		return
	}
	if err != nil {
		wr.serviceError(c, "list deliveries", err)
		return
	}
	if next != "" {
		c.Header(nextCursorHdr, next)
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
	// Resolution is how the alert's ticker was matched.
	Resolution *resolutionView `json:"resolution,omitempty"`
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
	ans := hookAnswer{DeliveryID: d.ID, Status: d.Status, Order: orderViewOf(d.Order), Resolution: resolutionViewOf(d.Resolution)}
	if d.ErrorCode != "" {
		ans.Error = &errorDetail{Code: d.ErrorCode, Message: d.ErrorMessage}
	}
	ans.DuplicateOf = d.DuplicateOf
	if out.First != nil {
		first := wr.deliveryViewOf(*out.First)
		ans.DuplicateOf, ans.Original, ans.Order = first.ID, &first, first.Order
	}
	status := http.StatusOK
	if out.Pending {
		status = http.StatusAccepted
	}
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
