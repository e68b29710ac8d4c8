package fake

import (
	"cmp"
	"fmt"
	"maps"
	"net/http"
	"regexp"
	"slices"

	"github.com/globalautomation/gahost/sdk/fakex"
	"github.com/shopspring/decimal"
)

// clientIDRule is clOrdId: letters and digits, up to 32.
var clientIDRule = regexp.MustCompile(`^[a-zA-Z0-9]{1,32}$`)

// paramError answers "Parameter X error" (51000, HTTP 400).
func (c *call) paramError(name string) {
	c.fail(http.StatusBadRequest, "51000", fmt.Sprintf("Parameter %s error", name))
}

// stringField reads a body field that must be a JSON string; ok is false
// (and the error answered) when it is present with another type.
func (c *call) stringField(name string) (string, bool) {
	v, present := c.fields[name]
	if !present {
		return "", true
	}
	s, isString := v.(string)
	if !isString {
		c.paramError(name)
		return "", false
	}
	return s, true
}

// orderFailed answers a per-item rejection: code "1", HTTP 200, the
// verdict in data[0].sCode.
func (c *call) orderFailed(clOrdID, code, msg, sub string) {
	now := c.now.UnixMilli()
	fakex.WriteJSON(c.w, http.StatusOK, map[string]any{
		"code": "1", "msg": "All operations failed",
		"data":   []map[string]string{{"clOrdId": clOrdID, "ordId": "", "tag": "", "ts": ms(now), "sCode": code, "sMsg": msg, "subCode": sub}},
		"inTime": ms(now * 1000), "outTime": ms(now*1000 + 1500),
	})
}

func (c *call) orderOK(o Order, msg string) {
	now := c.now.UnixMilli()
	fakex.WriteJSON(c.w, http.StatusOK, map[string]any{
		"code": "0", "msg": "",
		"data":   []map[string]string{{"clOrdId": o.ClOrdID, "ordId": o.OrdID, "tag": "", "ts": ms(now), "sCode": "0", "sMsg": msg, "subCode": ""}},
		"inTime": ms(now * 1000), "outTime": ms(now*1000 + 1500),
	})
}

// placeOrder is POST /api/v5/trade/order.
func (s *Server) placeOrder(c *call) {
	var o Order
	for _, f := range []struct {
		name string
		dst  *string
	}{
		{"instId", &o.InstID}, {"tdMode", &o.TdMode}, {"side", &o.Side}, {"ordType", &o.OrdType}, {"sz", &o.Sz},
		{"px", &o.Px}, {"tgtCcy", &o.TgtCcy}, {"posSide", &o.PosSide}, {"clOrdId", &o.ClOrdID},
	} {
		v, ok := c.stringField(f.name)
		if !ok {
			return
		}
		*f.dst = v
	}
	for _, name := range []string{"instId", "tdMode", "side", "ordType", "sz"} {
		if c.param(name) == "" {
			c.fail(http.StatusBadRequest, "50014", fmt.Sprintf("Parameter %s can not be empty.", name))
			return
		}
	}
	if v, present := c.fields["reduceOnly"]; present {
		b, isBool := v.(bool)
		if !isBool {
			c.paramError("reduceOnly")
			return
		}
		o.ReduceOnly = b
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	in, listed := s.insts[o.InstID]
	if !listed {
		c.fail(http.StatusOK, "51001", "Instrument ID, Instrument ID code or Spread ID doesn't exist.")
		return
	}
	switch {
	case o.Side != "buy" && o.Side != "sell":
		c.paramError("side")
		return
	case !slices.Contains([]string{"market", "limit", "post_only", "fok", "ioc"}, o.OrdType):
		c.paramError("ordType")
		return
	case !fakex.IsDecimal(o.Sz, 0) || !dec(o.Sz).IsPositive():
		c.paramError("sz")
		return
	case o.OrdType != "market" && o.Px == "":
		c.fail(http.StatusBadRequest, "50014", "Parameter px can not be empty.")
		return
	case o.Px != "" && (!fakex.IsDecimal(o.Px, 0) || !dec(o.Px).IsPositive()):
		c.paramError("px")
		return
	case o.ClOrdID != "" && !clientIDRule.MatchString(o.ClOrdID):
		c.paramError("clOrdId")
		return
	}
	a := s.Store.AccountLocked(c.key.APIKey)
	lv := cmp.Or(a.AcctLv, "2")
	if in.InstType == "SPOT" {
		if !s.checkSpot(c, a, in, &o, lv) {
			return
		}
	} else if !s.checkSwap(c, a, in, &o, lv) {
		return
	}
	for _, prev := range a.Orders {
		if o.ClOrdID != "" && prev.ClOrdID == o.ClOrdID && prev.State == "live" {
			c.orderFailed(o.ClOrdID, "51016", "Client order ID already exists.", "")
			return
		}
	}
	o.OrdID, o.CTime, o.Body, o.State = s.id(), c.now.UnixMilli(), string(c.body), "live"
	if o.OrdType == "market" {
		o.State = "filled"
	}
	a.Orders = append(a.Orders, o)
	c.orderOK(o, "Order placed")
}

// checkSpot applies the spot rules: tdMode by account mode, no
// posSide or reduceOnly, tgtCcy for market orders only, and the balance.
func (s *Server) checkSpot(c *call, a *Account, in Instrument, o *Order, lv string) bool {
	want := "cash"
	if lv == "3" || lv == "4" {
		want = "cross"
	}
	switch {
	case o.TdMode != want:
		c.paramError("tdMode")
		return false
	case o.PosSide != "":
		c.paramError("posSide")
		return false
	case o.ReduceOnly:
		c.paramError("reduceOnly")
		return false
	case o.TgtCcy != "" && (o.OrdType != "market" || o.TgtCcy != "base_ccy" && o.TgtCcy != "quote_ccy"):
		c.paramError("tgtCcy")
		return false
	}
	price := dec(in.Price)
	if o.Px != "" {
		price = dec(o.Px)
	}
	// A market buy's sz is quote by default, a sell's base.
	tgt := o.TgtCcy
	if tgt == "" && o.OrdType == "market" && o.Side == "buy" {
		tgt = "quote_ccy"
	}
	base, quote := dec(o.Sz), dec(o.Sz).Mul(price)
	if tgt == "quote_ccy" {
		base, quote = dec(o.Sz).DivRound(price, 16), dec(o.Sz)
	}
	if tgt != "quote_ccy" && !multiple(base, in.LotSz) {
		c.orderFailed(o.ClOrdID, "51121", "Order quantity must be a multiple of the lot size.", "")
		return false
	}
	if tgt != "quote_ccy" && base.LessThan(dec(in.MinSz)) {
		c.orderFailed(o.ClOrdID, "51020", "Your order should meet or exceed the minimum order amount.", "")
		return false
	}
	ccy, need := in.QuoteCcy, quote
	if o.Side == "sell" {
		ccy, need = in.BaseCcy, base
	}
	if available(a, ccy).LessThan(need) {
		c.orderFailed(o.ClOrdID, "51008", fmt.Sprintf("Order failed. Insufficient %s balance in account", ccy), "1000")
		return false
	}
	return true
}

// checkSwap applies the swap rules: not in Spot mode (51010), tdMode
// cross or isolated, posSide by position mode, lot and minimum in
// contracts (51121, 51020), and the margin an opening order needs.
func (s *Server) checkSwap(c *call, a *Account, in Instrument, o *Order, lv string) bool {
	if lv == "1" {
		c.orderFailed(o.ClOrdID, "51010", "Request unsupported under current account mode", "")
		return false
	}
	if o.TdMode != "cross" && o.TdMode != "isolated" {
		c.paramError("tdMode")
		return false
	}
	if o.TgtCcy != "" {
		c.paramError("tgtCcy")
		return false
	}
	if cmp.Or(a.PosMode, "net_mode") == "long_short_mode" {
		if o.PosSide != "long" && o.PosSide != "short" {
			c.paramError("posSide")
			return false
		}
	} else if o.PosSide != "" && o.PosSide != "net" {
		c.paramError("posSide")
		return false
	}
	sz := dec(o.Sz)
	if !multiple(sz, in.LotSz) {
		c.orderFailed(o.ClOrdID, "51121", "Order quantity must be a multiple of the lot size.", "")
		return false
	}
	if sz.LessThan(dec(in.MinSz)) {
		c.orderFailed(o.ClOrdID, "51020", "Your order should meet or exceed the minimum order amount.", "")
		return false
	}
	closing := o.ReduceOnly || o.PosSide == "long" && o.Side == "sell" || o.PosSide == "short" && o.Side == "buy"
	if closing || in.CtType != "linear" {
		return true
	}
	price := dec(in.Price)
	if o.Px != "" {
		price = dec(o.Px)
	}
	const leverage = 10
	need := sz.Mul(dec(in.CtVal)).Mul(price).Div(decimal.NewFromInt(leverage))
	if available(a, in.SettleCcy).LessThan(need) {
		c.orderFailed(o.ClOrdID, "51008", fmt.Sprintf("Order failed. Insufficient %s margin in account", in.SettleCcy), "1001")
		return false
	}
	return true
}

// cancelOrder is POST /api/v5/trade/cancel-order: ordId wins over
// clOrdId; only a live order can be cancelled.
func (s *Server) cancelOrder(c *call) {
	id, cid := c.param("ordId"), c.param("clOrdId")
	inst := c.param("instId")
	switch {
	case inst == "":
		c.fail(http.StatusBadRequest, "50014", "Parameter instId can not be empty.")
		return
	case id == "" && cid == "":
		c.fail(http.StatusBadRequest, "50014", "Parameter ordId can not be empty.")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, listed := s.insts[inst]; !listed {
		c.fail(http.StatusOK, "51001", "Instrument ID, Instrument ID code or Spread ID doesn't exist.")
		return
	}
	a := s.Store.AccountLocked(c.key.APIKey)
	for i := range a.Orders {
		o := &a.Orders[i]
		if o.InstID != inst || id != "" && o.OrdID != id || id == "" && o.ClOrdID != cid {
			continue
		}
		if o.State != "live" {
			break
		}
		o.State = "canceled"
		c.orderOK(*o, "")
		return
	}
	c.orderFailed(cid, "51400", "Order cancellation failed as the order has been filled, canceled or does not exist.", "")
}

// available is what a currency can spend: availEq where the mode has it,
// else availBal.
func available(a *Account, ccy string) decimal.Decimal {
	for _, b := range a.Balances {
		if b.Ccy == ccy {
			return dec(cmp.Or(b.AvailEq, b.AvailBal))
		}
	}
	return decimal.Zero
}

func multiple(v decimal.Decimal, step string) bool {
	st := dec(step)
	return !st.IsPositive() || v.Mod(st).IsZero()
}

// sortedIDs lists the symbols in order, so that answers come out the same
// every time.
func sortedIDs(m map[string]Instrument) []string { return slices.Sorted(maps.Keys(m)) }
