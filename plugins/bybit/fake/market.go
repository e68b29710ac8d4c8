package fake

import (
	"maps"
	"slices"
	"strconv"

	"github.com/globalautomation/gahost/sdk/fakex"
)

// The public market data: tickers and instrument info for the
// symbols the fake lists. Last prices are the ones market orders fill at;
// a linear mark price is that price unless SetMark gave it another.

func init() {
	maps.Copy(routes, map[string]route{
		"GET /v5/market/tickers":          {false, permNone, (*Server).tickers},
		"GET /v5/market/instruments-info": {false, permNone, (*Server).instrumentsInfo},
	})
}

// Rules are a symbol's order filters. For spot, Step is basePrecision and
// MinNotional minOrderAmt; for linear, qtyStep and minNotionalValue.
type Rules struct {
	Tick, Step, MinQty, MinNotional string
}

// The filters of the symbols listed at start, as mainnet lists them; a
// symbol listed later gets defaultRules.
var (
	defaultRules = Rules{"0.0001", "0.1", "0.1", "5"}
	spotRules    = fakex.Rules[Rules]{Default: defaultRules, Listed: map[string]Rules{
		"BTCUSDT": {"0.1", "0.000001", "0.000048", "5"},
		"ETHUSDT": {"0.01", "0.00001", "0.00062", "5"},
		"ETHBTC":  {"0.000001", "0.00001", "0.00062", "0.00005"},
	}}
	linearRules = fakex.Rules[Rules]{Default: defaultRules, Listed: map[string]Rules{
		"BTCUSDT": {"0.10", "0.001", "0.001", "5"},
		"ETHUSDT": {"0.01", "0.01", "0.01", "5"},
	}}
)

// ListSpot lists (or re-prices) a spot symbol.
func (s *Server) ListSpot(symbol string, m Market) { s.spot.List(&s.mu, symbol, m) }

// ListLinear lists (or re-prices) a USDT perpetual.
func (s *Server) ListLinear(symbol string, m Market) { s.linear.List(&s.mu, symbol, m) }

// SetMark sets the mark price of a listed linear perpetual.
func (s *Server) SetMark(symbol, mark string) { s.marks.Set(&s.mu, symbol, mark) }

// category is the category's symbols, or false for a category the fake does
// not serve (it answers the error itself).
func (s *Server) category(c *call) (map[string]Market, bool) {
	switch c.category {
	case "spot":
		return s.spot, true
	case "linear":
		return s.linear, true
	case "":
		c.params("category is required")
	default:
		c.fail(10001, "Illegal category")
	}
	return nil, false
}

func (s *Server) tickers(c *call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	listed, ok := s.category(c)
	if !ok {
		return
	}
	c.ok(map[string]any{"category": c.category, "list": fakex.Rows(listed, c.query.Get("symbol"), func(sym string, m Market) map[string]any {
		row := map[string]any{
			"symbol": sym, "lastPrice": m.Price, "bid1Price": m.Price, "ask1Price": m.Price,
			"prevPrice24h": m.Price, "price24hPcnt": "0", "highPrice24h": m.Price, "lowPrice24h": m.Price,
			"turnover24h": "0", "volume24h": "0",
		}
		if c.category == "linear" {
			mark := s.marks.Of(sym, m.Price)
			row["markPrice"], row["indexPrice"], row["fundingRate"] = mark, mark, "0.0001"
			row["nextFundingTime"] = strconv.FormatInt(fakex.NextFunding(c.now), 10)
		} else {
			row["usdIndexPrice"] = ""
		}
		return row
	})})
}

// instrumentsInfo pages linear symbols by limit and cursor (the cursor is
// the index of the next row); spot has no pages.
func (s *Server) instrumentsInfo(c *call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	listed, ok := s.category(c)
	if !ok {
		return
	}
	syms := slices.Sorted(maps.Keys(listed))
	next := ""
	if c.category == "linear" {
		limit, _ := strconv.Atoi(c.query.Get("limit"))
		if limit <= 0 || limit > 1000 {
			limit = 500
		}
		from, _ := strconv.Atoi(c.query.Get("cursor"))
		from = min(max(from, 0), len(syms))
		to := min(from+limit, len(syms))
		if to < len(syms) {
			next = strconv.Itoa(to)
		}
		syms = syms[from:to]
	}
	rows := []map[string]any{}
	for _, sym := range syms {
		m := listed[sym]
		if c.category == "spot" {
			r := spotRules.Of(sym)
			rows = append(rows, map[string]any{
				"symbol": sym, "baseCoin": m.Base, "quoteCoin": m.Quote, "status": "Trading", "innovation": "0",
				"marginTrading": "utaOnly",
				"lotSizeFilter": map[string]string{"basePrecision": r.Step, "quotePrecision": "0.0000001",
					"minOrderQty": r.MinQty, "maxOrderQty": "83", "minOrderAmt": r.MinNotional, "maxOrderAmt": "8000000",
					"maxLimitOrderQty": "83", "maxMarketOrderQty": "41.5"},
				"priceFilter": map[string]string{"tickSize": r.Tick},
			})
			continue
		}
		r := linearRules.Of(sym)
		rows = append(rows, map[string]any{
			"symbol": sym, "contractType": "LinearPerpetual", "status": "Trading",
			"baseCoin": m.Base, "quoteCoin": m.Quote, "settleCoin": m.Quote, "priceScale": "2",
			"leverageFilter": map[string]string{"minLeverage": "1", "maxLeverage": "100.00", "leverageStep": "0.01"},
			"priceFilter":    map[string]string{"minPrice": r.Tick, "maxPrice": "1999999.80", "tickSize": r.Tick},
			"lotSizeFilter": map[string]string{"maxOrderQty": "1190.000", "minOrderQty": r.MinQty, "qtyStep": r.Step,
				"maxMktOrderQty": "500.000", "minNotionalValue": r.MinNotional, "postOnlyMaxOrderQty": "1190.000"},
			"fundingInterval": 480, "unifiedMarginTrade": true, "isPreListing": false,
		})
	}
	out := map[string]any{"category": c.category, "list": rows}
	if c.category == "linear" {
		out["nextPageCursor"] = next
	}
	c.ok(out)
}
