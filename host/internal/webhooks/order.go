package webhooks

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"

	"github.com/globalautomation/gahost/host/internal/store"
	"github.com/globalautomation/gahost/sdk"
	"github.com/shopspring/decimal"
)

// MaxPriceAge is how old the snapshot's mark price may be to bound the
// notional of a market order; an older one counts as unknown.
const MaxPriceAge = 10 * time.Minute

// ClientOrderID is the client order id of a webhook's order: "gah" and 29
// hex digits of a hash of the webhook id and the alert id (or, for an alert
// without one, the delivery id). 32 letters and digits fit the strictest
// exchange rule (OKX clOrdId: up to 32 alphanumerics), and the same alert
// sent twice asks for the same id, so an exchange that refuses duplicate
// client ids refuses the second order even if our own check were bypassed.
func ClientOrderID(webhookID, alertID, deliveryID string) string {
	h := sha256.New()
	h.Write([]byte("gahost webhook order v1\x00"))
	h.Write([]byte(webhookID))
	if alertID != "" {
		h.Write([]byte("\x00alert\x00" + alertID))
	} else {
		h.Write([]byte("\x00delivery\x00" + deliveryID))
	}
	return "gah" + hex.EncodeToString(h.Sum(nil))[:29]
}

// buildOrder turns a checked alert, its symbol resolved, into the order to
// place. A close reads its size from snap (nil before the first sync). The
// limits and the instrument's rules are applied by the caller (see judge).
func buildOrder(w store.Webhook, a Alert, snap *store.Snapshot, clientID string) (sdk.OrderRequest, *Rejection) {
	req := sdk.OrderRequest{
		Market: sdk.Market(w.Market), Symbol: a.Symbol, Type: a.Type, Side: sdk.Side(a.Action),
		Quantity: a.Quantity, QuoteQuantity: a.QuoteQuantity, Price: a.Price,
		ReduceOnly: a.ReduceOnly, ClientOrderID: clientID,
	}
	if a.Action != ActionClose {
		return req, nil
	}
	req.Type = sdk.OrderMarket
	if req.Market == sdk.MarketFutures {
		return closeFutures(req, snap)
	}
	return closeSpot(req, snap)
}

// closeFutures is a reduce-only market order against the whole position on
// the symbol, as the latest snapshot knows it. The snapshot may be one sync
// interval old: reduce-only keeps a position that shrank meanwhile from
// being flipped, and one that grew is closed in part.
func closeFutures(req sdk.OrderRequest, snap *store.Snapshot) (sdk.OrderRequest, *Rejection) {
	if snap == nil || snap.PositionsAt.IsZero() {
		return req, refused(CodeNoPosition, "no positions have been synced for this account yet; nothing to close")
	}
	var open []store.Position
	for _, p := range snap.Positions {
		if p.Symbol == req.Symbol && !p.Size.IsZero() {
			open = append(open, p)
		}
	}
	switch len(open) {
	case 0:
		return req, refused(CodeNoPosition, "the account has no open %s position (as of %s)", req.Symbol,
			snap.PositionsAt.UTC().Format(time.RFC3339))
	case 1:
	default:
		return req, refused(CodeAmbiguousPosition,
			"the account holds both a long and a short %s position (hedge mode); send a reduce_only buy or sell with a quantity instead",
			req.Symbol)
	}
	p := open[0]
	req.Side = sdk.Sell
	if sdk.PositionSide(p.Side) == sdk.SideShort {
		req.Side = sdk.Buy
	}
	req.Quantity = p.Size.Abs()
	req.QuoteQuantity, req.Price = decimal.Decimal{}, decimal.Decimal{}
	req.ReduceOnly = true
	return req, nil
}

// closeSpot sells the whole free balance of the symbol's base asset, as the
// latest snapshot knows it; the caller rounds it down to the lot step, since
// exchanges refuse a quantity that is not a whole number of steps. Locked
// funds (in open orders) stay.
func closeSpot(req sdk.OrderRequest, snap *store.Snapshot) (sdk.OrderRequest, *Rejection) {
	base, _, _ := strings.Cut(req.Symbol, "/")
	if snap == nil || snap.SpotAt.IsZero() {
		return req, refused(CodeNoBalance, "no spot balances have been synced for this account yet; nothing to sell")
	}
	var free decimal.Decimal
	for _, b := range snap.Spot {
		if b.Asset == base {
			free = free.Add(b.Free)
		}
	}
	if !free.IsPositive() {
		return req, refused(CodeNoBalance, "the account holds no free %s (as of %s)", base,
			snap.SpotAt.UTC().Format(time.RFC3339))
	}
	req.Side = sdk.Sell
	req.Quantity = free
	req.QuoteQuantity, req.Price = decimal.Decimal{}, decimal.Decimal{}
	req.ReduceOnly = false
	return req, nil
}

// checkNotional applies max_notional to req, at the worse of the order's
// price and mark, the current reference price (known false when there is
// none). A close is exempt: it can only shrink what the account holds, and
// a limit must never stop an exit.
func checkNotional(w store.Webhook, a Alert, req sdk.OrderRequest, mark decimal.Decimal, known bool) *Rejection {
	if w.MaxNotional == nil || a.Action == ActionClose {
		return nil
	}
	var notional decimal.Decimal
	switch {
	case req.Type == sdk.OrderLimit:
		// A limit order fills at its price or better for the trader, which
		// for a sell is any higher price: a sell limit below the market
		// fills at the market. So the notional is taken at the worse (the
		// higher) of the limit and the mark price. Without a mark price a
		// buy is still bounded by its limit (it never pays more), but a
		// sell is not, and is refused rather than guessed at.
		price := req.Price
		switch {
		case known:
			price = decimal.Max(price, mark)
		case req.Side == sdk.Sell:
			return refused(CodePriceUnknown,
				"max_notional is set and no recent price of %s is known: a limit sell fills at the market price "+
					"when that is higher than its limit, so its notional cannot be bounded. Remove max_notional "+
					"to send it", req.Symbol)
		}
		notional = req.Quantity.Mul(price)
	case req.QuoteQuantity.IsPositive():
		notional = req.QuoteQuantity
	default:
		if !known {
			return refused(CodePriceUnknown,
				"max_notional is set and no recent price of %s is known to bound this market order; "+
					"send a limit order%s, or remove max_notional", req.Symbol, quoteHint(req.Market, req.Side))
		}
		notional = req.Quantity.Mul(mark)
	}
	if notional.GreaterThan(*w.MaxNotional) {
		return refused(CodeMaxNotionalExceeded, "the order's notional %s exceeds the webhook's max_notional %s",
			notional.String(), w.MaxNotional.String())
	}
	return nil
}

func quoteHint(market sdk.Market, side sdk.Side) string {
	if market == sdk.MarketSpot && side == sdk.Buy {
		return " or a quote_quantity"
	}
	return ""
}

// markPrice is the mark price of the latest snapshot's position on symbol,
// if it is at most MaxPriceAge old. Spot snapshots carry no prices.
func markPrice(w store.Webhook, symbol string, snap *store.Snapshot, now time.Time) (decimal.Decimal, bool) {
	if sdk.Market(w.Market) != sdk.MarketFutures || snap == nil || snap.PositionsAt.IsZero() ||
		now.Sub(snap.PositionsAt) > MaxPriceAge {
		return decimal.Decimal{}, false
	}
	for _, p := range snap.Positions {
		if p.Symbol == symbol && p.MarkPrice.IsPositive() {
			return p.MarkPrice, true
		}
	}
	return decimal.Decimal{}, false
}

// orderRecord is the stored form of an order request.
func orderRecord(req sdk.OrderRequest) *store.DeliveryOrder {
	o := &store.DeliveryOrder{ClientOrderID: req.ClientOrderID, Market: string(req.Market), Symbol: req.Symbol,
		Side: string(req.Side), Type: string(req.Type), ReduceOnly: req.ReduceOnly}
	o.Quantity = nonZero(req.Quantity)
	o.QuoteQuantity = nonZero(req.QuoteQuantity)
	o.Price = nonZero(req.Price)
	return o
}

// withExchange adds what the exchange reported about a placed order.
func withExchange(o *store.DeliveryOrder, placed sdk.Order) {
	o.ExchangeOrderID = placed.ID
	o.ExchangeStatus = string(placed.Status)
	o.FilledQuantity = nonZero(placed.FilledQuantity)
	o.AveragePrice = nonZero(placed.AveragePrice)
}

func nonZero(d decimal.Decimal) *decimal.Decimal {
	if d.IsZero() {
		return nil
	}
	return &d
}
