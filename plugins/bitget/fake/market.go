package fake

import (
	"maps"
	"strconv"

	"github.com/globalautomation/gahost/sdk/fakex"
)

// The public market data of the classic (V2) API, which serves Classic and
// UTA accounts alike: tickers and the instrument lists, for the
// symbols the fake lists. Last prices are the ones market orders fill at;
// a futures mark price is that price unless SetMark gave it another.

// Paths of the public market data, 20/s per IP each.
const (
	PathSpotTickers    = "/api/v2/spot/market/tickers"
	PathSpotSymbols    = "/api/v2/spot/public/symbols"
	PathFuturesTickers = "/api/v2/mix/market/tickers"
	PathContracts      = "/api/v2/mix/market/contracts"
)

func init() {
	maps.Copy(routes, map[string]route{
		"GET " + PathSpotTickers:    {20, false, permNone, (*Server).spotTickers},
		"GET " + PathSpotSymbols:    {20, false, permNone, (*Server).spotSymbols},
		"GET " + PathFuturesTickers: {20, false, permNone, (*Server).futuresTickers},
		"GET " + PathContracts:      {20, false, permNone, (*Server).contracts},
	})
}

// Precision is how Bitget states a symbol's steps: decimals of price and
// quantity, and for futures the price step in units of the last price
// decimal and the quantity step itself.
type Precision struct {
	PricePlace, VolumePlace    int
	PriceEndStep, SizeMultiple string // futures only
	MinTradeAmount             string
}

// The precisions of the symbols listed at start, as mainnet states them; a
// symbol listed later gets defaultPrecision.
var (
	defaultPrecision = Precision{PricePlace: 4, VolumePlace: 2, PriceEndStep: "1", SizeMultiple: "0.01", MinTradeAmount: "0.01"}
	spotPrecision    = fakex.Rules[Precision]{Default: defaultPrecision, Listed: map[string]Precision{
		"BTCUSDT": {PricePlace: 2, VolumePlace: 6, MinTradeAmount: "0"},
		"ETHUSDT": {PricePlace: 2, VolumePlace: 4, MinTradeAmount: "0"},
		"ETHBTC":  {PricePlace: 6, VolumePlace: 4, MinTradeAmount: "0.001"},
	}}
	futuresPrecision = fakex.Rules[Precision]{Default: defaultPrecision, Listed: map[string]Precision{
		"BTCUSDT": {PricePlace: 1, VolumePlace: 4, PriceEndStep: "1", SizeMultiple: "0.0001", MinTradeAmount: "0.0001"},
		"ETHUSDT": {PricePlace: 2, VolumePlace: 2, PriceEndStep: "1", SizeMultiple: "0.01", MinTradeAmount: "0.01"},
	}}
)

// ListSpot lists (or re-prices) a spot symbol.
func (s *Server) ListSpot(symbol string, m Market) { s.spot.List(&s.mu, symbol, m) }

// ListFutures lists (or re-prices) a USDT-FUTURES perpetual.
func (s *Server) ListFutures(symbol string, m Market) { s.futures.List(&s.mu, symbol, m) }

// SetMark sets the mark price of a listed perpetual.
func (s *Server) SetMark(symbol, mark string) { s.marks.Set(&s.mu, symbol, mark) }

// productType answers the error itself unless the query names the
// USDT-FUTURES product.
func productType(c *call) bool {
	if pt := c.query.Get("productType"); pt != "USDT-FUTURES" && pt != "usdt-futures" {
		c.bad("40019", "Parameter productType cannot be empty")
		return false
	}
	return true
}

func (s *Server) spotTickers(c *call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c.ok(fakex.Rows(s.spot, c.query.Get("symbol"), func(sym string, m Market) map[string]string {
		p := m.Price
		return map[string]string{
			"symbol": sym, "high24h": p, "open": p, "lastPr": p, "low24h": p, "quoteVolume": "0", "baseVolume": "0",
			"usdtVolume": "0", "bidPr": p, "askPr": p, "bidSz": "1", "askSz": "1", "openUtc": p,
			"ts": strconv.FormatInt(c.now.UnixMilli(), 10), "changeUtc24h": "0", "change24h": "0",
		}
	}))
}

func (s *Server) futuresTickers(c *call) {
	if !productType(c) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c.ok(fakex.Rows(s.futures, "", func(sym string, m Market) map[string]string {
		p := m.Price
		mark := s.marks.Of(sym, p)
		return map[string]string{
			"symbol": sym, "lastPr": p, "askPr": p, "bidPr": p, "bidSz": "1", "askSz": "1", "high24h": p, "low24h": p,
			"ts": strconv.FormatInt(c.now.UnixMilli(), 10), "change24h": "0", "baseVolume": "0", "quoteVolume": "0",
			"usdtVolume": "0", "openUtc": p, "changeUtc24h": "0", "indexPrice": mark, "fundingRate": "0.0001",
			"holdingAmount": "0", "deliveryStartTime": "", "deliveryTime": "", "deliveryStatus": "", "open24h": p,
			"markPrice": mark,
		}
	}))
}

func (s *Server) spotSymbols(c *call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c.ok(fakex.Rows(s.spot, "", func(sym string, m Market) map[string]any {
		p := spotPrecision.Of(sym)
		minUSDT := m.MinUSDT
		if minUSDT == "" {
			minUSDT = "1"
		}
		return map[string]any{
			"symbol": sym, "baseCoin": m.Base, "quoteCoin": m.Quote,
			"minTradeAmount": p.MinTradeAmount, "maxTradeAmount": "10000", "takerFeeRate": "0.001", "makerFeeRate": "0.001",
			"pricePrecision": strconv.Itoa(p.PricePlace), "quantityPrecision": strconv.Itoa(p.VolumePlace), "quotePrecision": "8",
			"minTradeUSDT": minUSDT, "status": "online", "buyLimitPriceRatio": "0.05", "sellLimitPriceRatio": "0.05",
			"orderQuantity": "200", "areaSymbol": "no",
		}
	}))
}

func (s *Server) contracts(c *call) {
	if !productType(c) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c.ok(fakex.Rows(s.futures, "", func(sym string, m Market) map[string]any {
		p := futuresPrecision.Of(sym)
		return map[string]any{
			"symbol": sym, "baseCoin": m.Base, "quoteCoin": m.Quote, "supportMarginCoins": []string{m.Quote},
			"minTradeNum": p.MinTradeAmount, "priceEndStep": p.PriceEndStep, "volumePlace": strconv.Itoa(p.VolumePlace),
			"pricePlace": strconv.Itoa(p.PricePlace), "sizeMultiplier": p.SizeMultiple, "symbolType": "perpetual",
			"minTradeUSDT": m.MinUSDT, "maxSymbolOrderNum": "999999", "maxPositionNum": "150", "symbolStatus": "normal",
			"offTime": "-1", "limitOpenTime": "-1", "fundInterval": "8", "minLever": "1", "maxLever": "125",
			"makerFeeRate": "0.0002", "takerFeeRate": "0.0006", "maxMarketOrderQty": "220", "maxOrderQty": "1200",
		}
	}))
}
