package fake

import (
	"cmp"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/globalautomation/gahost/sdk/fakex"
	"github.com/shopspring/decimal"
)

// Answers of the read endpoints, shaped as Bybit documents them.

func (s *Server) serverTime(c *call) {
	c.ok(map[string]string{
		"timeSecond": strconv.FormatInt(c.now.Unix(), 10),
		"timeNano":   strconv.FormatInt(c.now.UnixNano(), 10),
	})
}

// queryAPI is GET /v5/user/query-api; note the empty retMsg.
func (s *Server) queryAPI(c *call) {
	k := c.key
	perms := map[string][]string{}
	for _, group := range []string{"ContractTrade", "Spot", "Wallet", "Options", "Derivatives", "Exchange", "Earn"} {
		perms[group] = append([]string{}, k.Permissions[group]...)
	}
	readOnly := 0
	if k.ReadOnly {
		readOnly = 1
	}
	ips := k.IPs
	if len(ips) == 0 {
		ips = []string{"*"}
	}
	c.okMsg("", map[string]any{
		"id": "2208369", "note": "gahost", "apiKey": k.APIKey, "readOnly": readOnly, "secret": "",
		"permissions": perms, "ips": ips, "type": 1, "deadlineDay": k.DeadlineDay,
		"expiredAt": "1970-01-01T00:00:00Z", "createdAt": "2025-10-13T03:20:45Z",
		"unified": 0, "uta": k.UTA, "userID": 1448939, "inviterID": 0, "vipLevel": "No VIP",
		"isMaster": true, "parentUid": "0", "kycLevel": "LEVEL_1",
	})
}

// accountInfo is GET /v5/account/info.
func (s *Server) accountInfo(c *call) {
	s.mu.Lock()
	a := s.Store.AccountLocked(c.key.APIKey)
	mode, status := cmp.Or(a.MarginMode, "REGULAR_MARGIN"), a.UnifiedMarginStatus
	s.mu.Unlock()
	if status == 0 {
		status = 6
	}
	c.ok(map[string]any{
		"marginMode": mode, "updatedTime": "1697078946000", "unifiedMarginStatus": status,
		"dcpStatus": "OFF", "timeWindow": 10, "smpGroup": 0, "isMasterTrader": false, "spotHedgingStatus": "OFF",
	})
}

// walletBalance is GET /v5/account/wallet-balance: UNIFIED only;
// without coin= only coins with a non-zero balance.
func (s *Server) walletBalance(c *call) {
	if c.query.Get("accountType") != "UNIFIED" {
		c.params("accountType only support UNIFIED")
		return
	}
	only := fakex.List(c.query.Get("coin"))
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.Store.AccountLocked(c.key.APIKey)
	var rows []Coin
	if only == nil {
		for _, co := range a.Coins {
			if !isZero(co.WalletBalance) || !isZero(co.SpotBorrow) {
				rows = append(rows, co)
			}
		}
	} else {
		for _, name := range only {
			i := slices.IndexFunc(a.Coins, func(co Coin) bool { return co.Coin == name })
			if i >= 0 {
				rows = append(rows, a.Coins[i])
			} else {
				rows = append(rows, Coin{Coin: name})
			}
		}
	}
	coins := []map[string]any{}
	var equity, wallet, upl decimal.Decimal
	for _, co := range rows {
		eq := equityOf(co)
		usd := eq.Mul(s.usdPrice(co.Coin))
		equity, wallet = equity.Add(usd), wallet.Add(dec(co.WalletBalance).Mul(s.usdPrice(co.Coin)))
		upl = upl.Add(dec(co.UnrealisedPnl).Mul(s.usdPrice(co.Coin)))
		coins = append(coins, map[string]any{
			"coin": co.Coin, "equity": eq.String(), "usdValue": usd.String(),
			"walletBalance": cmp.Or(co.WalletBalance, "0"), "locked": cmp.Or(co.Locked, "0"),
			"spotBorrow": cmp.Or(co.SpotBorrow, "0"), "borrowAmount": cmp.Or(co.SpotBorrow, "0"),
			"unrealisedPnl": cmp.Or(co.UnrealisedPnl, "0"), "cumRealisedPnl": "0",
			"totalOrderIM": cmp.Or(co.TotalOrderIM, "0"), "totalPositionIM": cmp.Or(co.TotalPositionIM, "0"),
			"totalPositionMM": "0", "bonus": "0", "accruedInterest": "0",
			"availableToWithdraw": "", "availableToBorrow": "",
			"marginCollateral": true, "collateralSwitch": true, "spotHedgingQty": "0",
		})
	}
	avail := a.TotalAvailableBalance
	if avail == "" {
		avail = "0"
		if i := slices.IndexFunc(a.Coins, func(co Coin) bool { return co.Coin == "USDT" }); i >= 0 {
			avail = cmp.Or(a.Coins[i].WalletBalance, "0")
		}
	}
	if a.MarginMode == "ISOLATED_MARGIN" {
		avail = "" // account-wide fields do not apply
	}
	c.ok(map[string]any{"list": []map[string]any{{
		"accountType": "UNIFIED", "totalEquity": equity.String(), "totalWalletBalance": wallet.String(),
		"totalMarginBalance": wallet.Add(upl).String(), "totalAvailableBalance": avail,
		"totalPerpUPL": upl.String(), "totalInitialMargin": "0", "totalMaintenanceMargin": "0",
		"accountIMRate": "0", "accountMMRate": "0", "accountLTV": "0", "coin": coins,
	}}})
}

// equityOf is walletBalance − spotBorrow + unrealisedPnl unless set.
func equityOf(co Coin) decimal.Decimal {
	if co.Equity != "" {
		return dec(co.Equity)
	}
	return dec(co.WalletBalance).Sub(dec(co.SpotBorrow)).Add(dec(co.UnrealisedPnl))
}

// usdPrice values a coin through its USDT spot market (USDT counts as one
// dollar). s.mu must be held.
func (s *Server) usdPrice(coin string) decimal.Decimal {
	if coin == "USDT" || coin == "USDC" {
		return decimal.NewFromInt(1)
	}
	if m, ok := s.spot[coin+"USDT"]; ok {
		return dec(m.Price)
	}
	return decimal.Zero
}

// positionList is GET /v5/position/list. With symbol= the symbol's
// rows come back even when flat (two in hedge mode); with settleCoin=
// only rows of positive size. Pages follow an opaque, percent-encoded
// cursor.
func (s *Server) positionList(c *call) {
	q := c.query
	if q.Get("category") != "linear" {
		c.params("category only support linear")
		return
	}
	symbol, settle := q.Get("symbol"), q.Get("settleCoin")
	if symbol == "" && settle == "" {
		c.params("symbol or settleCoin is required")
		return
	}
	limit := 20
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 200 {
			c.params("limit invalid")
			return
		}
		limit = n
	}
	offset := 0
	if v := q.Get("cursor"); v != "" {
		// The fake's cursor is "offset=N", sent as "offset%3DN". A
		// connector that encodes it twice sends "offset%253DN", which
		// decodes to something else and is refused.
		n, ok := strings.CutPrefix(v, "offset=")
		o, err := strconv.Atoi(n)
		if !ok || err != nil || o < 0 {
			c.params("cursor invalid")
			return
		}
		offset = o
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if symbol != "" {
		if _, listed := s.linear[symbol]; !listed {
			c.params("symbol invalid " + symbol)
			return
		}
	}
	a := s.Store.AccountLocked(c.key.APIKey)
	var rows []Position
	if symbol != "" {
		rows = s.symbolRows(a, symbol)
	} else {
		for _, p := range a.Positions {
			pair, _, _ := strings.Cut(p.Symbol, "-") // dated futures: BTCUSDT-26DEC25
			if strings.HasSuffix(pair, settle) && !dec(p.Size).IsZero() {
				rows = append(rows, p)
			}
		}
	}
	next := ""
	if offset > len(rows) {
		offset = len(rows)
	}
	page := rows[offset:]
	if len(page) > limit {
		page = page[:limit]
		next = url.QueryEscape("offset=" + strconv.Itoa(offset+limit))
	}
	list := []map[string]any{}
	for _, p := range page {
		list = append(list, s.positionJSON(p, c.now.UnixMilli()))
	}
	c.ok(map[string]any{"nextPageCursor": next, "category": "linear", "list": list})
}

// symbolRows are the rows of one symbol, flat ones included. s.mu must be
// held.
func (s *Server) symbolRows(a *Account, symbol string) []Position {
	idxs := []int{0}
	if a.HedgeMode {
		idxs = []int{1, 2}
	}
	var rows []Position
	for _, idx := range idxs {
		i := slices.IndexFunc(a.Positions, func(p Position) bool { return p.Symbol == symbol && p.PositionIdx == idx })
		if i >= 0 {
			rows = append(rows, a.Positions[i])
			continue
		}
		rows = append(rows, Position{Symbol: symbol, PositionIdx: idx, Size: "0", AvgPrice: "0", MarkPrice: s.linear[symbol].Price, UnrealisedPnl: "0", Leverage: "10"})
	}
	return rows
}

func (s *Server) positionJSON(p Position, now int64) map[string]any {
	size := dec(p.Size)
	return map[string]any{
		"symbol": p.Symbol, "positionIdx": p.PositionIdx, "side": p.Side, "size": cmp.Or(p.Size, "0"),
		"avgPrice": cmp.Or(p.AvgPrice, "0"), "positionValue": size.Mul(dec(p.AvgPrice)).String(),
		"leverage": p.Leverage, "markPrice": cmp.Or(p.MarkPrice, "0"), "liqPrice": p.LiqPrice,
		"unrealisedPnl": cmp.Or(p.UnrealisedPnl, "0"), "cumRealisedPnl": "0", "curRealisedPnl": "0",
		"positionIM": "0", "positionMM": "0", "positionIMByMp": "0", "positionMMByMp": "0",
		"breakEvenPrice": cmp.Or(p.AvgPrice, "0"), "takeProfit": "", "stopLoss": "", "trailingStop": "0",
		"riskId": 1, "riskLimitValue": "2000000", "tpslMode": "Full", "tradeMode": 0,
		"autoAddMargin": 0, "positionStatus": "Normal", "adlRankIndicator": 2, "bustPrice": "",
		"isReduceOnly": false, "seq": int64(130480205), "sessionAvgPrice": "",
		"mmrSysUpdatedTime": "", "leverageSysUpdatedTime": "",
		"createdTime": "1672121182216", "updatedTime": strconv.FormatInt(now, 10),
	}
}

// dec reads a decimal the test put in state; garbage and "" count as zero
// here because tests feed malformed values on purpose to check the
// connector.
// dec reads an amount a test put in state (garbage reads as zero).
var dec = fakex.Amount

// isZero is true for "" and a zero amount; garbage is not zero, so that a
// malformed value reaches the connector.
func isZero(s string) bool {
	d, err := decimal.NewFromString(s)
	return s == "" || err == nil && d.IsZero()
}
