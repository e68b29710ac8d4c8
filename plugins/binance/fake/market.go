package fake

import (
	"maps"

	"github.com/globalautomation/gahost/sdk/fakex"
)

// The public market data: ticker prices, mark prices and exchange info
// with the symbol filters, for the symbols the fake lists. The prices are
// the ones market orders fill at; a futures mark price is that price
// unless SetMark gave it another.

func init() {
	// Weights of the calls without a symbol (the whole list), as Binance's
	// market-data pages document them.
	maps.Copy(routes, map[string]route{
		"GET /api/v3/ticker/price":  {4, false, permNone, (*Server).spotTickerPrice},
		"GET /api/v3/exchangeInfo":  {20, false, permNone, (*Server).spotExchangeInfo},
		"GET /fapi/v1/ticker/price": {2, false, permNone, (*Server).futuresTickerPrice},
		"GET /fapi/v1/premiumIndex": {10, false, permNone, (*Server).premiumIndex},
		"GET /fapi/v1/exchangeInfo": {1, false, permNone, (*Server).futuresExchangeInfo},
	})
}

// Rules are a symbol's filters, as Binance lists them.
type Rules struct {
	TickSize, StepSize, MinQty, MinNotional string
}

// rules are Binance's filters for the symbols the fake lists at start, as
// mainnet lists them; a symbol listed later gets defaultRules.
var (
	defaultRules = Rules{"0.00010000", "0.01000000", "0.01000000", "5.00000000"}
	spotRules    = fakex.Rules[Rules]{Default: defaultRules, Listed: map[string]Rules{
		"BTCUSDT": {"0.01000000", "0.00001000", "0.00001000", "5.00000000"},
		"ETHUSDT": {"0.01000000", "0.00010000", "0.00010000", "5.00000000"},
		"ETHBTC":  {"0.00001000", "0.00010000", "0.00010000", "0.00010000"},
	}}
	futuresRules = fakex.Rules[Rules]{Default: defaultRules, Listed: map[string]Rules{
		"BTCUSDT": {"0.10", "0.001", "0.001", "100"},
		"ETHUSDT": {"0.01", "0.001", "0.001", "20"},
	}}
)

// ListSpot lists (or re-prices) a spot symbol.
func (s *Server) ListSpot(symbol string, m Market) { s.spot.List(&s.mu, symbol, m) }

// ListFutures lists (or re-prices) a USDⓈ-M perpetual.
func (s *Server) ListFutures(symbol string, m Market) { s.futures.List(&s.mu, symbol, m) }

// SetMark sets the mark price of a listed perpetual.
func (s *Server) SetMark(symbol, mark string) { s.marks.Set(&s.mu, symbol, mark) }

func (s *Server) spotTickerPrice(c *call) { s.tickerPrice(c, s.spot, false) }

func (s *Server) futuresTickerPrice(c *call) { s.tickerPrice(c, s.futures, true) }

// tickerPrice answers one symbol when asked for one, else the whole list.
// Spot rows carry no time; futures rows do.
func (s *Server) tickerPrice(c *call, listed map[string]Market, futures bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	row := func(sym string, m Market) map[string]any {
		r := map[string]any{"symbol": sym, "price": m.Price}
		if futures {
			r["time"] = c.now.UnixMilli()
		}
		return r
	}
	if sym := c.params.Get("symbol"); sym != "" {
		m, ok := listed[sym]
		if !ok {
			c.fail(400, -1121, "Invalid symbol.")
			return
		}
		c.json(200, row(sym, m))
		return
	}
	c.json(200, fakex.Rows(listed, "", row))
}

func (s *Server) premiumIndex(c *call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c.json(200, fakex.Rows(s.futures, "", func(sym string, m Market) map[string]any {
		mark := s.marks.Of(sym, m.Price)
		return map[string]any{
			"symbol": sym, "markPrice": mark, "indexPrice": mark, "estimatedSettlePrice": mark,
			"lastFundingRate": "0.00010000", "interestRate": "0.00010000",
			"nextFundingTime": fakex.NextFunding(c.now), "time": c.now.UnixMilli(),
		}
	}))
}

func (s *Server) spotExchangeInfo(c *call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	syms := fakex.Rows(s.spot, "", func(sym string, m Market) map[string]any {
		r := spotRules.Of(sym)
		return map[string]any{
			"symbol": sym, "status": "TRADING", "baseAsset": m.Base, "baseAssetPrecision": 8,
			"quoteAsset": m.Quote, "quotePrecision": 8, "quoteAssetPrecision": 8,
			"orderTypes":                 []string{"LIMIT", "LIMIT_MAKER", "MARKET", "STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT"},
			"quoteOrderQtyMarketAllowed": true, "isSpotTradingAllowed": true, "isMarginTradingAllowed": true,
			"filters": []map[string]any{
				{"filterType": "PRICE_FILTER", "minPrice": r.TickSize, "maxPrice": "1000000.00000000", "tickSize": r.TickSize},
				{"filterType": "LOT_SIZE", "minQty": r.MinQty, "maxQty": "9000.00000000", "stepSize": r.StepSize},
				{"filterType": "MARKET_LOT_SIZE", "minQty": "0.00000000", "maxQty": "100.00000000", "stepSize": "0.00000000"},
				{"filterType": "NOTIONAL", "minNotional": r.MinNotional, "applyMinToMarket": true,
					"maxNotional": "9000000.00000000", "applyMaxToMarket": false, "avgPriceMins": 5},
			},
			"permissions": []string{}, "permissionSets": []any{},
		}
	})
	c.json(200, map[string]any{"timezone": "UTC", "serverTime": c.now.UnixMilli(), "rateLimits": []any{}, "exchangeFilters": []any{}, "symbols": syms})
}

func (s *Server) futuresExchangeInfo(c *call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	syms := fakex.Rows(s.futures, "", func(sym string, m Market) map[string]any {
		r := futuresRules.Of(sym)
		return map[string]any{
			"symbol": sym, "pair": sym, "contractType": "PERPETUAL", "status": "TRADING",
			"baseAsset": m.Base, "quoteAsset": m.Quote, "marginAsset": m.Quote,
			"pricePrecision": 2, "quantityPrecision": 3, "underlyingType": "COIN",
			"filters": []map[string]any{
				{"filterType": "PRICE_FILTER", "minPrice": r.TickSize, "maxPrice": "4529764", "tickSize": r.TickSize},
				{"filterType": "LOT_SIZE", "minQty": r.MinQty, "maxQty": "1000", "stepSize": r.StepSize},
				{"filterType": "MARKET_LOT_SIZE", "minQty": r.MinQty, "maxQty": "120", "stepSize": r.StepSize},
				{"filterType": "MAX_NUM_ORDERS", "limit": 200},
				{"filterType": "MIN_NOTIONAL", "notional": r.MinNotional},
				{"filterType": "PERCENT_PRICE", "multiplierUp": "1.0500", "multiplierDown": "0.9500", "multiplierDecimal": "4"},
			},
		}
	})
	// A delivery contract, which the connector must leave out of the
	// perpetuals it lists.
	syms = append(syms, map[string]any{
		"symbol": "BTCUSDT_260925", "pair": "BTCUSDT", "contractType": "CURRENT_QUARTER", "status": "TRADING",
		"baseAsset": "BTC", "quoteAsset": "USDT", "marginAsset": "USDT",
		"filters": []map[string]any{
			{"filterType": "PRICE_FILTER", "tickSize": "0.10"},
			{"filterType": "LOT_SIZE", "minQty": "0.001", "stepSize": "0.001"},
			{"filterType": "MIN_NOTIONAL", "notional": "5"},
		},
	})
	c.json(200, map[string]any{"timezone": "UTC", "serverTime": c.now.UnixMilli(), "rateLimits": []any{}, "exchangeFilters": []any{}, "assets": []any{}, "symbols": syms})
}
