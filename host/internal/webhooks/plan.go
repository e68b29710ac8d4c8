package webhooks

// Judging an alert: everything between a parsed alert and the order it
// sends. The same code serves a real alert (which stops at the first rule
// that refuses it) and the owner's test (which runs every rule it can and
// shows each with its verdict), so a test answers exactly what an alert
// would do.

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/globalautomation/gahost/host/internal/store"
	"github.com/globalautomation/gahost/sdk"
	"github.com/shopspring/decimal"
)

// marketWait bounds the market-data reads (instruments, price) of one
// alert: with the order after them, the answer stays within the 3 seconds
// TradingView waits.
const marketWait = 2 * time.Second

// Names of the checks an alert is judged by, in the order they run.
const (
	CheckOwner          = "owner"
	CheckAccount        = "account"
	CheckExchange       = "exchange"
	CheckSymbol         = "symbol"
	CheckAllowedSymbols = "allowed_symbols"
	CheckInstrument     = "instrument"
	CheckOrder          = "order"
	CheckMinQuantity    = "min_quantity"
	CheckMinNotional    = "min_notional"
	CheckMaxNotional    = "max_notional"
)

// Where a reference price came from (Plan.PriceSource).
const (
	PriceFromExchange = "exchange" // read now through the plugin's price call
	PriceFromSnapshot = "snapshot" // the mark price of the latest synced position
)

// Plan is an alert judged against its webhook, the account's latest
// snapshot and the market: the order it would send and every check.
type Plan struct {
	// Resolution is how the ticker was matched; nil when the account or
	// exchange stopped the judging before it.
	Resolution *store.SymbolResolution
	// Instrument holds the trading rules applied; nil when the instrument
	// list could not be read (a unified symbol is then sent as given).
	Instrument *sdk.Instrument
	// Order is the order to send, with its quantity rounded down to the
	// lot step and its price to the tick; valid when Built.
	Order sdk.OrderRequest
	Built bool
	// Price is the reference price (mark, else last) the notional is
	// computed at; zero when none is known. PriceSource says where it
	// came from and PriceAt when.
	Price       decimal.Decimal
	PriceSource string
	PriceAt     time.Time
	// Notional is the order's value at Price (for a limit order at the
	// worse of its price and Price; for a quote order its quote amount);
	// nil when it cannot be known.
	Notional *decimal.Decimal
	// Checks are the verdicts, in order.
	Checks []store.DeliveryCheck
	// Rejection is the first failed check's; nil when the order may go.
	Rejection *Rejection

	acct   store.Account
	client sdk.Exchange
	served bool
	snap   *store.Snapshot
}

// pass records a check that passed.
func (p *Plan) pass(name, format string, args ...any) {
	p.Checks = append(p.Checks, store.DeliveryCheck{Name: name, Passed: true, Detail: fmt.Sprintf(format, args...)})
}

// fail records a failed check; the first failure is the plan's rejection.
func (p *Plan) fail(name string, rej *Rejection) {
	p.Checks = append(p.Checks, store.DeliveryCheck{Name: name, Code: rej.Code, Detail: rej.Message})
	if p.Rejection == nil {
		p.Rejection = rej
	}
}

// symbol is what a delivery names: the unified symbol once resolved, else
// the ticker as sent.
func (p *Plan) symbol(ticker string) string {
	if p.Resolution != nil && p.Resolution.Symbol != "" {
		return p.Resolution.Symbol
	}
	return ticker
}

// judge builds the plan of alert a for webhook w. With all false it stops
// at the first failed check (a real alert); with all true it goes on as
// far as the failures allow (a test). err is an internal failure only.
func (s *Service) judge(ctx context.Context, w store.Webhook, a Alert, clientID string, now time.Time, all bool) (*Plan, error) {
	p := &Plan{}
	stop := func() bool { return !all && p.Rejection != nil }

	u, err := s.st.User(ctx, w.UserID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		p.fail(CheckOwner, refused(CodeUserDisabled, "the webhook's owner no longer exists; no order is placed"))
	case err != nil:
		return nil, fmt.Errorf("load user: %w", err)
	case u.Disabled:
		p.fail(CheckOwner, refused(CodeUserDisabled, "the webhook's owner is disabled; no order is placed for them"))
	default:
		p.pass(CheckOwner, "the webhook's owner is enabled")
	}
	if stop() {
		return p, nil
	}

	acct, err := s.st.Account(ctx, w.AccountID)
	switch {
	case errors.Is(err, store.ErrNotFound) || (err == nil && acct.UserID != w.UserID):
		p.fail(CheckAccount, refused(CodeAccountMissing, "the webhook's exchange account no longer exists"))
		return p, nil
	case err != nil:
		return nil, fmt.Errorf("load account: %w", err)
	case !acct.IsActive:
		p.fail(CheckAccount, refused(CodeAccountInactive, "the webhook's exchange account is deactivated"))
	default:
		p.pass(CheckAccount, "%s account %q is active", acct.Exchange, acct.Name)
	}
	p.acct = acct
	if stop() {
		return p, nil
	}

	client, info, ok := s.exchanges.Exchange(acct.Exchange)
	p.client, p.served = client, ok
	switch {
	case ok && !info.Has(sdk.CapOrders):
		p.fail(CheckExchange, refused(CodeOrdersUnsupported, "the %s plugin cannot place orders", acct.Exchange))
	case ok:
		p.pass(CheckExchange, "the %s plugin is running and places orders", acct.Exchange)
	case all:
		// A real alert finds this out at sending time, as a failure.
		p.fail(CheckExchange, refused(CodeExchangeUnavailable, "no plugin serves %s right now; no order could be sent", acct.Exchange))
	}
	if stop() {
		return p, nil
	}

	if v, found, err := s.st.LatestSnapshot(ctx, acct.ID); err != nil {
		return nil, fmt.Errorf("load snapshot: %w", err)
	} else if found {
		p.snap = &v
	}

	mctx, cancel := context.WithTimeout(ctx, marketWait)
	defer cancel()
	if !s.resolve(mctx, p, w, a, now) {
		return p, nil
	}
	sym := p.Resolution.Symbol

	if len(w.AllowedSymbols) > 0 && !slices.Contains(w.AllowedSymbols, sym) {
		p.fail(CheckAllowedSymbols, refused(CodeSymbolNotAllowed, "%s is not among this webhook's allowed symbols", sym))
	} else if len(w.AllowedSymbols) > 0 {
		p.pass(CheckAllowedSymbols, "%s is among the webhook's allowed symbols", sym)
	} else {
		p.pass(CheckAllowedSymbols, "the webhook allows every symbol")
	}
	if stop() {
		return p, nil
	}

	in := p.Instrument
	switch {
	case in == nil:
		p.pass(CheckInstrument, "the instrument list could not be read: no lot step or tick is applied, the exchange judges the order")
	case in.Status == sdk.InstrumentHalted:
		p.fail(CheckInstrument, refused(CodeInstrumentHalted, "%s is listed but takes no orders now", sym))
	default:
		p.pass(CheckInstrument, "%s trades; lot step %s, tick %s", sym, orNone(in.LotStep), orNone(in.TickSize))
	}
	if stop() {
		return p, nil
	}

	a.Symbol = sym
	req, rej := buildOrder(w, a, p.snap, clientID)
	if rej != nil {
		p.fail(CheckOrder, rej)
		return p, nil
	}
	p.roundOrder(&req, a)
	p.Order, p.Built = req, true
	if stop() {
		return p, nil
	}

	needPrice := all || (w.MaxNotional != nil && a.Action != ActionClose) || (in != nil && in.MinNotional.IsPositive())
	if needPrice {
		s.readPrice(mctx, p, w, sym, now)
	}
	p.Notional = notionalOf(req, p.Price)

	p.checkMinNotional(a)
	if stop() {
		return p, nil
	}
	mark, known := p.Price, p.Price.IsPositive()
	if rej := checkNotional(w, a, req, mark, known); rej != nil {
		p.fail(CheckMaxNotional, rej)
	} else if w.MaxNotional == nil {
		p.pass(CheckMaxNotional, "the webhook sets no max_notional")
	} else if a.Action == ActionClose {
		p.pass(CheckMaxNotional, "a close is exempt from max_notional: it only shrinks what the account holds")
	} else {
		p.pass(CheckMaxNotional, "the order's value is within max_notional %s", w.MaxNotional.String())
	}
	return p, nil
}

// resolve matches the alert's ticker; false when it cannot be matched (the
// plan then holds the failed check).
func (s *Service) resolve(ctx context.Context, p *Plan, w store.Webhook, a Alert, now time.Time) bool {
	var (
		list []sdk.Instrument
		at   time.Time
		err  error
	)
	k := listKey{exchange: p.acct.Exchange, testnet: p.acct.Testnet, market: sdk.Market(w.Market)}
	if p.served {
		list, at, err = s.market.instruments(ctx, p.client, k, InstrumentTTL)
	} else {
		err = fmt.Errorf("no plugin serves %s right now", p.acct.Exchange)
	}
	var (
		res store.SymbolResolution
		rej *Rejection
		in  sdk.Instrument
	)
	if err == nil {
		in, res, rej = ResolveTicker(sdk.Market(w.Market), a.Symbol, list)
		if rej != nil && rej.Code == CodeSymbolUnknown && now.Sub(at) >= InstrumentRecheck {
			// Perhaps listed since the list was read.
			if fresh, _, ferr := s.market.instruments(ctx, p.client, k, InstrumentRecheck); ferr == nil {
				in, res, rej = ResolveTicker(sdk.Market(w.Market), a.Symbol, fresh)
			}
		}
		if rej == nil {
			p.Instrument = &in
		}
	} else {
		s.log.Warn("instrument list unavailable", "exchange", p.acct.Exchange, "market", w.Market, "error", err)
		res, rej = unresolvedTicker(a.Symbol, err)
	}
	p.Resolution = &res
	if rej != nil {
		p.fail(CheckSymbol, rej)
		return false
	}
	p.pass(CheckSymbol, "%s is %s (matched: %s)", a.Symbol, res.Symbol, res.Method)
	return true
}

// roundOrder rounds req's quantity down to the lot step (never more than
// asked, or than a balance holds) and a limit price to the tick in the
// direction that is safe for its side (a buy never pays more, a sell never
// sells for less), and checks the quantity left against the minimum.
func (p *Plan) roundOrder(req *sdk.OrderRequest, a Alert) {
	in := p.Instrument
	if in == nil {
		if req.Quantity.IsPositive() {
			p.pass(CheckMinQuantity, "quantity %s sent as given (no instrument rules known)", req.Quantity.String())
		} else {
			p.pass(CheckMinQuantity, "quote order: the exchange sets the quantity")
		}
		return
	}
	if req.Type == sdk.OrderLimit {
		price := in.FloorPrice(req.Price)
		if req.Side == sdk.Sell {
			price = in.CeilPrice(req.Price)
		}
		if !price.IsPositive() {
			p.fail(CheckOrder, refused(CodePriceBelowTick, "the price %s is below the tick %s of %s",
				req.Price.String(), in.TickSize.String(), in.Symbol))
		}
		req.Price = price
	}
	if !req.Quantity.IsPositive() {
		p.pass(CheckMinQuantity, "quote order: the exchange sets the quantity")
		return
	}
	asked := req.Quantity
	req.Quantity = in.FloorQuantity(asked)
	what := "quantity " + asked.String()
	if a.Action == ActionClose {
		what = "the amount to close, " + asked.String() + ","
	}
	switch {
	case !req.Quantity.IsPositive():
		p.fail(CheckMinQuantity, refused(CodeBelowMinQuantity, "%s rounds down to 0 at the lot step %s of %s",
			what, in.LotStep.String(), in.Symbol))
	case in.MinQuantity.IsPositive() && req.Quantity.LessThan(in.MinQuantity):
		p.fail(CheckMinQuantity, refused(CodeBelowMinQuantity, "%s rounds down to %s at the lot step %s, below the minimum %s of %s",
			what, req.Quantity.String(), in.LotStep.String(), in.MinQuantity.String(), in.Symbol))
	default:
		p.pass(CheckMinQuantity, "%s rounds down to %s at the lot step %s (minimum %s)",
			what, req.Quantity.String(), orNone(in.LotStep), orNone(in.MinQuantity))
	}
}

// readPrice sets the plan's reference price: the exchange's current one,
// else the mark price of the latest snapshot's position when recent.
func (s *Service) readPrice(ctx context.Context, p *Plan, w store.Webhook, sym string, now time.Time) {
	if p.served {
		pr, ok, err := s.market.price(ctx, p.client, priceKey{exchange: p.acct.Exchange, testnet: p.acct.Testnet, symbol: sym})
		if err != nil {
			s.log.Warn("price unavailable", "exchange", p.acct.Exchange, "symbol", sym, "error", err)
		}
		if ok {
			p.Price, p.PriceSource, p.PriceAt = pr.Reference(), PriceFromExchange, pr.Time
			return
		}
	}
	if mark, ok := markPrice(w, sym, p.snap, now); ok {
		p.Price, p.PriceSource, p.PriceAt = mark, PriceFromSnapshot, p.snap.PositionsAt
	}
}

// notionalOf is req's value: a quote order's quote amount, a limit order's
// quantity at the worse of its price and the reference price, a market
// order's at the reference price; nil when unknown.
func notionalOf(req sdk.OrderRequest, ref decimal.Decimal) *decimal.Decimal {
	var v decimal.Decimal
	switch {
	case req.QuoteQuantity.IsPositive():
		v = req.QuoteQuantity
	case req.Type == sdk.OrderLimit:
		v = req.Quantity.Mul(decimal.Max(req.Price, ref))
	case ref.IsPositive():
		v = req.Quantity.Mul(ref)
	default:
		return nil
	}
	return &v
}

// checkMinNotional applies the instrument's minimum order value. A close
// is not held to it: exchanges take reduce-only orders of any value, and a
// rule must never stop an exit. Without a price the exchange judges it.
func (p *Plan) checkMinNotional(a Alert) {
	in := p.Instrument
	switch {
	case in == nil || !in.MinNotional.IsPositive():
		p.pass(CheckMinNotional, "the exchange sets no minimum order value for this instrument")
		return
	case a.Action == ActionClose:
		p.pass(CheckMinNotional, "a close is not held to the minimum order value")
		return
	}
	value := p.Notional
	if p.Order.Type == sdk.OrderLimit && !p.Order.QuoteQuantity.IsPositive() {
		// The exchange values a limit order at its own price.
		v := p.Order.Quantity.Mul(p.Order.Price)
		value = &v
	}
	switch {
	case value == nil:
		p.pass(CheckMinNotional, "no price is known to value the order; the exchange checks its minimum %s", in.MinNotional.String())
	case value.LessThan(in.MinNotional):
		p.fail(CheckMinNotional, refused(CodeBelowMinNotional, "the order's value %s is below the minimum %s of %s",
			value.String(), in.MinNotional.String(), in.Symbol))
	default:
		p.pass(CheckMinNotional, "the order's value %s is at least the minimum %s", value.String(), in.MinNotional.String())
	}
}

func orNone(d decimal.Decimal) string {
	if d.IsZero() {
		return "none"
	}
	return d.String()
}
