package fake

import (
	"cmp"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/globalautomation/gahost/sdk/fakex"
)

// Answers of the read endpoints, shaped as Bitget documents them.

func (s *Server) serverTime(c *call) {
	c.ok(map[string]string{"serverTime": strconv.FormatInt(c.now.UnixMilli(), 10)})
}

func (s *Server) accountInfo(c *call) {
	k := c.key
	c.ok(map[string]any{
		"userId": k.UserID, "inviterId": "", "ips": k.IPs,
		"authorities": append([]string{}, k.Authorities...),
		// parentId is a number in the docs' example although the field
		// table says String.
		"parentId": 1, "traderType": "", "channelCode": "", "channel": "",
		"regisTime": "1695808949356",
	})
}

func (s *Server) spotAssets(c *call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	coin := strings.ToUpper(c.query.Get("coin"))
	all := c.query.Get("assetType") == "all"
	switch at := c.query.Get("assetType"); at {
	case "", "hold_only", "all":
	default:
		c.invalid("assetType")
		return
	}
	rows := []map[string]string{}
	for _, b := range s.Store.AccountLocked(c.key.APIKey).Spot {
		total := dec(b.Available).Add(dec(b.Frozen)).Add(dec(b.Locked))
		switch {
		case coin != "" && !strings.EqualFold(b.Coin, coin):
			continue
		case coin == "" && !all && total.IsZero():
			continue
		}
		rows = append(rows, map[string]string{
			"coin": b.Coin, "available": cmp.Or(b.Available, "0"), "frozen": cmp.Or(b.Frozen, "0"),
			"locked": cmp.Or(b.Locked, "0"), "limitAvailable": "0", "uTime": strconv.FormatInt(c.now.UnixMilli(), 10),
		})
	}
	c.ok(rows)
}

// productType reads the required product type; the fake's futures are
// USDT-FUTURES, which the docs write in either case.
func (c *call) productType(v string) (usdt, ok bool) {
	if v == "" {
		c.missing("productType")
		return false, false
	}
	switch strings.ToUpper(v) {
	case "USDT-FUTURES":
		return true, true
	case "COIN-FUTURES", "USDC-FUTURES", "SUSDT-FUTURES", "SCOIN-FUTURES", "SUSDC-FUTURES":
		return false, true
	}
	c.invalid("productType")
	return false, false
}

func futuresFields(r FuturesRow) map[string]any {
	return map[string]any{
		"marginCoin": r.MarginCoin, "locked": cmp.Or(r.Locked, "0"), "available": cmp.Or(r.Available, "0"),
		"crossedMaxAvailable": cmp.Or(r.CrossedMaxAvailable, "0"), "isolatedMaxAvailable": cmp.Or(r.CrossedMaxAvailable, "0"),
		"maxTransferOut": cmp.Or(r.Available, "0"), "accountEquity": cmp.Or(r.AccountEquity, "0"),
		"usdtEquity": cmp.Or(r.AccountEquity, "0"), "btcEquity": "0", "crossedRiskRate": "0",
		"unrealizedPL": r.UnrealizedPL, "coupon": "0",
		"unionTotalMagin": cmp.Or(r.AccountEquity, "0"), "unionAvailable": cmp.Or(r.Available, "0"), "unionMm": "0",
		"assetList": []any{}, "isolatedMargin": "0", "crossedMargin": "0",
		"crossedUnrealizedPL": cmp.Or(r.CrossedUnrealizedPL, "0"), "isolatedUnrealizedPL": cmp.Or(r.IsolatedUnrealizedPL, "0"),
		"assetMode": "single",
	}
}

func (s *Server) futuresAccounts(c *call) {
	usdt, ok := c.productType(c.query.Get("productType"))
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rows := []map[string]any{}
	if usdt {
		for _, r := range s.Store.AccountLocked(c.key.APIKey).Futures {
			rows = append(rows, futuresFields(r))
		}
	}
	c.ok(rows)
}

// futuresAccount is the single-coin variant: one symbol's view with its
// margin and position mode.
func (s *Server) futuresAccount(c *call) {
	if p, ok := fakex.Missing(c.query.Get, "symbol", "productType", "marginCoin"); ok {
		c.missing(p)
		return
	}
	if _, ok := c.productType(c.query.Get("productType")); !ok {
		return
	}
	if c.query.Get("marginCoin") != "USDT" {
		c.invalid("marginCoin")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sym := c.query.Get("symbol")
	if _, ok := s.futures[sym]; !ok {
		c.bad("40034", "Parameter "+sym+" does not exist")
		return
	}
	a := s.Store.AccountLocked(c.key.APIKey)
	row := FuturesRow{MarginCoin: "USDT"}
	for _, r := range a.Futures {
		if r.MarginCoin == "USDT" {
			row = r
		}
	}
	out := futuresFields(row)
	st := settings(a, sym)
	mode := "one_way_mode"
	if a.HedgeMode {
		mode = "hedge_mode"
	}
	// Leverage fields are numbers in late-2025 answers.
	out["crossedMarginLeverage"] = st.Leverage
	out["isolatedLongLever"] = st.Leverage
	out["isolatedShortLever"] = st.Leverage
	out["marginMode"] = st.MarginMode
	out["posMode"] = mode
	c.ok(out)
}

func (s *Server) positions(c *call) {
	usdt, ok := c.productType(c.query.Get("productType"))
	if !ok {
		return
	}
	if mc := c.query.Get("marginCoin"); mc != "" && mc != "USDT" {
		c.invalid("marginCoin")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.Store.AccountLocked(c.key.APIKey)
	mode := "one_way_mode"
	if a.HedgeMode {
		mode = "hedge_mode"
	}
	rows := []map[string]any{}
	for _, p := range a.Positions {
		if !usdt {
			break
		}
		var lev any = cmp.Or(p.Leverage, "0")
		if p.LeverageAsNumber {
			lev = json.Number(cmp.Or(p.Leverage, "0"))
		}
		rows = append(rows, map[string]any{
			"marginCoin": cmp.Or(p.MarginCoin, "USDT"), "symbol": p.Symbol, "holdSide": p.HoldSide,
			"openDelegateSize": "0", "marginSize": "0", "available": cmp.Or(p.Total, "0"), "locked": "0",
			"total": cmp.Or(p.Total, "0"), "leverage": lev, "achievedProfits": "0",
			"openPriceAvg": cmp.Or(p.OpenPriceAvg, "0"), "marginMode": cmp.Or(p.MarginMode, "crossed"), "posMode": mode,
			"unrealizedPL": cmp.Or(p.UnrealizedPL, "0"), "liquidationPrice": cmp.Or(p.LiquidationPrice, "0"),
			"keepMarginRate": "0.004", "markPrice": cmp.Or(p.MarkPrice, "0"), "marginRatio": "0",
			"breakEvenPrice": cmp.Or(p.OpenPriceAvg, "0"), "totalFee": "0", "deductedFee": "0",
			"assetMode": "single", "autoMargin": "off", "takeProfit": "", "stopLoss": "",
			"takeProfitId": "", "stopLossId": "",
			"cTime": strconv.FormatInt(c.now.UnixMilli(), 10), "uTime": strconv.FormatInt(c.now.UnixMilli(), 10),
		})
	}
	c.ok(rows)
}

// settings are sym's margin settings; a.Settings may be nil.
func settings(a *Account, sym string) Settings {
	st, ok := a.Settings[sym]
	if !ok {
		st = Settings{MarginMode: "crossed", Leverage: 20}
	}
	if st.MarginMode == "" {
		st.MarginMode = "crossed"
	}
	if st.Leverage <= 0 {
		st.Leverage = 20
	}
	return st
}

// dec reads an amount a test put in state (garbage reads as zero).
var dec = fakex.Amount
