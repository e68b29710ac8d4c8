package fake

import (
	"cmp"

	"github.com/globalautomation/gahost/sdk/fakex"
	"github.com/shopspring/decimal"
)

// Answers of the read endpoints, shaped as Binance documents them.

func (s *Server) serverTime(c *call) {
	c.json(200, map[string]int64{"serverTime": c.now.UnixMilli()})
}

func (s *Server) apiRestrictions(c *call) {
	k := c.key
	c.json(200, map[string]any{
		"ipRestrict":                   k.IPRestrict,
		"createTime":                   int64(1623840271000),
		"enableReading":                k.EnableReading,
		"enableWithdrawals":            k.EnableWithdrawals,
		"enableInternalTransfer":       false,
		"enableMargin":                 false,
		"enableFutures":                k.EnableFutures,
		"permitsUniversalTransfer":     false,
		"enableVanillaOptions":         false,
		"enableFixApiTrade":            false,
		"enableFixReadOnly":            false,
		"enableSpotAndMarginTrading":   k.EnableSpotAndMarginTrading,
		"enablePortfolioMarginTrading": false,
	})
}

func (s *Server) spotAccount(c *call) {
	s.mu.Lock()
	a := s.Store.AccountLocked(c.key.APIKey)
	omitZero := c.params.Get("omitZeroBalances") == "true"
	balances := []map[string]string{}
	for _, b := range a.Spot {
		if omitZero && dec(b.Free).Add(dec(b.Locked)).IsZero() {
			continue
		}
		balances = append(balances, map[string]string{"asset": b.Asset, "free": b.Free, "locked": b.Locked})
	}
	s.mu.Unlock()
	c.json(200, map[string]any{
		"makerCommission": 15, "takerCommission": 15, "buyerCommission": 0, "sellerCommission": 0,
		"commissionRates": map[string]string{"maker": "0.00150000", "taker": "0.00150000", "buyer": "0.00000000", "seller": "0.00000000"},
		"canTrade":        c.key.EnableSpotAndMarginTrading, "canWithdraw": c.key.EnableWithdrawals, "canDeposit": true,
		"brokered": false, "requireSelfTradePrevention": false, "preventSor": false,
		"updateTime": c.now.UnixMilli(), "accountType": "SPOT",
		"balances":    balances,
		"permissions": []string{"SPOT"}, "uid": 354937868,
	})
}

func (s *Server) accountConfig(c *call) {
	s.mu.Lock()
	hedge := s.Store.AccountLocked(c.key.APIKey).HedgeMode
	s.mu.Unlock()
	c.json(200, map[string]any{
		"feeTier": 0, "canTrade": true, "canDeposit": true, "canWithdraw": true,
		"dualSidePosition": hedge, "updateTime": 0, "multiAssetsMargin": false, "tradeGroupId": -1,
	})
}

func (s *Server) positionMode(c *call) {
	s.mu.Lock()
	hedge := s.Store.AccountLocked(c.key.APIKey).HedgeMode
	s.mu.Unlock()
	c.json(200, map[string]bool{"dualSidePosition": hedge})
}

func (s *Server) futuresAccount(c *call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.Store.AccountLocked(c.key.APIKey)
	assets := []map[string]any{}
	var wallet, unreal, margin, avail decimal.Decimal
	for _, f := range a.Futures {
		assets = append(assets, map[string]any{
			"asset": f.Asset, "walletBalance": f.WalletBalance, "unrealizedProfit": f.UnrealizedProfit,
			"marginBalance": f.MarginBalance, "maintMargin": "0.00000000", "initialMargin": "0.00000000",
			"positionInitialMargin": "0.00000000", "openOrderInitialMargin": "0.00000000",
			"crossWalletBalance": f.WalletBalance, "crossUnPnl": f.UnrealizedProfit,
			"availableBalance": f.AvailableBalance, "maxWithdrawAmount": f.AvailableBalance,
			"updateTime": c.now.UnixMilli(),
		})
		if f.Asset == "USDT" {
			// Single-asset mode: the totals are the USDT asset.
			wallet, unreal, margin, avail = dec(f.WalletBalance), dec(f.UnrealizedProfit), dec(f.MarginBalance), dec(f.AvailableBalance)
		}
	}
	positions := []map[string]any{}
	for _, p := range a.Positions {
		positions = append(positions, map[string]any{
			"symbol": p.Symbol, "positionSide": p.PositionSide, "positionAmt": p.PositionAmt,
			"unrealizedProfit": p.UnRealizedProfit, "isolatedMargin": cmp.Or(p.IsolatedWallet, "0"), "notional": "0",
			"isolatedWallet": cmp.Or(p.IsolatedWallet, "0"), "initialMargin": "0", "maintMargin": "0", "updateTime": 0,
		})
	}
	f8 := func(d decimal.Decimal) string { return d.StringFixed(8) }
	c.json(200, map[string]any{
		"totalInitialMargin": "0.00000000", "totalMaintMargin": "0.00000000",
		"totalWalletBalance": f8(wallet), "totalUnrealizedProfit": f8(unreal),
		"totalMarginBalance": f8(margin), "totalPositionInitialMargin": "0.00000000",
		"totalOpenOrderInitialMargin": "0.00000000", "totalCrossWalletBalance": f8(wallet),
		"totalCrossUnPnl": f8(unreal), "availableBalance": f8(avail), "maxWithdrawAmount": f8(avail),
		"assets": assets, "positions": positions,
	})
}

// futuresSymbol is the symbol a futures read asks for: "" for all, or a
// listed perpetual; an unlisted one is answered -1121. s.mu is held.
func (s *Server) futuresSymbol(c *call) (only string, ok bool) {
	only = c.params.Get("symbol")
	if only != "" && s.futures[only] == (Market{}) {
		c.fail(400, -1121, "Invalid symbol.")
		return "", false
	}
	return only, true
}

func (s *Server) positionRisk(c *call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	only, ok := s.futuresSymbol(c)
	if !ok {
		return
	}
	rows := []map[string]any{}
	for _, p := range s.Store.AccountLocked(c.key.APIKey).Positions {
		if only != "" && p.Symbol != only {
			continue
		}
		margin := p.MarginAsset
		if margin == "" {
			margin = "USDT"
		}
		rows = append(rows, map[string]any{
			"symbol": p.Symbol, "positionSide": p.PositionSide, "positionAmt": p.PositionAmt,
			"entryPrice": p.EntryPrice, "breakEvenPrice": p.EntryPrice, "markPrice": p.MarkPrice,
			"unRealizedProfit": p.UnRealizedProfit, "liquidationPrice": cmp.Or(p.LiquidationPrice, "0"),
			"isolatedMargin": cmp.Or(p.IsolatedWallet, "0"), "notional": dec(p.PositionAmt).Mul(dec(p.MarkPrice)).String(),
			"marginAsset": margin, "isolatedWallet": cmp.Or(p.IsolatedWallet, "0"), "initialMargin": "0",
			"maintMargin": "0", "positionInitialMargin": "0", "openOrderInitialMargin": "0", "adl": 2,
			"bidNotional": "0", "askNotional": "0", "updateTime": c.now.UnixMilli(),
		})
	}
	c.json(200, rows)
}

func (s *Server) symbolConfig(c *call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	only, ok := s.futuresSymbol(c)
	if !ok {
		return
	}
	a := s.Store.AccountLocked(c.key.APIKey)
	c.json(200, fakex.Rows(s.futures, only, func(sym string, _ Market) map[string]any {
		cfg, ok := a.SymbolConfig[sym]
		if !ok {
			cfg = SymbolConfig{Leverage: 20, MarginType: "CROSSED"}
		}
		return map[string]any{
			"symbol": sym, "marginType": cfg.MarginType, "isAutoAddMargin": "false",
			"leverage": cfg.Leverage, "maxNotionalValue": "1000000",
		}
	}))
}

// dec reads an amount a test put in state (garbage reads as zero).
var dec = fakex.Amount
