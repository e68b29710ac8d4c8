package webhooks

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/redact"
	"github.com/shopspring/decimal"
)

// Alert actions.
const (
	ActionBuy   = "buy"
	ActionSell  = "sell"
	ActionClose = "close"
)

// Rejection codes. They reach API clients and stored deliveries: add,
// never rename. The first four match the API's codes for a bad body.
const (
	CodeInvalidJSON         = "invalid_json"
	CodeUnknownField        = "unknown_field"
	CodeInvalidField        = "invalid_field"
	CodeMissingField        = "missing_field"
	CodeSymbolNotAllowed    = "symbol_not_allowed"
	CodeMaxNotionalExceeded = "max_notional_exceeded"
	CodePriceUnknown        = "price_unknown"
	CodeNoPosition          = "no_position"
	CodeAmbiguousPosition   = "ambiguous_position"
	CodeNoBalance           = "no_balance"
	CodeAccountMissing      = "account_missing"
	CodeAccountInactive     = "account_inactive"
	CodeOrdersUnsupported   = "orders_unsupported"
	// CodeSymbolUnknown: the ticker matches no instrument of the
	// exchange's market.
	CodeSymbolUnknown = "symbol_unknown"
	// CodeSymbolAmbiguous: the ticker matches several instruments.
	CodeSymbolAmbiguous = "symbol_ambiguous"
	// CodeInstrumentsUnavailable: the instrument list could not be read
	// and the ticker is not a unified symbol.
	CodeInstrumentsUnavailable = "instruments_unavailable"
	// CodeInstrumentHalted: the exchange lists the instrument but takes
	// no orders on it now.
	CodeInstrumentHalted = "instrument_halted"
	// CodeBelowMinQuantity: the quantity, rounded down to the lot step,
	// is below the instrument's minimum (or zero).
	CodeBelowMinQuantity = "below_min_quantity"
	// CodeBelowMinNotional: the order's value is below the instrument's
	// minimum.
	CodeBelowMinNotional = "below_min_notional"
	// CodePriceBelowTick: a limit price that rounds to zero at the tick.
	CodePriceBelowTick = "price_below_tick"
	// CodeUserDisabled: the webhook's owner is disabled; nothing is placed
	// for them.
	CodeUserDisabled = "user_disabled"
)

// Failure codes of a delivery beside the sdk kinds (sdk.Kind.String()).
const (
	CodeUnknownOutcome      = "unknown_outcome"
	CodeAccountUnreadable   = "account_unreadable"
	CodeExchangeUnavailable = "exchange_unavailable"
	CodeOrderRejected       = "order_rejected"
)

// Rejection says why an alert was turned down.
type Rejection struct {
	Code    string
	Message string
	// Invalid is true when the alert itself is wrong (a bad request);
	// false when a limit or the account's state refused it.
	Invalid bool
}

func (r *Rejection) Error() string { return r.Message }

func invalid(code, format string, args ...any) *Rejection {
	return &Rejection{Code: code, Message: fmt.Sprintf(format, args...), Invalid: true}
}

func refused(code, format string, args ...any) *Rejection {
	return &Rejection{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Alert is a parsed, checked alert. Amounts not given are zero.
type Alert struct {
	Action        string
	Symbol        string
	Type          sdk.OrderType // sdk.OrderMarket or sdk.OrderLimit; market for close
	Quantity      decimal.Decimal
	QuoteQuantity decimal.Decimal
	Price         decimal.Decimal
	ReduceOnly    bool
	AlertID       string
}

// alertJSON is the wire form. Pointers tell a field left out from one given
// as zero or false.
type alertJSON struct {
	Secret        *string `json:"secret"`
	Action        *string `json:"action"`
	Symbol        *string `json:"symbol"`
	Type          *string `json:"type"`
	Quantity      *amount `json:"quantity"`
	QuoteQuantity *amount `json:"quote_quantity"`
	Price         *amount `json:"price"`
	ReduceOnly    *bool   `json:"reduce_only"`
	AlertID       *string `json:"alert_id"`
}

// amount keeps the literal text of a decimal given either as a JSON string
// ("0.01") or as a bare JSON number (0.01, as a TradingView placeholder
// such as {{strategy.order.contracts}} writes it). Either way the text is
// parsed as an exact decimal, never through a float.
type amount struct{ text string }

func (a *amount) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		return json.Unmarshal(b, &a.text)
	}
	if len(b) > 0 && (b[0] == '-' || (b[0] >= '0' && b[0] <= '9')) {
		a.text = string(b)
		return nil
	}
	return errNotAmount
}

var errNotAmount = errors.New("not a decimal")

// MaxAlertIDLen bounds an alert id (and the index key made of it).
const MaxAlertIDLen = 64

var plainDecimal = regexp.MustCompile(`^[0-9]{1,30}(\.[0-9]{1,30})?$`)

// ParseAmount reads a positive amount written as a plain decimal: digits,
// at most one point, no sign, no exponent, at most 30 digits on either side.
func ParseAmount(s string) (decimal.Decimal, error) {
	if !plainDecimal.MatchString(s) {
		return decimal.Decimal{}, errors.New("must be a positive decimal such as \"0.015\" (digits and one point, no sign or exponent)")
	}
	d, err := decimal.NewFromString(s)
	if err != nil {
		return decimal.Decimal{}, errors.New("is not a decimal")
	}
	if !d.IsPositive() {
		return decimal.Decimal{}, errors.New("must be greater than zero")
	}
	return d, nil
}

var symbolPart = regexp.MustCompile(`^[A-Z0-9]{1,20}$`)

// ValidSymbol checks that s is a unified symbol of market: "BTC/USDT" for
// spot, "BTC/USDT:USDT" for a futures contract.
func ValidSymbol(market, s string) error {
	base, rest, ok := strings.Cut(s, "/")
	quote, settle, hasSettle := strings.Cut(rest, ":")
	if !ok || !symbolPart.MatchString(base) || !symbolPart.MatchString(quote) ||
		(hasSettle && !symbolPart.MatchString(settle)) {
		return errors.New(`must be a unified symbol in capitals: "BTC/USDT" (spot) or "BTC/USDT:USDT" (futures)`)
	}
	switch {
	case sdk.Market(market) == sdk.MarketSpot && hasSettle:
		return errors.New(`is a futures symbol; a spot webhook takes "BASE/QUOTE", e.g. "BTC/USDT"`)
	case sdk.Market(market) == sdk.MarketFutures && !hasSettle:
		return errors.New(`is a spot symbol; a futures webhook takes "BASE/QUOTE:SETTLE", e.g. "BTC/USDT:USDT"`)
	}
	return nil
}

// peekSecret reads only the secret of a body, leniently, so that the secret
// can be checked before the body is judged: a caller without the secret
// learns nothing about what else is wrong with its alert. err is a
// Rejection when the body is not a JSON object at all.
func peekSecret(body []byte) (string, error) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 || body[0] != '{' {
		return "", invalid(CodeInvalidJSON, "the alert must be a JSON object")
	}
	var v struct {
		Secret json.RawMessage `json:"secret"`
	}
	if err := json.Unmarshal(body, &v); err != nil {
		return "", invalid(CodeInvalidJSON, "the alert is not valid JSON")
	}
	var s string
	if json.Unmarshal(v.Secret, &s) != nil {
		return "", nil // absent or not a string: no secret, so a bad one
	}
	return s, nil
}

// ParseAlert decodes and checks an alert for a webhook of market. The body
// must be one JSON object with only the contract's fields. A failure is a
// *Rejection with Invalid set; the Alert returned beside it holds what could
// be read (its AlertID in particular).
func ParseAlert(body []byte, market string) (Alert, error) {
	var raw alertJSON
	if rej := decodeStrict(body, &raw); rej != nil {
		return Alert{}, rej
	}
	var a Alert
	if raw.AlertID != nil {
		id := *raw.AlertID
		if id == "" || len(id) > MaxAlertIDLen || strings.IndexFunc(id, notVisibleASCII) >= 0 {
			return Alert{}, invalid(CodeInvalidField,
				"alert_id must be 1 to %d printable ASCII characters without spaces", MaxAlertIDLen)
		}
		a.AlertID = id
	}
	rej := a.fill(raw, market)
	if rej != nil {
		return a, rej
	}
	return a, nil
}

// isPlaceholder reports whether s is a TradingView placeholder that was
// sent as written, such as "{{strategy.order.contracts}}" from an indicator
// alert, where strategy placeholders stay unreplaced.
func isPlaceholder(s string) bool {
	return strings.HasPrefix(s, "{{") && strings.HasSuffix(s, "}}")
}

func notVisibleASCII(r rune) bool { return r <= ' ' || r > '~' }

// decodeStrict decodes one JSON object into v: no unknown fields, no
// trailing data.
func decodeStrict(body []byte, v any) *Rejection {
	body = bytes.TrimSpace(body)
	if len(body) == 0 || body[0] != '{' {
		return invalid(CodeInvalidJSON, "the alert must be a JSON object")
	}
	if rej := checkKeys(body); rej != nil {
		return rej
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil && dec.InputOffset() != int64(len(body)) {
		return invalid(CodeInvalidJSON, "data after the JSON object")
	}
	if err == nil {
		return nil
	}
	var (
		syntax *json.SyntaxError
		typ    *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &syntax):
		return invalid(CodeInvalidJSON, "malformed JSON at byte %d", syntax.Offset)
	case errors.As(err, &typ):
		return invalid(CodeInvalidField, "field %q has the wrong type", redact.Clip(typ.Field, 40))
	case errors.Is(err, errNotAmount):
		return invalid(CodeInvalidField, "quantity, quote_quantity and price must be decimal strings such as \"0.015\"")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.TrimPrefix(err.Error(), "json: unknown field ")
		return invalid(CodeUnknownField, "unknown field %s", redact.Clip(name, 40))
	default:
		return invalid(CodeInvalidJSON, "malformed JSON")
	}
}

// alertFields are the field names of an alert, exactly.
var alertFields = map[string]bool{"secret": true, "action": true, "symbol": true, "type": true, "quantity": true,
	"quote_quantity": true, "price": true, "reduce_only": true, "alert_id": true}

// checkKeys refuses what encoding/json would let through silently: a field
// name in other capitals ("Action" fills action) and a field given twice
// (the last one would win). An alert that places orders must mean one thing.
func checkKeys(body []byte) *Rejection {
	dec := json.NewDecoder(bytes.NewReader(body))
	if _, err := dec.Token(); err != nil { // the opening brace
		return nil // decoding proper reports it
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil
		}
		key, _ := tok.(string)
		switch {
		case !alertFields[key]:
			return invalid(CodeUnknownField, "unknown field %q", redact.Clip(key, 40))
		case seen[key]:
			return invalid(CodeInvalidJSON, "field %q is given twice", key)
		}
		seen[key] = true
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return nil
		}
	}
	return nil
}

// fill checks raw against the contract and the webhook's market and sets
// the fields of a.
func (a *Alert) fill(raw alertJSON, market string) *Rejection {
	if raw.Action == nil || *raw.Action == "" {
		return invalid(CodeMissingField, "action is required: buy, sell or close")
	}
	switch a.Action = *raw.Action; a.Action {
	case ActionBuy, ActionSell, ActionClose:
	default:
		if isPlaceholder(a.Action) {
			return invalid(CodeInvalidField, "action holds the placeholder %s, which TradingView fills in strategy "+
				"alerts only; in an indicator alert write buy, sell or close", redact.Clip(a.Action, 40))
		}
		return invalid(CodeInvalidField, "action must be buy, sell or close, not %q", redact.Clip(a.Action, 20))
	}
	if raw.Symbol == nil || *raw.Symbol == "" {
		return invalid(CodeMissingField, "symbol is required")
	}
	if rej := checkTicker(market, *raw.Symbol); rej != nil {
		return rej
	}
	a.Symbol = *raw.Symbol
	if raw.ReduceOnly != nil {
		a.ReduceOnly = *raw.ReduceOnly
	}
	if a.ReduceOnly && sdk.Market(market) == sdk.MarketSpot {
		return invalid(CodeInvalidField, "reduce_only is for futures webhooks only")
	}

	var amounts [3]decimal.Decimal
	for i, f := range []struct {
		name string
		v    *amount
	}{{"quantity", raw.Quantity}, {"quote_quantity", raw.QuoteQuantity}, {"price", raw.Price}} {
		if f.v == nil {
			continue
		}
		d, err := ParseAmount(f.v.text)
		if err != nil && isPlaceholder(f.v.text) {
			return invalid(CodeInvalidField, "%s holds the placeholder %s, which TradingView fills in strategy alerts "+
				"only; in an indicator alert write the amount itself (or a plot placeholder such as {{plot_0}})",
				f.name, redact.Clip(f.v.text, 40))
		}
		if err != nil {
			return invalid(CodeInvalidField, "%s %s", f.name, err)
		}
		amounts[i] = d
	}
	a.Quantity, a.QuoteQuantity, a.Price = amounts[0], amounts[1], amounts[2]

	if a.Action == ActionClose {
		return a.fillClose(raw)
	}
	// TradingView strategy alerts say nothing of the order type: left
	// out, it is a market order.
	a.Type = sdk.OrderMarket
	if raw.Type != nil && *raw.Type != "" {
		a.Type = sdk.OrderType(*raw.Type)
	}
	switch a.Type {
	case sdk.OrderMarket, sdk.OrderLimit:
	default:
		return invalid(CodeInvalidField, "type must be market or limit, not %q", redact.Clip(string(a.Type), 20))
	}
	hasQty, hasQuote, hasPrice := raw.Quantity != nil, raw.QuoteQuantity != nil, raw.Price != nil
	switch {
	case hasQty && hasQuote:
		return invalid(CodeInvalidField, "give quantity or quote_quantity, not both")
	case !hasQty && !hasQuote:
		return invalid(CodeMissingField, "quantity (or, for a spot market buy, quote_quantity) is required")
	case a.Type == sdk.OrderLimit && !hasPrice:
		return invalid(CodeMissingField, "a limit order needs a price")
	case a.Type == sdk.OrderMarket && hasPrice:
		return invalid(CodeInvalidField, "price is for limit orders only; a market order fills at the market")
	case hasQuote && (sdk.Market(market) != sdk.MarketSpot || a.Type != sdk.OrderMarket || a.Action != ActionBuy):
		return invalid(CodeInvalidField, "quote_quantity is for spot market buys only; give quantity")
	}
	return nil
}

// fillClose checks a close alert: everything about the order comes from the
// snapshot, so the alert names only the symbol.
func (a *Alert) fillClose(raw alertJSON) *Rejection {
	a.Type = sdk.OrderMarket
	switch {
	case raw.Type != nil && *raw.Type != string(sdk.OrderMarket):
		return invalid(CodeInvalidField, "close is always a market order; leave type out or set it to market")
	case raw.Quantity != nil || raw.QuoteQuantity != nil || raw.Price != nil:
		return invalid(CodeInvalidField, "close takes no quantity, quote_quantity or price: it closes the whole position or balance")
	case raw.ReduceOnly != nil && !*raw.ReduceOnly:
		return invalid(CodeInvalidField, "close is always reduce-only")
	}
	return nil
}
