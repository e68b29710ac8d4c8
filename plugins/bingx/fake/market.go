package fake

import (
	"encoding/json"
	"maps"
)

// The public market data beside the symbol lists: spot 24-hour tickers,
// swap tickers and swap mark prices (IP group 1), for the symbols the fake
// lists. Last prices are the ones market orders fill at; a swap's mark
// price is that price unless SetMark gave it another. Spot tickers carry
// numbers as JSON numbers, swap ones as strings, as BingX sends them.

func init() {
	maps.Copy(routes, map[string]route{
		"GET /openApi/spot/v1/ticker/24hr":        {1, public, 0, 0, false, (*Server).spotTicker24h},
		"GET /openApi/swap/v2/quote/ticker":       {1, public, 0, 0, true, (*Server).swapTicker},
		"GET /openApi/swap/v2/quote/premiumIndex": {1, public, 0, 0, true, (*Server).premiumIndex},
	})
}

// SetMark sets the mark price of a listed perpetual.
func (s *Server) SetMark(symbol, mark string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.marks == nil {
		s.marks = map[string]string{}
	}
	s.marks[symbol] = mark
}

// spotTicker24h wants a timestamp, as BingX's does, though it is not
// signed.
func (s *Server) spotTicker24h(c *call) {
	if c.params.Get("timestamp") == "" {
		c.fail(100400, "timestamp is required")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rows := []map[string]any{}
	for _, sym := range sortedKeys(s.spot) {
		if only := c.params.Get("symbol"); only != "" && only != sym {
			continue
		}
		p := json.Number(s.spot[sym].Price)
		rows = append(rows, map[string]any{
			"symbol": sym, "openPrice": p, "highPrice": p, "lowPrice": p, "lastPrice": p,
			"priceChange": json.Number("0"), "priceChangePercent": "0%", "volume": json.Number("0"), "quoteVolume": json.Number("0"),
			"openTime": c.now.Add(-24 * 3600e9).UnixMilli(), "closeTime": c.now.UnixMilli(),
			"bidPrice": p, "bidQty": json.Number("1"), "askPrice": p, "askQty": json.Number("1"),
		})
	}
	c.ok(rows)
}

func (s *Server) swapTicker(c *call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rows := []map[string]any{}
	for _, sym := range sortedKeys(s.swap) {
		p := s.swap[sym].Price
		rows = append(rows, map[string]any{
			"symbol": sym, "priceChange": "0", "priceChangePercent": "0", "lastPrice": p, "lastQty": "1",
			"highPrice": p, "lowPrice": p, "volume": "0", "quoteVolume": "0", "openPrice": p,
			"openTime": c.now.Add(-24 * 3600e9).UnixMilli(), "closeTime": c.now.UnixMilli(),
			"bidPrice": p, "bidQty": "1", "askPrice": p, "askQty": "1",
		})
	}
	c.ok(rows)
}

func (s *Server) premiumIndex(c *call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rows := []map[string]any{}
	for _, sym := range sortedKeys(s.swap) {
		mark := s.swap[sym].Price
		if v, ok := s.marks[sym]; ok {
			mark = v
		}
		rows = append(rows, map[string]any{
			"symbol": sym, "markPrice": mark, "indexPrice": mark, "lastFundingRate": "0.00010000",
			"nextFundingTime": c.now.Truncate(8 * 3600e9).Add(8 * 3600e9).UnixMilli(), "time": c.now.UnixMilli(),
		})
	}
	c.ok(rows)
}
