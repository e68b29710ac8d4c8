package fake

import (
	"cmp"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"

	"github.com/globalautomation/gahost/sdk/fakex"
	"github.com/shopspring/decimal"
)

// linkID is orderLinkId: letters, digits, _ and -, up to 36.
var linkID = regexp.MustCompile(`^[A-Za-z0-9_-]{1,36}$`)

// createRequest is POST /v5/order/create with the JSON types Bybit documents:
// amounts are strings, positionIdx an integer, reduceOnly a boolean. A
// body with another type fails to decode and is refused.
type createRequest struct {
	Category    string  `json:"category"`
	Symbol      string  `json:"symbol"`
	Side        string  `json:"side"`
	OrderType   string  `json:"orderType"`
	Qty         string  `json:"qty"`
	Price       *string `json:"price"`
	TimeInForce string  `json:"timeInForce"`
	PositionIdx *int    `json:"positionIdx"`
	OrderLinkID string  `json:"orderLinkId"`
	ReduceOnly  *bool   `json:"reduceOnly"`
	IsLeverage  *int    `json:"isLeverage"`
	MarketUnit  string  `json:"marketUnit"`
}

// listed returns the market of symbol in category, or answers the
// unknown-symbol error of that category. s.mu must be held.
func (s *Server) listed(c *call, category, symbol string) (Market, bool) {
	switch category {
	case "spot":
		if m, ok := s.spot[symbol]; ok {
			return m, true
		}
		c.fail(170121, "Invalid symbol.")
	case "linear":
		if m, ok := s.linear[symbol]; ok {
			return m, true
		}
		c.params("symbol invalid " + symbol)
	default:
		c.params("category invalid")
	}
	return Market{}, false
}

func (s *Server) createOrder(c *call) {
	var req createRequest
	if err := json.Unmarshal(c.body, &req); err != nil {
		c.params("request body does not match the field types")
		return
	}
	defer s.afterOrder(c.key.APIKey, c.body, req.OrderType == "Market") // the stream's pushes (ws.go), once s.mu is released
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.listed(c, req.Category, req.Symbol)
	if !ok {
		return
	}
	spot := req.Category == "spot"
	switch {
	case req.Side != "Buy" && req.Side != "Sell":
		c.params("side invalid")
		return
	case req.OrderType != "Market" && req.OrderType != "Limit":
		c.params("orderType invalid")
		return
	case !fakex.IsDecimal(req.Qty, 0) || dec(req.Qty).IsZero():
		c.params("qty invalid")
		return
	case req.OrderType == "Limit" && (req.Price == nil || !fakex.IsDecimal(*req.Price, 0) || dec(*req.Price).IsZero()):
		c.params("price invalid")
		return
	case req.TimeInForce != "" && !slices.Contains([]string{"GTC", "IOC", "FOK", "PostOnly", "RPI"}, req.TimeInForce):
		c.params("timeInForce invalid")
		return
	case req.OrderLinkID != "" && !linkID.MatchString(req.OrderLinkID):
		c.params("orderLinkId invalid")
		return
	case spot && req.ReduceOnly != nil && *req.ReduceOnly:
		c.params("reduceOnly is for linear only")
		return
	case req.MarketUnit != "" && (!spot || req.OrderType != "Market" || req.MarketUnit != "baseCoin" && req.MarketUnit != "quoteCoin"):
		c.params("marketUnit invalid")
		return
	}
	a := s.Store.AccountLocked(c.key.APIKey)
	// Bybit documents only "must be unique"; the fake holds an id unique among
	// open orders, so that an id may be used again once its order is
	// cancelled.
	if req.OrderLinkID != "" && slices.ContainsFunc(a.Orders, func(o Order) bool { return o.OrderLinkID == req.OrderLinkID && o.Status == "New" }) {
		if spot {
			c.fail(170141, "Duplicate clientOrderId.")
		} else {
			c.fail(110072, "OrderLinkedID is duplicate")
		}
		return
	}
	price := dec(m.Price)
	if req.OrderType == "Limit" {
		price = dec(*req.Price)
	}
	o := Order{
		Category: req.Category, Symbol: req.Symbol, OrderLinkID: req.OrderLinkID, Side: req.Side,
		OrderType: req.OrderType, Qty: req.Qty, MarketUnit: req.MarketUnit, TimeInForce: cmp.Or(req.TimeInForce, "GTC"),
		Status: "New", CreatedTime: c.now.UnixMilli(), Body: string(c.body),
	}
	if req.Price != nil {
		o.Price = *req.Price
	}
	if spot {
		if !s.spotOrder(c, a, m, &o, price) {
			return
		}
	} else if !s.linearOrder(c, a, m, req, &o, price) {
		return
	}
	a.Orders = append(a.Orders, o)
	c.ok(map[string]string{"orderId": o.OrderID, "orderLinkId": o.OrderLinkID})
}

// spotOrder checks the balance, then fills a market order at once or
// locks what a limit order needs. s.mu is held.
func (s *Server) spotOrder(c *call, a *Account, m Market, o *Order, price decimal.Decimal) bool {
	qty := dec(o.Qty)
	// a market buy's qty is in the quote coin unless marketUnit says
	// otherwise; a sell's is in the base coin.
	byQuote := o.OrderType == "Market" && (o.MarketUnit == "quoteCoin" || o.MarketUnit == "" && o.Side == "Buy")
	base, cost := qty, qty.Mul(price)
	if byQuote {
		base, cost = qty.DivRound(price, 8), qty
	}
	if o.Side == "Buy" && free(a, m.Quote).LessThan(cost) || o.Side == "Sell" && free(a, m.Base).LessThan(base) {
		c.fail(170131, "Insufficient balance.")
		return false
	}
	o.OrderID = s.spotID()
	if o.OrderType == "Market" {
		o.Status = "Filled"
		baseDelta, quoteDelta := fakex.Trade(o.Side, base, cost)
		addCoin(a, m.Base, baseDelta, decimal.Zero)
		addCoin(a, m.Quote, quoteDelta, decimal.Zero)
		return true
	}
	o.lockedCoin, o.lockedAmount = m.Quote, cost.String()
	if o.Side == "Sell" {
		o.lockedCoin, o.lockedAmount = m.Base, base.String()
	}
	addCoin(a, o.lockedCoin, decimal.Zero, dec(o.lockedAmount))
	return true
}

// linearOrder checks the position mode, reduce-only and margin, then fills
// a market order at once. s.mu is held.
func (s *Server) linearOrder(c *call, a *Account, m Market, req createRequest, o *Order, price decimal.Decimal) bool {
	idx := 0
	if req.PositionIdx != nil {
		idx = *req.PositionIdx
	}
	if a.HedgeMode && idx != 1 && idx != 2 || !a.HedgeMode && idx != 0 {
		c.params("position idx not match position mode")
		return false
	}
	qty := dec(o.Qty)
	reduce := req.ReduceOnly != nil && *req.ReduceOnly
	held := s.held(a, o.Symbol, idx)
	// A one-way position is signed by its side here; in hedge mode the
	// index says which side it is.
	closing := idx == 1 && o.Side == "Sell" || idx == 2 && o.Side == "Buy" ||
		idx == 0 && (held.IsPositive() && o.Side == "Sell" || held.IsNegative() && o.Side == "Buy")
	if reduce && (!closing || held.IsZero()) {
		c.fail(110017, "Reduce-only order qty truncated to zero: current position is zero or on the same side")
		return false
	}
	if !closing {
		need := qty.Mul(price).Div(decimal.NewFromInt(10))
		if available(a).LessThan(need) {
			c.fail(110007, "ab not enough for new order")
			return false
		}
	}
	o.OrderID = s.linearID()
	o.PositionIdx, o.ReduceOnly = idx, reduce
	if o.OrderType == "Market" {
		o.Status = "Filled"
		delta := qty
		if o.Side == "Sell" {
			delta = qty.Neg()
		}
		fill(a, o.Symbol, idx, delta, price)
	}
	return true
}

func (s *Server) cancelOrder(c *call) {
	var req struct {
		Category    string `json:"category"`
		Symbol      string `json:"symbol"`
		OrderID     string `json:"orderId"`
		OrderLinkID string `json:"orderLinkId"`
	}
	if err := json.Unmarshal(c.body, &req); err != nil {
		c.params("request body does not match the field types")
		return
	}
	defer s.afterOrder(c.key.APIKey, c.body, false) // the stream's pushes (ws.go), once s.mu is released
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.listed(c, req.Category, req.Symbol); !ok {
		return
	}
	if req.OrderID == "" && req.OrderLinkID == "" {
		c.params("orderId or orderLinkId is required")
		return
	}
	a := s.Store.AccountLocked(c.key.APIKey)
	i := slices.IndexFunc(a.Orders, func(o Order) bool {
		if o.Category != req.Category || o.Symbol != req.Symbol {
			return false
		}
		if req.OrderID != "" { // orderId wins when both are given
			return o.OrderID == req.OrderID
		}
		return o.OrderLinkID == req.OrderLinkID
	})
	spot := req.Category == "spot"
	switch {
	case i < 0 && spot, i >= 0 && spot && a.Orders[i].Status != "New":
		c.fail(170213, "Order does not exist.")
		return
	case i < 0:
		c.fail(110001, "order not exists or too late to cancel")
		return
	case a.Orders[i].Status == "Filled":
		c.fail(110008, "The order has been finished")
		return
	case a.Orders[i].Status == "Cancelled":
		c.fail(110010, "The order has been cancelled")
		return
	}
	o := &a.Orders[i]
	o.Status = "Cancelled"
	if o.lockedCoin != "" {
		addCoin(a, o.lockedCoin, decimal.Zero, dec(o.lockedAmount).Neg())
	}
	c.ok(map[string]string{"orderId": o.OrderID, "orderLinkId": o.OrderLinkID})
}

// --- state helpers; the caller holds s.mu ---

// spotID is a numeric id, as Bybit gives spot orders.
func (s *Server) spotID() string {
	s.nextID++
	return fmt.Sprint(s.nextID)
}

// linearID is a UUID, as Bybit gives linear orders.
func (s *Server) linearID() string {
	s.nextID++
	return fmt.Sprintf("c6f055d9-7f21-4079-913d-%012x", s.nextID%(1<<48))
}

// free is what a coin holds beyond its locked and borrowed amounts.
func free(a *Account, coin string) decimal.Decimal {
	co, _ := fakex.Find(a.Coins, coinIs(coin))
	return dec(co.WalletBalance).Sub(dec(co.Locked)).Sub(dec(co.SpotBorrow))
}

func coinIs(coin string) func(Coin) bool { return func(co Coin) bool { return co.Coin == coin } }

func addCoin(a *Account, coin string, wallet, locked decimal.Decimal) {
	co := fakex.Upsert(&a.Coins, coinIs(coin), func() Coin { return Coin{Coin: coin, WalletBalance: "0", Locked: "0"} })
	fakex.Add(&co.WalletBalance, wallet)
	fakex.Add(&co.Locked, locked)
}

// available is the account's available balance for new margin.
func available(a *Account) decimal.Decimal {
	if a.TotalAvailableBalance != "" {
		return dec(a.TotalAvailableBalance)
	}
	return free(a, "USDT")
}

// held is the signed size of the position at idx (short is negative).
func (s *Server) held(a *Account, symbol string, idx int) decimal.Decimal {
	p, _ := fakex.Find(a.Positions, positionAt(symbol, idx))
	return signedSize(p)
}

func positionAt(symbol string, idx int) func(Position) bool {
	return func(p Position) bool { return p.Symbol == symbol && p.PositionIdx == idx }
}

// signedSize is p's size, negative on the Sell side.
func signedSize(p Position) decimal.Decimal {
	if p.Side == "Sell" {
		return dec(p.Size).Neg()
	}
	return dec(p.Size)
}

// fill moves the position at idx by delta at price (see fakex.Fill).
func fill(a *Account, symbol string, idx int, delta, price decimal.Decimal) {
	p := fakex.Upsert(&a.Positions, positionAt(symbol, idx), func() Position {
		return Position{Symbol: symbol, PositionIdx: idx, Size: "0", AvgPrice: "0", Leverage: "10"}
	})
	amt, entry := fakex.Fill(signedSize(*p), dec(p.AvgPrice), delta, price)
	p.Side = ""
	switch {
	case amt.IsPositive():
		p.Side = "Buy"
	case amt.IsNegative():
		p.Side = "Sell"
	}
	p.Size, p.AvgPrice, p.MarkPrice = amt.Abs().String(), entry.String(), price.String()
	p.UnrealisedPnl = price.Sub(entry).Mul(amt).String()
}
