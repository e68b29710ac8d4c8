package fake

import (
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/globalautomation/gahost/sdk/fakews"
	"github.com/globalautomation/gahost/sdk/sign"
)

// replaced is an account as a demo writes it whole: spot coins, the USDT
// margin coin's equity and its positions.
func replaced(spot map[string]string, equity string, positions ...Position) Account {
	var coins []Balance
	for _, coin := range []string{"USDT", "BTC", "ETH"} {
		if avail, ok := spot[coin]; ok {
			coins = append(coins, Balance{Coin: coin, Available: avail, Frozen: "0", Locked: "0"})
		}
	}
	return Account{Spot: coins, Positions: positions,
		Futures: []FuturesRow{{MarginCoin: "USDT", Available: equity, AccountEquity: equity}}}
}

// Replacing an account pushes on each channel what changed there and
// nothing on the others; the drop switch loses the pushes.
func TestReplacePushesWhatChanged(t *testing.T) {
	s := New()
	t.Cleanup(s.Close)
	s.StartWS(WSConfig{})
	k := FullKey("bg_replace", "replaceSecret", "pass")
	long := Position{Symbol: "BTCUSDT", HoldSide: "long", Total: "1", OpenPriceAvg: "60000", UnrealizedPL: "5", Leverage: "10"}
	short := Position{Symbol: "ETHUSDT", HoldSide: "short", Total: "2", OpenPriceAvg: "3000", UnrealizedPL: "1", Leverage: "10"}
	s.Replace(k, replaced(map[string]string{"USDT": "100", "BTC": "1", "ETH": "3"}, "1000", long, short))

	l := fakews.Listen(t, s.WSURL()+WSPath)
	ts := strconv.FormatInt(s.Now().Unix(), 10)
	l.Send(login(k.APIKey, "pass", ts, sign.Base64(k.Secret, ts+"GET/user/verify")))
	if m := l.Next(5 * time.Second); m["code"] != "0" {
		t.Fatalf("login: %v", m)
	}
	l.Send(map[string]any{"op": "subscribe", "args": []map[string]string{
		{"instType": "SPOT", "channel": "account", "coin": "default"},
		{"instType": "USDT-FUTURES", "channel": "account", "coin": "default"},
		{"instType": "USDT-FUTURES", "channel": "positions", "instId": "default"},
		{"instType": "USDT-FUTURES", "channel": "positions-history", "instId": "default"},
	}})
	for range 4 + 3 { // the acknowledgements and three snapshots
		l.Next(5 * time.Second)
	}
	// next is the next push's channel and its data.
	next := func() (string, string) {
		t.Helper()
		m := l.Next(5 * time.Second)
		arg, _ := m["arg"].(map[string]any)
		b, _ := json.Marshal(m["data"])
		return arg["instType"].(string) + "/" + arg["channel"].(string), string(b)
	}
	coins := func(data string) (out []string) {
		var rows []map[string]any
		_ = json.Unmarshal([]byte(data), &rows)
		for _, r := range rows {
			out = append(out, r["coin"].(string)+"="+r["available"].(string))
		}
		return out
	}

	// BTC moves and ETH is gone; the futures row stays; BTCUSDT's P&L
	// moves and ETHUSDT closes.
	pnl := long
	pnl.UnrealizedPL = "7"
	s.Replace(k, replaced(map[string]string{"USDT": "100", "BTC": "1.5"}, "1000", pnl))
	if ch, data := next(); ch != "SPOT/account" || len(coins(data)) != 2 || coins(data)[0] != "BTC=1.5" || coins(data)[1] != "ETH=0" {
		t.Errorf("%s pushed %s", ch, data)
	}
	var open []map[string]any
	ch, data := next()
	if json.Unmarshal([]byte(data), &open) != nil || ch != "USDT-FUTURES/positions" || len(open) != 1 || open[0]["unrealizedPL"] != "7" {
		t.Errorf("%s pushed %s", ch, data)
	}
	var history []map[string]any
	ch, data = next()
	if json.Unmarshal([]byte(data), &history) != nil || ch != "USDT-FUTURES/positions-history" || len(history) != 1 || history[0]["instId"] != "ETHUSDT" {
		t.Errorf("%s pushed %s", ch, data)
	}

	// The same account again pushes nothing: the next push is that of
	// the change after it.
	s.Replace(k, replaced(map[string]string{"USDT": "100", "BTC": "1.5"}, "1000", pnl))
	s.Replace(k, replaced(map[string]string{"USDT": "100", "BTC": "1.5"}, "1200", pnl))
	var rows []map[string]any
	ch, data = next()
	if json.Unmarshal([]byte(data), &rows) != nil || ch != "USDT-FUTURES/account" || len(rows) != 1 || rows[0]["equity"] != "1200" {
		t.Errorf("after an unchanged replace, %s pushed %s", ch, data)
	}

	s.DropEvents(1)
	s.Replace(k, replaced(map[string]string{"USDT": "90", "BTC": "1.5"}, "1300"))
	if n := s.Stats().Dropped; n != 4 {
		t.Errorf("%d events dropped, want 4 (spot, futures, positions, history)", n)
	}
	l.Quiet(300 * time.Millisecond)
}
