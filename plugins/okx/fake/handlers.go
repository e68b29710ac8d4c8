package fake

import (
	"bytes"
	"cmp"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/globalautomation/gahost/sdk/fakex"
	"github.com/shopspring/decimal"
)

// Answers of the read endpoints, shaped as OKX documents them.

func (s *Server) serverTime(c *call) {
	c.ok([]map[string]string{{"ts": ms(c.now.UnixMilli())}})
}

func (s *Server) instruments(c *call) {
	typ := c.query.Get("instType")
	if typ == "" {
		c.fail(http.StatusBadRequest, "50014", "Parameter instType can not be empty.")
		return
	}
	only := c.query.Get("instId")
	s.mu.Lock()
	defer s.mu.Unlock()
	rows := []map[string]string{}
	for _, id := range sortedIDs(s.insts) {
		in := s.insts[id]
		if in.InstType != typ || only != "" && id != only {
			continue
		}
		rows = append(rows, map[string]string{
			"instType": in.InstType, "instId": in.InstID, "baseCcy": in.BaseCcy, "quoteCcy": in.QuoteCcy,
			"settleCcy": in.SettleCcy, "ctVal": in.CtVal, "ctMult": in.CtMult, "ctValCcy": in.CtValCcy,
			"ctType": in.CtType, "lever": "100", "lotSz": in.LotSz, "minSz": in.MinSz, "tickSz": in.TickSz,
			"maxLmtSz": "100000000", "maxMktSz": "12000", "state": "live", "listTime": "1573557408000",
			"expTime": "", "uly": in.InstFamily, "instFamily": in.InstFamily, "ruleType": "normal",
		})
	}
	c.ok(rows)
}

func (s *Server) config(c *call) {
	s.mu.Lock()
	a := *s.Store.AccountLocked(c.key.APIKey)
	s.mu.Unlock()
	perm := []string{"read_only"}
	if c.key.Withdraw {
		perm = append(perm, "withdraw")
	}
	if c.key.Trade {
		perm = append(perm, "trade")
	}
	typ := "0"
	if c.key.UID != c.key.MainUID {
		typ = "1"
	}
	c.ok([]map[string]any{{
		"uid": c.key.UID, "mainUid": c.key.MainUID, "acctLv": cmp.Or(a.AcctLv, "2"), "posMode": cmp.Or(a.PosMode, "net_mode"),
		"autoLoan": false, "greeksType": "PA", "level": "Lv1", "levelTmp": "", "ctIsoMode": "automatic",
		"mgnIsoMode": "automatic", "acctStpMode": "cancel_maker", "kycLv": "3", "label": "gahost test",
		"ip": strings.Join(c.key.IPs, ","), "perm": strings.Join(perm, ","), "type": typ, "roleType": "0",
		"opAuth": "1", "enableSpotBorrow": false, "spotBorrowAutoRepay": false, "liquidationGear": "-1",
		"traderInsts": []string{}, "spotTraderInsts": []string{}, "spotRoleType": "0", "spotOffsetType": "",
	}})
}

func (s *Server) balance(c *call) {
	only := fakex.List(c.query.Get("ccy"))
	s.mu.Lock()
	a := s.Store.AccountLocked(c.key.APIKey)
	details := []map[string]string{}
	total := decimal.Zero
	for _, b := range a.Balances {
		if only != nil && !slices.Contains(only, b.Ccy) {
			continue
		}
		total = total.Add(dec(b.Eq))
		details = append(details, map[string]string{
			"ccy": b.Ccy, "eq": b.Eq, "cashBal": b.CashBal, "availBal": b.AvailBal, "availEq": b.AvailEq,
			"frozenBal": b.FrozenBal, "ordFrozen": "0", "upl": b.Upl, "eqUsd": b.Eq, "disEq": b.Eq,
			"isoEq": "0", "liab": "", "interest": "", "maxLoan": "", "uTime": ms(c.now.UnixMilli()),
		})
	}
	s.mu.Unlock()
	c.ok([]map[string]any{{
		"uTime": ms(c.now.UnixMilli()), "totalEq": total.String(), "isoEq": "0", "adjEq": "", "availEq": "",
		"ordFroz": "", "imr": "", "mmr": "", "mgnRatio": "", "notionalUsd": "", "upl": "", "borrowFroz": "",
		"details": details,
	}})
}

var instTypes = []string{"MARGIN", "SWAP", "FUTURES", "OPTION", "EVENTS"}

func (s *Server) positions(c *call) {
	typ := c.query.Get("instType")
	if typ != "" && !slices.Contains(instTypes, typ) {
		c.fail(http.StatusBadRequest, "51000", "Parameter instType error")
		return
	}
	ids := fakex.List(c.query.Get("instId"))
	s.mu.Lock()
	defer s.mu.Unlock()
	rows := []map[string]string{}
	for _, p := range s.Store.AccountLocked(c.key.APIKey).Positions {
		if pt := cmp.Or(p.InstType, "SWAP"); typ != "" && pt != typ || ids != nil && !slices.Contains(ids, p.InstID) {
			continue
		}
		// The stream's row, less its push time.
		row := s.positionRowLocked(p, c.now.UnixMilli())
		delete(row, "pTime")
		rows = append(rows, row)
	}
	c.ok(rows)
}

// readJSON checks a POST body as OKX does (50000, 50006, 50002) and
// keeps its fields. Numbers stay json.Number so that a connector sending
// a JSON number where OKX wants a string is caught.
func readJSON(c *call) bool {
	if len(bytes.TrimSpace(c.body)) == 0 {
		c.fail(http.StatusBadRequest, "50000", "Body for POST request cannot be empty.")
		return false
	}
	if ct := strings.ToLower(c.r.Header.Get("Content-Type")); !strings.HasPrefix(ct, "application/json") {
		c.fail(http.StatusBadRequest, "50006", `Invalid Content-Type. Please use "application/JSON".`)
		return false
	}
	d := json.NewDecoder(bytes.NewReader(c.body))
	d.UseNumber()
	if err := d.Decode(&c.fields); err != nil || d.More() {
		c.fail(http.StatusBadRequest, "50002", "JSON syntax error")
		return false
	}
	return true
}

func ms(n int64) string { return strconv.FormatInt(n, 10) }

// dec reads an amount a test put in state (garbage reads as zero).
var dec = fakex.Amount
