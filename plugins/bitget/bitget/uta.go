package bitget

import (
	"context"
	"strings"

	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/holdings"
	"github.com/globalautomation/gahost/sdk/num"
	"github.com/globalautomation/gahost/sdk/orderreq"
	"github.com/globalautomation/gahost/sdk/rest"
	"github.com/globalautomation/gahost/sdk/symbol"
)

// Unified Trading Accounts (UTA) through the V3 API: same host,
// headers and signature as V2, paths under /api/v3/. A UTA account has one
// unified wallet holding the spot coins and the margin of the futures
// together, reported as Bybit's and OKX's unified accounts are: every coin
// of the wallet is a spot row, and the wallet's USDT is the USDT-margined
// futures account.
//
// Only the assets endpoint was read in Bitget's own pages. The shapes of
// account info, settings, positions, placing and cancelling come from
// Bitget's SDKs' typed clients and are unconfirmed against official pages;
// where the connector relies on a detail of them, the comment says so.
//
// Per capability V3 sends as many requests as V2 does (the counts in
// info.go hold for both modes): one read each for balances, the futures
// account and positions; settings then place-order for a futures order;
// account info then settings for the credentials check. The one request
// that learns a key's mode (mode.go) comes once per key and process.

// Paths of the V3 endpoints the connector calls.
const (
	pathUTAInfo      = "/api/v3/account/info"
	pathUTASettings  = "/api/v3/account/settings"
	pathUTAAssets    = "/api/v3/account/assets"
	pathUTAPositions = "/api/v3/position/current-position"
	pathUTAPlace     = "/api/v3/trade/place-order"
	pathUTACancel    = "/api/v3/trade/cancel-order"
)

// categorySpot is V3's spot category; the futures category is V2's
// product type, USDT-FUTURES.
const categorySpot = "SPOT"

// V3 permission codes in account info (unconfirmed: the SDKs list
// uta_mgt, uta_trade, withdraw and copy-trading codes).
var (
	utaReadCodes  = []string{"uta_mgt", "uta_trade"}
	utaTradeCodes = []string{"uta_trade"}
)

// --- credentials ---

// utaInfo is GET /api/v3/account/info: the key's metadata. ips is read as
// a string or a list (the SDKs show both for V3 keys).
type utaInfo struct {
	UserID      numText  `json:"userId"`
	IPs         ipList   `json:"ips"`
	PermType    string   `json:"permType"` // read-only or read-and-write
	Permissions []string `json:"permissions"`
}

// utaValidate reads the key's permissions from V3's account info and
// proves that it may read the unified account by reading its settings,
// which also tell the position mode. A key that may not read the account
// is refused with Bitget's own answer (a permission error).
func (c *Connector) utaValidate(ctx context.Context, acct sdk.Account) (sdk.Permissions, error) {
	var info utaInfo
	if _, err := c.call(ctx, acct, rest.Request{Method: "GET", Endpoint: EndpointREST, Path: pathUTAInfo, Signed: true}, &info); err != nil {
		return sdk.Permissions{}, err
	}
	s, err := c.utaSettings(ctx, acct)
	if err != nil {
		return sdk.Permissions{}, err
	}
	perms := info.Permissions
	trade := hasAny(perms, utaTradeCodes) && !strings.EqualFold(info.PermType, "read-only")
	p := sdk.Permissions{
		CanRead:         true, // the settings call above needs it
		CanTradeSpot:    trade,
		CanTradeFutures: trade,
		CanWithdraw:     hasAny(perms, withdrawCodes),
		IPRestricted:    info.IPs != "",
	}
	p.Notes = append(p.Notes, "Unified Trading Account (UTA): spot coins and the USDT futures margin share one wallet, served through Bitget's V3 API")
	if !trade {
		p.Notes = append(p.Notes, "trading is not enabled on this key (Bitget's UTA trade permission): spot and futures orders will be rejected")
	}
	if !hasAny(perms, utaReadCodes) {
		p.Notes = append(p.Notes, "the key lists no UTA permission, yet Bitget let it read the account")
	}
	p.Notes = append(p.Notes, holdings.PositionModeNote(s.hedge()))
	keyNotes(&p, acct)
	return p, nil
}

// --- settings ---

// utaSettingsData is GET /api/v3/account/settings, the part the connector
// uses. holdMode is taken to use V2's posMode values, one_way_mode and
// hedge_mode (unconfirmed); "hedge" alone is read as hedge too.
type utaSettingsData struct {
	HoldMode         string `json:"holdMode"`
	SymbolConfigList []struct {
		Category   string `json:"category"`
		Symbol     string `json:"symbol"`
		MarginMode string `json:"marginMode"`
	} `json:"symbolConfigList"`
}

func (s utaSettingsData) hedge() bool {
	return strings.HasPrefix(strings.ToLower(s.HoldMode), "hedge")
}

// marginMode is the margin mode set for a USDT-FUTURES symbol; a symbol
// not listed has V3's default, crossed.
func (s utaSettingsData) marginMode(raw string) string {
	for _, sc := range s.SymbolConfigList {
		if strings.EqualFold(sc.Category, productType) && strings.EqualFold(sc.Symbol, raw) && sc.MarginMode != "" {
			return strings.ToLower(sc.MarginMode)
		}
	}
	return "crossed"
}

func (c *Connector) utaSettings(ctx context.Context, acct sdk.Account) (utaSettingsData, error) {
	var s utaSettingsData
	_, err := c.call(ctx, acct, rest.Request{Method: "GET", Endpoint: EndpointREST, Path: pathUTASettings, Signed: true}, &s)
	return s, err
}

// --- the unified wallet ---

type utaAssetsData struct {
	UnrealisedPnl     numText    `json:"unrealisedPnl"`
	UsdtUnrealisedPnl numText    `json:"usdtUnrealisedPnl"`
	Assets            []utaAsset `json:"assets"`
}

type utaAsset struct {
	Coin      string  `json:"coin"`
	Equity    numText `json:"equity"`
	Balance   numText `json:"balance"`
	Available numText `json:"available"`
	Debt      numText `json:"debt"`
	Locked    numText `json:"locked"`
}

func (c *Connector) utaWallet(ctx context.Context, acct sdk.Account) (utaAssetsData, error) {
	var w utaAssetsData
	_, err := c.call(ctx, acct, rest.Request{Method: "GET", Endpoint: EndpointREST, Path: pathUTAAssets, Signed: true}, &w)
	return w, err
}

// utaSpotBalances lists every coin of the unified wallet: free is
// available, locked is what open orders hold. What backs futures
// positions is neither; the futures account reports it. Bitget lists only
// non-zero coins; zeros are filtered again.
func (c *Connector) utaSpotBalances(ctx context.Context, acct sdk.Account) ([]sdk.Balance, error) {
	w, err := c.utaWallet(ctx, acct)
	if err != nil {
		return nil, err
	}
	return holdings.Balances("bitget", "unified balance", w.Assets, func(r utaAsset) (sdk.Balance, error) {
		var f num.Fields
		return sdk.Balance{
			Asset:  strings.ToUpper(r.Coin),
			Free:   f.Parse("available", string(r.Available)),
			Locked: f.ParseOrZero("locked", string(r.Locked)),
		}, f.Err()
	})
}

// utaFuturesAccount reports the wallet's USDT as the USDT-margined futures
// account: margin balance is the coin's equity, unrealised PnL the
// account's, in USDT (usdtUnrealisedPnl, or unrealisedPnl, in USD, when
// that is empty), the wallet balance equity less that PnL, as on the
// Classic side, and available the coin's available. The account's PnL
// counts every position, which for the USDT perpetuals the connector
// trades is theirs. No USDT in the wallet is an empty account.
func (c *Connector) utaFuturesAccount(ctx context.Context, acct sdk.Account) (sdk.FuturesAccount, error) {
	w, err := c.utaWallet(ctx, acct)
	if err != nil {
		return sdk.FuturesAccount{}, err
	}
	isUSDT := func(r utaAsset) bool { return strings.EqualFold(r.Coin, marginCoin) }
	return holdings.Futures("bitget", "unified USDT balance", marginCoin, w.Assets, isUSDT, func(r utaAsset) (sdk.FuturesAccount, error) {
		var f num.Fields
		var out sdk.FuturesAccount
		out.MarginBalance = f.Parse("equity", string(r.Equity))
		out.UnrealizedPnL = f.ParseOrZero("usdtUnrealisedPnl", string(w.UsdtUnrealisedPnl))
		if w.UsdtUnrealisedPnl == "" {
			out.UnrealizedPnL = f.ParseOrZero("unrealisedPnl", string(w.UnrealisedPnl))
		}
		out.AvailableBalance = f.Parse("available", string(r.Available))
		out.WalletBalance = out.MarginBalance.Sub(out.UnrealizedPnL)
		return out, f.Err()
	})
}

// --- positions ---

// utaPositionRow is one row of GET current-position. posSide is taken to
// name the direction in one-way mode too, as V2's holdSide does
// (unconfirmed); a signed total is the fallback, as on the Classic side.
type utaPositionRow struct {
	Symbol           string  `json:"symbol"`
	MarginCoin       string  `json:"marginCoin"`
	PosSide          string  `json:"posSide"`
	MarginMode       string  `json:"marginMode"`
	Total            numText `json:"total"`
	AvgPrice         numText `json:"avgPrice"`
	MarkPrice        numText `json:"markPrice"`
	UnrealisedPnl    numText `json:"unrealisedPnl"`
	Leverage         numText `json:"leverage"`
	LiquidationPrice numText `json:"liquidationPrice"`
}

// utaPositions lists the open USDT-FUTURES positions. The rows come in
// data.list, which has been seen null for a flat account.
func (c *Connector) utaPositions(ctx context.Context, acct sdk.Account) ([]sdk.Position, error) {
	var data struct {
		List []utaPositionRow `json:"list"`
	}
	_, err := c.call(ctx, acct, rest.Request{
		Method: "GET", Endpoint: EndpointREST, Path: pathUTAPositions,
		Query: rest.Params{}.Add("category", productType), Signed: true,
	}, &data)
	if err != nil {
		return nil, err
	}
	return holdings.Positions(data.List, func(r utaPositionRow) (sdk.Position, bool, error) {
		return toPosition(positionRow{
			Symbol: r.Symbol, MarginCoin: r.MarginCoin, HoldSide: r.PosSide, Total: r.Total,
			OpenPriceAvg: r.AvgPrice, MarkPrice: r.MarkPrice, UnrealizedPL: r.UnrealisedPnl,
			Leverage: r.Leverage, LiquidationPrice: r.LiquidationPrice, MarginMode: r.MarginMode,
		})
	})
}

// --- orders ---

// utaOrderBody is POST /api/v3/trade/place-order, in the digest's field
// order, which is the order signed.
type utaOrderBody struct {
	Category    string `json:"category"`
	Symbol      string `json:"symbol"`
	Qty         string `json:"qty"`
	Price       string `json:"price,omitempty"`
	Side        string `json:"side"`
	OrderType   string `json:"orderType"`
	TimeInForce string `json:"timeInForce,omitempty"`
	PosSide     string `json:"posSide,omitempty"`
	ClientOid   string `json:"clientOid,omitempty"`
	ReduceOnly  string `json:"reduceOnly,omitempty"`
	MarginMode  string `json:"marginMode,omitempty"`
}

// utaPlace places a checked order through V3. side is always the trade's
// direction. A spot market buy's qty is the quote amount, as V2's size is
// (unconfirmed for V3). A futures order first reads the settings, for the
// symbol's margin mode and the position mode: in hedge mode posSide names
// the position the order acts on, so selling with posSide long closes the
// long (the pairing follows the SDKs; unconfirmed); in one-way mode
// reduceOnly is "yes" or "no", lower case unlike V2's.
func (c *Connector) utaPlace(ctx context.Context, acct sdk.Account, mkt sdk.Market, sym symbol.Symbol, o order) (sdk.Order, error) {
	raw := rawSymbol(sym)
	b := utaOrderBody{
		Category: categorySpot, Symbol: raw, Qty: num.Format(o.req.Quantity),
		Side: string(o.side), OrderType: string(o.typ), ClientOid: o.clientOid,
	}
	if o.req.QuoteQuantity.IsPositive() {
		b.Qty = num.Format(o.req.QuoteQuantity)
	}
	if o.typ == sdk.OrderLimit {
		b.Price, b.TimeInForce = num.Format(o.req.Price), "gtc"
	}
	if mkt == sdk.MarketFutures {
		s, err := c.utaSettings(ctx, acct)
		if err != nil {
			return sdk.Order{}, err
		}
		b.Category, b.MarginMode = productType, s.marginMode(raw)
		switch {
		case s.hedge():
			b.PosSide = string(o.pos)
		case o.closing:
			b.ReduceOnly = "yes"
		default:
			b.ReduceOnly = "no"
		}
	}
	return c.place(ctx, acct, pathUTAPlace, b, o, mkt, sym)
}

// utaCancelBody is POST /api/v3/trade/cancel-order: the order and its
// category, no symbol.
type utaCancelBody struct {
	OrderID   string `json:"orderId,omitempty"`
	ClientOid string `json:"clientOid,omitempty"`
	Category  string `json:"category"`
}

func (c *Connector) utaCancel(ctx context.Context, acct sdk.Account, mkt sdk.Market, sym symbol.Symbol, t orderreq.Target) (sdk.Order, error) {
	b := utaCancelBody{OrderID: t.OrderID, ClientOid: t.ClientID, Category: categorySpot}
	if mkt == sdk.MarketFutures {
		b.Category = productType
	}
	return c.cancel(ctx, acct, pathUTACancel, b, mkt, sym, t)
}
