package fake

import (
	"encoding/json"
	"maps"

	"github.com/globalautomation/gahost/sdk/fakex"
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

// ListSpot lists (or changes) a spot symbol, e.g. "BTC-USDT".
func (s *Server) ListSpot(symbol string, m SpotMarket) { s.spot.List(&s.mu, symbol, m) }

// ListSwap lists (or changes) a perpetual, e.g. "BTC-USDT".
func (s *Server) ListSwap(symbol string, c Contract) { s.swap.List(&s.mu, symbol, c) }

// SetMark sets the mark price of a listed perpetual.
func (s *Server) SetMark(symbol, mark string) { s.marks.Set(&s.mu, symbol, mark) }

// spotTicker24h wants a timestamp, as BingX's does, though it is not
// signed.
func (s *Server) spotTicker24h(c *call) {
	if c.params.Get("timestamp") == "" {
		c.fail(100400, "timestamp is required")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c.ok(fakex.Rows(s.spot, c.params.Get("symbol"), func(sym string, m SpotMarket) map[string]any {
		p := json.Number(m.Price)
		return map[string]any{
			"symbol": sym, "openPrice": p, "highPrice": p, "lowPrice": p, "lastPrice": p,
			"priceChange": json.Number("0"), "priceChangePercent": "0%", "volume": json.Number("0"), "quoteVolume": json.Number("0"),
			"openTime": c.now.Add(-24 * 3600e9).UnixMilli(), "closeTime": c.now.UnixMilli(),
			"bidPrice": p, "bidQty": json.Number("1"), "askPrice": p, "askQty": json.Number("1"),
		}
	}))
}

func (s *Server) swapTicker(c *call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c.ok(fakex.Rows(s.swap, "", func(sym string, m Contract) map[string]any {
		p := m.Price
		return map[string]any{
			"symbol": sym, "priceChange": "0", "priceChangePercent": "0", "lastPrice": p, "lastQty": "1",
			"highPrice": p, "lowPrice": p, "volume": "0", "quoteVolume": "0", "openPrice": p,
			"openTime": c.now.Add(-24 * 3600e9).UnixMilli(), "closeTime": c.now.UnixMilli(),
			"bidPrice": p, "bidQty": "1", "askPrice": p, "askQty": "1",
		}
	}))
}

func (s *Server) premiumIndex(c *call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c.ok(fakex.Rows(s.swap, "", func(sym string, m Contract) map[string]any {
		mark := s.marks.Of(sym, m.Price)
		return map[string]any{
			"symbol": sym, "markPrice": mark, "indexPrice": mark, "lastFundingRate": "0.00010000",
			"nextFundingTime": fakex.NextFunding(c.now), "time": c.now.UnixMilli(),
		}
	}))
}
