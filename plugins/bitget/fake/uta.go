package fake

import (
	"cmp"
	"encoding/json"
	"slices"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"
)

// Unified Trading Accounts (UTA) are served by Bitget's V3 API, under
// /api/v3/, with the same headers and signature as V2. A key whose account
// is in UTA mode (Key.UTA) gets 40085 on every V2 private endpoint, and a
// Classic key gets 40084 on every V3 one. A UTA account keeps one unified
// wallet (Account.Assets) that holds spot coins and the margin of USDT
// futures together; its positions, hold mode, per-symbol settings and
// orders are the same Account fields a Classic account uses.
//
// Only GET /api/v3/account/assets was read in Bitget's own pages; the other
// V3 shapes here follow the typed clients of Bitget's SDKs and are not
// confirmed against official pages. Where a detail is a guess it says so.

// Paths of the V3 (UTA) endpoints the fake serves.
const (
	PathUTAInfo      = "/api/v3/account/info"
	PathUTASettings  = "/api/v3/account/settings"
	PathUTAAssets    = "/api/v3/account/assets"
	PathUTAPositions = "/api/v3/position/current-position"
	PathUTAPlace     = "/api/v3/trade/place-order"
	PathUTACancel    = "/api/v3/trade/cancel-order"
)

// V3 permission codes a UTA key's account/info lists: "uta_mgt" reads the
// unified account, "uta_trade" trades in it, "withdraw" withdraws.
const (
	PermUTAManage   = "uta_mgt"
	PermUTATrade    = "uta_trade"
	PermUTAWithdraw = "withdraw"
)

// Permission areas of the V3 routes.
const (
	permUTARead perm = iota + 100
	permUTATrade
)

// Error codes of the account-mode mismatch.
const (
	codeClassicOnUTA = "40085"
	codeUTAOnClassic = "40084"
)

// isV3 tells a V3 (UTA) path from a V2 (Classic) one.
func isV3(path string) bool { return strings.HasPrefix(path, "/api/v3/") }

// modeMismatch answers the error of a key whose account mode the path
// does not serve, and reports whether it did. The 40084 wording comes from
// third-party code ("Classic Account mode"), not from Bitget's pages.
func modeMismatch(c *call, key Key) bool {
	switch v3 := isV3(c.r.URL.Path); {
	case key.UTA && !v3:
		c.bad(codeClassicOnUTA, "You are in Unified Account mode, and the Classic Account API is not supported at this time")
		return true
	case !key.UTA && v3:
		c.bad(codeUTAOnClassic, "You are in Classic Account mode, and the Unified Account API is not supported at this time")
		return true
	}
	return false
}

func init() {
	// The V3 routes join the V2 table; their limits are per UID a second.
	// Bitget's page gives 20/s for assets; the others are the SDKs'
	// figures (unconfirmed).
	for k, rt := range map[string]route{
		"GET " + PathUTAInfo:      {5, true, permNone, (*Server).utaInfo},
		"GET " + PathUTASettings:  {20, true, permUTARead, (*Server).utaSettings},
		"GET " + PathUTAAssets:    {20, true, permUTARead, (*Server).utaAssets},
		"GET " + PathUTAPositions: {20, true, permUTARead, (*Server).utaPositions},
		"POST " + PathUTAPlace:    {10, true, permUTATrade, (*Server).utaPlace},
		"POST " + PathUTACancel:   {10, true, permUTATrade, (*Server).utaCancel},
	} {
		routes[k] = rt
	}
	// Reading the unified account needs either code; trading needs
	// uta_trade (a read-only key lists only uta_mgt).
	permCodes[permUTARead] = []string{PermUTAManage, PermUTATrade}
	permCodes[permUTATrade] = []string{PermUTATrade}
	permNames[permUTARead] = "UTA mgt. (read)"
	permNames[permUTATrade] = "UTA trade"
}

// UTAKey returns a live key of a UTA account that may read and trade,
// bound to loopback: the usual good UTA key of a test.
func UTAKey(apiKey, secret, passphrase string) Key {
	return Key{
		APIKey: apiKey, Secret: secret, Passphrase: passphrase,
		Authorities: []string{PermUTAManage, PermUTATrade},
		IPs:         "127.0.0.1",
		UTA:         true,
	}
}

// Asset is one coin of a UTA account's unified wallet (GET
// /api/v3/account/assets). Balance is what the wallet holds, Available
// what is free, Locked what open orders hold, Debt what is borrowed.
// Equity, when empty, is answered as Balance − Debt, plus for USDT the
// unrealised PnL of the USDT futures positions.
type Asset struct {
	Coin      string
	Balance   string
	Available string
	Locked    string
	Debt      string
	Equity    string
}

// --- V3 reads ---

// utaInfo is GET /api/v3/account/info: the key's metadata, whatever its
// permissions (the shape is the SDKs'; unconfirmed). permType is
// read-and-write when the key may trade.
func (s *Server) utaInfo(c *call) {
	k := c.key
	permType := "read-only"
	if hasAny(k.Authorities, []string{PermUTATrade}) {
		permType = "read-and-write"
	}
	c.ok(map[string]any{
		"userId": k.UserID, "inviterId": "", "parentId": "", "channelCode": "", "channel": "",
		"ips": k.IPs, "permType": permType, "permissions": append([]string{}, k.Authorities...),
		"regisTime": "1746687063471",
	})
}

// holdMode spells the position mode as V2's posMode does; the V3 values
// are not confirmed.
func holdMode(a *Account) string {
	if a.HedgeMode {
		return "hedge_mode"
	}
	return "one_way_mode"
}

// utaSettings is GET /api/v3/account/settings: the hold mode and the
// symbols whose margin mode or leverage was set.
func (s *Server) utaSettings(c *call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.Store.AccountLocked(c.key.APIKey)
	syms := make([]string, 0, len(a.Settings))
	for sym := range a.Settings {
		syms = append(syms, sym)
	}
	slices.Sort(syms)
	list := []map[string]string{}
	for _, sym := range syms {
		st := settings(a, sym)
		list = append(list, map[string]string{
			"category": "USDT-FUTURES", "symbol": sym, "marginMode": st.MarginMode,
			"leverage": strconv.FormatInt(st.Leverage, 10),
		})
	}
	c.ok(map[string]any{
		"uid": c.key.UserID, "accountMode": "unified", "assetMode": "single", "accountLevel": "basic",
		"holdMode": holdMode(a), "stpMode": "none",
		"symbolConfigList": list, "coinConfigList": []any{},
	})
}

// utaUnrealised is the unrealised PnL of the USDT futures positions; the
// caller holds s.mu.
func utaUnrealised(a *Account) decimal.Decimal {
	sum := decimal.Zero
	for _, p := range a.Positions {
		if strings.EqualFold(cmp.Or(p.MarginCoin, "USDT"), "USDT") {
			sum = sum.Add(dec(p.UnrealizedPL))
		}
	}
	return sum
}

// usdPrice is what one coin is worth in USDT at the fake's spot prices.
func (s *Server) usdPrice(coin string) decimal.Decimal {
	if coin == "USDT" {
		return decimal.NewFromInt(1)
	}
	if m, ok := s.spot[coin+"USDT"]; ok {
		return dec(m.Price)
	}
	return decimal.Zero
}

// utaAssets is GET /api/v3/account/assets (the one V3 page read):
// account-level values in USD (usdt* in USDT, taken as equal here) and the
// non-zero coins only.
func (s *Server) utaAssets(c *call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.Store.AccountLocked(c.key.APIKey)
	upl := utaUnrealised(a)
	total := decimal.Zero
	rows := []map[string]string{}
	for _, as := range a.Assets {
		eq := dec(as.Balance).Sub(dec(as.Debt))
		if as.Coin == "USDT" {
			eq = eq.Add(upl)
		}
		if as.Equity != "" {
			eq = dec(as.Equity)
		}
		if eq.IsZero() && dec(as.Balance).IsZero() && dec(as.Available).IsZero() && dec(as.Locked).IsZero() && dec(as.Debt).IsZero() {
			continue
		}
		usd := eq.Mul(s.usdPrice(as.Coin))
		total = total.Add(usd)
		rows = append(rows, map[string]string{
			"coin": as.Coin, "equity": cmp.Or(as.Equity, eq.String()), "usdValue": usd.String(),
			"balance": cmp.Or(as.Balance, "0"), "available": cmp.Or(as.Available, "0"), "debt": cmp.Or(as.Debt, "0"), "locked": cmp.Or(as.Locked, "0"),
		})
	}
	btc := decimal.Zero
	if p := s.usdPrice("BTC"); p.IsPositive() {
		btc = total.DivRound(p, 8)
	}
	c.ok(map[string]any{
		"accountEquity": total.String(), "usdtEquity": total.String(), "btcEquity": btc.String(),
		"unrealisedPnl": upl.String(), "usdtUnrealisedPnl": upl.String(), "btcUnrealizedPnl": "0",
		"effEquity": total.String(), "mmr": "0", "imr": "0", "mgnRatio": "0", "positionMgnRatio": "0",
		"assets": rows,
	})
}

// futuresCategories are the V3 categories of futures; the fake's futures
// are USDT-FUTURES.
var futuresCategories = map[string]bool{"USDT-FUTURES": true, "COIN-FUTURES": true, "USDC-FUTURES": true}

// utaPositions is GET /api/v3/position/current-position: category is
// required and must be a futures one; symbol and posSide filter. The data
// is an object with the rows in "list".
func (s *Server) utaPositions(c *call) {
	cat := c.query.Get("category")
	switch {
	case cat == "":
		c.missing("category")
		return
	case !futuresCategories[cat]:
		c.invalid("category")
		return
	}
	ps := c.query.Get("posSide")
	if ps != "" && ps != "long" && ps != "short" {
		c.invalid("posSide")
		return
	}
	sym := c.query.Get("symbol")
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.Store.AccountLocked(c.key.APIKey)
	rows := []map[string]any{}
	for _, p := range a.Positions {
		if cat != "USDT-FUTURES" || sym != "" && p.Symbol != sym || ps != "" && p.HoldSide != ps {
			continue
		}
		var lev any = cmp.Or(p.Leverage, "0")
		if p.LeverageAsNumber {
			lev = json.Number(cmp.Or(p.Leverage, "0"))
		}
		now := strconv.FormatInt(c.now.UnixMilli(), 10)
		rows = append(rows, map[string]any{
			"category": cat, "symbol": p.Symbol, "marginCoin": cmp.Or(p.MarginCoin, "USDT"),
			"holdMode": holdMode(a), "posSide": p.HoldSide, "marginMode": cmp.Or(p.MarginMode, "crossed"),
			"positionBalance": "0", "available": cmp.Or(p.Total, "0"), "frozen": "0", "total": cmp.Or(p.Total, "0"),
			"leverage": lev, "curRealisedPnl": "0", "avgPrice": cmp.Or(p.OpenPriceAvg, "0"), "positionStatus": "normal",
			"unrealisedPnl": cmp.Or(p.UnrealizedPL, "0"), "liquidationPrice": cmp.Or(p.LiquidationPrice, "0"), "mmr": "0",
			"profitRate": "0", "markPrice": cmp.Or(p.MarkPrice, "0"), "breakEvenPrice": cmp.Or(p.OpenPriceAvg, "0"),
			"totalFunding": "0", "openFeeTotal": "0", "closeFeeTotal": "0", "createdTime": now, "updatedTime": now,
		})
	}
	c.ok(map[string]any{"list": rows})
}
