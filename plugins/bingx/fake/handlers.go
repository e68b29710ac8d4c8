package fake

import (
	"cmp"
	"encoding/json"
	"maps"
	"slices"

	"github.com/globalautomation/gahost/sdk/fakex"
	"github.com/shopspring/decimal"
)

// Answers of the public and read endpoints, shaped as BingX documents them.

func (s *Server) serverTime(c *call) {
	c.ok(map[string]int64{"serverTime": c.now.UnixMilli()})
}

// contracts lists the perpetuals, one when ?symbol= names it, none
// when it names a symbol that is not listed.
func (s *Server) contracts(c *call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	listed := sortedKeys(s.swap) // a contract's id follows its place in the whole list
	c.ok(fakex.Rows(s.swap, c.params.Get("symbol"), func(sym string, k Contract) map[string]any {
		return map[string]any{
			"contractId": itoa(int64(100 + slices.Index(listed, sym))), "symbol": sym, "size": "0",
			"quantityPrecision": k.QuantityPrecision, "pricePrecision": k.PricePrecision,
			"feeRate": 0.0005, "makerFeeRate": 0.0002, "takerFeeRate": 0.0005, "tradeMinLimit": 0,
			"tradeMinQuantity": json.Number(decimal.New(1, -int32(k.QuantityPrecision)).String()),
			"tradeMinUSDT":     json.Number(cmp.Or(k.TradeMinUSDT, "2")),
			"maxLongLeverage":  125, "maxShortLeverage": 125, "currency": k.Quote, "asset": k.Base,
			"status": 1, "apiStateOpen": "true", "apiStateClose": "true", "brokerState": "true",
			"launchTime": int64(1586275200000), "maintainTime": 0, "offTime": 0,
		}
	}))
}

// spotSymbols lists the spot symbols with numbers as JSON numbers.
func (s *Server) spotSymbols(c *call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rows := fakex.Rows(s.spot, c.params.Get("symbol"), func(sym string, m SpotMarket) map[string]any {
		return map[string]any{
			"symbol": sym, "minQty": json.Number(cmp.Or(m.StepSize, "0")), "maxQty": 100000,
			"minNotional": 5, "maxNotional": 500000, "status": 1,
			"tickSize": json.Number(cmp.Or(m.TickSize, "0")), "stepSize": json.Number(cmp.Or(m.StepSize, "0")),
			"apiStateBuy": true, "apiStateSell": true, "timeOnline": 0, "offTime": 0, "maintainTime": 0,
		}
	})
	c.ok(map[string]any{"symbols": rows})
}

func (s *Server) apiPermissions(c *call) {
	perms := append([]int{}, c.key.Permissions...)
	ips := append([]string{}, c.key.IPAddresses...)
	// The doc example's apiKey is empty; the fake never echoes a key.
	c.ok(map[string]any{"apiKey": "", "permissions": perms, "ipAddresses": ips, "note": c.key.Note})
}

func (s *Server) positionMode(c *call) {
	s.mu.Lock()
	hedge := s.Store.AccountLocked(c.key.APIKey).HedgeMode
	s.mu.Unlock()
	// A string, not a bool.
	mode := "false"
	if hedge {
		mode = "true"
	}
	c.ok(map[string]string{"dualSidePosition": mode})
}

func (s *Server) spotBalance(c *call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rows := []map[string]string{}
	for _, b := range s.Store.AccountLocked(c.key.APIKey).Spot {
		rows = append(rows, map[string]string{"asset": b.Asset, "free": b.Free, "locked": b.Locked})
	}
	c.ok(map[string]any{"balances": rows})
}

func swapAssetFields(a SwapAsset) map[string]any {
	return map[string]any{
		"userId": "116***295", "asset": a.Asset, "balance": a.Balance, "equity": a.Equity,
		"unrealizedProfit": a.UnrealizedProfit, "realisedProfit": cmp.Or(a.RealisedProfit, "0.0000"),
		"availableMargin": a.AvailableMargin, "usedMargin": cmp.Or(a.UsedMargin, "0.0000"),
		"freezedMargin": cmp.Or(a.FreezedMargin, "0.0000"), "shortUid": "12345678",
	}
}

// swapBalanceV3 answers one row per margin asset.
func (s *Server) swapBalanceV3(c *call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rows := []map[string]any{}
	for _, a := range s.Store.AccountLocked(c.key.APIKey).Swap {
		rows = append(rows, swapAssetFields(a))
	}
	c.ok(rows)
}

// swapBalanceV2 answers the older single object of the first asset.
func (s *Server) swapBalanceV2(c *call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var row map[string]any
	if as := s.Store.AccountLocked(c.key.APIKey).Swap; len(as) > 0 {
		row = swapAssetFields(as[0])
	}
	c.ok(map[string]any{"balance": row})
}

// positions answers every row the test set, zero ones too, with
// liquidationPrice as a number and leverage as an int.
func (s *Server) positions(c *call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	only := c.params.Get("symbol")
	if only != "" {
		if _, ok := s.swap[only]; !ok {
			c.fail(codeNoSymbol, "symbol not exist")
			return
		}
	}
	rows := []map[string]any{}
	for _, p := range s.Store.AccountLocked(c.key.APIKey).Positions {
		if only != "" && p.Symbol != only {
			continue
		}
		quote := s.swap[p.Symbol].Quote
		lev := p.Leverage
		if lev == 0 {
			lev = 20
		}
		amt := dec(p.PositionAmt).Abs()
		rows = append(rows, map[string]any{
			"positionId": cmp.Or(p.PositionID, "1735000000000000001"), "symbol": p.Symbol, "currency": cmp.Or(quote, "USDT"),
			"positionAmt": p.PositionAmt, "availableAmt": p.PositionAmt, "positionSide": p.PositionSide,
			"isolated": p.Isolated, "avgPrice": p.AvgPrice, "initialMargin": "0", "margin": "0",
			"leverage": lev, "unrealizedProfit": p.UnrealizedProfit, "realisedProfit": "0",
			"liquidationPrice": json.Number(cmp.Or(p.LiquidationPrice, "0")), "markPrice": p.MarkPrice,
			"positionValue": amt.Mul(dec(p.MarkPrice)).String(), "riskRate": "0", "maxMarginReduction": "0",
			"pnlRatio": "0", "updateTime": c.now.UnixMilli(),
		})
	}
	c.ok(rows)
}

// dec reads an amount a test put in state (garbage reads as zero).
var dec = fakex.Amount

// sortedKeys lists the symbols in order, so that answers come out the same
// every time.
func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }
