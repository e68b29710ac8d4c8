package e2e

// Balances valued in USDT by the real daemon at the prices the Binance
// connector reads from the fake Binance: the fake lists BTCUSDT at 60000
// and ETHUSDT at 3000, so the account's equity is known to the last digit.

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"
)

func TestBinanceEquityInUSDT(t *testing.T) {
	s := setup(t)
	code, raw := s.addAccount(t, "binance", s.key.APIKey, s.key.Secret)
	if code != http.StatusCreated {
		t.Fatalf("add account: %d %s", code, raw)
	}
	var a syncedAccount
	if err := json.Unmarshal(raw, &a); err != nil {
		t.Fatal(err)
	}
	sync := func() {
		t.Helper()
		var e apiError
		if code := s.d.Do("POST", "/api/v1/exchange-accounts/"+a.ID+"/sync", nil, &e); code != http.StatusOK {
			t.Fatalf("sync: status %d %+v", code, e)
		}
	}
	sync()

	type valued struct {
		EquityUSDT        *amount    `json:"equity_usdt"`
		EquityMissing     *string    `json:"equity_missing"`
		SpotValueUSDT     *amount    `json:"spot_value_usdt"`
		UnrealizedPnLUSDT *amount    `json:"unrealized_pnl_usdt"`
		PricesAt          *time.Time `json:"prices_at"`
		Values            []struct {
			Asset     string  `json:"asset"`
			PriceUSDT *amount `json:"price_usdt"`
			ValueUSDT *amount `json:"value_usdt"`
			Missing   *string `json:"missing"`
		} `json:"values"`
		PnL map[string]struct {
			Missing *string `json:"missing"`
		} `json:"pnl"`
	}
	// The sync found BTC and ETH, which brings the price read forward;
	// the answer is valued once it is in.
	var bal valued
	deadline := time.Now().Add(20 * time.Second)
	for {
		bal = valued{}
		if code := s.d.Do("GET", "/api/v1/dashboard/balances?account_id="+a.ID, nil, &bal); code != http.StatusOK {
			t.Fatalf("balances: %d", code)
		}
		if bal.EquityUSDT != nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if bal.EquityUSDT == nil {
		t.Fatalf("no equity after 20 s: %v", deref(bal.EquityMissing))
	}
	// 1.33456789 BTC × 60000 + 12345678901.12345678 USDT + 2.5 ETH × 3000,
	// plus the USDT futures margin balance 9987.62345678.
	sameAmount(t, "spot_value_usdt", *bal.SpotValueUSDT, "12345766475.19685678")
	sameAmount(t, "equity_usdt", *bal.EquityUSDT, "12345776462.82031356")
	sameAmount(t, "unrealized_pnl_usdt", *bal.UnrealizedPnLUSDT, "-12.5")
	if bal.EquityMissing != nil || bal.PricesAt == nil {
		t.Errorf("equity_missing %v prices_at %v", deref(bal.EquityMissing), bal.PricesAt)
	}
	want := map[string][2]string{"BTC": {"60000", "80074.0734"}, "USDT": {"1", "12345678901.12345678"}, "ETH": {"3000", "7500"}}
	for _, v := range bal.Values {
		w, ok := want[v.Asset]
		if !ok || v.PriceUSDT == nil || v.ValueUSDT == nil || v.Missing != nil {
			t.Errorf("value of %s: %+v", v.Asset, v)
			continue
		}
		delete(want, v.Asset)
		sameAmount(t, v.Asset+" price_usdt", *v.PriceUSDT, w[0])
		sameAmount(t, v.Asset+" value_usdt", *v.ValueUSDT, w[1])
	}
	if len(want) != 0 {
		t.Errorf("values missing: %v", want)
	}
	// A fresh daemon has no history a day old.
	if p := bal.PnL["24h"]; p.Missing == nil {
		t.Errorf("24h P&L without history: %+v", p)
	}
	if n := s.fake.Calls("/api/v3/ticker/price"); n < 1 {
		t.Errorf("the fake saw %d spot ticker reads", n)
	}

	// A sync now stores the equity in its history point, in the sync's
	// own transaction.
	sync()
	var hist struct {
		Points []struct {
			At            time.Time `json:"at"`
			EquityUSDT    *amount   `json:"equity_usdt"`
			EquityMissing string    `json:"equity_missing"`
		} `json:"points"`
	}
	if code := s.d.Do("GET", "/api/v1/dashboard/history?account_id="+a.ID, nil, &hist); code != http.StatusOK || len(hist.Points) < 2 {
		t.Fatalf("history: %d %+v", code, hist)
	}
	first, last := hist.Points[0], hist.Points[len(hist.Points)-1]
	if first.EquityUSDT != nil || first.EquityMissing == "" {
		t.Errorf("the first point, taken before any price read, has equity %v (%q)", first.EquityUSDT, first.EquityMissing)
	}
	if last.EquityUSDT == nil {
		t.Fatalf("the last point has no equity: %q", last.EquityMissing)
	}
	sameAmount(t, "history equity_usdt", *last.EquityUSDT, "12345776462.82031356")
}

func deref(s *string) string {
	if s == nil {
		return "<null>"
	}
	return *s
}
