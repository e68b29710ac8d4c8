package fake

import (
	"maps"
	"net/http"

	"github.com/globalautomation/gahost/sdk/fakex"
)

// The public market data beside the instrument list: tickers and mark
// prices (its per-IP limits). Last prices are the ones market orders fill
// at; a swap's mark price is that price unless SetMark gave it another.

func init() {
	maps.Copy(defaultRoutes, map[string]route{
		"/api/v5/market/tickers":    {"GET", permNone, 20, "", (*Server).tickers},
		"/api/v5/public/mark-price": {"GET", permNone, 10, "", (*Server).markPrice},
	})
}

// List lists (or changes) an instrument.
func (s *Server) List(in Instrument) { s.insts.List(&s.mu, in.InstID, in) }

// SetMark sets the mark price of a listed swap.
func (s *Server) SetMark(instID, mark string) { s.marks.Set(&s.mu, instID, mark) }

func (s *Server) tickers(c *call) {
	typ := c.query.Get("instType")
	if typ == "" {
		c.fail(http.StatusBadRequest, "50014", "Parameter instType can not be empty.")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c.ok(fakex.Rows(s.ofType(typ), "", func(id string, in Instrument) map[string]string {
		return map[string]string{
			"instType": in.InstType, "instId": id, "last": in.Price, "lastSz": "0.1",
			"askPx": in.Price, "askSz": "1", "bidPx": in.Price, "bidSz": "1",
			"open24h": in.Price, "high24h": in.Price, "low24h": in.Price, "sodUtc0": in.Price, "sodUtc8": in.Price,
			"volCcy24h": "0", "vol24h": "0", "ts": ms(c.now.UnixMilli()),
		}
	}))
}

func (s *Server) markPrice(c *call) {
	typ := c.query.Get("instType")
	if typ != "SWAP" && typ != "FUTURES" && typ != "MARGIN" && typ != "OPTION" {
		c.fail(http.StatusBadRequest, "51000", "Parameter instType error")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c.ok(fakex.Rows(s.ofType(typ), "", func(id string, in Instrument) map[string]string {
		return map[string]string{"instType": typ, "instId": id, "markPx": s.marks.Of(id, in.Price), "ts": ms(c.now.UnixMilli())}
	}))
}

// ofType is the listed instruments of type typ.
func (s *Server) ofType(typ string) map[string]Instrument {
	out := map[string]Instrument{}
	for id, in := range s.insts {
		if in.InstType == typ {
			out[id] = in
		}
	}
	return out
}
