package api

// The owner's help in wiring a webhook to TradingView: the alert messages
// to paste (in GET /webhooks/{id}, and with the secret filled in where the
// secret is shown), and POST /webhooks/{id}/test, which answers what an
// alert would send without sending it.

import (
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/globalautomation/gahost/host/internal/store"
	"github.com/globalautomation/gahost/host/internal/webhooks"
	"github.com/shopspring/decimal"
)

// secretPlaceholder stands for the secret in a message shown where the
// secret is not (it is shown once, when made).
const secretPlaceholder = "PASTE-THE-WEBHOOK-SECRET-HERE"

// tradingViewTemplate is what to paste into a TradingView alert.
type tradingViewTemplate struct {
	Message string `json:"message" doc:"The Message of a strategy alert, as one JSON object: TradingView fills in the order's action, the chart's ticker and the order's size."`
	// IndicatorMessage is for alerts of indicators, which have no order.
	IndicatorMessage string `json:"indicator_message" doc:"The Message of an indicator alert (alertcondition or alert()): strategy placeholders stay unfilled there, so the action and quantity are written in; make one alert per action."`
	SecretIncluded   bool   `json:"secret_included" doc:"Whether the messages carry the secret; if not, replace the placeholder with it."`
	Notes            string `json:"notes"`
}

// tradingView makes the alert messages of w; secret is "" where it is not
// shown.
func tradingView(w store.Webhook, secret string) tradingViewTemplate {
	t := tradingViewTemplate{SecretIncluded: secret != ""}
	if secret == "" {
		secret = secretPlaceholder
	}
	// The alert id varies with the second the alert fires, so that two
	// real signals are two orders while a resent request stays one.
	t.Message = message(secret, "{{strategy.order.action}}", "{{strategy.order.contracts}}",
		"{{ticker}}-{{strategy.order.action}}-{{timenow}}")
	t.IndicatorMessage = message(secret, webhooks.ActionBuy, "0.001", "{{ticker}}-buy-{{timenow}}")
	t.Notes = "Paste the message into the alert's Message box and the webhook url into its Webhook URL. In a strategy " +
		"alert TradingView writes the order's action (buy or sell), the chart's ticker and the order's size " +
		"(strategy.order.contracts, in the strategy's units: set the strategy's order size in base units, such as BTC). " +
		"In an indicator alert those strategy placeholders stay unfilled, so write the action and quantity yourself " +
		"(or a plot placeholder such as {{plot_0}} for the quantity) and make one alert per action. The ticker may be " +
		"any TradingView form (BTCUSDT, BTCUSDT.P, BINANCE:BTCUSDT.P): it is matched against the exchange's " +
		"instruments. Orders are market orders unless the message adds \"type\":\"limit\" and a \"price\"; quantities " +
		"are rounded down to the instrument's lot step. To close a position (or sell a spot balance) send " +
		"\"action\":\"close\" without quantity. Test a message with POST /api/v1/webhooks/{id}/test."
	if w.Market == "futures" {
		t.Notes += " A futures webhook wants the perpetual: chart it (BTCUSDT.P) or use any ticker of the pair."
	}
	return t
}

// message writes one alert message. Fields are written in a fixed order
// with encoding/json's escaping of the secret.
func message(secret, action, quantity, alertID string) string {
	b, _ := json.Marshal(struct {
		Secret   string `json:"secret"`
		Action   string `json:"action"`
		Symbol   string `json:"symbol"`
		Quantity string `json:"quantity"`
		AlertID  string `json:"alert_id"`
	}{secret, action, "{{ticker}}", quantity, alertID})
	return string(b)
}

// testAlertBody documents the body of a test: an alert whose secret may be
// left out.
type testAlertBody struct {
	Secret        string `json:"secret" doc:"Ignored: the owner's bearer token authenticates a test."`
	Action        string `json:"action" required:"true"`
	Symbol        string `json:"symbol" required:"true" doc:"Any form POST /hooks/{token} takes."`
	Type          string `json:"type" doc:"Default market."`
	Quantity      amount `json:"quantity"`
	QuoteQuantity amount `json:"quote_quantity"`
	Price         amount `json:"price"`
	ReduceOnly    bool   `json:"reduce_only"`
	AlertID       string `json:"alert_id" doc:"Recorded, not claimed: the real alert with this id still goes."`
}

type resolutionView struct {
	Ticker string `json:"ticker" doc:"The symbol as the alert sent it."`
	Symbol string `json:"symbol" doc:"The unified symbol it stands for; empty when it matched nothing."`
	Native string `json:"native,omitempty" doc:"The exchange's own name of the instrument."`
	Method string `json:"method,omitempty" doc:"How it matched: unified, native, base_quote (BTCUSDT, BTC_USDT), tradingview (exchange prefix or .P dropped), unchecked (unified symbol taken as sent, the instrument list being unreadable)."`
}

func resolutionViewOf(r *store.SymbolResolution) *resolutionView {
	if r == nil {
		return nil
	}
	return &resolutionView{Ticker: r.Ticker, Symbol: r.Symbol, Native: r.Native, Method: r.Method}
}

type ruleCheckView struct {
	Name   string `json:"name"`
	Passed bool   `json:"passed"`
	Code   string `json:"code,omitempty" doc:"The rejection code when it failed."`
	Detail string `json:"detail"`
}

func ruleChecksOf(cs []store.DeliveryCheck) []ruleCheckView {
	if len(cs) == 0 {
		return nil
	}
	out := make([]ruleCheckView, len(cs))
	for i, c := range cs {
		out[i] = ruleCheckView{Name: c.Name, Passed: c.Passed, Code: c.Code, Detail: c.Detail}
	}
	return out
}

type instrumentView struct {
	Symbol        string   `json:"symbol"`
	NativeSymbols []string `json:"native_symbols"`
	Status        string   `json:"status"`
	LotStep       string   `json:"lot_step" oas:"decimal" doc:"Quantities are whole multiples of it; 0 when the exchange sets none."`
	MinQuantity   string   `json:"min_quantity" oas:"decimal"`
	TickSize      string   `json:"tick_size" oas:"decimal" doc:"Prices are whole multiples of it; 0 when the exchange sets none."`
	MinNotional   string   `json:"min_notional" oas:"decimal" doc:"The smallest order value; 0 when the exchange sets none."`
}

type requestedView struct {
	Quantity      *string `json:"quantity" oas:"decimal" doc:"As the alert gave it, before rounding."`
	QuoteQuantity *string `json:"quote_quantity" oas:"decimal"`
	Price         *string `json:"price" oas:"decimal" doc:"As the alert gave it, before rounding to the tick."`
}

type priceView struct {
	Value  string     `json:"value" oas:"decimal" doc:"The mark price where the market has one, else the last price."`
	Source string     `json:"source" doc:"exchange: read now; snapshot: the latest synced position's mark price."`
	At     *time.Time `json:"at"`
}

// testAnswer is what an alert would do.
type testAnswer struct {
	DeliveryID string          `json:"delivery_id"`
	Status     string          `json:"status"`
	WouldPlace bool            `json:"would_place" doc:"Whether a real alert would send the order now."`
	Resolution *resolutionView `json:"resolution"`
	Requested  requestedView   `json:"requested"`
	// Order is what would be sent: quantity and price rounded.
	Order      *orderView      `json:"order"`
	Instrument *instrumentView `json:"instrument" doc:"The instrument's rules that were applied; null when the list could not be read."`
	Price      *priceView      `json:"price" doc:"The price the notional is computed at; null when none is known."`
	Notional   *string         `json:"notional" oas:"decimal" doc:"The order's value at price (a limit order at the worse of its price and price; a quote order its quote amount)."`
	Checks     []ruleCheckView `json:"checks"`
	Error      *errorDetail    `json:"error" doc:"The first failed check (or the reason the alert could not be read); null when the order would go."`
}

func (wr *webhookRoutes) testAlert(c *gin.Context) {
	body, ok := readBody(c)
	if !ok {
		return
	}
	res, err := wr.svc.Test(c.Request.Context(), currentUser(c).ID, c.Param("id"), body)
	var rej *webhooks.Rejection
	switch {
	case errors.Is(err, webhooks.ErrNotFound):
		writeError(c, http.StatusNotFound, codeNotFound, "no such webhook")
		return
	case errors.As(err, &rej):
		writeError(c, http.StatusBadRequest, rej.Code, rej.Message)
		return
	case err != nil:
		wr.internalError(c, "test alert", err)
		return
	}
	d := res.Delivery
	a := res.Alert
	out := testAnswer{DeliveryID: d.ID, Status: d.Status, WouldPlace: res.WouldPlace(),
		Resolution: resolutionViewOf(d.Resolution), Order: orderViewOf(d.Order), Checks: ruleChecksOf(d.Checks),
		Requested: requestedView{Quantity: amountOrNull(a.Quantity), QuoteQuantity: amountOrNull(a.QuoteQuantity),
			Price: amountOrNull(a.Price)}}
	if out.Checks == nil {
		out.Checks = []ruleCheckView{}
	}
	if d.ErrorCode != "" {
		out.Error = &errorDetail{Code: d.ErrorCode, Message: d.ErrorMessage}
	}
	if p := res.Plan; p != nil {
		if in := p.Instrument; in != nil {
			out.Instrument = &instrumentView{Symbol: in.Symbol, NativeSymbols: in.NativeSymbols, Status: string(in.Status),
				LotStep: in.LotStep.String(), MinQuantity: in.MinQuantity.String(), TickSize: in.TickSize.String(),
				MinNotional: in.MinNotional.String()}
			if out.Instrument.NativeSymbols == nil {
				out.Instrument.NativeSymbols = []string{}
			}
		}
		if p.Price.IsPositive() {
			out.Price = &priceView{Value: p.Price.String(), Source: p.PriceSource, At: timeOrNull(p.PriceAt)}
		}
		out.Notional = decString(p.Notional)
	}
	status := http.StatusOK
	if res.Plan == nil {
		// The alert itself is wrong: a bad request, as the hook answers it.
		status = http.StatusBadRequest
		c.Set(ctxErrorCode, d.ErrorCode)
	}
	c.JSON(status, out)
}

func amountOrNull(d decimal.Decimal) *string {
	if d.IsZero() {
		return nil
	}
	s := d.String()
	return &s
}
